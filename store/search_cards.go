package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"switchboard/inbox"
)

// cardsSearchText is what search finds of the contact cards a message
// shares: each card's name, then its numbers, then its email addresses,
// card after card (messages.search_cards, which SQLite's search reads;
// PostgreSQL's search_message_body reads the same from the content).
func cardsSearchText(c *inbox.Content) string {
	if c == nil {
		return ""
	}
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	for _, card := range c.Contacts {
		add(card.Name)
		for _, p := range card.Phones {
			add(p.Phone)
		}
		for _, e := range card.Emails {
			add(e.Email)
		}
	}
	return strings.Join(parts, " ")
}

// cardRedoBatch is how many messages (by id) redoCardSearch looks at in
// one write transaction.
const cardRedoBatch = 2000

// The messages a migration left to index again with all their contact
// cards (migrations 0039 and, on PostgreSQL, 0016) are those from next_id
// to last_id. On SQLite one that shares cards gets its search_cards, and
// its trigger queues the text the indexes hold for removal and its text
// now for addition; on PostgreSQL its row of message_search is written
// again.
const (
	cardRedoRange  = `SELECT next_id, last_id FROM search_cards_redo`
	cardRedoSQLite = `SELECT id, content FROM messages
		WHERE id BETWEEN ? AND ? AND search_cards IS NULL AND content LIKE '%"contacts"%'`
	cardRedoSQLiteSet = `UPDATE messages SET search_cards = ? WHERE id = ?`
	cardRedoPGDelete  = `DELETE FROM message_search s USING messages m
		WHERE m.id = s.id AND m.id BETWEEN ? AND ? AND m.content LIKE '%"contacts"%'
			AND s.body IS DISTINCT FROM search_message_body(m.text, m.content)`
	cardRedoPGInsert = `INSERT INTO message_search (id, body, folded, words)
		SELECT id, body, folded, search_folded_vector(folded)
		FROM (SELECT id, body, search_fold(body) AS folded
			FROM (SELECT m.id, search_message_body(m.text, m.content) AS body FROM messages m
				WHERE m.id BETWEEN ? AND ? AND m.content LIKE '%"contacts"%'
					AND NOT EXISTS (SELECT 1 FROM message_search s WHERE s.id = m.id)) b
			WHERE body <> '') f`
	cardRedoNext = `UPDATE search_cards_redo SET next_id = ?`
	cardRedoDone = `DELETE FROM search_cards_redo`
)

// redoCardSearch indexes again, until none is left or Close, the messages
// search_cards_redo names, cardRedoBatch of them in each write
// transaction, through the writer, so that webhooks and replies go
// between two. What Close leaves is done after the next start.
func (db *DB) redoCardSearch() {
	db.drainInChunks(backgroundDrain{
		left:     "search_cards_redo",
		what:     "shared contact cards' search",
		chunk:    db.redoCardChunk,
		finished: "search index: shared contact cards indexed again",
		counted:  "messages",
	})
}

// redoCardChunk indexes again the next cardRedoBatch messages of
// search_cards_redo, and says how many of them changed and whether more
// are left.
func (db *DB) redoCardChunk(ctx context.Context) (n int, more bool, err error) {
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var next, last int64
		switch err := w.queryRowSQL(ctx, cardRedoRange).Scan(&next, &last); {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return fmt.Errorf("read the messages to index again: %w", err)
		}
		upto := min(next+cardRedoBatch-1, last)
		var err error
		if w.db.dialect.postgres {
			n, err = redoCardsPostgres(ctx, w, next, upto)
		} else {
			n, err = redoCardsSQLite(ctx, w, next, upto)
		}
		if err != nil {
			return fmt.Errorf("index messages %d to %d again: %w", next, upto, err)
		}
		if more = upto < last; more {
			_, err = w.execSQL(ctx, cardRedoNext, upto+1)
		} else {
			_, err = w.execSQL(ctx, cardRedoDone)
		}
		if err != nil {
			return fmt.Errorf("index messages %d to %d again: %w", next, upto, err)
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return n, more, nil
}

func redoCardsSQLite(ctx context.Context, w *writeTx, from, to int64) (int, error) {
	rows, err := w.querySQL(ctx, cardRedoSQLite, from, to)
	if err != nil {
		return 0, err
	}
	type card struct {
		id   int64
		text string
	}
	var cards []card
	for rows.Next() {
		var id int64
		var raw sql.NullString
		if err := rows.Scan(&id, &raw); err != nil {
			rows.Close()
			return 0, err
		}
		var c inbox.Content
		if json.Unmarshal([]byte(raw.String), &c) != nil {
			continue // not JSON: the search reads its text alone
		}
		cards = append(cards, card{id, cardsSearchText(&c)})
	}
	if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for _, c := range cards {
		if _, err := w.execSQL(ctx, cardRedoSQLiteSet, c.text, c.id); err != nil {
			return 0, err
		}
	}
	return len(cards), nil
}

func redoCardsPostgres(ctx context.Context, w *writeTx, from, to int64) (int, error) {
	if _, err := w.execSQL(ctx, cardRedoPGDelete, from, to); err != nil {
		return 0, err
	}
	r, err := w.execSQL(ctx, cardRedoPGInsert, from, to)
	if err != nil {
		return 0, err
	}
	n, _ := r.RowsAffected()
	return int(n), nil
}
