package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"switchboard/inbox"
)

// Whether writes succeed: the database may answer queries while every
// write fails (a full disk, a failing one). Health keeps the writer's last
// failure and, cheaply, the free space of the database's file system.

// minFreeSpace is the free space under which the database is reported
// failing: room for the WAL to grow to its bound and the database with it.
const minFreeSpace = 64 << 20

// freeSpaceEvery is how often, at most, the free space is measured.
const freeSpaceEvery = time.Second

// WithFreeSpace replaces how the free space of the database's file system
// is measured (default statfs). For tests.
func WithFreeSpace(free func(dir string) (uint64, error)) Option {
	return func(o *options) { o.freeSpace = free }
}

// writeFailure is a batch that failed for a reason of the storage, not of
// its writes: every write fails alike until it is fixed.
type writeFailure struct {
	err      error
	diskFull bool
}

type health struct {
	failure atomic.Pointer[writeFailure] // the writer's last batch, if it failed

	dir       string
	freeSpace func(dir string) (uint64, error)
	mu        sync.Mutex
	checked   time.Time // when free was measured
	free      uint64
	freeErr   error
}

// noteBatch records how a batch ended: commitErr, or else whether one of
// its writes failed for want of storage. A batch that wrote clears an
// earlier failure.
func (db *DB) noteBatch(commitErr error, jobs []*job) {
	err := commitErr
	if err == nil {
		for _, j := range jobs {
			if storageFailure(j.err) {
				err = j.err
				break
			}
		}
	}
	switch {
	case err != nil && (commitErr != nil || storageFailure(err)):
		db.health.failure.Store(&writeFailure{err: err, diskFull: diskFull(err)})
	case db.health.failure.Load() != nil:
		db.health.failure.Store(nil)
	}
}

// storageFailure reports whether err comes from the storage rather than
// from the data: the disk is full or failing, or the file is unusable.
func storageFailure(err error) bool {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// diskFull reports whether err says the disk is full.
func diskFull(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL || errors.Is(err, syscall.ENOSPC)
}

// freeBytes is the free space of the database's file system, measured at
// most once every freeSpaceEvery.
func (h *health) freeBytes(now time.Time) (uint64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.checked.IsZero() || now.Sub(h.checked) >= freeSpaceEvery || now.Before(h.checked) {
		h.free, h.freeErr = h.freeSpace(h.dir)
		h.checked = now
	}
	return h.free, h.freeErr
}

// Ping reports whether the database takes writes: the writer's last batch
// did not fail for want of storage, the disk has room, and the database
// answers a query. A failed write is reported until a write succeeds: after
// a failed sync of the WAL, none does until the WAL is checkpointed
// (walsync.go). The error wraps inbox.ErrDiskFull or inbox.ErrWritesFailing
// when it says why.
func (db *DB) Ping(ctx context.Context) error {
	if f := db.health.failure.Load(); f != nil {
		if f.diskFull {
			return fmt.Errorf("the last write failed: %w: %v", inbox.ErrDiskFull, f.err)
		}
		return fmt.Errorf("the last write failed: %w: %v", inbox.ErrWritesFailing, f.err)
	}
	free, err := db.health.freeBytes(db.now())
	if err == nil && free < minFreeSpace {
		return fmt.Errorf("%d MiB free on the database's disk: %w", free>>20, inbox.ErrDiskFull)
	}
	var one int
	if err := db.reader.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}
