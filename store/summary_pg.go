package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"switchboard/inbox"
)

// On PostgreSQL, where each statement is a round trip, SummarizeMessages
// reads a conversation's latest message (stLatestMessage) and the count
// and latest time of the customer's messages (stInboundSummary) in one
// statement; a conversation with no message to show reads the second
// alone.
const pgMessageSummary = `SELECT ` + messageCols + `, s.n, s.last
	FROM messages m,
		(SELECT count(*) AS n, max(created_at) AS last FROM messages WHERE conversation_id = ?1 AND direction = 'inbound') s
	WHERE m.conversation_id = ?1 AND m.direction <> 'internal'
	ORDER BY m.created_at DESC, m.zavu_id DESC, m.id DESC LIMIT 1`

// summarizeMessages is SummarizeMessages on PostgreSQL.
func (w *writeTx) summarizeMessages(ctx context.Context, conversationID int64) (inbox.MessageSummary, error) {
	var s inbox.MessageSummary
	m, err := scanMessage(extraColumns{w.queryRowSQL(ctx, pgMessageSummary, conversationID),
		[]any{&s.InboundCount, msTime{&s.LastInboundAt}}})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if err := w.queryRow(ctx, stInboundSummary, conversationID).Scan(&s.InboundCount, msTime{&s.LastInboundAt}); err != nil {
			return s, fmt.Errorf("inbound messages of conversation %d: %w", conversationID, err)
		}
	case err != nil:
		return s, fmt.Errorf("latest message of conversation %d: %w", conversationID, err)
	default:
		s.Latest = m
	}
	return s, nil
}

// extraColumns scans a row into what its scanner's caller asks for, then
// into extra: the columns the row has after those.
type extraColumns struct {
	row   scanner
	extra []any
}

func (e extraColumns) Scan(dest ...any) error {
	return e.row.Scan(append(dest, e.extra...)...)
}
