package inbox

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// SavedReply is a snippet the whole team shares. An agent types its
// shortcut after a "/" in the composer and gets the body, with the
// placeholders filled for the conversation at hand.
type SavedReply struct {
	ID int64
	// Shortcut is what follows the "/": lowercase letters, digits, "-" and
	// "_", unique across the team.
	Shortcut string
	// Title says what the reply is for; it may be empty.
	Title string
	// Body is the text put in the composer, with placeholders such as
	// {{contact.name}} (see FillPlaceholders).
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Limits of a saved reply.
const (
	MaxShortcutLength = 32
	MaxSavedTitle     = 80
)

// Placeholders a saved reply's body may hold.
const (
	PlaceholderContactName  = "contact.name"
	PlaceholderContactPhone = "contact.phone"
	PlaceholderAgentName    = "agent.name"
)

// KnownPlaceholders are the placeholders FillPlaceholders fills, as an
// admin types them.
var KnownPlaceholders = []string{"{{" + PlaceholderContactName + "}}", "{{" + PlaceholderContactPhone + "}}", "{{" + PlaceholderAgentName + "}}"}

// InvalidSavedReply says, field by field, why a saved reply cannot be
// stored, in sentences an admin can act on. It matches ErrInvalid, or
// ErrConflict when the shortcut is taken (see ShortcutTaken).
type InvalidSavedReply struct {
	Shortcut string
	Title    string
	Body     string
	taken    bool
}

func (e *InvalidSavedReply) Error() string {
	var parts []string
	for _, s := range []string{e.Shortcut, e.Title, e.Body} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return "saved reply: " + strings.Join(parts, " ")
}

// Is makes errors.Is(err, ErrInvalid) true, or ErrConflict for a taken
// shortcut.
func (e *InvalidSavedReply) Is(target error) bool {
	if e.taken {
		return target == ErrConflict
	}
	return target == ErrInvalid
}

// ShortcutTaken is the error for a shortcut another saved reply has: a
// field error on the shortcut that matches ErrConflict.
func ShortcutTaken(shortcut string) error {
	return &InvalidSavedReply{Shortcut: "/" + shortcut + " is already the shortcut of another saved reply. Choose another.", taken: true}
}

// AsInvalidSavedReply returns the field errors in err, if it carries any.
func AsInvalidSavedReply(err error) (*InvalidSavedReply, bool) {
	var inv *InvalidSavedReply
	ok := errors.As(err, &inv)
	return inv, ok
}

var shortcutPattern = regexp.MustCompile(`^[a-z0-9_-]+$`)

// Normalize tidies what an admin typed: spaces around the fields go, a
// leading "/" on the shortcut goes (admins think of it as "/refund"), and
// the shortcut is lowercased. Line breaks inside the body stay.
func (r *SavedReply) Normalize() {
	r.Shortcut = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(r.Shortcut), "/"))
	r.Title = strings.TrimSpace(r.Title)
	r.Body = strings.TrimSpace(strings.ReplaceAll(r.Body, "\r\n", "\n"))
}

// Validate reports every field that cannot be stored as it is, as an
// *InvalidSavedReply; nil when the reply is fine. Call Normalize first.
// Uniqueness of the shortcut is for the store to check.
func (r SavedReply) Validate() error {
	var e InvalidSavedReply
	switch {
	case r.Shortcut == "":
		e.Shortcut = "Give the saved reply a shortcut, such as refund: agents type /refund to use it."
	case utf8.RuneCountInString(r.Shortcut) > MaxShortcutLength:
		e.Shortcut = fmt.Sprintf("A shortcut can be at most %d characters long.", MaxShortcutLength)
	case !shortcutPattern.MatchString(r.Shortcut):
		e.Shortcut = "A shortcut can hold only lowercase letters, digits, - and _ (no spaces)."
	}
	if utf8.RuneCountInString(r.Title) > MaxSavedTitle {
		e.Title = fmt.Sprintf("A title can be at most %d characters long.", MaxSavedTitle)
	}
	switch n := utf8.RuneCountInString(r.Body); {
	case strings.TrimSpace(r.Body) == "":
		e.Body = "Write the text of the reply."
	case n > MaxReplyLength:
		e.Body = fmt.Sprintf("The text is %d characters long; a reply can be at most %d.", n, MaxReplyLength)
	default:
		if bad := unknownPlaceholders(r.Body); len(bad) > 0 {
			e.Body = fmt.Sprintf("Switchboard does not know %s. The placeholders are %s.",
				strings.Join(bad, ", "), strings.Join(KnownPlaceholders, ", "))
		}
	}
	if e == (InvalidSavedReply{}) {
		return nil
	}
	return &e
}

