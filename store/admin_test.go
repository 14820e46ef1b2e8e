package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

func addTestUser(t *testing.T, db *DB, email, name string, role inbox.Role) inbox.User {
	t.Helper()
	u := inbox.User{Email: email, Name: name, Role: role, PasswordHash: "hash-of-" + name, Active: true, CreatedAt: t0}
	if err := db.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSetRoleAndReactivateUser(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := addTestUser(t, db, "ana@example.com", "Ana", inbox.RoleAdmin)
	ben := addTestUser(t, db, "ben@example.com", "Ben", inbox.RoleAgent)

	if err := db.SetRole(ctx, ben.ID, inbox.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.User(ctx, ben.ID); got.Role != inbox.RoleAdmin || !got.Active {
		t.Errorf("after promotion: %s active=%v, want an active admin", got.Role, got.Active)
	}
	if _, err := db.DeactivateUser(ctx, ben.ID, ana.ID, t0); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRole(ctx, ben.ID, inbox.RoleAgent); err != nil {
		t.Fatal(err)
	}
	got, _ := db.User(ctx, ben.ID)
	if got.Role != inbox.RoleAgent || got.Active {
		t.Errorf("after deactivation and demotion: %s active=%v, want an inactive agent", got.Role, got.Active)
	}
	if us, _ := db.Users(ctx); len(us) != 2 || us[1].ID != ben.ID {
		t.Errorf("a deactivated user is not listed last: %+v", us)
	}
	if err := db.ReactivateUser(ctx, ben.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.User(ctx, ben.ID); !got.Active || got.Role != inbox.RoleAgent {
		t.Errorf("after reactivation: %s active=%v, want an active agent", got.Role, got.Active)
	}

	if err := db.SetRole(ctx, 999, inbox.RoleAgent); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("unknown user's role: %v, want ErrNotFound", err)
	}
	if err := db.ReactivateUser(ctx, 999); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("unknown user reactivated: %v, want ErrNotFound", err)
	}
	if err := db.SetRole(ctx, ben.ID, inbox.Role("owner")); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("unknown role: %v, want ErrInvalid", err)
	}
	if got, _ := db.User(ctx, ben.ID); got.Role != inbox.RoleAgent || !got.Active {
		t.Errorf("a refused change changed the user: %s active=%v", got.Role, got.Active)
	}
}

