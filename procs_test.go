package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestSyncerProcsAddsOneUnlessTheEnvironmentSetsGOMAXPROCS(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if got := syncerProcs(getenv, 2); got != 3 {
		t.Errorf("Go's choice 2, GOMAXPROCS unset: %d, want 3", got)
	}
	env["GOMAXPROCS"] = "2"
	if got := syncerProcs(getenv, 2); got != 2 {
		t.Errorf("GOMAXPROCS=2 in the environment: %d, want 2 kept", got)
	}
}

// TestServeOnSQLiteRunsAProcessorForTheSyncer starts the binary and reads
// the GOMAXPROCS it serves with from its start-up line.
func TestServeOnSQLiteRunsAProcessorForTheSyncer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if os.Getenv("GOMAXPROCS") != "" {
		t.Skip("GOMAXPROCS is set for the tests: the child would inherit it")
	}
	bin := buildBinary(t)
	for _, tc := range []struct {
		env  []string
		want int
	}{
		{nil, goProcs + 1},
		{[]string{"GOMAXPROCS=1"}, 1},
	} {
		c := startChild(t, bin, filepath.Join(t.TempDir(), "sb.db"), tc.env...)
		got := -1
		for line := range strings.SplitSeq(c.logText(), "\n") {
			var rec struct {
				Msg        string
				GoMaxProcs int `json:"gomaxprocs"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "switchboard started" {
				got = rec.GoMaxProcs
			}
		}
		if got != tc.want {
			t.Errorf("env %q: serves with GOMAXPROCS %d, want %d\n%s", tc.env, got, tc.want, c.logText())
		}
		c.cmd.Process.Signal(syscall.SIGTERM)
		if err := c.wait(); err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	}
}
