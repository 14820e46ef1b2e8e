package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/inbox/zavu"
	"switchboard/store"
	"switchboard/web"
)

// syncBuffer is a log destination the handlers may write to concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines counts the log lines with message msg.
func (s *syncBuffer) lines(msg string) (n int, suppressed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range strings.Split(s.b.String(), "\n") {
		var rec struct {
			Msg        string
			Suppressed int
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
			n++
			suppressed += rec.Suppressed
		}
	}
	return n, suppressed
}

// newLoggedServer is the real HTTP stack on a real SQLite file opened with
// opts, logging into the returned buffer.
func newLoggedServer(t *testing.T, opts ...store.Option) (*httptest.Server, *store.DB, *syncBuffer) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "switchboard.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	base, _ := url.Parse("http://localhost")
	w := web.New(web.Config{BaseURL: base, MediaDir: t.TempDir(), FilesDir: t.TempDir(), FilesKey: []byte("0123456789abcdef0123456789abcdef")}, web.Deps{
		Store:    db,
		Sessions: db.Sessions(),
		Webhooks: zavu.Webhooks{Secrets: zavu.StaticSecrets(testSecret), SenderSecrets: db.SenderWebhookSecrets},
		Logger:   slog.New(slog.NewJSONHandler(logs, nil)),
	})
	srv := httptest.NewServer(w)
	t.Cleanup(func() {
		w.Close()
		srv.Close()
		db.Close()
	})
	return srv, db, logs
}

// health returns /healthz's status and body.
func health(t *testing.T, base string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("healthz answered %q", b)
	}
	return resp.StatusCode, out
}

// waitHealth polls /healthz until it answers status.
func waitHealth(t *testing.T, base string, status int) map[string]string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, out := health(t, base)
		if got == status {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz = %d %v, want %d", got, out, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHealthFailsWhileTheDiskIsFull: a monitor sees the full disk (while
// the database still answers reads) and sees it fixed.
func TestHealthFailsWhileTheDiskIsFull(t *testing.T) {
	var free atomic.Uint64
	free.Store(10 << 30)
	srv, _, _ := newLoggedServer(t, store.WithFreeSpace(func(string) (uint64, error) { return free.Load(), nil }))
	if status, out := health(t, srv.URL); status != http.StatusOK || out["status"] != "ok" {
		t.Fatalf("healthz = %d %v", status, out)
	}
	free.Store(100 << 10)
	out := waitHealth(t, srv.URL, http.StatusServiceUnavailable)
	if out["status"] != "failing" || out["reason"] != "disk_full" {
		t.Errorf("healthz on a full disk = %v", out)
	}
	free.Store(10 << 30)
	waitHealth(t, srv.URL, http.StatusOK)
}

// TestFailingWritesLogOnceASecond: when every delivery fails alike, the
// log says so once a second with a count, not several lines per request,
// and /healthz fails too.
func TestFailingWritesLogOnceASecond(t *testing.T) {
	srv, db, logs := newLoggedServer(t)
	post := func(i int) int {
		body := []byte(fmt.Sprintf(`{"id":"evt_fail_%d","type":"message.inbound","timestamp":1740819600000,"senderId":"snd_1",`+
			`"data":{"messageId":"msg_fail_%d","from":"+15550001","to":"+15550002","channel":"sms","messageType":"text","text":"hi"}}`, i, i))
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/zavu", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Zavu-Signature", zavu.Sign(testSecret, time.Now(), body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := post(0); status != http.StatusOK {
		t.Fatalf("first delivery: %d", status)
	}
	db.Close() // every write fails from now on

	const n = 30
	start := time.Now()
	for i := 1; i <= n; i++ {
		if status := post(i); status != http.StatusServiceUnavailable {
			t.Fatalf("delivery %d: %d, want 503", i, status)
		}
	}
	took := time.Since(start)
	lines, _ := logs.lines("webhook not stored")
	if max := 1 + int(took/time.Second); lines < 1 || lines > max {
		t.Errorf("%d deliveries that failed alike in %s logged %d lines of their cause, want 1 to %d", n, took, lines, max)
	}
	if extra, _ := logs.lines("request failed"); extra != 0 {
		t.Errorf("%d more lines of the same failure", extra)
	}
	if status, out := health(t, srv.URL); status != http.StatusServiceUnavailable || out["status"] != "failing" {
		t.Errorf("healthz while writes fail = %d %v", status, out)
	}
}
