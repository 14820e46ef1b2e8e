package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/inbox"
)

// The statements that apply search_queue to the search indexes (see
// migrations 0015 and 0020), in the order the changes were made: a NULL
// op adds the text, 'delete' removes it. A message with no text (media
// awaiting its caption, a reply's placeholder) is neither added nor
// removed: it has nothing to find, and leaving it out spares the indexes
// a removal when its text comes.
var (
	stSearchFlushMessages = []stmtID{
		writerStatement(`INSERT INTO messages_fts (messages_fts, rowid, body)
			SELECT op, doc, a FROM search_queue WHERE target = 'm' AND a <> '' ORDER BY seq`),
		writerStatement(`INSERT INTO messages_tri (messages_tri, rowid, body)
			SELECT op, doc, a FROM search_queue WHERE target = 'm' AND a <> '' ORDER BY seq`),
	}
	stSearchFlushContacts = []stmtID{
		writerStatement(`INSERT INTO contacts_fts (contacts_fts, rowid, name, phone, notes)
			SELECT op, doc, a, b, c FROM search_queue WHERE target = 'c' ORDER BY seq`),
		writerStatement(`INSERT INTO contacts_tri (contacts_tri, rowid, name, phone, notes)
			SELECT op, doc, a, b, c FROM search_queue WHERE target = 'c' ORDER BY seq`),
	}
	stSearchQueued = writerStatement(`SELECT EXISTS (SELECT 1 FROM search_queue WHERE target = 'm'),
		EXISTS (SELECT 1 FROM search_queue WHERE target = 'c')`)
	// The queue's length: its rows are numbered from one after each
	// clear (SQLite reuses the highest rowid plus one, and an empty table
	// starts again at one), so the last number is the count.
	stSearchQueueLen = writerStatement(`SELECT coalesce(max(seq), 0) FROM search_queue`)
	stSearchClear    = writerStatement(`DELETE FROM search_queue`)
)

// searchBatch is how many changes wait in search_queue before the writer
// applies them to the indexes at the end of the transaction that queued
// the last of them. What waits is applied by the next search first
// (catchUpSearch), so it is found all the same. FTS5 pays for each
// transaction that changes an index (it writes a new segment, rewrites
// its structure and merges segments) much more than for each row in it:
// applying a few hundred changes at once costs a fraction of applying
// them a few at a time, transaction by transaction.
const searchBatch = 256

// flushSearch applies what search_queue holds to the search indexes, in
// the same transaction, before it commits, once it holds searchBatch
// changes or more; a search applies less first (catchUpSearch).
func (w *writeTx) flushSearch(ctx context.Context) error {
	if w.db.dialect.postgres {
		return nil // PostgreSQL's triggers index in the writing transaction
	}
	var n int64
	if err := w.queryRow(ctx, stSearchQueueLen).Scan(&n); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if n == 0 {
		return nil
	}
	if n < searchBatch {
		w.db.searchIdle.arm(w.db)
		return nil
	}
	return w.applySearchQueue(ctx)
}

// defaultSearchIdle is how long the writer must go without leaving
// changes waiting for the indexes before it applies them on its own
// (WithSearchIdle): after a burst, or a single reply, the next search
// finds the indexes up to date and has nothing to apply first.
const defaultSearchIdle = 200 * time.Millisecond

// WithSearchIdle sets how long changes wait for the search indexes, when
// no transaction follows, before the writer applies them on its own
// (default 200 ms); 0 or less leaves them to the next search or batch.
func WithSearchIdle(after time.Duration) Option {
	return func(o *options) { o.searchIdle = &after }
}

// newSearchIdle waits after, or defaultSearchIdle when after is nil.
func newSearchIdle(after *time.Duration) searchIdle {
	if after == nil {
		return searchIdle{after: defaultSearchIdle}
	}
	return searchIdle{after: *after}
}

// searchIdle applies the changes that wait for the search indexes once
// the writer has left them waiting for a while: each transaction that
// leaves some puts the moment off again, so a steady stream of writes
// never pays for it, and what it applies is less than a batch.
type searchIdle struct {
	after time.Duration
	timer *time.Timer // the writer goroutine's
}

