package store

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

// TestPruneRawBodiesKeepsTheLogAndFailedBodies ages a log of applied
// events, a failed one and fresh ones: retention deletes the bodies of the
// old applied events only, keeps every row and every conversation, works
// in several small transactions, and the next run starts where the last
// stopped.
func TestPruneRawBodiesKeepsTheLogAndFailedBodies(t *testing.T) {
	var mu sync.Mutex
	clock := t0
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	set := func(t time.Time) { mu.Lock(); clock = t; mu.Unlock() }
	db := openTest(t, WithClock(now))
	ctx := context.Background()

	const old = 600
	ingestOld(t, db, old)
	bad := inboundEvent("evt_bad", "+15550001111", "msg_bad", "x", t0)
	if res, err := db.Ingest(ctx, bad, failing(false)); err != nil || res.State != inbox.EventFailed {
		t.Fatalf("failed event: %+v, %v", res, err)
	}
	set(t0.Add(40 * 24 * time.Hour))
	for i := range 20 {
		ev := inboundEvent(fmtID("evt_new", i), "+15550002222", fmtID("msg_new", i), "new", now())
		if _, err := db.Ingest(ctx, ev, applyInbound); err != nil {
			t.Fatal(err)
		}
	}
	messages := count(t, db, `SELECT count(*) FROM messages`)

	st, err := db.PruneRawBodies(ctx, t0.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != old {
		t.Errorf("deleted %d bodies, want the %d old applied ones", st.Rows, old)
	}
	if st.Chunks < 2 {
		t.Errorf("%d transactions for %d rows: retention must delete in small chunks", st.Chunks, old)
	}
	if n := count(t, db, `SELECT count(*) FROM webhook_events`); n != old+1+20 {
		t.Errorf("%d events in the log after retention, want all %d", n, old+21)
	}
	if n := count(t, db, `SELECT count(*) FROM webhook_events WHERE raw IS NULL AND id LIKE 'evt_old%'`); n != old {
		t.Errorf("%d old bodies deleted, want %d", n, old)
	}
	if n := count(t, db, `SELECT count(*) FROM webhook_events WHERE raw IS NOT NULL AND id IN ('evt_bad') `); n != 1 {
		t.Error("the failed event lost its body: it can no longer be replayed")
	}
	if n := count(t, db, `SELECT count(*) FROM webhook_events WHERE raw IS NOT NULL AND id LIKE 'evt_new%'`); n != 20 {
		t.Errorf("%d of 20 recent bodies kept", n)
	}
	if n := count(t, db, `SELECT count(*) FROM messages`); n != messages {
		t.Errorf("%d messages after retention, %d before: the applied model must stay", n, messages)
	}
	e, err := db.RawEvent(ctx, fmtID("evt_old", 3))
	if err != nil || e.State != inbox.EventApplied || len(e.Raw) != 0 {
		t.Errorf("an old event in the log: %+v, %v; want its row, applied, without a body", e, err)
	}

	// The next run starts after the last pruned row: with the cut-off
	// later, only the new events are looked at, and their bodies go.
	st, err = db.PruneRawBodies(ctx, t0.Add(41*24*time.Hour))
	if err != nil || st.Rows != 20 {
		t.Fatalf("second run: %+v, %v; want the 20 newer bodies", st, err)
	}
	if n := count(t, db, `SELECT count(*) FROM webhook_events WHERE raw IS NOT NULL`); n != 1 {
		t.Errorf("%d bodies left, want the failed event's only", n)
	}
	if st, err := db.PruneRawBodies(ctx, t0.Add(41*24*time.Hour)); err != nil || st.Rows != 0 || st.Chunks != 0 {
		t.Errorf("a run with nothing to do: %+v, %v", st, err)
	}
}

// TestPruneRawBodiesSharesTheWriter prunes a large log while webhooks keep
// coming: each webhook is stored while retention runs (retention never
// takes the writer for one long transaction), and the run's chunks stay
// small.
func TestPruneRawBodiesSharesTheWriter(t *testing.T) {
	var mu sync.Mutex
	clock := t0
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	db := openTest(t, WithClock(now))
	ctx := context.Background()
	const old = 1200
	ingestOld(t, db, old)
	mu.Lock()
	clock = t0.Add(48 * time.Hour)
	mu.Unlock()

	done := make(chan PruneStats)
	go func() {
		st, err := db.PruneRawBodies(ctx, t0.Add(24*time.Hour))
		if err != nil {
			t.Error(err)
		}
		done <- st
	}()
	stored := 0
	var st PruneStats
loop:
	for i := 0; ; i++ {
		select {
		case st = <-done:
			break loop
		default:
		}
		ev := inboundEvent(fmtID("evt_live", i), "+15550003333", fmtID("msg_live", i), "live", now())
		if _, err := db.Ingest(ctx, ev, applyInbound); err != nil {
			t.Fatal(err)
		}
		stored++
	}
	if st.Rows != old {
		t.Errorf("deleted %d bodies, want %d", st.Rows, old)
	}
	if stored < st.Chunks/2 {
		t.Errorf("%d webhooks stored during %d retention transactions: they did not take turns", stored, st.Chunks)
	}
	t.Logf("%d bodies in %d transactions, the longest held the writer %v; %d webhooks stored meanwhile",
		st.Rows, st.Chunks, st.LongestHold, stored)
}

// ingestOld applies n inbound events, evt_old_0 and on, from 64 callers at
// once so that they share commits.
func ingestOld(t *testing.T, db *DB, n int) {
	t.Helper()
	next := make(chan int)
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for j := range next {
				ev := inboundEvent(fmtID("evt_old", j), "+1555000"+fmtID("", j%50), fmtID("msg_old", j), "hello", t0)
				if _, err := db.Ingest(context.Background(), ev, applyInbound); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for j := range n {
		next <- j
	}
	close(next)
	wg.Wait()
}

// TestExternalCheckpointsLeaveTheWALAlone: with checkpoints left to
// Litestream, the store runs none, even with the WAL far past its limit:
// every frame stays in the WAL for Litestream to copy, and no checkpoint
// goroutine runs.
func TestExternalCheckpointsLeaveTheWALAlone(t *testing.T) {
	const limit = 64 << 10
	db := openTest(t, WithWALLimit(limit), WithExternalCheckpoints())
	ingestOld(t, db, 300)
	st := db.WALStats()
	if st.Size < 2*limit {
		t.Fatalf("the WAL is %d bytes: the test needs it past its %d-byte limit", st.Size, limit)
	}
	if st.Restarts+st.Busy+st.Truncates != 0 {
		t.Errorf("checkpoints run with external checkpoints: %+v", st)
	}
	select {
	case <-db.checkpointDone:
	default:
		t.Error("the checkpoint goroutine runs with external checkpoints")
	}
}

// TestExternalCheckpointsKeepTheOldWALsEnd: Litestream checkpoints the
// WAL after copying it; writes committed between its copy and its
// checkpoint are in the database file, and if the writer's next commit is
// the one that starts the WAL over, Litestream copies them afterwards from
// the old WAL's end, behind the new frames. So with external checkpoints
// that commit must leave the file's end as it was: no journal_size_limit
// cutting it back to the WAL limit.
func TestExternalCheckpointsKeepTheOldWALsEnd(t *testing.T) {
	const limit = 64 << 10
	db := openTest(t, WithWALLimit(limit), WithExternalCheckpoints())
	ingestOld(t, db, 300)
	walPath := db.path + "-wal"
	before, err := os.ReadFile(walPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) < 4*limit {
		t.Fatalf("the WAL is %d bytes: the test needs it well past its %d-byte limit", len(before), limit)
	}

	// Litestream's checkpoint: everything copied into the database file,
	// so the next write may start the WAL over.
	other, err := sql.Open("sqlite", db.path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var busy, frames, copied int
	if err := other.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil || busy != 0 || copied != frames {
		t.Fatalf("checkpoint: busy %d, %d of %d frames, %v", busy, copied, frames, err)
	}
	other.Close()

	if _, err := db.Ingest(context.Background(), inboundEvent("evt_after", "+15550001", "msg_after", "hi", t0), applyInbound); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(walPath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(after[16:24], before[16:24]) {
		t.Fatal("the write after the checkpoint did not start the WAL over (same salts): the test checks nothing")
	}
	if len(after) < len(before) {
		t.Fatalf("the WAL went from %d to %d bytes when it started over: the old WAL's last frames are gone", len(before), len(after))
	}
	// The new WAL's frames went at its start; the old one's last half is
	// there as it was.
	if half := len(before) / 2; !bytes.Equal(after[half:len(before)], before[half:]) {
		t.Error("the old WAL's last frames changed when the WAL started over")
	}
}

// TestFailedEventsRecordTheirVersion: an event that fails is recorded with
// the version that failed it; after an upgrade the log counts it as failed
// under an older version until the new version replays it.
func TestFailedEventsRecordTheirVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	ctx := context.Background()
	db, err := Open(path, WithVersion("1.4.0"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"evt_a", "evt_b"} {
		if res, err := db.Ingest(ctx, inboundEvent(id, "+15550001", "msg_"+id, "hi", t0), failing(false)); err != nil || res.State != inbox.EventFailed {
			t.Fatalf("ingest %s: %+v, %v", id, res, err)
		}
	}
	if c, _ := db.EventCounts(ctx, t0); c.Failed != 2 || c.FailedOlder != 0 {
		t.Errorf("under the version that failed them: %+v", c)
	}
	db.Close()

	db, err = Open(path, WithVersion("1.5.0"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if e, _ := db.RawEvent(ctx, "evt_a"); e.FailedVersion != "1.4.0" {
		t.Errorf("failed version %q, want 1.4.0", e.FailedVersion)
	}
	if c, _ := db.EventCounts(ctx, t0); c.Failed != 2 || c.FailedOlder != 2 {
		t.Errorf("after the upgrade: %+v, want both failed under an older version", c)
	}
	// 1.5.0 fails one again and applies the other.
	if res, _ := db.Replay(ctx, inboundEvent("evt_a", "+15550001", "msg_evt_a", "hi", t0), failing(false)); res.State != inbox.EventFailed {
		t.Fatalf("replay a: %+v", res)
	}
	if res, _ := db.Replay(ctx, inboundEvent("evt_b", "+15550001", "msg_evt_b", "hi", t0), applyInbound); res.State != inbox.EventApplied {
		t.Fatalf("replay b: %+v", res)
	}
	if e, _ := db.RawEvent(ctx, "evt_a"); e.FailedVersion != "1.5.0" {
		t.Errorf("failed again under 1.5.0, recorded %q", e.FailedVersion)
	}
	if c, _ := db.EventCounts(ctx, t0); c.Failed != 1 || c.FailedOlder != 0 {
		t.Errorf("after the replays: %+v", c)
	}
}
