package store

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"switchboard/inbox"
)

// appendTogether appends evs while the writer is held, queued in their
// order, so that one batch stores them all; it returns each Append's
// duplicate answer.
func appendTogether(t *testing.T, db *DB, evs []*inbox.Event) []bool {
	t.Helper()
	release := holdWriter(t, db)
	dups := make([]bool, len(evs))
	var wg sync.WaitGroup
	for i, ev := range evs {
		wg.Go(func() {
			dup, err := db.Append(context.Background(), ev)
			if err != nil {
				t.Errorf("Append %s: %v", ev.ID, err)
			}
			dups[i] = dup
		})
		waitQueued(t, db, i+1) // queued in this order
	}
	release()
	wg.Wait()
	return dups
}

// A batch of webhooks acknowledged together: each is stored once, in the
// order they came, an id stored before or earlier in the batch is
// answered as a duplicate (and so acknowledged without being applied
// again), and every new one is applied once, in order.
func TestAppendBatchKeepsOrderAndDuplicates(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ev := func(id string, i int) *inbox.Event {
		return inboundEvent(id, "+1555000"+string(rune('0'+i)), fmtID("msg", i), "hi", t0.Add(timeMinutes(i)))
	}
	old := ev("evt_old", 0)
	a, b, c := ev("evt_a", 1), ev("evt_b", 2), ev("evt_c", 3)
	again := ev("evt_a", 4) // a's id with another body: not stored
	log := newProjectionLog(old, a, b, c)
	db.Project(log.projection(applyInbound))
	if dup, err := db.Append(ctx, old); err != nil || dup {
		t.Fatalf("Append old = %v, %v", dup, err)
	}
	settle(t, db)

	dups := appendTogether(t, db, []*inbox.Event{a, b, old, again, c})
	if want := []bool{false, false, true, true, false}; !slices.Equal(dups, want) {
		t.Errorf("duplicates = %v, want %v", dups, want)
	}
	settle(t, db)
	if got, want := log.heard(), []string{"evt_old", "evt_a", "evt_b", "evt_c"}; !slices.Equal(got, want) {
		t.Errorf("applied %v, want %v", got, want)
	}
	rows, err := db.reader.Query(`SELECT id, pending, received_at > 0 FROM webhook_events WHERE type <> 'test.hold' ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var stored []string
	for rows.Next() {
		var id string
		var pending int
		var received bool
		if err := rows.Scan(&id, &pending, &received); err != nil {
			t.Fatal(err)
		}
		if pending != 0 || !received {
			t.Errorf("event %s: pending %d, received_at set %v", id, pending, received)
		}
		stored = append(stored, id)
	}
	if want := []string{"evt_old", "evt_a", "evt_b", "evt_c"}; !slices.Equal(stored, want) {
		t.Errorf("stored %v in this order, want %v", stored, want)
	}
	if m, err := db.MessageByZavuID(ctx, "msg_4"); err == nil {
		t.Errorf("the duplicate's body was applied: %+v", m)
	}
	raw, err := db.RawEvent(ctx, "evt_a")
	if err != nil || string(raw.Raw) != string(a.Raw) {
		t.Errorf("evt_a stored as %q, %v; want its first body", raw.Raw, err)
	}
}

// On PostgreSQL a batch of webhooks to acknowledge is stored with one
// statement, not one each: the writer's round trips are what bound how
// fast a burst is acknowledged.
func TestPostgresAppendBatchIsOneStatement(t *testing.T) {
	db, log := openTracedPostgres(t)
	var evs []*inbox.Event
	for i := range 6 {
		evs = append(evs, inboundEvent(fmtID("evt", i), "+15550001", fmtID("msg", i), "hi", t0.Add(timeMinutes(i))))
	}
	log.take()
	if dups := appendTogether(t, db, evs); slices.Contains(dups, true) {
		t.Fatalf("duplicates = %v, want none", dups)
	}
	inserts := 0
	for _, q := range log.take() {
		if strings.HasPrefix(q, "INSERT INTO webhook_events") {
			inserts++
		}
	}
	// The held event's, and the batch's.
	if inserts != 2 {
		t.Errorf("%d inserts into webhook_events, want 2 (the held event's and one for the batch of %d)", inserts, len(evs))
	}
	if n := count(t, db, `SELECT count(*) FROM webhook_events WHERE pending = 1 OR pending = 0`); n != len(evs)+1 {
		t.Errorf("%d events stored, want %d", n, len(evs)+1)
	}
}
