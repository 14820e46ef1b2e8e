package inbox

import (
	"context"
	"time"
)

// Tx is what the rules need from storage inside one write transaction.
// Everything done through one Tx commits or rolls back together with the
// stored event that caused it.
type Tx interface {
	// UpsertSender records one of our numbers. An empty phone keeps the
	// known one.
	UpsertSender(ctx context.Context, id, phone string) error
	// UpsertContact returns the contact with this address, creating it if
	// needed. A non-empty name replaces the stored one unless that came
	// from a newer event than at; at the same time, the greater name wins,
	// so the result never depends on the order events arrive in.
	UpsertContact(ctx context.Context, phone, name string, at time.Time) (Contact, error)
	// EnsureConversation returns the conversation for key, creating an open
	// one at time at if there is none. Contact is filled in.
	EnsureConversation(ctx context.Context, key ConversationKey, at time.Time) (Conversation, error)
	// ConversationByID returns the conversation with its contact, or
	// ErrNotFound.
	ConversationByID(ctx context.Context, id int64) (Conversation, error)
	// SaveConversation writes the conversation's mutable fields.
	SaveConversation(ctx context.Context, c *Conversation) error
	// SummarizeMessages reads what a conversation's messages say about it,
	// as they are in this transaction.
	SummarizeMessages(ctx context.Context, conversationID int64) (MessageSummary, error)

	// MessageByZavuID returns ErrNotFound when there is no such message.
	MessageByZavuID(ctx context.Context, zavuID string) (Message, error)
	// MessageByRetiredZavuID returns the message that had this Zavu id
	// before an agent's Retry sent it again under a new one (see
	// RetryReply), or ErrNotFound.
	MessageByRetiredZavuID(ctx context.Context, zavuID string) (Message, error)
	// InsertMessage stores a new message and sets its ID.
	InsertMessage(ctx context.Context, m *Message) error
	// UpdateMessage writes every field of an existing message but its ID.
	UpdateMessage(ctx context.Context, m *Message) error
	// DeleteMessage removes a message: a placeholder merged into ours, or
	// one another sender's message took the Zavu id of.
	DeleteMessage(ctx context.Context, id int64) error
	// DeleteEmptyConversation removes the conversation when it holds no
	// message at all, with its reads, labels and report rows, and reports
	// whether it did: one a placeholder made and lost again.
	DeleteEmptyConversation(ctx context.Context, id int64) (bool, error)

	// Reaction returns the latest reaction of one person on one message,
	// including a removal (empty Emoji); ok is false if there is none.
	Reaction(ctx context.Context, messageZavuID, from string) (r Reaction, ok bool, err error)
	// PutReaction stores a reaction; an empty Emoji records its removal.
	PutReaction(ctx context.Context, r Reaction) error

	// Template returns ErrNotFound when there is no such template.
	Template(ctx context.Context, id string) (Template, error)
	PutTemplate(ctx context.Context, t Template) error

	AddActivity(ctx context.Context, a Activity) error
}

// MessageSummary is what the messages of a conversation say about it. The
// conversation's latest activity, preview, unread count and WhatsApp window
// are derived from it, never nudged, so they do not depend on the order
// messages arrived in.
type MessageSummary struct {
	// Latest is the latest message by time; of messages at the same
	// instant, the one with the greatest Zavu id, then the last stored.
	// Its ID is 0 when the conversation has no message.
	Latest Message
	// LastInboundAt is the time of the customer's latest message; zero
	// when the customer never wrote.
	LastInboundAt time.Time
	// InboundCount counts the customer's messages.
	InboundCount int64
}

// ApplyFunc applies one event through tx. Apply is the one Switchboard uses.
type ApplyFunc func(ctx context.Context, tx Tx, ev *Event) (Change, error)

