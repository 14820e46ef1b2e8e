package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/inbox"
	"switchboard/web"
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

// sub is what a page tells the server it shows.
type sub struct {
	Epoch string `json:"epoch"`
	Since uint64 `json:"since"`
	List  *struct {
		View    string `json:"view"`
		Sender  string `json:"sender"`
		Channel string `json:"channel"`
	} `json:"list,omitempty"`
	Rows []int64 `json:"rows"`
	Open int64   `json:"open"`
}

// subscribe sends the page's subscription: a list view (empty for none)
// and the open conversation, from the live stream's position now.
func subscribe(t *testing.T, ts *testServer, conn *websocket.Conn, view string, open int64, rows ...int64) {
	t.Helper()
	m := ts.web.Hub().Mark()
	s := sub{Epoch: m.Epoch, Since: m.Seq, Open: open, Rows: rows}
	if view != "" {
		s.List = &struct {
			View    string `json:"view"`
			Sender  string `json:"sender"`
			Channel string `json:"channel"`
		}{View: view}
	}
	send(t, conn, s)
}

func send(t *testing.T, conn *websocket.Conn, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := conn.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatal(err)
	}
}

// nextContaining reads live messages until one contains want, leaving
// out the agent's notices (which quote messages; see nextNotify).
func nextContaining(t *testing.T, conn *websocket.Conn, want string) string {
	t.Helper()
	return nextMatching(t, conn, want, func(msg string) string { return notices.ReplaceAllString(msg, "") })
}

// notices are the notify parts of a live message.
var notices = regexp.MustCompile(`<i data-live="notify"[^>]*></i>`)

func nextMatching(t *testing.T, conn *websocket.Conn, want string, keep func(string) string) string {
	t.Helper()
	// Only a guard against a hang: a loaded machine under the race
	// detector may take seconds.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_ = conn.SetReadDeadline(deadline)
		_, b, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		if msg := keep(string(b)); strings.Contains(msg, want) {
			return msg
		}
	}
}

// fragment is the element of a live message that starts with start, up
// to its closing tag.
func fragment(t *testing.T, msg, start, end string) string {
	t.Helper()
	i := strings.Index(msg, start)
	if i < 0 {
		t.Fatalf("no %s in:\n%s", start, msg)
	}
	j := strings.Index(msg[i:], end)
	if j < 0 {
		t.Fatalf("%s not closed in:\n%s", start, msg)
	}
	return msg[i : i+j+len(end)]
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
	subscribe(t, ts, ca, "open", 0)
	subscribe(t, ts, cb, "open", 0)

	// A new conversation reaches both lists as a row; neither shows its
	// thread, so neither gets the bubble.
	ts.mustPost(inboundText("evt_1", "msg_1", "Is the shop open?", time.Now()))
	m := ts.mustMessage("msg_1")
	for _, c := range []*websocket.Conn{ca, cb} {
		got := nextContaining(t, c, "Is the shop open?")
		if !strings.Contains(got, fmt.Sprintf(`id="c-%d"`, m.ConversationID)) || !strings.Contains(got, `data-live="row"`) {
			t.Errorf("live update lacks the row:\n%s", got)
		}
		if strings.Contains(got, fmt.Sprintf(`id="m-%d"`, m.ID)) || strings.Contains(got, `id="head-`) {
			t.Errorf("a page that shows no thread got thread fragments:\n%s", got)
		}
	}

	// Both open the thread; the next message comes as a bubble too, with
	// the details it changed (the last contact). The header and composer
	// did not change: the pages have them already.
	subscribe(t, ts, ca, "open", m.ConversationID, m.ConversationID)
	subscribe(t, ts, cb, "open", m.ConversationID, m.ConversationID)
	ts.mustPost(inboundText("evt_2", "msg_2", "Hello?", time.Now()))
	m2 := ts.mustMessage("msg_2")
	for _, c := range []*websocket.Conn{ca, cb} {
		got := nextContaining(t, c, fmt.Sprintf(`id="m-%d"`, m2.ID))
		if !strings.Contains(got, fmt.Sprintf(`id="details-%d"`, m.ConversationID)) {
			t.Errorf("the open thread's details did not come with its message:\n%s", got)
		}
		if strings.Contains(got, `id="head-`) || strings.Contains(got, `id="composer-`) {
			t.Errorf("the thread's unchanged header or composer was sent again:\n%s", got)
		}
	}

	// Ben takes the conversation: both get the same header, which names
	// Ben; whether to offer "Assign to me" is the page's to decide.
	if p := b.post(fmt.Sprintf("/conversations/%d/assign", m.ConversationID), url.Values{"assignee": {"me"}}); p.status != http.StatusNoContent {
		t.Fatalf("assign: %d", p.status)
	}
	head := fmt.Sprintf(`<header class="thread-head" id="head-%d"`, m.ConversationID)
	anas := fragment(t, nextContaining(t, ca, head), head, "</header>")
	bens := fragment(t, nextContaining(t, cb, head), head, "</header>")
	if anas != bens {
		t.Errorf("agents got different headers:\n%s\n%s", anas, bens)
	}
	if !strings.Contains(anas, fmt.Sprintf(`data-assignee="%d"`, ben.ID)) || !strings.Contains(anas, "Ben Agent") {
		t.Errorf("header does not name Ben as the assignee:\n%s", anas)
	}
	// The picker does not list the whole team in every header.
	if strings.Contains(anas, "Ana Admin") {
		t.Errorf("header lists teammates:\n%s", anas)
	}
}

