package store

import (
	"context"
	"fmt"
	"time"

	"switchboard/inbox"
)

// StartConversation returns the conversation with phone on this sender
// and channel, creating the contact and an open conversation if needed.
func (db *DB) StartConversation(ctx context.Context, senderID string, ch inbox.Channel, phone string, at time.Time) (inbox.Conversation, error) {
	var c inbox.Conversation
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		contact, err := w.UpsertContact(ctx, phone, "", at)
		if err != nil {
			return err
		}
		c, err = w.EnsureConversation(ctx, inbox.ConversationKey{SenderID: senderID, Channel: ch, ContactID: contact.ID}, at)
		return err
	})
	if err != nil {
		return inbox.Conversation{}, fmt.Errorf("start conversation with %s: %w", phone, err)
	}
	return c, nil
}
