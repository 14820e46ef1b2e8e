package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// AutoReplyTx is what auto-replies need from storage inside the write
// transaction of the event that triggers them.
type AutoReplyTx interface {
	ReplyTx
	// AutoReplyConfig is the team's auto-reply settings as they are in
	// this transaction (the zero config when never saved).
	AutoReplyConfig(ctx context.Context) (AutoReplyConfig, error)
	// AutoRepliesSince counts the auto-replies of a conversation written
	// at or after since.
	AutoRepliesSince(ctx context.Context, conversationID int64, since time.Time) (int, error)
	// OutOfOfficeSent reports whether the out-of-office reply went to the
	// conversation in the closed period that started at since.
	OutOfOfficeSent(ctx context.Context, conversationID int64, since time.Time) (bool, error)
	// RecordOutOfOffice records that it goes now; false when it had gone
	// already (then nothing is written). Storage keeps one record per
	// conversation and period, so nothing can send it twice.
	RecordOutOfOffice(ctx context.Context, conversationID int64, since, at time.Time) (bool, error)
	// IsOurNumber reports whether phone is one of the business's senders.
	IsOurNumber(ctx context.Context, phone string) (bool, error)
	// AddAutoReplyLog records an auto-reply that could not go.
	AddAutoReplyLog(ctx context.Context, e AutoReplyLogEntry) error
}

// AutoReplyLogEntry is an auto-reply that a rule wanted to send and could
// not, shown to admins on the auto-replies page.
type AutoReplyLogEntry struct {
	ID             int64
	At             time.Time
	ConversationID int64
	ContactName    string // filled in when read
	Rule           string
	Reason         string
}

// IngestWithAutoReplies is the ApplyFunc of webhook deliveries: Apply,
// then the auto-reply a new customer message triggers, queued in the same
// transaction. now is the clock: business hours and the hourly limit are
// about when the reply would go. A replayed event never triggers one, and
// neither does anything but a customer's message stored for the first
// time (never an echo, a reaction, a status or a duplicate). A Tx that is
// not an AutoReplyTx gets Apply alone.
func IngestWithAutoReplies(now func() time.Time) ApplyFunc {
	return func(ctx context.Context, tx Tx, ev *Event) (Change, error) {
		a, err := apply(ctx, tx, ev)
		if err != nil {
			return Change{}, err
		}
		ch := a.change
		atx, ok := tx.(AutoReplyTx)
		if a.arrived == nil || ev.Replayed || !ok {
			return ch, nil
		}
		if err := autoReply(ctx, atx, ev, a.arrived, now(), &ch); err != nil {
			return Change{}, fmt.Errorf("%s %s: auto-reply: %w", ev.Type, ev.ID, err)
		}
		return ch, nil
	}
}

// autoReplyKey is the idempotency key of the auto-reply to a customer's
// message: one message, at most one auto-reply, whatever happens.
func autoReplyKey(zavuID string) string {
	sum := sha256.Sum256([]byte("auto-reply\x00" + zavuID))
	return "sb_auto_" + hex.EncodeToString(sum[:16])
}

func autoReply(ctx context.Context, tx AutoReplyTx, ev *Event, in *arrival, now time.Time, ch *Change) error {
	cfg, err := tx.AutoReplyConfig(ctx)
	if err != nil || !cfg.Active() {
		return err
	}
	conv, err := tx.ConversationByID(ctx, in.message.ConversationID)
	if err != nil {
		return err
	}
	// A skip an admin should see is logged, and shown in the thread as an
	// activity line under the message it did not answer.
	logSkip := func(rule string, reason SkipReason) error {
		if err := tx.AddAutoReplyLog(ctx, AutoReplyLogEntry{At: now, ConversationID: conv.ID, Rule: rule, Reason: string(reason)}); err != nil {
			return err
		}
		at := now
		if at.Before(in.message.CreatedAt) {
			at = in.message.CreatedAt
		}
		m, _, err := RecordActivity(ctx, tx, ThreadActivity{ConversationID: conv.ID, Kind: ActivityAutoReplySkipped,
			Detail: string(reason), Rule: rule, At: at})
		if err != nil {
			return err
		}
		ch.addMessage(m.ID)
		return nil
	}
	if own, err := tx.IsOurNumber(ctx, conv.Contact.Phone); err != nil || own {
		if err == nil {
			err = logSkip("", SkipOwnNumber)
		}
		return err
	}
	var lookupErr error
	approved := map[string]Template{} // read once: the reply fills the one it sends
	st := AutoReplyState{
		LastHour: func() int {
			n, err := tx.AutoRepliesSince(ctx, conv.ID, now.Add(-time.Hour))
			lookupErr = errors.Join(lookupErr, err)
			return n
		},
		OutOfOfficeSent: func(since time.Time) bool {
			sent, err := tx.OutOfOfficeSent(ctx, conv.ID, since)
			lookupErr = errors.Join(lookupErr, err)
			return sent
		},
		TemplateApproved: func(id string) bool {
			t, err := tx.Template(ctx, id)
			if err != nil && !errors.Is(err, ErrNotFound) {
				lookupErr = errors.Join(lookupErr, err)
			}
			if err == nil {
				approved[id] = t
			}
			return err == nil && t.Approved()
		},
	}
	d := cfg.Decide(CustomerMessage{
		SenderID: conv.SenderID, Channel: conv.Channel, Type: in.message.Type, Text: in.message.Text,
		First: in.first, OptedOut: conv.OptedOut, WindowOpen: WindowOpen(conv.Channel, conv.LastInboundAt, now),
	}, st, now)
	if lookupErr != nil {
		return lookupErr
	}
	if !d.Send() {
		if d.Logged {
			return logSkip(d.Rule, d.Skip)
		}
		return nil
	}
	if d.OutOfOffice {
		if fresh, err := tx.RecordOutOfOffice(ctx, conv.ID, d.Period, now); err != nil || !fresh {
			return err
		}
	}
	at := now
	if at.Before(in.message.CreatedAt) {
		at = in.message.CreatedAt // never above the message it answers
	}
	r := Reply{
		ConversationID: conv.ID, Source: SourceAutoReply, AutoReplyRule: d.Rule, Type: d.Type,
		Text: d.FillText(conv.Contact), IdempotencyKey: autoReplyKey(in.message.ZavuID), At: at,
		ConfirmsOptOut: d.Rule == RuleStopConfirmation,
	}
	if d.Type == TypeTemplate {
		vars := d.TemplateVariables(conv.Contact)
		r.Content = &Content{TemplateID: d.TemplateID, TemplateVariables: vars}
		r.Text = ""
		t, ok := approved[d.TemplateID]
		if !ok {
			var err error
			if t, err = tx.Template(ctx, d.TemplateID); err != nil {
				t = Template{}
			}
		}
		r.Text = t.Fill(vars)
	}
	_, queued, err := queueReply(ctx, tx, conv, r)
	switch {
	case errors.Is(err, ErrInvalid) || errors.Is(err, ErrWindowClosed) || errors.Is(err, ErrOptedOut):
		// Refused before anything was written: say why, keep the message.
		return tx.AddAutoReplyLog(ctx, AutoReplyLogEntry{At: now, ConversationID: conv.ID, Rule: d.Rule,
			Reason: "The reply could not be queued: " + err.Error()})
	case err != nil:
		return err
	}
	for _, id := range queued.ConversationIDs {
		ch.addConversation(id)
	}
	for _, id := range queued.MessageIDs {
		ch.addMessage(id)
	}
	ch.Queued = true
	return nil
}
