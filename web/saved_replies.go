package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// savedSuggestions bounds the composer's list of saved replies.
const savedSuggestions = 10

// handleSavedReplyOptions is the composer's list of saved replies for what
// the agent typed after a "/" (?q=), each filled for this conversation's
// customer and the signed-in agent: the placeholder rule lives here, in
// Go, not in the browser.
func (s *Server) handleSavedReplyOptions(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	conv, err := s.store.Conversation(ctx, id)
	if err != nil {
		return err
	}
	rs, err := s.store.SavedReplies(ctx)
	if err != nil {
		return err
	}
	q := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(c.QueryParam("q")), "/"))
	if r := []rune(q); len(r) > inbox.MaxShortcutLength {
		q = string(r[:inbox.MaxShortcutLength])
	}
	values := inbox.PlaceholderValues{
		ContactName: conv.Contact.Name, ContactPhone: conv.Contact.Phone, AgentName: currentUser(c).Name,
	}
	v := views.SavedReplyOptionsView{ConvID: id, Query: q, NoneSaved: len(rs) == 0}
	for _, r := range inbox.MatchSavedReplies(rs, q, savedSuggestions) {
		v.Options = append(v.Options, views.SavedReplyOption{
			Shortcut: r.Shortcut, Title: r.Title, Text: inbox.FillPlaceholders(r.Body, values),
		})
	}
	return s.render(c, http.StatusOK, views.SavedReplyOptions(v))
}
