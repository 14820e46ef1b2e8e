package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
	"switchboard/store/pgtest"
	"switchboard/web"
)

// pgSchemaURL makes an empty PostgreSQL schema for the test, dropped when
// it ends, and returns the URL whose connections use it.
func pgSchemaURL(t *testing.T) string { return pgtest.NewSchema(t) }

// pgAdmin opens the test database outside every test's schema, closed
// when the test ends.
func pgAdmin(t *testing.T) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(os.Getenv("SWITCHBOARD_TEST_POSTGRES"))
	if err != nil {
		t.Fatal(err)
	}
	admin := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { admin.Close() })
	return admin
}

// pgSchemaOf is the schema a URL of pgSchemaURL uses.
func pgSchemaOf(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema, _, _ := strings.Cut(u.Query().Get("search_path"), ",")
	return schema
}

// pgProcess is one Switchboard process on the shared PostgreSQL
// database: its own store handle, live bus, hub, outbox and HTTP server,
// sending to the fake Zavu every process shares.
func pgProcess(t *testing.T, dsn string, fake *zavu.Fake, stopOutbox context.Context, wg *sync.WaitGroup) *testServer {
	t.Helper()
	db, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	bus, err := store.OpenLiveBus(dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	fakeHTTP := &http.Client{Transport: fake.Transport()}
	messenger := zavu.Messenger{Client: zavu.NewClient("http://zavu.test", "zv_test_web", zavu.WithHTTPClient(fakeHTTP))}
	outbox := inbox.NewOutbox(db, messenger, nil, nil)
	base, _ := url.Parse("http://localhost")
	w := web.New(web.Config{BaseURL: base}, web.Deps{
		Store:    db,
		Sessions: db.Sessions(),
		Webhooks: zavu.Webhooks{Secrets: zavu.StaticSecrets(testSecret), SenderSecrets: db.SenderWebhookSecrets},
		Outbox:   outbox,
		Live:     bus,
	})
	outbox.Publisher = w.Hub()
	wg.Go(func() { outbox.Run(stopOutbox) })
	srv := httptest.NewServer(w)
	secret, hash, err := web.NewAPIToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAPIToken(context.Background(), &inbox.APIToken{Name: testTokenName(), Hash: hash, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, db: db, srv: srv, web: w, token: secret, zavu: fake}
	t.Cleanup(func() {
		w.Close()
		srv.Close()
		bus.Close()
		db.Close()
	})
	return ts
}

// TestTwoProcessesShareLiveUpdatesAndTheOutbox runs two Switchboard
// processes on one PostgreSQL database: a webhook one of them takes
// reaches an agent's page on the other, and replies queued through both
// reach Zavu once each, in each conversation's order.
func TestTwoProcessesShareLiveUpdatesAndTheOutbox(t *testing.T) {
	dsn := pgSchemaURL(t)
	fake := zavu.NewFake(zavu.FakeOptions{})
	t.Cleanup(func() { fake.Close() })
	stopOutboxes, stop := context.WithCancel(context.Background())
	var outboxes sync.WaitGroup
	t.Cleanup(func() { stop(); outboxes.Wait() })
	a := pgProcess(t, dsn, fake, stopOutboxes, &outboxes)
	b := pgProcess(t, dsn, fake, stopOutboxes, &outboxes)

	// Ben's page is on b; the webhook lands on a. Ana signs in on a, for
	// later.
	ben := b.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	page := b.newAgent()
	page.login(ben.Email)
	ana := a.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	anaPage := a.newAgent()
	anaPage.login(ana.Email)
	conn := page.live()
	waitClients(t, b, 1)
	subscribe(t, b, conn, "open", 0)
	posted := time.Now()
	a.mustPost(inboundText("evt_1", "msg_1", "Is the shop open?", time.Now()))
	got := nextContaining(t, conn, "Is the shop open?")
	t.Logf("webhook on a to the page on b: %v", time.Since(posted))
	m := a.mustMessage("msg_1")
	if !strings.Contains(got, fmt.Sprintf(`id="c-%d"`, m.ConversationID)) || !strings.Contains(got, `data-live="row"`) {
		t.Fatalf("b's page got no row for the new conversation:\n%s", got)
	}
	// Its thread, open on b, follows what a takes next.
	subscribe(t, b, conn, "open", m.ConversationID, m.ConversationID)
	a.mustPost(inboundText("evt_2", "msg_2", "Hello?", time.Now()))
	m2 := a.mustMessage("msg_2")
	nextContaining(t, conn, fmt.Sprintf(`id="m-%d"`, m2.ID))

	// The processes' listening connections are lost: b's page is told to
	// fetch what it shows again, and what a takes next reaches it once b
	// listens again.
	admin := pgAdmin(t)
	if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN %' AND position($1 in query) > 0`, pgSchemaOf(t, dsn)); err != nil {
		t.Fatal(err)
	}
	nextContaining(t, conn, `data-live="resync"`)
	a.mustPost(inboundText("evt_3", "msg_3", "Anyone there?", time.Now()))
	nextContaining(t, conn, fmt.Sprintf(`id="m-%d"`, a.mustMessage("msg_3").ID))

	t.Logf("resync seen and followed: %v", time.Since(posted))
	// Ana opens the thread on a: each sees the other there, and what they
	// type; Ben's page closing takes him out of it.
	anaConn := anaPage.live()
	waitClients(t, a, 1)
	// Ben's page says it is there every second, as a visible page does
	// (static/app.js), and what he types.
	var benMu sync.Mutex
	benTyping := ""
	benSays := func() error {
		benMu.Lock()
		defer benMu.Unlock()
		return conn.WriteJSON(map[string]any{"presence": map[string]any{"open": m.ConversationID, "typing": benTyping}})
	}
	beats, stopBeats := context.WithCancel(context.Background())
	var beating sync.WaitGroup
	beating.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			if benSays() != nil {
				return
			}
			select {
			case <-tick.C:
			case <-beats.Done():
				return
			}
		}
	})
	subscribe(t, a, anaConn, "", m.ConversationID)
	benThere := fmt.Sprintf(`data-user="%d" data-name="Ben Agent"`, ben.ID)
	nextContaining(t, anaConn, benThere)
	t.Logf("ana sees ben: %v", time.Since(posted))
	send(t, anaConn, map[string]any{"presence": map[string]any{"open": m.ConversationID}})
	nextContaining(t, conn, fmt.Sprintf(`data-user="%d" data-name="Ana Admin"`, ana.ID))
	t.Logf("ben sees ana: %v", time.Since(posted))
	benMu.Lock()
	benTyping = "reply"
	benMu.Unlock()
	if err := benSays(); err != nil {
		t.Fatal(err)
	}
	nextContaining(t, anaConn, benThere+` data-typing="reply"`)
	t.Logf("ana sees ben typing: %v", time.Since(posted))
	stopBeats()
	beating.Wait()
	conn.Close()
	nextMatching(t, anaConn, "Ben left", func(msg string) string {
		if strings.Contains(msg, `data-live="presence"`) && !strings.Contains(msg, benThere) {
			return "Ben left"
		}
		return ""
	})

	t.Logf("presence shared: %v", time.Since(posted))
	// Replies queued through both processes: conversations of their own
	// (SMS: no window), each with replies alternately through a and b,
	// one after the other; the conversations side by side.
	const convs, perConv = 10, 50
	ids := make([]int64, convs)
	for k := range convs {
		phone := fmt.Sprintf("+1415555%04d", 2000+k)
		a.mustPost(event(fmt.Sprintf("evt_c%d", k), "message.inbound", time.Now(), map[string]any{
			"messageId": fmt.Sprintf("msg_c%d", k), "from": phone, "to": "+13125559876", "channel": "sms",
			"messageType": "text", "text": "hi", "profileName": "Customer",
		}))
		ids[k] = a.mustMessage(fmt.Sprintf("msg_c%d", k)).ConversationID
	}
	t.Logf("conversations made: %v", time.Since(posted))
	var queued sync.WaitGroup
	errs := make(chan error, convs)
	for k := range convs {
		queued.Go(func() {
			for i := range perConv {
				via := a
				if i%2 == 1 {
					via = b
				}
				if err := apiReply(via, ids[k], fmt.Sprintf("c%d r%03d", k, i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	queued.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("replies queued: %v", time.Since(posted))
	// Both outboxes send; wait for every reply to be sent.
	deadline := time.Now().Add(2 * time.Minute) // only a guard against a hang
	for len(fake.Sent()) < convs*perConv && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("replies sent: %v", time.Since(posted))
	// Nothing more is due: a pass of each outbox sends nothing.
	for _, ts := range []*testServer{a, b} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if _, err := inbox.NewOutbox(ts.db, zavu.Messenger{Client: zavu.NewClient("http://zavu.test", "zv_test_web",
			zavu.WithHTTPClient(&http.Client{Transport: fake.Transport()}))}, nil, nil).Drain(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	sent := fake.Sent()
	if len(sent) != convs*perConv || fake.SendRequests() != convs*perConv {
		t.Fatalf("Zavu accepted %d messages from %d requests, want %d of each", len(sent), fake.SendRequests(), convs*perConv)
	}
	next := map[string]int{} // by phone: the next reply expected
	for _, s := range sent {
		var k, i int
		if _, err := fmt.Sscanf(s.Text, "c%d r%d", &k, &i); err != nil {
			t.Fatalf("unexpected message %+v", s)
		}
		if want := fmt.Sprintf("+1415555%04d", 2000+k); s.To != want {
			t.Fatalf("%q went to %s, want %s", s.Text, s.To, want)
		}
		if i != next[s.To] {
			t.Fatalf("%s got reply %d where reply %d was due", s.To, i, next[s.To])
		}
		next[s.To]++
	}
}

// apiReply queues a reply through the JSON API of ts.
func apiReply(ts *testServer, convID int64, text string) error {
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/conversations/%d/messages", ts.srv.URL, convID),
		strings.NewReader(fmt.Sprintf(`{"text":%q}`, text)))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+ts.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("reply %q: status %d", text, resp.StatusCode)
	}
	return nil
}
