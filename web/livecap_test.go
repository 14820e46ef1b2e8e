package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/inbox"
)

func TestOneUserCanKeepAtMostTwentyLivePages(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ben := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	a, b := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	b.login(ben.Email)

	var pages []*websocket.Conn
	for range 20 {
		pages = append(pages, a.live())
	}
	waitClients(t, ts, 20)

	// The 21st tab is told why and left closed.
	extra := a.live()
	ce := mustClose(t, extra)
	if ce.Code != 4008 || !strings.Contains(ce.Text, "tabs") {
		t.Fatalf("21st live page closed with %d %q, want 4008 saying why", ce.Code, ce.Text)
	}
	if n := ts.web.Hub().Clients(); n != 20 {
		t.Fatalf("%d live pages after the refusal, want 20", n)
	}

	// Another agent is not held back, and a closed tab frees a place.
	b.live()
	waitClients(t, ts, 21)
	pages[0].Close()
	waitClients(t, ts, 20)
	again := a.live()
	waitClients(t, ts, 21)
	subscribe(t, ts, again, "open", 0)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello there", time.Now()))
	nextContaining(t, again, "Hello there")
}

// A page that sends more than the server allows is closed with a code
// that says so (4029, too many messages in a minute; 1009, a message too
// big), not a normal close: the page waits before it tries again.
func TestLiveClosesAPageOverItsLimitsWithACodeThatSaysSo(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	a := ts.newAgent()
	a.login(ana.Email)

	for _, tc := range []struct {
		name string
		msgs int
		msg  string
		code int
	}{
		{"subscriptions", 61, `{"epoch":"","since":0,"open":0}`, 4029},
		{"presence", 151, `{"presence":{"open":1,"typing":""}}`, 4029},
		{"too big", 1, `{"rows":[` + strings.Repeat("1,", 9000) + `1]}`, 1009},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := a.live()
			for range tc.msgs {
				if err := conn.WriteMessage(websocket.TextMessage, []byte(tc.msg)); err != nil {
					break // closed already
				}
			}
			ce := mustClose(t, conn)
			if ce.Code != tc.code {
				t.Fatalf("closed with %d %q, want %d", ce.Code, ce.Text, tc.code)
			}
		})
	}
}
