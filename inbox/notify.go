package inbox

import (
	"context"
	"time"
)

// NotifyKind is something an agent may be told of as it happens.
type NotifyKind string

const (
	// NotifyNewConversation: a customer started a conversation that no
	// one is assigned to; every agent's views show it.
	NotifyNewConversation NotifyKind = "new_conversation"
	// NotifyMessage: a customer wrote in a conversation assigned to the
	// agent.
	NotifyMessage NotifyKind = "message"
	// NotifyAssigned: a teammate assigned a conversation to the agent.
	NotifyAssigned NotifyKind = "assigned"
	// NotifyMentioned: a teammate mentioned the agent in a conversation's
	// note.
	NotifyMentioned NotifyKind = "mentioned"
)

// NotificationSettings are one agent's choices of what to be told of and
// how. Sound is off until the agent turns it on; the rest is on.
type NotificationSettings struct {
	NewConversation bool
	Message         bool
	Assigned        bool
	Mentioned       bool
	// Sound plays a soft sound in the agent's open pages.
	Sound bool
	// Desktop shows a desktop notification from an open page, once the
	// agent has allowed it in the browser.
	Desktop bool
	// Push reaches the browsers the agent turned Web Push on in while no
	// page of theirs is open.
	Push bool
}

// DefaultNotificationSettings are an agent's settings until they save
// their own.
func DefaultNotificationSettings() NotificationSettings {
	return NotificationSettings{NewConversation: true, Message: true, Assigned: true, Mentioned: true, Desktop: true, Push: true}
}

// Wants reports whether the agent wants to hear of kind at all.
func (s NotificationSettings) Wants(kind NotifyKind) bool {
	switch kind {
	case NotifyNewConversation:
		return s.NewConversation
	case NotifyMessage:
		return s.Message
	case NotifyAssigned:
		return s.Assigned
	case NotifyMentioned:
		return s.Mentioned
	}
	return false
}

// PushSubscription is one browser's Web Push subscription for an agent:
// where its push service takes messages, and the keys to encrypt them
// for that browser.
type PushSubscription struct {
	ID       int64
	UserID   int64
	Endpoint string
	P256dh   string // the browser's public key, base64url
	Auth     string // the browser's authentication secret, base64url
	// Session is the token of the browser session that subscribed; the
	// store keeps only its hash. The subscription holds while that
	// session does.
	Session   string
	CreatedAt time.Time
}

// VAPIDKeys identify this server to push services (RFC 8292), base64url
// as browsers and push libraries take them.
type VAPIDKeys struct {
	Public  string
	Private string
}

// NotifyStore keeps the agents' notification settings, their browsers'
// push subscriptions and the server's push keys.
type NotifyStore interface {
	// NotificationSettings returns the user's settings, the defaults when
	// they never saved any.
	NotificationSettings(ctx context.Context, userID int64) (NotificationSettings, error)
	SaveNotificationSettings(ctx context.Context, userID int64, s NotificationSettings, at time.Time) error
	// SavePushSubscription stores a browser's subscription for p.UserID
	// and sets p.ID. An endpoint stored before is moved to this user with
	// its new keys: one browser hears of one agent.
	SavePushSubscription(ctx context.Context, p *PushSubscription) error
	// PushSubscriptions lists the user's subscriptions whose browser
	// session still holds, oldest first; Session is not filled in.
	PushSubscriptions(ctx context.Context, userID int64) ([]PushSubscription, error)
	// DeletePushSubscription forgets the subscription with this endpoint;
	// with userID not 0, only if it is that user's. It reports whether
	// one was deleted.
	DeletePushSubscription(ctx context.Context, userID int64, endpoint string) (bool, error)
	// PushKeys returns the server's VAPID keys, storing the ones generate
	// makes when there are none yet. Every caller, in every process,
	// gets the same keys.
	PushKeys(ctx context.Context, generate func() (VAPIDKeys, error)) (VAPIDKeys, error)
	// LatestMessageID is the greatest message id stored, 0 for none.
	LatestMessageID(ctx context.Context) (int64, error)
	// InboundSince lists, in the order they were stored, at most limit
	// customers' messages stored after the message afterID, each with its
	// conversation as it was when the message was stored.
	InboundSince(ctx context.Context, afterID int64, limit int) ([]Arrival, error)
}

// Arrival is a customer's message as notifications see it.
type Arrival struct {
	MessageID      int64
	ConversationID int64
	CreatedAt      time.Time
	// AssigneeID is who had the conversation when the message was
	// stored, whoever has it by the time it is read; nil for no one.
	AssigneeID *int64
	// First is set when the customer wrote nothing earlier in the
	// conversation: it is a new conversation.
	First bool
}
