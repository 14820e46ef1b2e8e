package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/store"
	"switchboard/web"
)

func readyz(t *testing.T, ts *testServer) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(ts.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Status string         `json:"status"`
		Checks map[string]any `json:"checks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	out.Checks["status"] = out.Status
	return resp.StatusCode, out.Checks
}

// TestReadyzSaysWhenTheOutboxIsStuckOrTheHubStopped: a load balancer sees
// 200 while the parts work, and 503 naming the part once a reply has been
// due for longer than the limit or the hub stopped.
func TestReadyzSaysWhenTheOutboxIsStuckOrTheHubStopped(t *testing.T) {
	ts, _ := metricsServer(t, "")
	if status, out := readyz(t, ts); status != http.StatusOK || out["status"] != "ready" || out["outbox"] != "ok" || out["hub"] != "ok" {
		t.Fatalf("fresh server: %d %v", status, out)
	}
	// A reply due at a time long past that no worker has sent.
	ts.mustPost(fixture(t, "seed_message_inbound_text"))
	ctx := context.Background()
	msg, err := ts.db.MessageByZavuID(ctx, "msg_xyz789")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.db.QueueReply(ctx, inbox.Reply{ConversationID: msg.ConversationID, Source: inbox.SourceAgent,
		Type: inbox.TypeText, Text: "On it", IdempotencyKey: "k1", At: msg.CreatedAt.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	status, out := readyz(t, ts)
	if status != http.StatusServiceUnavailable || out["status"] != "not_ready" || out["outbox"] == "ok" || out["hub"] != "ok" {
		t.Fatalf("stuck outbox: %d %v", status, out)
	}
	// Sent: ready again.
	entry := claimOne(t, ts)
	if _, err := ts.db.OutboxSent(ctx, entry.ID, inbox.SendResult{ZavuID: "msg_out_1", Status: inbox.StatusSent}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if status, out := readyz(t, ts); status != http.StatusOK {
		t.Fatalf("after the send: %d %v", status, out)
	}
	ts.web.Hub().Close()
	if status, out := readyz(t, ts); status != http.StatusServiceUnavailable || out["hub"] == "ok" {
		t.Fatalf("hub stopped: %d %v", status, out)
	}
}

// TestReadyzSaysWhenTheOutboxWorkerStopped: a worker that is not running
// makes the process not ready, whatever the queue holds.
func TestReadyzSaysWhenTheOutboxWorkerStopped(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	outbox := inbox.NewOutbox(db, nil, nil, nil)
	base, _ := url.Parse("http://localhost")
	w := web.New(web.Config{BaseURL: base}, web.Deps{Store: db, Sessions: db.Sessions(), Outbox: outbox, Backlog: db})
	defer w.Close()
	srv := httptest.NewServer(w)
	defer srv.Close()
	ts := &testServer{t: t, db: db, srv: srv, web: w}

	if status, out := readyz(t, ts); status != http.StatusServiceUnavailable || out["outbox"] != "the outbox worker is not running" {
		t.Errorf("before the worker runs: %d %v", status, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		outbox.Run(ctx)
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !outbox.Running() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // polling for the condition, with a deadline
	}
	if status, out := readyz(t, ts); status != http.StatusOK {
		t.Errorf("with the worker running: %d %v", status, out)
	}
	cancel()
	<-done
	if status, _ := readyz(t, ts); status != http.StatusServiceUnavailable {
		t.Errorf("after the worker stopped: %d", status)
	}
}
