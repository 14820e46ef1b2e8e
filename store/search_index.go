package store

import (
	"context"
	"fmt"
)

// The statements that apply search_queue to the search indexes (see
// migrations 0015 and 0020), in the order the changes were made: a NULL op adds the
// text, 'delete' removes it.
var (
	stSearchFlush = []stmtID{
		writerStatement(`INSERT INTO messages_fts (messages_fts, rowid, body)
			SELECT op, doc, a FROM search_queue WHERE target = 'm' ORDER BY seq`),
		writerStatement(`INSERT INTO messages_tri (messages_tri, rowid, body)
			SELECT op, doc, a FROM search_queue WHERE target = 'm' ORDER BY seq`),
		writerStatement(`INSERT INTO contacts_fts (contacts_fts, rowid, name, phone, notes)
			SELECT op, doc, a, b, c FROM search_queue WHERE target = 'c' ORDER BY seq`),
		writerStatement(`INSERT INTO contacts_tri (contacts_tri, rowid, name, phone, notes)
			SELECT op, doc, a, b, c FROM search_queue WHERE target = 'c' ORDER BY seq`),
	}
	stSearchQueued = writerStatement(`SELECT EXISTS (SELECT 1 FROM search_queue)`)
	stSearchClear  = writerStatement(`DELETE FROM search_queue`)
)

// flushSearch applies the changes the transaction queued to the search
// indexes, in the same transaction, before it commits.
func (w *writeTx) flushSearch(ctx context.Context) error {
	var queued bool
	if err := w.queryRow(ctx, stSearchQueued).Scan(&queued); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if !queued {
		return nil
	}
	for _, st := range append(stSearchFlush, stSearchClear) {
		if _, err := w.exec(ctx, st); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}
