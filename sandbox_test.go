package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
	"switchboard/web"
)

// sandboxHarness is a sandbox server as serve builds it (the fake Zavu,
// its webhooks signed with the sandbox secret, the outbox) on a real
// SQLite file, behind a loopback HTTP server.
type sandboxHarness struct {
	t     *testing.T
	url   string
	db    *store.DB
	link  *zavuLink
	dir   *zavu.Directory
	token string
}

func newSandboxHarness(t *testing.T) *sandboxHarness {
	t.Helper()
	cfg, err := LoadConfig(envFrom(nil))
	if err != nil || !cfg.Sandbox() {
		t.Fatalf("sandbox config: %v", err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	hs.Start()
	log := slog.New(slog.DiscardHandler)
	link := newZavuLink(cfg, hs.URL+"/webhooks/zavu", sandboxSecret, log)
	messenger := zavu.Messenger{Client: link.client}
	outbox := inbox.NewOutbox(db, messenger, nil, log)
	dir := &zavu.Directory{Client: link.client, Store: db}
	dataDir := t.TempDir()
	srv := web.New(web.Config{BaseURL: cfg.BaseURL, Sandbox: true,
		MediaDir: filepath.Join(dataDir, "media"), FilesDir: filepath.Join(dataDir, "files"),
		FilesKey: []byte("0123456789abcdef0123456789abcdef")}, web.Deps{
		Store: db, Sessions: db.Sessions(),
		Webhooks:  zavu.Webhooks{Secrets: zavu.StaticSecrets(sandboxSecret), SenderSecrets: db.SenderWebhookSecrets},
		Outbox:    outbox,
		Directory: dir, Media: messenger, Reactor: messenger, Receipts: messenger,
		MediaClient: link.mediaClient(), Logger: log,
	})
	outbox.Publisher = srv.Hub()
	hs.Config.Handler = sandboxWebhooks(srv, link.fake)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); outbox.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		<-done
		link.close()
		srv.Close()
		hs.Close()
		db.Close()
	})
	if _, err := dir.SyncSenders(context.Background()); err != nil {
		t.Fatal(err)
	}
	secret, hash, err := web.NewAPIToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAPIToken(context.Background(), &inbox.APIToken{Name: "test", Hash: hash, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return &sandboxHarness{t: t, url: hs.URL, db: db, link: link, dir: dir, token: secret}
}

// deliver posts one webhook signed with the sandbox secret, as the
// sandbox's customers do, and waits until it is applied.
func (h *sandboxHarness) deliver(body []byte) {
	h.t.Helper()
	code, err := postSigned(context.Background(), http.DefaultClient, h.url+"/webhooks/zavu", sandboxSecret, body)
	if err != nil || code != http.StatusOK {
		h.t.Fatalf("webhook answered %d %v for %s", code, err, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.db.Settle(ctx); err != nil {
		h.t.Fatal(err)
	}
}

func (h *sandboxHarness) api(method, path, body string, out any) int {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader([]byte(body)))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			h.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// TestSandboxEventsNeverFailInTheWebhookLog plays the sandbox's customers
// (registered with its fake Zavu as the sandbox does, signed with its
// secret) through the real webhook handler: not one lands in the webhook
// log as failed, and after the template sync the template list has no
// duplicate and no template without text.
func TestSandboxEventsNeverFailInTheWebhookLog(t *testing.T) {
	h := newSandboxHarness(t)
	ctx := context.Background()
	if _, err := h.dir.SyncTemplates(ctx); err != nil {
		t.Fatal(err)
	}
	sim := newSandboxSimulator(5, time.Now)
	templateChanges := 0
	for _, ev := range sim.Stream(600) {
		registerEvent(h.link.fake, ev.Body)
		h.deliver(ev.Body)
		if ev.Type == string(inbox.EventTemplateStatus) {
			templateChanges++
		}
	}
	failed, _, err := h.db.Events(ctx, inbox.EventFilter{State: inbox.EventFailed, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range failed {
		t.Errorf("%s %s failed: %s\n%s", e.Type, e.ID, e.Error, e.Raw)
	}
	if templateChanges == 0 {
		t.Error("no template change in the stream: the template checks below prove nothing")
	}
	if _, err := h.dir.SyncTemplates(ctx); err != nil {
		t.Fatal(err)
	}
	ts, err := h.db.Templates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tm := range ts {
		key := tm.Name + "/" + tm.Language
		if seen[key] {
			t.Errorf("template %s listed twice", key)
		}
		seen[key] = true
		if tm.Body == "" {
			t.Errorf("template %s (%s) has no text", tm.Name, tm.ID)
		}
		if tm.Name == "spring_promo" && tm.Status != "approved" {
			t.Errorf("spring_promo is %s after the webhook approved it", tm.Status)
		}
	}
	if len(ts) != len(sandboxTemplates) {
		t.Errorf("%d templates, want the sandbox's %d", len(ts), len(sandboxTemplates))
	}
}

// TestSandboxRepliesOnASecondSender: a customer writes to a sender other
// than the sandbox's default (switchboard simulate --sender, a script);
// the agent's reply on that sender is accepted by the sandbox's Zavu
// instead of failing with "sender not found".
func TestSandboxRepliesOnASecondSender(t *testing.T) {
	h := newSandboxHarness(t)
	body := fmt.Sprintf(`{"id":"evt_second_1","type":"message.inbound","timestamp":%d,"senderId":"snd_second","projectId":"prj_sim",
		"data":{"messageId":"msg_second_1","from":"+14155550123","to":"+15550100999","channel":"whatsapp","messageType":"text","text":"Hello from the second number","profileName":"Ada"}}`,
		time.Now().UnixMilli())
	h.deliver([]byte(body))
	var convs struct {
		Items []struct {
			ID       int64  `json:"id"`
			SenderID string `json:"senderId"`
		} `json:"items"`
	}
	if code := h.api(http.MethodGet, "/api/v1/conversations", "", &convs); code != http.StatusOK || len(convs.Items) != 1 || convs.Items[0].SenderID != "snd_second" {
		t.Fatalf("conversations: %d %+v", code, convs)
	}
	conv := convs.Items[0].ID
	var sent struct {
		ID int64 `json:"id"`
	}
	if code := h.api(http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/messages", conv), `{"text":"Hi Ada, how can we help?"}`, &sent); code != http.StatusAccepted {
		t.Fatalf("reply: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var page struct {
			Items []struct {
				ID           int64   `json:"id"`
				ZavuID       *string `json:"zavuId"`
				Status       string  `json:"status"`
				ErrorMessage *string `json:"errorMessage"`
			} `json:"items"`
		}
		h.api(http.MethodGet, fmt.Sprintf("/api/v1/conversations/%d/messages", conv), "", &page)
		for _, m := range page.Items {
			if m.ID != sent.ID {
				continue
			}
			if m.Status == "failed" {
				t.Fatalf("the reply on the second sender failed: %v", *m.ErrorMessage)
			}
			if m.ZavuID != nil {
				zm, ok := h.link.fake.Message(*m.ZavuID)
				if !ok || zm.SenderID != "snd_second" || zm.From != "+15550100999" {
					t.Fatalf("Zavu holds %+v, want it sent on snd_second from +15550100999", zm)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reply was never accepted by the sandbox's Zavu: %+v", page.Items)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSandboxCustomersWriteInTheirOwnTime lets the sandbox's customers
// write for a few seconds, as they do for a newcomer's first look: every
// event reaches the server no earlier than the time it is stamped with,
// as Zavu stamps an event when it happens and then sends it. A message
// never shows a time still to come, nor a reply window closing in more
// than 24 hours.
func TestSandboxCustomersWriteInTheirOwnTime(t *testing.T) {
	h := newSandboxHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Second)
	defer cancel()
	sandboxCustomers(ctx, h.url+"/webhooks/zavu", sandboxSecret, h.link.fake, newSandboxSimulator(5, time.Now), slog.New(slog.DiscardHandler))
	evs, _, err := h.db.Events(context.Background(), inbox.EventFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < 3 {
		t.Fatalf("%d events in 7 s: too few to tell", len(evs))
	}
	for _, e := range evs {
		// Both in milliseconds, from two clocks of this machine.
		if ahead := e.Timestamp.Sub(e.ReceivedAt); ahead > 50*time.Millisecond {
			t.Errorf("%s %s is stamped %s after it arrived", e.Type, e.ID, ahead)
		}
	}
}
