package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"time"
)

// errWALLost wraps the failed sync for the writes refused after it.
var errWALLost = errors.New("a sync of the WAL failed; writes are refused until the WAL is checkpointed into the database")

// Group commit, with the disk's wait beside the writer (SQLite).
//
// The writer connection commits with synchronous=NORMAL: COMMIT writes the
// transaction's pages to the WAL and returns without waiting for the disk.
// A batch of writes is then handed, committed, to the WAL syncer, a
// goroutine of its own, and its callers are answered only once an fsync of
// the WAL that began after that commit has returned: an acknowledged write
// is on disk exactly as with synchronous=FULL, where COMMIT itself waits.
// Meanwhile the writer applies stored events, if any wait, instead of
// waiting for the disk.
//
// One batch is synced at a time, and the next is committed only once the
// syncer has answered the one before (the turn). The writes that arrive
// while a sync runs are taken as they come into the next batch's
// transaction and run there, so that when the turn comes, little is left
// to do but the COMMIT: a write waits for the rest of the sync running
// when it came, then for its batch's commit and sync, about one and a half
// syncs, and a slow disk makes larger batches, not more commits.
//
// And when the turn comes, the batch waits, for at most commitWait, until
// it holds as many writes as the last batch answered when it began: the
// callers of that batch (webhook senders that awaited their answer, each
// with the next event in hand) are sending their next writes, and those
// share this commit and sync rather than wait for the next. Without that wait, under a steady load
// of such callers, the batches alternate between two groups of callers,
// each answered every other sync (measured with switchboard bench
// --ingest: the wait acknowledged more webhooks a second, in larger
// batches). Where writes come one at a time, each batch holds one and
// waits for nothing.
//
// A power cut loses no acknowledged write: SQLite appends each commit to
// the WAL after the ones before it, and recovers the WAL up to the last
// commit it finds whole, so an fsync that covers a commit covers every
// commit before it. What a power cut can lose is what nobody was told is
// written: commits not yet synced, which their callers (Zavu, for a
// webhook) send again. Readers may see a commit a moment before it is on
// disk; nothing leaves the machine on the strength of such a read alone:
// the outbox claims a reply in a write of its own, acknowledged after the
// fsync that covers the reply too, before it sends it.
//
// Checkpoints sync the WAL themselves before they copy it to the database
// (synchronous=NORMAL does), so no page reaches the database file ahead of
// the WAL that holds it.
//
// A sync that fails leaves a hole: the pages it was to write may never
// reach the disk (the kernel may mark them written all the same), while
// the commits after them are appended to the WAL behind the hole. A later
// sync that succeeds does not write those pages again, and after a power
// cut SQLite recovers the WAL only up to the hole: the commits behind it
// would be lost, acknowledged or not. So after a failed sync the syncer
// acknowledges nothing: every batch fails, and the database reports writes
// failing, until the WAL has started over. SQLite starts it over only once
// a checkpoint has copied every page of it into the database file and
// synced that file: what was committed before is then on disk, whatever
// the WAL lost, and what comes after goes into a new WAL. The writer runs
// a TRUNCATE checkpoint for that between batches, and the checkpoint
// goroutine while none come; where Litestream runs the checkpoints, its
// own start the WAL over. The WAL's header tells: its first salt changes
// each time the WAL starts over, whichever connection started it.

// walSync is the WAL syncer.
type walSync struct {
	path    string             // the WAL file
	sync    func(string) error // syncs the file at a path (syncData; tests replace it)
	batches chan syncBatch     // from the writer goroutine
	// turn holds a token from the moment the writer is about to commit a
	// batch until the syncer has answered it: the writer commits the next
	// batch only then, so that what arrives while a sync runs is
	// committed once, and synced at once.
	turn chan struct{}
	done chan struct{} // closed when the syncer has answered every batch

	// The writer goroutine's own (awaitTurn): how many jobs the last two
	// batches it handed over held (last, and the one before), how long
	// at most a batch waits for n jobs (commitWait), and the timer of
	// that wait.
	last, before int
	wait         func(n int) time.Duration
	timer        *time.Timer

	// lost is the failed sync that left a hole in the WAL, until the WAL
	// has started over; nil otherwise.
	lost atomic.Pointer[walLoss]
	// lostAt is when lost was set or last retried, in Unix nanoseconds,
	// for the writer to space its checkpoints out.
	lostAt atomic.Int64
}

// syncBatch is a committed batch of writes waiting for the disk.
type syncBatch struct {
	jobs   []*job
	writes int    // the writes among jobs (upkeep excluded), for Stats
	commit Commit // for the commit observer: Took grows by the wait for the disk
	start  time.Time
}

