package store

import (
	"context"
	"fmt"
	"time"

	"switchboard/inbox"
)

// Notes, activity lines and mentions: the team's own lines in a thread
// (see inbox.Internal).

var (
	stAddMention = writerStatement(`INSERT INTO mentions (message_id, user_id, conversation_id, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (message_id, user_id) DO NOTHING`)
	// What arrived in a thread after a message, in the order it arrived:
	// ids grow with every insert.
	stMessagesAfter = writerStatement(`SELECT ` + messageCols + ` FROM messages m
		WHERE m.conversation_id = ? AND m.id > ? ORDER BY m.id LIMIT ?`)
)

// AddMention records that a note mentions a user.
func (w *writeTx) AddMention(ctx context.Context, messageID, userID, conversationID int64, at time.Time) error {
	if _, err := w.exec(ctx, stAddMention, messageID, userID, conversationID, msOf(at)); err != nil {
		return fmt.Errorf("mention user %d in message %d: %w", userID, messageID, err)
	}
	return nil
}

// MessagesAfter lists the messages of a conversation stored after the
// message with id after, oldest first, at most limit.
func (w *writeTx) MessagesAfter(ctx context.Context, conversationID, after int64, limit int) ([]inbox.Message, error) {
	rows, err := w.query(ctx, stMessagesAfter, conversationID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("messages of conversation %d after %d: %w", conversationID, after, err)
	}
	defer rows.Close()
	var out []inbox.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("messages of conversation %d after %d: %w", conversationID, after, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// AddNote writes an agent's note and its mentions in one transaction (see
// inbox.AddNote) and returns the note, the ids of the users it mentions,
// and the change to publish.
func (db *DB) AddNote(ctx context.Context, n inbox.Note) (inbox.Message, []int64, inbox.Change, error) {
	team, err := db.Users(ctx)
	if err != nil {
		return inbox.Message{}, nil, inbox.Change{}, err
	}
	var m inbox.Message
	var mentioned []int64
	var ch inbox.Change
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var err error
		m, mentioned, ch, err = inbox.AddNote(ctx, w, n, team)
		return err
	})
	if err != nil {
		return inbox.Message{}, nil, inbox.Change{}, fmt.Errorf("add a note to conversation %d: %w", n.ConversationID, err)
	}
	return m, mentioned, ch, nil
}

// RecordActivity writes an activity line into a thread (see
// inbox.RecordActivity). Inside a write transaction of its own, code in
// store calls inbox.RecordActivity with that transaction instead.
func (db *DB) RecordActivity(ctx context.Context, a inbox.ThreadActivity) (inbox.Message, inbox.Change, error) {
	var m inbox.Message
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var err error
		m, ch, err = inbox.RecordActivity(ctx, w, a)
		return err
	})
	if err != nil {
		return inbox.Message{}, inbox.Change{}, fmt.Errorf("record %s in conversation %d: %w", a.Kind, a.ConversationID, err)
	}
	return m, ch, nil
}

// Mentions lists the conversations in which a user was @mentioned, one
// entry each with its latest mention: those with unseen mentions first,
// then by the latest mention, newest first.
func (db *DB) Mentions(ctx context.Context, userID int64, limit int) ([]inbox.Mention, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT mn.conversation_id, max(mn.created_at),
			sum(mn.seen_at IS NULL), (SELECT mm.message_id FROM mentions mm
				WHERE mm.conversation_id = mn.conversation_id AND mm.user_id = mn.user_id
				ORDER BY mm.created_at DESC, mm.message_id DESC LIMIT 1)
		FROM mentions mn WHERE mn.user_id = ?
		GROUP BY mn.conversation_id, mn.user_id
		ORDER BY sum(mn.seen_at IS NULL) > 0 DESC, max(mn.created_at) DESC, mn.conversation_id DESC
		LIMIT ?`, userID, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("mentions of user %d: %w", userID, err)
	}
	var out []inbox.Mention
	for rows.Next() {
		var mn inbox.Mention
		if err := rows.Scan(&mn.ConversationID, msTime{&mn.At}, &mn.Unseen, &mn.MessageID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("mentions of user %d: %w", userID, err)
		}
		out = append(out, mn)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mentions of user %d: %w", userID, err)
	}
	for i := range out {
		if out[i].Conversation, err = db.ConversationFor(ctx, out[i].ConversationID, userID); err != nil {
			return nil, fmt.Errorf("mentions of user %d: %w", userID, err)
		}
		if out[i].Note, err = db.Message(ctx, out[i].MessageID); err != nil {
			return nil, fmt.Errorf("mentions of user %d: %w", userID, err)
		}
	}
	return out, nil
}

// UnseenMentions counts the conversations with mentions of a user that
// the user has not seen: the Mentions badge.
func (db *DB) UnseenMentions(ctx context.Context, userID int64) (int, error) {
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT count(DISTINCT conversation_id) FROM mentions
		WHERE user_id = ? AND seen_at IS NULL`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("unseen mentions of user %d: %w", userID, err)
	}
	return n, nil
}

// MarkMentionsSeen records that a user has seen the mentions of them in a
// conversation; it reports whether any was unseen.
func (db *DB) MarkMentionsSeen(ctx context.Context, conversationID, userID int64, at time.Time) (bool, error) {
	var unseen int
	err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM mentions
		WHERE conversation_id = ? AND user_id = ? AND seen_at IS NULL`, conversationID, userID).Scan(&unseen)
	if err != nil || unseen == 0 {
		return false, err // most opens: nothing to write
	}
	var n int64
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		res, err := w.execSQL(ctx, `UPDATE mentions SET seen_at = ? WHERE conversation_id = ? AND user_id = ? AND seen_at IS NULL`,
			msOf(at), conversationID, userID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mark mentions in conversation %d seen: %w", conversationID, err)
	}
	return n > 0, nil
}
