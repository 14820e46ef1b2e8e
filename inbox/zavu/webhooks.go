package zavu

import (
	"context"

	"switchboard/inbox"
)

// Webhooks checks and decodes Zavu webhook deliveries for the HTTP layer.
type Webhooks struct {
	Verifier Verifier
	// Secrets returns the webhook secrets in force: the configured ones
	// and any set per sender. It is asked on every delivery, so a secret
	// added at run time counts at once.
	Secrets func(ctx context.Context) ([]string, error)
}

// StaticSecrets serves a fixed list of secrets.
func StaticSecrets(secrets ...string) func(context.Context) ([]string, error) {
	return func(context.Context) ([]string, error) { return secrets, nil }
}

// Verify returns nil when header is a valid, fresh signature of body by one
// of the secrets in force.
func (w Webhooks) Verify(ctx context.Context, header string, body []byte) error {
	secrets, err := w.Secrets(ctx)
	if err != nil {
		return err
	}
	return w.Verifier.Verify(header, body, secrets)
}

// Decode decodes a delivery; see the package-level Decode.
func (Webhooks) Decode(body []byte) (*inbox.Event, error) { return Decode(body) }
