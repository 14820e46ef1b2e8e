package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"switchboard/inbox"
)

var _ inbox.ReplyTx = (*writeTx)(nil)

// ConversationByID returns the conversation with its contact, or an error
// wrapping inbox.ErrNotFound.
func (w *writeTx) ConversationByID(ctx context.Context, id int64) (inbox.Conversation, error) {
	c, err := scanConversation(w.queryRowSQL(ctx, `SELECT `+conversationCols+`, 0
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = ?`, id))
	if err != nil {
		return inbox.Conversation{}, notFound(err, "conversation %d", id)
	}
	return c, nil
}

// MessageByID returns the message, or an error wrapping inbox.ErrNotFound.
// Reactions are not loaded on the write path.
func (w *writeTx) MessageByID(ctx context.Context, id int64) (inbox.Message, error) {
	m, err := scanMessage(w.queryRowSQL(ctx, `SELECT `+messageCols+` FROM messages m WHERE m.id = ?`, id))
	if err != nil {
		return inbox.Message{}, notFound(err, "message %d", id)
	}
	return m, nil
}

// DeleteMessage removes a message: a placeholder merged into ours.
func (w *writeTx) DeleteMessage(ctx context.Context, id int64) error {
	if _, err := w.execSQL(ctx, `DELETE FROM messages WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete message %d: %w", id, err)
	}
	return nil
}

// LatestMessage is the conversation's latest message by time.
func (w *writeTx) LatestMessage(ctx context.Context, conversationID int64) (inbox.Message, bool, error) {
	m, err := scanMessage(w.queryRowSQL(ctx, `SELECT `+messageCols+` FROM messages m
		WHERE m.conversation_id = ? ORDER BY m.created_at DESC, m.id DESC LIMIT 1`, conversationID))
	if errors.Is(err, sql.ErrNoRows) {
		return inbox.Message{}, false, nil
	}
	if err != nil {
		return inbox.Message{}, false, fmt.Errorf("latest message of conversation %d: %w", conversationID, err)
	}
	return m, true, nil
}

// InsertOutbox stores an outbox entry and sets its ID.
func (w *writeTx) InsertOutbox(ctx context.Context, e *inbox.OutboxEntry) error {
	req, err := json.Marshal(e.Message)
	if err != nil {
		return fmt.Errorf("outbox entry for message %d: %w", e.MessageID, err)
	}
	now := msOf(e.NextAttemptAt)
	err = w.queryRowSQL(ctx, `INSERT INTO outbox
		(message_id, idempotency_key, state, attempts, next_attempt_at, request, created_at, updated_at)
		VALUES (?, ?, ?, 0, ?, ?, ?, ?) RETURNING id`,
		e.MessageID, e.Message.IdempotencyKey, string(e.State), now, string(req), now, now).Scan(&e.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("outbox entry for message %d: the idempotency key is taken: %w", e.MessageID, inbox.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("outbox entry for message %d: %w", e.MessageID, err)
	}
	return nil
}

// QueueReply writes a reply and its outbox entry in one transaction.
func (db *DB) QueueReply(ctx context.Context, r inbox.Reply) (inbox.Message, inbox.Change, error) {
	var m inbox.Message
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var err error
		m, ch, err = inbox.QueueReply(ctx, w, r)
		return err
	})
	if err != nil {
		return inbox.Message{}, inbox.Change{}, fmt.Errorf("queue reply in conversation %d: %w", r.ConversationID, err)
	}
	return m, ch, nil
}

// RetryReply queues a failed reply again, with a fresh key.
func (db *DB) RetryReply(ctx context.Context, messageID int64, key string, at time.Time) (inbox.Message, inbox.Change, error) {
	var m inbox.Message
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var err error
		m, ch, err = inbox.RetryReply(ctx, w, messageID, key, at)
		return err
	})
	if err != nil {
		return inbox.Message{}, inbox.Change{}, fmt.Errorf("retry message %d: %w", messageID, err)
	}
	return m, ch, nil
}

// ClaimOutbox takes up to limit due entries: queued ones whose time has
// come, and sending ones whose lease ran out (their process died mid-send;
// they go again with the same key). It marks them sending until
// now+lease.
func (db *DB) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]inbox.OutboxEntry, error) {
	var out []inbox.OutboxEntry
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		out = nil
		rows, err := w.db.wconn.QueryContext(ctx, `SELECT o.id, o.message_id, m.conversation_id, o.attempts, o.last_error, o.request
			FROM outbox o JOIN messages m ON m.id = o.message_id
			WHERE o.state IN ('queued', 'sending') AND o.next_attempt_at <= ?
			ORDER BY o.next_attempt_at, o.id LIMIT ?`, msOf(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e inbox.OutboxEntry
			var req string
			if err := rows.Scan(&e.ID, &e.MessageID, &e.ConversationID, &e.Attempts, &e.LastError, &req); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(req), &e.Message); err != nil {
				rows.Close()
				return fmt.Errorf("outbox entry %d: %w", e.ID, err)
			}
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		until := now.Add(lease)
		for i := range out {
			out[i].Attempts++
			out[i].State, out[i].NextAttemptAt = inbox.OutboxSending, stored(until)
			if _, err := w.execSQL(ctx, `UPDATE outbox SET state = 'sending', attempts = ?, next_attempt_at = ?, updated_at = ?
				WHERE id = ?`, out[i].Attempts, msOf(until), msOf(now), out[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	return out, nil
}

// outboxEntryState reads an entry's state and message.
func (w *writeTx) outboxEntryState(ctx context.Context, id int64) (state inbox.OutboxState, messageID int64, err error) {
	var st string
	err = w.queryRowSQL(ctx, `SELECT state, message_id FROM outbox WHERE id = ?`, id).Scan(&st, &messageID)
	if err != nil {
		return "", 0, notFound(err, "outbox entry %d", id)
	}
	return inbox.OutboxState(st), messageID, nil
}

// OutboxSent records Zavu's answer. An entry already answered is left as
// it is: a second answer changes nothing.
func (db *DB) OutboxSent(ctx context.Context, entryID int64, res inbox.SendResult, at time.Time) (inbox.Change, error) {
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		ch = inbox.Change{}
		st, msgID, err := w.outboxEntryState(ctx, entryID)
		if err != nil {
			return err
		}
		if st == inbox.OutboxSent || st == inbox.OutboxFailed {
			return nil
		}
		if ch, err = inbox.RecordSent(ctx, w, msgID, res, at); err != nil {
			return err
		}
		_, err = w.execSQL(ctx, `UPDATE outbox SET state = 'sent', last_error = '', updated_at = ? WHERE id = ?`, msOf(at), entryID)
		return err
	})
	if err != nil {
		return inbox.Change{}, fmt.Errorf("record sent outbox entry %d: %w", entryID, err)
	}
	return ch, nil
}

// OutboxRetry puts a sending entry back in the queue until next.
func (db *DB) OutboxRetry(ctx context.Context, entryID int64, next time.Time, reason string) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `UPDATE outbox SET state = 'queued', next_attempt_at = ?, last_error = ?, updated_at = ?
			WHERE id = ? AND state IN ('queued', 'sending')`, msOf(next), reason, msOf(db.now()), entryID)
		return err
	})
	if err != nil {
		return fmt.Errorf("retry outbox entry %d: %w", entryID, err)
	}
	return nil
}

// OutboxFail marks an entry and its message failed, with the reason.
func (db *DB) OutboxFail(ctx context.Context, entryID int64, code, reason string, at time.Time) (inbox.Change, error) {
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		ch = inbox.Change{}
		st, msgID, err := w.outboxEntryState(ctx, entryID)
		if err != nil {
			return err
		}
		if st == inbox.OutboxSent || st == inbox.OutboxFailed {
			return nil
		}
		if ch, err = inbox.RecordFailed(ctx, w, msgID, code, reason, at); err != nil {
			return err
		}
		_, err = w.execSQL(ctx, `UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?`,
			reason, msOf(at), entryID)
		return err
	})
	if err != nil {
		return inbox.Change{}, fmt.Errorf("fail outbox entry %d: %w", entryID, err)
	}
	return ch, nil
}

// NextOutboxAttempt is when the next entry is due.
func (db *DB) NextOutboxAttempt(ctx context.Context) (time.Time, bool, error) {
	var ms sql.NullInt64
	err := db.reader.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM outbox WHERE state IN ('queued', 'sending')`).Scan(&ms)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next outbox attempt: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(ms.Int64).UTC(), true, nil
}

// ReleaseOutbox makes every entry left sending by a previous process due
// at now. Only one process sends from a database, so whatever is sending
// when it starts was in flight when the last one stopped.
func (db *DB) ReleaseOutbox(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		r, err := w.execSQL(ctx, `UPDATE outbox SET next_attempt_at = ?, updated_at = ? WHERE state = 'sending'`, msOf(now), msOf(now))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("release outbox: %w", err)
	}
	return int(n), nil
}
