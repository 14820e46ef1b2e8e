package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
)

// threadActivities are the activity lines of a conversation's thread, as
// an agent's page shows them.
func threadActivities(a *agent, conv int64) []string {
	a.t.Helper()
	var out []string
	a.get(fmt.Sprintf("/conversations/%d", conv)).find("activity").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.Join(strings.Fields(s.Text()), " "))
	})
	return out
}

// Ana deactivates Ben, who holds an open conversation, a snoozed one and
// a resolved one: the open and the snoozed go back to Unassigned at once
// (the snoozed one still snoozed), each thread saying why; the resolved
// one keeps his name, as does Cat's conversation. Cat, with the
// Unassigned list and the open one's thread on screen, sees the row
// arrive, the header lose Ben and the Unassigned count go up, live; Ana is
// told how many went back. Reactivating Ben gives him none back.
func TestDeactivatingAnAgentReturnsTheirConversationsToUnassigned(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	anaUser := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	benUser := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	catUser := ts.addUser("cat@example.com", "Cat Agent", inbox.RoleAgent)
	ids := ts.conversations(4)
	open, snoozed, resolved, cats := ids[0], ids[1], ids[2], ids[3]
	now := time.Now()
	for _, id := range []int64{open, snoozed, resolved} {
		if _, err := ts.db.Assign(ctx, id, &benUser.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ts.db.Assign(ctx, cats, &catUser.ID, now); err != nil {
		t.Fatal(err)
	}
	st := inbox.Snoozed
	if _, _, err := ts.db.UpdateConversations(ctx, []int64{snoozed}, inbox.ConversationUpdate{Status: &st, SnoozedUntil: now.Add(time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.db.SetStatus(ctx, resolved, inbox.Resolved, now); err != nil {
		t.Fatal(err)
	}

	a, cat := ts.newAgent(), ts.newAgent()
	a.login(anaUser.Email)
	cat.login(catUser.Email)
	live := cat.live()
	waitClients(t, ts, 1)
	m := ts.web.Hub().Mark()
	send(t, live, map[string]any{"epoch": m.Epoch, "since": m.Seq, "list": map[string]string{"view": "unassigned"},
		"rows": []int64{}, "open": open, "counts": []string{"view=unassigned"}})
	nextContaining(t, live, `data-view-count="view=unassigned"`) // the count as it is: none

	path := fmt.Sprintf("/admin/agents/%d", benUser.ID)
	confirm := strings.Join(strings.Fields(a.get(path).find("agent-deactivate-what").Text()), " ")
	if !strings.Contains(confirm, "2 conversations") || !strings.Contains(confirm, "Unassigned") {
		t.Errorf("before deactivating, Ben's page says %q, want that his 2 open or snoozed conversations go back to Unassigned", confirm)
	}
	p := a.submit(path+"/deactivate", nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("deactivate Ben: %d %s", p.status, p.body)
	}
	notice := strings.Join(strings.Fields(a.get(p.header.Get("Location")).find("agent-notice").Text()), " ")
	if !strings.Contains(notice, "2 conversations") || !strings.Contains(notice, "went back to Unassigned") {
		t.Errorf("after deactivating Ben, Ana is told %q, want how many conversations went back to Unassigned", notice)
	}

	for _, c := range []struct {
		what     string
		id       int64
		assignee *int64
		status   inbox.ConversationStatus
		line     bool
	}{
		{"his open conversation", open, nil, inbox.Open, true},
		{"his snoozed conversation", snoozed, nil, inbox.Snoozed, true},
		{"his resolved conversation", resolved, &benUser.ID, inbox.Resolved, false},
		{"Cat's conversation", cats, &catUser.ID, inbox.Open, false},
	} {
		got, err := ts.db.Conversation(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if !inbox.SameAssignee(got.AssigneeID, c.assignee) || got.Status != c.status {
			t.Errorf("%s after Ben's deactivation: assignee %v, %s; want %v, %s", c.what, idOrNil(got.AssigneeID), got.Status, idOrNil(c.assignee), c.status)
		}
		lines := threadActivities(a, c.id)
		said := false
		for _, l := range lines {
			said = said || strings.Contains(l, "Unassigned: Ben Agent was deactivated")
		}
		if said != c.line {
			t.Errorf("%s: activity lines %q; want a line saying it was unassigned as Ben was deactivated: %v", c.what, lines, c.line)
		}
	}

	// Cat's page: the open conversation's row joins her Unassigned list,
	// its header no longer names Ben, and the count follows.
	row := fmt.Sprintf(`id="c-%d"`, open)
	got := nextContaining(t, live, row)
	head := fmt.Sprintf(`<header class="thread-head" id="head-%d"`, open)
	for _, want := range []string{`data-live="row"`, countPart("view=unassigned", 1)} {
		if !strings.Contains(got, want) {
			t.Errorf("Cat's live update lacks %s:\n%s", want, got)
		}
	}
	if !strings.Contains(got, head) {
		got = nextContaining(t, live, head)
	}
	if h := fragment(t, got, head, "</header>"); !strings.Contains(h, `data-assignee="0"`) || strings.Contains(h, "Ben Agent") {
		t.Errorf("the header on Cat's screen after Ben's deactivation:\n%s", h)
	}

	if entries := auditActions(a); !hasEntry(entries, "user.deactivate", "Ben Agent", "2 open or snoozed conversations back to Unassigned") {
		t.Errorf("the audit log does not say what became of Ben's conversations: %q", entries)
	}

	// Reactivated, Ben gets none of them back.
	if p := a.submit(path+"/reactivate", nil); p.status != http.StatusSeeOther {
		t.Fatalf("reactivate Ben: %d", p.status)
	}
	for _, id := range []int64{open, snoozed} {
		if got, _ := ts.db.Conversation(ctx, id); got.AssigneeID != nil {
			t.Errorf("conversation %d went back to %d when Ben was reactivated", id, *got.AssigneeID)
		}
	}
}

func idOrNil(id *int64) any {
	if id == nil {
		return "nobody"
	}
	return *id
}
