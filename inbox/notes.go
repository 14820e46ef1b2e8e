package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Internal marks what the team writes for itself in a thread: notes and
// activity lines. Such a message is never sent to Zavu (nothing puts it in
// the outbox), is never a reply (reports count inbound and outbound
// messages only), and leaves the conversation's preview, latest activity,
// unread count and WhatsApp window alone: those derive from the messages
// the customer sees.
const Internal Direction = "internal"

// The types of internal messages.
const (
	TypeNote     MessageType = "note"     // an agent's private note
	TypeActivity MessageType = "activity" // who did what: "Maya assigned this to Ben"
)

// SourceSwitchboard marks an activity line no one did: an auto-reply
// skipped, a snooze that ended. A line of a change a script made through
// the API has SourceAPI, as the API's notes and replies have.
const SourceSwitchboard Source = "switchboard"

// MaxNoteLength bounds a note's text, as MaxReplyLength bounds a reply's.
const MaxNoteLength = 4096

// ActivityKind is what an activity line records.
type ActivityKind string

const (
	ActivityAssigned         ActivityKind = "assigned" // TargetID is the new assignee
	ActivityUnassigned       ActivityKind = "unassigned"
	ActivityResolved         ActivityKind = "resolved"
	ActivityReopened         ActivityKind = "reopened"
	ActivityAutoReplySkipped ActivityKind = "auto_reply_skipped" // Detail is the reason, Rule the rule
	ActivitySnoozed          ActivityKind = "snoozed"            // Until is the end, zero for "until the customer writes"
	ActivitySnoozeEnded      ActivityKind = "snooze_ended"
	ActivityLabelAdded       ActivityKind = "label_added"   // Detail is the label's name
	ActivityLabelRemoved     ActivityKind = "label_removed" // Detail is the label's name
)

// UnassignedDeactivated is the Detail of the ActivityUnassigned line a
// conversation gets when its assignee is deactivated: someone who cannot
// sign in cannot answer, so their conversations still open or snoozed go
// back to Unassigned for the team to pick up (see Store.DeactivateUser).
const UnassignedDeactivated = "assignee_deactivated"

// ThreadActivity is one line of "who did what" in a thread. It is stored
// as an internal message of type activity, in time order with the
// messages, and shown live like any message.
type ThreadActivity struct {
	ConversationID int64
	Kind           ActivityKind
	// ActorID is who did it; nil when Switchboard did (an auto-reply
	// skipped, a snooze that ended) or a script through the API (ByAPI).
	ActorID *int64
	// ByAPI marks a change an API token made: its line's source is api.
	ByAPI bool
	// TargetID is the assignee, for ActivityAssigned; for an
	// ActivityUnassigned line with Detail UnassignedDeactivated, the
	// assignee who was deactivated.
	TargetID *int64
	Detail   string    // a label's name, an auto-reply skip's reason, why a conversation was unassigned
	Rule     string    // the auto-reply rule, for ActivityAutoReplySkipped
	Until    time.Time // a snooze's end
	At       time.Time
}

// ActivityContent is what an activity line keeps in Message.Content.
type ActivityContent struct {
	Kind     ActivityKind `json:"kind"`
	TargetID *int64       `json:"targetId,omitempty"`
	Detail   string       `json:"detail,omitempty"`
	Rule     string       `json:"rule,omitempty"`
	Until    time.Time    `json:"until,omitzero"`
}

// Message is the activity as it is stored.
func (a ThreadActivity) Message() Message {
	src := SourceAgent
	switch {
	case a.ActorID != nil:
	case a.ByAPI:
		src = SourceAPI
	default:
		src = SourceSwitchboard
	}
	return Message{
		ConversationID: a.ConversationID, Direction: Internal, Type: TypeActivity, Source: src,
		AuthorID: a.ActorID, CreatedAt: a.At, UpdatedAt: a.At,
		// Until in UTC to the millisecond, as the conversation keeps
		// its snooze, not in the zone and precision it came in.
		Content: &Content{Activity: &ActivityContent{Kind: a.Kind, TargetID: a.TargetID, Detail: a.Detail,
			Rule: a.Rule, Until: a.Until.UTC().Truncate(time.Millisecond)}},
	}
}

// RecordActivity writes an activity line into its conversation's thread in
// the caller's transaction and returns the Change to publish after the
// commit. The conversation's preview and order do not move.
func RecordActivity(ctx context.Context, tx Tx, a ThreadActivity) (Message, Change, error) {
	if a.ConversationID == 0 || a.Kind == "" {
		return Message{}, Change{}, fmt.Errorf("an activity without a conversation or kind: %w", ErrInvalid)
	}
	if a.At.IsZero() {
		return Message{}, Change{}, fmt.Errorf("an activity without a time: %w", ErrInvalid)
	}
	conv, err := tx.ConversationByID(ctx, a.ConversationID)
	if err != nil {
		return Message{}, Change{}, err
	}
	m := a.Message()
	m.Channel = conv.Channel
	if err := tx.InsertMessage(ctx, &m); err != nil {
		return Message{}, Change{}, err
	}
	return m, Change{MessageIDs: []int64{m.ID}}, nil
}

