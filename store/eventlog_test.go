package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

func TestReplayRefusesAnAppliedEventAndMarksItsEvent(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if _, err := db.Ingest(ctx, inboundEvent("evt_ok", "+15550001", "msg_ok", "hi", t0), applyInbound); err != nil {
		t.Fatal(err)
	}
	called := false
	_, err := db.Replay(ctx, inboundEvent("evt_ok", "+15550001", "msg_ok", "hi", t0),
		func(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
			called = true
			return applyInbound(ctx, tx, ev)
		})
	if !errors.Is(err, inbox.ErrConflict) || called {
		t.Fatalf("replay of an applied event: %v (applied again: %v), want a conflict and no apply", err, called)
	}
	if e, _ := db.RawEvent(ctx, "evt_ok"); e.Attempts != 1 || e.State != inbox.EventApplied {
		t.Errorf("a refused replay changed the event: %+v", e)
	}

	// A replayed event says so to the rules, which must not repeat what
	// goes beyond the model (auto-replies).
	if _, err := db.Ingest(ctx, inboundEvent("evt_bad", "+15550002", "msg_bad", "hi", t0), failing(false)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var replayed []bool
	apply := func(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
		mu.Lock()
		replayed = append(replayed, ev.Replayed)
		mu.Unlock()
		return applyInbound(ctx, tx, ev)
	}
	// Two admins pressing Replay at once apply it once.
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := db.Replay(ctx, inboundEvent("evt_bad", "+15550002", "msg_bad", "hi", t0), apply)
			errs <- err
		}()
	}
	var conflicts int
	for range 2 {
		if err := <-errs; errors.Is(err, inbox.ErrConflict) {
			conflicts++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if conflicts != 1 || len(replayed) != 1 || !replayed[0] {
		t.Errorf("two replays at once: %d refused, applied %d times (replayed flags %v); want one of each, flagged", conflicts, len(replayed), replayed)
	}
	if e, _ := db.RawEvent(ctx, "evt_bad"); e.Attempts != 2 || e.State != inbox.EventApplied {
		t.Errorf("after the replay: %+v", e)
	}
}

func TestEventCounts(t *testing.T) {
	now := t0
	db := openTest(t, WithClock(func() time.Time { return now }))
	ctx := context.Background()
	ingest := func(id string, apply inbox.ApplyFunc) {
		t.Helper()
		if _, err := db.Ingest(ctx, inboundEvent(id, "+1555000"+id, "msg_"+id, "hi", now), apply); err != nil {
			t.Fatal(err)
		}
	}
	ingest("1", failing(false)) // two days ago
	ingest("2", applyInbound)
	now = t0.Add(48 * time.Hour)
	ingest("3", failing(false))
	ingest("4", applyInbound)
	ingest("5", applyInbound)
	c, err := db.EventCounts(ctx, now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := (inbox.EventCounts{Recent: 3, RecentFailed: 1, Failed: 2}); c != want {
		t.Errorf("counts = %+v, want %+v", c, want)
	}
	for _, q := range []string{
		`SELECT COUNT(*) FROM webhook_events WHERE received_at >= 0`,
		`SELECT COUNT(*) FROM webhook_events WHERE state = 'failed'`,
	} {
		if plan := explain(t, db, q); !strings.Contains(plan, "USING") || strings.Contains(plan, "SCAN webhook_events\n") {
			t.Errorf("%s walks the whole table:\n%s", q, plan)
		}
	}
}