func newWALSync(path string, sync func(string) error, wait func(n int) time.Duration) *walSync {
	if sync == nil {
		sync = syncData
	}
	if wait == nil {
		wait = commitWait
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	return &walSync{path: path, sync: sync, batches: make(chan syncBatch, 1), turn: make(chan struct{}, 1), done: make(chan struct{}),
		wait: wait, timer: timer}
}

// handed records, on the writer goroutine, that a batch of n jobs was
// handed over (0 for a batch that failed: its callers, told so, may not
// write again).
func (s *walSync) handed(n int) { s.last, s.before = n, s.last }

// answered is, on the writer goroutine, how many jobs the last batch the
// syncer has answered held: the last batch handed over if the writer holds
// the turn (turn), the one before if that one is still being synced.
func (s *walSync) answered(turn bool) int {
	if turn {
		return s.last
	}
	return s.before
}

// commitWait bounds how long a batch waits, once the sync before is
// answered, for as many writes as that one held, n (see awaitTurn): each
// of their callers needs its answer written and its next request read, on
// the cores the writer shares, about 50 µs each with switchboard bench's
// 16 senders on 2 cores (the server's 75-80 µs of CPU and the senders' 19
// µs a webhook); the wait allows 60 µs for each, and 1 ms at most. (A
// wait of 1 ms whatever n acknowledged as many webhooks a second, 14,454
// against 14,647/s on average in 7 alternating runs of bench --ingest,
// but made a webhook wait longer at a steady 1,000 a second, where a
// batch of two by chance had the next one wait for a second webhook that
// came a millisecond later: ack p50 0.68-0.89 against 0.61-0.65 ms.)
func commitWait(n int) time.Duration {
	return min(time.Duration(n)*60*time.Microsecond, time.Millisecond)
}

// tryReserve takes, on the writer goroutine, the turn for the batch the
// writer is about to commit if the syncer has answered the last batch
// handed to it, and reports whether it did (awaitTurn waits for it
// otherwise); hand fills the turn, or release gives it back.
func (s *walSync) tryReserve() bool {
	select {
	case s.turn <- struct{}{}:
		return true
	default:
		return false
	}
}

// release gives back a turn the writer took and hand did not fill.
func (s *walSync) release() { <-s.turn }

// hand gives the syncer a committed batch, in the turn the writer took.
func (s *walSync) hand(b syncBatch) { s.batches <- b }

// stop ends the syncer once it has answered every batch handed to it; the
// writer goroutine calls it as it stops.
func (s *walSync) stop() {
	close(s.batches)
	<-s.done
}

// run is the syncer goroutine: for each batch handed to it, it syncs the
// WAL, then answers the batch's jobs, failing them if the sync failed
// (their writes are committed, and may not be on disk). Once it has
// answered a batch, it gives the writer the turn to commit the next,
// which holds whatever came while the sync ran. Answering first lets the
// callers just answered reach the cores before the writer's next commit
// does (measured with switchboard bench --ingest: the other order
// acknowledged fewer webhooks a second).
func (s *walSync) run(db *DB) {
	defer close(s.done)
	for b := range s.batches {
		err := s.lostErr()
		if err == nil {
			if err = s.sync(s.path); err != nil {
				// As a failed commit: the batch fails, and health says
				// writes fail; and so do the next ones, until the WAL is
				// checkpointed.
				err = fmt.Errorf("sync the WAL: %w", err)
				s.lose(err)
				db.log.Error("a sync of the WAL failed: writes are refused until the WAL is checkpointed into the database", "err", err)
			}
		}
		b.commit.Took += time.Since(b.start)
		db.answer(b.jobs, err, b.writes, b.commit)
		<-s.turn
	}
}

// walLoss is a failed sync of the WAL, and the WAL it left a hole in.
type walLoss struct {
	err error
	// salt is the first salt in the WAL's header after the failure; the
	// WAL has started over since once its header holds another, or once
	// it is empty. Unless known, the header could not be read: only an
	// empty WAL says it started over.
	salt  uint32
	known bool
}

// lose records the failed sync err: no batch is acknowledged after it
// until the WAL has started over (found). Each failure is recorded anew,
// so that a check that began before it does not clear it.
func (s *walSync) lose(err error) {
	salt, ok, herr := walSalt(s.path)
	if herr != nil {
		err = errors.Join(err, herr)
	}
	if !ok && herr == nil {
		// Empty: a checkpoint emptied it after the failed batch was
		// committed, and so put that batch in the database file.
		return
	}
	s.lostAt.Store(time.Now().UnixNano())
	s.lost.Store(&walLoss{err: err, salt: salt, known: herr == nil})
}

// lostErr is the error a batch fails with while the WAL has a hole; nil
// when it has none.
func (s *walSync) lostErr() error {
	if l := s.lost.Load(); l != nil {
		return fmt.Errorf("%w: %w", errWALLost, l.err)
	}
	return nil
}

// found records, if the WAL has started over since the failure before
// (lost.Load() from before the checkpoint that tried to mend it), that
// batches are acknowledged again. A sync that failed since keeps the WAL
// lost. It reports whether the WAL is mended.
func (s *walSync) found(before *walLoss) bool {
	if before == nil {
		return false
	}
	salt, ok, err := walSalt(s.path)
	if err != nil || ok && (!before.known || salt == before.salt) {
		return false
	}
	return s.lost.CompareAndSwap(before, nil)
}

// walSalt reads the first salt in the header of the WAL at path; ok is
// false for a WAL that is empty or absent (no header). (The checkpoint
// sequence number beside it counts only the restarts of the connection
// that writes the header.)
func walSalt(path string) (salt uint32, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	var h [32]byte
	switch _, err := f.ReadAt(h[:], 0); {
	case errors.Is(err, io.EOF):
		return 0, false, nil // shorter than a header: being written anew
	case err != nil:
		return 0, false, err
	}
	return binary.BigEndian.Uint32(h[16:20]), true, nil
}

// retryDue reports, on the writer goroutine, whether the WAL has a hole
// and the last checkpoint tried to mend it was long enough ago.
func (s *walSync) retryDue(now time.Time) bool {
	if s.lost.Load() == nil {
		return false
	}
	at := s.lostAt.Load()
	if now.UnixNano()-at < int64(walLostRetry) {
		return false
	}
	return s.lostAt.CompareAndSwap(at, now.UnixNano())
}

// walLostRetry is how often, at most, the writer tries to checkpoint a WAL
// that a failed sync left with a hole.
const walLostRetry = 100 * time.Millisecond
