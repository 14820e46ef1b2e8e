package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrForbidden: the user may not do that to this item (a teammate's note).
var ErrForbidden = errors.New("forbidden")

// NoteChange is an edit or a delete of a note. ByID is the agent making
// it, nil for an API token; Admin says the agent is an admin.
type NoteChange struct {
	ConversationID int64
	NoteID         int64
	ByID           *int64
	Admin          bool
	Text           string // the new text, for an edit
	At             time.Time
}

// CheckNoteChange says whether c may change note m: it must be a note of
// c's conversation (ErrNotFound otherwise). An agent edits and deletes
// their own notes; an admin also deletes a teammate's. An API token
// edits and deletes the notes written through the API.
func CheckNoteChange(m Message, c NoteChange, del bool) error {
	if m.ID != c.NoteID || m.ConversationID != c.ConversationID || m.Direction != Internal || m.Type != TypeNote {
		return fmt.Errorf("note %d of conversation %d: %w", c.NoteID, c.ConversationID, ErrNotFound)
	}
	own := (c.ByID == nil && m.AuthorID == nil) || (c.ByID != nil && m.AuthorID != nil && *c.ByID == *m.AuthorID)
	if own || (del && c.Admin) {
		return nil
	}
	return fmt.Errorf("change note %d: %w", m.ID, ErrForbidden)
}

// NoteText checks and trims a note's text as AddNote does.
func NoteText(s string) (string, error) {
	text := strings.TrimRight(s, " \t\r\n")
	if strings.TrimSpace(text) == "" {
		return "", &InvalidError{Code: "empty_note", Message: "Write a note first."}
	}
	if l := utf8.RuneCountInString(text); l > MaxNoteLength {
		return "", &InvalidError{Code: "note_too_long",
			Message: fmt.Sprintf("A note has at most %d characters; this one has %d.", MaxNoteLength, l)}
	}
	return text, nil
}

// NoteEdited reports whether a note was edited after it was written.
func NoteEdited(m Message) bool {
	return m.Type == TypeNote && m.UpdatedAt.After(m.CreatedAt)
}

// MentionDiff splits a note's mentions after an edit: those newly
// mentioned (to notify) and those no longer mentioned (to forget). The
// author is never mentioned.
func MentionDiff(before, after []int64, author *int64) (added, removed []int64) {
	in := func(ids []int64, id int64) bool {
		for _, x := range ids {
			if x == id {
				return true
			}
		}
		return false
	}
	for _, id := range after {
		if (author == nil || id != *author) && !in(before, id) {
			added = append(added, id)
		}
	}
	for _, id := range before {
		if !in(after, id) {
			removed = append(removed, id)
		}
	}
	return added, removed
}

// NoteEditStore edits and deletes notes, each with its search index entry
// and its mentions in one transaction.
type NoteEditStore interface {
	// EditNote replaces a note's text; it returns the note, the users
	// newly mentioned, those no longer mentioned, and the change.
	EditNote(ctx context.Context, c NoteChange) (Message, []int64, []int64, Change, error)
	// DeleteNote removes a note; it returns the note as it was, the
	// users it mentioned, and the change.
	DeleteNote(ctx context.Context, c NoteChange) (Message, []int64, Change, error)
}
