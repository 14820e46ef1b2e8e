package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"switchboard/inbox"
)

// bulkForm is what the list's bulk bar posts for the rows ids, with the
// assignee each row showed on the agent's page (its data-assignee).
func bulkForm(t *testing.T, p page, action, value string, ids ...int64) url.Values {
	t.Helper()
	form := url.Values{"action": {action}, "value": {value}}
	for _, id := range ids {
		row := p.doc.Find(fmt.Sprintf(`[data-testid="conv-row"][data-conversation="%d"]`, id))
		if row.Length() != 1 {
			t.Fatalf("no row of conversation %d in the list:\n%s", id, p.body)
		}
		form.Add("id", fmt.Sprint(id))
		form.Add("from", row.AttrOr("data-assignee", ""))
	}
	return form
}

type bulkAnswer struct {
	Count   int
	Left    int
	Message string
	Undo    string
}

func postBulk(t *testing.T, a *agent, form url.Values) bulkAnswer {
	t.Helper()
	p := a.post("/conversations/bulk", form)
	var res bulkAnswer
	if p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &res) != nil {
		t.Fatalf("bulk %s: %d %s", form.Get("action"), p.status, p.body)
	}
	return res
}

// Ana selects three unassigned conversations in her list and assigns them
// to Cat; a moment before, Ben took one of them. That one stays Ben's and
// Ana is told so in words; the other two go to Cat, and her Undo takes
// back only those. A conversation unassigned meanwhile, or taken by Ana
// herself in another tab, is left too, and said so.
func TestBulkAssignLeavesWhatATeammateTookMeanwhile(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	benUser := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	catUser := ts.addUser("cat@example.com", "Cat", inbox.RoleAgent)
	ana, ben := ts.newAgent(), ts.newAgent()
	ana.login("ana@example.com")
	ben.login("ben@example.com")
	ids := ts.conversations(3)

	list := ana.get("/inbox")
	form := bulkForm(t, list, "assign", fmt.Sprint(catUser.ID), ids...)
	if p := ben.post(fmt.Sprintf("/conversations/%d/assign", ids[1]), url.Values{"assignee": {"me"}}); p.status != http.StatusNoContent {
		t.Fatalf("Ben takes one: %d %s", p.status, p.body)
	}
	res := postBulk(t, ana, form)
	if res.Count != 2 || res.Left != 1 || !strings.Contains(res.Message, "2 conversations assigned to Cat.") ||
		!strings.Contains(res.Message, "1 conversation was taken by Ben meanwhile and left with Ben.") || res.Undo == "" {
		t.Errorf("Ana's bulk assignment to Cat answered %+v, want 2 assigned to Cat and 1 said to be left with Ben", res)
	}
	assignee := func(id int64) any {
		c, err := ts.db.Conversation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return idOrNil(c.AssigneeID)
	}
	if a0, a1, a2 := assignee(ids[0]), assignee(ids[1]), assignee(ids[2]); a0 != catUser.ID || a1 != benUser.ID || a2 != catUser.ID {
		t.Errorf("after the bulk assignment: %v %v %v, want Cat (%d), Ben (%d), Cat", a0, a1, a2, catUser.ID, benUser.ID)
	}
	for _, l := range threadActivities(ana, ids[1]) {
		if strings.Contains(l, "Cat") {
			t.Errorf("the conversation Ben took got the line %q", l)
		}
	}

	// Undo: the two Ana changed go back to nobody; Ben's stays his.
	if p := ana.post("/conversations/bulk/undo", url.Values{"undo": {res.Undo}}); p.status != http.StatusNoContent {
		t.Fatalf("undo: %d %s", p.status, p.body)
	}
	if a0, a1, a2 := assignee(ids[0]), assignee(ids[1]), assignee(ids[2]); a0 != "nobody" || a1 != benUser.ID || a2 != "nobody" {
		t.Errorf("after the undo: %v %v %v, want nobody, Ben (%d), nobody", a0, a1, a2, benUser.ID)
	}

	// Every one left: nothing changes, nothing to undo.
	form = bulkForm(t, ana.get("/inbox"), "assign", "me", ids[0], ids[1])
	if p := ben.post(fmt.Sprintf("/conversations/%d/assign", ids[0]), url.Values{"assignee": {"me"}}); p.status != http.StatusNoContent {
		t.Fatalf("Ben takes another: %d %s", p.status, p.body)
	}
	if p := ben.post(fmt.Sprintf("/conversations/%d/assign", ids[1]), url.Values{"assignee": {""}}); p.status != http.StatusNoContent {
		t.Fatalf("Ben lets his go: %d %s", p.status, p.body)
	}
	res = postBulk(t, ana, form)
	if res.Count != 0 || res.Left != 2 || res.Undo != "" || !strings.HasPrefix(res.Message, "Nothing changed: ") ||
		!strings.Contains(res.Message, "1 conversation was taken by Ben meanwhile and left with Ben.") ||
		!strings.Contains(res.Message, "1 conversation was unassigned meanwhile and left unassigned.") {
		t.Errorf("Ana taking two that changed meanwhile answered %+v", res)
	}
	if a0, a1 := assignee(ids[0]), assignee(ids[1]); a0 != benUser.ID || a1 != "nobody" {
		t.Errorf("after Ana's refused take: %v %v, want Ben (%d), nobody", a0, a1, benUser.ID)
	}

	// One Ana took herself meanwhile (in another tab), assigned to Cat
	// from a page that still showed it unassigned.
	form = bulkForm(t, ana.get("/inbox"), "assign", fmt.Sprint(catUser.ID), ids[2])
	if p := ana.post(fmt.Sprintf("/conversations/%d/assign", ids[2]), url.Values{"assignee": {"me"}}); p.status != http.StatusNoContent {
		t.Fatalf("Ana takes one: %d %s", p.status, p.body)
	}
	if res = postBulk(t, ana, form); res.Count != 0 || !strings.Contains(res.Message, "1 conversation was assigned to you meanwhile and left with you.") {
		t.Errorf("Ana's bulk assignment of one she took meanwhile answered %+v", res)
	}

	// The same assignment as what a teammate made meanwhile is no
	// conflict: done.
	form = bulkForm(t, ana.get("/inbox"), "assign", fmt.Sprint(benUser.ID), ids[1])
	if p := ben.post(fmt.Sprintf("/conversations/%d/assign", ids[1]), url.Values{"assignee": {"me"}}); p.status != http.StatusNoContent {
		t.Fatalf("Ben takes it back: %d %s", p.status, p.body)
	}
	if res = postBulk(t, ana, form); res.Count != 1 || res.Left != 0 {
		t.Errorf("Ana assigning to Ben what Ben took meanwhile answered %+v, want done", res)
	}

	// A form whose assignees do not match its conversations is refused.
	form = url.Values{"action": {"assign"}, "value": {"me"}, "id": {fmt.Sprint(ids[0]), fmt.Sprint(ids[1])}, "from": {"0"}}
	if p := ana.post("/conversations/bulk", form); p.status != http.StatusBadRequest {
		t.Errorf("a bulk form with one assignee shown for two conversations: %d %s, want 400", p.status, p.body)
	}
}