// arm (re)starts the wait; only the writer goroutine calls it.
func (s *searchIdle) arm(db *DB) {
	if s.after <= 0 {
		return
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(s.after, func() { db.applyWaitingSearch(context.Background()) })
		return
	}
	s.timer.Reset(s.after)
}

// applyWaitingSearch has the writer apply what waits for the indexes, in
// its next transaction, as upkeep: the writer's Stats count callers'
// writes, not this. After Close there is nothing to do: what
// waits is applied by the next start's first batch or search.
func (db *DB) applyWaitingSearch(ctx context.Context) {
	err := db.submitJob(ctx, &job{ctx: ctx, upkeep: true, run: func(ctx context.Context, w *writeTx) error {
		return w.inSavepoint(ctx, func() error { return w.applySearchQueue(ctx) })
	}})
	if err != nil && !errors.Is(err, inbox.ErrStoreClosed) {
		db.log.Warn("search index: applying the waiting changes failed", "err", err)
	}
}

// applySearchQueue applies every change search_queue holds to the search
// indexes and empties it. The statements of an index with nothing queued
// (contacts change less often than messages) are not run.
func (w *writeTx) applySearchQueue(ctx context.Context) error {
	var messages, contacts bool
	if err := w.queryRow(ctx, stSearchQueued).Scan(&messages, &contacts); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if !messages && !contacts {
		return nil
	}
	var sts []stmtID
	if messages {
		sts = append(sts, stSearchFlushMessages...)
	}
	if contacts {
		sts = append(sts, stSearchFlushContacts...)
	}
	for _, st := range append(sts, stSearchClear) {
		if _, err := w.exec(ctx, st); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}

// catchUpSearch brings the search indexes up to date before a search
// reads them: when changes wait in search_queue, the writer applies them
// in a transaction that commits before this returns. Every change a
// search must see was committed before it began, so it is in the queue
// this reads or already in the indexes; whatever the transaction applies
// it applies whole, with the queue emptied in the same commit, so no
// change is found twice or lost between the two. Should the writer fail
// (a full disk), the search goes on with the indexes as they are, and
// the changes wait for the next.
func (db *DB) catchUpSearch(ctx context.Context) {
	if db.dialect.postgres {
		return // nothing waits: the triggers index in the writing transaction
	}
	var waiting bool
	if err := db.reader.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM search_queue)`).Scan(&waiting); err != nil || !waiting {
		return
	}
	db.applyWaitingSearch(ctx)
}

// searchTriggers keep the search indexes (migrations 0015 and 0020).
var searchTriggers = []string{"messages_search_insert", "messages_search_update", "messages_search_delete",
	"contacts_search_insert", "contacts_search_update", "contacts_search_delete"}

// StopSearchIndexing drops the triggers that keep the search indexes of
// the database at path, which no server may have open: from then on
// nothing written to it is found by search. It exists to measure what
// indexing costs ingestion ("switchboard bench"), on a scratch database.
func StopSearchIndexing(ctx context.Context, path string) error {
	db, err := Open(path, WithSessionCleanup(0))
	if err != nil {
		return err
	}
	defer db.Close()
	return db.write(ctx, func(ctx context.Context, w *writeTx) error {
		for _, t := range searchTriggers {
			if _, err := w.execSQL(ctx, `DROP TRIGGER `+t); err != nil {
				return fmt.Errorf("stop search indexing: %w", err)
			}
		}
		return nil
	})
}

// SearchIndexShare is the part of the database's pages that hold the
// search indexes (the FTS5 shadow tables) and the index that finds a
// contact's conversations, and the database's size in bytes.
func (db *DB) SearchIndexShare(ctx context.Context) (share float64, size int64, err error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT name, sum(pgsize) FROM dbstat GROUP BY name`)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	var total, index int64
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return 0, 0, err
		}
		total += n
		for _, p := range []string{"messages_fts", "messages_tri", "contacts_fts", "contacts_tri"} {
			if strings.HasPrefix(name, p) {
				index += n
			}
		}
		if name == "conversations_by_contact" {
			index += n
		}
	}
	if err := rows.Err(); err != nil || total == 0 {
		return 0, total, err
	}
	return float64(index) / float64(total), total, nil
}

// countUpkeep is how many of jobs are upkeep.
func countUpkeep(jobs []*job) int {
	n := 0
	for _, j := range jobs {
		if j.upkeep {
			n++
		}
	}
	return n
}
