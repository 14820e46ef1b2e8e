package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"switchboard/inbox"
)

// messageCols are a message's columns (m), in the order scanMessage reads
// them.
const messageCols = `m.id, m.zavu_id, m.conversation_id, m.direction, m.channel, m.type, m.text, m.content,
	m.status, m.queued_at, m.sending_at, m.sent_at, m.delivered_at, m.read_at, m.failed_at,
	m.error_code, m.error_message, m.source, m.author_id, m.created_at, m.updated_at, m.auto_reply_rule,
	m.provisional, m.rev, m.signed_by`

func scanMessage(row scanner) (inbox.Message, error) {
	var m inbox.Message
	var zavuID sql.NullString
	var direction, channel, typ, status, source string
	st := &m.StatusTimes
	err := row.Scan(&m.ID, &zavuID, &m.ConversationID, &direction, &channel, &typ, &m.Text, contentCol{&m.Content},
		&status, msTime{&st.Queued}, msTime{&st.Sending}, msTime{&st.Sent}, msTime{&st.Delivered}, msTime{&st.Read},
		msTime{&st.Failed}, &m.ErrorCode, &m.ErrorMessage, &source, optID{&m.AuthorID},
		msTime{&m.CreatedAt}, msTime{&m.UpdatedAt}, &m.AutoReplyRule, &m.Provisional, &m.Rev, &m.SignedBy)
	if err != nil {
		return inbox.Message{}, err
	}
	m.ZavuID = zavuID.String
	m.Direction, m.Channel, m.Type = inbox.Direction(direction), inbox.Channel(channel), inbox.MessageType(typ)
	m.Status, m.Source = inbox.Status(status), inbox.Source(source)
	return m, nil
}

// Messages returns a page of a thread: the Limit messages before the cursor
// f.Before (or the latest), ordered by (created_at, id) and returned oldest
// first. The next cursor points to older messages; it is empty when there
// are none.
func (db *DB) Messages(ctx context.Context, conversationID int64, f inbox.MessageFilter) ([]inbox.Message, string, error) {
	limit := pageLimit(f.Limit)
	q, args, err := messagesQuery(conversationID, f)
	if err != nil {
		return nil, "", fmt.Errorf("list messages of conversation %d: %w", conversationID, err)
	}
	items, err := db.queryMessages(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list messages of conversation %d: %w", conversationID, err)
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		oldest := items[limit-1]
		next = encodeIDCursor(msOf(oldest.CreatedAt), oldest.ID)
	}
	slices.Reverse(items)
	if err := db.attachOthers(ctx, items); err != nil {
		return nil, "", fmt.Errorf("list messages of conversation %d: %w", conversationID, err)
	}
	return items, next, nil
}

// messagesQuery is the query for a page of a thread, newest first: limit+1
// rows, so that the last one tells whether there are older ones.
func messagesQuery(conversationID int64, f inbox.MessageFilter) (string, []any, error) {
	q := `SELECT ` + messageCols + ` FROM messages m WHERE m.conversation_id = ?`
	args := []any{conversationID}
	if f.Before != "" {
		ms, id, err := decodeIDCursor(f.Before)
		if err != nil {
			return "", nil, err
		}
		q += ` AND (m.created_at, m.id) < (?, ?)`
		args = append(args, ms, id)
	}
	q += ` ORDER BY m.created_at DESC, m.id DESC LIMIT ?`
	return q, append(args, pageLimit(f.Limit)+1), nil
}

// Message returns one message with its reactions, or an error wrapping
// inbox.ErrNotFound.
func (db *DB) Message(ctx context.Context, id int64) (inbox.Message, error) {
	return db.oneMessage(ctx, `m.id = ?`, id, fmt.Sprintf("message %d", id))
}

// MessageByZavuID returns the message with this Zavu id, with its
// reactions, or an error wrapping inbox.ErrNotFound.
func (db *DB) MessageByZavuID(ctx context.Context, zavuID string) (inbox.Message, error) {
	if zavuID == "" {
		return inbox.Message{}, fmt.Errorf("message with no zavu id: %w", inbox.ErrNotFound)
	}
	return db.oneMessage(ctx, `m.zavu_id = ?`, zavuID, "message "+zavuID)
}

// MessageSender returns the sender whose conversation holds the message
// with this Zavu id, or an error wrapping inbox.ErrNotFound: one indexed
// look, for checking a webhook's signer before it is acknowledged.
func (db *DB) MessageSender(ctx context.Context, zavuID string) (string, error) {
	if zavuID == "" {
		return "", fmt.Errorf("message with no zavu id: %w", inbox.ErrNotFound)
	}
	var sender string
	err := db.reader.QueryRowContext(ctx, `SELECT c.sender_id FROM messages m
		JOIN conversations c ON c.id = m.conversation_id WHERE m.zavu_id = ?`, zavuID).Scan(&sender)
	if err != nil {
		return "", notFound(err, "message %s", zavuID)
	}
	return sender, nil
}

func (db *DB) oneMessage(ctx context.Context, cond string, arg any, what string) (inbox.Message, error) {
	m, err := scanMessage(db.reader.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages m WHERE `+cond, arg))
	if err != nil {
		return inbox.Message{}, notFound(err, "%s", what)
	}
	ms := []inbox.Message{m}
	if err := db.attachOthers(ctx, ms); err != nil {
		return inbox.Message{}, fmt.Errorf("%s: %w", what, err)
	}
	return ms[0], nil
}

func (db *DB) queryMessages(ctx context.Context, q string, args ...any) ([]inbox.Message, error) {
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []inbox.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, m)
	}
	return items, rows.Err()
}

// attachOthers fills in what ms show that other tables keep: their
// reactions (attachReactions), and why pending replies wait
// (attachWaits).
func (db *DB) attachOthers(ctx context.Context, ms []inbox.Message) error {
	if err := db.attachReactions(ctx, ms); err != nil {
		return err
	}
	return db.attachWaits(ctx, ms)
}

// attachReactions fills in the reactions that show on ms (not removals),
// oldest first, in one query. Reactions attach by the message's Zavu id,
// so one that arrived before its message shows once the message is here,
// unless only another sender's own secret signed it (inbox.Reaction's
// SignedBy): that one is kept apart.
func (db *DB) attachReactions(ctx context.Context, ms []inbox.Message) error {
	byZavuID := make(map[string]int, len(ms))
	args := make([]any, 0, len(ms))
	for i, m := range ms {
		if m.ZavuID != "" {
			byZavuID[m.ZavuID] = i
			args = append(args, m.ZavuID)
		}
	}
	if len(args) == 0 {
		return nil
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT r.message_zavu_id, r.from_addr, r.emoji, r.at FROM reactions r
		WHERE r.message_zavu_id IN (?`+strings.Repeat(`, ?`, len(args)-1)+`) AND r.emoji <> ''
			AND (r.signed_by = '' OR r.signed_by = (SELECT c.sender_id FROM messages m
				JOIN conversations c ON c.id = m.conversation_id WHERE m.zavu_id = r.message_zavu_id))
		ORDER BY r.at, r.from_addr`, args...)
	if err != nil {
		return fmt.Errorf("reactions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r inbox.Reaction
		if err := rows.Scan(&r.MessageZavuID, &r.From, &r.Emoji, msTime{&r.At}); err != nil {
			return fmt.Errorf("reactions: %w", err)
		}
		i := byZavuID[r.MessageZavuID]
		ms[i].Reactions = append(ms[i].Reactions, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reactions: %w", err)
	}
	return nil
}
