package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Apply turns one webhook event into changes to the conversation model,
// through tx. It is called inside the transaction that stores the event, so
// its writes commit with the event or not at all. It is deterministic: the
// same event stream gives the same state whatever order its events arrive
// in and however often each arrives.
func Apply(ctx context.Context, tx Tx, ev *Event) (Change, error) {
	a, err := apply(ctx, tx, ev)
	if err != nil {
		return Change{}, err
	}
	return a.change, nil
}

// apply is Apply, returning the applier to say what happened beyond the
// change: the new customer message, if any.
func apply(ctx context.Context, tx Tx, ev *Event) (*applier, error) {
	if ev.DecodeErr != nil {
		return nil, ev.DecodeErr
	}
	a := &applier{ctx: ctx, tx: tx, ev: ev, at: ev.Timestamp}
	err := a.checkSigner()
	switch {
	case err != nil:
	case ev.NewConversation != nil:
		err = a.newConversation(ev.NewConversation)
	case ev.Inbound != nil:
		err = a.inbound(ev.Inbound)
	case ev.Reaction != nil:
		err = a.reaction(ev.Reaction)
	case ev.Echo != nil:
		err = a.echo(ev.Echo)
	case ev.Status != nil:
		err = a.status(ev.Status)
	case ev.Template != nil:
		err = a.template(ev.Template)
	case ev.Activity != nil:
		err = a.activity(ev.Activity)
	default:
		err = fmt.Errorf("%w %q: kept in the webhook log; replay it after an upgrade that knows it", ErrUnknownEvent, ev.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", ev.Type, ev.ID, err)
	}
	return a, nil
}

type applier struct {
	ctx    context.Context
	tx     Tx
	ev     *Event
	at     time.Time
	change Change
	// arrived is the customer's message this event stored for the first
	// time; the pair conversation.new and message.inbound of one message
	// sets it once, on whichever comes first.
	arrived *arrival
}

// arrival is a customer's message just stored.
type arrival struct {
	message Message
	first   bool // the conversation had no message before it
}

func missing(field string) error { return fmt.Errorf("data.%s is missing: %w", field, ErrMissingField) }

// checkSigner refuses an event that only a sender's own webhook secret
// signed (Event.SignedBy) when the message it names is held by another
// sender's conversation, under its Zavu id or under one an agent's Retry
// replaced: the delivery was checked as it arrived, but the message may
// have been stored since, before the event is applied. Events signed with
// a project's secret are not looked at.
func (a *applier) checkSigner() error {
	if a.ev.SignedBy == "" {
		return nil
	}
	if a.ev.SenderID != a.ev.SignedBy {
		// A sender's secret verifies only events under its own envelope.
		return &OtherSendersEvent{Signer: a.ev.SignedBy, Sender: a.ev.SenderID}
	}
	return CheckSignedBySender(a.ctx, a.ev, a.ev.SignedBy, a.senderOf)
}

// senderOf returns the sender whose conversation holds the message with
// this Zavu id, or the one that had it before a Retry; ErrNotFound when
// there is none.
func (a *applier) senderOf(_ context.Context, zavuID string) (string, error) {
	m, found, err := a.message(zavuID)
	if err == nil && !found {
		m, found, err = a.retired(zavuID)
	}
	switch {
	case err != nil:
		return "", err
	case !found:
		return "", fmt.Errorf("message %s: %w", zavuID, ErrNotFound)
	}
	conv, err := a.conversationOf(&m)
	if err != nil {
		return "", err
	}
	return conv.SenderID, nil
}

// conversation finds or creates the conversation of the customer at addr on
// the event's sender. name, when set, updates the contact as of nameAt
// (see contact).
func (a *applier) conversation(ch Channel, addr, name string, nameAt time.Time, ourNumber string) (Conversation, error) {
	if ch == "" {
		return Conversation{}, missing("channel")
	}
	contact, err := a.contact(addr, name, nameAt, ourNumber)
	if err != nil {
		return Conversation{}, err
	}
	conv, err := a.tx.EnsureConversation(a.ctx, ConversationKey{SenderID: a.ev.SenderID, Channel: ch, ContactID: contact.ID}, a.at)
	if err != nil {
		return Conversation{}, err
	}
	conv.Contact = contact
	return conv, nil
}

// contact records our number and the customer at addr, with the name the
// event gives, without touching any conversation. The name is the
// customer's as of nameAt, the time of the message it came with, not of
// the event: a copy of an old message delivered late brings back no name
// the customer has changed since.
func (a *applier) contact(addr, name string, nameAt time.Time, ourNumber string) (Contact, error) {
	if err := a.tx.UpsertSender(a.ctx, a.ev.SenderID, ourNumber); err != nil {
		return Contact{}, err
	}
	return a.tx.UpsertContact(a.ctx, addr, name, nameAt)
}

// conversationOf returns the conversation that holds m. Whatever channel
// or number a later event about m carries, m stays where it is.
func (a *applier) conversationOf(m *Message) (Conversation, error) {
	return a.tx.ConversationByID(a.ctx, m.ConversationID)
}

// message returns the message with this Zavu id, or found=false.
func (a *applier) message(zavuID string) (m Message, found bool, err error) {
	return foundMessage(a.tx.MessageByZavuID(a.ctx, zavuID))
}

// ownMessage is message for the message's own event (its arrival or its
// echo), not a report about it. A placeholder there that a report only
// another sender's own secret signed went into (Message.SignedBy) is not
// taken: that secret vouches for its own sender's messages alone. It
// goes, statuses and all, and found is false.
func (a *applier) ownMessage(zavuID string) (m Message, found bool, err error) {
	m, found, err = a.message(zavuID)
	if err != nil || !found || !m.Provisional || m.Direction != Outbound || m.SignedBy == "" || m.SignedBy == a.ev.SenderID {
		return m, found, err
	}
	return Message{}, false, dropPlaceholder(a.ctx, a.tx, m, a.at, &a.change)
}

// foundMessage turns a lookup's ErrNotFound into found=false.
func foundMessage(m Message, err error) (Message, bool, error) {
	switch {
	case errors.Is(err, ErrNotFound):
		return Message{}, false, nil
	case err != nil:
		return Message{}, false, err
	}
	return m, true, nil
}

// save derives what the conversation list shows of conv from the messages
// it holds, and writes it.
func (a *applier) save(conv *Conversation) error {
	if err := saveDerived(a.ctx, a.tx, conv, a.at); err != nil {
		return err
	}
	a.change.addConversation(conv.ID)
	return nil
}

// saveDerived derives what the conversation list shows of conv from the
// messages it holds (derive), and writes it, updated at at.
func saveDerived(ctx context.Context, tx Tx, conv *Conversation, at time.Time) error {
	if err := derive(ctx, tx, conv); err != nil {
		return err
	}
	conv.UpdatedAt = at
	return tx.SaveConversation(ctx, conv)
}

// derive sets conv's latest activity, its preview, its inbound count (and
// so its unread count) and its WhatsApp window from the messages it holds
// in tx. They are a function of those messages, never nudged up or down,
// so the order the messages came in does not matter. A conversation
// without messages keeps the time it started.
func derive(ctx context.Context, tx Tx, conv *Conversation) error {
	s, err := tx.SummarizeMessages(ctx, conv.ID)
	if err != nil {
		return err
	}
	conv.InboundCount, conv.LastInboundAt = s.InboundCount, s.LastInboundAt
	conv.LastMessageID, conv.LastMessagePreview = 0, ""
	if s.Latest.ID != 0 {
		conv.LastMessageID, conv.LastMessageAt, conv.LastMessagePreview = s.Latest.ID, s.Latest.CreatedAt, Preview(s.Latest)
	}
	return nil
}

// insert stores a new message in conv. The caller saves conv, which takes
// the message into account.
func (a *applier) insert(conv *Conversation, m *Message) error {
	m.ConversationID = conv.ID
	m.Channel = conv.Channel
	m.UpdatedAt = a.at
	if err := a.tx.InsertMessage(a.ctx, m); err != nil {
		return err
	}
	a.change.addMessage(m.ID)
	return nil
}

// reopen opens conv for a customer's new message at at: a resolved
// conversation comes back open, with a "Reopened" line under the message,
// and a snoozed one's snooze ends, with a "Snooze ended" line.
func (a *applier) reopen(conv *Conversation, at time.Time) error {
	kind := ActivityReopened
	switch conv.Status {
	case Resolved:
	case Snoozed:
		kind, conv.SnoozedUntil = ActivitySnoozeEnded, time.Time{}
	default:
		return nil
	}
	conv.Status = Open
	m, _, err := RecordActivity(a.ctx, a.tx, ThreadActivity{ConversationID: conv.ID, Kind: kind, At: at})
	if err != nil {
		return err
	}
	a.change.addMessage(m.ID)
	return nil
}

// update writes a changed message. The caller saves its conversation when
// the change can show in the list (its time or its content).
func (a *applier) update(m *Message) error {
	m.UpdatedAt = a.at
	if err := a.tx.UpdateMessage(a.ctx, m); err != nil {
		return err
	}
	a.change.addMessage(m.ID)
	return nil
}

// newConversation stores the first message of a new contact as
// conversation.new announces it: its text alone, at the announcement's
// time. It is provisional: the message.inbound of the same message, which
// may come first or later, gives its type, content and time.
func (a *applier) newConversation(n *NewConversation) error {
	if n.Phone == "" {
		return missing("phoneNumber")
	}
	if n.FirstMessageID != "" {
		m, found, err := a.ownMessage(n.FirstMessageID)
		if err != nil {
			return err
		}
		if found {
			return a.announcedAgain(n, m)
		}
	}
	conv, err := a.conversation(n.Channel, n.Phone, n.ProfileName, a.at, "")
	if err != nil {
		return err
	}
	if n.FirstMessageID != "" {
		m := Message{
			ZavuID: n.FirstMessageID, Direction: Inbound, Type: TypeText,
			Text: n.FirstMessageText, Status: StatusReceived, Source: SourceCustomer,
			CreatedAt: a.at, Provisional: true,
		}
		first := conv.LastMessageID == 0
		if err := a.insert(&conv, &m); err != nil {
			return err
		}
		if err := a.reopen(&conv, m.CreatedAt); err != nil {
			return err
		}
		// A first SMS that is STOP opts out now, before its auto-reply
		// (the confirmation) is queued, as its message.inbound would.
		if err := a.optByKeyword(&conv, m.Type, m.Text, m.CreatedAt); err != nil {
			return err
		}
		a.arrived = &arrival{message: m, first: first}
	}
	return a.save(&conv)
}

// announcedAgain is conversation.new for a message already here: its
// message.inbound came first, or this is another copy of the announcement.
// Only the contact's name and, while the message is provisional, an
// earlier time are taken.
func (a *applier) announcedAgain(n *NewConversation, m Message) error {
	if m.Direction != Inbound {
		_, err := a.contact(n.Phone, n.ProfileName, a.at, "")
		return err
	}
	old := m.CreatedAt
	if m.Provisional && a.at.Before(m.CreatedAt) {
		m.CreatedAt = a.at
		if err := a.update(&m); err != nil {
			return err
		}
	}
	if _, err := a.contact(n.Phone, n.ProfileName, m.CreatedAt, ""); err != nil {
		return err
	}
	conv, err := a.conversationOf(&m)
	if err != nil {
		return err
	}
	if err := a.optMoved(&conv, m, old); err != nil {
		return err
	}
	return a.save(&conv)
}

// inbound stores a customer's message. Its time is the earliest of its
// copies (Zavu may deliver the same message again under a new event id,
// hours later): the first sighting fixes it, and a later copy changes
// nothing.
func (a *applier) inbound(in *InboundMessage) error {
	switch {
	case in.MessageID == "":
		return missing("messageId")
	case in.From == "":
		return missing("from")
	case in.Channel == "":
		return missing("channel")
	}
	at := in.At
	if at.IsZero() {
		at = a.at
	}
	typ := in.Type
	if typ == "" {
		typ = TypeText
	}
	m, found, err := a.ownMessage(in.MessageID)
	var conv Conversation
	switch {
	case err != nil:
		return err
	case found && m.Direction != Inbound:
		return fmt.Errorf("message %s is already known as one we sent: %w", in.MessageID, ErrConflict)
	case found:
		// Announced by conversation.new, which knows only the text, or
		// seen before at a later time: take the message as this event has
		// it.
		old := m.CreatedAt
		if m.Provisional || at.Before(m.CreatedAt) {
			m.Type, m.Text, m.Content, m.CreatedAt, m.Provisional = typ, in.Text, in.Content, at, false
			if err := a.update(&m); err != nil {
				return err
			}
		}
		if _, err := a.contact(in.From, in.ProfileName, m.CreatedAt, in.To); err != nil {
			return err
		}
		if conv, err = a.conversationOf(&m); err != nil {
			return err
		}
		if err := a.optMoved(&conv, m, old); err != nil {
			return err
		}
	default:
		if conv, err = a.conversation(in.Channel, in.From, in.ProfileName, at, in.To); err != nil {
			return err
		}
		m = Message{
			ZavuID: in.MessageID, Direction: Inbound, Type: typ, Text: in.Text, Content: in.Content,
			Status: StatusReceived, Source: SourceCustomer, CreatedAt: at, ConversationID: conv.ID,
		}
		first := conv.LastMessageID == 0
		// An answer to the satisfaction survey is a score: it neither
		// reopens the conversation nor triggers an auto-reply.
		resolveID, score, err := csatAnswer(a.ctx, a.tx, conv, &m)
		if err != nil {
			return err
		}
		if err := a.insert(&conv, &m); err != nil {
			return err
		}
		if resolveID != 0 {
			if err := a.tx.(CSATTx).RecordCSATAnswer(a.ctx, resolveID, score, at, m.ID); err != nil {
				return err
			}
		} else {
			if err := a.reopen(&conv, at); err != nil {
				return err
			}
			a.arrived = &arrival{message: m, first: first}
		}
	}
	if conv.ZavuConversationID == "" && in.ZavuConversationID != "" {
		conv.ZavuConversationID = in.ZavuConversationID
	}
	// The message's own time, not this copy's: a late copy of a STOP the
	// customer took back with START since is the same STOP.
	if err := a.optByKeyword(&conv, m.Type, m.Text, m.CreatedAt); err != nil {
		return err
	}
	return a.save(&conv)
}

// optByKeyword opts the customer of conv out, or back in, at at when their
// SMS of type typ is a STOP or START keyword (OptKeyword).
func (a *applier) optByKeyword(conv *Conversation, typ MessageType, text string, at time.Time) error {
	if conv.Channel != SMS || typ != TypeText {
		return nil
	}
	stop, start := OptKeyword(text)
	if !stop && !start {
		return nil
	}
	return a.setOptOut(conv, stop, at)
}

func (a *applier) reaction(r *ReactionChange) error {
	switch {
	case r.MessageID == "":
		return missing("messageId")
	case r.From == "":
		return missing("reaction.from")
	}
	next := Reaction{MessageZavuID: r.MessageID, From: r.From, Emoji: r.Emoji, At: r.At, EventAt: a.at, SignedBy: a.ev.SignedBy}
	if next.At.IsZero() {
		next.At = a.at
	}
	if r.Action == ReactionRemoved {
		next.Emoji = ""
	}
	prev, ok, err := a.tx.Reaction(a.ctx, r.MessageID, r.From)
	if err != nil {
		return err
	}
	// The message may not be here yet; the reaction attaches when it comes.
	m, found, err := a.message(r.MessageID)
	if err != nil {
		return err
	}
	if ok && found {
		// One that only another sender's own secret signed before the
		// message came is kept apart from it, and stands in no one's way.
		if ok, err = vouchedFor(a.ctx, a.tx, prev.SignedBy, m); err != nil {
			return err
		}
	}
	if ok && !next.Supersedes(prev) {
		return nil // a newer change by the same person is already here
	}
	if err := a.tx.PutReaction(a.ctx, next); err != nil {
		return err
	}
	if !found {
		return nil
	}
	a.change.addMessage(m.ID)
	a.change.addConversation(m.ConversationID)
	return nil
}

// echo stores a message typed in the WhatsApp Business phone app. It fills
// in a placeholder that status reports left; for a message we sent
// ourselves it is only a status report, and never rewrites its source or
// text. Its time is the earliest of its copies.
func (a *applier) echo(e *Echo) error {
	switch {
	case e.MessageID == "":
		return missing("messageId")
	case e.To == "":
		return missing("to")
	}
	ch := e.Channel
	if ch == "" {
		ch = WhatsApp // echoes exist only on WhatsApp
	}
	typ := e.Type
	if typ == "" {
		typ = TypeText
	}
	m, found, err := a.ownMessage(e.MessageID)
	if err != nil {
		return err
	}
	if !found {
		conv, err := a.conversation(ch, e.To, "", a.at, e.From)
		if err != nil {
			return err
		}
		m = Message{
			ZavuID: e.MessageID, Direction: Outbound, Type: typ, Text: e.Text, Content: e.Content,
			Status: StatusPending, Source: SourcePhoneApp, CreatedAt: a.at,
		}
		a.echoStatus(&m, e)
		// Never reopens a resolved conversation and never counts as unread.
		if err := a.insert(&conv, &m); err != nil {
			return err
		}
		return a.save(&conv)
	}
	if m.Direction != Outbound {
		return fmt.Errorf("message %s is already known as one the customer sent: %w", e.MessageID, ErrConflict)
	}
	if err := a.tx.UpsertSender(a.ctx, a.ev.SenderID, e.From); err != nil {
		return err
	}
	moved := false
	switch {
	case m.Provisional:
		// Status reports came first and left a placeholder: the echo says
		// what it was and when.
		m.Source, m.Type, m.Text, m.Content, m.CreatedAt, m.Provisional = SourcePhoneApp, typ, e.Text, e.Content, a.at, false
		moved = true
	case m.Source == SourcePhoneApp && a.at.Before(m.CreatedAt):
		m.Type, m.Text, m.Content, m.CreatedAt = typ, e.Text, e.Content, a.at // an earlier copy
		moved = true
	}
	if !a.echoStatus(&m, e) && !moved {
		return nil
	}
	if err := a.update(&m); err != nil {
		return err
	}
	if !moved {
		a.change.addConversation(m.ConversationID) // the tick changes
		return nil
	}
	conv, err := a.conversationOf(&m)
	if err != nil {
		return err
	}
	return a.save(&conv)
}

// echoStatus applies what an echo says of its message's delivery: it was
// sent by the time Zavu reports it, whatever its status says.
func (a *applier) echoStatus(m *Message, e *Echo) bool {
	sent := a.advance(m, &StatusReport{Status: StatusSent})
	return a.advance(m, &StatusReport{Status: e.Status}) || sent
}

// status applies a delivery report to the message it names, in the
// conversation that holds it, whatever channel or number the report
// carries. A report about an attempt that an agent's Retry replaced goes
// to the retried message (earlierAttempt); one for a message we do not
// have leaves a placeholder.
func (a *applier) status(s *StatusReport) error {
	if s.MessageID == "" {
		return missing("messageId")
	}
	m, found, err := a.message(s.MessageID)
	if err != nil {
		return err
	}
	if !found {
		earlier, retired, err := a.retired(s.MessageID)
		if err != nil {
			return err
		}
		if retired {
			return a.earlierAttempt(earlier, s)
		}
		return a.placeholder(s)
	}
	if m.Direction != Outbound {
		return nil // statuses describe what we sent; ignore one about an inbound message
	}
	changed := a.advance(&m, s)
	// A placeholder's time is its earliest report, whatever order the
	// reports came in.
	moved := m.Provisional && a.at.Before(m.CreatedAt)
	if moved {
		m.CreatedAt = a.at
	}
	// A placeholder remembers a report that only its sender's own secret
	// signed, whatever the report changed, so that the order reports come
	// in does not matter.
	signed := m.Provisional && m.SignedBy == "" && a.ev.SignedBy != ""
	if signed {
		m.SignedBy = a.ev.SignedBy
	}
	if !changed && !moved && !signed {
		return nil
	}
	if err := a.update(&m); err != nil {
		return err
	}
	optOut := carrierOptOut(s)
	if !moved && !optOut {
		// A status changes nothing the conversation list shows but the
		// tick, so the conversation itself is not rewritten.
		a.change.addConversation(m.ConversationID)
		return nil
	}
	conv, err := a.conversationOf(&m)
	if err != nil {
		return err
	}
	if optOut {
		if err := a.setOptOut(&conv, true, a.at); err != nil { // the composer closes
			return err
		}
	}
	return a.save(&conv)
}

// retired returns the message that had this Zavu id before an agent's
// Retry sent it again under a new one, or found=false.
func (a *applier) retired(zavuID string) (m Message, found bool, err error) {
	return foundMessage(a.tx.MessageByRetiredZavuID(a.ctx, zavuID))
}

// earlierAttempt takes a status report about an attempt of m that an
// agent's Retry has replaced since: Zavu reports late and twice, so the
// old attempt's "failed" (or even "delivered") can come after the new
// attempt went out. m's status, error and times are its latest attempt's
// and stay as they are: the report neither fails a retried reply that was
// delivered nor leaves a placeholder beside it. Only a carrier's opt-out
// (21610) still counts, whichever attempt it came with: it closes m's
// conversation as a STOP does.
func (a *applier) earlierAttempt(m Message, s *StatusReport) error {
	if !carrierOptOut(s) {
		return nil
	}
	conv, err := a.conversationOf(&m)
	if err != nil {
		return err
	}
	if err := a.setOptOut(&conv, true, a.at); err != nil {
		return err
	}
	return a.save(&conv)
}

// carrierOptOut reports whether s is a failure that says the customer
// opted out (21610).
func carrierOptOut(s *StatusReport) bool {
	return s.Status == StatusFailed && OptedOutByCarrier(s.ErrorCode)
}

// advance applies a status report to m and reports whether m changed.
// failed is final and keeps the error of its earliest report (of reports
// at the same instant, the greater code), so that the outcome does not
// depend on the order reports arrive in.
func (a *applier) advance(m *Message, s *StatusReport) bool {
	before := *m
	firstFailure := m.StatusTimes.Failed
	m.StatusTimes.Record(s.Status, a.at)
	m.Status, _ = AdvanceStatus(m.Status, s.Status)
	if s.Status == StatusFailed && m.Status == StatusFailed && (firstFailure.IsZero() || a.at.Before(firstFailure) ||
		(a.at.Equal(firstFailure) && (s.ErrorCode > m.ErrorCode || (s.ErrorCode == m.ErrorCode && s.ErrorMessage > m.ErrorMessage)))) {
		m.ErrorCode, m.ErrorMessage = s.ErrorCode, s.ErrorMessage
	}
	return m.Status != before.Status || m.StatusTimes != before.StatusTimes ||
		m.ErrorCode != before.ErrorCode || m.ErrorMessage != before.ErrorMessage
}

// placeholder keeps a status for a message we have not seen (sent by
// another system, or ours before Zavu's answer was stored) as an outbound
// message whose content is unknown. The message fills it in if it arrives;
// one of another sender's does not when only the signing sender's own
// secret signed a report it holds (Message.SignedBy).
func (a *applier) placeholder(s *StatusReport) error {
	if s.To == "" {
		return missing("to")
	}
	conv, err := a.conversation(s.Channel, s.To, "", a.at, "")
	if err != nil {
		return err
	}
	m := Message{
		ZavuID: s.MessageID, Direction: Outbound, Type: TypeUnknown,
		Status: StatusPending, Source: SourceAPI, CreatedAt: a.at, Provisional: true, SignedBy: a.ev.SignedBy,
	}
	a.advance(&m, s)
	if err := a.insert(&conv, &m); err != nil {
		return err
	}
	if carrierOptOut(s) {
		if err := a.setOptOut(&conv, true, a.at); err != nil {
			return err
		}
	}
	return a.save(&conv)
}

func (a *applier) template(t *TemplateChange) error {
	if t.TemplateID == "" {
		return missing("templateId")
	}
	prev, err := a.tx.Template(a.ctx, t.TemplateID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	case prev.UpdatedAt.After(a.at):
		return nil // a newer change is already here
	}
	next := Template{
		ID: t.TemplateID, Name: t.Name, Language: t.Language, Status: t.Status,
		RejectionReason: t.RejectionReason, UpdatedAt: a.at,
	}
	if next.Name == "" {
		next.Name = prev.Name
	}
	if next.Language == "" {
		next.Language = prev.Language
	}
	return a.tx.PutTemplate(a.ctx, next)
}

func (a *applier) activity(act *Activity) error {
	x := *act
	x.EventID = a.ev.ID
	if x.Kind == "" {
		x.Kind = string(a.ev.Type)
	}
	if x.At.IsZero() {
		x.At = a.at
	}
	return a.tx.AddActivity(a.ctx, x)
}
