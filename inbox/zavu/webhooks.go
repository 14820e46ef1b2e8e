package zavu

import (
	"context"
	"encoding/json"
	"errors"

	"switchboard/inbox"
)

// Webhooks checks and decodes Zavu webhook deliveries for the HTTP layer.
type Webhooks struct {
	Verifier Verifier
	// Secrets returns the project's webhook secrets (ZAVU_WEBHOOK_SECRET):
	// each validates every event.
	Secrets func(ctx context.Context) ([]string, error)
	// SenderSecrets returns the secrets set for one sender on the Senders
	// page: they validate only events whose envelope names that sender,
	// never another sender's or a project-level event (templates,
	// broadcasts, invitations). It is asked on every delivery, so a secret
	// added at run time counts at once. Nil when there are none.
	SenderSecrets func(ctx context.Context, senderID string) ([]string, error)
}

// StaticSecrets serves a fixed list of secrets.
func StaticSecrets(secrets ...string) func(context.Context) ([]string, error) {
	return func(context.Context) ([]string, error) { return secrets, nil }
}

// HasProjectSecrets reports whether the project has secrets of its own
// (ZAVU_WEBHOOK_SECRET): without them, a sender's webhooks are let in by
// that sender's secret alone.
func (w Webhooks) HasProjectSecrets(ctx context.Context) bool {
	if w.Secrets == nil {
		return false
	}
	s, err := w.Secrets(ctx)
	return err == nil && len(s) > 0
}

// Verify returns nil when header is a valid, fresh signature of body by one
// of the secrets in force for it: the project's, and those of the sender
// the envelope names. When the secrets could only be partly read, a
// signature by one of those read still counts.
func (w Webhooks) Verify(ctx context.Context, header string, body []byte) error {
	_, err := w.verify(ctx, header, body, envelopeSender(body))
	return err
}

// VerifyDecoded is Verify for a body Decode read as ev (nil when it
// refused the body): the sender is ev's, and the body is not read again.
// signer is the sender whose own secret signed it, "" when one of the
// project's did: a sender's secret vouches for that sender's events only
// (see inbox.CheckSignedBySender).
func (w Webhooks) VerifyDecoded(ctx context.Context, header string, body []byte, ev *inbox.Event) (signer string, err error) {
	if ev == nil {
		return w.verify(ctx, header, body, envelopeSender(body))
	}
	return w.verify(ctx, header, body, ev.SenderID)
}

// verify is Verify for a body whose envelope names sender ("" for none),
// trying the project's secrets first; signer is sender when only its own
// secret matched.
func (w Webhooks) verify(ctx context.Context, header string, body []byte, sender string) (signer string, err error) {
	var project, own []string
	if w.Secrets != nil {
		project, err = w.Secrets(ctx)
	}
	if sender != "" && w.SenderSecrets != nil {
		var serr error
		own, serr = w.SenderSecrets(ctx, sender)
		err = errors.Join(err, serr)
	}
	if len(project) == 0 && len(own) == 0 && err != nil {
		return "", err
	}
	verr := ErrNoSecrets
	if len(project) > 0 {
		if verr = w.Verifier.Verify(header, body, project); verr == nil {
			return "", nil
		}
	}
	if len(own) > 0 {
		if verr = w.Verifier.Verify(header, body, own); verr == nil {
			return sender, nil
		}
	}
	if err != nil {
		return "", errors.Join(verr, err)
	}
	return "", verr
}

// envelopeSender is the senderId of a delivery's envelope, read the way
// Decode reads it; empty for a project-level event or a body whose
// envelope Decode could not read (it would be stored without a sender).
func envelopeSender(body []byte) string {
	var env envelope
	if json.Unmarshal(body, &env) != nil {
		return ""
	}
	return env.SenderID
}

// Decode decodes a delivery; see the package-level Decode.
func (Webhooks) Decode(body []byte) (*inbox.Event, error) { return Decode(body) }

// DecodeEnvelope decodes a delivery's envelope; see the package-level
// DecodeEnvelope.
func (Webhooks) DecodeEnvelope(body []byte) (*inbox.Event, error) { return DecodeEnvelope(body) }
