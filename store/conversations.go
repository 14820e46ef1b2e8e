package store

import (
	"context"
	"fmt"
	"strings"

	"switchboard/inbox"
)

// conversationCols are a conversation joined with its contact (c, ct), in
// the order scanConversation reads them; a query adds one more column, the
// unread count.
const conversationCols = `c.id, c.sender_id, c.channel, c.status, c.assignee_id, c.zavu_conversation_id,
	c.inbound_count, c.last_message_id, c.last_message_at, c.last_message_preview, c.last_inbound_at,
	c.created_at, c.updated_at,
	ct.id, ct.phone, ct.name, ct.name_at, ct.created_at, ct.updated_at`

// unreadCol is the unread count: inbound messages since the furthest any
// user has read. With no reads, every inbound message is unread.
const unreadCol = `max(0, c.inbound_count - coalesce(
	(SELECT max(r.read_count) FROM conversation_reads r WHERE r.conversation_id = c.id), 0))`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanConversation(row scanner) (inbox.Conversation, error) {
	var c inbox.Conversation
	var channel, status string
	var lastID *int64
	err := row.Scan(&c.ID, &c.SenderID, &channel, &status, optID{&c.AssigneeID}, &c.ZavuConversationID,
		&c.InboundCount, optID{&lastID}, msTime{&c.LastMessageAt}, &c.LastMessagePreview, msTime{&c.LastInboundAt},
		msTime{&c.CreatedAt}, msTime{&c.UpdatedAt},
		&c.Contact.ID, &c.Contact.Phone, &c.Contact.Name, msTime{&c.Contact.NameAt},
		msTime{&c.Contact.CreatedAt}, msTime{&c.Contact.UpdatedAt},
		&c.UnreadCount)
	if err != nil {
		return inbox.Conversation{}, err
	}
	c.Channel, c.Status = inbox.Channel(channel), inbox.ConversationStatus(status)
	if lastID != nil {
		c.LastMessageID = *lastID
	}
	return c, nil
}

// Conversations returns a page of conversations, newest activity first
// (last_message_at, then id, descending), and the cursor of the next page,
// empty at the end. A cursor that is not one this gave out is an error
// wrapping inbox.ErrInvalid.
func (db *DB) Conversations(ctx context.Context, f inbox.ConversationFilter) ([]inbox.Conversation, string, error) {
	limit := pageLimit(f.Limit)
	q, args, err := conversationsQuery(f)
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()
	items := make([]inbox.Conversation, 0, limit)
	next := ""
	for rows.Next() {
		if len(items) == limit {
			last := items[len(items)-1]
			next = encodeIDCursor(msOf(last.LastMessageAt), last.ID)
			break
		}
		c, err := scanConversation(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list conversations: %w", err)
		}
		items = append(items, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	return items, next, nil
}

// Conversation returns one conversation with its contact and unread count,
// or an error wrapping inbox.ErrNotFound.
func (db *DB) Conversation(ctx context.Context, id int64) (inbox.Conversation, error) {
	c, err := scanConversation(db.reader.QueryRowContext(ctx, `SELECT `+conversationCols+`, `+unreadCol+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = ?`, id))
	if err != nil {
		return inbox.Conversation{}, notFound(err, "conversation %d", id)
	}
	return c, nil
}

// conversationStatuses are the values the conversations.status column
// allows (its CHECK constraint).
var conversationStatuses = []inbox.ConversationStatus{inbox.Open, inbox.Resolved}

// Positions (from 1) of c.last_message_at and c.id in conversationCols,
// for the ORDER BY of a compound select.
const (
	convColID            = 1
	convColLastMessageAt = 9
)

// conversationsQuery is the query for a page of conversations: limit+1
// rows, so that the last one tells whether there is a next page.
//
// Every list walks an index on (status, last_message_at, id), alone or
// after assignee_id. A list of all statuses is the UNION ALL of one walk
// per status, which SQLite merges in order (MERGE (UNION ALL)) with no
// sort and no index of its own to keep up on every message.
func conversationsQuery(f inbox.ConversationFilter) (string, []any, error) {
	var where []string
	var args []any
	switch {
	case f.AssigneeID == nil:
	case *f.AssigneeID == 0:
		where = append(where, `c.assignee_id IS NULL`)
	default:
		where = append(where, `c.assignee_id = ?`)
		args = append(args, *f.AssigneeID)
	}
	if f.SenderID != "" {
		where = append(where, `c.sender_id = ?`)
		args = append(args, f.SenderID)
	}
	if f.Channel != "" {
		where = append(where, `c.channel = ?`)
		args = append(args, string(f.Channel))
	}
	if f.Cursor != "" {
		ms, id, err := decodeIDCursor(f.Cursor)
		if err != nil {
			return "", nil, err
		}
		where = append(where, `(c.last_message_at, c.id) < (?, ?)`)
		args = append(args, ms, id)
	}
	statuses := conversationStatuses
	if f.Status != "" {
		statuses = []inbox.ConversationStatus{f.Status}
	}
	var q strings.Builder
	var allArgs []any
	for i, st := range statuses {
		if i > 0 {
			q.WriteString(` UNION ALL `)
		}
		q.WriteString(`SELECT ` + conversationCols + `, ` + unreadCol + `
			FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.status = ?`)
		for _, w := range where {
			q.WriteString(` AND ` + w)
		}
		allArgs = append(allArgs, string(st))
		allArgs = append(allArgs, args...)
	}
	fmt.Fprintf(&q, ` ORDER BY %d DESC, %d DESC LIMIT ?`, convColLastMessageAt, convColID)
	return q.String(), append(allArgs, pageLimit(f.Limit)+1), nil
}
