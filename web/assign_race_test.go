package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

// assignMeForm is what the thread's "Assign to me" button posts, read from
// the page as the agent has it.
func assignMeForm(t *testing.T, p page) url.Values {
	t.Helper()
	raw, ok := p.find("assign-me").Attr("hx-vals")
	if !ok {
		t.Fatalf("no Assign to me in the thread:\n%s", p.body)
	}
	var vals map[string]string
	if err := json.Unmarshal([]byte(raw), &vals); err != nil {
		t.Fatalf("Assign to me's values %q: %v", raw, err)
	}
	form := url.Values{}
	for k, v := range vals {
		form.Set(k, v)
	}
	return form
}

// Two agents press "Assign to me" on the same unassigned conversation at
// once: one takes it, the other is told plainly who did, and nothing of
// theirs is stored over it.
func TestAssignToMeAtOnceOneWins(t *testing.T) {
	ts := newTestServer(t)
	ana, ben := ts.twoAdmins()
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my parcel?", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	path := fmt.Sprintf("/conversations/%d", conv)

	for round := 0; round < 3; round++ {
		if _, err := ts.db.Assign(t.Context(), conv, nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		forms := []url.Values{assignMeForm(t, ana.get(path)), assignMeForm(t, ben.get(path))}
		var wg sync.WaitGroup
		got := make([]page, 2)
		for i, a := range []*agent{ana, ben} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i] = a.post(path+"/assign", forms[i])
			}()
		}
		wg.Wait()
		won, lost := -1, -1
		for i, p := range got {
			switch p.status {
			case http.StatusNoContent:
				won = i
			case http.StatusConflict:
				lost = i
			}
		}
		if won < 0 || lost < 0 {
			t.Fatalf("round %d: both pressed Assign to me at once: statuses %d and %d, want one 204 and one 409 (%s | %s)",
				round, got[0].status, got[1].status, got[0].body, got[1].body)
		}
		winner := []string{"Ana", "Ben"}[won]
		if msg := got[lost].body; !strings.Contains(msg, winner+" has this conversation now") {
			t.Errorf("round %d: the agent who lost was told %s, want that %s took it", round, msg, winner)
		}
		c, err := ts.db.Conversation(t.Context(), conv)
		if err != nil {
			t.Fatal(err)
		}
		if head := ana.get(path).find("thread-head").AttrOr("data-assignee", ""); c.AssigneeID == nil || head != fmt.Sprint(*c.AssigneeID) {
			t.Errorf("round %d: the header shows assignee %s, the conversation has %d", round, head, c.AssigneeID)
		}
	}

	// A picker chosen on a page that still showed the conversation
	// unassigned, after Ben took it: Ana is told, Ben keeps it.
	if _, err := ts.db.Assign(t.Context(), conv, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	stale := formFields(ana.get(path), "thread-head")
	if _, ok := stale["from"]; !ok {
		t.Fatalf("the assignee picker says nothing of the assignee it showed: %v", stale)
	}
	if p := ben.post(path+"/assign", assignMeForm(t, ben.get(path))); p.status != http.StatusNoContent {
		t.Fatalf("Ben takes it: %d %s", p.status, p.body)
	}
	stale.Set("assignee", "me")
	if p := ana.post(path+"/assign", stale); p.status != http.StatusConflict || !strings.Contains(p.body, "Ben has this conversation now") {
		t.Errorf("Ana's stale picker: %d %s, want 409 saying Ben took it", p.status, p.body)
	}
	// Unassigning from a page that showed Ben: done, as Ben still has it.
	fresh := formFields(ana.get(path), "thread-head")
	fresh.Set("assignee", "")
	if p := ana.post(path+"/assign", fresh); p.status != http.StatusNoContent {
		t.Errorf("Ana unassigns what she sees Ben holding: %d %s", p.status, p.body)
	}
}

// An agent whose page still lists a teammate who was deactivated meanwhile
// assigns to them: they are told in words who cannot take it, and why.
func TestAssignToADeactivatedTeammateSaysWhy(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.admin()
	cleo := ts.addUser("cleo@example.com", "Cleo Brandt", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my parcel?", time.Now()))
	path := fmt.Sprintf("/conversations/%d", ts.mustMessage("msg_1").ConversationID)
	form := formFields(ana.get(path), "thread-head")
	if _, err := ts.db.DeactivateUser(t.Context(), cleo.ID, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	form.Set("assignee", fmt.Sprint(cleo.ID))
	p := ana.post(path+"/assign", form)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Cleo Brandt") || !strings.Contains(p.body, "deactivated") {
		t.Errorf("assigning to Cleo, deactivated: %d %s, want 400 saying Cleo Brandt is deactivated", p.status, p.body)
	}
}
