package store

import (
	"context"
	"database/sql"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Keeping the WAL bounded.
//
// Every commit appends the pages it changed to the WAL; a checkpoint copies
// them back into the database file, and once every page is copied and no
// reader still needs the old frames, the next write starts the WAL over
// from its beginning. A writer that commits continuously never leaves that
// moment to a checkpoint running beside it: the PASSIVE checkpoint always
// finishes behind the last commit, so the WAL only grows. Three things keep
// it in bounds:
//
//   - the checkpoint goroutine copies pages in the background with PASSIVE
//     checkpoints (never waiting on anyone), so little is left to copy when
//     the WAL has to start over;
//   - the writer goroutine, between two batches (it holds no transaction
//     then, and no other writer can start), runs a RESTART checkpoint when
//     the WAL file has passed walLimit: it copies what is left and waits,
//     briefly, for readers still on old frames, so that its next commit
//     starts the WAL over. journal_size_limit then cuts the file back to
//     walLimit. A reader that holds on longer (a backup) makes it give up;
//     it tries again a little later;
//   - when no write has come for walIdleAfter, the checkpoint goroutine
//     copies all of it into the database: with a RESTART checkpoint that
//     keeps the file at its size (walalloc.go), or, past its limit, a
//     TRUNCATE checkpoint, which leaves it empty.

// DefaultWALLimit is the WAL's size: past it, the writer starts the WAL
// over; below it, the file keeps it (walalloc.go). Bytes.
const DefaultWALLimit = 16 << 20

const (

	// walRestartWait bounds how long the writer waits for readers in a
	// RESTART checkpoint; every queued write waits as long. Once the WAL
	// is past twice its limit, each RESTART that readers held up makes the
	// next wait twice as long, up to walRestartWaitMax: on a loaded
	// machine a short read can take longer than walRestartWait, and the
	// WAL would grow until one happened to fit. A long reader (a backup)
	// then costs the writes at most walRestartWaitMax each time the WAL
	// grows by a quarter of its limit.
	walRestartWait    = 5  // ms, a busy_timeout
	walRestartWaitMax = 40 // ms
	// walIdleAfter is how long without a write before the WAL is emptied.
	walIdleAfter = time.Second
	// walTruncateWait bounds how long an idle TRUNCATE checkpoint waits for
	// readers; a write arriving meanwhile waits as long.
	walTruncateWait = 20 // ms, a busy_timeout
)

// walKeeper is the state of the WAL's upkeep, shared by the writer
// goroutine and the checkpoint goroutine.
type walKeeper struct {
	path  string // the WAL file
	limit int64  // its size that makes the writer restart it
	// external: another process (Litestream) runs the checkpoints; the
	// writer only measures the WAL.
	external bool

	// mu is held while a checkpoint runs, so that the two goroutines never
	// run one each at the same time (SQLite would refuse the second). The
	// writer only ever tries it: it never waits for the checkpoint
	// goroutine.
	mu sync.Mutex

	commits atomic.Uint64 // batches the writer ran, to tell idleness

	// The writer goroutine's own: after a RESTART checkpoint that a reader
	// held up, the next waits until the WAL has grown by a quarter of the
	// limit, so that a long reader (a backup) costs the writes little;
	// restartWait is how long the next RESTART waits for readers.
	retryAt     int64
	restartWait int

	// allocPending says the WAL is to be given its size (walalloc.go)
	// as soon as it can, set as the database opens; noAlloc that it is
	// left to grow instead.
	allocPending atomic.Bool
	noAlloc      atomic.Bool

	file                          atomic.Pointer[os.File] // the WAL, open for size
	closed                        atomic.Bool             // the database is closing: size opens no file
	maxSize                       atomic.Int64            // the largest size the writer saw between batches
	restarts, truncates, busy     atomic.Uint64
	idleRestarts                  atomic.Uint64
	restartNanos, restartMaxNanos atomic.Int64 // time the writer spent in RESTART checkpoints
}

// WALStats says what the WAL upkeep has done since Open.
type WALStats struct {
	Size      int64  // the WAL file's size now, in bytes
	MaxSize   int64  // the largest size seen between two batches
	Restarts  uint64 // RESTART checkpoints the writer ran between batches
	Truncates uint64 // TRUNCATE checkpoints run while no write came
	// RESTART checkpoints run while no write came, the WAL within its
	// limit: all of it copied, its file kept at its size (walalloc.go).
	IdleRestarts uint64
	Busy         uint64 // checkpoints a reader or another checkpoint held up

	// The time the writer spent in RESTART checkpoints, in all and at
	// most once: writes queued meanwhile wait as long.
	RestartTime, RestartMax time.Duration
}

// WALStats reports the WAL's size and upkeep.
func (db *DB) WALStats() WALStats {
	return WALStats{Size: db.wal.size(), MaxSize: db.wal.maxSize.Load(), Restarts: db.wal.restarts.Load(),
		Truncates: db.wal.truncates.Load(), IdleRestarts: db.wal.idleRestarts.Load(), Busy: db.wal.busy.Load(),
		RestartTime: time.Duration(db.wal.restartNanos.Load()), RestartMax: time.Duration(db.wal.restartMaxNanos.Load())}
}

// size is the WAL file's size, 0 when there is none.
//
// It asks a file it keeps open where the file ends, and never stats the
// path: on Linux (6.13 and later) a stat marks the file's times as seen,
// so the next write gives it a new, finer modification time, and the
// next fdatasync then writes the inode too, a second write to the disk
// before its flush. The writer measures the WAL after every batch: with
// a stat, every sync of the WAL wrote the inode (a block trace of
// switchboard bench --ingest, 16 senders); without, about one in four
// does, when the clock's coarse tick moves, and the median sync went from
// 243-283 µs to 188-195 µs.
func (k *walKeeper) size() int64 {
	f := k.file.Load()
	if f == nil {
		if k.closed.Load() {
			return 0
		}
		nf, err := os.Open(k.path)
		if err != nil {
			return 0
		}
		if k.file.CompareAndSwap(nil, nf) {
			f = nf
		} else {
			nf.Close()
			if f = k.file.Load(); f == nil {
				return 0
			}
		}
	}
	n, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0
	}
	return n
}

