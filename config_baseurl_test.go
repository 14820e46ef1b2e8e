package main

import (
	"net"
	"testing"
)

// TestBaseURLFollowsAddr: without SWITCHBOARD_BASE_URL the base URL (the
// webhook URL in the start-up log, the sign-in link given to new agents)
// is where the server listens, including the port the system picked for
// :0; a configured base URL is kept as it is.
func TestBaseURLFollowsAddr(t *testing.T) {
	for addr, want := range map[string]string{
		"":               "http://localhost:8080",
		":9090":          "http://localhost:9090",
		"127.0.0.1:9000": "http://127.0.0.1:9000",
		"0.0.0.0:7000":   "http://localhost:7000",
		"[::]:7001":      "http://localhost:7001",
		"[::1]:7002":     "http://[::1]:7002",
		"inbox.lan:80":   "http://inbox.lan:80",
	} {
		cfg, err := LoadConfig(envFrom(map[string]string{"SWITCHBOARD_ADDR": addr}))
		if err != nil {
			t.Fatalf("%q: %v", addr, err)
		}
		if got := cfg.BaseURL.String(); got != want {
			t.Errorf("SWITCHBOARD_ADDR=%q: base URL %s, want %s", addr, got, want)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg, err := LoadConfig(envFrom(map[string]string{"SWITCHBOARD_ADDR": "127.0.0.1:0"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Listening(ln.Addr()).BaseURL.String(), "http://"+ln.Addr().String(); got != want {
		t.Errorf("port 0: base URL %s, want the bound %s", got, want)
	}

	cfg, err = LoadConfig(envFrom(map[string]string{"SWITCHBOARD_ADDR": "127.0.0.1:0", "SWITCHBOARD_BASE_URL": "https://inbox.example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Listening(ln.Addr()).BaseURL.String(); got != "https://inbox.example.com" {
		t.Errorf("configured base URL became %s", got)
	}
}