// Change says what an applied event touched, for the live screens.
type Change struct {
	ConversationIDs   []int64
	MessageIDs        []int64
	DeletedMessageIDs []int64 // placeholders merged into the message they stood for
	// Queued is set when a reply went into the outbox (an auto-reply), so
	// that the outbox sends it now.
	Queued bool
}

// Empty reports whether nothing changed.
func (c Change) Empty() bool {
	return len(c.ConversationIDs) == 0 && len(c.MessageIDs) == 0 && len(c.DeletedMessageIDs) == 0
}

func (c *Change) addConversation(id int64) {
	for _, x := range c.ConversationIDs {
		if x == id {
			return
		}
	}
	c.ConversationIDs = append(c.ConversationIDs, id)
}

func (c *Change) addMessage(id int64) {
	for _, x := range c.MessageIDs {
		if x == id {
			return
		}
	}
	c.MessageIDs = append(c.MessageIDs, id)
}

// EventState is what became of a stored webhook event.
type EventState string

const (
	EventPending EventState = "pending" // stored and acknowledged; applied a moment later
	EventApplied EventState = "applied" // turned into the conversation model
	EventFailed  EventState = "failed"  // stored, but could not be applied; can be replayed
)

// Projection is how stored webhook events become the conversation model.
type Projection struct {
	// Decode turns a stored raw body back into its event, for events
	// stored before a restart and those appended with their envelope only
	// (Event.PayloadLater).
	Decode func(raw []byte) (*Event, error)
	// Apply applies one event in the transaction that marks it applied.
	// It always gets the whole event: the store decodes what was appended
	// with its envelope only, and marks failed an event whose body no
	// longer decodes, without calling Apply.
	Apply ApplyFunc
	// Applied hears of each event after the commit that applied it (or
	// marked it failed). It must not block.
	Applied func(ev *Event, res IngestResult)
}

// IngestResult says what Ingest did with an event.
type IngestResult struct {
	Duplicate bool       // the event id was stored before; nothing was done
	State     EventState // for a new event
	Error     string     // why it could not be applied, when State is failed
	Change    Change
}

// StoredEvent is a webhook event as kept in the webhook log.
type StoredEvent struct {
	ID         string
	Type       EventType
	Timestamp  time.Time
	ReceivedAt time.Time
	SenderID   string
	State      EventState
	Error      string
	Attempts   int
	Raw        []byte
	// FailedVersion is the Switchboard version that last failed to apply
	// it; empty when unknown (it failed before versions were recorded).
	FailedVersion string
	// SignedBy is the sender whose own webhook secret alone signed it;
	// empty when one of the project's did (see Event.SignedBy).
	SignedBy string
}

// ConversationFilter selects a page of conversations, newest activity first.
type ConversationFilter struct {
	Status     ConversationStatus // empty for all
	AssigneeID *int64             // nil for any; pointer to 0 for unassigned
	SenderID   string
	Channel    Channel
	// Label, when set, keeps the conversations with the label of this
	// name (case insensitive).
	Label string
	// ViewerID, when set, counts unread messages for that user: inbound
	// messages since the user last opened the conversation. Without it,
	// unread counts run from the furthest any user has read.
	ViewerID int64
	Limit    int
	Cursor   string
	// Steady pages through the list as it was when its first page was
	// read: a conversation whose activity moves it up between two pages
	// is shown once, where it was then, and conversations started since
	// are left for a new listing. A script paging through them all sees
	// each exactly once. Without it (the inbox page, which moves rows
	// live), each page starts below the last row shown.
	Steady bool
}

// MessageFilter selects a page of a thread: the Limit messages before the
// cursor (or the latest), returned oldest first.
type MessageFilter struct {
	Limit  int
	Before string
}

// EventFilter selects a page of the webhook log, newest first.
type EventFilter struct {
	State  EventState // empty for all
	Limit  int
	Cursor string
}

