package store

import (
	"context"
	"fmt"
	"time"

	"switchboard/inbox"
)

// BusinessReactor is the address reactions the business puts on a
// customer's message are kept under: one reaction per message for the
// whole team, as WhatsApp shows it to the customer.
const BusinessReactor = inbox.BusinessReactor

// ReactAsBusiness records the team's emoji on a message (an empty emoji
// removes it) and returns what changed for the live screens.
func (db *DB) ReactAsBusiness(ctx context.Context, messageID int64, emoji string, at time.Time) (inbox.Change, error) {
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		m, err := w.MessageByID(ctx, messageID)
		if err != nil {
			return err
		}
		if m.ZavuID == "" {
			return fmt.Errorf("message %d has no Zavu id to react to: %w", messageID, inbox.ErrConflict)
		}
		if err := w.PutReaction(ctx, inbox.Reaction{MessageZavuID: m.ZavuID, From: BusinessReactor, Emoji: emoji, At: at, EventAt: at}); err != nil {
			return err
		}
		ch = inbox.Change{ConversationIDs: []int64{m.ConversationID}, MessageIDs: []int64{m.ID}}
		return nil
	})
	if err != nil {
		return inbox.Change{}, fmt.Errorf("react to message %d: %w", messageID, err)
	}
	return ch, nil
}
