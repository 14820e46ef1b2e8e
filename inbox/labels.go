package inbox

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Label is a tag an admin defines ("refund", "vip") that agents put on
// conversations. Names are unique regardless of case.
type Label struct {
	ID        int64
	Name      string
	Colour    string // a key of LabelColours
	CreatedAt time.Time
}

// LabelColours is the palette a label's colour comes from: each key has a
// background and text pair in the stylesheet that meets WCAG AA contrast,
// in light and dark mode.
var LabelColours = []string{"grey", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink"}

// MaxLabelName is the longest label name, in characters.
const MaxLabelName = 40

// InvalidError is a request that cannot be done as asked, with a code
// scripts can match and a sentence people can act on. It matches
// ErrInvalid.
type InvalidError struct {
	Code    string
	Message string
}

func (e *InvalidError) Error() string     { return e.Code + ": " + e.Message }
func (e *InvalidError) Is(err error) bool { return err == ErrInvalid }

func invalid(code, format string, args ...any) error {
	return &InvalidError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NormalizeLabel trims the name and checks the label; it returns an
// *InvalidError when it cannot be stored.
func NormalizeLabel(l *Label) error {
	l.Name = strings.Join(strings.Fields(l.Name), " ")
	switch {
	case l.Name == "":
		return invalid("invalid_label", "A label needs a name.")
	case utf8.RuneCountInString(l.Name) > MaxLabelName:
		return invalid("invalid_label", "A label's name has at most %d characters.", MaxLabelName)
	case strings.ContainsAny(l.Name, ",\x1e\x1f"):
		return invalid("invalid_label", "A label's name cannot contain a comma.")
	}
	if l.Colour == "" {
		l.Colour = LabelColours[0]
	}
	if !slices.Contains(LabelColours, l.Colour) {
		return invalid("invalid_colour", "Pick the label's colour from the palette.")
	}
	return nil
}

// Snoozed is the status of a conversation put aside until a time or until
// the customer writes; it then comes back open.
const Snoozed ConversationStatus = "snoozed"

// ConversationUpdate is a change to one or more conversations; nil fields
// are left as they are.
type ConversationUpdate struct {
	// Status is open, resolved or snoozed. Opening or resolving ends a
	// snooze.
	Status *ConversationStatus
	// SnoozedUntil, with Status snoozed, is when the conversation comes
	// back; the zero time snoozes it until the customer writes.
	SnoozedUntil time.Time
	// Assign, when set, makes AssigneeID the assignee (nil: nobody).
	Assign     bool
	AssigneeID *int64
	// AssignFrom, with Assign, holds by conversation id the assignee the
	// agent's screen showed (nil: nobody). A conversation whose assignee
	// has changed since, to someone other than AssigneeID, is left as it
	// is (StateChange.AssignedMeanwhile), as Store.AssignFrom leaves one:
	// a teammate's take is not overridden by a selection made before it.
	// Without it (nil), every conversation is changed.
	AssignFrom map[int64]*int64
	// Labels, when not nil, replaces the labels (by name, case
	// insensitive); AddLabels and RemoveLabels change them one by one.
	Labels       *[]string
	AddLabels    []string
	RemoveLabels []string
	// By is the user making the change, 0 for a script through the API
	// (its activity lines have source api).
	By int64
}

// Empty reports whether the update changes nothing.
func (u ConversationUpdate) Empty() bool {
	return u.Status == nil && u.SnoozedUntil.IsZero() && !u.Assign && u.Labels == nil && len(u.AddLabels) == 0 && len(u.RemoveLabels) == 0
}

// Check validates the update against the time now: a snooze needs a time
// in the future (or none), and only a snooze takes a time.
func (u ConversationUpdate) Check(now time.Time) error {
	if u.Status != nil {
		switch *u.Status {
		case Open, Resolved:
			if !u.SnoozedUntil.IsZero() {
				return invalid("invalid_snooze", "snoozedUntil goes with status snoozed.")
			}
		case Snoozed:
			if !u.SnoozedUntil.IsZero() && !u.SnoozedUntil.After(now) {
				return invalid("invalid_snooze", "snoozedUntil must be in the future.")
			}
			if u.SnoozedUntil.After(SnoozeLimit(now)) {
				return invalid("invalid_snooze", "snoozedUntil must be at most a year ahead.")
			}
		default:
			return invalid("invalid_status", "The status must be open, resolved or snoozed.")
		}
	} else if !u.SnoozedUntil.IsZero() {
		return invalid("invalid_snooze", "snoozedUntil goes with status snoozed.")
	}
	return nil
}

// ConversationState is what an update may change on a conversation, as it
// was before: enough to put it back (an undo).
type ConversationState struct {
	ID           int64
	Status       ConversationStatus
	SnoozedAt    time.Time
	SnoozedUntil time.Time
	AssigneeID   *int64
	LabelIDs     []int64
}

// StateChange is what an update did to one conversation: its state
// before and after.
type StateChange struct {
	Before, After ConversationState
	// AssignedMeanwhile marks a conversation the update left as it was,
	// its assignee having changed since the agent's screen showed it
	// (ConversationUpdate.AssignFrom): Before and After are both as it
	// is, and After.AssigneeID has it.
	AssignedMeanwhile bool
}

// Undo is the state that puts back what the update changed, on a
// conversation that is as cur says now: each of its status (with its
// snooze), assignee and labels goes back to what it was before the
// update where it is still as the update left it; where a teammate (or
// the customer) changed it since, theirs stays.
func (c StateChange) Undo(cur ConversationState) ConversationState {
	next := cur
	next.LabelIDs = slices.Clone(cur.LabelIDs)
	b, a := c.Before, c.After
	if cur.Status == a.Status && cur.SnoozedAt.Equal(a.SnoozedAt) && cur.SnoozedUntil.Equal(a.SnoozedUntil) {
		next.Status, next.SnoozedAt, next.SnoozedUntil = b.Status, b.SnoozedAt, b.SnoozedUntil
	}
	if SameAssignee(cur.AssigneeID, a.AssigneeID) {
		next.AssigneeID = b.AssigneeID
	}
	for _, l := range a.LabelIDs {
		if !slices.Contains(b.LabelIDs, l) { // added by the update
			next.LabelIDs = slices.DeleteFunc(next.LabelIDs, func(x int64) bool { return x == l })
		}
	}
	for _, l := range b.LabelIDs {
		// Taken off by the update, and not put on again since.
		if !slices.Contains(a.LabelIDs, l) && !slices.Contains(next.LabelIDs, l) {
			next.LabelIDs = append(next.LabelIDs, l)
		}
	}
	return next
}

// SavedView is a named list filter: an agent's own, or shared with the
// team.
type SavedView struct {
	ID        int64
	UserID    int64
	Name      string
	Shared    bool
	Filter    string // the list's query: view=...&sender=...&channel=...&label=...
	CreatedAt time.Time
}

// MaxSavedViewName is the longest name of a saved view.
const MaxSavedViewName = 40

// MaxSavedViews is how many views one agent may keep: a shared one is
// drawn, with its count, in every teammate's navigation.
const MaxSavedViews = 50

// TeamStore keeps labels, snoozes and saved views.
type TeamStore interface {
	SnoozeStore
	// Labels lists the labels, by name.
	Labels(ctx context.Context) ([]Label, error)
	// CreateLabel checks l (NormalizeLabel), stores it and sets its ID; a
	// name in use is an *InvalidError with code label_taken, which wraps
	// ErrInvalid.
	CreateLabel(ctx context.Context, l *Label) error
	// UpdateLabel renames or recolours the label with l's ID.
	UpdateLabel(ctx context.Context, l *Label) error
	// DeleteLabel removes a label from every conversation and returns it
	// as it was.
	DeleteLabel(ctx context.Context, id int64) (Label, error)
	// UpdateConversations applies u to each conversation in one
	// transaction, with an activity line in its thread for each change,
	// and returns each one's state before and after it (for an undo) and
	// what changed; one left as it was (u.AssignFrom) is marked
	// AssignedMeanwhile and is not in the Change. An unknown conversation is an error wrapping
	// ErrNotFound, an unknown label or assignee an *InvalidError; then
	// nothing changes.
	UpdateConversations(ctx context.Context, ids []int64, u ConversationUpdate, at time.Time) ([]StateChange, Change, error)
	// RestoreConversations undoes updates (an undo, see StateChange.Undo):
	// what a teammate changed since stays; by is the user undoing.
	RestoreConversations(ctx context.Context, changes []StateChange, by int64, at time.Time) (Change, error)
	// CountConversations counts the conversations a filter selects (its
	// cursor, limit and viewer are ignored).
	CountConversations(ctx context.Context, f ConversationFilter) (int, error)
	// SavedViews lists the views of a user and the shared ones, by name.
	SavedViews(ctx context.Context, userID int64) ([]SavedView, error)
	// CreateSavedView stores v and sets its ID.
	CreateSavedView(ctx context.Context, v *SavedView) error
	// DeleteSavedView removes one of userID's views (or a shared view, by
	// an admin: admin true); another's view is an error wrapping
	// ErrNotFound.
	DeleteSavedView(ctx context.Context, id, userID int64, admin bool) error
}

// ViewCounts are the numbers the navigation shows beside the inbox's
// views for one set of list filters (sender, channel, label): each
// counts the conversations open in the view, as the lists show them.
type ViewCounts struct {
	Open       int // open, not snoozed
	Unassigned int // open, not snoozed, with no assignee
	Snoozed    int
	// Mine is the open, not snoozed conversations of each assignee.
	Mine map[int64]int
}

// Count is the number of the view: open, mine (of userID), unassigned or
// snoozed; resolved and unknown views have no count (-1).
func (v ViewCounts) Count(view string, userID int64) int {
	switch view {
	case "", "open":
		return v.Open
	case "mine":
		return v.Mine[userID]
	case "unassigned":
		return v.Unassigned
	case "snoozed":
		return v.Snoozed
	}
	return -1
}

// ViewCounter counts the views of a set of list filters.
type ViewCounter interface {
	// ViewCounts counts the views with f's sender, channel and label (its
	// other fields are ignored): one walk of an index, grouped by snooze
	// and assignee.
	ViewCounts(ctx context.Context, f ConversationFilter) (ViewCounts, error)
}

// RenameLabelInFilter returns a saved view's filter (a list query, see
// SavedView) with its label filter moved from the label named was to
// name, and whether it filtered by that label at all. Label names are
// compared as the list compares them, without regard to case.
func RenameLabelInFilter(filter, was, name string) (string, bool) {
	q, err := url.ParseQuery(filter)
	if err != nil || !strings.EqualFold(q.Get("label"), was) {
		return filter, false
	}
	q.Set("label", name)
	return q.Encode(), true
}
