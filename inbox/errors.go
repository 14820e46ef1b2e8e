package inbox

import "errors"

// Errors carry a meaning that handlers map to status codes and plain
// sentences. Wrap them with fmt.Errorf("...: %w", ErrX) to add detail.
var (
	ErrNotFound      = errors.New("not found")
	ErrConflict      = errors.New("conflict")
	ErrInvalid       = errors.New("invalid")
	ErrUnauthorized  = errors.New("unauthorized")
	ErrWindowClosed  = errors.New("whatsapp 24-hour window closed")
	ErrOptedOut      = errors.New("the customer opted out")
	ErrUnknownEvent  = errors.New("unknown event type")
	ErrMissingField  = errors.New("missing field")
	ErrUnsupported   = errors.New("unsupported")
	ErrStoreClosed   = errors.New("store closed")
	ErrApplyPanicked = errors.New("applying the event panicked")
	// ErrKeyReused is a request whose idempotency key was sent before
	// with another request (see RequestKey).
	ErrKeyReused = errors.New("idempotency key used with another request")
	// ErrNameTaken is a name already used by another thing of its kind
	// that must be told apart by name (an API token not revoked).
	ErrNameTaken = errors.New("name already used")
)

// Errors of the storage, not of the request: every write fails alike until
// someone fixes the machine.
var (
	ErrDiskFull      = errors.New("the database's disk is full")
	ErrWritesFailing = errors.New("writes to the database are failing")
)

// AssignedMeanwhile is the error of an assignment made from a screen that
// showed another assignee than the conversation has: a teammate took it,
// handed it on or let it go in between. AssigneeID is who has it now (nil:
// nobody). It wraps ErrConflict.
type AssignedMeanwhile struct {
	AssigneeID *int64
}

func (e *AssignedMeanwhile) Error() string { return "assigned meanwhile" }

func (e *AssignedMeanwhile) Unwrap() error { return ErrConflict }
