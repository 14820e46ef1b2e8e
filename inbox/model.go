package inbox

import (
	"strconv"
	"strings"
	"time"
)

// Channel is the network a conversation runs on.
type Channel string

const (
	WhatsApp Channel = "whatsapp"
	SMS      Channel = "sms"
)

// Label is the channel's name as agents read it.
func (c Channel) Label() string {
	switch c {
	case WhatsApp:
		return "WhatsApp"
	case SMS:
		return "SMS"
	case "":
		return "Unknown"
	}
	return strings.ToUpper(string(c[:1])) + string(c[1:])
}

// Direction says who wrote a message.
type Direction string

const (
	Inbound  Direction = "inbound"  // the customer wrote it
	Outbound Direction = "outbound" // the business wrote it
)

// Source says where a message came from.
type Source string

const (
	SourceCustomer  Source = "customer"   // an inbound message
	SourceAgent     Source = "agent"      // typed by an agent in Switchboard
	SourceAutoReply Source = "auto_reply" // sent by an auto-reply rule
	SourcePhoneApp  Source = "phone_app"  // an echo from the WhatsApp Business phone app
	SourceAPI       Source = "api"        // sent through the API, or by another system
	// SourceCSATAnswer is a customer's message that answered a satisfaction
	// survey (inbox/csat.go): recorded as a score, never a new request.
	SourceCSATAnswer Source = "csat_answer"
)

// MessageType is the kind of content a message carries.
type MessageType string

const (
	TypeText        MessageType = "text"
	TypeImage       MessageType = "image"
	TypeVideo       MessageType = "video"
	TypeAudio       MessageType = "audio"
	TypeDocument    MessageType = "document"
	TypeSticker     MessageType = "sticker"
	TypeLocation    MessageType = "location"
	TypeContact     MessageType = "contact"
	TypeTemplate    MessageType = "template"
	TypeReaction    MessageType = "reaction"
	TypeButtons     MessageType = "buttons"     // text with up to 3 reply buttons (WhatsApp, inside the window)
	TypeUnsupported MessageType = "unsupported" // something WhatsApp cannot show (poll, deleted, ephemeral...)
	TypeUnknown     MessageType = "unknown"     // a placeholder: we know the message exists, not what it says
)

// IsMedia reports whether the type carries a media file.
func (t MessageType) IsMedia() bool {
	switch t {
	case TypeImage, TypeVideo, TypeAudio, TypeDocument, TypeSticker:
		return true
	}
	return false
}

// Contact is a customer, identified by the address Zavu gives: an E.164
// phone number, or an opaque business-scoped id on WhatsApp.
type Contact struct {
	ID    int64  `json:"id"`
	Phone string `json:"phone"`
	Name  string `json:"name"`
	// NameAt is the time of the event the name came from.
	NameAt    time.Time `json:"-"`
	CreatedAt time.Time `json:"-"`
	UpdatedAt time.Time `json:"-"`
}

// DisplayName is the name if known, else the phone number.
func (c Contact) DisplayName() string {
	if c.Name != "" {
		return c.Name
	}
	return c.Phone
}

// ConversationStatus is open, resolved or snoozed.
type ConversationStatus string

const (
	Open     ConversationStatus = "open"
	Resolved ConversationStatus = "resolved"
)

// ConversationKey identifies a conversation: one contact on one sender and
// one channel.
type ConversationKey struct {
	SenderID  string
	Channel   Channel
	ContactID int64
}

