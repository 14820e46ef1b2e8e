package store

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWALStaysBoundedUnderSustainedWrites keeps the writer busy without a
// pause (callers always waiting, readers reading beside it) and checks that
// the WAL never grows far past its limit, and that it is emptied once the
// writes stop.
func TestWALStaysBoundedUnderSustainedWrites(t *testing.T) {
	const limit = 256 << 10
	db := openTest(t, WithWALLimit(limit))
	ctx := context.Background()
	walPath := db.path + "-wal"

	const callers, perCaller = 8, 150
	var next atomic.Int64
	var maxWAL atomic.Int64
	stopReading := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stopReading:
					return
				default:
				}
				var n int
				if err := db.reader.QueryRow(`SELECT count(*) FROM messages`).Scan(&n); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for range perCaller {
				i := int(next.Add(1))
				if _, err := db.Ingest(ctx, benchEvent(i), applyInbound); err != nil {
					t.Error(err)
					return
				}
				if fi, err := os.Stat(walPath); err == nil {
					for cur := maxWAL.Load(); fi.Size() > cur && !maxWAL.CompareAndSwap(cur, fi.Size()); cur = maxWAL.Load() {
					}
				}
			}
		})
	}
	wg.Wait()
	close(stopReading)
	readers.Wait()

	st := db.WALStats()
	written := db.Stats().Writes
	t.Logf("largest WAL %d KiB over %d writes in %d batches; %+v", maxWAL.Load()>>10, written, db.Stats().Batches, st)
	if st.Restarts == 0 {
		t.Errorf("the writer never started the WAL over")
	}
	// Past the limit, the WAL grows only until the writer gets a turn
	// between batches with no reader on old pages: a few batches.
	if maxWAL.Load() > 8*limit {
		t.Errorf("the WAL reached %d KiB with a limit of %d KiB", maxWAL.Load()>>10, limit>>10)
	}

	// Once the writes stop, the WAL is emptied.
	deadline := time.Now().Add(30 * time.Second)
	for db.WALStats().Size > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the WAL is still %d KiB long after the writes stopped", db.WALStats().Size>>10)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := count(t, db, `SELECT count(*) FROM messages`); n != callers*perCaller {
		t.Errorf("%d messages stored, want %d", n, callers*perCaller)
	}
}
