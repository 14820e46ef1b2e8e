package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/inbox"
)

func TestIngestAppliesANewEvent(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ev := inboundEvent("evt_1", "+15550001", "msg_1", "Hello there", t0)
	res, err := db.Ingest(ctx, ev, applyInbound)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicate || res.State != inbox.EventApplied || res.Error != "" || len(res.Change.MessageIDs) != 1 {
		t.Fatalf("result = %+v", res)
	}
	m, err := db.MessageByZavuID(ctx, "msg_1")
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != res.Change.MessageIDs[0] || m.Text != "Hello there" || !m.CreatedAt.Equal(t0) {
		t.Errorf("message = %+v", m)
	}
	stored, err := db.RawEvent(ctx, "evt_1")
	if err != nil {
		t.Fatal(err)
	}
	if stored.State != inbox.EventApplied || stored.Attempts != 1 || string(stored.Raw) != string(ev.Raw) ||
		stored.Type != inbox.EventMessageInbound || stored.SenderID != "snd_1" || !stored.Timestamp.Equal(t0) ||
		stored.ReceivedAt.IsZero() {
		t.Errorf("stored event = %+v", stored)
	}
	if _, err := db.RawEvent(ctx, "evt_nope"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("RawEvent of an unknown id: %v, want ErrNotFound", err)
	}
}

func TestIngestDuplicateIsNotApplied(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if _, err := db.Ingest(ctx, inboundEvent("evt_1", "+15550001", "msg_1", "hi", t0), applyInbound); err != nil {
		t.Fatal(err)
	}
	called := false
	res, err := db.Ingest(ctx, inboundEvent("evt_1", "+15550001", "msg_2", "other", t0),
		func(context.Context, inbox.Tx, *inbox.Event) (inbox.Change, error) {
			called = true
			return inbox.Change{}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Duplicate || called {
		t.Errorf("second delivery: result %+v, apply called %v; want a duplicate, apply not called", res, called)
	}
	if n := count(t, db, `SELECT count(*) FROM webhook_events`); n != 1 {
		t.Errorf("%d events stored, want 1", n)
	}
}

// failing is an apply that writes, then fails or panics.
func failing(panics bool) inbox.ApplyFunc {
	return func(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
		if _, err := applyInbound(ctx, tx, ev); err != nil {
			return inbox.Change{}, err
		}
		if panics {
			var m map[string]int
			m["boom"]++ // a nil map write: a real bug
		}
		return inbox.Change{}, fmt.Errorf("data.widget is missing: %w", inbox.ErrMissingField)
	}
}

// TestIngestFailureUndoesOnlyItsEvent puts a failing event, a panicking
// one and good ones (and a duplicate) in one batch: the bad ones are
// stored as failed with their errors and none of their writes, the good
// ones are applied, and all commit together.
func TestIngestFailureUndoesOnlyItsEvent(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	release := holdWriter(t, db)
	before := db.Stats()

	type call struct {
		ev    *inbox.Event
		apply inbox.ApplyFunc
		res   inbox.IngestResult
		err   error
	}
	calls := []*call{
		{ev: inboundEvent("evt_ok1", "+15550001", "msg_ok1", "one", t0), apply: applyInbound},
		{ev: inboundEvent("evt_bad", "+15550002", "msg_bad", "bad", t0), apply: failing(false)},
		{ev: inboundEvent("evt_ok2", "+15550001", "msg_ok2", "two", t0.Add(time.Minute)), apply: applyInbound},
		{ev: inboundEvent("evt_panic", "+15550003", "msg_panic", "panic", t0), apply: failing(true)},
		{ev: inboundEvent("evt_ok1", "+15550001", "msg_other", "dup", t0), apply: applyInbound},
	}
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() { c.res, c.err = db.Ingest(ctx, c.ev, c.apply) })
		waitQueued(t, db, i+1) // keep the order of the batch
	}
	release()
	wg.Wait()

	for _, c := range calls {
		if c.err != nil {
			t.Fatalf("%s: %v", c.ev.ID, c.err)
		}
	}
	if s := db.Stats(); s.Batches-before.Batches != 2 || s.MaxBatch != 5 {
		t.Errorf("stats %+v (before %+v): want the held batch and one batch of 5", s, before)
	}
	if r := calls[0].res; r.State != inbox.EventApplied || r.Duplicate {
		t.Errorf("evt_ok1: %+v", r)
	}
	if r := calls[2].res; r.State != inbox.EventApplied {
		t.Errorf("evt_ok2: %+v", r)
	}
	if r := calls[4].res; !r.Duplicate {
		t.Errorf("the same id twice in one batch: %+v, want a duplicate", r)
	}
	if r := calls[1].res; r.State != inbox.EventFailed || !strings.Contains(r.Error, "data.widget is missing") {
		t.Errorf("evt_bad: %+v", r)
	}
	if r := calls[3].res; r.State != inbox.EventFailed || !strings.Contains(r.Error, inbox.ErrApplyPanicked.Error()) ||
		!strings.Contains(r.Error, "nil map") {
		t.Errorf("evt_panic: %+v", r)
	}

	for id, want := range map[string]string{"evt_bad": "data.widget is missing", "evt_panic": "panicked"} {
		e, err := db.RawEvent(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if e.State != inbox.EventFailed || !strings.Contains(e.Error, want) {
			t.Errorf("%s stored as %s %q", id, e.State, e.Error)
		}
	}
	for _, zid := range []string{"msg_bad", "msg_panic"} {
		if _, err := db.MessageByZavuID(ctx, zid); !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("%s: the failed event's message was kept (%v)", zid, err)
		}
	}
	for _, phone := range []string{"+15550002", "+15550003"} {
		if n := count(t, db, `SELECT count(*) FROM contacts WHERE phone = ?`, phone); n != 0 {
			t.Errorf("the failed event's contact %s was kept", phone)
		}
	}
	for _, zid := range []string{"msg_ok1", "msg_ok2"} {
		if _, err := db.MessageByZavuID(ctx, zid); err != nil {
			t.Errorf("%s: %v", zid, err)
		}
	}
	if _, err := db.MessageByZavuID(ctx, "msg_other"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("the duplicate was applied")
	}
	failed, _, err := db.Events(ctx, inbox.EventFilter{State: inbox.EventFailed})
	if err != nil || len(failed) != 2 {
		t.Errorf("failed events: %d, %v; want 2", len(failed), err)
	}
}

