package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// A WAL written over in place.
//
// An acknowledgement waits for an fdatasync of the WAL (walsync.go), and
// that sync costs about twice as much when the commit before it made the
// file longer: the file system then writes the file's new size and the
// map of its new blocks to its journal, beside the data, before the
// flush. Written over where it had been written before, the WAL needs no
// such write (on this machine's ext4, a sync of 20 KiB took a median
// 215-300 µs at the end of a growing file, 150-196 µs written over in
// place).
// SQLite starts the WAL over from its beginning once a checkpoint has
// copied all of it, and journal_size_limit cuts it back to the WAL limit
// then, so a WAL that has once reached its limit is written over in place
// ever after, but the WAL starts empty at every start of the server (the
// last connection to close removes it) and after a TRUNCATE checkpoint.
//
// So the WAL is given its full size at once: zeros are written from the
// end of the file up to the WAL limit, and synced, when the database
// opens, and again whenever the WAL is found shorter once writes have
// stopped (a checkpoint emptied it). The checkpoint goroutine writes
// them; under load, the writer writes a chunk between two batches until
// it is done, so that a server started under load (Zavu delivering what
// it held while the server was down) has its WAL soon. A command that
// opens the database for a moment (ForOneCommand) does not.
//
// SQLite reads a WAL only as far as its frames are valid (zeros are not
// a frame), and takes a WAL whose header is zeros for an empty one, so
// the zeros change nothing of what is read. While it writes them
// it holds the database's write lock (BEGIN IMMEDIATE, then ROLLBACK),
// so that no writer, of this process or another (a command such as
// `switchboard token create` writes beside the server), adds frames to
// the WAL meanwhile: the zeros only ever go past the end of the WAL. It
// writes walAllocChunk at a time and lets writers go between two, which
// wait at most for one chunk; a writer holding the lock when it tries
// makes it give up until the next checkpoint period.
//
// When the WAL ends within its limit once writes stop, the idle checkpoint
// is a RESTART: every frame is copied into the database file, the next
// write starts the WAL over, and the file keeps its size. Past the limit,
// it is a TRUNCATE, and the WAL is given its size again after. Where
// Litestream runs the checkpoints, or when the disk has little room, the
// WAL is left to grow as it is written.

// walAllocChunk is how much of the WAL is written at a time.
const walAllocChunk = 256 << 10

// walAllocWait bounds how long the checkpoint goroutine waits for the
// write lock before each chunk (a busy_timeout, ms).
const walAllocWait = 2

// errWALAllocBusy: a writer held the write lock (or there is no WAL yet);
// the next period tries again.
var errWALAllocBusy = errors.New("the database is being written")

// allocateWAL gives the WAL file its full size, k.limit, in written
// zeros, on conn (the checkpoint goroutine's), chunk by chunk, until it
// has it, or a writer holds the write lock (then the writer goes on
// between its batches, and the next period here). Run with k.mu held.
func (db *DB) allocateWAL(conn *sql.Conn) {
	for db.wal.allocPending.Load() && db.allocateWALStep(conn) == nil {
	}
}

// allocateWALStep writes one chunk of the WAL's zeros on conn: the
// checkpoint goroutine's (allocateWAL), or the writer's between two
// batches (afterBatch), so that a server started under load (Zavu
// delivering what it held while the server was down) has its WAL soon.
// It clears allocPending once the WAL has its size, or is left to grow.
// It returns errWALAllocBusy when a writer held the write lock. Run with
// k.mu held.
func (db *DB) allocateWALStep(conn *sql.Conn) error {
	k := &db.wal
	if k.external || k.noAlloc.Load() {
		k.allocPending.Store(false)
		return nil
	}
	size, err := db.allocateWALChunk(conn)
	switch {
	case errors.Is(err, errWALAllocBusy):
		return err
	case err != nil:
		// A disk that refuses the zeros refuses commits too, which
		// say so; the WAL is then left to grow as it is written.
		db.log.Warn("the WAL could not be given its size: it grows as it is written", "err", err)
		k.noAlloc.Store(true)
		k.allocPending.Store(false)
		return err
	case size >= k.limit:
		k.allocPending.Store(false)
	}
	return nil
}

// allocateWALChunk writes the next walAllocChunk of zeros (less at the
// limit) at the end of the WAL, holding the write lock, and syncs them.
// It returns the WAL's size after.
func (db *DB) allocateWALChunk(conn *sql.Conn) (int64, error) {
	k := &db.wal
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = `+fmt.Sprint(walAllocWait)); err != nil {
		return 0, err
	}
	defer conn.ExecContext(ctx, `PRAGMA busy_timeout = `+fmt.Sprint(busyTimeoutMs))
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		if isBusy(err) {
			return 0, errWALAllocBusy
		}
		return 0, fmt.Errorf("take the write lock: %w", err)
	}
	defer conn.ExecContext(ctx, `ROLLBACK`)

	f, err := os.OpenFile(k.path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, errWALAllocBusy // none yet: SQLite makes it at the first write
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil || size >= k.limit {
		return size, err
	}
	n := min(walAllocChunk, k.limit-size)
	if free, err := db.health.freeSpace(db.health.dir); err != nil || free < minFreeSpace+2*uint64(k.limit-size) {
		return size, fmt.Errorf("%d MiB free on the disk, want %d MiB more than %d MiB for the WAL: %w",
			free>>20, minFreeSpace>>20, (k.limit-size)>>20, errors.Join(err, errLittleRoom))
	}
	if _, err := f.WriteAt(make([]byte, n), size); err != nil {
		f.Truncate(size) // give back what was written
		return size, err
	}
	if err := fdatasync(f); err != nil {
		f.Truncate(size)
		return size, err
	}
	return size + n, nil
}

// errLittleRoom: the disk has too little free space for the WAL's size.
var errLittleRoom = errors.New("too little room")
