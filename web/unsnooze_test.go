package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// A conversation snoozed by mistake, or one a teammate needs back before
// its time: the thread's Snooze menu wakes it now, and the thread says who
// did, without resolving it on the way (which would count in the reports).
func TestSnoozedConversationCanBeWokenFromTheThread(t *testing.T) {
	ts := newTestServer(t)
	ana, ben := ts.twoAdmins()
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my parcel?", time.Now()))
	conv := itoa(ts.mustMessage("msg_1").ConversationID)
	if p := ana.post("/conversations/"+conv+"/snooze", url.Values{"until": {"tomorrow"}}); p.status != http.StatusNoContent {
		t.Fatalf("snooze: %d %s", p.status, p.body)
	}
	page := ben.get("/conversations/" + conv)
	wake := page.find("snooze-wake")
	if wake.Length() != 1 {
		t.Fatalf("the snoozed conversation's thread offers no way to wake it now (%d)", wake.Length())
	}
	if p := ben.post("/conversations/"+conv+"/snooze", url.Values{wake.AttrOr("name", ""): {wake.AttrOr("value", "")}}); p.status != http.StatusNoContent {
		t.Fatalf("wake it: %d %s", p.status, p.body)
	}
	c, err := ts.db.Conversation(t.Context(), ts.mustMessage("msg_1").ConversationID)
	if err != nil || c.Status != inbox.Open || !c.SnoozedUntil.IsZero() {
		t.Fatalf("after waking: %s until %v (%v), want open", c.Status, c.SnoozedUntil, err)
	}
	lines := ben.htmx("/conversations/" + conv).find("activity-text").Text()
	if !strings.Contains(lines, "Ben ended the snooze") || strings.Contains(lines, "resolved") {
		t.Errorf("the thread's lines: %q, want Ben ended the snooze and nothing resolved", lines)
	}
	if ben.get("/conversations/"+conv).find("snooze-wake").Length() != 0 {
		t.Errorf("an open conversation still offers to wake it")
	}

	// Snoozed again; Ana resolves it while Ben's screen still shows it
	// snoozed: his Unsnooze leaves it resolved.
	if p := ana.post("/conversations/"+conv+"/snooze", url.Values{"until": {"tomorrow"}}); p.status != http.StatusNoContent {
		t.Fatalf("snooze: %d %s", p.status, p.body)
	}
	if p := ana.post("/conversations/"+conv+"/status", url.Values{"status": {"resolved"}}); p.status != http.StatusNoContent {
		t.Fatalf("resolve: %d %s", p.status, p.body)
	}
	if p := ben.post("/conversations/"+conv+"/snooze", url.Values{"until": {"wake"}}); p.status != http.StatusNoContent {
		t.Fatalf("wake it late: %d %s", p.status, p.body)
	}
	if c, err := ts.db.Conversation(t.Context(), ts.mustMessage("msg_1").ConversationID); err != nil || c.Status != inbox.Resolved {
		t.Errorf("Ben's late Unsnooze left it %s (%v), want resolved as Ana left it", c.Status, err)
	}
}
