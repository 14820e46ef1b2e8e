package store

import (
	"context"
	"fmt"
	"strings"
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
	stSearchClear = writerStatement(`DELETE FROM search_queue`)
)

// flushSearch applies the changes the transaction queued to the search
// indexes, in the same transaction, before it commits. The statements of
// an index with nothing queued (most transactions change no contact) are
// not run.
func (w *writeTx) flushSearch(ctx context.Context) error {
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
