package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// On PostgreSQL a conversation's openings are replaced in one statement,
// the old ones deleted and the derived ones inserted, however many: a
// customer who writes first, is answered, and writes again after the
// conversation was resolved has two openings, stored with one statement
// each time they change.
func TestPostgresOpeningsAreReplacedInOneStatement(t *testing.T) {
	db, log := openTracedPostgres(t)
	ctx := context.Background()
	first := inboundEvent("evt_1", "+15550001", "msg_1", "Hello", t0)
	later := inboundEvent("evt_2", "+15550001", "msg_2", "Me again", t0.Add(2*time.Hour))
	events := newProjectionLog(first, later)
	db.Project(events.projection(applyInbound))
	// stored appends ev, waits until it is applied, and checks that its
	// openings were written with one statement.
	stored := func(ev *inbox.Event, what string) {
		t.Helper()
		log.take()
		if _, err := db.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
		settle(t, db)
		var w []string
		for _, q := range log.take() {
			if strings.HasPrefix(q, "WITH d AS (DELETE FROM openings") || strings.HasPrefix(q, "INSERT INTO openings") ||
				strings.HasPrefix(q, "DELETE FROM openings ") {
				w = append(w, q)
			}
		}
		if len(w) != 1 {
			t.Errorf("%s: %d statements, want 1:\n%s", what, len(w), strings.Join(w, "\n"))
		}
	}
	stored(first, "a new opening")
	id := int64(count(t, db, `SELECT max(id) FROM conversations`))
	if _, err := db.SetStatus(ctx, id, inbox.Resolved, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	stored(later, "a second opening")
	if n := count(t, db, `SELECT count(*) FROM openings`); n != 2 {
		t.Errorf("%d openings, want 2", n)
	}
	if n := count(t, db, `SELECT count(*) FROM openings WHERE resolved_at IS NOT NULL`); n != 1 {
		t.Errorf("%d resolved openings, want 1", n)
	}
}
