package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

// receive ingests, through inbox.Apply, n messages from phone on snd_1,
// a minute apart from at, and returns their conversation's id.
func receive(t *testing.T, db *DB, phone string, n int, at time.Time) int64 {
	t.Helper()
	var id int64
	for i := range n {
		key := fmt.Sprintf("%s_%d_%d", phone, at.UnixMilli(), i)
		res, err := db.Ingest(context.Background(), inboundEvent("evt_"+key, phone, "msg_"+key, "hello", at.Add(timeMinutes(i))), inbox.Apply)
		if err != nil {
			t.Fatal(err)
		}
		if res.State != inbox.EventApplied || len(res.Change.ConversationIDs) != 1 {
			t.Fatalf("ingest %s: %+v", key, res)
		}
		id = res.Change.ConversationIDs[0]
	}
	return id
}

// user creates an agent, active or not, and returns its id.
func user(t *testing.T, db *DB, name string, active bool) int64 {
	t.Helper()
	u := inbox.User{Email: strings.ToLower(name) + "@example.com", Name: name, Role: inbox.RoleAgent, Active: active}
	if err := db.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// unread returns the conversation's unread count for viewer (0: anyone),
// as ConversationFor and the list of all conversations give it, which
// must agree.
func unread(t *testing.T, db *DB, id, viewer int64) int64 {
	t.Helper()
	c, err := db.ConversationFor(context.Background(), id, viewer)
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := db.Conversations(context.Background(), inbox.ConversationFilter{ViewerID: viewer, Limit: maxLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, lc := range list {
		if lc.ID == id && lc.UnreadCount != c.UnreadCount {
			t.Errorf("conversation %d for viewer %d: %d unread in the list, %d alone", id, viewer, lc.UnreadCount, c.UnreadCount)
		}
	}
	return c.UnreadCount
}

func TestUnreadCountsArePerUser(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben := user(t, db, "Ana", true), user(t, db, "Ben", true)
	conv := receive(t, db, "+15550001", 3, t0)
	other := receive(t, db, "+15550002", 2, t0)

	for _, v := range []int64{0, ana, ben} {
		if n := unread(t, db, conv, v); n != 3 {
			t.Errorf("viewer %d: %d unread before anyone read, want 3", v, n)
		}
	}
	readAt := t0.Add(time.Hour)
	if err := db.MarkRead(ctx, conv, ana, readAt); err != nil {
		t.Fatal(err)
	}
	for v, want := range map[int64]int64{0: 0, ana: 0, ben: 3} {
		if n := unread(t, db, conv, v); n != want {
			t.Errorf("viewer %d: %d unread after Ana read, want %d", v, n, want)
		}
	}
	if n := unread(t, db, other, ana); n != 2 {
		t.Errorf("another conversation: %d unread for Ana, want 2", n)
	}
	var readCount, readAtMS int64
	if err := db.reader.QueryRow(`SELECT read_count, read_at FROM conversation_reads WHERE conversation_id = ? AND user_id = ?`,
		conv, ana).Scan(&readCount, &readAtMS); err != nil || readCount != 3 || readAtMS != readAt.UnixMilli() {
		t.Errorf("Ana's mark: %d at %d (%v), want 3 at %d", readCount, readAtMS, err, readAt.UnixMilli())
	}

	// A new message is unread for the reader too, and one more for Ben.
	receive(t, db, "+15550001", 1, t0.Add(2*time.Hour))
	for v, want := range map[int64]int64{0: 1, ana: 1, ben: 4} {
		if n := unread(t, db, conv, v); n != want {
			t.Errorf("viewer %d: %d unread after a new message, want %d", v, n, want)
		}
	}
	if err := db.MarkRead(ctx, conv, ben, readAt); err != nil {
		t.Fatal(err)
	}
	for v, want := range map[int64]int64{0: 0, ana: 1, ben: 0} {
		if n := unread(t, db, conv, v); n != want {
			t.Errorf("viewer %d: %d unread after Ben read, want %d", v, n, want)
		}
	}

	// A mark never moves back.
	inTx(t, db, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `UPDATE conversation_reads SET read_count = 10 WHERE user_id = ?`, ana)
		return err
	})
	if err := db.MarkRead(ctx, conv, ana, readAt); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT read_count FROM conversation_reads WHERE conversation_id = ? AND user_id = ?`, conv, ana); n != 10 {
		t.Errorf("read_count = %d after MarkRead, want it kept at 10", n)
	}

	if err := db.MarkRead(ctx, 999, ana, readAt); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("MarkRead of an unknown conversation: %v, want ErrNotFound", err)
	}
	if err := db.MarkRead(ctx, conv, 999, readAt); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("MarkRead by an unknown user: %v, want ErrInvalid", err)
	}
	if _, err := db.ConversationFor(ctx, 999, ana); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("ConversationFor an unknown conversation: %v, want ErrNotFound", err)
	}
}

func TestAssign(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, gone := user(t, db, "Ana", true), user(t, db, "Gone", false)
	conv := receive(t, db, "+15550001", 2, t0)
	at := t0.Add(time.Hour)

	c, err := db.Assign(ctx, conv, &ana, at)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != conv || c.AssigneeID == nil || *c.AssigneeID != ana || !c.UpdatedAt.Equal(at) ||
		c.Contact.Phone != "+15550001" || c.InboundCount != 2 || c.UnreadCount != 2 {
		t.Errorf("assigned: %+v", c)
	}
	zero := int64(0)
	if ids := listIDs(t, db, inbox.ConversationFilter{AssigneeID: &ana}); len(ids) != 1 || ids[0] != conv {
		t.Errorf("Ana's conversations: %v, want [%d]", ids, conv)
	}
	if ids := listIDs(t, db, inbox.ConversationFilter{AssigneeID: &zero}); len(ids) != 0 {
		t.Errorf("unassigned: %v, want none", ids)
	}

	for name, a := range map[string]*int64{"nil": nil, "a pointer to 0": &zero} {
		if _, err := db.Assign(ctx, conv, &ana, at); err != nil {
			t.Fatal(err)
		}
		c, err := db.Assign(ctx, conv, a, at.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		stored, err := db.Conversation(ctx, conv)
		if err != nil {
			t.Fatal(err)
		}
		if c.AssigneeID != nil || stored.AssigneeID != nil || !stored.UpdatedAt.Equal(at.Add(time.Minute)) {
			t.Errorf("unassign with %s: returned %v, stored %v", name, c.AssigneeID, stored.AssigneeID)
		}
		if ids := listIDs(t, db, inbox.ConversationFilter{AssigneeID: &zero}); len(ids) != 1 {
			t.Errorf("unassign with %s: unassigned list %v", name, ids)
		}
	}

	missing := int64(999)
	for name, a := range map[string]*int64{"an inactive user": &gone, "an unknown user": &missing} {
		if _, err := db.Assign(ctx, conv, a, at); !errors.Is(err, inbox.ErrInvalid) {
			t.Errorf("assign to %s: %v, want ErrInvalid", name, err)
		}
	}
	if c, _ := db.Conversation(ctx, conv); c.AssigneeID != nil {
		t.Errorf("a refused assignment changed the assignee to %d", *c.AssigneeID)
	}
	if _, err := db.Assign(ctx, 999, &ana, at); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("assign an unknown conversation: %v, want ErrNotFound", err)
	}
}

// AssignFrom leaves a conversation whose assignee changed since the screen
// showed it to whoever has it now, nil and a pointer to 0 both standing
// for nobody; asked for the assignee it already has, it is no conflict.
func TestAssignFromLeavesAnAssigneeChangedMeanwhile(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben := user(t, db, "Ana", true), user(t, db, "Ben", true)
	conv := receive(t, db, "+15550001", 1, t0)
	at := t0.Add(time.Hour)
	zero := int64(0)

	if _, err := db.Assign(ctx, conv, &ben, at); err != nil {
		t.Fatal(err)
	}
	for name, from := range map[string]*int64{"nil": nil, "a pointer to 0": &zero} {
		_, err := db.AssignFrom(ctx, conv, from, &ana, at)
		var meanwhile *inbox.AssignedMeanwhile
		if !errors.As(err, &meanwhile) || meanwhile.AssigneeID == nil || *meanwhile.AssigneeID != ben {
			t.Errorf("take Ben's conversation from nobody (%s): %v, want it assigned meanwhile to Ben", name, err)
		}
		if c, _ := db.Conversation(ctx, conv); c.AssigneeID == nil || *c.AssigneeID != ben {
			t.Errorf("a conversation assigned meanwhile went to %v", c.AssigneeID)
		}
	}
	if c, err := db.AssignFrom(ctx, conv, &ana, &ben, at); err != nil || c.AssigneeID == nil || *c.AssigneeID != ben {
		t.Errorf("ask for the assignee it has: %v, %v", c.AssigneeID, err)
	}
	if c, err := db.AssignFrom(ctx, conv, &ben, nil, at); err != nil || c.AssigneeID != nil {
		t.Errorf("let Ben's conversation go: %v, %v", c.AssigneeID, err)
	}
	for name, from := range map[string]*int64{"nil": nil, "a pointer to 0": &zero} {
		if _, err := db.Assign(ctx, conv, nil, at); err != nil {
			t.Fatal(err)
		}
		if c, err := db.AssignFrom(ctx, conv, from, &ana, at); err != nil || c.AssigneeID == nil || *c.AssigneeID != ana {
			t.Errorf("take an unassigned conversation from nobody (%s): %v, %v", name, c.AssigneeID, err)
		}
	}
	_, err := db.AssignFrom(ctx, conv, nil, &zero, at)
	var meanwhile *inbox.AssignedMeanwhile
	if !errors.As(err, &meanwhile) || meanwhile.AssigneeID == nil || *meanwhile.AssigneeID != ana {
		t.Errorf("let Ana's conversation go from nobody: %v, want it assigned meanwhile to Ana", err)
	}
}

// listIDs returns the ids of the first page of a list.
func listIDs(t *testing.T, db *DB, f inbox.ConversationFilter) []int64 {
	t.Helper()
	f.Limit = maxLimit
	items, _, err := db.Conversations(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(items))
	for i, c := range items {
		ids[i] = c.ID
	}
	return ids
}

func TestSetStatus(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := receive(t, db, "+15550001", 1, t0)
	at := t0.Add(time.Hour)

	c, err := db.SetStatus(ctx, conv, inbox.Resolved, at)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != inbox.Resolved || !c.UpdatedAt.Equal(at) || c.Contact.Phone != "+15550001" {
		t.Errorf("resolved: %+v", c)
	}
	if ids := listIDs(t, db, inbox.ConversationFilter{Status: inbox.Resolved}); len(ids) != 1 {
		t.Errorf("resolved list: %v", ids)
	}
	if ids := listIDs(t, db, inbox.ConversationFilter{Status: inbox.Open}); len(ids) != 0 {
		t.Errorf("open list: %v, want none", ids)
	}
	if c, err = db.SetStatus(ctx, conv, inbox.Open, at.Add(time.Minute)); err != nil || c.Status != inbox.Open {
		t.Errorf("reopen: %+v, %v", c, err)
	}
	for _, st := range []inbox.ConversationStatus{"", "closed", "Resolved"} {
		if _, err := db.SetStatus(ctx, conv, st, at); !errors.Is(err, inbox.ErrInvalid) {
			t.Errorf("status %q: %v, want ErrInvalid", st, err)
		}
	}
	if c, _ := db.Conversation(ctx, conv); c.Status != inbox.Open {
		t.Errorf("a refused status changed it to %s", c.Status)
	}
	if _, err := db.SetStatus(ctx, 999, inbox.Resolved, at); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("an unknown conversation: %v, want ErrNotFound", err)
	}
}

// The first-run setup's code: one for every process of a database until
// a user exists, then none, and forgotten.
func TestSetupCodeUntilTheFirstUser(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	code, open, err := db.SetupCode(ctx, "FIRSTCODE")
	if err != nil || !open || code != "FIRSTCODE" {
		t.Fatalf("SetupCode of an empty database: %q, %v, %v; want the fresh code kept", code, open, err)
	}
	if code, open, err = db.SetupCode(ctx, "OTHERCODE"); err != nil || !open || code != "FIRSTCODE" {
		t.Fatalf("SetupCode again: %q, %v, %v; want the code kept first", code, open, err)
	}
	if err := db.CreateFirstAdmin(ctx, &inbox.User{Email: "owner@example.com", Name: "Owner", PasswordHash: "hash"}); err != nil {
		t.Fatal(err)
	}
	if code, open, err = db.SetupCode(ctx, "THIRDCODE"); err != nil || open || code != "" {
		t.Fatalf("SetupCode once a user exists: %q, %v, %v; want none", code, open, err)
	}
	if _, ok, err := db.Setting(ctx, setupCodeKey); err != nil || ok {
		t.Fatalf("the setup code is still kept (%v, %v)", ok, err)
	}
}

func TestCreateFirstAdmin(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if n, err := db.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("CountUsers of an empty database: %d, %v", n, err)
	}
	if err := db.CreateFirstAdmin(ctx, &inbox.User{Email: "  "}); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("no e-mail address: %v, want ErrInvalid", err)
	}
	// The first admin is an active admin whatever the caller said.
	first := inbox.User{Email: " Owner@Example.com ", Name: "Owner", Role: inbox.RoleAgent, PasswordHash: "hash"}
	if err := db.CreateFirstAdmin(ctx, &first); err != nil {
		t.Fatal(err)
	}
	if first.ID == 0 || first.Email != "Owner@Example.com" || first.Role != inbox.RoleAdmin || !first.Active ||
		first.CreatedAt.IsZero() {
		t.Errorf("first admin: %+v", first)
	}
	got, err := db.User(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != first {
		t.Errorf("stored %+v, want %+v", got, first)
	}

	second := inbox.User{Email: "second@example.com", Name: "Second", Role: inbox.RoleAdmin, Active: true}
	if err := db.CreateFirstAdmin(ctx, &second); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("second CreateFirstAdmin: %v, want ErrConflict", err)
	}
	if second.ID != 0 {
		t.Errorf("the refused admin got id %d", second.ID)
	}
	if n, _ := db.CountUsers(ctx); n != 1 {
		t.Errorf("%d users after the refused admin, want 1", n)
	}
	if _, err := db.UserByEmail(ctx, "second@example.com"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("the refused admin was stored: %v", err)
	}
	// Once set up, users are created the usual way.
	if err := db.CreateUser(ctx, &second); err != nil {
		t.Fatal(err)
	}
	dup := inbox.User{Email: "OWNER@example.com", Role: inbox.RoleAgent}
	if err := db.CreateUser(ctx, &dup); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("an e-mail address taken in another case: %v, want ErrConflict", err)
	}
}

// TestCreateFirstAdminConcurrently races CreateFirstAdmin calls, in one
// batch of the writer and in separate ones: exactly one wins.
func TestCreateFirstAdminConcurrently(t *testing.T) {
	for _, batched := range []bool{true, false} {
		t.Run(fmt.Sprintf("batched=%v", batched), func(t *testing.T) {
			db := openTest(t)
			ctx := context.Background()
			callers := 8
			var release func()
			if batched {
				callers = 2
				release = holdWriter(t, db)
			}
			errs := make([]error, callers)
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() {
					u := inbox.User{Email: fmt.Sprintf("admin%d@example.com", i), Name: "Admin", Role: inbox.RoleAdmin}
					errs[i] = db.CreateFirstAdmin(ctx, &u)
				})
			}
			if batched {
				waitQueued(t, db, callers)
				release()
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, inbox.ErrConflict):
					t.Errorf("a losing call: %v, want ErrConflict", err)
				}
			}
			if won != 1 {
				t.Errorf("%d calls created the first admin, want 1", won)
			}
			if n, _ := db.CountUsers(ctx); n != 1 {
				t.Errorf("%d users, want 1", n)
			}
		})
	}
}

func TestUsersListsActiveFirstByName(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for _, u := range []struct {
		name   string
		active bool
	}{{"zoe", true}, {"Bob", false}, {"alice", true}, {"Carl", true}, {"Abe", false}} {
		user(t, db, u.name, u.active)
	}
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
	}
	if got, want := strings.Join(names, ","), "alice,Carl,zoe,Abe,Bob"; got != want {
		t.Errorf("Users: %s, want %s", got, want)
	}
	if n, err := db.CountUsers(ctx); err != nil || n != 5 {
		t.Errorf("CountUsers: %d, %v; want 5", n, err)
	}
	empty := openTest(t)
	if users, err := empty.Users(ctx); err != nil || len(users) != 0 {
		t.Errorf("Users of an empty database: %v, %v", users, err)
	}
}

// TestInboxListsUseIndexes fails when a list the inbox shows, for a
// viewer or not, would read the conversations without one of their
// indexes or sort in a temporary b-tree: with fresh statistics and
// without.
func TestInboxListsUseIndexes(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := user(t, db, "Ana", true)
	for i := range 30 {
		conv := receive(t, db, fmt.Sprintf("+1555%04d", i), 1+i%3, t0.Add(timeMinutes(i)))
		switch i % 3 {
		case 0:
			if _, err := db.Assign(ctx, conv, &ana, t0); err != nil {
				t.Fatal(err)
			}
		case 1:
			if _, err := db.SetStatus(ctx, conv, inbox.Resolved, t0); err != nil {
				t.Fatal(err)
			}
		}
		if i%2 == 0 {
			if err := db.MarkRead(ctx, conv, ana, t0); err != nil {
				t.Fatal(err)
			}
		}
	}
	cursor := encodeIDCursor(t0.Add(timeMinutes(20)).UnixMilli(), 20)
	zero := int64(0)
	var filters []inbox.ConversationFilter
	for _, st := range []inbox.ConversationStatus{"", inbox.Open, inbox.Resolved, inbox.Snoozed} {
		for _, assignee := range []*int64{nil, &ana, &zero} {
			for _, viewer := range []int64{0, ana} {
				for _, c := range []string{"", cursor} {
					for _, l := range []string{"", "refund"} {
						filters = append(filters, inbox.ConversationFilter{Status: st, AssigneeID: assignee, ViewerID: viewer, Cursor: c, Label: l})
					}
				}
			}
		}
	}
	check := func(when string) {
		for _, f := range filters {
			q, args, err := conversationsQuery(f)
			if err != nil {
				t.Fatal(err)
			}
			plan := explain(t, db, q, args...)
			name := fmt.Sprintf("%s, status %q, assignee %v, viewer %d, cursor %v, label %q", when, f.Status, derefID(f.AssigneeID),
				f.ViewerID, f.Cursor != "", f.Label)
			if bad := badStep(plan); bad != "" {
				t.Errorf("%s: the plan has %q:\n%s", name, bad, plan)
			}
			if !strings.Contains(plan, "USING INDEX conversations_") && !strings.Contains(plan, "USING COVERING INDEX conversations_") {
				t.Errorf("%s: no conversations index in the plan:\n%s", name, plan)
			}
			if strings.Contains(plan, "SCAN c\n") || strings.Contains(plan, "SCAN conversations") {
				t.Errorf("%s: the plan scans the conversations:\n%s", name, plan)
			}
			if f.ViewerID != 0 && !strings.Contains(plan, "SEARCH r USING PRIMARY KEY (conversation_id=? AND user_id=?)") {
				t.Errorf("%s: the viewer's mark is not one primary-key lookup:\n%s", name, plan)
			}
		}
		for _, viewer := range []int64{0, ana} {
			q, args := conversationQuery(1, viewer)
			if plan := explain(t, db, q, args...); badStep(plan) != "" || !strings.Contains(plan, "SEARCH c USING INTEGER PRIMARY KEY") {
				t.Errorf("%s: one conversation for viewer %d:\n%s", when, viewer, plan)
			}
		}
	}
	check("without statistics")
	inTx(t, db, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `ANALYZE`)
		return err
	})
	check("with statistics")
}

func derefID(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
