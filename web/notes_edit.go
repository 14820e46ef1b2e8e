package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// Editing and deleting notes. An agent edits and deletes their own notes,
// an admin deletes anyone's; an API token edits the notes written through
// the API and deletes any. Every page with the thread open gets the new
// bubble, or loses it, on the next live update; mentions follow the text.

// noteChange reads the conversation and note ids of the path.
func noteChange(c echo.Context) (inbox.NoteChange, error) {
	id, err := pathID(c)
	if err != nil {
		return inbox.NoteChange{}, err
	}
	noteID, err := strconv.ParseInt(c.Param("noteId"), 10, 64)
	if err != nil || noteID < 1 {
		return inbox.NoteChange{}, newError(http.StatusNotFound, "not_found", "There is nothing here with that id.")
	}
	return inbox.NoteChange{ConversationID: id, NoteID: noteID}, nil
}

// agentNoteChange is a note change by the signed-in agent.
func (s *Server) agentNoteChange(c echo.Context) (inbox.NoteChange, error) {
	nc, err := noteChange(c)
	if err != nil {
		return nc, err
	}
	me := currentUser(c)
	nc.ByID, nc.Admin, nc.At = &me.ID, me.Role == inbox.RoleAdmin, s.now()
	return nc, nil
}

// noteError says why a note cannot be changed.
func noteError(err error) error {
	if errors.Is(err, inbox.ErrForbidden) {
		return newError(http.StatusForbidden, "forbidden", "Only the note's author can change it; an admin can delete it.")
	}
	return err
}

func (s *Server) editNote(c echo.Context, nc inbox.NoteChange) (inbox.Message, error) {
	ctx := c.Request().Context()
	m, added, removed, ch, err := s.store.EditNote(ctx, nc)
	if err != nil {
		return m, noteError(err)
	}
	s.log.Info("note edited", "message_id", m.ID, "conversation_id", m.ConversationID, "mentions_added", len(added), "mentions_removed", len(removed))
	s.publish(ch)
	for _, uid := range added {
		s.mentioned(ctx, uid, m)
	}
	// Those no longer mentioned, and those mentioned still, whose
	// Mentions pages show the note's old text.
	s.unmentioned(ctx, append(removed, s.stillMentioned(ctx, m, added)...), m.ConversationID)
	return m, nil
}

func (s *Server) deleteNote(c echo.Context, nc inbox.NoteChange) error {
	ctx := c.Request().Context()
	m, mentioned, ch, err := s.store.DeleteNote(ctx, nc)
	if err != nil {
		return noteError(err)
	}
	s.log.Info("note deleted", "message_id", m.ID, "conversation_id", m.ConversationID)
	s.publish(ch)
	s.unmentioned(ctx, mentioned, m.ConversationID)
	return nil
}

// unmentioned gives the pages of agents whose mentions in a conversation
// a note's edit or delete changed their Mentions badge's new count, and
// an open Mentions page the conversation's entry as it is now.
func (s *Server) unmentioned(ctx context.Context, userIDs []int64, convID int64) {
	for _, uid := range userIDs {
		s.sendMentions(ctx, uid, convID)
		s.relay(relayMentions, uid, convID)
	}
}

// stillMentioned are the agents an edited note mentions but for those it
// newly mentions (who hear of it as a new mention) and its author.
func (s *Server) stillMentioned(ctx context.Context, note inbox.Message, added []int64) []int64 {
	us, err := s.store.Users(ctx)
	if err != nil {
		return nil
	}
	var out []int64
	for _, id := range inbox.ParseMentions(note.Text, us) {
		if !slices.Contains(added, id) && (note.AuthorID == nil || id != *note.AuthorID) {
			out = append(out, id)
		}
	}
	return out
}

// handleEditNote saves a note's new text and answers with its bubble.
func (s *Server) handleEditNote(c echo.Context) error {
	nc, err := s.agentNoteChange(c)
	if err != nil {
		return err
	}
	nc.Text = c.FormValue("text")
	m, err := s.editNote(c, nc)
	if err != nil {
		return err
	}
	who, _, err := s.everyone(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := views.Message(messageView(m, who, location(c))).Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// handleDeleteNote deletes a note; the page drops its bubble.
func (s *Server) handleDeleteNote(c echo.Context) error {
	nc, err := s.agentNoteChange(c)
	if err != nil {
		return err
	}
	if err := s.deleteNote(c, nc); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}

// handleAPIEditNote is PATCH /api/v1/conversations/{id}/notes/{noteId}
// {text}: 200 with the note.
func (s *Server) handleAPIEditNote(c echo.Context) error {
	nc, err := noteChange(c)
	if err != nil {
		return err
	}
	if nc.Text, err = noteBody(c); err != nil {
		return err
	}
	nc.At = s.now()
	m, err := s.editNote(c, nc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toMessageJSON(m))
}

// handleAPIDeleteNote is DELETE /api/v1/conversations/{id}/notes/{noteId}:
// 204.
func (s *Server) handleAPIDeleteNote(c echo.Context) error {
	nc, err := noteChange(c)
	if err != nil {
		return err
	}
	nc.Admin, nc.At = true, s.now()
	if err := s.deleteNote(c, nc); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
