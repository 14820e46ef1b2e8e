package store

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/inbox"
)

// TestPingReportsFailingWritesUntilOneSucceeds fills the database up (a
// page limit makes SQLite answer "database or disk is full", as a full
// disk does): Ping, which answered while reads still worked, reports the
// full disk, and answers again once a write succeeds.
func TestPingReportsFailingWritesUntilOneSucceeds(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping on a fresh database: %v", err)
	}
	inTx(t, db, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `PRAGMA max_page_count = 1`) // as small as it goes: the current size
		return err
	})
	var failed error
	for i := 0; i < 200 && failed == nil; i++ {
		_, failed = db.Ingest(ctx, inboundEvent(fmtID("evt", i), "+15550001", fmtID("msg", i), "hi", t0), applyInbound)
	}
	if failed == nil {
		t.Fatal("no write failed with the database at its page limit")
	}
	err := db.Ping(ctx)
	if !errors.Is(err, inbox.ErrDiskFull) {
		t.Fatalf("Ping after %v = %v, want ErrDiskFull", failed, err)
	}

	inTx(t, db, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `PRAGMA max_page_count = 1073741823`)
		return err
	})
	if _, err := db.Ingest(ctx, inboundEvent("evt_after", "+15550001", "msg_after", "hi", t0), applyInbound); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping after a write succeeded again: %v", err)
	}
}

// TestPingReportsALowDisk: with less free space than the WAL may need,
// Ping fails before any write does, and answers again once there is room.
func TestPingReportsALowDisk(t *testing.T) {
	var free atomic.Uint64
	free.Store(10 << 30)
	var measured atomic.Int64
	// The store's clock moves only when the test says: the 101 pings come
	// at one instant, however long they take.
	start, passed := time.Now(), atomic.Int64{}
	now := func() time.Time { return start.Add(time.Duration(passed.Load())) }
	db := openTest(t, WithClock(now), WithFreeSpace(func(string) (uint64, error) {
		measured.Add(1)
		return free.Load(), nil
	}))
	ctx := context.Background()
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		db.Ping(ctx)
	}
	if n := measured.Load(); n > 2 {
		t.Errorf("101 pings measured the free space %d times; it is cached for a second", n)
	}
	free.Store(1 << 20)
	passed.Add(int64(freeSpaceEvery))
	waitPing(t, db, func(err error) bool { return errors.Is(err, inbox.ErrDiskFull) })
	free.Store(10 << 30)
	passed.Add(int64(freeSpaceEvery))
	waitPing(t, db, func(err error) bool { return err == nil })
}

// waitPing calls Ping until its answer satisfies ok.
func waitPing(t *testing.T, db *DB, ok func(error) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := db.Ping(context.Background())
		if ok(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ping = %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
