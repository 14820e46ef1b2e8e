package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/inbox"
	"switchboard/web"
)

// memBus is a live bus the test plays the other processes on: it keeps
// what the server sends and hands it what the test says.
type memBus struct {
	sent chan inbox.LiveNote
	in   chan inbox.LiveNote
}

func newMemBus() *memBus {
	// Unbuffered: a note the test hands over is taken; once the next one
	// is, the server has done what the first one asks of it.
	return &memBus{sent: make(chan inbox.LiveNote, 4096), in: make(chan inbox.LiveNote)}
}

func (b *memBus) Notify(n inbox.LiveNote)      { b.sent <- n }
func (b *memBus) Notes() <-chan inbox.LiveNote { return b.in }

// told waits for a note the server sent that matches.
func (b *memBus) told(t *testing.T, what string, match func(inbox.LiveNote) bool) inbox.LiveNote {
	t.Helper()
	deadline := time.After(30 * time.Second) // only a guard against a hang
	for {
		select {
		case n := <-b.sent:
			if match(n) {
				return n
			}
		case <-deadline:
			t.Fatalf("the other processes were not told %s", what)
		}
	}
}

func TestLiveNotesToAndFromOtherProcesses(t *testing.T) {
	bus := newMemBus()
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Live = bus })
	admin := ts.admin() // Ana, id 1
	ben := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	page := ts.newAgent()
	page.login(ben.Email)
	conn := page.live()
	waitClients(t, ts, 1)

	// A webhook this process takes: the others hear of its conversation
	// and message.
	ts.mustPost(inboundText("evt_1", "msg_1", "Hi", time.Now()))
	m := ts.mustMessage("msg_1")
	bus.told(t, "the new message", func(n inbox.LiveNote) bool {
		return slices.Contains(n.Change.ConversationIDs, m.ConversationID) && slices.Contains(n.Change.MessageIDs, m.ID)
	})
	subscribe(t, ts, conn, "open", m.ConversationID, m.ConversationID)

	// Another process assigned the conversation to Ana: this one renders
	// it for Ben's page when it hears the change.
	anaID := int64(1)
	if _, err := ts.db.Assign(context.Background(), m.ConversationID, &anaID, time.Now()); err != nil {
		t.Fatal(err)
	}
	bus.in <- inbox.LiveNote{Change: inbox.Change{ConversationIDs: []int64{m.ConversationID}}}
	nextContaining(t, conn, `data-assignee="1"`)

	// Ben read the conversation on another process: his page here learns
	// how far.
	bus.in <- inbox.LiveNote{Kind: "read", IDs: []int64{ben.ID, m.ConversationID, 1}}
	nextContaining(t, conn, fmt.Sprintf(`data-live="read" data-conversation="%d" data-read="1"`, m.ConversationID))

	// The team changed there: the picker here follows.
	cleo := inbox.User{Email: "cleo@example.com", Name: "Cleo New", Role: inbox.RoleAgent, Active: true, PasswordHash: "x"}
	if err := ts.db.CreateUser(context.Background(), &cleo); err != nil {
		t.Fatal(err)
	}
	bus.in <- inbox.LiveNote{Kind: "team"}
	if got := nextContaining(t, conn, `id="team-options"`); !strings.Contains(got, "Cleo New") {
		t.Errorf("team options lack the new agent:\n%s", got)
	}

	// What happens here is told there: the team and the sign-out of an
	// agent deactivated, and Ana's read mark.
	if p := admin.post(fmt.Sprintf("/admin/agents/%d/deactivate", cleo.ID), url.Values{}); p.status >= 400 {
		t.Fatalf("deactivate: %d", p.status)
	}
	bus.told(t, "the team", func(n inbox.LiveNote) bool { return n.Kind == "team" })
	bus.told(t, "Cleo's sign-out", func(n inbox.LiveNote) bool {
		return n.Kind == "signout" && slices.Equal(n.IDs, []int64{cleo.ID, 1, 0})
	})
	if p := admin.post(fmt.Sprintf("/conversations/%d/read", m.ConversationID), url.Values{}); p.status != http.StatusNoContent {
		t.Fatalf("read: %d", p.status)
	}
	bus.told(t, "Ana's read mark", func(n inbox.LiveNote) bool {
		return n.Kind == "read" && slices.Equal(n.IDs, []int64{1, m.ConversationID, 1})
	})

	// Notes were missed: the page fetches again.
	bus.in <- inbox.LiveNote{Resync: true}
	nextContaining(t, conn, `data-live="resync"`)

	// Ben's phone signed out on another process: its page here closes, his
	// laptop's stays; signing out here is told there.
	phone := ts.newAgent()
	phone.login(ben.Email)
	phoneConn := phone.live()
	waitClients(t, ts, 2)
	phoneToken := phone.sessionToken()
	bus.in <- inbox.LiveNote{Kind: "session", IDs: []int64{web.SessionTag(phoneToken)}}
	expectClosed(t, phoneConn, "signed out on another process")
	bus.in <- inbox.LiveNote{Kind: "read", IDs: []int64{ben.ID, m.ConversationID, 2}}
	nextContaining(t, conn, fmt.Sprintf(`data-live="read" data-conversation="%d" data-read="2"`, m.ConversationID))
	phone.post("/logout", url.Values{})
	bus.told(t, "the phone's sign-out", func(n inbox.LiveNote) bool {
		return n.Kind == "session" && slices.Equal(n.IDs, []int64{web.SessionTag(phoneToken)})
	})

	// Ben was deactivated there: his page here is signed out.
	bus.in <- inbox.LiveNote{Kind: "signout", IDs: []int64{ben.ID, 1}}
	expectClosed(t, conn, "deactivated on another process")
}

// expectClosed is expectSignedOut with room for a loaded machine under
// the race detector: the deadline only guards against a hang.
func expectClosed(t *testing.T, c *websocket.Conn, why string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
			t.Fatalf("%s: %v, want close 1008", why, err)
		}
		return
	}
}

func TestWebPushIsSentByTheProcessThatStoredTheMessage(t *testing.T) {
	push := newFakePushService(t)
	bus := newMemBus()
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.PushClient = push.srv.Client(); d.Live = bus })
	ben := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	b := ts.newAgent()
	b.login(ben.Email)
	b.get("/settings/notifications")
	body, _ := json.Marshal(push.subscription("/ben"))
	req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+"/settings/notifications/push", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf)
	if p := b.send(req); p.status != http.StatusNoContent {
		t.Fatalf("subscribe: %d", p.status)
	}
	ts.mustPost(inboundFrom("evt_0", "msg_0", "+14155550100", "Zoe 00", "First", time.Now()))
	if got := push.next(t); got.payload["body"] != "First" {
		t.Fatalf("pushed %v", got.payload)
	}

	// Another process told of the next message: it pushes it, this one
	// does not. (Played here by telling this process of the message
	// before it stores it.)
	next := ts.mustMessage("msg_0").ID + 1
	bus.in <- inbox.LiveNote{Change: inbox.Change{MessageIDs: []int64{next}}}
	bus.in <- inbox.LiveNote{Kind: "nothing"}
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe 01", "Stored elsewhere", time.Now()))
	if id := ts.mustMessage("msg_1").ID; id != next {
		t.Fatalf("the message has id %d, not %d", id, next)
	}
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550102", "Zoe 02", "Stored here", time.Now()))
	if got := push.next(t); got.payload["body"] != "Stored here" {
		t.Fatalf("pushed %v, want the message stored here", got.payload)
	}
}
