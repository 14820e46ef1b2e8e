package store

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// walFileSize is the size of the WAL file at path, 0 if there is none.
func walFileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// waitWAL waits, for at most 20 s, until ok says the WAL's upkeep is where
// a test wants it.
func waitWAL(t *testing.T, db *DB, what string, ok func(WALStats) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for st := db.WALStats(); !ok(st); st = db.WALStats() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %+v", what, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// crashImage copies the database and its WAL as they are on disk now, as a
// power cut would leave them (without the shared-memory index, which does
// not outlive the machine), and opens the copy.
func crashImage(t *testing.T, db *DB) *sql.DB {
	t.Helper()
	dir := t.TempDir()
	for _, suffix := range []string{"", "-wal"} {
		src, err := os.Open(db.path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(filepath.Join(dir, "copy.db"+suffix))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		dst.Close()
	}
	c, err := sql.Open("sqlite", filepath.Join(dir, "copy.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var check string
	if err := c.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("the copy's integrity check: %q, %v", check, err)
	}
	return c
}

// The WAL is given its full size as the database opens, in zeros written
// and synced, and the commits then write over them in place: the file
// does not grow while the WAL is within its limit. A copy of the files as
// a power cut leaves them, zeros after the last commit, holds every
// acknowledged event.
func TestTheWALIsGivenItsSizeAndWrittenOverInPlace(t *testing.T) {
	const limit = 8<<20 - walAllocChunk/2 // chunks, the last one short
	db := openTest(t, WithWALLimit(limit))
	walPath := db.path + "-wal"
	deadline := time.Now().Add(20 * time.Second)
	for walFileSize(walPath) != limit {
		if time.Now().After(deadline) {
			t.Fatalf("the WAL is %d bytes, want its limit, %d", walFileSize(walPath), limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Each event is a commit of its own here, of about 100 KiB of pages
	// (the event, its message, conversation, contact, search index).
	const events = 40
	for i := 1; i <= events; i++ {
		if _, err := db.Ingest(context.Background(), benchEvent(i), applyInbound); err != nil {
			t.Fatal(err)
		}
		if got := walFileSize(walPath); got != limit {
			t.Fatalf("after %d events the WAL is %d bytes, want %d: it grew", i, got, limit)
		}
	}
	var n int
	if err := crashImage(t, db).QueryRow(`SELECT count(*) FROM webhook_events`).Scan(&n); err != nil || n != events {
		t.Errorf("the copy holds %d events (%v), want %d", n, err, events)
	}
}

// Once writes stop, a WAL within its limit is copied whole into the
// database file and keeps its size (a RESTART checkpoint). One that grew
// past its limit (a reader held it) is back at its limit after: cut back
// by the next commit, or emptied (TRUNCATE) and given its size again.
// Either way the database file alone holds every event after.
func TestTheIdleWALIsCopiedAndKeepsItsSize(t *testing.T) {
	const limit = 4 << 20
	db := openTest(t, WithWALLimit(limit))
	walPath := db.path + "-wal"
	ingest := func(from, to int) {
		for i := from; i <= to; i++ {
			if _, err := db.Ingest(context.Background(), benchEvent(i), applyInbound); err != nil {
				t.Fatal(err)
			}
		}
	}
	inFileAlone := func() int {
		t.Helper()
		c, err := sql.Open("sqlite", "file:"+db.path+"?immutable=1") // the WAL unread
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var n int
		if err := c.QueryRow(`SELECT count(*) FROM webhook_events`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	idle := func(st WALStats) uint64 { return st.IdleRestarts + st.Truncates }

	ingest(1, 5)
	waitWAL(t, db, "an idle RESTART", func(st WALStats) bool { return st.IdleRestarts == 1 })
	if got := walFileSize(walPath); got != limit {
		t.Errorf("after the idle checkpoint the WAL is %d bytes, want its size kept, %d", got, limit)
	}
	if got := inFileAlone(); got != 5 {
		t.Errorf("the database file alone holds %d events after the idle checkpoint, want 5", got)
	}

	// Held up by a reader, the WAL grows past its limit.
	rd, err := db.reader.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rd.QueryRow(`SELECT count(*) FROM webhook_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	before := idle(db.WALStats())
	for i := 6; walFileSize(walPath) <= limit; i += 10 {
		ingest(i, i+9)
	}
	rd.Rollback()
	waitWAL(t, db, "an idle checkpoint, the WAL at its limit", func(st WALStats) bool {
		return idle(st) > before && walFileSize(walPath) == limit
	})
	if got, want := inFileAlone(), count(t, db, `SELECT count(*) FROM webhook_events`); got != want {
		t.Errorf("the database file alone holds %d events after the idle checkpoint, want %d", got, want)
	}
}

// With little room on the disk, the WAL is not given its size: it grows as
// it is written, and is emptied once writes stop, as where Litestream runs
// the checkpoints.
func TestTheWALIsNotGivenItsSizeOnAFullingDisk(t *testing.T) {
	const limit = 4 << 20
	free := func(string) (uint64, error) { return minFreeSpace, nil } // nothing spare
	db := openTest(t, WithWALLimit(limit), WithFreeSpace(free))
	walPath := db.path + "-wal"
	for i := 1; i <= 20; i++ {
		if _, err := db.Ingest(context.Background(), benchEvent(i), applyInbound); err != nil {
			t.Fatal(err)
		}
	}
	if got := walFileSize(walPath); got >= limit {
		t.Errorf("with little room the WAL is %d bytes, its limit %d", got, limit)
	}
	waitWAL(t, db, "an idle TRUNCATE", func(st WALStats) bool { return st.Truncates == 1 })
	if got := walFileSize(walPath); got != 0 {
		t.Errorf("the idle WAL is %d bytes, want it emptied", got)
	}
}

// The zeros never go where another writer's frames are: a second
// connection (a command run beside the server, such as token create)
// commits all the while the WAL is being given its size, and a copy of
// the files as a power cut leaves them holds every one of its rows and
// every event.
func TestTheWALsZerosNeverOverwriteAnotherWritersFrames(t *testing.T) {
	const limit = 8 << 20
	dir := t.TempDir()
	path := filepath.Join(dir, "switchboard.db")
	// A Switchboard database, and the other writer's table in it, before
	// the server opens it again.
	first, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", DSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	if _, err := other.Exec(`PRAGMA journal_mode = WAL`); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`CREATE TABLE beside (n INTEGER PRIMARY KEY, pad BLOB)`); err != nil {
		t.Fatal(err)
	}

	var rows atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := other.Exec(`INSERT INTO beside (n, pad) VALUES (?, zeroblob(3000))`, i); err != nil {
				t.Errorf("the other writer: %v", err)
				return
			}
			rows.Store(int64(i))
			time.Sleep(200 * time.Microsecond) // as commands do: the server writes between
		}
	})
	db, err := Open(path, WithWALLimit(limit), WithReportPacking(0))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 1; i <= 100; i++ {
		if _, err := db.Ingest(context.Background(), benchEvent(i), applyInbound); err != nil {
			t.Fatal(err)
		}
	}
	waitWAL(t, db, "the WAL's size", func(WALStats) bool { return !db.wal.allocPending.Load() })
	close(stop)
	wg.Wait()
	if rows.Load() == 0 {
		t.Fatal("the other writer wrote nothing")
	}

	c := crashImage(t, db)
	var n, m int
	if err := c.QueryRow(`SELECT count(*) FROM beside`).Scan(&n); err != nil || int64(n) != rows.Load() {
		t.Errorf("the copy holds %d of the other writer's %d rows (%v)", n, rows.Load(), err)
	}
	if err := c.QueryRow(`SELECT count(*) FROM webhook_events`).Scan(&m); err != nil || m != 100 {
		t.Errorf("the copy holds %d of 100 events (%v)", m, err)
	}
	t.Logf("%d rows beside, WAL %d bytes", n, walFileSize(path+"-wal"))
}

// A command that opens the database for a moment (token create, say)
// leaves the WAL to grow as it is written; one that writes for long (the
// server) gives it its size again once writes stop, when another process
// has emptied it meanwhile.
func TestOnlyALongWriterGivesTheWALItsSize(t *testing.T) {
	const limit = 2 << 20
	dir := t.TempDir()
	path := filepath.Join(dir, "switchboard.db")
	cmd, err := Open(path, WithWALLimit(limit), WithReportPacking(0), ForOneCommand())
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if _, err := cmd.Ingest(context.Background(), benchEvent(i), applyInbound); err != nil {
			t.Fatal(err)
		}
	}
	if got := walFileSize(path + "-wal"); got >= limit {
		t.Errorf("a command's WAL is %d bytes, its limit %d: given its size", got, limit)
	}
	cmd.Close()

	db, err := Open(path, WithWALLimit(limit), WithReportPacking(0))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitWAL(t, db, "the WAL's size", func(WALStats) bool { return walFileSize(path+"-wal") == limit })
	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for busy, tries := 1, 0; busy != 0; tries++ {
		var frames, copied int
		if err := other.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied); err != nil || tries == 100 {
			t.Fatalf("another process's TRUNCATE: busy %d, %v", busy, err)
		}
	}
	if got := walFileSize(path + "-wal"); got != 0 {
		t.Fatalf("after another process's TRUNCATE the WAL is %d bytes", got)
	}
	waitWAL(t, db, "the WAL's size again", func(WALStats) bool { return walFileSize(path+"-wal") == limit })
	if _, err := db.Ingest(context.Background(), benchEvent(6), applyInbound); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM webhook_events`); n != 6 {
		t.Errorf("%d events stored, want 6", n)
	}
}
