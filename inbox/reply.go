package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ReplyTx is what writing replies needs from storage, inside one write
// transaction, beyond what applying webhooks needs.
type ReplyTx interface {
	Tx
	// MessageByID returns ErrNotFound when there is no such message.
	MessageByID(ctx context.Context, id int64) (Message, error)
	// InsertOutbox stores an outbox entry and sets its ID. A queued
	// entry due before the end of the pause the last OutboxHold put every
	// send in, and the first unfinished one of its conversation, waits
	// for that end: its NextAttemptAt and LastError say until when and
	// why.
	InsertOutbox(ctx context.Context, e *OutboxEntry) error
	// RetireZavuID remembers that the message messageID had the Zavu id
	// zavuID until at, when an agent's Retry sent it again. Retiring an id
	// twice keeps the first.
	RetireZavuID(ctx context.Context, messageID int64, zavuID string, at time.Time) error
	// TakeOutboxKey returns the idempotency key of the message's latest
	// outbox entry when that entry failed after at least attempts
	// attempts, and frees it for a new entry of the message (the failed
	// entry keeps it under another name); "" otherwise.
	TakeOutboxKey(ctx context.Context, messageID int64, attempts int) (string, error)
}

// Reply is a message the business sends from Switchboard.
type Reply struct {
	ConversationID int64
	AuthorID       *int64 // the agent; nil for auto-replies and the API
	Source         Source
	AutoReplyRule  string      // the rule that sent an auto-reply
	Type           MessageType // text, template, or a media type
	Text           string
	Content        *Content
	IdempotencyKey string // fresh for every reply, kept across retries of its sends
	At             time.Time
	// ConfirmsOptOut marks the one confirmation an SMS STOP may get: it
	// goes although the customer has just opted out.
	ConfirmsOptOut bool
	// DraftSince, when set, is the id of the newest message of the thread
	// when the agent started the draft (0 for an empty thread): the send
	// guard stops the reply with a *DraftChanged error if the customer, a
	// teammate or an assignment changed the thread since (see
	// DraftChanges).
	DraftSince *int64
}

// RequestKey names a reply a script asked for over the API with an
// idempotency key: the same token sending the same key with the same
// request (Fingerprint) within RequestKeyLife gets the reply the first
// request made, and nothing is sent again; with another request the key
// is refused (ErrKeyReused).
type RequestKey struct {
	TokenID int64
	Key     string
	// Fingerprint is what was asked: the conversation and the body,
	// hashed.
	Fingerprint string
}

// RequestKeyLife is how long an idempotency key of the API is kept.
const RequestKeyLife = 24 * time.Hour

// MaxReplyLength bounds a reply's text: WhatsApp takes 4,096 characters,
// and an SMS of that size is already 27 segments.
const MaxReplyLength = 4096

// MaxCaptionLength bounds the caption of a file on WhatsApp: it takes
// 1,024 characters (see MaxCaption).
const MaxCaptionLength = 1024

// QueueReply writes a reply as a pending message in its conversation, and
// the outbox entry that will send it, in the caller's transaction. Free
// text on WhatsApp needs the 24-hour window open; a template does not.
func QueueReply(ctx context.Context, tx ReplyTx, r Reply) (Message, Change, error) {
	conv, err := tx.ConversationByID(ctx, r.ConversationID)
	if err != nil {
		return Message{}, Change{}, err
	}
	return queueReply(ctx, tx, conv, r)
}

// queueReply is QueueReply in conv, the reply's conversation as this
// transaction has it.
func queueReply(ctx context.Context, tx ReplyTx, conv Conversation, r Reply) (Message, Change, error) {
	if r.IdempotencyKey == "" {
		return Message{}, Change{}, fmt.Errorf("reply without an idempotency key: %w", ErrInvalid)
	}
	if err := checkReply(conv, r); err != nil {
		return Message{}, Change{}, err
	}
	if err := checkDraft(ctx, tx, r); err != nil {
		return Message{}, Change{}, err
	}
	m := Message{
		ConversationID: conv.ID, Direction: Outbound, Channel: conv.Channel, Type: r.Type,
		Text: r.Text, Content: r.Content, Status: StatusPending, Source: r.Source, AuthorID: r.AuthorID,
		AutoReplyRule: r.AutoReplyRule, CreatedAt: r.At, UpdatedAt: r.At,
	}
	if err := tx.InsertMessage(ctx, &m); err != nil {
		return Message{}, Change{}, err
	}
	if err := saveDerived(ctx, tx, &conv, r.At); err != nil {
		return Message{}, Change{}, err
	}
	return sendLater(ctx, tx, conv, m, r.IdempotencyKey, r.At)
}