// Conversation is a thread with one contact.
type Conversation struct {
	ID                 int64
	SenderID           string
	Channel            Channel
	Contact            Contact
	Status             ConversationStatus
	AssigneeID         *int64
	ZavuConversationID string
	// InboundCount counts inbound messages ever; unread counts derive
	// from it and the readers' marks.
	InboundCount  int64
	UnreadCount   int64
	LastMessageAt time.Time
	// LastMessageID is the message shown as the preview: the latest by
	// message time.
	LastMessageID      int64
	LastMessagePreview string
	// LastSource is who wrote the preview's message (the customer, an
	// agent, an auto-reply, the phone app, the API), empty with no
	// message and when no one knows (a message sent outside Switchboard,
	// known only from its delivery reports); LastAuthorID is the agent's
	// id when an agent wrote it.
	LastSource   Source
	LastAuthorID int64
	// LastInboundAt is the time of the customer's latest message; zero
	// when the customer never wrote.
	LastInboundAt time.Time
	// OptedOut is set when the customer texted STOP (or a send failed with
	// 21610) and cleared when they text START; OptChangedAt is the time of
	// the message that last changed it, so that the latest wins whatever
	// order the webhooks come in.
	OptedOut     bool
	OptChangedAt time.Time
	// Labels are the conversation's labels, by name. Only Name and Colour
	// are set.
	Labels []Label
	// SnoozedUntil is when a snoozed conversation comes back by itself;
	// zero when it waits for the customer, or is not snoozed.
	SnoozedUntil time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// WindowClosesAt is when the WhatsApp 24-hour customer-service window
// closes, or the zero time when no window applies (SMS) or none was ever
// opened (the customer never wrote).
func (c Conversation) WindowClosesAt() time.Time {
	return WindowClosesAt(c.Channel, c.LastInboundAt)
}

// SameAssignee reports whether two assignees are the same person. nil and
// a pointer to 0 both mean nobody, as a screen or a form sends it, so
// either matches the other.
func SameAssignee(a, b *int64) bool {
	if a == nil || *a == 0 {
		return b == nil || *b == 0
	}
	return b != nil && *a == *b
}

// Message is one message in a thread, in either direction.
type Message struct {
	ID             int64
	ZavuID         string
	ConversationID int64
	Direction      Direction
	Channel        Channel
	Type           MessageType
	Text           string
	Content        *Content
	Status         Status
	StatusTimes    StatusTimes
	ErrorCode      string
	ErrorMessage   string
	Source         Source
	AuthorID       *int64
	// AutoReplyRule names the auto-reply rule that sent the message (Source
	// auto_reply), as the thread shows it: "Auto-reply: Out of office".
	AutoReplyRule string
	Reactions     []Reaction
	// CreatedAt is the message's time: when Zavu first saw it, from the
	// earliest of its own events (message.inbound, an echo) however often
	// and in whatever order they come.
	CreatedAt time.Time
	UpdatedAt time.Time
	// Provisional is set while the message is known only from events about
	// it, not from its own: the first message of a new contact as
	// conversation.new announced it, or an outbound placeholder left by
	// status reports. Its time is then the earliest of those events; its
	// own event, when it comes, replaces its content and its time.
	Provisional bool
	// SignedBy, on an outbound placeholder, is the sender whose own
	// webhook secret alone signed a report it holds (Event.SignedBy);
	// empty when the project's secrets signed them all. A message of
	// another sender's that takes its Zavu id takes none of its statuses:
	// the placeholder goes (see RecordSent).
	SignedBy string
	// Rev counts the changes to the message since it was stored (its
	// reactions apart): of two copies, the one with the higher Rev is the
	// newer. The store keeps it; a page never shows a bubble older than
	// the one it has.
	Rev int64
	// Waiting is set on a pending reply whose last attempt failed and
	// that the outbox will send again, or that a pause of every send
	// holds since it was queued: why, and when. nil otherwise.
	Waiting *SendWait
}

// StatusTimes records when each delivery status was first reported.
type StatusTimes struct {
	Queued    time.Time `json:"queuedAt,omitzero"`
	Sending   time.Time `json:"sendingAt,omitzero"`
	Sent      time.Time `json:"sentAt,omitzero"`
	Delivered time.Time `json:"deliveredAt,omitzero"`
	Read      time.Time `json:"readAt,omitzero"`
	Failed    time.Time `json:"failedAt,omitzero"`
}

// Content holds everything beyond the text. Only the fields of the
// message's type are set.
type Content struct {
	// Media: image, video, audio, document, sticker.
	MediaID  string `json:"mediaId,omitempty"`
	MediaURL string `json:"mediaUrl,omitempty"`
	MimeType string `json:"mimeType,omitempty"`
	Filename string `json:"filename,omitempty"`
	// Location.
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
	Name      string   `json:"name,omitempty"`
	Address   string   `json:"address,omitempty"`
	// Contact cards.
	Contacts []ContactCard `json:"contacts,omitempty"`
	// A button or list reply to an interactive message we sent.
	InteractiveReply *InteractiveReply `json:"interactiveReply,omitempty"`
	// Reply buttons we send (type buttons): at most 3.
	Buttons []Button `json:"buttons,omitempty"`
	// Templates.
	TemplateID        string            `json:"templateId,omitempty"`
	TemplateVariables map[string]string `json:"templateVariables,omitempty"`
	// An activity line (an internal message of type activity).
	Activity *ActivityContent `json:"activity,omitempty"`
}

// IsZero reports whether the content carries nothing.
func (c *Content) IsZero() bool {
	return c == nil || (c.MediaID == "" && c.MediaURL == "" && c.MimeType == "" && c.Filename == "" &&
		c.Latitude == nil && c.Longitude == nil && c.Name == "" && c.Address == "" &&
		len(c.Contacts) == 0 && c.InteractiveReply == nil && len(c.Buttons) == 0 && c.TemplateID == "" && len(c.TemplateVariables) == 0 &&
		c.Activity == nil)
}

// ContactCard is a contact shared by the customer.
type ContactCard struct {
	Name   string         `json:"name,omitempty"`
	Phones []ContactPhone `json:"phones,omitempty"`
	Emails []ContactEmail `json:"emails,omitempty"`
}

// ContactPhone is one phone number on a contact card.
type ContactPhone struct {
	Phone string `json:"phone"`
	Type  string `json:"type,omitempty"`
}

// ContactEmail is one e-mail address on a contact card.
type ContactEmail struct {
	Email string `json:"email"`
	Type  string `json:"type,omitempty"`
}

// Button is one reply button of a buttons message: its id comes back in
// the customer's InteractiveReply.
type Button struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// InteractiveReply is the customer's choice on buttons or a list we sent.
type InteractiveReply struct {
	Type  string `json:"type"` // button_reply or list_reply
	ID    string `json:"id"`
	Title string `json:"title"`
}

// BusinessReactor is the From of the team's reaction: the one emoji the
// business puts on a customer's message, whoever of the team chose it, as
// WhatsApp shows it to the customer. Every other From is a customer's
// phone, whichever message they reacted to.
const BusinessReactor = "business"

// Reaction is one person's emoji on one message. A message has at most one
// reaction per person; a new one replaces the old.
type Reaction struct {
	// MessageZavuID is the Zavu id of the message reacted to. Reactions are
	// keyed by it so that one can arrive before its message.
	MessageZavuID string    `json:"-"`
	From          string    `json:"from"`
	Emoji         string    `json:"emoji"`
	At            time.Time `json:"-"` // the reaction's own time
	// EventAt is the time of the event that said so: of two changes at
	// the same At, the later event's stands.
	EventAt time.Time `json:"-"`
	// SignedBy is the sender whose own webhook secret alone signed the
	// change (Event.SignedBy); empty when one of the project's did. Such a
	// reaction shows only on a message of that sender's: one that came
	// before its message, naming another sender's, is kept apart.
	SignedBy string `json:"-"`
}

// Supersedes reports whether r replaces prev, the same person's reaction
// on the same message: the later reaction wins, then the later event; for
// two events at the same instant a removal wins, then the greater emoji,
// so that the order they arrive in never matters.
func (r Reaction) Supersedes(prev Reaction) bool {
	if c := r.At.Compare(prev.At); c != 0 {
		return c > 0
	}
	if c := r.EventAt.Compare(prev.EventAt); c != 0 {
		return c > 0
	}
	if (r.Emoji == "") != (prev.Emoji == "") {
		return r.Emoji == ""
	}
	return r.Emoji > prev.Emoji
}

// Template is a WhatsApp message template and its approval state.
type Template struct {
	ID              string
	Name            string
	Language        string
	Status          string // draft, pending, approved, rejected, disabled
	Category        string // UTILITY, MARKETING, AUTHENTICATION; empty when not known
	RejectionReason string
	// Body is the text with {{1}}, {{2}}... where variables go; known once
	// the templates are synced from Zavu.
	Body      string
	UpdatedAt time.Time
}

// Variables counts the template's distinct {{n}} placeholders.
func (t Template) Variables() int {
	n := 0
	for i := 1; i < 100; i++ {
		if !strings.Contains(t.Body, "{{"+strconv.Itoa(i)+"}}") {
			break
		}
		n = i
	}
	return n
}

// Approved reports whether Meta approved the template: only then may it
// be sent.
func (t Template) Approved() bool { return t.Status == "approved" }

// Fill puts the values in the template's body, as the customer gets it:
// each in its own placeholder, in one pass, so that a value that reads
// like a placeholder stays as it is.
func (t Template) Fill(values map[string]string) string {
	pairs := make([]string, 0, 2*len(values))
	for k, v := range values {
		pairs = append(pairs, "{{"+k+"}}", v)
	}
	return strings.NewReplacer(pairs...).Replace(t.Body)
}

// Activity is a project-level happening shown in the admin activity feed:
// a broadcast or partner invitation changing status.
type Activity struct {
	ID             int64
	EventID        string
	Kind           string // the event type
	SubjectID      string // broadcast or invitation id
	Name           string
	Status         string
	PreviousStatus string
	Detail         string
	At             time.Time
}

// Sender is one of the business's numbers on Zavu.
type Sender struct {
	ID        string
	Phone     string
	Name      string
	IsDefault bool // the project's default sender, per Zavu
	// Webhook is the webhook Zavu has for this sender as of the last
	// sync; nil when it has none.
	Webhook *SenderWebhook
	// SyncedAt is when Zavu last listed the sender; zero for a sender
	// known only from webhooks.
	SyncedAt time.Time
	// Secret is what is known of the webhook secret an admin entered for
	// this sender. The secret itself is never read back, only used to
	// check signatures.
	Secret SecretState
}

// SenderWebhook is where Zavu sends a sender's events, and which ones.
type SenderWebhook struct {
	URL    string
	Events []string
	Active bool
}

// SecretState tells whether a per-sender webhook secret is set, without
// giving it away.
type SecretState struct {
	Set   bool
	Hint  string // its last characters
	SetAt time.Time
	// The secret it replaced, still accepted until PreviousUntil (zero
	// when there is none, or it is no longer accepted).
	PreviousHint  string
	PreviousUntil time.Time
}

// Role is what a user may do.
type Role string

const (
	RoleAdmin Role = "admin"
	RoleAgent Role = "agent"
)

// User is an agent or admin who logs in to Switchboard.
type User struct {
	ID           int64
	Email        string
	Name         string
	Role         Role
	PasswordHash string
	Active       bool
	CreatedAt    time.Time
}

// APIToken grants a script access to the JSON API. Only a hash of the
// secret is stored.
type APIToken struct {
	ID         int64
	Name       string
	Hash       string
	Scope      TokenScope // empty means ScopeWrite, the default
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used; recorded at most once a minute
	// CreatedBy is the admin who created the token on the admin pages; nil
	// for one made with "switchboard token create".
	CreatedBy     *int64
	CreatedByName string    // filled in when read
	RevokedAt     time.Time // zero while the token works
}

// Revoked reports whether the token was revoked: it is refused from then on.
func (t APIToken) Revoked() bool { return !t.RevokedAt.IsZero() }

// AuditEntry is one change an admin made.
type AuditEntry struct {
	ID       int64
	At       time.Time
	UserID   *int64
	UserName string // filled in when read
	Action   string // "settings.update", "user.deactivate"...
	Detail   string
}
