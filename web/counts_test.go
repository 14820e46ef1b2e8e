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

// subscribeCounts subscribes a page that shows the open list and the
// view counts keys.
func subscribeCounts(t *testing.T, ts *testServer, conn *websocket.Conn, keys ...string) {
	t.Helper()
	m := ts.web.Hub().Mark()
	send(t, conn, map[string]any{"epoch": m.Epoch, "since": m.Seq, "list": map[string]string{"view": "open"},
		"rows": []int64{}, "open": 0, "counts": keys})
}

func countPart(key string, n int) string {
	return fmt.Sprintf(`<i data-live="count" data-view-count="%s" data-n="%d" hidden></i>`, key, n)
}

// A commit that moves a conversation changes the counts pages are sent:
// only the counts that changed, only to the pages that show them, and an
// agent's "Mine" only to that agent.
func TestLiveViewCountsFollowCommits(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ben := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	now := time.Now()
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550001", "Zoe", "First", now.Add(-time.Minute)))
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550002", "Yuri", "Second", now.Add(-time.Minute)))
	zoe := ts.mustMessage("msg_1").ConversationID
	yuri := ts.mustMessage("msg_2").ConversationID

	a, b := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	b.login(ben.Email)
	ca, cb := a.live(), b.live()
	waitClients(t, ts, 2)
	// Ana's page shows the nav's counts; Ben's only his "Mine".
	subscribeCounts(t, ts, ca, "", "view=mine", "view=unassigned", "view=snoozed")
	// A base no page showed is counted at once.
	got := nextContaining(t, ca, `data-view-count="view=unassigned"`)
	for _, want := range []string{countPart("", 2), countPart("view=unassigned", 2), countPart("view=snoozed", 0)} {
		if !strings.Contains(got, want) {
			t.Errorf("first counts lack %s:\n%s", want, got)
		}
	}
	subscribeCounts(t, ts, cb, "view=mine")

	// Ben takes Yuri: Unassigned goes down for Ana, Ben's Mine up for Ben.
	if p := b.post(fmt.Sprintf("/conversations/%d/assign", yuri), url.Values{"assignee": {"me"}}); p.status != http.StatusNoContent {
		t.Fatalf("assign: %d", p.status)
	}
	got = nextContaining(t, ca, `data-live="count"`)
	if !strings.Contains(got, countPart("view=unassigned", 1)) {
		t.Errorf("Ana's Unassigned did not follow:\n%s", got)
	}
	// In the same message as the row that moved it.
	if !strings.Contains(got, fmt.Sprintf(`id="c-%d"`, yuri)) {
		t.Errorf("Ana's counts came apart from Yuri's row:\n%s", got)
	}
	if strings.Contains(got, `data-view-count="" `) || strings.Contains(got, `data-view-count="view=mine"`) {
		t.Errorf("Ana got counts that did not change or are not hers:\n%s", got)
	}
	got = nextContaining(t, cb, `data-live="count"`)
	if !strings.Contains(got, countPart("view=mine", 1)) {
		t.Errorf("Ben's Mine did not follow:\n%s", got)
	}
	if strings.Contains(got, "view=unassigned") {
		t.Errorf("Ben's page got a count it does not show:\n%s", got)
	}

	// Resolving Zoe's conversation takes it out of Open and Unassigned.
	if p := a.post(fmt.Sprintf("/conversations/%d/status", zoe), url.Values{"status": {"resolved"}}); p.status != http.StatusNoContent {
		t.Fatalf("resolve: %d", p.status)
	}
	got = nextContaining(t, ca, `data-live="count"`)
	for _, want := range []string{countPart("", 1), countPart("view=unassigned", 0)} {
		if !strings.Contains(got, want) {
			t.Errorf("after resolving, counts lack %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "view=snoozed") {
		t.Errorf("an unchanged count was sent:\n%s", got)
	}
}

// The inbox page shows each view's count and the page's subscription
// names them, so that they stay live.
func TestInboxNavShowsViewCounts(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(ana.Email)
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550001", "Zoe", "First", time.Now()))
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550002", "Yuri", "Second", time.Now()))
	yuri := ts.mustMessage("msg_2").ConversationID
	if p := a.post(fmt.Sprintf("/conversations/%d/assign", yuri), url.Values{"assignee": {"me"}}); p.status != http.StatusNoContent {
		t.Fatalf("assign: %d", p.status)
	}
	body := a.get("/inbox?channel=whatsapp").body
	for _, want := range []string{
		`data-view-count="channel=whatsapp" data-testid="nav-count-open">2<`,
		`data-view-count="channel=whatsapp&amp;view=mine" data-testid="nav-count-mine">1<`,
		`data-view-count="channel=whatsapp&amp;view=unassigned" data-testid="nav-count-unassigned">1<`,
		`data-view-count="channel=whatsapp&amp;view=snoozed" data-testid="nav-count-snoozed">0<`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("nav lacks %s", want)
		}
	}
	if strings.Contains(body, `nav-count-resolved`) {
		t.Error("Resolved has a count")
	}
}
