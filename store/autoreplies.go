package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/inbox"
)

// writeTx implements inbox.AutoReplyTx: auto-replies are decided and
// queued in the transaction of the message that triggers them.
var _ inbox.AutoReplyTx = (*writeTx)(nil)

var (
	stAutoReplyConfig = writerStatement(`SELECT config FROM auto_reply_config WHERE id = 1`)
	// The thread's index (conversation_id, created_at) bounds the walk to
	// the last hour of one conversation.
	stAutoRepliesSince = writerStatement(`SELECT count(*) FROM messages
		WHERE conversation_id = ? AND created_at >= ? AND source = 'auto_reply'`)
	stOutOfOfficeSent   = writerStatement(`SELECT count(*) FROM auto_reply_out_of_office WHERE conversation_id = ? AND period_start = ?`)
	stRecordOutOfOffice = writerStatement(`INSERT INTO auto_reply_out_of_office (conversation_id, period_start, sent_at)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
	stIsOurNumber = writerStatement(`SELECT count(*) FROM senders WHERE phone = ? AND phone <> ''`)
)

// scanAutoReplyConfig reads the settings row: the zero settings when
// they were never saved.
func scanAutoReplyConfig(row *sql.Row) (inbox.AutoReplyConfig, error) {
	var raw string
	err := row.Scan(&raw)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return inbox.AutoReplyConfig{}, nil
	case err != nil:
		return inbox.AutoReplyConfig{}, fmt.Errorf("read auto-reply settings: %w", err)
	}
	var c inbox.AutoReplyConfig
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return inbox.AutoReplyConfig{}, fmt.Errorf("auto-reply settings: %w", err)
	}
	return c, nil
}

// AutoReplyConfig is the auto-reply settings as this transaction sees
// them: an admin's save is in force for the next message. Every customer
// message asks, so the decoded settings are kept between saves.
func (w *writeTx) AutoReplyConfig(ctx context.Context) (inbox.AutoReplyConfig, error) {
	if c, ok := w.db.autoReplies.get(); ok {
		return c, nil
	}
	saving := w.db.autoReplies.saving.Load()
	c, err := w.readAutoReplyConfig(ctx)
	if err == nil && saving == 0 {
		// Read outside any save: it is what is committed.
		w.db.autoReplies.put(c)
	}
	return c, err
}

func (w *writeTx) readAutoReplyConfig(ctx context.Context) (inbox.AutoReplyConfig, error) {
	return scanAutoReplyConfig(w.queryRow(ctx, stAutoReplyConfig))
}

// autoReplyCache keeps the decoded auto-reply settings between saves. It
// is filled only when no save is under way, so it never holds settings a
// failed save rolled back; a save empties it before it writes and again
// once its commit is over, before the admin is told it is saved.
type autoReplyCache struct {
	saving atomic.Int32
	mu     sync.Mutex
	cfg    *inbox.AutoReplyConfig
}

func (c *autoReplyCache) get() (inbox.AutoReplyConfig, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfg == nil {
		return inbox.AutoReplyConfig{}, false
	}
	return c.cfg.Clone(), true
}

func (c *autoReplyCache) put(cfg inbox.AutoReplyConfig) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg = cfg.Clone()
	c.cfg = &cfg
}

func (c *autoReplyCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg = nil
}

// AutoRepliesSince counts a conversation's auto-replies written at or
// after since.
func (w *writeTx) AutoRepliesSince(ctx context.Context, conversationID int64, since time.Time) (int, error) {
	var n int
	if err := w.queryRow(ctx, stAutoRepliesSince, conversationID, msOf(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count auto-replies of conversation %d: %w", conversationID, err)
	}
	return n, nil
}

// OutOfOfficeSent reports whether the out-of-office reply went to the
// conversation in the closed period that started at since.
func (w *writeTx) OutOfOfficeSent(ctx context.Context, conversationID int64, since time.Time) (bool, error) {
	var n int
	if err := w.queryRow(ctx, stOutOfOfficeSent, conversationID, msOf(since)).Scan(&n); err != nil {
		return false, fmt.Errorf("out-of-office of conversation %d: %w", conversationID, err)
	}
	return n > 0, nil
}

// RecordOutOfOffice records the out-of-office reply of a conversation in a
// closed period; false when it was recorded already.
func (w *writeTx) RecordOutOfOffice(ctx context.Context, conversationID int64, since, at time.Time) (bool, error) {
	r, err := w.exec(ctx, stRecordOutOfOffice, conversationID, msOf(since), msOf(at))
	if err != nil {
		return false, fmt.Errorf("record out-of-office of conversation %d: %w", conversationID, err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record out-of-office of conversation %d: %w", conversationID, err)
	}
	return n == 1, nil
}

// IsOurNumber reports whether phone is one of our senders' numbers.
func (w *writeTx) IsOurNumber(ctx context.Context, phone string) (bool, error) {
	var n int
	if err := w.queryRow(ctx, stIsOurNumber, phone).Scan(&n); err != nil {
		return false, fmt.Errorf("is %s our number: %w", phone, err)
	}
	return n > 0, nil
}

// AddAutoReplyLog records an auto-reply that could not go.
func (w *writeTx) AddAutoReplyLog(ctx context.Context, e inbox.AutoReplyLogEntry) error {
	var conv any
	if e.ConversationID != 0 {
		conv = e.ConversationID
	}
	if _, err := w.execSQL(ctx, `INSERT INTO auto_reply_log (at, conversation_id, rule, reason) VALUES (?, ?, ?, ?)`,
		msOf(e.At), conv, e.Rule, e.Reason); err != nil {
		return fmt.Errorf("log auto-reply: %w", err)
	}
	return nil
}

// AutoReplyConfig returns the auto-reply settings; the zero config (every
// rule off) when never saved.
func (db *DB) AutoReplyConfig(ctx context.Context) (inbox.AutoReplyConfig, error) {
	return scanAutoReplyConfig(db.reader.QueryRowContext(ctx, `SELECT config FROM auto_reply_config WHERE id = 1`))
}

// UpdateAutoReplies changes the auto-reply settings with change, inside
// one write transaction (two admins saving at once each see the other's
// change), then normalizes and validates them: invalid settings are an
// inbox.InvalidAutoReplies error and nothing is written. It returns the
// settings as saved.
func (db *DB) UpdateAutoReplies(ctx context.Context, at time.Time, change func(*inbox.AutoReplyConfig) error) (inbox.AutoReplyConfig, error) {
	var out inbox.AutoReplyConfig
	db.autoReplies.saving.Add(1)
	db.autoReplies.clear()
	defer func() {
		db.autoReplies.clear()
		db.autoReplies.saving.Add(-1)
	}()
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		c, err := w.readAutoReplyConfig(ctx)
		if err != nil {
			return err
		}
		if err := change(&c); err != nil {
			return err
		}
		c.Normalize()
		if err := c.Validate(); err != nil {
			return err
		}
		raw, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if _, err := w.execSQL(ctx, `INSERT INTO auto_reply_config (id, config, updated_at) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`, string(raw), msOf(at)); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return inbox.AutoReplyConfig{}, fmt.Errorf("save auto-reply settings: %w", err)
	}
	return out, nil
}

// AutoReplyLog is the latest of the auto-replies that could not go,
// newest first, with the customers' names.
func (db *DB) AutoReplyLog(ctx context.Context, limit int) ([]inbox.AutoReplyLogEntry, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT l.id, l.at, COALESCE(l.conversation_id, 0),
		COALESCE(NULLIF(ct.name, ''), ct.phone, ''), l.rule, l.reason
		FROM auto_reply_log l LEFT JOIN conversations c ON c.id = l.conversation_id LEFT JOIN contacts ct ON ct.id = c.contact_id
		ORDER BY l.at DESC, l.id DESC LIMIT ?`, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("auto-reply log: %w", err)
	}
	defer rows.Close()
	var out []inbox.AutoReplyLogEntry
	for rows.Next() {
		var e inbox.AutoReplyLogEntry
		if err := rows.Scan(&e.ID, msTime{&e.At}, &e.ConversationID, &e.ContactName, &e.Rule, &e.Reason); err != nil {
			return nil, fmt.Errorf("auto-reply log: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
