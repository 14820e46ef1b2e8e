package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// Notes, @mentions, activity lines and the send guard.
//
// A note or an activity line is a message (inbox.Internal) and travels as
// one: it is published as a Change and reaches the open threads as a
// bubble, in time order. A mention also goes straight to the mentioned
// agent's pages as a hub direct message (see mentioned).

// handleNote is the composer's Note tab: the note shows at once, in this
// response and on every page with the thread open.
func (s *Server) handleNote(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	me := currentUser(c).ID
	m, err := s.addNote(c, inbox.Note{ConversationID: id, AuthorID: &me, Text: c.FormValue("text")})
	if err != nil {
		return err
	}
	return s.renderBubble(c, m, http.StatusOK)
}

// noteBody reads an API request's {"text": "..."}.
func noteBody(c echo.Context) (string, error) {
	var in struct {
		Text string `json:"text"`
	}
	if err := decodeJSONBody(c, &in, `The body must be JSON: {"text": "..."}.`, "text"); err != nil {
		return "", err
	}
	return in.Text, nil
}

// handleAPINote is POST /api/v1/conversations/{id}/notes: 201 with the
// note, a message with direction "internal" and type "note".
func (s *Server) handleAPINote(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	text, err := noteBody(c)
	if err != nil {
		return err
	}
	m, err := s.addNote(c, inbox.Note{ConversationID: id, Text: text})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toMessageJSON(m))
}

func (s *Server) addNote(c echo.Context, n inbox.Note) (inbox.Message, error) {
	if strings.TrimSpace(n.Text) == "" {
		return inbox.Message{}, newError(http.StatusBadRequest, "empty_note", "Write a note first.")
	}
	if l := len([]rune(n.Text)); l > inbox.MaxNoteLength {
		return inbox.Message{}, newError(http.StatusBadRequest, "note_too_long",
			fmt.Sprintf("A note has at most %d characters; this one has %d.", inbox.MaxNoteLength, l))
	}
	ctx := c.Request().Context()
	n.At = s.now()
	m, mentioned, ch, err := s.store.AddNote(ctx, n)
	if err != nil {
		return inbox.Message{}, err
	}
	s.log.Info("note added", "message_id", m.ID, "conversation_id", m.ConversationID, "mentions", len(mentioned))
	s.publish(ch)
	for _, uid := range mentioned {
		s.mentioned(ctx, uid, m)
	}
	return m, nil
}

// mentioned is where an agent hears of a note that @mentions them, after
// its commit: every page of theirs gets a hub direct message
//
//	<i data-live="mention" data-conversation="7" data-message="42"
//	   data-author="3" data-count="2" hidden></i>
//
// (data-count: their conversations with unseen mentions, the badge), on
// which static/app.js updates the Mentions badge and dispatches the DOM
// event "switchboard:mention" with those values in its detail, for sounds
// and desktop notifications. The agent's notifications (a notify part,
// or Web Push to a closed tab) go through notifyMentioned.
func (s *Server) mentioned(ctx context.Context, userID int64, note inbox.Message) {
	s.mentionedHere(ctx, userID, note, true)
	s.relay(relayMention, userID, note.ID)
}

// mentionedHere is mentioned for this process's pages; here is false for
// a mention another process stored, which sends the Web Push itself.
func (s *Server) mentionedHere(ctx context.Context, userID int64, note inbox.Message, here bool) {
	author := int64(0)
	if note.AuthorID != nil {
		author = *note.AuthorID
	}
	s.notifyMentioned(note.ConversationID, note.ID, userID, author, note.Text, !here)
	n, err := s.store.UnseenMentions(ctx, userID)
	if err != nil {
		s.log.Warn("count unseen mentions", "user_id", userID, "err", err)
		return
	}
	msg := fmt.Appendf(nil,
		`<i data-live="mention" data-conversation="%d" data-message="%d" data-author="%d" data-count="%d" hidden></i>`,
		note.ConversationID, note.ID, author, n)
	s.hub.sendUser(userID, append(msg, s.mentionItem(ctx, note)...))
}

// mentionItem is the Mentions view's entry for a new mention, for an open
// Mentions page to put at the top; nil when it cannot be read. Its time
// is in UTC, which the page shows in the agent's zone.
func (s *Server) mentionItem(ctx context.Context, note inbox.Message) []byte {
	c, err := s.store.Conversation(ctx, note.ConversationID)
	if err != nil {
		return nil
	}
	who, err := s.people(ctx)
	if err != nil {
		return nil
	}
	it := views.MentionItemView{ConversationID: c.ID,
		Href: "/conversations/" + strconv.FormatInt(c.ID, 10) + "#m-" + strconv.FormatInt(note.ID, 10),
		Name: c.Contact.DisplayName(), Author: who.name(note.AuthorID), Text: note.Text,
		At: note.CreatedAt, When: note.CreatedAt.UTC().Format("2 Jan 15:04"), Unseen: true}
	var buf bytes.Buffer
	buf.WriteString(`<template data-live="mention-item">`)
	if err := views.MentionItem(it).Render(ctx, &buf); err != nil {
		return nil
	}
	buf.WriteString(`</template>`)
	return buf.Bytes()
}

