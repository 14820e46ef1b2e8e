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
	var err error
	switch {
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

// conversation finds or creates the conversation of the customer at addr on
// the event's sender. name, when set, updates the contact.
func (a *applier) conversation(ch Channel, addr, name, ourNumber string) (Conversation, error) {
	if ch == "" {
		return Conversation{}, missing("channel")
	}
	if err := a.tx.UpsertSender(a.ctx, a.ev.SenderID, ourNumber); err != nil {
		return Conversation{}, err
	}
	contact, err := a.tx.UpsertContact(a.ctx, addr, name, a.at)
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

// message returns the message with this Zavu id, or found=false.
func (a *applier) message(zavuID string) (m Message, found bool, err error) {
	m, err = a.tx.MessageByZavuID(a.ctx, zavuID)
	switch {
	case errors.Is(err, ErrNotFound):
		return Message{}, false, nil
	case err != nil:
		return Message{}, false, err
	}
	return m, true, nil
}

func (a *applier) save(conv *Conversation) error {
	conv.UpdatedAt = a.at
	if err := a.tx.SaveConversation(a.ctx, conv); err != nil {
		return err
	}
	a.change.addConversation(conv.ID)
	return nil
}

// insert stores a new message in conv and moves the conversation's latest
// activity to it unless a later message is already there.
func (a *applier) insert(conv *Conversation, m *Message) error {
	m.ConversationID = conv.ID
	m.Channel = conv.Channel
	m.UpdatedAt = a.at
	if err := a.tx.InsertMessage(a.ctx, m); err != nil {
		return err
	}
	a.change.addMessage(m.ID)
	conv.touch(m)
	return nil
}

func (a *applier) update(conv *Conversation, m *Message) error {
	m.UpdatedAt = a.at
	if err := a.tx.UpdateMessage(a.ctx, m); err != nil {
		return err
	}
	a.change.addMessage(m.ID)
	if conv.LastMessageID == m.ID {
		conv.LastMessageAt = m.CreatedAt
		conv.LastMessagePreview = Preview(*m)
	}
	return nil
}

// touch makes m the conversation's latest activity if it is the latest by
// message time. A late retry of an old message changes nothing.
func (c *Conversation) touch(m *Message) {
	if c.LastMessageID == 0 || m.CreatedAt.After(c.LastMessageAt) ||
		(m.CreatedAt.Equal(c.LastMessageAt) && m.ID > c.LastMessageID) {
		c.LastMessageID = m.ID
		c.LastMessageAt = m.CreatedAt
		c.LastMessagePreview = Preview(*m)
	}
}

// receive counts a new inbound message: it is unread, it reopens a resolved
// conversation, and it moves the WhatsApp window.
func (c *Conversation) receive(m *Message) {
	c.InboundCount++
	c.Status = Open
	if m.CreatedAt.After(c.LastInboundAt) {
		c.LastInboundAt = m.CreatedAt
	}
}

func (a *applier) newConversation(n *NewConversation) error {
	if n.Phone == "" {
		return missing("phoneNumber")
	}
	conv, err := a.conversation(n.Channel, n.Phone, n.ProfileName, "")
	if err != nil {
		return err
	}
	if n.FirstMessageID != "" {
		_, found, err := a.message(n.FirstMessageID)
		if err != nil {
			return err
		}
		// The message.inbound for the same message may come first or
		// later; whichever comes second fills in, never doubles.
		if !found {
			m := Message{
				ZavuID: n.FirstMessageID, Direction: Inbound, Type: TypeText,
				Text: n.FirstMessageText, Status: StatusReceived, Source: SourceCustomer,
				CreatedAt: a.at,
			}
			first := conv.LastMessageID == 0
			if err := a.insert(&conv, &m); err != nil {
				return err
			}
			conv.receive(&m)
			a.arrived = &arrival{message: m, first: first}
		}
	}
	return a.save(&conv)
}

func (a *applier) inbound(in *InboundMessage) error {
	switch {
	case in.MessageID == "":
		return missing("messageId")
	case in.From == "":
		return missing("from")
	}
	conv, err := a.conversation(in.Channel, in.From, in.ProfileName, in.To)
	if err != nil {
		return err
	}
	if conv.ZavuConversationID == "" && in.ZavuConversationID != "" {
		conv.ZavuConversationID = in.ZavuConversationID
	}
	at := in.At
	if at.IsZero() {
		at = a.at
	}
	typ := in.Type
	if typ == "" {
		typ = TypeText
	}
	m, found, err := a.message(in.MessageID)
	switch {
	case err != nil:
		return err
	case found && m.Direction != Inbound:
		return fmt.Errorf("message %s is already known as one we sent: %w", in.MessageID, ErrConflict)
	case found:
		// Announced by conversation.new, which knows only the text: take
		// the full message.
		m.Type, m.Text, m.Content, m.CreatedAt = typ, in.Text, in.Content, at
		if at.After(conv.LastInboundAt) {
			conv.LastInboundAt = at
		}
		if err := a.update(&conv, &m); err != nil {
			return err
		}
	default:
		m = Message{
			ZavuID: in.MessageID, Direction: Inbound, Type: typ, Text: in.Text, Content: in.Content,
			Status: StatusReceived, Source: SourceCustomer, CreatedAt: at,
		}
		first := conv.LastMessageID == 0
		if err := a.insert(&conv, &m); err != nil {
			return err
		}
		conv.receive(&m)
		a.arrived = &arrival{message: m, first: first}
	}
	if conv.Channel == SMS && typ == TypeText {
		if stop, start := OptKeyword(in.Text); stop || start {
			conv.setOptOut(stop, at)
		}
	}
	return a.save(&conv)
}

func (a *applier) reaction(r *ReactionChange) error {
	switch {
	case r.MessageID == "":
		return missing("messageId")
	case r.From == "":
		return missing("reaction.from")
	}
	at := r.At
	if at.IsZero() {
		at = a.at
	}
	prev, ok, err := a.tx.Reaction(a.ctx, r.MessageID, r.From)
	if err != nil {
		return err
	}
	if ok && prev.At.After(at) {
		return nil // a newer change by the same person is already here
	}
	emoji := r.Emoji
	if r.Action == ReactionRemoved {
		emoji = ""
	}
	if err := a.tx.PutReaction(a.ctx, Reaction{MessageZavuID: r.MessageID, From: r.From, Emoji: emoji, At: at}); err != nil {
		return err
	}
	// The message may not be here yet; the reaction attaches when it comes.
	m, found, err := a.message(r.MessageID)
	if err != nil || !found {
		return err
	}
	a.change.addMessage(m.ID)
	a.change.addConversation(m.ConversationID)
	return nil
}

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
	conv, err := a.conversation(ch, e.To, "", e.From)
	if err != nil {
		return err
	}
	typ := e.Type
	if typ == "" {
		typ = TypeText
	}
	m, found, err := a.message(e.MessageID)
	if err != nil {
		return err
	}
	if found && m.Direction != Outbound {
		return fmt.Errorf("message %s is already known as one the customer sent: %w", e.MessageID, ErrConflict)
	}
	// An echo was sent by the time Zavu reports it, whatever its status says.
	m.StatusTimes.Record(StatusSent, a.at)
	m.StatusTimes.Record(e.Status, a.at)
	if found {
		// A status report came first and left a placeholder: fill it in.
		m.Source, m.Type, m.Text, m.Content = SourcePhoneApp, typ, e.Text, e.Content
		if a.at.Before(m.CreatedAt) {
			m.CreatedAt = a.at // the echo tells when it was sent
		}
		m.Status, _ = AdvanceStatus(m.Status, StatusSent)
		m.Status, _ = AdvanceStatus(m.Status, e.Status)
		if err := a.update(&conv, &m); err != nil {
			return err
		}
		return a.save(&conv)
	}
	m = Message{
		ZavuID: e.MessageID, Direction: Outbound, Type: typ, Text: e.Text, Content: e.Content,
		Status: StatusSent, StatusTimes: m.StatusTimes, Source: SourcePhoneApp, CreatedAt: a.at,
	}
	m.Status, _ = AdvanceStatus(m.Status, e.Status)
	// Never reopens a resolved conversation and never counts as unread.
	if err := a.insert(&conv, &m); err != nil {
		return err
	}
	return a.save(&conv)
}

func (a *applier) status(s *StatusReport) error {
	if s.MessageID == "" {
		return missing("messageId")
	}
	m, found, err := a.message(s.MessageID)
	if err != nil {
		return err
	}
	if !found {
		return a.placeholder(s)
	}
	if m.Direction != Outbound {
		return nil // statuses describe what we sent; ignore one about an inbound message
	}
	if !a.advance(&m, s) {
		return nil
	}
	if m.Type == TypeUnknown && a.at.Before(m.CreatedAt) && s.To != "" {
		// A placeholder's time is its earliest report, whatever order the
		// reports came in.
		conv, err := a.conversation(s.Channel, s.To, "", "")
		if err != nil {
			return err
		}
		m.CreatedAt = a.at
		if err := a.update(&conv, &m); err != nil {
			return err
		}
		return a.save(&conv)
	}
	if m.Status == StatusFailed && OptedOutByCarrier(m.ErrorCode) {
		// The carrier says the customer opted out: the composer closes.
		if err := a.optOutByFailure(s); err != nil {
			return err
		}
	}
	// A status never changes what the conversation list shows but the
	// tick, so the conversation itself is not rewritten.
	m.UpdatedAt = a.at
	if err := a.tx.UpdateMessage(a.ctx, &m); err != nil {
		return err
	}
	a.change.addMessage(m.ID)
	a.change.addConversation(m.ConversationID)
	return nil
}

// optOutByFailure closes the conversation a 21610 failure was about. The
// report names the customer in "to"; without it, nothing can be said.
func (a *applier) optOutByFailure(s *StatusReport) error {
	if s.To == "" {
		return nil
	}
	conv, err := a.conversation(s.Channel, s.To, "", "")
	if err != nil {
		return err
	}
	if !conv.setOptOut(true, a.at) {
		return nil
	}
	return a.save(&conv)
}

// advance applies a status report to m and reports whether m changed.
func (a *applier) advance(m *Message, s *StatusReport) bool {
	before := m.StatusTimes
	m.StatusTimes.Record(s.Status, a.at)
	next, moved := AdvanceStatus(m.Status, s.Status)
	m.Status = next
	if moved && next == StatusFailed {
		m.ErrorCode, m.ErrorMessage = s.ErrorCode, s.ErrorMessage
	}
	return moved || m.StatusTimes != before
}

// placeholder keeps a status for a message we have not seen (sent by
// another system, or ours before Zavu's answer was stored) as an outbound
// message whose content is unknown. The message fills it in if it arrives.
func (a *applier) placeholder(s *StatusReport) error {
	if s.To == "" {
		return missing("to")
	}
	conv, err := a.conversation(s.Channel, s.To, "", "")
	if err != nil {
		return err
	}
	m := Message{
		ZavuID: s.MessageID, Direction: Outbound, Type: TypeUnknown,
		Status: StatusPending, Source: SourceAPI, CreatedAt: a.at,
	}
	a.advance(&m, s)
	if err := a.insert(&conv, &m); err != nil {
		return err
	}
	if m.Status == StatusFailed && OptedOutByCarrier(m.ErrorCode) {
		conv.setOptOut(true, a.at)
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