func TestReplayAppliesAFailedEventAgain(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ev := inboundEvent("evt_1", "+15550001", "msg_1", "hi", t0)
	if res, err := db.Ingest(ctx, ev, failing(false)); err != nil || res.State != inbox.EventFailed {
		t.Fatalf("ingest: %+v, %v", res, err)
	}
	// A replay that still fails counts the attempt.
	if res, err := db.Replay(ctx, ev, failing(true)); err != nil || res.State != inbox.EventFailed {
		t.Fatalf("replay 1: %+v, %v", res, err)
	}
	e, _ := db.RawEvent(ctx, "evt_1")
	if e.Attempts != 2 || !strings.Contains(e.Error, "panicked") {
		t.Errorf("after a failed replay: %+v", e)
	}
	// After the upgrade, it applies.
	res, err := db.Replay(ctx, ev, applyInbound)
	if err != nil || res.State != inbox.EventApplied || len(res.Change.MessageIDs) != 1 {
		t.Fatalf("replay 2: %+v, %v", res, err)
	}
	e, _ = db.RawEvent(ctx, "evt_1")
	if e.Attempts != 3 || e.State != inbox.EventApplied || e.Error != "" {
		t.Errorf("after a good replay: %+v", e)
	}
	if _, err := db.MessageByZavuID(ctx, "msg_1"); err != nil {
		t.Error(err)
	}
	if _, err := db.Replay(ctx, inboundEvent("evt_nope", "+1", "m", "", t0), applyInbound); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("replay of an unknown event: %v, want ErrNotFound", err)
	}
}

