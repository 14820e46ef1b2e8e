package zavu

import (
	"context"
	"errors"
	"slices"

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

// JoinSecrets serves the fixed secrets (from the configuration) followed
// by those more returns (set per sender in the admin pages). When more
// fails, the fixed secrets are still served, with its error.
func JoinSecrets(fixed []string, more func(context.Context) ([]string, error)) func(context.Context) ([]string, error) {
	return func(ctx context.Context) ([]string, error) {
		extra, err := more(ctx)
		return append(slices.Clip(fixed), extra...), err
	}
}

// Verify returns nil when header is a valid, fresh signature of body by one
// of the secrets in force. When the secrets could only be partly read, a
// signature by one of those read still counts.
func (w Webhooks) Verify(ctx context.Context, header string, body []byte) error {
	secrets, err := w.Secrets(ctx)
	if len(secrets) == 0 && err != nil {
		return err
	}
	verr := w.Verifier.Verify(header, body, secrets)
	if verr != nil && err != nil {
		return errors.Join(verr, err)
	}
	return verr
}

// Decode decodes a delivery; see the package-level Decode.
func (Webhooks) Decode(body []byte) (*inbox.Event, error) { return Decode(body) }
