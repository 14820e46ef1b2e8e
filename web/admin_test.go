package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

func TestMarkReadOnOpenIsAnAdminSetting(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	agentUser := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	ts.zavu.AddInbound(zavu.Message{ID: "msg_1"})
	conv := ts.mustMessage("msg_1").ConversationID

	b := ts.newAgent()
	b.login(agentUser.Email)
	if p := b.get("/admin/settings"); p.status != http.StatusForbidden {
		t.Fatalf("an agent on the settings page: %d, want 403", p.status)
	}
	// Off by default: reading sends no read receipt.
	b.htmx(fmt.Sprintf("/conversations/%d", conv))
	b.post(fmt.Sprintf("/conversations/%d/read", conv), nil)
	time.Sleep(100 * time.Millisecond)
	if n := ts.zavu.TypingCount("msg_1"); n != 0 {
		t.Fatalf("read receipts sent with the setting off: %d", n)
	}

	a := ts.newAgent()
	a.login(admin.Email)
	a.get("/admin/settings")
	p := a.do(http.MethodPost, "/admin/settings", url.Values{"mark_read_on_open": {"on"}, "csrf": {a.csrf}}, nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.status)
	}
	if p := a.get("/admin/settings"); p.find("mark-read").AttrOr("checked", "no") == "no" {
		t.Fatal("the setting did not stick")
	}
	if row := a.get("/admin/audit").find("audit-entry").First().Text(); !strings.Contains(row, "Ana") || !strings.Contains(row, "settings.update") || !strings.Contains(row, "on") {
		t.Fatalf("the audit log does not show Ana's change: %q", row)
	}
	a.htmx(fmt.Sprintf("/conversations/%d", conv)) // unread for Ana
	a.post(fmt.Sprintf("/conversations/%d/read", conv), nil)
	deadline := time.Now().Add(3 * time.Second)
	for ts.zavu.TypingCount("msg_1") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no read receipt for the customer's message after opening (%d)", ts.zavu.TypingCount("msg_1"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A form larger than the server reads (pasted into a field with no limit
// of its own) is answered with a page that says what to do, not a bare
// "The request is too large."
func TestAdminFormTooLargeSaysWhatToDo(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	a.get("/admin/auto-replies")
	p := a.submit("/admin/auto-replies/rules", url.Values{"name": {"Big"}, "keywords": {strings.Repeat("price list, ", 6000)}, "rule_text": {"x"}})
	if p.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", p.status)
	}
	got := strings.Join(strings.Fields(p.doc.Find("main").Text()), " ")
	if !strings.Contains(got, "64 KB") || !strings.Contains(got, "Go back") {
		t.Errorf("the page says %q; want the limit and what to do", got)
	}
}