// sendLater puts the pending message m of conv into the outbox, to be
// sent with key from at on.
func sendLater(ctx context.Context, tx ReplyTx, conv Conversation, m Message, key string, at time.Time) (Message, Change, error) {
	e := OutboxEntry{
		MessageID: m.ID, ConversationID: conv.ID, State: OutboxQueued, NextAttemptAt: at,
		Message: OutgoingMessage{
			IdempotencyKey: key, SenderID: conv.SenderID, To: conv.Contact.Phone,
			Channel: conv.Channel, Type: m.Type, Text: m.Text, Content: m.Content,
		},
	}
	if err := tx.InsertOutbox(ctx, &e); err != nil {
		return Message{}, Change{}, err
	}
	if e.LastError != "" { // a pause holds every send: the reply says so
		m.Waiting = &SendWait{Reason: e.LastError, NextAttemptAt: e.NextAttemptAt, Attempts: e.Attempts}
	}
	return m, Change{ConversationIDs: []int64{conv.ID}, MessageIDs: []int64{m.ID}}, nil
}

// checkReply enforces what Zavu would refuse anyway, before anything is
// written: an empty or oversized text, a file where the channel takes
// none or a caption longer than it takes, a template or reply buttons
// anywhere but on WhatsApp, and free text after the WhatsApp window closed.
func checkReply(conv Conversation, r Reply) error {
	switch r.Type {
	case TypeText:
		if strings.TrimSpace(r.Text) == "" {
			return &InvalidError{Code: "empty_reply", Message: "Write a reply or attach a file first."}
		}
	case TypeTemplate:
		if r.Content == nil || r.Content.TemplateID == "" {
			return fmt.Errorf("a template reply names no template: %w", ErrInvalid)
		}
		if err := CheckChannelTakes(conv.Channel, r.Type); err != nil {
			return err
		}
	case TypeButtons:
		if strings.TrimSpace(r.Text) == "" || r.Content == nil || len(r.Content.Buttons) == 0 || len(r.Content.Buttons) > 3 {
			return fmt.Errorf("a buttons message needs a text and 1 to 3 buttons: %w", ErrInvalid)
		}
		if err := CheckChannelTakes(conv.Channel, r.Type); err != nil {
			return err
		}
	case TypeImage, TypeVideo, TypeAudio, TypeDocument:
		if r.Content == nil || r.Content.MediaURL == "" {
			return fmt.Errorf("a media reply has no file: %w", ErrInvalid)
		}
		if err := checkFile(conv.Channel, utf8.RuneCountInString(r.Text)); err != nil {
			return err
		}
	default:
		return fmt.Errorf("a reply of type %q: %w", r.Type, ErrInvalid)
	}
	if err := CheckReplyLength(r.Text); err != nil {
		return err
	}
	if conv.OptedOut && !r.ConfirmsOptOut {
		return fmt.Errorf("%s: %w", conv.OptedOutSentence(), ErrOptedOut)
	}
	if r.Type != TypeTemplate && !WindowOpen(conv.Channel, conv.LastInboundAt, r.At) {
		return ErrWindowClosed
	}
	return nil
}

// CheckReplyLength refuses a reply's text longer than MaxReplyLength,
// saying by how much.
func CheckReplyLength(text string) error {
	if l := utf8.RuneCountInString(text); l > MaxReplyLength {
		return &InvalidError{Code: "reply_too_long",
			Message: fmt.Sprintf("A reply has at most %d characters; this one has %d. Shorten it or send it in parts.", MaxReplyLength, l)}
	}
	return nil
}

// CheckChannelTakes refuses, with the channel named, a reply of type t
// that only WhatsApp carries (a template, reply buttons) on any other
// channel: the most fundamental refusal a reply can get, checked before
// anything about the template or the text.
func CheckChannelTakes(ch Channel, t MessageType) error {
	if ch == WhatsApp {
		return nil
	}
	switch t {
	case TypeTemplate:
		return &InvalidError{Code: "template_not_supported",
			Message: "Templates are WhatsApp's: " + ch.Label() + " cannot send one. Write the message as text instead."}
	case TypeButtons:
		return &InvalidError{Code: "buttons_not_supported",
			Message: "Reply buttons are WhatsApp's: " + ch.Label() + " cannot send them. Write the choices in the text instead."}
	}
	return nil
}