// Note is an agent's private note on a conversation.
type Note struct {
	ConversationID int64
	AuthorID       *int64 // the agent; nil for the API
	Text           string
	At             time.Time
}

// NoteTx is what writing a note needs from storage inside one write
// transaction.
type NoteTx interface {
	Tx
	// AddMention records that a note mentions a user.
	AddMention(ctx context.Context, messageID, userID, conversationID int64, at time.Time) error
}

// AddNote writes a note into its conversation's thread in the caller's
// transaction, and records whom of team it @mentions (see ParseMentions;
// the author mentioning themself is no mention). It returns the note, the
// ids of the users mentioned, and the Change to publish after the commit.
// A note never reaches the outbox.
func AddNote(ctx context.Context, tx NoteTx, n Note, team []User) (Message, []int64, Change, error) {
	text := strings.TrimRight(n.Text, " \t\r\n")
	if strings.TrimSpace(text) == "" {
		return Message{}, nil, Change{}, fmt.Errorf("an empty note: %w", ErrInvalid)
	}
	if l := utf8.RuneCountInString(text); l > MaxNoteLength {
		return Message{}, nil, Change{}, fmt.Errorf("a note of %d characters, more than %d: %w", l, MaxNoteLength, ErrInvalid)
	}
	conv, err := tx.ConversationByID(ctx, n.ConversationID)
	if err != nil {
		return Message{}, nil, Change{}, err
	}
	src := SourceAgent
	if n.AuthorID == nil {
		src = SourceAPI
	}
	m := Message{
		ConversationID: conv.ID, Direction: Internal, Channel: conv.Channel, Type: TypeNote, Text: text,
		Source: src, AuthorID: n.AuthorID, CreatedAt: n.At, UpdatedAt: n.At,
	}
	if err := tx.InsertMessage(ctx, &m); err != nil {
		return Message{}, nil, Change{}, err
	}
	var mentioned []int64
	for _, id := range ParseMentions(text, team) {
		if n.AuthorID != nil && id == *n.AuthorID {
			continue
		}
		if err := tx.AddMention(ctx, m.ID, id, conv.ID, n.At); err != nil {
			return Message{}, nil, Change{}, err
		}
		mentioned = append(mentioned, id)
	}
	return m, mentioned, Change{MessageIDs: []int64{m.ID}}, nil
}

