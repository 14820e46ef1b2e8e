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
	writes := func() []string {
		var out []string
		for _, q := range log.take() {
			if strings.HasPrefix(q, "WITH d AS (DELETE FROM openings") || strings.HasPrefix(q, "INSERT INTO openings") ||
				strings.HasPrefix(q, "DELETE FROM openings ") {
				out = append(out, q)
			}
		}
		return out
	}
	log.take()
	if _, err := db.Append(ctx, first); err != nil {
		t.Fatal(err)
	}
	settle(t, db)
	if w := writes(); len(w) != 1 {
		t.Errorf("a new opening: %d statements, want 1:\n%s", len(w), strings.Join(w, "\n"))
	}
	id := int64(count(t, db, `SELECT max(id) FROM conversations`))
	if _, err := db.SetStatus(ctx, id, inbox.Resolved, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	log.take()
	if _, err := db.Append(ctx, later); err != nil {
		t.Fatal(err)
	}
	settle(t, db)
	if w := writes(); len(w) != 1 {
		t.Errorf("a second opening: %d statements, want 1:\n%s", len(w), strings.Join(w, "\n"))
	}
	if n := count(t, db, `SELECT count(*) FROM openings`); n != 2 {
		t.Errorf("%d openings, want 2", n)
	}
	if n := count(t, db, `SELECT count(*) FROM openings WHERE resolved_at IS NOT NULL`); n != 1 {
		t.Errorf("%d resolved openings, want 1", n)
	}
}