// close closes the file size keeps open, before the database's
// connections close (the last of them removes the WAL).
func (k *walKeeper) close() {
	k.closed.Store(true)
	if f := k.file.Swap(nil); f != nil {
		f.Close()
	}
}

// afterBatch is the writer goroutine's part, run between two batches: when
// the WAL has grown past its limit, checkpoint it with RESTART on the
// writer connection so that the next commit starts it over.
func (db *DB) afterBatch() {
	k := &db.wal
	k.commits.Add(1)
	size := k.size()
	if size > k.maxSize.Load() {
		k.maxSize.Store(size) // only the writer stores it
	}
	if db.wconn != nil && db.walSync != nil && db.walSync.retryDue(time.Now()) && k.mu.TryLock() {
		// A failed sync left a hole in the WAL: nothing is acknowledged
		// until a checkpoint puts all of it in the database file.
		db.mendWAL(db.wconn.Conn)
		k.mu.Unlock()
		return
	}
	if db.wconn != nil && k.allocPending.Load() && size < k.limit && k.mu.TryLock() {
		db.allocateWALStep(db.wconn.Conn) // a chunk of the WAL's size (walalloc.go)
		k.mu.Unlock()
		return
	}
	if db.wconn == nil || k.external || size <= k.limit || size < k.retryAt || !k.mu.TryLock() {
		return
	}
	defer k.mu.Unlock()
	start := time.Now()
	if k.restartWait == 0 || size <= 2*k.limit {
		k.restartWait = walRestartWait
	}
	busy, err := checkpoint(db.wconn.Conn, "RESTART", k.restartWait)
	took := int64(time.Since(start))
	k.restartNanos.Add(took)
	if took > k.restartMaxNanos.Load() {
		k.restartMaxNanos.Store(took) // only the writer stores it
	}
	switch {
	case err != nil:
		db.log.Warn("WAL checkpoint failed", "mode", "RESTART", "err", err)
		k.retryAt = size + k.limit/4
	case busy:
		k.busy.Add(1)
		k.retryAt = size + k.limit/4
		k.restartWait = min(2*k.restartWait, walRestartWaitMax)
	default:
		k.restarts.Add(1)
		k.retryAt, k.restartWait = 0, walRestartWait
	}
}

