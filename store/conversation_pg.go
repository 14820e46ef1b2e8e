package store

import (
	"context"
	"fmt"

	"switchboard/inbox"
)

// On PostgreSQL, where each statement is a round trip, EnsureConversation
// creates a conversation (stInsertConversation) and reads it as stored
// (stConversationByKey) in one statement.
const pgInsertConversation = `WITH c AS (INSERT INTO conversations
		(sender_id, channel, contact_id, status, last_message_at, created_at, updated_at)
		VALUES (?1, ?2, ?3, 'open', ?4, ?4, ?4) RETURNING *)
	SELECT ` + conversationCols + `, 0 FROM c JOIN contacts ct ON ct.id = c.contact_id`

// createConversation is the creation of EnsureConversation on PostgreSQL.
func (w *writeTx) createConversation(ctx context.Context, key inbox.ConversationKey, at int64) (inbox.Conversation, error) {
	c, err := scanConversation(w.queryRowSQL(ctx, pgInsertConversation, key.SenderID, string(key.Channel), key.ContactID, at))
	if err != nil {
		return inbox.Conversation{}, fmt.Errorf("create conversation %+v: %w", key, err)
	}
	return c, nil
}
