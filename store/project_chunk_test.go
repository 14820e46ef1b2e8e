package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"switchboard/inbox"
)

// Stored events are applied several to a savepoint; one that fails (or
// panics) among them fails alone: its writes are undone, it is kept as
// failed with its error, and the events before and after it in the same
// group are applied once each, in order, and no longer pending.
func TestAFailingEventAmongStoredOnesFailsAlone(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	const n = 3*projectChunk + 3
	evs := make([]*inbox.Event, n)
	for i := range evs {
		evs[i] = inboundEvent(fmtID("evt", i), fmt.Sprintf("+1555000%02d", i%5), fmtID("msg", i), "hi", t0.Add(timeMinutes(i)))
	}
	for _, ev := range evs { // stored before anything applies them
		if _, err := db.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	broken, panics := evs[projectChunk+2].ID, evs[2*projectChunk].ID
	calls := map[string]int{}
	log := newProjectionLog(evs...)
	db.Project(log.projection(func(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
		calls[ev.ID]++ // the writer goroutine's own
		ch, err := applyInbound(ctx, tx, ev)
		switch {
		case err != nil:
			return ch, err
		case ev.ID == broken:
			return inbox.Change{}, errors.New("a rule broke")
		case ev.ID == panics:
			panic("a rule panicked")
		}
		return ch, nil
	}))
	settle(t, db)

	for _, id := range []string{broken, panics} {
		stored, err := db.RawEvent(ctx, id)
		if err != nil || stored.State != inbox.EventFailed || stored.Error == "" {
			t.Errorf("event %s = %+v, %v; want failed with its error", id, stored, err)
		}
		if res := log.result(id); res.State != inbox.EventFailed {
			t.Errorf("event %s announced as %+v", id, res)
		}
	}
	if m := count(t, db, `SELECT COUNT(*) FROM messages`); m != n-2 {
		t.Errorf("%d messages, want %d: the failed events' writes undone, every other event's kept", m, n-2)
	}
	if p := count(t, db, `SELECT COUNT(*) FROM webhook_events WHERE pending = 1`); p != 0 {
		t.Errorf("%d events still marked pending", p)
	}
	if a := count(t, db, `SELECT COUNT(*) FROM webhook_events WHERE state = 'applied'`); a != n-2 {
		t.Errorf("%d events applied, want %d", a, n-2)
	}
	var ids []string
	for _, ev := range evs {
		ids = append(ids, ev.ID)
		if res := log.result(ev.ID); ev.ID != broken && ev.ID != panics && res.State != inbox.EventApplied {
			t.Errorf("event %s announced as %+v", ev.ID, res)
		}
	}
	if got := log.heard(); !slices.Equal(got, ids) {
		t.Errorf("announced in order %v, want %v", got, ids)
	}
	// Applying a group again after one of it failed is invisible but for
	// the calls: every event is kept once.
	if m := count(t, db, `SELECT COUNT(DISTINCT zavu_id) FROM messages`); m != n-2 {
		t.Errorf("%d distinct messages, want %d", m, n-2)
	}
	if calls[evs[0].ID] < 1 || calls[evs[n-1].ID] != 1 {
		t.Errorf("calls: first %d, last %d", calls[evs[0].ID], calls[evs[n-1].ID])
	}
}
