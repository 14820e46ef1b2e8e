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
	Kind CommitKind
	Size int           // writes (CommitWrites) or events (CommitEvents) it held
	Took time.Duration // how long COMMIT took and, for writes, the wait for the disk after it
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
	var (
		n               int
		oldest, nextDue sql.NullInt64
	)
	err := db.reader.QueryRowContext(ctx, `SELECT count(*), min(created_at), min(next_attempt_at)
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
