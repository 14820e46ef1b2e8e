package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// Page sizes for the JSON API.
const (
	defaultLimit = 50
	maxLimit     = 200
)

func queryLimit(c echo.Context) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxLimit {
		return 0, newError(http.StatusBadRequest, "invalid_parameter", "limit must be a whole number from 1 to 200.")
	}
	return n, nil
}

func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, newError(http.StatusNotFound, "not_found", "There is nothing here with that id.")
	}
	return id, nil
}

// invalidCursor maps a store's complaint about a cursor to a 400.
func invalidCursor(err error) error {
	var ie *inbox.InvalidError
	if errors.As(err, &ie) {
		return err
	}
	if errors.Is(err, inbox.ErrInvalid) {
		return newError(http.StatusBadRequest, "invalid_parameter", "The cursor is not one this API gave out.")
	}
	return err
}

// GET /api/v1/conversations?status=open|resolved|all&limit=&cursor=
func (s *Server) handleAPIConversations(c echo.Context) error {
	// A script paging through them all sees each once, in the order of
	// the first page, whatever comes meanwhile.
	f := inbox.ConversationFilter{Cursor: c.QueryParam("cursor"), Label: c.QueryParam("label"), Steady: true}
	switch st := c.QueryParam("status"); st {
	case "", "all":
	case string(inbox.Open), string(inbox.Resolved), string(inbox.Snoozed):
		f.Status = inbox.ConversationStatus(st)
	default:
		return newError(http.StatusBadRequest, "invalid_parameter", "status must be open, resolved, snoozed or all.")
	}
	var err error
	if f.Limit, err = queryLimit(c); err != nil {
		return err
	}
	items, next, err := s.store.Conversations(c.Request().Context(), f)
	if err != nil {
		return invalidCursor(err)
	}
	return c.JSON(http.StatusOK, newPage(items, next, toConversationJSON))
}

// GET /api/v1/conversations/{id}
func (s *Server) handleAPIConversation(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	conv, err := s.store.Conversation(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toConversationJSON(conv))
}

// GET /api/v1/conversations/{id}/messages?limit=&before=
func (s *Server) handleAPIMessages(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.store.Conversation(ctx, id); err != nil {
		return err
	}
	f := inbox.MessageFilter{Before: c.QueryParam("before")}
	if f.Limit, err = queryLimit(c); err != nil {
		return err
	}
	items, next, err := s.store.Messages(ctx, id, f)
	if err != nil {
		return invalidCursor(err)
	}
	return c.JSON(http.StatusOK, newPage(items, next, toMessageJSON))
}

// GET /api/v1/messages/{id}: id is ours, or Zavu's msg_... id.
func (s *Server) handleAPIMessage(c echo.Context) error {
	ctx := c.Request().Context()
	raw := strings.TrimSpace(c.Param("id"))
	var (
		m   inbox.Message
		err error
	)
	if id, perr := strconv.ParseInt(raw, 10, 64); perr == nil && id > 0 {
		m, err = s.store.Message(ctx, id)
	} else {
		m, err = s.store.MessageByZavuID(ctx, raw)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toMessageJSON(m))
}

// GET /api/v1/events?state=failed|all: the webhook log, newest first.
func (s *Server) handleAPIEvents(c echo.Context) error {
	f := inbox.EventFilter{Cursor: c.QueryParam("cursor")}
	switch st := c.QueryParam("state"); st {
	case "", "all":
	case string(inbox.EventFailed), string(inbox.EventApplied), string(inbox.EventPending):
		f.State = inbox.EventState(st)
	default:
		return newError(http.StatusBadRequest, "invalid_parameter", "state must be failed, applied, pending or all.")
	}
	var err error
	if f.Limit, err = queryLimit(c); err != nil {
		return err
	}
	items, next, err := s.store.Events(c.Request().Context(), f)
	if err != nil {
		return invalidCursor(err)
	}
	return c.JSON(http.StatusOK, newPage(items, next, toEventJSON))
}
