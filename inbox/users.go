package inbox

import "fmt"

// ErrLastAdmin is the answer to a change that would leave the team with no
// active admin: then nobody could add agents, reset a password or change
// any setting. Every store refuses such a change. It wraps ErrConflict.
var ErrLastAdmin = fmt.Errorf("no active admin would be left: %w", ErrConflict)

// ErrRevoked is the answer to revoking an API token that was revoked
// already. It wraps ErrConflict.
var ErrRevoked = fmt.Errorf("the API token was revoked already: %w", ErrConflict)

// TokenScope is what an API token may do.
type TokenScope string

const (
	// ScopeRead only reads: every request that would change something is
	// refused.
	ScopeRead TokenScope = "read"
	// ScopeWrite reads, and may also send messages and change
	// conversations. It is the default.
	ScopeWrite TokenScope = "write"
)

// TokenScopes are the scopes, in the order forms list them.
var TokenScopes = []TokenScope{ScopeRead, ScopeWrite}

// ParseTokenScope reads a scope as typed; an empty string is ScopeWrite.
// Anything else is an error wrapping ErrInvalid.
func ParseTokenScope(s string) (TokenScope, error) {
	switch TokenScope(s) {
	case "", ScopeWrite:
		return ScopeWrite, nil
	case ScopeRead:
		return ScopeRead, nil
	}
	return "", fmt.Errorf("scope %q: want read or write: %w", s, ErrInvalid)
}

// CanWrite reports whether a token of this scope may change things. Only
// ScopeWrite (or the empty default) may.
func (s TokenScope) CanWrite() bool { return s == ScopeWrite || s == "" }

// MaxTokenName is the longest name an API token can have, in characters.
const MaxTokenName = 100
