package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/inbox"
)

// dial opens the live websocket as the agent's page would.
func (a *agent) dial(origin string) (*websocket.Conn, *http.Response, error) {
	u, _ := url.Parse(a.ts.srv.URL)
	d := websocket.Dialer{Jar: a.client.Jar, HandshakeTimeout: 5 * time.Second}
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return d.Dial("ws://"+u.Host+"/ws", h)
}

// live opens the agent's websocket from Switchboard's own origin, closed
// when the test ends.
func (a *agent) live() *websocket.Conn {
	a.t.Helper()
	conn, _, err := a.dial(a.ts.srv.URL)
	if err != nil {
		a.t.Fatal(err)
	}
	a.t.Cleanup(func() { conn.Close() })
	return conn
}

// next reads live messages until one contains want.
func nextContaining(t *testing.T, conn *websocket.Conn, want string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_ = conn.SetReadDeadline(deadline)
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		if strings.Contains(string(msg), want) {
			return string(msg)
		}
	}
}

func TestLiveUpdatesReachEveryAgent(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ben := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	a, b := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	b.login(ben.Email)
	ca := a.live()
	cb := b.live()
	waitClients(t, ts, 2)

	// A new message reaches both, as a bubble for its thread and a signal
	// for the list.
	ts.mustPost(inboundText("evt_1", "msg_1", "Is the shop open?", time.Now()))
	m := ts.mustMessage("msg_1")
	for _, c := range []*websocket.Conn{ca, cb} {
		got := nextContaining(t, c, "Is the shop open?")
		for _, want := range []string{
			fmt.Sprintf(`hx-swap-oob="beforeend:#msgs-%d"`, m.ConversationID),
			fmt.Sprintf(`id="m-%d"`, m.ID),
			fmt.Sprintf(`data-conversations="%d"`, m.ConversationID),
		} {
			if !strings.Contains(got, want) {
				t.Errorf("live update lacks %s:\n%s", want, got)
			}
		}
	}

	// Ben takes the conversation: Ana sees the header change.
	b.get("/inbox")
	if p := b.post(fmt.Sprintf("/conversations/%d/assign", m.ConversationID), url.Values{"assignee": {fmt.Sprint(ben.ID)}}); p.status != http.StatusNoContent {
		t.Fatalf("assign: %d", p.status)
	}
	got := nextContaining(t, ca, fmt.Sprintf(`id="head-%d"`, m.ConversationID))
	if !strings.Contains(got, `hx-swap-oob="true"`) || !strings.Contains(got, "Ben Agent") {
		t.Errorf("header update for Ana:\n%s", got)
	}
	// Ana's copy offers her "Assign to me"; Ben's does not.
	if !strings.Contains(got, `data-testid="assign-me"`) {
		t.Error("Ana's header lacks Assign to me")
	}
	if bens := nextContaining(t, cb, fmt.Sprintf(`id="head-%d"`, m.ConversationID)); strings.Contains(bens, `data-testid="assign-me"`) {
		t.Error("Ben's header offers Assign to me for his own conversation")
	}
}

func TestLiveRefusesStrangers(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	anon := ts.newAgent()
	if _, resp, err := anon.dial(ts.srv.URL); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed out: %v %v, want 401", err, resp)
	}
	a := ts.newAgent()
	a.login("ana@example.com")
	if _, resp, err := a.dial("https://evil.example"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: %v, want 403", resp)
	}
	if _, resp, err := a.dial(""); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("no origin: %v, want 403", resp)
	}
}

func TestLiveClosesWithRestartCodeOnShutdown(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	c := a.live()
	waitClients(t, ts, 1)
	ts.web.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseServiceRestart) {
		t.Fatalf("read after shutdown: %v, want close 1012 so the page reconnects", err)
	}
}

// waitClients waits until the hub has registered n pages.
func waitClients(t *testing.T, ts *testServer, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for ts.web.Hub().Clients() != n {
		if time.Now().After(deadline) {
			t.Fatalf("hub has %d clients, want %d", ts.web.Hub().Clients(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
