package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"switchboard/inbox"
	"switchboard/store"
	"switchboard/web"
)

// TestWebPushSkipsAnAgentWithAPageOnAnotherProcess runs two Switchboard
// processes on one PostgreSQL database. Ben's only page is on b; what a
// stores (a new conversation, an assignment, a mention, a message) shows
// as a notice on that page, and no Web Push reaches his browser. Once
// the page closes, or b stops, a pushes again.
func TestWebPushSkipsAnAgentWithAPageOnAnotherProcess(t *testing.T) {
	dsn := pgSchemaURL(t)
	push := newFakePushService(t)
	process := func() *testServer {
		bus, err := store.OpenLiveBus(dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(bus.Close) // after the server's
		return newTestServerAt(t, dsn, func(_ *web.Config, d *web.Deps) { d.PushClient = push.srv.Client(); d.Live = bus })
	}
	a, b := process(), process()
	ana := quickUser(a, "ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ben := quickUser(a, "ben@example.com", "Ben Okafor", inbox.RoleAgent)
	anaOnA := a.newAgent()
	anaOnA.login(ana.Email)
	benOnB := b.newAgent()
	benOnB.login(ben.Email)
	// Both turn Web Push on; Ana has no page open.
	for who, browser := range map[*agent]string{anaOnA: "/ana", benOnB: "/ben"} {
		who.get("/settings/notifications")
		body, _ := json.Marshal(push.subscription(browser))
		req, _ := http.NewRequest(http.MethodPost, who.ts.srv.URL+"/settings/notifications/push", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", who.csrf)
		if p := who.send(req); p.status != http.StatusNoContent {
			t.Fatalf("subscribe %s: %d", browser, p.status)
		}
	}
	// pushed is the next push to Ben's browser; Ana's are passed over.
	pushed := func() pushed {
		t.Helper()
		for {
			if got := push.next(t); got.path != "/ana" {
				return got
			}
		}
	}
	started := time.Now()
	elsewhere := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second) // only a guard against a hang
		for a.web.PageElsewhere(ben.ID) != want {
			if time.Now().After(deadline) {
				t.Fatalf("a counts Ben's page on b: %v, want %v", !want, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	// Ben's page opens on b; a hears of it.
	conn := benOnB.live()
	waitClients(t, b, 1)
	elsewhere(true)
	t.Logf("a hears of the page on b: %v", time.Since(started))

	// What a stores shows on his page on b.
	a.mustPost(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe", "Where is my order?", time.Now()))
	if n := nextNotify(t, conn); !strings.Contains(n, `data-kind="new_conversation"`) {
		t.Fatalf("Ben's page got %s", n)
	}
	conv := a.mustMessage("msg_1").ConversationID
	if p := anaOnA.post(fmt.Sprintf("/conversations/%d/assign", conv), url.Values{"assignee": {fmt.Sprint(ben.ID)}}); p.status != http.StatusNoContent {
		t.Fatalf("assign: %d", p.status)
	}
	if n := nextNotify(t, conn); !strings.Contains(n, `data-kind="assigned"`) {
		t.Fatalf("Ben's page got %s", n)
	}
	if p := anaOnA.post(fmt.Sprintf("/conversations/%d/notes", conv), url.Values{"text": {"@Ben Okafor can you check the courier?"}}); p.status != http.StatusOK {
		t.Fatalf("note: %d", p.status)
	}
	if n := nextNotify(t, conn); !strings.Contains(n, `data-kind="mentioned"`) {
		t.Fatalf("Ben's page got %s", n)
	}
	a.mustPost(inboundFrom("evt_2", "msg_2", "+14155550101", "Zoe", "Hello?", time.Now()))
	if n := nextNotify(t, conn); !strings.Contains(n, `data-kind="message"`) {
		t.Fatalf("Ben's page got %s", n)
	}
	t.Logf("notices on b: %v", time.Since(started))
	// noneToBen stores a new conversation on ts, which is pushed to Ana:
	// once that push comes, ts has done what it does for what came
	// before, and it pushed nothing to Ben.
	noneToBen := func(ts *testServer, who, phone string) {
		t.Helper()
		ts.mustPost(inboundFrom("evt_s"+phone, "msg_s"+phone, phone, "Yan", "Sync "+phone, time.Now()))
		for {
			got := push.next(t)
			if got.path != "/ana" {
				t.Fatalf("%s pushed %v to %s while Ben's page was open on b", who, got.payload, got.path)
			}
			if got.payload["body"] == "Sync "+phone {
				break
			}
		}
		t.Logf("nothing pushed to Ben by %s: %v", who, time.Since(started))
	}
	noneToBen(a, "a", "+14155550102")

	// His page closes: the next message a stores is pushed.
	conn.Close()
	elsewhere(false)
	a.mustPost(inboundFrom("evt_3", "msg_3", "+14155550101", "Zoe", "Still there?", time.Now()))
	if got := pushed(); got.err != nil || got.path != "/ben" || got.payload["body"] != "Still there?" {
		t.Fatalf("first push: %s %v %v; want the message after the page closed", got.path, got.payload, got.err)
	}
	t.Logf("pushed after the page closed: %v", time.Since(started))

	// A page again; a third process joins and at once stores a message:
	// it has asked the others who has pages open, and pushes nothing to
	// Ben (without asking, it would have heard of his page at b's next
	// beat, up to 2 s later).
	benOnB.live()
	waitClients(t, b, 1)
	elsewhere(true)
	c := process()
	c.mustPost(inboundFrom("evt_4", "msg_4", "+14155550101", "Zoe", "Are you there?", time.Now()))
	noneToBen(c, "the process that just joined", "+14155550103")

	// Then b stops: a pushes again at once.
	b.web.Close()
	elsewhere(false)
	a.mustPost(inboundFrom("evt_5", "msg_5", "+14155550101", "Zoe", "Anyone?", time.Now()))
	if got := pushed(); got.err != nil || got.path != "/ben" || got.payload["body"] != "Anyone?" {
		t.Fatalf("push: %s %v %v; want the message after b stopped", got.path, got.payload, got.err)
	}
	t.Logf("pushed after b stopped: %v", time.Since(started))
}

// quickUser is addUser with a password hash of bcrypt's least cost, quick
// to check at sign-in even under the race detector: for tests about
// something else than passwords.
func quickUser(ts *testServer, email, name string, role inbox.Role) inbox.User {
	ts.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	if err != nil {
		ts.t.Fatal(err)
	}
	u := inbox.User{Email: email, Name: name, Role: role, PasswordHash: string(hash), Active: true}
	if err := ts.db.CreateUser(context.Background(), &u); err != nil {
		ts.t.Fatal(err)
	}
	return u
}
