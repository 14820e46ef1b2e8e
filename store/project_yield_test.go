package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

// A webhook that arrives while the writer applies a backlog of stored
// events in a lull waits only for the event being applied, not for the
// rest of its savepoint's group nor for a whole projection transaction:
// the projection ends early for it and goes on afterwards.
func TestAWriteWaitsForTheEventBeingAppliedNotForABacklog(t *testing.T) {
	db := openTest(t)
	db.proj.memLimit = 4 // read back from the database, 256 a transaction
	ctx := context.Background()
	const n = 200
	evs := make([]*inbox.Event, n+1)
	for i := range evs {
		evs[i] = inboundEvent(fmtID("evt", i), fmt.Sprintf("+1555000%02d", i%7), fmtID("msg", i), "hi", t0.Add(timeMinutes(i)))
	}
	// Stored, not applied: nothing applies them until Project.
	var wg sync.WaitGroup
	for _, ev := range evs[:n] {
		wg.Go(func() {
			if _, err := db.Append(ctx, ev); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	// The writer goroutine's own: applied counts the events applied,
	// queuedAt and storedAt how many were when the webhook was queued and
	// when its commit was first seen, by the next event applied.
	applied, queuedAt, storedAt := 0, 0, -1
	stored := func() bool {
		var found int
		if err := db.reader.QueryRow(`SELECT count(*) FROM webhook_events WHERE id = ?`, evs[n].ID).Scan(&found); err != nil {
			t.Error(err)
		}
		return found > 0
	}
	wrote := make(chan error, 1)
	log := newProjectionLog(evs...)
	db.Project(log.projection(func(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
		if storedAt < 0 && queuedAt > 0 && stored() {
			storedAt = applied
		}
		applied++ // the writer goroutine's own
		if applied == 2 {
			// A webhook arrives: it is queued while this event applies.
			go func() {
				_, err := db.Append(context.Background(), evs[n])
				wrote <- err
			}()
			for deadline := time.Now().Add(10 * time.Second); len(db.queue) == 0 && time.Now().Before(deadline); {
				time.Sleep(100 * time.Microsecond)
			}
			queuedAt = applied
		}
		return inbox.Change{}, nil // quick: the backlog is long in events, not in time
	}))
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	settle(t, db)

	if waited := storedAt - queuedAt; waited != 0 {
		t.Errorf("the webhook waited for %d more events to be applied after the one it arrived during, want none", waited)
	}
	if got := log.heard(); len(got) != n+1 {
		t.Errorf("%d events applied, want %d", len(got), n+1)
	}
}
