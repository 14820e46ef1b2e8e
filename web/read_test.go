package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

func TestOpeningAConversationChangesNothing(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	now := time.Now()
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", now.Add(-time.Minute)))
	ts.zavu.AddInbound(zavu.Message{ID: "msg_1"})
	ts.zavu.AddInbound(zavu.Message{ID: "msg_2"})
	conv := ts.mustMessage("msg_1").ConversationID

	a := ts.newAgent()
	a.login(ana.Email)
	a.get("/admin/settings")
	if p := a.do(http.MethodPost, "/admin/settings", url.Values{"mark_read_on_open": {"on"}, "csrf": {a.csrf}}, nil); p.status != http.StatusSeeOther {
		t.Fatalf("turning read receipts on: %d", p.status)
	}
	unread := func() string {
		t.Helper()
		return a.htmx("/inbox/list").find("row-unread").Text()
	}

	// Opened as htmx does it and as a whole page: still unread.
	if p := a.htmx(fmt.Sprintf("/conversations/%d", conv)); p.find("thread").Length() != 1 {
		t.Fatalf("the thread did not render: %d", p.status)
	}
	if p := a.get(fmt.Sprintf("/conversations/%d", conv)); p.find("thread").Length() != 1 {
		t.Fatalf("the page did not render: %d", p.status)
	}
	if got := unread(); got != "1" {
		t.Fatalf("after two GETs the row shows %q unread, want 1", got)
	}

	// The page's POST marks it read, and tells the customer about the
	// latest message only.
	ts.mustPost(inboundText("evt_2", "msg_2", "Still there?", now))
	if p := a.post(fmt.Sprintf("/conversations/%d/read", conv), nil); p.status != http.StatusNoContent {
		t.Fatalf("mark read: %d", p.status)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ts.zavu.TypingCount("msg_2") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("no read receipt after the page marked the conversation read")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := ts.zavu.TypingCount("msg_1"); n != 0 {
		t.Errorf("%d read receipts for the message shown by the GETs, want none", n)
	}
	if got := unread(); got != "" {
		t.Errorf("after marking read the row shows %q unread", got)
	}
}