func TestLiveSendsAPageOnlyWhatItShows(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(ana.Email)
	now := time.Now()
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550001", "Zoe", "First", now.Add(-time.Minute)))
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550002", "Yuri", "Second", now.Add(-time.Minute)))
	zoe := ts.mustMessage("msg_1").ConversationID
	yuri := ts.mustMessage("msg_2").ConversationID

	c := a.live()
	waitClients(t, ts, 1)
	subscribe(t, ts, c, "resolved", 0)

	// Zoe writes again (her conversation is open, not in this list), then
	// Yuri's is resolved (it joins the list). Only Yuri's row comes.
	ts.mustPost(inboundFrom("evt_3", "msg_3", "+14155550001", "Zoe", "Hello again", now))
	if p := a.post(fmt.Sprintf("/conversations/%d/status", yuri), url.Values{"status": {"resolved"}}); p.status != http.StatusNoContent {
		t.Fatalf("resolve: %d", p.status)
	}
	got := nextContaining(t, c, fmt.Sprintf(`id="c-%d"`, yuri))
	if strings.Contains(got, "Hello again") || strings.Contains(got, fmt.Sprintf(`data-conversation="%d"`, zoe)) {
		t.Errorf("the resolved list got Zoe's open conversation:\n%s", got)
	}

	// Reopened, Yuri's row leaves the list.
	if p := a.post(fmt.Sprintf("/conversations/%d/status", yuri), url.Values{"status": {"open"}}); p.status != http.StatusNoContent {
		t.Fatalf("reopen: %d", p.status)
	}
	got = nextContaining(t, c, `data-live="gone"`)
	if !strings.Contains(got, fmt.Sprintf(`data-live="gone" data-conversation="%d"`, yuri)) || strings.Contains(got, `data-live="row"`) {
		t.Errorf("reopening did not remove the row:\n%s", got)
	}
}

func TestLiveReplaysWhatAPageMissedOrAsksItToFetch(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(ana.Email)

	// The page was rendered (its mark taken), then a message came before
	// its websocket subscribed: the subscription brings it.
	mark := ts.web.Hub().Mark()
	c := a.live()
	waitClients(t, ts, 1)
	ts.mustPost(inboundText("evt_1", "msg_1", "Sent while the page loaded", time.Now()))
	send(t, c, sub{Epoch: mark.Epoch, Since: mark.Seq, List: &struct {
		View    string `json:"view"`
		Sender  string `json:"sender"`
		Channel string `json:"channel"`
	}{View: "open"}})
	got := nextContaining(t, c, "Sent while the page loaded")
	seq := regexp.MustCompile(`data-live="seq" data-seq="(\d+)"`).FindStringSubmatch(got)
	if seq == nil || seq[1] == fmt.Sprint(mark.Seq) {
		t.Errorf("replayed update does not move the page's position on:\n%s", got)
	}

	// A page from before a restart (another epoch) fetches again.
	send(t, c, sub{Epoch: "another-run", Since: 1})
	nextContaining(t, c, `data-live="resync"`)
}

