package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SenderEvents are the event types a sender's webhook must send for
// Switchboard to keep conversations whole: messages in, their delivery,
// reactions, and template approvals. Broadcast and partner invitation
// changes are project-level events, not a sender's.
var SenderEvents = []EventType{
	EventConversationNew,
	EventMessageInbound,
	EventMessageUnsupported,
	EventMessageReaction,
	EventMessageQueued,
	EventMessageSent,
	EventMessageDelivered,
	EventMessageRead,
	EventMessageFailed,
	EventTemplateStatus,
}

// MissingEvents lists the SenderEvents the sender's webhook leaves out;
// all of them when it has no webhook.
func (s Sender) MissingEvents() []EventType {
	have := map[string]bool{}
	if s.Webhook != nil {
		for _, e := range s.Webhook.Events {
			have[strings.TrimSpace(e)] = true
		}
	}
	var out []EventType
	for _, e := range SenderEvents {
		if !have[string(e)] {
			out = append(out, e)
		}
	}
	return out
}

// WebhookProblems says in plain sentences what is wrong with the webhook
// Zavu has for the sender, given the URL Switchboard receives webhooks
// at. It says nothing about a sender Zavu has not listed: what its
// webhook is, is not known.
func (s Sender) WebhookProblems(ourURL string) []string {
	if s.SyncedAt.IsZero() {
		return nil
	}
	if s.Webhook == nil || strings.TrimSpace(s.Webhook.URL) == "" {
		return []string{"Zavu has no webhook for this sender, so Switchboard hears nothing from it. Add one pointing at " + ourURL + "."}
	}
	var out []string
	if !sameURL(s.Webhook.URL, ourURL) {
		out = append(out, fmt.Sprintf("Zavu sends this sender's events to %s, not to Switchboard (%s).", s.Webhook.URL, ourURL))
	}
	if !s.Webhook.Active {
		out = append(out, "The webhook is switched off in Zavu.")
	}
	if missing := s.MissingEvents(); len(missing) > 0 {
		names := make([]string, len(missing))
		for i, e := range missing {
			names[i] = string(e)
		}
		out = append(out, "The webhook leaves out events Switchboard needs: "+strings.Join(names, ", ")+".")
	}
	return out
}

// sameURL compares webhook URLs, ignoring a trailing slash and the case
// of the scheme and host.
func sameURL(a, b string) bool {
	norm := func(u string) string {
		u = strings.TrimRight(strings.TrimSpace(u), "/")
		if i := strings.Index(u, "://"); i >= 0 {
			rest := u[i+3:]
			host, path, _ := strings.Cut(rest, "/")
			u = strings.ToLower(u[:i+3]+host) + "/" + path
			u = strings.TrimRight(u, "/")
		}
		return u
	}
	return norm(a) == norm(b)
}

// PreviousSecretGrace is how long a replaced webhook secret is still
// accepted: deliveries Zavu signed with it before the switch, and its
// retries of them (the last about five and a half hours after the first
// try), are not refused, and an admin who pasted the new secret here
// first has a day to put it in Zavu.
const PreviousSecretGrace = 24 * time.Hour

// MinSecretLength is the shortest webhook secret accepted after whsec_.
const MinSecretLength = 8

// InvalidSecret is a webhook secret that cannot be one Zavu gave. Its
// message is a plain sentence for the admin.
type InvalidSecret struct{ Reason string }

func (e *InvalidSecret) Error() string { return e.Reason }

// Is makes an InvalidSecret match ErrInvalid.
func (e *InvalidSecret) Is(target error) bool { return target == ErrInvalid }

// CheckWebhookSecret returns the secret trimmed of surrounding space, or
// an *InvalidSecret saying why it is not a Zavu webhook secret.
func CheckWebhookSecret(secret string) (string, error) {
	secret = strings.TrimSpace(secret)
	switch {
	case secret == "":
		return "", &InvalidSecret{"Paste the webhook secret Zavu showed when the webhook was created."}
	case !strings.HasPrefix(secret, "whsec_"):
		return "", &InvalidSecret{"A Zavu webhook secret starts with whsec_. Copy it whole from Zavu."}
	case len(secret) < len("whsec_")+MinSecretLength:
		return "", &InvalidSecret{"That secret is too short to be one Zavu gave. Copy it whole from Zavu."}
	case strings.ContainsAny(secret, " \t\r\n,"):
		return "", &InvalidSecret{"A webhook secret has no spaces or commas. Paste one secret only."}
	}
	return secret, nil
}

