package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"switchboard/inbox"
)

// Ana resolves three conversations at once; in the seconds before she
// presses Undo, Ben takes one, labels another and reopens the third
// himself. Her undo reopens what her action resolved and leaves what Ben
// did as he did it.
func TestBulkUndoLeavesATeammatesChangesSince(t *testing.T) {
	ts := newTestServer(t)
	ts.label("vip", "red")
	ids := ts.conversations(3)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	benUser := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	ana, ben := ts.newAgent(), ts.newAgent()
	ana.login("ana@example.com")
	ben.login("ben@example.com")

	form := url.Values{"action": {"resolve"}}
	for _, id := range ids {
		form.Add("id", strconv.FormatInt(id, 10))
	}
	p := ana.post("/conversations/bulk", form)
	var res struct{ Undo string }
	if p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &res) != nil || res.Undo == "" {
		t.Fatalf("bulk resolve: %d %s", p.status, p.body)
	}
	conv := func(i int) string { return "/conversations/" + strconv.FormatInt(ids[i], 10) }
	if p := ben.post(conv(0)+"/assign", url.Values{"assignee": {"me"}}); p.status != http.StatusNoContent {
		t.Fatalf("Ben takes one: %d %s", p.status, p.body)
	}
	if p := ben.post(conv(1)+"/labels", url.Values{"label": {"vip"}, "toggle": {"vip"}}); p.status != http.StatusNoContent {
		t.Fatalf("Ben labels one: %d %s", p.status, p.body)
	}
	if p := ben.post(conv(2)+"/status", url.Values{"status": {"open"}}); p.status != http.StatusNoContent {
		t.Fatalf("Ben reopens one: %d %s", p.status, p.body)
	}
	if p := ana.post("/conversations/bulk/undo", url.Values{"undo": {res.Undo}}); p.status != http.StatusNoContent {
		t.Fatalf("undo: %d %s", p.status, p.body)
	}
	for i, id := range ids {
		c, err := ts.db.Conversation(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != inbox.Open {
			t.Errorf("conversation %d is %s after the undo, want open", i, c.Status)
		}
		switch i {
		case 0:
			if c.AssigneeID == nil || *c.AssigneeID != benUser.ID {
				t.Errorf("Ben took conversation 0 after Ana's bulk resolve; after her undo its assignee is %v, want Ben (%d)", c.AssigneeID, benUser.ID)
			}
		case 1:
			if len(c.Labels) != 1 || c.Labels[0].Name != "vip" {
				t.Errorf("Ben labelled conversation 1 vip after Ana's bulk resolve; after her undo its labels are %v", c.Labels)
			}
		}
	}

	// A snooze undone, with no one between: all three open again.
	form.Set("action", "snooze")
	form.Set("value", "1h")
	p = ana.post("/conversations/bulk", form)
	if p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &res) != nil || res.Undo == "" {
		t.Fatalf("bulk snooze: %d %s", p.status, p.body)
	}
	if p := ana.post("/conversations/bulk/undo", url.Values{"undo": {res.Undo}}); p.status != http.StatusNoContent {
		t.Fatalf("undo the snooze: %d %s", p.status, p.body)
	}
	for i, id := range ids {
		if c, err := ts.db.Conversation(t.Context(), id); err != nil || c.Status != inbox.Open {
			t.Errorf("conversation %d after undoing the snooze: %s %v, want open", i, c.Status, err)
		}
	}
}