// TestIngestConcurrent sends 64 × 50 events at once: every one is committed
// exactly once, and they share commits.
func TestIngestConcurrent(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	const workers, perWorker = 64, 50
	var wg sync.WaitGroup
	var errs atomic.Int64
	var applied atomic.Int64
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				n := w*perWorker + i
				ev := inboundEvent(fmtID("evt", n), fmtID("+1555", n%97), fmtID("msg", n), "hi", t0.Add(time.Duration(n)*time.Second))
				res, err := db.Ingest(ctx, ev, applyInbound)
				if err != nil || res.State != inbox.EventApplied {
					errs.Add(1)
					t.Errorf("%s: %+v, %v", ev.ID, res, err)
					continue
				}
				applied.Add(1)
				// Every worker also delivers one event twice.
				if i == 0 {
					if res, err := db.Ingest(ctx, ev, applyInbound); err != nil || !res.Duplicate {
						t.Errorf("redelivery of %s: %+v, %v", ev.ID, res, err)
					}
				}
			}
		})
	}
	wg.Wait()
	const total = workers * perWorker
	if n := count(t, db, `SELECT count(*) FROM webhook_events`); n != total {
		t.Errorf("%d events stored, want %d", n, total)
	}
	if n := count(t, db, `SELECT count(*) FROM messages`); n != total {
		t.Errorf("%d messages stored, want %d", n, total)
	}
	if n := count(t, db, `SELECT sum(inbound_count) FROM conversations`); n != total {
		t.Errorf("inbound counts add up to %d, want %d", n, total)
	}
	s := db.Stats()
	t.Logf("%d writes in %d batches (%.1f per commit, largest %d)", s.Writes, s.Batches, float64(s.Writes)/float64(s.Batches), s.MaxBatch)
	if s.Writes != total+workers {
		t.Errorf("writer ran %d writes, want %d", s.Writes, total+workers)
	}
	if s.Batches >= s.Writes/2 || s.MaxBatch < 8 {
		t.Errorf("writes were not batched: %+v", s)
	}
}

