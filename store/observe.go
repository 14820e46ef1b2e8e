package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"switchboard/inbox"
)

// CommitKind says what a write transaction did.
type CommitKind string

const (
	CommitWrites CommitKind = "writes" // a group commit of queued writes (events stored, replies, settings...)
	CommitEvents CommitKind = "events" // stored webhook events applied to the conversations
)

// Commit describes one committed write transaction.
type Commit struct {
	Kind    CommitKind
	Size    int           // writes (CommitWrites) or events (CommitEvents) it held
	Derived int           // conversations whose report openings it derived again
	Took    time.Duration // how long COMMIT took and, for writes, the wait for the disk after it
}

// ObserveCommits calls fn after every committed write transaction (a
// batch of writes on SQLite once it is on disk), on the writer goroutine
// or the WAL syncer's: fn must be quick, safe for concurrent use, and
// must not write. nil stops it.
func (db *DB) ObserveCommits(fn func(Commit)) {
	if fn == nil {
		db.stats.observer.Store(nil)
		return
	}
	db.stats.observer.Store(&fn)
}

func (s *writerStats) committed(c Commit) {
	s.commitNanos.Add(int64(c.Took))
	if fn := s.observer.Load(); fn != nil {
		(*fn)(c)
	}
}

// OutboxBacklog says what waits in the outbox, from the partial index of
// unfinished entries: cheap enough for every scrape and readiness probe.
func (db *DB) OutboxBacklog(ctx context.Context) (inbox.OutboxBacklog, error) {
	return outboxBacklog(ctx, db.reader)
}

// outboxBacklog is OutboxBacklog read through db: the server's read pool,
// or a file opened beside it (BacklogIn).
func outboxBacklog(ctx context.Context, db interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (inbox.OutboxBacklog, error) {
	var (
		n               int
		oldest, nextDue sql.NullInt64
	)
	err := db.QueryRowContext(ctx, `SELECT count(*), min(created_at), min(next_attempt_at)
		FROM outbox WHERE state IN ('queued', 'sending')`).Scan(&n, &oldest, &nextDue)
	if err != nil {
		return inbox.OutboxBacklog{}, fmt.Errorf("outbox backlog: %w", err)
	}
	b := inbox.OutboxBacklog{Depth: n}
	if oldest.Valid {
		b.OldestCreated = fromMS(oldest.Int64)
	}
	if nextDue.Valid {
		b.NextDue = fromMS(nextDue.Int64)
	}
	return b, nil
}

// FileBacklog is what waits in a database file: webhook events stored and
// not yet applied, events that could not be applied, and the outbox.
type FileBacklog struct {
	PendingEvents int
	OldestPending time.Time // when the oldest pending event was received; zero when none
	FailedEvents  int
	NewestFailed  time.Time // when the newest failed event was received; zero when none
	Outbox        inbox.OutboxBacklog
}

// BacklogIn reads what waits in the database file at path, opened
// read-only beside a server that may be running, from the partial indexes
// of pending and failed events and unfinished outbox entries.
func BacklogIn(ctx context.Context, path string) (FileBacklog, error) {
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return FileBacklog{}, err
	}
	defer db.Close()
	var (
		b                           FileBacklog
		oldestPending, newestFailed sql.NullInt64
	)
	if err := db.QueryRowContext(ctx, `SELECT count(*), min(received_at) FROM webhook_events WHERE pending = 1`).
		Scan(&b.PendingEvents, &oldestPending); err != nil {
		return FileBacklog{}, fmt.Errorf("pending events: %w", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*), max(received_at) FROM webhook_events WHERE state = 'failed'`).
		Scan(&b.FailedEvents, &newestFailed); err != nil {
		return FileBacklog{}, fmt.Errorf("failed events: %w", err)
	}
	if b.Outbox, err = outboxBacklog(ctx, db); err != nil {
		return FileBacklog{}, err
	}
	if oldestPending.Valid {
		b.OldestPending = fromMS(oldestPending.Int64)
	}
	if newestFailed.Valid {
		b.NewestFailed = fromMS(newestFailed.Int64)
	}
	return b, nil
}
