package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// TestVersionDoesNoWorkAtStart: "switchboard version" runs every linked
// package's initialisation, so none may do heavy work there. Go's init
// trace counts each package's allocations: a package that decodes tables
// or computes a hash at start allocates thousands of times (the phone
// number library decoding its metadata: about 35,000). Counting
// allocations, not time, keeps the test exact on a busy machine.
func TestVersionDoesNoWorkAtStart(t *testing.T) {
	cmd := exec.Command(buildBinary(t), "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "SWITCHBOARD_DB="+t.TempDir()+"/none.db")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	// init github.com/nyaruka/phonenumbers @52 ms, 1.4 ms clock, 295240 bytes, 1719 allocs
	line := regexp.MustCompile(`(?m)^init (\S+) @.*, (\d+) bytes, (\d+) allocs$`)
	found := 0
	for _, m := range line.FindAllStringSubmatch(string(out), -1) {
		found++
		allocs, _ := strconv.Atoi(m[3])
		if allocs > 5000 {
			t.Errorf("package %s allocates %d times at start (%s bytes): heavy work belongs in the first use", m[1], allocs, m[2])
		}
	}
	if found == 0 {
		t.Fatalf("no init trace in the output:\n%s", out)
	}
}