// TestIngestCancelledWhileQueued: a caller that gives up before the writer
// takes its event gets its context's error, and the event is not written.
func TestIngestCancelledWhileQueued(t *testing.T) {
	db := openTest(t)
	release := holdWriter(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	called := false
	go func() {
		_, err := db.Ingest(ctx, inboundEvent("evt_gone", "+15550001", "msg_gone", "hi", t0),
			func(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
				called = true
				return applyInbound(ctx, tx, ev)
			})
		done <- err
	}()
	waitQueued(t, db, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	release()
	// A write after it proves the writer has been past the cancelled one.
	if _, err := db.Ingest(context.Background(), inboundEvent("evt_next", "+15550001", "msg_next", "hi", t0), applyInbound); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RawEvent(context.Background(), "evt_gone"); !errors.Is(err, inbox.ErrNotFound) || called {
		t.Errorf("the cancelled event was written (apply called: %v, lookup: %v)", called, err)
	}
}

// TestIngestCommittedOnceTaken: a caller that gives up after the writer
// took its event waits for the commit; the event is stored.
func TestIngestCommittedOnceTaken(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := db.Ingest(ctx, inboundEvent("evt_1", "+15550001", "msg_1", "hi", t0),
		func(actx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
			cancel() // the HTTP client hangs up mid-apply
			if actx.Err() != nil {
				return inbox.Change{}, errors.New("apply saw the caller's cancellation")
			}
			return applyInbound(actx, tx, ev)
		})
	if err != nil {
		t.Fatalf("err = %v, want the committed result", err)
	}
	if e, err := db.RawEvent(context.Background(), "evt_1"); err != nil || e.State != inbox.EventApplied {
		t.Errorf("stored: %+v, %v", e, err)
	}
}

// TestCloseWhileIngesting: Close lets the writer commit what is queued;
// every caller gets either a durable result or ErrStoreClosed, and every
// acknowledged event is there after reopening.
func TestCloseWhileIngesting(t *testing.T) {
	db := openTest(t)
	path := db.path
	var acked sync.Map
	var wg sync.WaitGroup
	var closedErrs, okCount atomic.Int64
	start := make(chan struct{})
	for w := range 16 {
		wg.Go(func() {
			<-start
			for i := 0; ; i++ {
				id := fmtID(fmt.Sprintf("evt_%d", w), i)
				res, err := db.Ingest(context.Background(), inboundEvent(id, "+15550001", "m"+id, "hi", t0), applyInbound)
				if errors.Is(err, inbox.ErrStoreClosed) {
					closedErrs.Add(1)
					return
				}
				if err != nil || res.State != inbox.EventApplied {
					t.Errorf("%s: %+v, %v", id, res, err)
					return
				}
				acked.Store(id, true)
				okCount.Add(1)
			}
		})
	}
	close(start)
	time.Sleep(100 * time.Millisecond)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if closedErrs.Load() != 16 || okCount.Load() == 0 {
		t.Fatalf("%d callers saw ErrStoreClosed, %d events acknowledged", closedErrs.Load(), okCount.Load())
	}
	if _, err := db.Ingest(context.Background(), inboundEvent("evt_late", "+1", "m", "", t0), applyInbound); !errors.Is(err, inbox.ErrStoreClosed) {
		t.Errorf("Ingest after Close: %v, want ErrStoreClosed", err)
	}

	db, err := testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lost := 0
	acked.Range(func(k, _ any) bool {
		if _, err := db.RawEvent(context.Background(), k.(string)); err != nil {
			lost++
		}
		return true
	})
	if lost > 0 {
		t.Errorf("%d acknowledged events lost", lost)
	}
	t.Logf("%d events acknowledged before Close", okCount.Load())
}

// TestCommitFailureFailsTheWholeBatch: when the transaction itself fails,
// no caller of the batch is told its event was stored, and none is.
func TestCommitFailureFailsTheWholeBatch(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	release := holdWriter(t, db)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			apply := applyInbound
			if i == 1 {
				// A rule that breaks the transaction, not just its event:
				// the savepoint is gone, so it cannot be rolled back to.
				apply = func(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
					if _, err := tx.(*writeTx).execSQL(ctx, `RELEASE job`); err != nil {
						return inbox.Change{}, err
					}
					return inbox.Change{}, errors.New("fails after breaking the savepoint")
				}
			}
			_, errs[i] = db.Ingest(ctx, inboundEvent(fmtID("evt", i), "+15550001", fmtID("msg", i), "hi", t0), apply)
		})
		waitQueued(t, db, i+1)
	}
	release()
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			t.Errorf("event %d acknowledged from a batch that did not commit", i)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM webhook_events WHERE id IN ('evt_0', 'evt_1', 'evt_2')`); n != 0 {
		t.Errorf("%d events of the failed batch were stored", n)
	}
	// The writer goes on.
	if res, err := db.Ingest(ctx, inboundEvent("evt_after", "+15550001", "msg_after", "hi", t0), applyInbound); err != nil || res.State != inbox.EventApplied {
		t.Errorf("after a failed batch: %+v, %v", res, err)
	}
}

func TestEventsPaging(t *testing.T) {
	// Several events share a millisecond, so the id decides their order.
	var tick atomic.Int64
	db := openTest(t, WithClock(func() time.Time { return time.UnixMilli(t0.UnixMilli() + tick.Add(1)/3) }))
	ctx := context.Background()
	const n = 23
	for i := range n {
		apply := applyInbound
		if i%4 == 0 {
			apply = failing(false)
		}
		if _, err := db.Ingest(ctx, inboundEvent(fmtID("evt", i), "+15550001", fmtID("msg", i), "hi", t0), apply); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		state inbox.EventState
		want  int
	}{{"", n}, {inbox.EventFailed, 6}, {inbox.EventApplied, n - 6}} {
		seen := map[string]bool{}
		var prev *inbox.StoredEvent
		cursor := ""
		pages := 0
		for {
			items, next, err := db.Events(ctx, inbox.EventFilter{State: tc.state, Limit: 4, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, e := range items {
				if seen[e.ID] {
					t.Errorf("%q: %s twice", tc.state, e.ID)
				}
				seen[e.ID] = true
				if tc.state != "" && e.State != tc.state {
					t.Errorf("%q: %s is %s", tc.state, e.ID, e.State)
				}
				if prev != nil && (e.ReceivedAt.After(prev.ReceivedAt) || (e.ReceivedAt.Equal(prev.ReceivedAt) && e.ID > prev.ID)) {
					t.Errorf("%q: %s after %s: not newest first", tc.state, e.ID, prev.ID)
				}
				prev = &e
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if len(seen) != tc.want {
			t.Errorf("%q: %d events in %d pages, want %d", tc.state, len(seen), pages, tc.want)
		}
	}
	if _, _, err := db.Events(ctx, inbox.EventFilter{Cursor: "%%%"}); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("bad cursor: %v, want ErrInvalid", err)
	}
}

func TestIngestRefusesAnEventWithoutID(t *testing.T) {
	db := openTest(t)
	if _, err := db.Ingest(context.Background(), &inbox.Event{Type: "x"}, applyInbound); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("err = %v, want ErrInvalid", err)
	}
}
