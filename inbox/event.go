package inbox

import "time"

// EventType is a Zavu webhook event type.
type EventType string

const (
	EventConversationNew    EventType = "conversation.new"
	EventMessageInbound     EventType = "message.inbound"
	EventMessageUnsupported EventType = "message.unsupported"
	EventMessageReaction    EventType = "message.reaction"
	EventMessageQueued      EventType = "message.queued"
	EventMessageSent        EventType = "message.sent"
	EventMessageDelivered   EventType = "message.delivered"
	EventMessageRead        EventType = "message.read"
	EventMessageFailed      EventType = "message.failed"
	EventTemplateStatus     EventType = "template.status_changed"
	EventBroadcastStatus    EventType = "broadcast.status_changed"
	EventInvitationStatus   EventType = "invitation.status_changed"
)

// Event is one webhook delivery from Zavu, decoded. The envelope fields are
// always set; at most one payload field is, according to Type. An event of
// a type Switchboard does not know has no payload and is stored anyway.
type Event struct {
	ID        string
	Type      EventType
	Timestamp time.Time // when Zavu saw it
	SenderID  string    // empty on project-level events
	ProjectID string
	// Raw is the body exactly as received, kept so the event can be
	// replayed after an upgrade.
	Raw []byte

	// Replayed is set when the event is applied again from the webhook
	// log rather than delivered by Zavu. Replay changes the model only:
	// anything beyond it (an auto-reply to an old inbound message, say)
	// must not act on a replayed event.
	Replayed bool

	// SignedBy is the sender whose own webhook secret (one set on the
	// Senders page) alone signed the delivery; empty when one of the
	// project's secrets did. Such an event may touch only that sender's
	// messages and conversations (see CheckSignedBySender), which is
	// checked again when it is applied: the message it names may have
	// been stored meanwhile.
	SignedBy string

	// DecodeErr is set when the envelope was sound but the payload was
	// not (a missing field, a wrong type). The event is stored with it
	// and shown in the webhook log.
	DecodeErr error
	// PayloadLater is set when only the envelope was decoded, as for a
	// webhook's acknowledgement, which needs no more: whoever applies
	// the event decodes Raw again for its payload.
	PayloadLater bool

	NewConversation *NewConversation
	Inbound         *InboundMessage // message.inbound and message.unsupported
	Reaction        *ReactionChange // message.reaction, or message.inbound of type reaction
	Status          *StatusReport   // message.queued/sent/delivered/read/failed
	Echo            *Echo           // message.sent from the WhatsApp Business phone app
	Template        *TemplateChange
	Activity        *Activity // broadcast and invitation status changes
}

// NewConversation is the first message of a new contact, as announced by
// conversation.new. A message.inbound for the same message comes too, in
// either order.
type NewConversation struct {
	Phone            string
	Channel          Channel
	FirstMessageID   string
	FirstMessageText string
	ProfileName      string
}

// InboundMessage is a message a customer sent.
type InboundMessage struct {
	MessageID          string
	From               string // the customer
	To                 string // our sender's number
	Channel            Channel
	Type               MessageType
	Text               string
	Content            *Content
	ProfileName        string
	ZavuConversationID string
	// At is the message's own timestamp when the payload has one;
	// otherwise the event's.
	At time.Time
}

// ReactionAction is what happened to a reaction.
type ReactionAction string

const (
	ReactionAdded   ReactionAction = "added"
	ReactionRemoved ReactionAction = "removed"
)

// ReactionChange is a customer adding or removing an emoji on a message.
type ReactionChange struct {
	MessageID         string // the Zavu id of the message reacted to
	ProviderMessageID string
	From              string
	Emoji             string
	Action            ReactionAction
	At                time.Time
}

// StatusReport is a delivery status for a message the business sent.
type StatusReport struct {
	MessageID    string
	To           string
	Channel      Channel
	Status       Status
	ErrorCode    string
	ErrorMessage string
}

// Echo is a message someone typed in the WhatsApp Business phone app. It is
// a new outbound message, not a status update.
type Echo struct {
	MessageID string
	From      string // our number
	To        string // the customer
	Channel   Channel
	Type      MessageType
	Text      string
	Content   *Content
	Status    Status
}

// TemplateChange is a template's approval state moving.
type TemplateChange struct {
	TemplateID      string
	Name            string
	Language        string
	PreviousStatus  string
	Status          string
	RejectionReason string
}

// MessageID is the Zavu id of the message ev brings, reports on or reacts
// to; empty when it names none (a template, a broadcast, a payload that
// did not decode).
func (ev *Event) MessageID() string {
	switch {
	case ev.NewConversation != nil:
		return ev.NewConversation.FirstMessageID
	case ev.Inbound != nil:
		return ev.Inbound.MessageID
	case ev.Reaction != nil:
		return ev.Reaction.MessageID
	case ev.Echo != nil:
		return ev.Echo.MessageID
	case ev.Status != nil:
		return ev.Status.MessageID
	}
	return ""
}