// A role change writes the role alone, and a reactivation whether the
// user may sign in alone: an admin's change made from what their page
// read before another admin's leaves the other's in place. Ben, made an
// admin after he was deactivated, stays deactivated, and what was handed
// back from him stays with the team; Old, made an agent before she was
// reactivated, comes back an agent.
func TestRoleChangesAndReactivationsKeepWhatChangedMeanwhile(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := addTestUser(t, db, "ana@example.com", "Ana", inbox.RoleAdmin)
	ben := addTestUser(t, db, "ben@example.com", "Ben", inbox.RoleAgent)
	old := addTestUser(t, db, "old@example.com", "Old", inbox.RoleAdmin)
	conv := receive(t, db, "+15552000001", 1, t0)
	update(t, db, []int64{conv}, inbox.ConversationUpdate{Assign: true, AssigneeID: &ben.ID}, t0)

	read, err := db.User(ctx, ben.ID) // Ana's page shows Ben, active
	if err != nil || !read.Active {
		t.Fatalf("Ben as read: %+v, %v", read, err)
	}
	if _, err := db.DeactivateUser(ctx, ben.ID, old.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRole(ctx, read.ID, inbox.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.User(ctx, ben.ID); got.Active || got.Role != inbox.RoleAdmin {
		t.Errorf("Ben made an admin after his deactivation: %s active=%v, want a deactivated admin", got.Role, got.Active)
	}
	if got, _ := db.Conversation(ctx, conv); got.AssigneeID != nil {
		t.Errorf("Ben's conversation after the role change: assignee %d, want Unassigned", *got.AssigneeID)
	}

	if _, err := db.DeactivateUser(ctx, old.ID, ana.ID, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	read, err = db.User(ctx, old.ID) // Ana's page shows Old, a deactivated admin
	if err != nil || read.Role != inbox.RoleAdmin {
		t.Fatalf("Old as read: %+v, %v", read, err)
	}
	if err := db.SetRole(ctx, old.ID, inbox.RoleAgent); err != nil {
		t.Fatal(err)
	}
	if err := db.ReactivateUser(ctx, read.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.User(ctx, old.ID); !got.Active || got.Role != inbox.RoleAgent {
		t.Errorf("Old made an agent before her reactivation: %s active=%v, want an active agent", got.Role, got.Active)
	}
}

func TestSetRoleNeverLeavesNoActiveAdmin(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := addTestUser(t, db, "ana@example.com", "Ana", inbox.RoleAdmin)
	ben := addTestUser(t, db, "ben@example.com", "Ben", inbox.RoleAgent)

	err := db.SetRole(ctx, ana.ID, inbox.RoleAgent)
	if !errors.Is(err, inbox.ErrLastAdmin) || !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("the only admin demoted: %v, want ErrLastAdmin (a conflict)", err)
	}
	if got, _ := db.User(ctx, ana.ID); got.Role != inbox.RoleAdmin || !got.Active {
		t.Fatalf("the refused change was written: %s active=%v", got.Role, got.Active)
	}
	// An inactive admin does not count, and may be made an agent.
	old := addTestUser(t, db, "old@example.com", "Old", inbox.RoleAdmin)
	if _, err := db.DeactivateUser(ctx, old.ID, ana.ID, t0); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRole(ctx, ana.ID, inbox.RoleAgent); !errors.Is(err, inbox.ErrLastAdmin) {
		t.Errorf("with only an inactive admin beside her, Ana demoted: %v, want ErrLastAdmin", err)
	}
	if err := db.SetRole(ctx, old.ID, inbox.RoleAgent); err != nil {
		t.Errorf("the inactive admin made an agent: %v", err)
	}
	activeAdmins := func() int {
		t.Helper()
		us, err := db.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		admins := 0
		for _, u := range us {
			if u.Role == inbox.RoleAdmin && u.Active {
				admins++
			}
		}
		return admins
	}
	// With a second active admin, either may step down, or be
	// deactivated, but not both at once.
	for _, c := range []struct {
		what string
		ben  func() error
	}{
		{"steps down", func() error { return db.SetRole(ctx, ben.ID, inbox.RoleAgent) }},
		{"is deactivated", func() error { _, err := db.DeactivateUser(ctx, ben.ID, ana.ID, t0); return err }},
	} {
		if err := db.SetRole(ctx, ben.ID, inbox.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := db.ReactivateUser(ctx, ben.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.SetRole(ctx, ana.ID, inbox.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); errs[0] = db.SetRole(ctx, ana.ID, inbox.RoleAgent) }()
		go func() { defer wg.Done(); errs[1] = c.ben() }()
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("Ana steps down as Ben %s: %v and %v, want exactly one refused", c.what, errs[0], errs[1])
		}
		if n := activeAdmins(); n != 1 {
			t.Errorf("Ana steps down as Ben %s: %d active admins left, want 1", c.what, n)
		}
	}
}

func TestSetPassword(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ben := addTestUser(t, db, "ben@example.com", "Ben", inbox.RoleAgent)
	if err := db.SetPassword(ctx, ben.ID, "new-hash"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.User(ctx, ben.ID); got.PasswordHash != "new-hash" || got.Role != inbox.RoleAgent || !got.Active {
		t.Errorf("after SetPassword: %+v", got)
	}
	if err := db.SetPassword(ctx, 999, "x"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("unknown user: %v, want ErrNotFound", err)
	}
	if err := db.SetPassword(ctx, ben.ID, ""); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("empty hash: %v, want ErrInvalid", err)
	}
	if got, _ := db.User(ctx, ben.ID); got.PasswordHash != "new-hash" {
		t.Errorf("a refused SetPassword changed the hash to %q", got.PasswordHash)
	}
}

// Deactivating Ben returns his open and snoozed conversations to
// Unassigned in the same transaction, each with a line in its thread
// saying why; his resolved one keeps his name, for the record, and
// another agent's stays theirs. The only active admin is still refused,
// and then nothing of hers changes.
func TestDeactivateUserReturnsTheirConversationsToUnassigned(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := addTestUser(t, db, "ana@example.com", "Ana", inbox.RoleAdmin)
	ben := addTestUser(t, db, "ben@example.com", "Ben", inbox.RoleAgent)
	cat := addTestUser(t, db, "cat@example.com", "Cat", inbox.RoleAgent)
	var ids []int64
	for i := range 5 {
		ids = append(ids, receive(t, db, fmt.Sprintf("+1555200%d", i), 1, t0.Add(timeMinutes(i))))
	}
	open, snoozed, resolved, cats, anas := ids[0], ids[1], ids[2], ids[3], ids[4]
	update(t, db, ids[:3], inbox.ConversationUpdate{Assign: true, AssigneeID: &ben.ID}, t0)
	update(t, db, []int64{cats}, inbox.ConversationUpdate{Assign: true, AssigneeID: &cat.ID}, t0)
	update(t, db, []int64{anas}, inbox.ConversationUpdate{Assign: true, AssigneeID: &ana.ID}, t0)
	update(t, db, []int64{snoozed}, inbox.ConversationUpdate{Status: status(inbox.Snoozed), SnoozedUntil: t0.Add(48 * time.Hour)}, t0)
	update(t, db, []int64{resolved}, inbox.ConversationUpdate{Status: status(inbox.Resolved)}, t0)

	at := t0.Add(time.Hour)
	ch, err := db.DeactivateUser(ctx, ben.ID, ana.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := db.User(ctx, ben.ID); got.Active {
		t.Error("Ben is still active")
	}
	if got := slices.Sorted(slices.Values(ch.ConversationIDs)); !slices.Equal(got, []int64{open, snoozed}) {
		t.Errorf("the change names conversations %v, want the open and the snoozed one %v", got, []int64{open, snoozed})
	}
	for _, c := range []struct {
		what     string
		id       int64
		assignee *int64
		status   inbox.ConversationStatus
		line     bool
	}{
		{"Ben's open conversation", open, nil, inbox.Open, true},
		{"Ben's snoozed conversation", snoozed, nil, inbox.Snoozed, true},
		{"Ben's resolved conversation", resolved, &ben.ID, inbox.Resolved, false},
		{"Cat's conversation", cats, &cat.ID, inbox.Open, false},
	} {
		got, err := db.Conversation(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if derefID(got.AssigneeID) != derefID(c.assignee) || got.Status != c.status {
			t.Errorf("%s: assignee %v, %s; want %v, %s", c.what, derefID(got.AssigneeID), got.Status, derefID(c.assignee), c.status)
		}
		if c.status == inbox.Snoozed && !got.SnoozedUntil.Equal(t0.Add(48*time.Hour)) {
			t.Errorf("%s is snoozed until %v, want it kept", c.what, got.SnoozedUntil)
		}
		ms, _, err := db.Messages(ctx, c.id, inbox.MessageFilter{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var lines []inbox.Message
		for _, m := range ms {
			if a := m.Content; m.Type == inbox.TypeActivity && a != nil && a.Activity != nil && a.Activity.Kind == inbox.ActivityUnassigned {
				lines = append(lines, m)
			}
		}
		switch {
		case !c.line && len(lines) != 0:
			t.Errorf("%s got an unassigned line", c.what)
		case c.line && len(lines) != 1:
			t.Errorf("%s has %d unassigned lines, want 1", c.what, len(lines))
		case c.line:
			m := lines[0]
			a := m.Content.Activity
			if a.Detail != inbox.UnassignedDeactivated || derefID(a.TargetID) != ben.ID || derefID(m.AuthorID) != ana.ID ||
				!m.CreatedAt.Equal(at) || !slices.Contains(ch.MessageIDs, m.ID) {
				t.Errorf("%s's line: %+v by %v at %v, want Ben (%d) deactivated by Ana (%d) at %v, in the change %v",
					c.what, *a, derefID(m.AuthorID), m.CreatedAt, ben.ID, ana.ID, at, ch.MessageIDs)
			}
		}
	}
	// Reactivated, Ben gets nothing back.
	if err := db.ReactivateUser(ctx, ben.ID); err != nil {
		t.Fatal(err)
	}
	if got := listIDs(t, db, inbox.ConversationFilter{AssigneeID: &ben.ID}); !slices.Equal(got, []int64{resolved}) {
		t.Errorf("after reactivation Ben has %v, want only the resolved one %d", got, resolved)
	}

	// The only active admin: refused, and her conversation stays hers.
	if _, err := db.DeactivateUser(ctx, ana.ID, ana.ID, at); !errors.Is(err, inbox.ErrLastAdmin) {
		t.Errorf("the only admin deactivated: %v, want ErrLastAdmin", err)
	}
	if got, _ := db.User(ctx, ana.ID); !got.Active {
		t.Error("the refused deactivation was written")
	}
	if got, _ := db.Conversation(ctx, anas); derefID(got.AssigneeID) != ana.ID {
		t.Errorf("a refused deactivation unassigned Ana's conversation: %v", derefID(got.AssigneeID))
	}
	if _, err := db.DeactivateUser(ctx, 999, ana.ID, at); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("an unknown user deactivated: %v, want ErrNotFound", err)
	}
}