// ParseMentions finds the active users of team that text @mentions, in
// the order first mentioned, each once. A mention is "@" then a user's
// full name, in any case, ending at the end of the text, a space or a
// punctuation mark ("@Ana María, can you..." mentions Ana María); when
// several names fit, the longest wins ("@Ben Okafor" is not "@Ben"). A
// user's first name alone mentions them when no other active user has
// that first name. An "@" inside a word (an e-mail address) and a name
// nobody has mention no one.
func ParseMentions(text string, team []User) []int64 {
	type cand struct {
		name string // lower case
		id   int64
	}
	var cands []cand
	first := map[string][]int64{}
	for _, u := range team {
		name := strings.ToLower(strings.Join(strings.Fields(u.Name), " "))
		if !u.Active || name == "" {
			continue
		}
		cands = append(cands, cand{name, u.ID})
		if f, _, ok := strings.Cut(name, " "); ok {
			first[f] = append(first[f], u.ID)
		}
	}
	for f, ids := range first {
		taken := slices.ContainsFunc(cands, func(c cand) bool { return c.name == f })
		if len(ids) == 1 && !taken {
			cands = append(cands, cand{f, ids[0]})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int { return len(b.name) - len(a.name) })

	var out []int64
	lower := strings.ToLower(text)
	for i := 0; i < len(lower); i++ {
		if lower[i] != '@' {
			continue
		}
		if i > 0 {
			prev, _ := utf8.DecodeLastRuneInString(lower[:i])
			if unicode.IsLetter(prev) || unicode.IsDigit(prev) {
				continue // an e-mail address
			}
		}
		rest := lower[i+1:]
		for _, c := range cands {
			if !hasNamePrefix(rest, c.name) {
				continue
			}
			if !slices.Contains(out, c.id) {
				out = append(out, c.id)
			}
			i += len(c.name)
			break
		}
	}
	return out
}

// hasNamePrefix reports whether s starts with name, written with any
// spacing between its words, followed by the end, a space or punctuation.
func hasNamePrefix(s, name string) bool {
	if !strings.HasPrefix(s, name) {
		return false
	}
	next, _ := utf8.DecodeRuneInString(s[len(name):])
	return len(s) == len(name) || !(unicode.IsLetter(next) || unicode.IsDigit(next) || next == '_' || next == '-')
}

// DraftChanged is the send guard's answer: since the agent started the
// draft, the conversation changed in ways they should see before their
// reply goes. It wraps ErrConflict.
type DraftChanged struct {
	// Messages are what arrived meanwhile, oldest first: the customer's
	// messages, teammates' replies and notes, and assignments to someone
	// else.
	Messages []Message
	// Latest is the id of the newest message of the thread now: a draft
	// started from it passes the guard.
	Latest int64
}

func (e *DraftChanged) Error() string {
	return fmt.Sprintf("the conversation changed since the draft was started (%d new)", len(e.Messages))
}

func (e *DraftChanged) Unwrap() error { return ErrConflict }

// DraftChanges picks, of the messages that arrived in a thread after an
// agent started a draft, those the agent must see before their reply
// goes: a message from the customer, a reply or note by anyone else, and
// the conversation being assigned to someone else or unassigned. The
// agent's own messages, auto-replies, delivery placeholders and other
// activity lines do not stop a reply.
func DraftChanges(me int64, since []Message) []Message {
	var out []Message
	mine := func(m Message) bool { return m.AuthorID != nil && *m.AuthorID == me }
	for _, m := range since {
		switch {
		case m.Direction == Inbound:
		case m.Direction == Outbound && m.Type != TypeUnknown && m.Source != SourceAutoReply && !mine(m):
		case m.Direction == Internal && m.Type == TypeNote && !mine(m):
		case m.Direction == Internal && m.Type == TypeActivity && m.Content != nil && m.Content.Activity != nil &&
			(m.Content.Activity.Kind == ActivityUnassigned || m.Content.Activity.Kind == ActivityAssigned &&
				(m.Content.Activity.TargetID == nil || *m.Content.Activity.TargetID != me)):
		default:
			continue
		}
		out = append(out, m)
	}
	return out
}

// GuardTx is what the send guard reads inside the reply's transaction.
type GuardTx interface {
	// MessagesAfter lists the messages of a conversation stored after the
	// message with id after (by id: the order they arrived in), oldest
	// first, at most limit.
	MessagesAfter(ctx context.Context, conversationID, after int64, limit int) ([]Message, error)
}

// checkDraft is the send guard inside QueueReply: for a reply that says
// which message the draft started from (Reply.DraftSince), a *DraftChanged
// error when DraftChanges finds anything since.
func checkDraft(ctx context.Context, tx Tx, r Reply) error {
	if r.DraftSince == nil {
		return nil
	}
	me := int64(0) // the API: nothing is its own but what it sent
	if r.AuthorID != nil {
		me = *r.AuthorID
	}
	gtx, ok := tx.(GuardTx)
	if !ok {
		return errors.New("the store cannot check drafts")
	}
	since, err := gtx.MessagesAfter(ctx, r.ConversationID, *r.DraftSince, 200)
	if err != nil {
		return err
	}
	changed := DraftChanges(me, since)
	if len(changed) == 0 {
		return nil
	}
	latest := since[len(since)-1].ID
	return &DraftChanged{Messages: changed, Latest: latest}
}

// Mention is a conversation in which a user was @mentioned, for their
// Mentions view.
type Mention struct {
	ConversationID int64
	Conversation   Conversation
	MessageID      int64     // the latest note that mentions the user
	Note           Message   // that note
	At             time.Time // its time
	Unseen         int       // mentions the user has not seen yet
}

// NoteStore is the storage of notes, activity lines and mentions.
type NoteStore interface {
	// AddNote writes a note and records its mentions (see AddNote).
	AddNote(ctx context.Context, n Note) (Message, []int64, Change, error)
	// RecordActivity writes an activity line (see RecordActivity).
	RecordActivity(ctx context.Context, a ThreadActivity) (Message, Change, error)
	// Mentions lists the conversations that mention a user, those with
	// unseen mentions first, then the latest first.
	Mentions(ctx context.Context, userID int64, limit int) ([]Mention, error)
	// UnseenMentions counts the conversations with mentions the user has
	// not seen.
	UnseenMentions(ctx context.Context, userID int64) (int, error)
	// MarkMentionsSeen marks the user's mentions in a conversation seen
	// and reports whether any was unseen.
	MarkMentionsSeen(ctx context.Context, conversationID, userID int64, at time.Time) (bool, error)
}