// RecordSent stores Zavu's answer to a send on the message: its id and
// status, and why it failed when Zavu answered it failed at once. A
// status webhook that overtook the answer has left an outbound
// placeholder with that id; its statuses move into the message and the
// placeholder goes. When a report only another sender's own secret signed
// is among them (Message.SignedBy), the placeholder goes with its
// statuses: that secret vouches for its own sender's messages alone.
func RecordSent(ctx context.Context, tx ReplyTx, messageID int64, res SendResult, at time.Time) (Change, error) {
	var ch Change
	if res.ZavuID == "" {
		return ch, fmt.Errorf("zavu accepted message %d without giving its id: %w", messageID, ErrInvalid)
	}
	m, err := tx.MessageByID(ctx, messageID)
	if err != nil {
		return ch, err
	}
	ph, err := tx.MessageByZavuID(ctx, res.ZavuID)
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && ph.ID == m.ID):
	case err != nil:
		return ch, err
	case ph.Type != TypeUnknown:
		return ch, fmt.Errorf("zavu id %s already belongs to message %d: %w", res.ZavuID, ph.ID, ErrConflict)
	default:
		ok, err := vouchedFor(ctx, tx, ph.SignedBy, m)
		if err != nil {
			return ch, err
		}
		if ok {
			mergeStatuses(&m, ph)
		}
		if err := dropPlaceholder(ctx, tx, ph, at, &ch); err != nil {
			return ch, err
		}
	}
	m.ZavuID = res.ZavuID
	if res.Status != "" {
		m.StatusTimes.Record(res.Status, at)
		var moved bool
		if m.Status, moved = AdvanceStatus(m.Status, res.Status); moved && m.Status == StatusFailed {
			m.ErrorCode, m.ErrorMessage = res.ErrorCode, res.ErrorMessage
		}
	}
	m.UpdatedAt = at
	if err := tx.UpdateMessage(ctx, &m); err != nil {
		return ch, err
	}
	ch.addMessage(m.ID)
	ch.addConversation(m.ConversationID)
	if m.Status == StatusFailed && OptedOutByCarrier(res.ErrorCode) {
		if err := refusedAsOptedOut(ctx, tx, m.ConversationID, at, &ch); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// refusedAsOptedOut opts the customer of conversation convID out at at,
// as a STOP does (see applier.setOptOut), because Zavu refused a send to
// them with 21610: they opted out where Switchboard did not see it (a
// STOP to another system, or before it was set up). The composer closes,
// and the replies waiting behind the refused one fail instead of being
// refused one by one.
func refusedAsOptedOut(ctx context.Context, tx ReplyTx, convID int64, at time.Time, ch *Change) error {
	conv, err := tx.ConversationByID(ctx, convID)
	if err != nil {
		return err
	}
	if conv.OptedOut {
		return nil
	}
	a := &applier{ctx: ctx, tx: tx, at: at}
	if err := a.setOptOut(&conv, true, at); err != nil {
		return err
	}
	if err := a.save(&conv); err != nil {
		return err
	}
	for _, id := range a.change.MessageIDs {
		ch.addMessage(id)
	}
	for _, id := range a.change.ConversationIDs {
		ch.addConversation(id)
	}
	return nil
}

// mergeStatuses moves what a placeholder learned from webhooks into m.
func mergeStatuses(m *Message, ph Message) {
	pt := ph.StatusTimes
	for _, s := range []struct {
		st Status
		at time.Time
	}{{StatusQueued, pt.Queued}, {StatusSending, pt.Sending}, {StatusSent, pt.Sent},
		{StatusDelivered, pt.Delivered}, {StatusRead, pt.Read}, {StatusFailed, pt.Failed}} {
		if !s.at.IsZero() {
			m.StatusTimes.Record(s.st, s.at)
		}
	}
	next, moved := AdvanceStatus(m.Status, ph.Status)
	m.Status = next
	if moved && next == StatusFailed {
		m.ErrorCode, m.ErrorMessage = ph.ErrorCode, ph.ErrorMessage
	}
}

// dropPlaceholder deletes the placeholder ph and derives its conversation
// again from the messages it has left. A conversation the placeholder
// alone was in (a report that named another channel or number than the
// message it was about) goes with it: a report never leaves an empty
// conversation behind. The change still names it, so that the pages
// showing its row drop it.
func dropPlaceholder(ctx context.Context, tx Tx, ph Message, at time.Time, ch *Change) error {
	if err := tx.DeleteMessage(ctx, ph.ID); err != nil {
		return err
	}
	ch.DeletedMessageIDs = append(ch.DeletedMessageIDs, ph.ID)
	gone, err := tx.DeleteEmptyConversation(ctx, ph.ConversationID)
	if err != nil {
		return err
	}
	if gone {
		ch.addConversation(ph.ConversationID)
		return nil
	}
	conv, err := tx.ConversationByID(ctx, ph.ConversationID)
	if err != nil {
		return err
	}
	if err := saveDerived(ctx, tx, &conv, at); err != nil {
		return err
	}
	ch.addConversation(conv.ID)
	return nil
}

// RecordFailed marks a reply failed with the reason in plain words. A
// refusal with 21610 opts the customer out (refusedAsOptedOut).
func RecordFailed(ctx context.Context, tx ReplyTx, messageID int64, code, reason string, at time.Time) (Change, error) {
	m, err := tx.MessageByID(ctx, messageID)
	if err != nil {
		return Change{}, err
	}
	m.StatusTimes.Record(StatusFailed, at)
	m.Status, _ = AdvanceStatus(m.Status, StatusFailed)
	m.ErrorCode, m.ErrorMessage = code, reason
	m.UpdatedAt = at
	if err := tx.UpdateMessage(ctx, &m); err != nil {
		return Change{}, err
	}
	ch := Change{ConversationIDs: []int64{m.ConversationID}, MessageIDs: []int64{m.ID}}
	if OptedOutByCarrier(code) {
		if err := refusedAsOptedOut(ctx, tx, m.ConversationID, at, &ch); err != nil {
			return Change{}, err
		}
	}
	return ch, nil
}

// RetryReply sends a failed reply again, as the agent asked: the message
// goes back to pending, with its old statuses and error cleared, and a new
// outbox entry with a fresh idempotency key (the old key would only bring
// back Zavu's answer to the failed send). The send gets a new Zavu id; the
// one the failed attempt had is kept as retired, so that a report about
// that attempt arriving later still finds the message (see
// applier.earlierAttempt). A reply the outbox gave up on after
// MaxSendAttempts temporary failures, without ever hearing Zavu take it,
// goes again under its old key instead: Zavu may have taken one of those
// attempts (its answer lost), and then sends nothing twice.
func RetryReply(ctx context.Context, tx ReplyTx, messageID int64, key string, at time.Time) (Message, Change, error) {
	m, err := tx.MessageByID(ctx, messageID)
	if err != nil {
		return Message{}, Change{}, err
	}
	if m.Direction != Outbound || m.Status != StatusFailed || m.Source == SourcePhoneApp || m.Type == TypeUnknown {
		return Message{}, Change{}, fmt.Errorf("message %d is not a failed reply sent from Switchboard: %w", m.ID, ErrConflict)
	}
	conv, err := tx.ConversationByID(ctx, m.ConversationID)
	if err != nil {
		return Message{}, Change{}, err
	}
	if err := checkReply(conv, Reply{Type: m.Type, Text: m.Text, Content: m.Content, At: at}); err != nil {
		return Message{}, Change{}, err
	}
	if m.ZavuID != "" {
		if err := tx.RetireZavuID(ctx, m.ID, m.ZavuID, at); err != nil {
			return Message{}, Change{}, err
		}
	} else if old, err := tx.TakeOutboxKey(ctx, m.ID, MaxSendAttempts); err != nil {
		return Message{}, Change{}, err
	} else if old != "" {
		key = old
	}
	m.ZavuID, m.Status, m.StatusTimes, m.ErrorCode, m.ErrorMessage, m.UpdatedAt = "", StatusPending, StatusTimes{}, "", "", at
	if err := tx.UpdateMessage(ctx, &m); err != nil {
		return Message{}, Change{}, err
	}
	return sendLater(ctx, tx, conv, m, key, at)
}