func TestLiveSendsTheTeamWhenItChangesAndReadMarksToTheReader(t *testing.T) {
	ts := newTestServer(t)
	a := ts.admin() // Ana
	ts.mustPost(inboundText("evt_1", "msg_1", "Hi", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	tab := ts.newAgent()
	tab.login("ana@example.com")
	c := tab.live()
	waitClients(t, ts, 1)
	subscribe(t, ts, c, "open", 0, conv)

	// An admin adds a teammate: the page's picker gets the new team.
	if p := a.post("/admin/agents", url.Values{"name": {"Cleo New"}, "email": {"cleo@example.com"}, "role": {"agent"}}); p.status >= 400 {
		t.Fatalf("add agent: %d", p.status)
	}
	got := fragment(t, nextContaining(t, c, `id="team-options"`), `<template id="team-options"`, "</template>")
	if !strings.Contains(got, "Cleo New") || !strings.Contains(got, "Ana") {
		t.Errorf("team options:\n%s", got)
	}

	// Ana reads the conversation in another tab: this one learns how far
	// she has read.
	if p := a.post(fmt.Sprintf("/conversations/%d/read", conv), url.Values{}); p.status != http.StatusNoContent {
		t.Fatalf("read: %d", p.status)
	}
	nextContaining(t, c, fmt.Sprintf(`data-live="read" data-conversation="%d" data-read="1"`, conv))
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

// expectSignedOut reads until the connection closes, and wants 1008, on
// which the page goes to the sign-in page.
func expectSignedOut(t *testing.T, c *websocket.Conn, why string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
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

func TestLiveSignOutClosesThatSessionsPages(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	laptop, phone := ts.newAgent(), ts.newAgent()
	laptop.login("ana@example.com")
	phone.login("ana@example.com")
	cl, cp := laptop.live(), phone.live()
	waitClients(t, ts, 2)
	subscribe(t, ts, cp, "open", 0)

	if p := laptop.post("/logout", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.status)
	}
	expectSignedOut(t, cl, "the signed-out tab's socket")
	// The phone's session goes on and still gets updates.
	ts.mustPost(inboundText("evt_1", "msg_1", "Still there?", time.Now()))
	nextContaining(t, cp, "Still there?")
}

// sessionToken is the agent's session cookie.
func (a *agent) sessionToken() string {
	u, _ := url.Parse(a.ts.srv.URL)
	for _, c := range a.client.Jar.Cookies(u) {
		if c.Name == "switchboard_session" {
			return c.Value
		}
	}
	a.t.Fatal("no session cookie")
	return ""
}

func TestLiveNoticesAnExpiredOrDeletedSession(t *testing.T) {
	ts := newTestServer(t)
	web.SetLiveSessionCheck(ts.web, 20*time.Millisecond)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	expiring, deleted, kept := ts.newAgent(), ts.newAgent(), ts.newAgent()
	for _, a := range []*agent{expiring, deleted, kept} {
		a.login("ana@example.com")
	}
	ce, cd, ck := expiring.live(), deleted.live(), kept.live()
	waitClients(t, ts, 3)
	subscribe(t, ts, ck, "open", 0)

	// One session runs out (its expiry passes), another is deleted from
	// the store: each one's socket is closed at its next check.
	sessions := ts.db.Sessions()
	tok := expiring.sessionToken()
	b, found, err := sessions.Find(tok)
	if err != nil || !found {
		t.Fatalf("find session: %v %v", found, err)
	}
	if err := sessions.Commit(tok, b, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := sessions.Delete(deleted.sessionToken()); err != nil {
		t.Fatal(err)
	}
	expectSignedOut(t, ce, "the expired session's socket")
	expectSignedOut(t, cd, "the deleted session's socket")

	// A session that holds keeps its socket through many checks.
	ts.mustPost(inboundText("evt_1", "msg_1", "Still there?", time.Now()))
	nextContaining(t, ck, "Still there?")
	if n := ts.web.Hub().Clients(); n != 1 {
		t.Errorf("%d pages connected, want the one whose session holds", n)
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

// A page that catches up on many updates gets them in one message, however
// large: the frame's length is written in its longest form.
func TestLiveSendsALargeCatchUpAsOneMessage(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	a, b := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	b.login(ana.Email)
	ts.mustPost(inboundText("evt_0", "msg_0", "Hello", time.Now()))
	conv := ts.mustMessage("msg_0").ConversationID
	mark := ts.web.Hub().Mark()
	watcher, late := a.live(), b.live()
	waitClients(t, ts, 2)
	subscribe(t, ts, watcher, "open", conv, conv)

	const n = 24
	long := strings.Repeat("where is my order? ", 200) // about 4 kB a bubble
	for i := range n {
		ts.mustPost(inboundText(fmt.Sprintf("evt_%d", i+1), fmt.Sprintf("msg_%d", i+1), fmt.Sprintf("big-%02d %s", i, long), time.Now()))
	}
	// Updates may reach the pages in another order than the webhooks
	// came (they render side by side): the late page subscribes once the
	// watcher has seen every one, so all are in the hub's history.
	seen := map[int]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < n {
		_ = watcher.SetReadDeadline(deadline)
		_, b, err := watcher.ReadMessage()
		if err != nil {
			t.Fatalf("the watcher saw %d of the %d messages: %v", len(seen), n, err)
		}
		for i := range n {
			if strings.Contains(string(b), fmt.Sprintf("big-%02d", i)) {
				seen[i] = true
			}
		}
	}

	// The late page subscribes from before them all.
	send(t, late, sub{Epoch: mark.Epoch, Since: mark.Seq, Open: conv, List: &struct {
		View    string `json:"view"`
		Sender  string `json:"sender"`
		Channel string `json:"channel"`
	}{View: "open"}})
	got := nextContaining(t, late, "big-00")
	if len(got) <= 0xffff {
		t.Fatalf("catch-up is %d bytes; the test wants one over 64 KiB", len(got))
	}
	for i := range n {
		if !strings.Contains(got, fmt.Sprintf("big-%02d", i)) {
			t.Errorf("catch-up lacks message %d", i)
		}
	}
}

// A reply's status changes its bubble's tick and nothing a list or the
// thread's header shows: the thread's pages get the bubble alone, and the
// lists nothing.
func TestLiveStatusSendsTheBubbleAlone(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	a, b := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	b.login(ana.Email)
	now := time.Now()
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550001", "Zoe", "Where is my parcel?", now.Add(-time.Minute)))
	conv := ts.mustMessage("msg_1").ConversationID
	thread, list := a.live(), b.live()
	waitClients(t, ts, 2)
	subscribe(t, ts, thread, "open", conv, conv)
	subscribe(t, ts, list, "open", 0, conv)

	ts.mustPost(echoFrom("evt_2", "msg_2", "+14155550001", "It left today", now))
	reply := ts.mustMessage("msg_2")
	nextContaining(t, thread, fmt.Sprintf(`id="m-%d"`, reply.ID))
	nextContaining(t, list, "It left today")

	ts.mustPost(statusEvent("evt_3", "message.delivered", "msg_2", now.Add(time.Second)))
	got := nextContaining(t, thread, `data-status="delivered"`)
	if !strings.Contains(got, fmt.Sprintf(`id="m-%d"`, reply.ID)) {
		t.Errorf("the delivered tick came without its bubble:\n%s", got)
	}
	if strings.Contains(got, `data-live="row"`) || strings.Contains(got, `id="head-`) || strings.Contains(got, `id="details-`) {
		t.Errorf("a status sent the thread's page more than the bubble:\n%s", got)
	}
	// The list page gets nothing for it: the next thing it gets is the
	// next message's row.
	ts.mustPost(inboundFrom("evt_4", "msg_4", "+14155550001", "Zoe", "Thanks!", now.Add(2*time.Second)))
	got = nextMatching(t, list, `data-live="row"`, func(s string) string { return s })
	if !strings.Contains(got, "Thanks!") {
		t.Errorf("the list got a row for the status:\n%s", got)
	}
}

// A delivery report that overtook Zavu's answer to a reply and named
// another channel than the reply's conversation left its placeholder in
// a conversation of its own, which the list showed. Once the answer
// merges the placeholder into the reply, that conversation is gone: its
// row leaves the pages that show it.
func TestLiveDropsTheRowOfAConversationAPlaceholderLeft(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(ana.Email)
	ctx := t.Context()
	now := time.Now()
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe", "Where is my order?", now.Add(-time.Minute)))
	conv := ts.mustMessage("msg_1").ConversationID
	ts.mustPost(event("evt_2", "message.delivered", now, map[string]any{
		"messageId": "msg_zavu", "to": "+14155550101", "channel": "sms", "status": "delivered"}))
	other := ts.mustMessage("msg_zavu").ConversationID
	if other == conv {
		t.Fatalf("the report went into the reply's conversation; the test proves less than it should")
	}

	c := a.live()
	waitClients(t, ts, 1)
	subscribe(t, ts, c, "open", 0, conv, other)

	m, _, err := ts.db.QueueReply(ctx, inbox.Reply{ConversationID: conv, Source: inbox.SourceAPI, Type: inbox.TypeText,
		Text: "On its way", IdempotencyKey: "k1", At: now})
	if err != nil {
		t.Fatal(err)
	}
	es, err := ts.db.ClaimOutbox(ctx, now, time.Minute, 8)
	if err != nil || len(es) != 1 || es[0].MessageID != m.ID {
		t.Fatalf("claimed %+v (%v), want the reply", es, err)
	}
	ch, err := ts.db.OutboxSent(ctx, es[0].ID, inbox.SendResult{ZavuID: "msg_zavu", Status: inbox.StatusQueued}, now)
	if err != nil {
		t.Fatal(err)
	}
	ts.web.Publish(ch)
	got := nextContaining(t, c, fmt.Sprintf(`data-live="gone" data-conversation="%d"`, other))
	if strings.Contains(got, fmt.Sprintf(`data-live="gone" data-conversation="%d"`, conv)) {
		t.Errorf("the reply's conversation left the list:\n%s", got)
	}
	var list struct{ Items []apiConversation }
	if ts.get("/api/v1/conversations?status=all", &list); len(list.Items) != 1 || list.Items[0].ID != conv {
		t.Errorf("the API lists %+v, want conversation %d alone", list.Items, conv)
	}
}