// checkpointLoop is the checkpoint goroutine: every period, a PASSIVE
// checkpoint if the writer committed since the last one, or, once it has
// been idle for walIdleAfter, a RESTART checkpoint that keeps the WAL's
// file (a TRUNCATE one when the WAL has passed its limit, or is not
// given its size); and it gives the WAL its size when it is to
// (walalloc.go). It stops at Close; closing the last connection then
// checkpoints what is left and removes the WAL.
func (db *DB) checkpointLoop(every time.Duration) {
	k := &db.wal
	ctx := context.Background()
	var seen uint64
	lastWrite := time.Now()
	settled := false
	tick := func() {
		now := time.Now()
		if c := k.commits.Load(); c != seen {
			seen, lastWrite, settled = c, now, false
		}
		mode, wait := "PASSIVE", 0
		idle := now.Sub(lastWrite) >= walIdleAfter
		// Given its size as the database opens, and again whenever it is
		// found shorter once writes stop (emptied by a TRUNCATE, here or
		// in another process).
		alloc := !k.noAlloc.Load() && (k.allocPending.Load() || idle && k.size() < k.limit)
		switch {
		case !idle:
		case settled:
			if !alloc {
				return
			}
			mode = "" // only the WAL's size
		case !k.noAlloc.Load() && k.size() <= k.limit:
			mode, wait = "RESTART", walTruncateWait
		default:
			mode, wait = "TRUNCATE", walTruncateWait
		}
		conn, err := db.checkpointer.Conn(ctx)
		if err != nil {
			db.log.Warn("WAL checkpoint failed", "mode", mode, "err", err)
			return
		}
		defer conn.Close()
		k.mu.Lock()
		defer k.mu.Unlock()
		if db.walSync != nil && db.walSync.lost.Load() != nil {
			db.mendWAL(conn)
			return
		}
		if mode != "" {
			busy, err := checkpoint(conn, mode, wait)
			switch {
			case err != nil:
				db.log.Warn("WAL checkpoint failed", "mode", mode, "err", err)
			case busy && mode != "PASSIVE":
				k.busy.Add(1)
			case mode == "RESTART":
				k.idleRestarts.Add(1)
				settled = true
			case mode == "TRUNCATE":
				k.truncates.Add(1)
				alloc = !k.noAlloc.Load()
				settled = true
			}
		}
		if alloc {
			k.allocPending.Store(true) // till it has its size: the writer goes on between batches
			db.allocateWAL(conn)
		}
	}
	k.allocPending.Store(!k.noAlloc.Load())
	tick() // the WAL's size, before the first period
	db.background(every, db.checkpointDone, tick)
}

// mendWAL tries, with k.mu held, to start over a WAL that a failed sync
// left with a hole (walsync.go): a TRUNCATE checkpoint on conn copies it
// into the database file, syncs that and empties it; where another process
// (Litestream) runs the checkpoints, only its own can, and this looks for
// one that did.
func (db *DB) mendWAL(conn *sql.Conn) {
	before := db.walSync.lost.Load()
	if before == nil {
		return
	}
	if !db.wal.external {
		busy, err := checkpoint(conn, "TRUNCATE", walTruncateWait)
		switch {
		case err != nil:
			db.log.Warn("WAL checkpoint after a failed sync failed", "err", err)
		case busy:
			db.wal.busy.Add(1)
		default:
			db.wal.truncates.Add(1)
		}
	}
	if db.walSync.found(before) {
		db.log.Info("the WAL started over after a failed sync, all of it in the database file: writes are acknowledged again")
	}
}

// checkpoint runs PRAGMA wal_checkpoint(mode) on conn, outside any
// transaction. waitMs bounds, as a busy timeout, how long it waits for
// readers and for the write lock (PASSIVE never waits); the connection's
// usual busy timeout is put back afterwards. busy reports that a reader or
// another checkpoint kept it from finishing: the pages it could copy are
// copied, as with PASSIVE.
func checkpoint(conn *sql.Conn, mode string, waitMs int) (busy bool, err error) {
	ctx := context.Background()
	if waitMs > 0 {
		if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = `+strconv.Itoa(waitMs)); err != nil {
			return false, err
		}
		defer conn.ExecContext(ctx, `PRAGMA busy_timeout = `+strconv.Itoa(busyTimeoutMs))
	}
	var b, frames, copied int
	if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&b, &frames, &copied); err != nil {
		return false, err
	}
	return b != 0, nil
}
