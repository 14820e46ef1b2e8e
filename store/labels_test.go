package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

func label(t *testing.T, db *DB, name, colour string) inbox.Label {
	t.Helper()
	l := inbox.Label{Name: name, Colour: colour, CreatedAt: t0}
	if err := db.CreateLabel(context.Background(), &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func update(t *testing.T, db *DB, ids []int64, u inbox.ConversationUpdate, at time.Time) []inbox.StateChange {
	t.Helper()
	before, _, err := db.UpdateConversations(context.Background(), ids, u, at)
	if err != nil {
		t.Fatal(err)
	}
	return before
}

func status(s inbox.ConversationStatus) *inbox.ConversationStatus { return &s }

func labelNames(c inbox.Conversation) []string {
	var out []string
	for _, l := range c.Labels {
		out = append(out, l.Name)
	}
	return out
}

func TestLabelsAreUniqueAndChecked(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	label(t, db, "Refund", "red")
	for _, tc := range []struct {
		l    inbox.Label
		code string
	}{
		{inbox.Label{Name: "refund", Colour: "blue"}, "label_taken"},
		{inbox.Label{Name: "  ", Colour: "blue"}, "invalid_label"},
		{inbox.Label{Name: "vip", Colour: "#ff0000"}, "invalid_colour"},
		{inbox.Label{Name: strings.Repeat("x", 41)}, "invalid_label"},
	} {
		err := db.CreateLabel(ctx, &tc.l)
		var ie *inbox.InvalidError
		if !errors.As(err, &ie) || ie.Code != tc.code || !errors.Is(err, inbox.ErrInvalid) {
			t.Errorf("create %+v: %v, want code %s", tc.l, err, tc.code)
		}
	}
	ls, err := db.Labels(ctx)
	if err != nil || len(ls) != 1 || ls[0].Name != "Refund" || ls[0].Colour != "red" {
		t.Fatalf("labels: %+v, %v", ls, err)
	}
}

// Both ways of listing a label's conversations: from the label's rows
// (a label on few) and walking the list (a label on many).
func TestLabelFilter(t *testing.T) {
	for _, factor := range []int{1 << 30, -1} {
		t.Run(fmt.Sprintf("drive factor %d", factor), func(t *testing.T) {
			was := labelDriveFactor
			labelDriveFactor = factor
			defer func() { labelDriveFactor = was }()
			testLabelFilter(t)
		})
	}
}

func testLabelFilter(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	refund := label(t, db, "refund", "red")
	label(t, db, "vip", "blue")
	var ids []int64
	for i := range 6 {
		ids = append(ids, receive(t, db, fmt.Sprintf("+1555000%d", i), 1, t0.Add(timeMinutes(i))))
	}
	update(t, db, []int64{ids[0], ids[2], ids[4]}, inbox.ConversationUpdate{AddLabels: []string{"REFUND"}}, t0)
	update(t, db, []int64{ids[2], ids[3]}, inbox.ConversationUpdate{AddLabels: []string{"vip"}}, t0)
	update(t, db, []int64{ids[4]}, inbox.ConversationUpdate{Status: status(inbox.Resolved)}, t0)

	if got, want := listIDs(t, db, inbox.ConversationFilter{Label: "refund"}), []int64{ids[4], ids[2], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("label refund: %v, want %v", got, want)
	}
	if got, want := listIDs(t, db, inbox.ConversationFilter{Label: "Refund", Status: inbox.Open}), []int64{ids[2], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("open with label refund: %v, want %v", got, want)
	}
	if got := listIDs(t, db, inbox.ConversationFilter{Label: "nope"}); len(got) != 0 {
		t.Errorf("an unknown label lists %v", got)
	}
	if n, err := db.CountConversations(ctx, inbox.ConversationFilter{Label: "vip", Status: inbox.Open}); err != nil || n != 2 {
		t.Errorf("count vip: %d, %v", n, err)
	}
	// Pages of a label's list follow each other.
	items, next, err := db.Conversations(ctx, inbox.ConversationFilter{Label: "refund", Limit: 2})
	if err != nil || len(items) != 2 || next == "" {
		t.Fatalf("first page: %d items, next %q, %v", len(items), next, err)
	}
	rest, _, err := db.Conversations(ctx, inbox.ConversationFilter{Label: "refund", Limit: 2, Cursor: next})
	if err != nil || len(rest) != 1 || rest[0].ID != ids[0] {
		t.Fatalf("second page: %+v, %v", rest, err)
	}
	c, err := db.Conversation(ctx, ids[2])
	if err != nil || !slices.Equal(labelNames(c), []string{"refund", "vip"}) || c.Labels[0].Colour != "red" {
		t.Fatalf("conversation labels: %+v, %v", c.Labels, err)
	}
	// Replacing the set, and an unknown label, which changes nothing.
	update(t, db, []int64{ids[2]}, inbox.ConversationUpdate{Labels: &[]string{"vip"}}, t0)
	_, _, err = db.UpdateConversations(ctx, []int64{ids[0], ids[2]}, inbox.ConversationUpdate{AddLabels: []string{"vip", "nope"}}, t0)
	var ie *inbox.InvalidError
	if !errors.As(err, &ie) || ie.Code != "unknown_label" {
		t.Fatalf("an unknown label: %v", err)
	}
	if got := listIDs(t, db, inbox.ConversationFilter{Label: "vip"}); !slices.Equal(got, []int64{ids[3], ids[2]}) {
		t.Errorf("vip after the failed update: %v", got)
	}
	// The plan of a label on few conversations: its rows, then the page.
	q, args, err := labelDriveQuery(inbox.ConversationFilter{Label: "vip", Status: inbox.Open, ViewerID: 1, Cursor: next}, 2)
	if err != nil {
		t.Fatal(err)
	}
	plan := explain(t, db, q, args...)
	if !strings.Contains(plan, "SEARCH cl USING COVERING INDEX conversation_labels_by_label (label_id=?)") ||
		!strings.Contains(plan, "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)") || strings.Contains(plan, "SCAN") {
		t.Errorf("label plan:\n%s", plan)
	}
	// Deleting a label takes it off every conversation.
	if _, err := db.DeleteLabel(ctx, refund.ID); err != nil {
		t.Fatal(err)
	}
	if c, _ := db.Conversation(ctx, ids[0]); len(c.Labels) != 0 {
		t.Errorf("labels after delete: %+v", c.Labels)
	}
}

func TestBulkUpdateAndUndo(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := user(t, db, "Ana", true)
	label(t, db, "refund", "red")
	var ids []int64
	for i := range 3 {
		ids = append(ids, receive(t, db, fmt.Sprintf("+1555100%d", i), 1, t0.Add(timeMinutes(i))))
	}
	// Three different states before: one assigned and labelled, one
	// snoozed, one plain.
	update(t, db, ids[:1], inbox.ConversationUpdate{Assign: true, AssigneeID: &ana, AddLabels: []string{"refund"}}, t0)
	update(t, db, ids[1:2], inbox.ConversationUpdate{Status: status(inbox.Snoozed), SnoozedUntil: t0.Add(48 * time.Hour)}, t0)
	snap := func() []string {
		var out []string
		for _, id := range ids {
			c, err := db.Conversation(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d %s %v %v %v", id, c.Status, derefID(c.AssigneeID), labelNames(c), c.SnoozedUntil))
		}
		return out
	}
	was := snap()
	at := t0.Add(time.Hour)
	before := update(t, db, ids, inbox.ConversationUpdate{Status: status(inbox.Resolved), Assign: true, RemoveLabels: []string{"refund"}}, at)
	for _, id := range ids {
		c, _ := db.Conversation(ctx, id)
		if c.Status != inbox.Resolved || c.AssigneeID != nil || len(c.Labels) != 0 || !c.SnoozedUntil.IsZero() {
			t.Errorf("after bulk: %+v", c)
		}
	}
	if got := listIDs(t, db, inbox.ConversationFilter{Status: inbox.Snoozed}); len(got) != 0 {
		t.Errorf("snoozed after resolving all: %v", got)
	}
	if _, err := db.RestoreConversations(ctx, before, ana, at.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if now := snap(); !slices.Equal(now, was) {
		t.Errorf("after undo:\n%s\nwant\n%s", strings.Join(now, "\n"), strings.Join(was, "\n"))
	}
	// Each change is a line in the conversation's thread.
	got := activityLines(t, db, ids[0])
	want := []string{"label_added refund", "assigned", "label_removed refund", "unassigned", "resolved",
		"label_added refund", "assigned", "reopened"}
	if !slices.Equal(got, want) {
		t.Errorf("thread of %d: %q, want %q", ids[0], got, want)
	}
	if got := activityLines(t, db, ids[1]); !slices.Equal(got, []string{"snoozed", "snooze_ended", "resolved", "snoozed"}) {
		t.Errorf("thread of %d: %q", ids[1], got)
	}
}

// activityLines are the kinds (and details) of a thread's activity lines,
// oldest first.
func activityLines(t *testing.T, db *DB, conv int64) []string {
	t.Helper()
	ms, _, err := db.Messages(context.Background(), conv, inbox.MessageFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		if m.Type == inbox.TypeActivity && m.Content != nil && m.Content.Activity != nil {
			out = append(out, strings.TrimSpace(string(m.Content.Activity.Kind)+" "+m.Content.Activity.Detail))
		}
	}
	return out
}

func TestUpdateConversationsChecks(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	id := receive(t, db, "+15552000", 1, t0)
	off := user(t, db, "Gone", false)
	for _, tc := range []struct {
		name string
		ids  []int64
		u    inbox.ConversationUpdate
		want error
		code string
	}{
		{"snooze in the past", []int64{id}, inbox.ConversationUpdate{Status: status(inbox.Snoozed), SnoozedUntil: t0.Add(-time.Minute)}, inbox.ErrInvalid, "invalid_snooze"},
		{"until without snooze", []int64{id}, inbox.ConversationUpdate{SnoozedUntil: t0.Add(time.Hour)}, inbox.ErrInvalid, "invalid_snooze"},
		{"bad status", []int64{id}, inbox.ConversationUpdate{Status: status("pending")}, inbox.ErrInvalid, "invalid_status"},
		{"inactive assignee", []int64{id}, inbox.ConversationUpdate{Assign: true, AssigneeID: &off}, inbox.ErrInvalid, "invalid_assignee"},
		{"unknown conversation", []int64{id, 999}, inbox.ConversationUpdate{Status: status(inbox.Resolved)}, inbox.ErrNotFound, ""},
	} {
		_, _, err := db.UpdateConversations(ctx, tc.ids, tc.u, t0)
		var ie *inbox.InvalidError
		if !errors.Is(err, tc.want) || (tc.code != "" && (!errors.As(err, &ie) || ie.Code != tc.code)) {
			t.Errorf("%s: %v, want %v %s", tc.name, err, tc.want, tc.code)
		}
	}
	if c, _ := db.Conversation(ctx, id); c.Status != inbox.Open {
		t.Errorf("a failed update changed the conversation: %s", c.Status)
	}
}

func TestSnoozeLeavesOpenListsAndEndsOnTime(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	a := receive(t, db, "+15553000", 1, t0)
	b := receive(t, db, "+15553001", 1, t0.Add(time.Minute))
	c := receive(t, db, "+15553002", 1, t0.Add(2*time.Minute))
	until := t0.Add(3 * time.Hour)
	update(t, db, []int64{a}, inbox.ConversationUpdate{Status: status(inbox.Snoozed), SnoozedUntil: until}, t0.Add(time.Hour))
	update(t, db, []int64{b}, inbox.ConversationUpdate{Status: status(inbox.Snoozed)}, t0.Add(time.Hour))
	if got := listIDs(t, db, inbox.ConversationFilter{Status: inbox.Open}); !slices.Equal(got, []int64{c}) {
		t.Errorf("open: %v, want only %d", got, c)
	}
	if got := listIDs(t, db, inbox.ConversationFilter{Status: inbox.Snoozed}); !slices.Equal(got, []int64{b, a}) {
		t.Errorf("snoozed: %v", got)
	}
	if cv, _ := db.Conversation(ctx, a); cv.Status != inbox.Snoozed || !cv.SnoozedUntil.Equal(until) {
		t.Errorf("snoozed conversation: %s until %v", cv.Status, cv.SnoozedUntil)
	}
	next, ok, err := db.NextSnoozeEnd(ctx)
	if err != nil || !ok || !next.Equal(until) {
		t.Fatalf("next snooze end: %v %v %v, want %v", next, ok, err, until)
	}
	if ch, err := db.EndSnoozes(ctx, until.Add(-time.Millisecond)); err != nil || !ch.Empty() {
		t.Fatalf("a millisecond early: %v %v", ch, err)
	}
	ch, err := db.EndSnoozes(ctx, until)
	if err != nil || !slices.Equal(ch.ConversationIDs, []int64{a}) || len(ch.MessageIDs) != 1 {
		t.Fatalf("at the time: %+v %v", ch, err)
	}
	// Back open, at the top; the other waits for its customer.
	if got := listIDs(t, db, inbox.ConversationFilter{Status: inbox.Open}); !slices.Equal(got, []int64{a, c}) {
		t.Errorf("open after the snooze: %v", got)
	}
	if _, ok, _ := db.NextSnoozeEnd(ctx); ok {
		t.Error("a snooze until the customer writes has a due time")
	}
	// The customer writes: the snooze ends.
	receive(t, db, "+15553001", 1, t0.Add(4*time.Hour))
	if cv, _ := db.Conversation(ctx, b); cv.Status != inbox.Open {
		t.Errorf("after the customer wrote: %s", cv.Status)
	}
	for _, id := range []int64{a, b} {
		if got := activityLines(t, db, id); !slices.Equal(got, []string{"snoozed", "snooze_ended"}) {
			t.Errorf("thread of %d: %q", id, got)
		}
	}
}

// A snooze that fell due while Switchboard was down ends when it starts
// again: the timer reads the due time from the database.
func TestSnoozeDueWhileDownEndsOnStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "switchboard.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	id := receive(t, db, "+15554000", 1, t0)
	update(t, db, []int64{id}, inbox.ConversationUpdate{Status: status(inbox.Snoozed), SnoozedUntil: t0.Add(time.Hour)}, t0)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	published := make(chan inbox.Change, 4)
	now := func() time.Time { return t0.Add(8 * time.Hour) } // the next morning
	timer := inbox.NewSnoozeTimer(db, func(c inbox.Change) { published <- c }, now, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); timer.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case ch := <-published:
		if !slices.Equal(ch.ConversationIDs, []int64{id}) {
			t.Fatalf("published %v, want %d", ch.ConversationIDs, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the snooze did not end on start")
	}
	if c, _ := db.Conversation(context.Background(), id); c.Status != inbox.Open {
		t.Errorf("status %s after start", c.Status)
	}
}

// The timer sleeps until the earliest due time it reads, and a Wake makes
// it read again: a snooze added while it sleeps is not missed.
func TestSnoozeTimerWakesOnChange(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	id := receive(t, db, "+15555000", 1, t0)
	var clock = make(chan time.Time, 1)
	clock <- t0
	now := func() time.Time { t := <-clock; clock <- t; return t }
	published := make(chan inbox.Change, 4)
	timer := inbox.NewSnoozeTimer(db, func(c inbox.Change) { published <- c }, now, nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); timer.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	update(t, db, []int64{id}, inbox.ConversationUpdate{Status: status(inbox.Snoozed), SnoozedUntil: t0.Add(time.Hour)}, t0)
	<-clock
	clock <- t0.Add(time.Hour) // the hour passes
	timer.Wake()
	select {
	case ch := <-published:
		if !slices.Equal(ch.ConversationIDs, []int64{id}) {
			t.Fatalf("published %v", ch.ConversationIDs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the timer did not end the snooze")
	}
}

// "Tomorrow 09:00" chosen by an agent in New York on the eve of the
// change to winter time comes back at 09:00 EST (14:00 UTC), not an hour
// early.
func TestSnoozeEndsAtTheAgentsWallClockAcrossDST(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	db := openTest(t)
	ctx := context.Background()
	id := receive(t, db, "+15556000", 1, t0)
	now := time.Date(2026, 10, 31, 22, 0, 0, 0, time.UTC) // Saturday 18:00 EDT
	until, err := inbox.SnoozeUntil("tomorrow", "", now, loc)
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, []int64{id}, inbox.ConversationUpdate{Status: status(inbox.Snoozed), SnoozedUntil: until}, now)
	if ch, _ := db.EndSnoozes(ctx, time.Date(2026, 11, 1, 13, 0, 0, 0, time.UTC)); !ch.Empty() {
		t.Fatalf("ended at 08:00 EST: %v", ch)
	}
	if ch, _ := db.EndSnoozes(ctx, time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC)); !slices.Equal(ch.ConversationIDs, []int64{id}) {
		t.Fatalf("not ended at 09:00 EST: %v", ch)
	}
}

func TestSavedViews(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben := user(t, db, "Ana", true), user(t, db, "Ben", true)
	mine := inbox.SavedView{UserID: ana, Name: " Refunds  on SMS ", Filter: "channel=sms&label=refund", CreatedAt: t0}
	shared := inbox.SavedView{UserID: ben, Name: "VIP", Shared: true, Filter: "label=vip", CreatedAt: t0}
	private := inbox.SavedView{UserID: ben, Name: "Ben's", Filter: "view=mine", CreatedAt: t0}
	for _, v := range []*inbox.SavedView{&mine, &shared, &private} {
		if err := db.CreateSavedView(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateSavedView(ctx, &inbox.SavedView{UserID: ana, Name: "  "}); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("a view without a name: %v", err)
	}
	names := func(uid int64) []string {
		vs, err := db.SavedViews(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range vs {
			out = append(out, v.Name)
		}
		return out
	}
	if got := names(ana); !slices.Equal(got, []string{"Refunds on SMS", "VIP"}) {
		t.Errorf("Ana sees %q", got)
	}
	if err := db.DeleteSavedView(ctx, shared.ID, ana, false); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("an agent deletes another's shared view: %v", err)
	}
	if err := db.DeleteSavedView(ctx, private.ID, ana, true); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("an admin deletes another's private view: %v", err)
	}
	if err := db.DeleteSavedView(ctx, shared.ID, ana, true); err != nil {
		t.Errorf("an admin deletes a shared view: %v", err)
	}
	if got := names(ben); !slices.Equal(got, []string{"Ben's"}) {
		t.Errorf("Ben sees %q", got)
	}
}

// A renamed label's saved views filter by its new name; views of other
// labels, and filters that only mention it in another field, stay.
func TestRenamedLabelKeepsItsSavedViews(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := user(t, db, "Ana", true)
	refund := label(t, db, "Refund", "red")
	label(t, db, "Refund later", "blue")
	views := []*inbox.SavedView{
		{UserID: ana, Name: "Refunds on SMS", Filter: "channel=sms&label=refund", CreatedAt: t0},
		{UserID: ana, Name: "Later", Filter: "label=Refund+later", CreatedAt: t0},
		{UserID: ana, Name: "Sender", Filter: "sender=label%3Drefund", CreatedAt: t0},
		{UserID: ana, Name: "Refunds", Shared: true, Filter: "label=Refund&view=mine", CreatedAt: t0},
	}
	for _, v := range views {
		if err := db.CreateSavedView(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	refund.Name = "Money back"
	if err := db.UpdateLabel(ctx, &refund); err != nil {
		t.Fatal(err)
	}
	got, err := db.SavedViews(ctx, ana)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Refunds on SMS": "channel=sms&label=Money+back",
		"Later":          "label=Refund+later",
		"Sender":         "sender=label%3Drefund",
		"Refunds":        "label=Money+back&view=mine",
	}
	for _, v := range got {
		if v.Filter != want[v.Name] {
			t.Errorf("view %q filters %q, want %q", v.Name, v.Filter, want[v.Name])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d views, want %d", len(got), len(want))
	}
}

// A conversation's labels are named in any case, in every alphabet, as
// label names are unique: "ärger" from the API or a saved filter is the
// label "Ärger".
func TestLabelsAreNamedInAnyCase(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	id := receive(t, db, "+15552000", 1, t0)
	label(t, db, "Ärger", "red")
	label(t, db, "Δέμα", "blue")
	label(t, db, "VIP", "green")
	update(t, db, []int64{id}, inbox.ConversationUpdate{AddLabels: []string{"ärger", "ΔΈΜΑ", "vip"}}, t0)
	c, err := db.Conversation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(labelNames(c), ", "); got != "VIP, Ärger, Δέμα" {
		t.Errorf("labels %q", got)
	}
	update(t, db, []int64{id}, inbox.ConversationUpdate{RemoveLabels: []string{"äRGER"}}, t0)
	if c, _ = db.Conversation(ctx, id); strings.Join(labelNames(c), ", ") != "VIP, Δέμα" {
		t.Errorf("after removing äRGER: %q", labelNames(c))
	}
	_, _, err = db.UpdateConversations(ctx, []int64{id}, inbox.ConversationUpdate{AddLabels: []string{"Ärgernis"}}, t0)
	var ie *inbox.InvalidError
	if !errors.As(err, &ie) || ie.Code != "unknown_label" {
		t.Errorf("an unknown label: %v", err)
	}
}

// The inbox filtered by a label, its count and the views' counts find the
// label's conversations whatever the case the label is named in, as
// adding, removing and searching by it do: "ärger" finds those labelled
// "Ärger", also on SQLite, whose NOCASE folds only A to Z.
func TestConversationsFilteredByALabelNamedInAnyCase(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	id := receive(t, db, "+15552000", 1, t0)
	receive(t, db, "+15552001", 1, t0)
	label(t, db, "Ärger", "red")
	label(t, db, "Δέμα", "blue")
	update(t, db, []int64{id}, inbox.ConversationUpdate{AddLabels: []string{"Ärger", "Δέμα"}}, t0)
	for _, name := range []string{"Ärger", "ärger", "ÄRGER", "δέμα", "ΔΈΜΑ"} {
		f := inbox.ConversationFilter{Status: inbox.Open, Label: name}
		list, _, err := db.Conversations(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != id {
			t.Errorf("the list filtered by %q: %d conversations, want only %d", name, len(list), id)
		}
		if n, err := db.CountConversations(ctx, f); err != nil || n != 1 {
			t.Errorf("the count filtered by %q: %d (%v), want 1", name, n, err)
		}
		if v, err := db.ViewCounts(ctx, f); err != nil || v.Unassigned != 1 {
			t.Errorf("the views' counts filtered by %q: %+v (%v), want 1 unassigned", name, v, err)
		}
	}
	if list, _, err := db.Conversations(ctx, inbox.ConversationFilter{Label: "Ärgernis"}); err != nil || len(list) != 0 {
		t.Errorf("a name no label has: %d conversations (%v), want none", len(list), err)
	}
}

// The labels come in one order everywhere, on both engines: the list of
// labels (the admin page, the pickers), a conversation's labels and an
// export row's, by name whatever its case, letters beyond Z included,
// rather than in the order of the database's collation (NOCASE on SQLite
// puts "Über" before "ärger"; PostgreSQL's follows its locale).
func TestLabelsInOneOrderEverywhere(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	id := receive(t, db, "+15552000", 1, t0)
	names := []string{"Zeta", "Über wichtig", "late", "ärger", "VIP", "Émile"}
	for _, n := range names {
		label(t, db, n, "red")
	}
	update(t, db, []int64{id}, inbox.ConversationUpdate{AddLabels: names}, t0)
	want := "late, VIP, Zeta, ärger, Émile, Über wichtig"
	all, err := db.Labels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(labelNames(inbox.Conversation{Labels: all}), ", "); got != want {
		t.Errorf("the labels: %s, want %s", got, want)
	}
	c, err := db.Conversation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(labelNames(c), ", "); got != want {
		t.Errorf("the conversation's labels: %s, want %s", got, want)
	}
	var rows []inbox.ReportRow
	f := inbox.ReportFilter{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
	if err := db.ReportRows(ctx, f, func(r inbox.ReportRow) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || strings.Join(rows[0].Labels, ", ") != want {
		t.Errorf("the export rows %+v, want one labelled %s", rows, want)
	}
}

// The agents (active first) and the saved views come by name in the same
// order on both engines, whatever the case of a name's first letter and
// beyond Z; names the same but for case keep the order they were made in.
func TestAgentsAndViewsInOneOrderByName(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var made []inbox.User
	for i, n := range []string{"Zoe", "Ömer", "ébène", "ana", "Bob", "Ana"} {
		u := inbox.User{Email: fmt.Sprintf("u%d@example.com", i), Name: n, Role: inbox.RoleAgent, Active: n != "Bob"}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		made = append(made, u)
		if err := db.CreateSavedView(ctx, &inbox.SavedView{UserID: made[0].ID, Name: n, Shared: true, Filter: "view=open"}); err != nil {
			t.Fatal(err)
		}
	}
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range users {
		got = append(got, u.Name)
	}
	if want := "ana, Ana, Zoe, ébène, Ömer, Bob"; strings.Join(got, ", ") != want {
		t.Errorf("the agents: %s, want %s", strings.Join(got, ", "), want)
	}
	views, err := db.SavedViews(ctx, made[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, v := range views {
		got = append(got, v.Name)
	}
	if want := "ana, Ana, Bob, Zoe, ébène, Ömer"; strings.Join(got, ", ") != want {
		t.Errorf("the saved views: %s, want %s", strings.Join(got, ", "), want)
	}
}

// Ana's screen showed three conversations unassigned and she assigns them
// to Cat; Ben took one meanwhile. That one is left as Ben has it, with no
// line in its thread and out of the change; the other two go to Cat, and
// the undo puts back only those. An assignment that matches what changed
// meanwhile is done.
func TestBulkAssignFromLeavesWhatChangedMeanwhile(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben, cat := user(t, db, "Ana", true), user(t, db, "Ben", true), user(t, db, "Cat", true)
	var ids []int64
	for i := range 3 {
		ids = append(ids, receive(t, db, fmt.Sprintf("+1555300%d", i), 1, t0.Add(timeMinutes(i))))
	}
	update(t, db, ids[1:2], inbox.ConversationUpdate{Assign: true, AssigneeID: &ben, By: ben}, t0)
	shown := map[int64]*int64{ids[0]: nil, ids[1]: nil, ids[2]: new(int64)} // a pointer to 0: nobody too
	at := t0.Add(time.Hour)
	states, ch, err := db.UpdateConversations(ctx, ids, inbox.ConversationUpdate{Assign: true, AssigneeID: &cat, AssignFrom: shown, By: ana}, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 3 {
		t.Fatalf("%d states, want one for each of the 3 conversations", len(states))
	}
	for i, st := range states {
		want := cat
		if i == 1 {
			want = ben
		}
		if st.Before.ID != ids[i] || st.AssignedMeanwhile != (i == 1) || derefID(st.After.AssigneeID) != want {
			t.Errorf("state %d: %+v, want conversation %d assigned to %d, left as it was: %v", i, st, ids[i], want, i == 1)
		}
		if c, _ := db.Conversation(ctx, ids[i]); derefID(c.AssigneeID) != want {
			t.Errorf("conversation %d is assigned to %v, want %d", i, derefID(c.AssigneeID), want)
		}
	}
	if !slices.Equal(ch.ConversationIDs, []int64{ids[0], ids[2]}) || len(ch.MessageIDs) != 2 {
		t.Errorf("the change: %+v, want conversations %v and their two lines", ch, []int64{ids[0], ids[2]})
	}
	ms, _, err := db.Messages(ctx, ids[1], inbox.MessageFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Type == inbox.TypeActivity && m.CreatedAt.Equal(at) {
			t.Errorf("the conversation left as Ben had it got a line: %+v", *m.Content.Activity)
		}
	}

	var changed []inbox.StateChange
	for _, st := range states {
		if !st.AssignedMeanwhile {
			changed = append(changed, st)
		}
	}
	if _, err := db.RestoreConversations(ctx, changed, ana, at.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	for i, want := range []any{nil, ben, nil} {
		if c, _ := db.Conversation(ctx, ids[i]); derefID(c.AssigneeID) != want {
			t.Errorf("after the undo conversation %d is assigned to %v, want %v", i, derefID(c.AssigneeID), want)
		}
	}

	// Assigned to Ben from a screen that showed it unassigned, when Ben
	// has it: no conflict.
	states, ch, err = db.UpdateConversations(ctx, ids[1:2], inbox.ConversationUpdate{Assign: true, AssigneeID: &ben, AssignFrom: map[int64]*int64{ids[1]: nil}, By: ana}, at)
	if err != nil || states[0].AssignedMeanwhile || !slices.Equal(ch.ConversationIDs, ids[1:2]) {
		t.Errorf("assigning to Ben what Ben has: %+v %+v %v", states, ch, err)
	}
}
