package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// An agent deactivated before deactivating handed conversations back
// still held theirs: the upgrade (migrations 0033, PostgreSQL 0008) hands
// back his open and snoozed ones, the snooze kept, each with the line a
// deactivation writes today, the same row DeactivateUser writes when no
// admin is named. His resolved one keeps his name, an active teammate's
// stays hers, and an agent deactivated by this version, whose
// conversations went back then, gets no second line.
func TestMigrationHandsBackTheConversationsOfAgentsDeactivatedBefore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	ana := addTestUser(t, db, "ana@example.com", "Ana", inbox.RoleAdmin)
	ben := addTestUser(t, db, "ben@example.com", "Ben", inbox.RoleAgent)
	cat := addTestUser(t, db, "cat@example.com", "Cat", inbox.RoleAgent)
	dan := addTestUser(t, db, "dan@example.com", "Dan", inbox.RoleAgent)
	var ids []int64
	for i := range 5 {
		ids = append(ids, receive(t, db, fmt.Sprintf("+1555300%d", i), 1, t0.Add(timeMinutes(i))))
	}
	open, snoozed, resolved, cats, dans := ids[0], ids[1], ids[2], ids[3], ids[4]
	until := t0.Add(48 * time.Hour)
	update(t, db, ids[:3], inbox.ConversationUpdate{Assign: true, AssigneeID: &ben.ID}, t0)
	update(t, db, []int64{cats}, inbox.ConversationUpdate{Assign: true, AssigneeID: &cat.ID}, t0)
	update(t, db, []int64{dans}, inbox.ConversationUpdate{Assign: true, AssigneeID: &dan.ID}, t0)
	update(t, db, []int64{snoozed}, inbox.ConversationUpdate{Status: status(inbox.Snoozed), SnoozedUntil: until}, t0)
	update(t, db, []int64{resolved}, inbox.ConversationUpdate{Status: status(inbox.Resolved)}, t0)
	// Dan is deactivated by this version, by no admin, as the migration
	// does it: his line is the one to compare with.
	ch, err := db.DeactivateUser(ctx, dan.ID, 0, t0.Add(time.Hour))
	if err != nil || len(ch.MessageIDs) != 1 {
		t.Fatalf("deactivate Dan: %+v, %v", ch, err)
	}
	dansLine := ch.MessageIDs[0]
	// Ben was deactivated by an older version, which left his
	// conversations with him; the database is as that version left it.
	version := 33
	if onPostgres(t) {
		version = 8
	}
	inTx(t, db, func(ctx context.Context, w *writeTx) error {
		if _, err := w.execSQL(ctx, `UPDATE users SET active = ? WHERE id = ?`, false, ben.ID); err != nil {
			return err
		}
		_, err := w.execSQL(ctx, `DELETE FROM schema_migrations WHERE version = ?`, version)
		return err
	})
	db.Close()

	before := time.Now().Truncate(time.Millisecond)
	db, err = testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	after := time.Now()
	if n := count(t, db, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version); n != 1 {
		t.Fatalf("migration %d recorded %d times", version, n)
	}
	if got, _ := db.User(ctx, ben.ID); got.Active || got.Role != inbox.RoleAgent {
		t.Errorf("Ben after the upgrade: %s active=%v, want still a deactivated agent", got.Role, got.Active)
	}

	var lines []int64
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
		{"Dan's conversation, handed back at his deactivation", dans, nil, inbox.Open, false},
	} {
		got, err := db.Conversation(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if derefID(got.AssigneeID) != derefID(c.assignee) || got.Status != c.status {
			t.Errorf("%s: assignee %v, %s; want %v, %s", c.what, derefID(got.AssigneeID), got.Status, derefID(c.assignee), c.status)
		}
		if c.status == inbox.Snoozed && !got.SnoozedUntil.Equal(until) {
			t.Errorf("%s is snoozed until %v, want %v kept", c.what, got.SnoozedUntil, until)
		}
		ms, _, err := db.Messages(ctx, c.id, inbox.MessageFilter{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var mine []inbox.Message
		for _, m := range ms {
			if a := m.Content; m.Type == inbox.TypeActivity && a != nil && a.Activity != nil && a.Activity.Kind == inbox.ActivityUnassigned &&
				m.ID != dansLine {
				mine = append(mine, m)
			}
		}
		switch {
		case !c.line && len(mine) != 0:
			t.Errorf("%s got an unassigned line from the upgrade: %+v", c.what, *mine[0].Content.Activity)
		case c.line && len(mine) != 1:
			t.Errorf("%s has %d unassigned lines, want 1", c.what, len(mine))
		case c.line:
			m := mine[0]
			a := m.Content.Activity
			if a.Detail != inbox.UnassignedDeactivated || derefID(a.TargetID) != ben.ID || m.AuthorID != nil || m.Source != inbox.SourceSwitchboard {
				t.Errorf("%s's line: %+v by %v (%s), want Ben (%d) deactivated, by Switchboard", c.what, *a, derefID(m.AuthorID), m.Source, ben.ID)
			}
			if m.CreatedAt.Before(before) || m.CreatedAt.After(after) || !got.UpdatedAt.Equal(m.CreatedAt) {
				t.Errorf("%s's line at %v, the conversation updated at %v: want both the upgrade's time, within %v and %v",
					c.what, m.CreatedAt, got.UpdatedAt, before, after)
			}
			lines = append(lines, m.ID)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("lines %v", lines)
	}
	// The rows are those DeactivateUser writes, but for their target
	// and time; the line of the lower conversation comes first.
	if lines[0] > lines[1] {
		t.Errorf("the open conversation's line %d comes after the snoozed one's %d", lines[0], lines[1])
	}
	want := messageRow(t, db, dansLine)
	want[0] = strings.Replace(want[0], fmt.Sprintf(`"targetId":%d,`, dan.ID), fmt.Sprintf(`"targetId":%d,`, ben.ID), 1)
	for _, id := range lines {
		if got := messageRow(t, db, id); !slices.Equal(got, want) {
			t.Errorf("the upgrade's line %d:\n%q\nDeactivateUser's, for Ben:\n%q", id, got, want)
		}
	}
	// Ana, the admin, is as she was.
	if got, _ := db.User(ctx, ana.ID); !got.Active || got.Role != inbox.RoleAdmin {
		t.Errorf("Ana after the upgrade: %+v", got)
	}
}

// messageRow is what a stored message holds but its id, conversation,
// channel and times, as text, its content first.
func messageRow(t *testing.T, db *DB, id int64) []string {
	t.Helper()
	cols := []string{"content", "zavu_id", "direction", "type", "text", "status", "queued_at", "sending_at", "sent_at",
		"delivered_at", "read_at", "failed_at", "error_code", "error_message", "source", "author_id", "auto_reply_rule",
		"provisional", "rev"}
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := db.reader.QueryRow(`SELECT `+strings.Join(cols, ", ")+` FROM messages WHERE id = ?`, id).Scan(dest...); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(cols))
	for i, v := range vals {
		out[i] = cols[i] + "=NULL"
		if v.Valid {
			out[i] = v.String
			if i > 0 {
				out[i] = cols[i] + "=" + v.String
			}
		}
	}
	return out
}
