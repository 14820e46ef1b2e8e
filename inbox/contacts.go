package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what an agent writes about a contact.
const (
	MaxContactName  = 200
	MaxContactNotes = 10_000
)

// ContactDetails is a contact as the team knows it: its notes, every
// conversation with it (on any sender and channel), and when it first and
// last wrote or was written to.
type ContactDetails struct {
	Contact
	// Notes are shared by the team; NotesBy is the agent who saved them
	// last (0 for none), at NotesAt.
	Notes   string
	NotesBy int64
	NotesAt time.Time
	// NameByAgent is true when an agent set the name: a profile name in a
	// later message no longer replaces it.
	NameByAgent bool
	// FirstContactAt is when its first conversation began; LastContactAt,
	// the latest message to or from it in any of them (notes and activity
	// lines are the team's own), zero before the first.
	FirstContactAt time.Time
	LastContactAt  time.Time
	// Conversations are its conversations, latest activity first.
	Conversations []Conversation
}

// OptedOut is true when the contact opted out (STOP) on any of its
// conversations.
func (d ContactDetails) OptedOut() bool {
	for _, c := range d.Conversations {
		if c.OptedOut {
			return true
		}
	}
	return false
}

// ContactSummary is a contact in the contacts list.
type ContactSummary struct {
	Contact
	Conversations int
	LastContactAt time.Time
	// Snippet, for a search, is what matched (see SearchHit.Snippet).
	Snippet string
}

// ContactFilter selects a page of contacts: all, the latest in contact
// first (then those with no message yet, newest first), or those whose
// name, number (in any common format) or notes hold Query, best match
// first.
type ContactFilter struct {
	Query  string
	Limit  int
	Cursor string
}

// ContactEdit changes a contact's name, its notes, or both (a nil field
// stays as it is). An empty name gives the contact back its profile name
// from its next message. By is the agent, At the time.
//
// NameWas and NotesWas, when set, are the TextVersion of the name and
// notes the agent's form showed. A field still as its form showed it is
// left as it is, so that saving a new name does not put back notes a
// teammate changed meanwhile; and notes changed by someone else since the
// form showed them are not overwritten: the edit fails with
// *NotesChangedMeanwhile.
type ContactEdit struct {
	Name     *string
	Notes    *string
	NameWas  *string
	NotesWas *string
	By       int64
	At       time.Time
}

// TextVersion is a short digest of a contact's name or notes, which a form
// carries to say what it showed (ContactEdit.NameWas, NotesWas).
func TextVersion(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}

// NotesChangedMeanwhile is the error of notes saved from a form that
// showed other notes than the contact has: a teammate saved theirs in
// between. It carries theirs, and wraps ErrConflict.
type NotesChangedMeanwhile struct {
	Notes string
	By    int64 // 0: through the API
	At    time.Time
}

func (e *NotesChangedMeanwhile) Error() string { return "the notes changed meanwhile" }

func (e *NotesChangedMeanwhile) Unwrap() error { return ErrConflict }

// Normalize trims the fields and checks their lengths: too long is an
// error wrapping ErrInvalid. A field still as the form showed it (NameWas,
// NotesWas) becomes nil: it is not changed.
func (e *ContactEdit) Normalize() error {
	if e.Name != nil {
		n := strings.Join(strings.Fields(*e.Name), " ")
		if utf8.RuneCountInString(n) > MaxContactName {
			return fmt.Errorf("a name of %d characters: %w", utf8.RuneCountInString(n), ErrInvalid)
		}
		e.Name = &n
	}
	if e.Notes != nil {
		n := strings.TrimSpace(strings.ReplaceAll(*e.Notes, "\r\n", "\n"))
		if utf8.RuneCountInString(n) > MaxContactNotes {
			return fmt.Errorf("notes of %d characters: %w", utf8.RuneCountInString(n), ErrInvalid)
		}
		e.Notes = &n
	}
	if e.Name != nil && e.NameWas != nil && TextVersion(*e.Name) == *e.NameWas {
		e.Name = nil
	}
	if e.Notes != nil && e.NotesWas != nil && TextVersion(*e.Notes) == *e.NotesWas {
		e.Notes = nil
	}
	return nil
}

// Contacts is what the contacts pages need from storage.
type Contacts interface {
	// Contacts lists a page of contacts and the cursor of the next page,
	// empty at the end. A cursor it did not give out is an error wrapping
	// ErrInvalid.
	Contacts(ctx context.Context, f ContactFilter) (items []ContactSummary, next string, err error)
	// ContactDetails returns one contact, or an error wrapping
	// ErrNotFound.
	ContactDetails(ctx context.Context, id int64) (ContactDetails, error)
	// ContactDetailsByID returns those of ids that exist, by id, each as
	// ContactDetails returns it.
	ContactDetailsByID(ctx context.Context, ids []int64) (map[int64]ContactDetails, error)
	// EditContact changes a contact and returns it as it is then; the
	// search index follows in the same transaction.
	EditContact(ctx context.Context, id int64, e ContactEdit) (ContactDetails, error)
}