// mentionItemView is a conversation of the Mentions view, its time in loc.
func mentionItemView(mn inbox.Mention, who people, loc *time.Location) views.MentionItemView {
	return views.MentionItemView{ConversationID: mn.ConversationID,
		Href: "/conversations/" + strconv.FormatInt(mn.ConversationID, 10) + "#m-" + strconv.FormatInt(mn.MessageID, 10),
		Name: mn.Conversation.Contact.DisplayName(), Author: who.name(mn.Note.AuthorID), Text: mn.Note.Text,
		At: mn.At, When: mn.At.In(loc).Format("2 Jan 15:04"), Unseen: mn.Unseen > 0,
	}
}

// mentionsOf is what an open Mentions page of the user needs after a note
// of the conversation that mentions (or mentioned) them was edited or
// deleted: the conversation's entry as it is now, to put in place of the
// one shown, or, when nothing in it mentions the user any more, a part
// that takes it away. nil when it cannot be read.
func (s *Server) mentionsOf(ctx context.Context, userID, convID int64) []byte {
	ms, err := s.store.Mentions(ctx, userID, mentionsShown)
	if err != nil {
		return nil
	}
	i := slices.IndexFunc(ms, func(mn inbox.Mention) bool { return mn.ConversationID == convID })
	if i < 0 {
		return fmt.Appendf(nil, `<i data-live="mention-gone" data-conversation="%d" hidden></i>`, convID)
	}
	who, err := s.people(ctx)
	if err != nil {
		return nil
	}
	var buf bytes.Buffer
	buf.WriteString(`<template data-live="mention-item" data-in-place>`)
	if err := views.MentionItem(mentionItemView(ms[i], who, time.UTC)).Render(ctx, &buf); err != nil {
		return nil
	}
	buf.WriteString(`</template>`)
	return buf.Bytes()
}

// seeMentions marks the agent's mentions in a conversation they opened as
// seen, and gives their pages the badge's new count.
func (s *Server) seeMentions(ctx context.Context, userID, convID int64) {
	changed, err := s.store.MarkMentionsSeen(ctx, convID, userID, s.now())
	if err != nil || !changed {
		if err != nil {
			s.log.Warn("mark mentions seen", "user_id", userID, "conversation_id", convID, "err", err)
		}
		return
	}
	s.sendMentionCount(ctx, userID)
	s.relay(relayMentions, userID)
}

// mentionsShown is how many conversations the Mentions view lists.
const mentionsShown = 100

// handleMentions is the Mentions view: the conversations in which the
// agent was mentioned, unseen first.
func (s *Server) handleMentions(c echo.Context) error {
	ctx := c.Request().Context()
	me := currentUser(c).ID
	mark := s.hub.Mark() // before reading: later mentions reach the page live
	ms, err := s.store.Mentions(ctx, me, mentionsShown)
	if err != nil {
		return err
	}
	who, _, err := s.everyone(c)
	if err != nil {
		return err
	}
	loc := location(c)
	v := views.MentionsView{Page: s.page(c, "Mentions · Switchboard"), Live: mark}
	for _, mn := range ms {
		v.Items = append(v.Items, mentionItemView(mn, who, loc))
		if mn.Unseen > 0 {
			v.Unseen++
		}
	}
	return s.render(c, http.StatusOK, views.MentionsPage(v))
}

// internalView fills in what a note or an activity line shows.
func internalView(v views.MessageView, m inbox.Message, who people) views.MessageView {
	if m.Type == inbox.TypeNote {
		v.Author = who.name(m.AuthorID)
		return v
	}
	if m.Content != nil && m.Content.Activity != nil {
		v.Activity, v.ActivityUntil = activitySentence(*m.Content.Activity, m.AuthorID, who)
	}
	return v
}

