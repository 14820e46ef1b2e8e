package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"
)

// TestSoakReportsOverTime runs a short soak from the built binary: it
// starts its own server, sends steadily, watches one conversation from
// live pages, and prints one sample a second.
func TestSoakReportsOverTime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, "soak", "--duration", "3s", "--rate", "100", "--every", "1s", "--pages", "5", "--json")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("soak: %v\n%s", err, errOut.String())
	}
	var samples []soakSample
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var s soakSample
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("not a JSON sample: %q", sc.Text())
		}
		samples = append(samples, s)
	}
	if len(samples) < 3 {
		t.Fatalf("%d samples, want one a second and two at the end:\n%s", len(samples), out.String())
	}
	acked, failed, timed := 0, 0, 0
	for _, s := range samples {
		acked += s.Acked
		failed += s.NotAcked
		if s.RSSMiB <= 0 || s.DatabaseMiB <= 0 {
			t.Errorf("sample without the server's memory or database size: %+v", s)
		}
		if s.Pages != 5 {
			t.Errorf("%d live pages connected, want the 5 asked for: %+v", s.Pages, s)
		}
		if s.FanoutP50Ms > 0 {
			timed++
		}
	}
	// The last sample comes 3 s after the load: every watched message
	// reached every page.
	if last := samples[len(samples)-1]; last.Missed != 0 {
		t.Errorf("the pages missed %d watched messages", last.Missed)
	}
	if timed < 2 {
		t.Errorf("the watched messages were timed to the pages in %d samples, want one a second:\n%s", timed, out.String())
	}
	// 100 a second for 3 s, give or take the last tick.
	if acked < 250 || failed != 0 {
		t.Errorf("%d webhooks acknowledged and %d not, want about 300 and none", acked, failed)
	}
	if bad := exec.Command(bin, "soak", "--rate", "0"); bad.Run() == nil {
		t.Error("soak --rate 0 was accepted")
	}
	if bad := exec.Command(bin, "soak", "--pages", "1001"); bad.Run() == nil {
		t.Error("soak --pages 1001 was accepted")
	}
}