// SecretHint is the part of a secret a page may show: its last four
// characters.
func SecretHint(secret string) string {
	if len(secret) < len("whsec_")+MinSecretLength {
		return ""
	}
	return secret[len(secret)-4:]
}

// A webhook secret vouches for the events it signs: one of the project's
// (ZAVU_WEBHOOK_SECRET) for every event, one set for a sender on the
// Senders page for that sender's events only. Its envelope must name that
// sender, and the message it names, when it is here already, must be held
// by one of that sender's conversations: else whoever holds one sender's
// secret could mark another sender's replies delivered or failed (and the
// customer opted out), react to them, or rewrite a message it announced.
// A message not here yet is the signing sender's to report on: a report
// leaves a placeholder in that sender's conversation, and a reaction
// waits for the message, each remembering the signer. A message of
// another sender's that comes with that Zavu id later takes neither: the
// placeholder goes, statuses and all, and the reaction does not show on
// it (see vouchedFor). As events are
// applied after they are acknowledged, the message an accepted event
// names may be stored meanwhile: the event remembers the sender whose
// secret alone signed it (Event.SignedBy), and is checked again as it is
// applied, where naming another sender's message fails it, with nothing
// of it applied.

// OtherSendersMessage is why an event signed with one sender's own secret
// is refused: the message it names is another sender's.
type OtherSendersMessage struct {
	Signer    string // the sender whose secret signed the event
	MessageID string // the Zavu id of the message it names
	Owner     string // the sender whose conversation holds the message
}

// signsOnlyItsOwn is how the errors of an event signed with another
// sender's secret say it, for ExplainEventError to find in a stored one.
const signsOnlyItsOwn = "which signs only that sender's events"

func (e *OtherSendersMessage) Error() string {
	return fmt.Sprintf("signed with the webhook secret of sender %q, %s, but message %s is sender %q's",
		e.Signer, signsOnlyItsOwn, e.MessageID, e.Owner)
}

// Is makes an OtherSendersMessage match ErrUnauthorized.
func (e *OtherSendersMessage) Is(target error) bool { return target == ErrUnauthorized }

// OtherSendersEvent is why an event signed with one sender's own secret
// is refused when its envelope names another sender.
type OtherSendersEvent struct {
	Signer string // the sender whose secret signed the event
	Sender string // the sender its envelope names; empty for the project
}

func (e *OtherSendersEvent) Error() string {
	return fmt.Sprintf("signed with the webhook secret of sender %q, %s, but the event is sender %q's",
		e.Signer, signsOnlyItsOwn, e.Sender)
}

// Is makes an OtherSendersEvent match ErrUnauthorized.
func (e *OtherSendersEvent) Is(target error) bool { return target == ErrUnauthorized }

// CheckSignedBySender returns an *OtherSendersMessage when ev, signed with
// the webhook secret of sender signer, names a message that senderOf (see
// Store.MessageSender) says is held by another sender's conversation.
func CheckSignedBySender(ctx context.Context, ev *Event, signer string,
	senderOf func(ctx context.Context, zavuMessageID string) (string, error)) error {
	id := ev.MessageID()
	if id == "" {
		return nil
	}
	owner, err := senderOf(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return err
	case owner != signer:
		return &OtherSendersMessage{Signer: signer, MessageID: id, Owner: owner}
	}
	return nil
}

// vouchedFor reports whether signer, the sender whose own secret alone
// signed what was said of a message before it was here (Message.SignedBy
// of a placeholder, Reaction.SignedBy), vouches for m: signer is empty
// (the project's secrets vouch for every message), or m's conversation is
// signer's.
func vouchedFor(ctx context.Context, tx Tx, signer string, m Message) (bool, error) {
	if signer == "" {
		return true, nil
	}
	conv, err := tx.ConversationByID(ctx, m.ConversationID)
	if err != nil {
		return false, err
	}
	return conv.SenderID == signer, nil
}

// SyncResult is the outcome of the last sync of senders or templates from
// Zavu.
type SyncResult struct {
	At    time.Time // zero when none was tried yet
	Count int       // how many were synced
	Err   error     // why it failed; nil when it worked
}
