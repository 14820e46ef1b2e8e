package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnitVerifies checks deploy/switchboard.service with
// systemd-analyze verify, where systemd is installed, against the binary
// this tree builds, and that it keeps its sandbox.
func TestSystemdUnitVerifies(t *testing.T) {
	unit, err := os.ReadFile("deploy/switchboard.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ProtectSystem=strict", "ReadWritePaths=/var/lib/switchboard", "NoNewPrivileges=yes",
		"MemoryMax=", "User=switchboard", "UMask=0077", "StateDirectoryMode=0700"} {
		if !strings.Contains(string(unit), "\n"+want) {
			t.Errorf("the unit lacks %s", want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	bin := buildBinary(t)
	path := filepath.Join(t.TempDir(), "switchboard.service")
	local := strings.ReplaceAll(string(unit), "/usr/local/bin/switchboard serve", bin+" serve")
	if err := os.WriteFile(path, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestLitestreamUnitVerifies checks deploy/litestream.service the same
// way, with any program in litestream's place.
func TestLitestreamUnitVerifies(t *testing.T) {
	unit, err := os.ReadFile("deploy/litestream.service")
	if err != nil {
		t.Fatal(err)
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	path := filepath.Join(t.TempDir(), "litestream.service")
	local := strings.ReplaceAll(string(unit), "/usr/bin/litestream", "/bin/true")
	if err := os.WriteFile(path, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
