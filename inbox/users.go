package inbox

import "fmt"

// ErrLastAdmin is the answer to a change that would leave the team with no
// active admin: then nobody could add agents, reset a password or change
// any setting. Every store refuses such a change. It wraps ErrConflict.
var ErrLastAdmin = fmt.Errorf("no active admin would be left: %w", ErrConflict)