// activitySentence says who did what: "Maya assigned this to Ben". A time
// that follows it (a snooze's end) is returned apart, for the page to show
// in the agent's zone.
func activitySentence(a inbox.ActivityContent, actor *int64, who people) (string, time.Time) {
	by := func(s string) string {
		if actor == nil {
			return s
		}
		return s + " by " + who.name(actor)
	}
	switch a.Kind {
	case inbox.ActivityAssigned:
		switch {
		case actor == nil:
			return "Assigned to " + who.name(a.TargetID), time.Time{}
		case a.TargetID != nil && *a.TargetID == *actor:
			return who.name(actor) + " took this", time.Time{}
		}
		return who.name(actor) + " assigned this to " + who.name(a.TargetID), time.Time{}
	case inbox.ActivityUnassigned:
		if a.Detail == inbox.UnassignedDeactivated {
			return "Unassigned: " + who.name(a.TargetID) + " was deactivated", time.Time{}
		}
		if actor == nil {
			return "Unassigned", time.Time{}
		}
		return who.name(actor) + " unassigned this", time.Time{}
	case inbox.ActivityResolved:
		return by("Resolved"), time.Time{}
	case inbox.ActivityReopened:
		return by("Reopened"), time.Time{}
	case inbox.ActivityAutoReplySkipped:
		s := "Auto-reply skipped"
		if a.Rule != "" {
			s = "Auto-reply " + a.Rule + " skipped"
		}
		if a.Detail != "" {
			s += ": " + a.Detail
		}
		return s, time.Time{}
	case inbox.ActivitySnoozed:
		if a.Until.IsZero() {
			return by("Snoozed until the customer writes"), time.Time{}
		}
		if actor == nil {
			return "Snoozed until", a.Until
		}
		return who.name(actor) + " snoozed this until", a.Until
	case inbox.ActivitySnoozeEnded:
		if actor != nil {
			return who.name(actor) + " ended the snooze", time.Time{}
		}
		return "Snooze ended", time.Time{}
	case inbox.ActivityLabelAdded:
		return by("Label " + a.Detail + " added"), time.Time{}
	case inbox.ActivityLabelRemoved:
		return by("Label " + a.Detail + " removed"), time.Time{}
	}
	return by(strings.ReplaceAll(string(a.Kind), "_", " ")), time.Time{}
}

// recordActivity writes an activity line after the change it describes
// was committed, and publishes it. A failure is logged: the change itself
// stands.
func (s *Server) recordActivity(ctx context.Context, a inbox.ThreadActivity) {
	a.At = s.now()
	_, ch, err := s.store.RecordActivity(ctx, a)
	if err != nil {
		s.log.Error("record activity", "conversation_id", a.ConversationID, "kind", a.Kind, "err", err)
		return
	}
	s.publish(ch)
}

// draftSince reads the send guard's field: the id of the newest message
// the composer had when the agent started the draft; nil when not given.
func draftSince(v string) (*int64, error) {
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, newError(http.StatusBadRequest, "invalid_parameter", "draftSince must be a message id.")
	}
	return &n, nil
}

// draftChangedJSON is the send guard's 409: what changed, and the id a
// second Send passes with.
type draftChangedJSON struct {
	Error    *apiError     `json:"error"`
	Latest   int64         `json:"latest"`
	Messages []messageJSON `json:"messages"`
	// HTML is the changes as the thread shows them, for the composer.
	HTML string `json:"html,omitempty"`
}

// orDraftChanged answers a reply the send guard stopped with 409 and what
// changed (as bubbles too, for a page); any other error is returned as it
// is.
func (s *Server) orDraftChanged(c echo.Context, err error, page bool) error {
	var dc *inbox.DraftChanged
	if !errors.As(err, &dc) {
		return err
	}
	who, _, err := s.everyone(c)
	if err != nil {
		return err
	}
	out := draftChangedJSON{Latest: dc.Latest, Messages: make([]messageJSON, 0, len(dc.Messages)),
		Error: newError(http.StatusConflict, "draft_changed", draftChangeSentence(dc.Messages, who)+
			" Your reply was not sent: read what changed, then send again to send it anyway.")}
	var buf bytes.Buffer
	for _, m := range dc.Messages {
		out.Messages = append(out.Messages, toMessageJSON(m))
		if page {
			if err := views.Message(messageView(m, who, location(c))).Render(c.Request().Context(), &buf); err != nil {
				return err
			}
		}
	}
	out.HTML = buf.String()
	s.log.Info("reply stopped by the send guard", "conversation_id", pathIDOrZero(c), "changes", len(dc.Messages))
	return c.JSON(http.StatusConflict, out)
}

func pathIDOrZero(c echo.Context) int64 {
	id, _ := pathID(c)
	return id
}

// draftChangeSentence says in one sentence what changed under a draft.
func draftChangeSentence(ms []inbox.Message, who people) string {
	var parts []string
	add := func(s string) {
		for _, p := range parts {
			if p == s {
				return
			}
		}
		parts = append(parts, s)
	}
	for _, m := range ms {
		switch {
		case m.Direction == inbox.Inbound:
			add("the customer wrote again")
		case m.Direction == inbox.Outbound:
			if m.AuthorID != nil {
				add(who.name(m.AuthorID) + " replied")
			} else {
				add("a reply was sent")
			}
		case m.Type == inbox.TypeNote:
			if m.AuthorID != nil {
				add(who.name(m.AuthorID) + " added a note")
			} else {
				add("a note was added")
			}
		case m.Content != nil && m.Content.Activity != nil && m.Content.Activity.TargetID != nil:
			add("it was assigned to " + who.name(m.Content.Activity.TargetID))
		default:
			add("it was unassigned")
		}
	}
	s := strings.Join(parts, ", ")
	if s == "" {
		return "The conversation changed."
	}
	return "While you were writing, " + s + "."
}
