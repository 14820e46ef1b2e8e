package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"switchboard/inbox"
)

// gatedSync replaces the WAL syncer's fsync: each call reports itself on
// started, with the events a reader then finds stored, and returns what
// the test sends on release.
type gatedSync struct {
	db      *DB
	started chan []string
	release chan error
}

func newGatedSync() *gatedSync {
	return &gatedSync{started: make(chan []string), release: make(chan error)}
}

func (g *gatedSync) sync(string) error {
	rows, err := g.db.reader.Query(`SELECT id FROM webhook_events ORDER BY rowid`)
	if err != nil {
		return err
	}
	ids, err := scanStrings(rows)
	if err != nil {
		return err
	}
	g.started <- ids
	return <-g.release
}

// openGated opens a SQLite database whose WAL syncer waits for the test,
// with opts.
func openGated(t *testing.T, opts ...Option) (*DB, *gatedSync) {
	t.Helper()
	if onPostgres(t) {
		t.Skip("PostgreSQL commits durably itself: no WAL syncer")
	}
	g := newGatedSync()
	db := openTest(t, append([]Option{func(o *options) { o.syncWAL = g.sync }}, opts...)...)
	g.db = db
	t.Cleanup(func() {
		// Every sync succeeds from now on, so that Close can finish
		// whatever the test left waiting.
		stop := make(chan struct{})
		go func() {
			for {
				select {
				case <-g.started:
				case g.release <- nil:
				case <-stop:
					return
				}
			}
		}()
		db.Close()
		close(stop)
	})
	return db, g
}

// appendAsync stores a webhook event as the webhook handler does and
// reports the answer on the channel it returns.
func appendAsync(db *DB, id string) <-chan error {
	answer := make(chan error, 1)
	go func() {
		_, err := db.Append(context.Background(), &inbox.Event{ID: id, Type: "test.sync"})
		answer <- err
	}()
	return answer
}

func waitSyncStarted(t *testing.T, g *gatedSync) []string {
	t.Helper()
	select {
	case ids := <-g.started:
		return ids
	case <-time.After(30 * time.Second):
		t.Fatal("no sync of the WAL began")
		return nil
	}
}

func notAnswered(t *testing.T, answer <-chan error, what string) {
	t.Helper()
	select {
	case err := <-answer:
		t.Fatalf("%s was answered (%v) before the sync that covers it returned", what, err)
	default:
	}
}

func answered(t *testing.T, answer <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-answer:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("%s was not answered after its sync returned", what)
		return nil
	}
}

// writeAsync stores an event, as a write with a rule of its own (Ingest),
// and reports on ran once the rule has run in the writer's transaction,
// and the answer on the other channel. breaks makes the rule break the
// transaction itself, not just its own write.
func writeAsync(db *DB, id string, breaks bool) (answer <-chan error, ran <-chan struct{}) {
	a, r := make(chan error, 1), make(chan struct{})
	go func() {
		_, err := db.Ingest(context.Background(), &inbox.Event{ID: id, Type: "test.sync"},
			func(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
				close(r)
				if breaks {
					// The savepoint is gone: it cannot be rolled back to.
					if _, err := tx.(*writeTx).execSQL(ctx, `RELEASE job`); err != nil {
						return inbox.Change{}, err
					}
					return inbox.Change{}, errors.New("fails after breaking the savepoint")
				}
				return inbox.Change{}, nil
			})
		a <- err
	}()
	return a, r
}

func waitRan(t *testing.T, ran <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ran:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not run while the sync before it ran", what)
	}
}

// stageWrites sends n writes, prefix_1 to prefix_n, while a sync runs,
// waiting until each has run in the next batch's transaction, and returns
// their answers.
func stageWrites(t *testing.T, db *DB, prefix string, n int) []<-chan error {
	t.Helper()
	var answers []<-chan error
	for i := 1; i <= n; i++ {
		a, ran := writeAsync(db, fmtID(prefix, i), false)
		waitRan(t, ran, fmtID(prefix, i))
		answers = append(answers, a)
	}
	return answers
}

