package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// The address of a conversation that no longer exists, loaded as a whole
// page (a bookmark, an old link, a reload), is the inbox saying so, as a
// page that had it open is told live, with a 404: not the error page's
// "There is nothing here with that id."
func TestGoneConversationsAddressShowsTheInboxSayingSo(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ctx := t.Context()
	now := time.Now()
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", now.Add(-time.Minute)))
	ts.mustPost(event("evt_2", "message.delivered", now, map[string]any{
		"messageId": "msg_zavu", "to": "+14155550101", "channel": "sms", "status": "delivered"}))
	conv, other := ts.mustMessage("msg_1").ConversationID, ts.mustMessage("msg_zavu").ConversationID
	if conv == other {
		t.Fatalf("the report went into the reply's conversation; the test proves less than it should")
	}
	m, _, err := ts.db.QueueReply(ctx, inbox.Reply{ConversationID: conv, Source: inbox.SourceAPI, Type: inbox.TypeText,
		Text: "On its way", IdempotencyKey: "k1", At: now})
	if err != nil {
		t.Fatal(err)
	}
	es, err := ts.db.ClaimOutbox(ctx, now, time.Minute, 8)
	if err != nil || len(es) != 1 || es[0].MessageID != m.ID {
		t.Fatalf("claimed %+v (%v), want the reply", es, err)
	}
	if _, err := ts.db.OutboxSent(ctx, es[0].ID, inbox.SendResult{ZavuID: "msg_zavu", Status: inbox.StatusQueued}, now); err != nil {
		t.Fatal(err)
	}

	a := ts.newAgent()
	a.login(ana.Email)
	p := a.get(fmt.Sprintf("/conversations/%d?view=unassigned", other))
	if p.status != http.StatusNotFound {
		t.Errorf("the gone conversation's address answered %d, want 404", p.status)
	}
	if strings.Contains(p.body, "nothing here with that id") {
		t.Errorf("the gone conversation's address shows the error page")
	}
	if got := p.find("thread-gone").Text(); !strings.Contains(got, "This conversation no longer exists.") {
		t.Errorf("the pane says %q, want that the conversation no longer exists", got)
	}
	if href, _ := p.find("thread-gone-back").Attr("href"); href != "/inbox?view=unassigned" {
		t.Errorf("Back to the list goes to %q, want the list it came from", href)
	}
	if p.find("conv-list").Length() != 1 || p.find("thread").Length() != 0 {
		t.Errorf("the page is not the inbox with no thread open")
	}
	if !strings.Contains(p.body, fmt.Sprintf(`id="c-%d"`, conv)) {
		t.Errorf("the list lacks the reply's conversation")
	}
	// The thread alone, as the page asks for it, is still a plain 404.
	if p := a.htmx(fmt.Sprintf("/conversations/%d", other)); p.status != http.StatusNotFound {
		t.Errorf("the gone conversation's thread answered %d, want 404", p.status)
	}
}
