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
// the WAL never grows far past its limit, and that it is all copied into
// the database, its file back at its limit, once the writes stop.
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

	// Once the writes stop, all of the WAL is copied into the database
	// and its file is back at its limit (walalloc.go).
	deadline := time.Now().Add(30 * time.Second)
	for st := db.WALStats(); st.IdleRestarts+st.Truncates == 0 || st.Size != limit; st = db.WALStats() {
		if time.Now().After(deadline) {
			t.Fatalf("the WAL is still %d KiB long after the writes stopped (%+v)", st.Size>>10, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := count(t, db, `SELECT count(*) FROM messages`); n != callers*perCaller {
		t.Errorf("%d messages stored, want %d", n, callers*perCaller)
	}
}

// TestWALSizeFollowsTheFile: the WAL's size, read from a file kept open
// (not a stat of its path), follows the file as it grows, is emptied by a
// TRUNCATE checkpoint and removed at Close.
func TestWALSizeFollowsTheFile(t *testing.T) {
	db := openTest(t, WithWALLimit(1<<30), WithExternalCheckpoints())
	walPath := db.path + "-wal"
	onDisk := func() int64 {
		fi, err := os.Stat(walPath)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	n := 0
	ingest := func(k int) {
		for range k {
			n++
			if _, err := db.Ingest(context.Background(), inboundEvent(fmtID("evt_w", n), "+15550001", fmtID("msg_w", n), "hello", t0), applyInbound); err != nil {
				t.Fatal(err)
			}
		}
	}
	ingest(50)
	first := db.WALStats().Size
	if first == 0 || first != onDisk() {
		t.Fatalf("after 50 events: size %d, the file %d bytes", first, onDisk())
	}
	ingest(100)
	if got := db.WALStats().Size; got <= first || got != onDisk() {
		t.Fatalf("after 100 more: size %d (was %d), the file %d bytes", got, first, onDisk())
	}

	conn, err := db.checkpointer.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	busy, err := checkpoint(conn, "TRUNCATE", walTruncateWait)
	conn.Close()
	if err != nil || busy {
		t.Fatalf("TRUNCATE: busy %v, %v", busy, err)
	}
	if got := db.WALStats().Size; got != 0 || onDisk() != 0 {
		t.Fatalf("after TRUNCATE: size %d, the file %d bytes", got, onDisk())
	}
	ingest(10)
	if got := db.WALStats().Size; got == 0 || got != onDisk() {
		t.Fatalf("after 10 more: size %d, the file %d bytes", got, onDisk())
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(walPath); !os.IsNotExist(err) {
		t.Errorf("the WAL is still there after Close: %v", err)
	}
	if got := db.WALStats().Size; got != 0 {
		t.Errorf("after Close: size %d", got)
	}
}