// placeholderPattern finds {{name}} with optional spaces inside the braces.
var placeholderPattern = regexp.MustCompile(`\{\{\s*([a-zA-Z0-9_.]+)\s*\}\}`)

// unknownPlaceholders are the {{contact.…}} and {{agent.…}} placeholders in
// body that Switchboard cannot fill: most likely typos, which would reach
// the customer as typed. Other {{…}} text is the admin's business.
func unknownPlaceholders(body string) []string {
	var out []string
	for _, m := range placeholderPattern.FindAllStringSubmatch(body, -1) {
		key := m[1]
		if !strings.HasPrefix(key, "contact.") && !strings.HasPrefix(key, "agent.") {
			continue
		}
		if _, ok := placeholderValue(key, PlaceholderValues{}); !ok && !slices.Contains(out, m[0]) {
			out = append(out, m[0])
		}
	}
	return out
}

// PlaceholderValues are what the placeholders stand for in one
// conversation, for one agent.
type PlaceholderValues struct {
	ContactName  string
	ContactPhone string
	AgentName    string
}

func placeholderValue(key string, v PlaceholderValues) (string, bool) {
	switch key {
	case PlaceholderContactName:
		return v.ContactName, true
	case PlaceholderContactPhone:
		return v.ContactPhone, true
	case PlaceholderAgentName:
		return v.AgentName, true
	}
	return "", false
}

// FillPlaceholders puts the values in body's placeholders: {{contact.name}},
// {{contact.phone}} and {{agent.name}}, with or without spaces inside the
// braces. Unknown placeholders stay as typed.
//
// A value that is empty (a customer whose name we do not know) leaves no
// gap: the placeholder goes with the spaces before it, so "Hi
// {{contact.name}}!" reads "Hi!" and "Thanks {{contact.name}}, Ana here"
// reads "Thanks, Ana here". When it starts a line, the punctuation and
// spaces after it go instead: "{{contact.name}}, your order" reads "your
// order".
func FillPlaceholders(body string, v PlaceholderValues) string {
	locs := placeholderPattern.FindAllStringSubmatchIndex(body, -1)
	if len(locs) == 0 {
		return body
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		start, end := l[0], l[1]
		if start < last {
			continue
		}
		val, ok := placeholderValue(body[l[2]:l[3]], v)
		val = strings.TrimSpace(val)
		switch {
		case !ok:
			b.WriteString(body[last:end])
		case val != "":
			b.WriteString(body[last:start])
			b.WriteString(val)
		default:
			before := body[last:start]
			line := b.String() + before
			line = line[strings.LastIndexByte(line, '\n')+1:]
			if strings.TrimSpace(line) != "" {
				// Inside a line: drop the spaces before it.
				b.WriteString(strings.TrimRight(before, " \t"))
			} else {
				// At the start of a line: drop the punctuation and spaces after it.
				b.WriteString(before)
				end += len(body[end:]) - len(strings.TrimLeft(body[end:], ",;:!. \t"))
			}
		}
		last = end
	}
	b.WriteString(body[last:])
	return b.String()
}

// MatchSavedReplies picks the saved replies for what an agent typed after
// the "/", at most limit of them: shortcuts that start with it first, then
// shortcuts and titles that contain it, each group by shortcut. An empty
// query matches every reply. rs is sorted by shortcut.
func MatchSavedReplies(rs []SavedReply, query string, limit int) []SavedReply {
	q := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(query), "/"))
	var first, then []SavedReply
	for _, r := range rs {
		switch {
		case strings.HasPrefix(r.Shortcut, q):
			first = append(first, r)
		case strings.Contains(r.Shortcut, q) || strings.Contains(strings.ToLower(r.Title), q):
			then = append(then, r)
		}
	}
	out := append(first, then...)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
