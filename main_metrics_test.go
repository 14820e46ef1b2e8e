package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMetricsTokenConfig(t *testing.T) {
	cfg, err := LoadConfig(envFrom(map[string]string{"SWITCHBOARD_METRICS_TOKEN": " 0123456789abcdef0123 "}))
	if err != nil || cfg.MetricsToken != "0123456789abcdef0123" {
		t.Fatalf("good token: %q %v", cfg.MetricsToken, err)
	}
	for _, bad := range []string{"short", "has a space in it 0123456789"} {
		_, err := LoadConfig(envFrom(map[string]string{"SWITCHBOARD_METRICS_TOKEN": bad}))
		if err == nil || strings.Count(err.Error(), "\n") != 0 || !strings.HasPrefix(err.Error(), "SWITCHBOARD_METRICS_TOKEN: ") {
			t.Errorf("token %q: %v, want one line naming the variable", bad, err)
		}
	}
}

// TestServedMetricsAndReadiness runs the binary with a metrics token and
// scrapes it as Prometheus would; /readyz answers ready.
func TestServedMetricsAndReadiness(t *testing.T) {
	bin := buildBinary(t)
	c := startChild(t, bin, filepath.Join(t.TempDir(), "sb.db"), "SWITCHBOARD_METRICS_TOKEN=scrape-me-0123456789")
	defer func() {
		c.cmd.Process.Signal(syscall.SIGTERM)
		c.wait()
	}()
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, c.url+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, _ := get("/metrics", "wrong-token-0123456789"); status != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", status)
	}
	status, body := get("/metrics", "scrape-me-0123456789")
	for _, name := range []string{"switchboard_outbox_depth 0", "switchboard_webhook_events_pending 0", "switchboard_websocket_clients 0",
		"# TYPE switchboard_sqlite_commit_seconds histogram", "process_resident_memory_bytes"} {
		if status != http.StatusOK || !strings.Contains(body, name) {
			t.Errorf("scrape (status %d) lacks %q", status, name)
		}
	}
	// Ready once the background workers run, a moment after start.
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body := get("/readyz", "")
		if status == http.StatusOK && strings.Contains(body, `"status":"ready"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz: %d %s", status, body)
		}
		time.Sleep(10 * time.Millisecond) // polling for the condition, with a deadline
	}
}
