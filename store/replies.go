package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"switchboard/inbox"
)

// writeTx implements inbox.ReplyTx as well: the reply rules run on the
// writer's open transaction, in the savepoint of their write.
var _ inbox.ReplyTx = (*writeTx)(nil)

var (
	stConversationByID = writerStatement(`SELECT ` + conversationCols + `, 0
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = ?`)
	stMessageByID   = writerStatement(`SELECT ` + messageCols + ` FROM messages m WHERE m.id = ?`)
	stDeleteMessage = writerStatement(`DELETE FROM messages WHERE id = ?`)
	// What hangs on a conversation goes with it (ON DELETE CASCADE, and
	// the report rows by trigger).
	stDeleteEmptyConversation = writerStatement(`DELETE FROM conversations WHERE id = ?
		AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.conversation_id = conversations.id)`)
	stRetireZavuID = writerStatement(`INSERT INTO retired_zavu_ids (zavu_id, message_id, retired_at) VALUES (?, ?, ?)
		ON CONFLICT (zavu_id) DO NOTHING`)
)

// ConversationByID returns the conversation with its contact, or an error
// wrapping inbox.ErrNotFound. UnreadCount is not computed on the write
// path and is 0.
func (w *writeTx) ConversationByID(ctx context.Context, id int64) (inbox.Conversation, error) {
	c, err := scanConversation(w.queryRow(ctx, stConversationByID, id))
	if err != nil {
		return inbox.Conversation{}, notFound(err, "conversation %d", id)
	}
	return c, nil
}

// MessageByID returns the message, or an error wrapping inbox.ErrNotFound.
// Reactions are not loaded on the write path.
func (w *writeTx) MessageByID(ctx context.Context, id int64) (inbox.Message, error) {
	m, err := scanMessage(w.queryRow(ctx, stMessageByID, id))
	if err != nil {
		return inbox.Message{}, notFound(err, "message %d", id)
	}
	return m, nil
}

// DeleteMessage removes a message: a placeholder merged into ours. Its
// reactions, keyed by its Zavu id, stay for the message that takes the id.
// A message that is not there is an error wrapping inbox.ErrNotFound.
func (w *writeTx) DeleteMessage(ctx context.Context, id int64) error {
	r, err := w.exec(ctx, stDeleteMessage, id)
	if err != nil {
		return fmt.Errorf("delete message %d: %w", id, err)
	}
	if n, err := r.RowsAffected(); err != nil {
		return fmt.Errorf("delete message %d: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("delete message %d: %w", id, inbox.ErrNotFound)
	}
	return nil
}

// DeleteEmptyConversation removes the conversation when it holds no
// message, with its reads, labels and report rows, and reports whether it
// did.
func (w *writeTx) DeleteEmptyConversation(ctx context.Context, id int64) (bool, error) {
	r, err := w.exec(ctx, stDeleteEmptyConversation, id)
	if err != nil {
		return false, fmt.Errorf("delete empty conversation %d: %w", id, err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("delete empty conversation %d: %w", id, err)
	}
	return n > 0, nil
}

// RetireZavuID remembers that a message had zavuID until an agent's
// Retry at at; an id retired before keeps its first record.
func (w *writeTx) RetireZavuID(ctx context.Context, messageID int64, zavuID string, at time.Time) error {
	if _, err := w.exec(ctx, stRetireZavuID, zavuID, messageID, msOf(at)); err != nil {
		return fmt.Errorf("retire zavu id %s of message %d: %w", zavuID, messageID, err)
	}
	return nil
}

// TakeOutboxKey returns the idempotency key of the message's latest outbox
// entry when it failed after at least attempts attempts, and renames the
// entry's key (the key, ":retried:" and the entry's id) so that a new
// entry of the message can take it; "" otherwise.
func (w *writeTx) TakeOutboxKey(ctx context.Context, messageID int64, attempts int) (string, error) {
	var id int64
	var key, state string
	var tries int
	err := w.queryRowSQL(ctx, `SELECT id, idempotency_key, state, attempts FROM outbox WHERE message_id = ?
		ORDER BY id DESC LIMIT 1`, messageID).Scan(&id, &key, &state, &tries)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("outbox key of message %d: %w", messageID, err)
	case state != string(inbox.OutboxFailed) || tries < attempts:
		return "", nil
	}
	if _, err := w.execSQL(ctx, `UPDATE outbox SET idempotency_key = ? WHERE id = ?`,
		key+":retried:"+strconv.FormatInt(id, 10), id); err != nil {
		return "", fmt.Errorf("free the outbox key of message %d: %w", messageID, err)
	}
	return key, nil
}

// QueueReply writes a reply as a pending message and its outbox entry in
// one transaction (see inbox.QueueReply). Free text on WhatsApp after the
// 24-hour window is an error wrapping inbox.ErrWindowClosed, and nothing is
// written.
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

// RetryReply queues a failed reply again under a fresh idempotency key
// (see inbox.RetryReply). A message that is not a failed reply sent from
// Switchboard is an error wrapping inbox.ErrConflict.
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

// errKeyTaken is a request key another writer stored first, between the
// look-up and the insert (PostgreSQL, several processes): the request is
// looked up again.
var errKeyTaken = errors.New("request key stored meanwhile")

// QueueRequestedReply queues a reply asked for with an idempotency key
// (see inbox.Store): a key the token sent within inbox.RequestKeyLife
// gives back the message its first request made, or is refused when the
// request differs. Keys older than that are forgotten as keys are
// stored.
func (db *DB) QueueRequestedReply(ctx context.Context, r inbox.Reply, k inbox.RequestKey) (inbox.Message, inbox.Change, bool, error) {
	for try := 0; ; try++ {
		var m inbox.Message
		var ch inbox.Change
		var replayed bool
		err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
			m, ch, replayed = inbox.Message{}, inbox.Change{}, false
			since := msOf(r.At.Add(-inbox.RequestKeyLife))
			var fingerprint string
			var messageID int64
			err := w.queryRowSQL(ctx, `SELECT fingerprint, message_id FROM api_request_keys
				WHERE token_id = ? AND request_key = ? AND created_at > ?`, k.TokenID, k.Key, since).Scan(&fingerprint, &messageID)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return fmt.Errorf("look up request key: %w", err)
			case fingerprint != k.Fingerprint:
				return fmt.Errorf("request key %q: %w", k.Key, inbox.ErrKeyReused)
			default:
				m, err = w.MessageByID(ctx, messageID)
				replayed = true
				return err
			}
			if _, err := w.execSQL(ctx, `DELETE FROM api_request_keys WHERE created_at <= ?`, since); err != nil {
				return fmt.Errorf("forget old request keys: %w", err)
			}
			if m, ch, err = inbox.QueueReply(ctx, w, r); err != nil {
				return err
			}
			res, err := w.execSQL(ctx, `INSERT INTO api_request_keys (token_id, request_key, fingerprint, message_id, created_at)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (token_id, request_key) DO NOTHING`,
				k.TokenID, k.Key, k.Fingerprint, m.ID, msOf(r.At))
			if err != nil {
				return fmt.Errorf("store request key: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("store request key: %w", err)
			} else if n == 0 {
				return errKeyTaken
			}
			return nil
		})
		if errors.Is(err, errKeyTaken) && try == 0 {
			continue
		}
		if err != nil {
			return inbox.Message{}, inbox.Change{}, false, fmt.Errorf("queue reply in conversation %d: %w", r.ConversationID, err)
		}
		return m, ch, replayed, nil
	}
}