// releaseSync lets the sync running return, and requires each of answers
// to be answered without an error.
func releaseSync(t *testing.T, g *gatedSync, what string, answers ...<-chan error) {
	t.Helper()
	g.release <- nil
	for _, a := range answers {
		if err := answered(t, a, what); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

func noSyncStarted(t *testing.T, g *gatedSync, within time.Duration, why string) {
	t.Helper()
	select {
	case ids := <-g.started:
		t.Fatalf("a sync began with %v stored: %s", ids, why)
	case <-time.After(within):
	}
}

// An acknowledged event is on disk: its caller hears of it only after an
// fsync of the WAL that began once it was committed. The writes that come
// while that sync runs are run as they come, in the next batch's
// transaction, and committed together once it is answered: one commit,
// and a sync of their own right after.
func TestWritesAreAnsweredAfterASyncThatCoversThem(t *testing.T) {
	db, g := openGated(t)

	first := appendAsync(db, "evt_first")
	if ids := waitSyncStarted(t, g); len(ids) != 1 || ids[0] != "evt_first" {
		t.Fatalf("the sync began with %v stored, want [evt_first]: it must follow the commit", ids)
	}
	notAnswered(t, first, "the first event")

	second, ran2 := writeAsync(db, "evt_second", false)
	third, ran3 := writeAsync(db, "evt_third", false)
	waitRan(t, ran2, "the second write")
	waitRan(t, ran3, "the third write")
	if n := count(t, db, `SELECT count(*) FROM webhook_events`); n != 1 {
		t.Fatalf("%d events committed while the first one's sync ran, want 1: the next batch commits once it is answered", n)
	}

	releaseSync(t, g, "the first event", first)
	notAnswered(t, second, "the second event")
	notAnswered(t, third, "the third event")

	if ids := waitSyncStarted(t, g); len(ids) != 3 {
		t.Fatalf("the second sync began with %v stored, want all three events", ids)
	}
	notAnswered(t, second, "the second event")
	releaseSync(t, g, "the second and third events", second, third)
	if st := db.Stats(); st.Writes != 3 || st.Batches != 2 || st.MaxBatch != 2 {
		t.Errorf("stats after two synced batches: %+v, want 3 writes in 2 batches, the second of 2", st)
	}
}

// Writes that arrive while a sync runs share one commit and one sync: a
// slow disk makes larger batches, not more commits.
func TestWritesArrivingDuringASyncShareOneCommit(t *testing.T) {
	db, g := openGated(t)

	first := appendAsync(db, "evt_0")
	waitSyncStarted(t, g)
	rest := stageWrites(t, db, "evt", 5)
	if n := count(t, db, `SELECT count(*) FROM webhook_events`); n != 1 {
		t.Fatalf("%d events committed while a sync ran, want 1", n)
	}

	releaseSync(t, g, "evt_0", first)
	if ids := waitSyncStarted(t, g); len(ids) != 6 {
		t.Fatalf("the second sync began with %d events stored, want all 6", len(ids))
	}
	releaseSync(t, g, "a gathered event", rest...)
	if st := db.Stats(); st.Batches != 2 || st.MaxBatch != 5 {
		t.Errorf("stats: %+v, want 2 batches, the second of 5 writes", st)
	}
}

// batchOfThree commits evt_a alone, then evt_b1..3 in one batch, and has
// both answered: the last batch answered held 3 writes.
func batchOfThree(t *testing.T, db *DB, g *gatedSync) {
	t.Helper()
	a := appendAsync(db, "evt_a")
	waitSyncStarted(t, g)
	bs := stageWrites(t, db, "evt_b", 3)
	releaseSync(t, g, "evt_a", a)
	if ids := waitSyncStarted(t, g); len(ids) != 4 {
		t.Fatalf("the second sync began with %v stored, want evt_a and the 3 others", ids)
	}
	releaseSync(t, g, "a write of the batch of 3", bs...)
}

// The callers of a batch just answered send their next writes: the next
// batch waits for as many writes as that batch held before it commits,
// rather than commit the first alone and have the others wait for its
// sync.
func TestABatchWaitsForAsManyWritesAsTheLastOneAnswered(t *testing.T) {
	db, g := openGated(t, func(o *options) { o.commitWait = func(int) time.Duration { return time.Hour } })
	batchOfThree(t, db, g)

	c1, ran := writeAsync(db, "evt_c1", false)
	waitRan(t, ran, "the first write after the batch of 3")
	noSyncStarted(t, g, 100*time.Millisecond, "the batch holds 1 write, and waits for 3")
	notAnswered(t, c1, "the first write after the batch of 3")
	c2, _ := writeAsync(db, "evt_c2", false)
	c3, _ := writeAsync(db, "evt_c3", false)
	if ids := waitSyncStarted(t, g); len(ids) != 7 {
		t.Fatalf("the third sync began with %v stored, want the 3 writes after the batch of 3 too", ids)
	}
	releaseSync(t, g, "a write after the batch of 3", c1, c2, c3)
	if st := db.Stats(); st.Batches != 3 || st.Writes != 7 || st.MaxBatch != 3 {
		t.Errorf("stats: %+v, want 7 writes in 3 batches of at most 3", st)
	}
}

// The wait for as many writes as the last batch held is bounded: a write
// that no other follows is committed, synced and answered after at most
// commitWait.
func TestTheWaitForWritesIsBounded(t *testing.T) {
	db, g := openGated(t, func(o *options) { o.commitWait = func(int) time.Duration { return 20 * time.Millisecond } })
	batchOfThree(t, db, g)

	c, _ := writeAsync(db, "evt_c", false)
	if ids := waitSyncStarted(t, g); len(ids) != 5 {
		t.Fatalf("the third sync began with %v stored, want the one write after the batch of 3", ids)
	}
	releaseSync(t, g, "the write after the batch of 3", c)
}

// A write that breaks its transaction while the batch waits for the sync
// before fails the writes the batch took so far, at once; the batch being
// synced is answered as usual, and the writes after go on.
func TestABatchThatFailsWhileASyncRunsFailsAlone(t *testing.T) {
	db, g := openGated(t)

	a := appendAsync(db, "evt_a")
	waitSyncStarted(t, g)
	b, ranB := writeAsync(db, "evt_b", false)
	waitRan(t, ranB, "the write before the breaking one")
	c, _ := writeAsync(db, "evt_c", true)
	for what, ch := range map[string]<-chan error{"the write before the breaking one": b, "the breaking write": c} {
		if err := answered(t, ch, what); err == nil {
			t.Errorf("%s was acknowledged from a batch that did not commit", what)
		}
	}
	notAnswered(t, a, "the event being synced")

	releaseSync(t, g, "the event being synced", a)
	d := appendAsync(db, "evt_d")
	if ids := waitSyncStarted(t, g); len(ids) != 2 || ids[0] != "evt_a" || ids[1] != "evt_d" {
		t.Fatalf("the next sync began with %v stored, want [evt_a evt_d]", ids)
	}
	releaseSync(t, g, "the write after the failed batch", d)
}

// A failed sync fails the writes it covers, and may have left a hole in
// the WAL that a later sync does not fill: until a checkpoint has put the
// whole WAL in the database file, no write is acknowledged, even one whose
// own sync would succeed. Health says so all along; ENOSPC reads as a
// full disk.
func TestAFailedSyncRefusesWritesUntilTheWALIsCheckpointed(t *testing.T) {
	db, g := openGated(t)
	ctx := context.Background()

	// A reader on an older snapshot holds the checkpoint off.
	hold, err := db.reader.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	var n int
	if err := hold.QueryRow(`SELECT count(*) FROM webhook_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}

	first := appendAsync(db, "evt_eio")
	waitSyncStarted(t, g)
	g.release <- syscall.EIO
	if err := answered(t, first, "the event whose sync failed"); !errors.Is(err, syscall.EIO) {
		t.Fatalf("write answered %v, want the sync's EIO", err)
	}
	if err := db.Ping(ctx); !errors.Is(err, inbox.ErrWritesFailing) {
		t.Errorf("Ping after a failed sync: %v, want ErrWritesFailing", err)
	}

	// Refused without a sync: the gated sync would hold it unanswered.
	second := appendAsync(db, "evt_after_eio")
	if err := answered(t, second, "the event after the failed sync"); !errors.Is(err, errWALLost) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("write after the failed sync answered %v, want refused for the WAL's failed sync", err)
	}
	if err := db.Ping(ctx); !errors.Is(err, inbox.ErrWritesFailing) {
		t.Errorf("Ping while the WAL is not checkpointed: %v, want ErrWritesFailing", err)
	}

	// Once the reader is done, a checkpoint copies the WAL into the
	// database file (the idle one, here) and writes are acknowledged again.
	hold.Rollback()
	deadline := time.Now().Add(30 * time.Second)
	for db.walSync.lost.Load() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the WAL was not checkpointed after the failed sync")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if salt, ok, err := walSalt(db.wal.path); err != nil || ok && salt != 0 {
		// Emptied, and maybe given its size again since (walalloc.go):
		// zeros, no header.
		t.Errorf("the WAL has a header (salt %d, %v) after the checkpoint that mends it, want it emptied into the database", salt, err)
	}
	if n := count(t, db, `SELECT count(*) FROM webhook_events WHERE id IN ('evt_eio', 'evt_after_eio')`); n != 2 {
		t.Errorf("%d of the 2 refused events are in the database, want both: committed, only not acknowledged", n)
	}
	third := appendAsync(db, "evt_mended")
	waitSyncStarted(t, g)
	releaseSync(t, g, "the event after the checkpoint", third)
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping once writes are acknowledged again: %v", err)
	}

	full := appendAsync(db, "evt_full")
	waitSyncStarted(t, g)
	g.release <- syscall.ENOSPC
	answered(t, full, "the event whose sync found the disk full")
	if err := db.Ping(ctx); !errors.Is(err, inbox.ErrDiskFull) {
		t.Errorf("Ping after a sync found the disk full: %v, want ErrDiskFull", err)
	}
}

// writeWALHeader writes the 32-byte header of a WAL at path whose first
// salt is salt.
func writeWALHeader(t *testing.T, path string, salt uint32) {
	t.Helper()
	var h [32]byte
	binary.BigEndian.PutUint32(h[0:4], 0x377f0682)
	binary.BigEndian.PutUint32(h[16:20], salt)
	if err := os.WriteFile(path, h[:], 0o600); err != nil {
		t.Fatal(err)
	}
}

// The hole a failed sync left is mended once the WAL has started over
// since: its header holds another first salt, or it is empty. A
// check clears only the failure it began under: a sync that failed
// meanwhile left a hole of its own.
func TestAFailedSyncIsMendedOnceTheWALStartsOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db-wal")
	writeWALHeader(t, path, 7)
	s := newWALSync(path, nil, nil)

	s.lose(syscall.EIO)
	before := s.lost.Load()
	if s.found(before) {
		t.Fatal("mended while the WAL has not started over")
	}
	s.lose(syscall.ENOSPC)
	writeWALHeader(t, path, 8)
	if s.found(before) {
		t.Fatal("a check begun before the second failure cleared it")
	}
	if err := s.lostErr(); !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, errWALLost) {
		t.Fatalf("lost = %v, want the later failure", err)
	}
	if !s.found(s.lost.Load()) || s.lostErr() != nil {
		t.Fatal("the WAL started over after the last failure, and it is still lost")
	}

	s.lose(syscall.EIO)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	if !s.found(s.lost.Load()) {
		t.Fatal("an emptied WAL did not mend the failure")
	}
	// A header that cannot be read (here: the WAL is a folder) says
	// nothing of a restart; only an emptied WAL does.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	s.lose(syscall.EIO)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	writeWALHeader(t, path, 9)
	if s.found(s.lost.Load()) {
		t.Fatal("mended by a header, when the one at the failure could not be read")
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	if !s.found(s.lost.Load()) {
		t.Fatal("an emptied WAL did not mend a failure whose header could not be read")
	}

	s.lose(syscall.EIO)
	if s.lost.Load() != nil {
		t.Fatal("a failure recorded while the WAL is empty: a checkpoint had already put the failed batch in the database file")
	}
	if s.found(nil) {
		t.Fatal("found reported a mend with no failure")
	}
}

// Where Litestream runs the checkpoints, Switchboard runs none to mend a
// failed sync: one of Litestream's that starts the WAL over does.
func TestAFailedSyncIsMendedByLitestreamsCheckpoint(t *testing.T) {
	db, g := openGated(t, WithExternalCheckpoints())
	first := appendAsync(db, "evt_eio")
	waitSyncStarted(t, g)
	g.release <- syscall.EIO
	if err := answered(t, first, "the event whose sync failed"); !errors.Is(err, syscall.EIO) {
		t.Fatalf("write answered %v, want the sync's EIO", err)
	}
	time.Sleep(2 * walLostRetry)
	second := appendAsync(db, "evt_refused")
	if err := answered(t, second, "the event after the failed sync"); !errors.Is(err, errWALLost) {
		t.Fatalf("write after the failed sync answered %v, want refused: no checkpoint of Switchboard's may mend it here", err)
	}

	// Litestream's checkpoint, from a connection of its own.
	other, err := sql.Open("sqlite", DSN(db.path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		if time.Now().After(deadline) {
			t.Fatal("writes were still refused after another process's checkpoint started the WAL over")
		}
		time.Sleep(2 * walLostRetry)
		ans := appendAsync(db, fmt.Sprintf("evt_try_%d", i))
		select {
		case err := <-ans:
			if !errors.Is(err, errWALLost) {
				t.Fatalf("write answered %v, want refused or acknowledged", err)
			}
			continue
		case <-g.started:
			g.release <- nil
		}
		if err := answered(t, ans, "the event after the WAL started over"); err != nil {
			t.Fatalf("write after the WAL started over: %v", err)
		}
		break
	}
}