// Store is Switchboard's storage.
type Store interface {
	// Ingest stores ev keyed by its id and, unless that id was stored
	// before, applies it with apply in the same transaction. It returns
	// after the commit: a nil error means the event is durable. An event
	// that apply rejects is still stored, in state failed, with the error.
	Ingest(ctx context.Context, ev *Event, apply ApplyFunc) (IngestResult, error)
	// Append stores ev keyed by its id, as pending, and returns after the
	// commit: a nil error means the event is durable. The projection set
	// with Project applies it right after, in a later transaction; a
	// crash in between loses nothing, as pending events are applied at the
	// next start. duplicate is true when the id was stored before.
	Append(ctx context.Context, ev *Event) (duplicate bool, err error)
	// Project starts applying the events Append stores, the pending ones
	// of an earlier run first.
	Project(p Projection)

	Conversations(ctx context.Context, f ConversationFilter) (items []Conversation, next string, err error)
	Conversation(ctx context.Context, id int64) (Conversation, error)
	Messages(ctx context.Context, conversationID int64, f MessageFilter) (items []Message, next string, err error)
	Message(ctx context.Context, id int64) (Message, error)
	MessageByZavuID(ctx context.Context, zavuID string) (Message, error)
	// MessageSender returns the sender whose conversation holds the
	// message with this Zavu id, or an error wrapping ErrNotFound.
	MessageSender(ctx context.Context, zavuID string) (string, error)
	// ConversationsByID and MessagesByID return those of ids that exist,
	// each once and as Conversation and Message return it, in no
	// particular order: many in a few statements.
	ConversationsByID(ctx context.Context, ids []int64) ([]Conversation, error)
	MessagesByID(ctx context.Context, ids []int64) ([]Message, error)
	Events(ctx context.Context, f EventFilter) (items []StoredEvent, next string, err error)
	Searcher
	Contacts
	// Templates lists every known WhatsApp template, by name.
	Templates(ctx context.Context) ([]Template, error)
	// Senders lists the business's numbers seen so far or synced from
	// Zavu, the default first.
	Senders(ctx context.Context) ([]Sender, error)
	// Sender returns one sender, or an error wrapping ErrNotFound.
	Sender(ctx context.Context, id string) (Sender, error)
	// SetSenderSecret stores a webhook secret for a sender (checked with
	// CheckWebhookSecret), replacing any before. Webhooks signed with it
	// are accepted from then on, and those signed with the one it
	// replaced until PreviousSecretGrace after at. No read path gives it
	// back but the webhook check. An unknown sender is an error wrapping
	// ErrNotFound.
	SetSenderSecret(ctx context.Context, senderID, secret string, at time.Time) error
	// RemoveSenderSecret forgets a sender's webhook secret, and the one it
	// replaced; an unknown sender or one with no secret is an error
	// wrapping ErrNotFound.
	RemoveSenderSecret(ctx context.Context, senderID string) error
	// RemovePreviousSenderSecret stops accepting, at once, the secret a
	// sender's secret replaced; an unknown sender or one with no secret is
	// an error wrapping ErrNotFound.
	RemovePreviousSenderSecret(ctx context.Context, senderID string) error

	// ConversationFor is Conversation with the unread count of one user.
	ConversationFor(ctx context.Context, id, viewerID int64) (Conversation, error)
	// MarkRead records that a user has seen every inbound message of the
	// conversation so far.
	MarkRead(ctx context.Context, conversationID, userID int64, at time.Time) error
	// Assign sets the conversation's assignee (nil to unassign) and
	// returns the conversation as it is now. An assignee who is not an
	// active user is an error wrapping ErrInvalid.
	Assign(ctx context.Context, conversationID int64, assigneeID *int64, at time.Time) (Conversation, error)
	// AssignFrom is Assign made from a screen that showed the assignee
	// from (nil: nobody): when the conversation has another assignee by
	// then, nothing changes and the error is an *AssignedMeanwhile.
	AssignFrom(ctx context.Context, conversationID int64, from, assigneeID *int64, at time.Time) (Conversation, error)
	// SetStatus resolves or reopens a conversation and returns it as it is
	// now.
	SetStatus(ctx context.Context, conversationID int64, status ConversationStatus, at time.Time) (Conversation, error)

	// QueueReply writes a reply and its outbox entry in one transaction
	// (see the QueueReply rule).
	QueueReply(ctx context.Context, r Reply) (Message, Change, error)
	// QueueRequestedReply is QueueReply for a reply asked for with an
	// idempotency key (see RequestKey): when the token sent the key with
	// the same request within RequestKeyLife before r.At, nothing is
	// written and the message that request made is returned, replayed;
	// with another request the error wraps ErrKeyReused.
	QueueRequestedReply(ctx context.Context, r Reply, k RequestKey) (m Message, ch Change, replayed bool, err error)
	// RetryReply queues a failed reply again with a fresh key (see the
	// RetryReply rule).
	RetryReply(ctx context.Context, messageID int64, key string, at time.Time) (Message, Change, error)
	OutboxStore
	NoteStore
	NoteEditStore
	// StartConversation returns the conversation with this customer on this
	// sender and channel, creating the contact and an open conversation if
	// needed.
	StartConversation(ctx context.Context, senderID string, ch Channel, phone string, at time.Time) (Conversation, error)
	// RawEvent returns one stored webhook event with its body.
	RawEvent(ctx context.Context, id string) (StoredEvent, error)
	// Replay applies a stored event that failed again (after an upgrade,
	// say); ev is decoded again from its raw body and is marked Replayed.
	// An event that is applied already is refused with an error wrapping
	// ErrConflict, and one not stored with ErrNotFound.
	Replay(ctx context.Context, ev *Event, apply ApplyFunc) (IngestResult, error)
	// EventCounts counts the webhook log: events received since since,
	// those of them that failed, and failed events of any age.
	EventCounts(ctx context.Context, since time.Time) (EventCounts, error)
	// Activities is the latest of the activity feed, newest first.
	Activities(ctx context.Context, limit int) ([]Activity, error)
	AddAudit(ctx context.Context, e AuditEntry) error
	// Audit is the latest of the audit log, newest first.
	Audit(ctx context.Context, limit int) ([]AuditEntry, error)
	// SetRole changes a user's role, and nothing else: whether they may
	// sign in stays as it is now, whatever it was when they were read.
	// Refused with ErrLastAdmin, nothing changed, when it would leave no
	// active admin.
	SetRole(ctx context.Context, id int64, role Role) error
	// ReactivateUser lets a deactivated user sign in again, in the role
	// they have now.
	ReactivateUser(ctx context.Context, id int64) error
	// DeactivateUser stops a user signing in and, in the same
	// transaction, returns their conversations that are not resolved
	// (open or snoozed; a snooze stays) to Unassigned, each with an
	// ActivityUnassigned line (Detail UnassignedDeactivated, TargetID the
	// user, by the admin who did it) in its thread. Resolved ones keep
	// their assignee, for the record. The Change names those conversations
	// and lines, to publish. Refused with ErrLastAdmin, nothing changed,
	// when it would leave no active admin. Reactivating (ReactivateUser)
	// gives nothing back.
	DeactivateUser(ctx context.Context, id, by int64, at time.Time) (Change, error)
	SetPassword(ctx context.Context, id int64, hash string) error
	// Setting returns an admin setting; ok is false when never set.
	Setting(ctx context.Context, key string) (value string, ok bool, err error)
	SetSetting(ctx context.Context, key, value string, at time.Time) error
	ReportStore
	TeamStore
	ViewCounter
	NotifyStore
	// ReactAsBusiness records the team's emoji on a message; an empty
	// emoji removes it.
	ReactAsBusiness(ctx context.Context, messageID int64, emoji string, at time.Time) (Change, error)

	// AutoReplyConfig returns the auto-reply settings; the zero config
	// (every rule off) when never saved.
	AutoReplyConfig(ctx context.Context) (AutoReplyConfig, error)
	// UpdateAutoReplies applies change to the settings in one write
	// transaction, then normalizes and validates them (an
	// InvalidAutoReplies error, and nothing written, when they are not
	// valid), and returns them as saved. Ingestion reads them in its own
	// transactions, so a save is in force for the next message.
	UpdateAutoReplies(ctx context.Context, at time.Time, change func(*AutoReplyConfig) error) (AutoReplyConfig, error)
	// AutoReplyLog is the latest of the auto-replies that could not go,
	// newest first.
	AutoReplyLog(ctx context.Context, limit int) ([]AutoReplyLogEntry, error)

	// SavedReplies lists the team's saved replies, by shortcut.
	SavedReplies(ctx context.Context) ([]SavedReply, error)
	// SavedReply returns one saved reply, or an error wrapping ErrNotFound.
	SavedReply(ctx context.Context, id int64) (SavedReply, error)
	// CreateSavedReply normalizes and validates r (an *InvalidSavedReply
	// error when it is not valid), stores it and sets its ID and times. A
	// shortcut another reply has is an error from ShortcutTaken, which
	// wraps ErrConflict.
	CreateSavedReply(ctx context.Context, r *SavedReply) error
	// UpdateSavedReply writes r's shortcut, title and body over the stored
	// reply with r's ID, as CreateSavedReply checks them, and sets
	// r.UpdatedAt. An unknown ID is an error wrapping ErrNotFound.
	UpdateSavedReply(ctx context.Context, r *SavedReply) error
	// DeleteSavedReply removes a saved reply and returns it as it was. An
	// unknown ID is an error wrapping ErrNotFound.
	DeleteSavedReply(ctx context.Context, id int64) (SavedReply, error)

	CreateUser(ctx context.Context, u *User) error
	// CreateFirstAdmin creates u as an admin only while no user exists;
	// otherwise it fails with an error wrapping ErrConflict.
	CreateFirstAdmin(ctx context.Context, u *User) error
	// CountUsers counts users, active or not.
	CountUsers(ctx context.Context) (int, error)
	// SetupCode returns the code that opens the first-run setup while no
	// user exists, keeping fresh as that code when none is kept yet; open
	// is false once a user exists.
	SetupCode(ctx context.Context, fresh string) (code string, open bool, err error)
	User(ctx context.Context, id int64) (User, error)
	// Users lists every user, active ones first, then by name.
	Users(ctx context.Context) ([]User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	// CreateAPIToken stores a token's hash, name, scope and creator and
	// sets its ID; an empty scope is stored as ScopeWrite.
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// APITokenByHash returns ErrNotFound for an unknown or revoked token.
	// It reads the stored token on every call, so a revocation holds from
	// the next request on.
	APITokenByHash(ctx context.Context, hash string) (APIToken, error)
	// TouchAPIToken records when a token was last used.
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
	// APITokens lists every token, revoked ones too, newest first, with
	// the names of the admins who created them.
	APITokens(ctx context.Context) ([]APIToken, error)
	// RevokeAPIToken makes a token unusable from at on and returns it as
	// revoked. An unknown id is an error wrapping ErrNotFound; a token
	// revoked already is ErrRevoked, and keeps its first revocation time.
	RevokeAPIToken(ctx context.Context, id int64, at time.Time) (APIToken, error)

	// Ping reports whether the database takes writes; its error wraps
	// ErrDiskFull or ErrWritesFailing when it knows why not.
	Ping(ctx context.Context) error
	Close() error
}

// Publisher tells live screens what changed. It must never block.
type Publisher interface {
	Publish(c Change)
}

// Settings admins change.
const (
	// SettingMarkReadOnOpen, "on" or "off": opening an unread WhatsApp
	// conversation marks the customer's messages read (blue ticks on
	// their phone).
	SettingMarkReadOnOpen = "mark_read_on_open"
)
