package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// Ana hands two conversations to Ben from the list's bulk bar: Ben hears
// of each, as when she assigns one from its thread (his "a teammate
// assigns a conversation to me" setting); assigning them to herself tells
// no one.
func TestBulkAssignTellsTheAssignee(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ben := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	a, b := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	b.login(ben.Email)
	cb := b.live()
	waitClients(t, ts, 1)
	var ids []int64
	for i := range 2 {
		ts.mustPost(inboundFrom(fmt.Sprintf("evt_%d", i), fmt.Sprintf("msg_%d", i), fmt.Sprintf("+1415555010%d", i), "Zoe", "Where is my order?", time.Now()))
		ids = append(ids, ts.mustMessage(fmt.Sprintf("msg_%d", i)).ConversationID)
	}
	form := url.Values{"action": {"assign"}, "value": {fmt.Sprint(ben.ID)}}
	for _, id := range ids {
		form.Add("id", fmt.Sprint(id))
	}
	if p := a.post("/conversations/bulk", form); p.status != http.StatusOK {
		t.Fatalf("bulk assign: %d %s", p.status, p.body)
	}
	// The new conversations' notices may come first, or between.
	for told := 0; told < len(ids); {
		n := nextNotify(t, cb)
		if strings.Contains(n, `data-kind="new_conversation"`) {
			continue
		}
		if !strings.Contains(n, `data-kind="assigned"`) || !strings.Contains(n, "Ana Admin assigned you") {
			t.Fatalf("Ben's notice after the bulk assignment: %s", n)
		}
		told++
	}
}
