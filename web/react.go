package web

import (
	"context"
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// handleReact puts the team's emoji on a customer's message through Zavu,
// then records it; an empty emoji takes it back.
func (s *Server) handleReact(c echo.Context) error {
	if s.reactor == nil {
		return newError(http.StatusNotFound, "not_found", "Reactions are not available here.")
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	emoji := c.FormValue("emoji")
	if len(emoji) > 32 || !utf8.ValidString(emoji) {
		return newError(http.StatusBadRequest, "invalid_parameter", "Choose one emoji.")
	}
	ctx := c.Request().Context()
	m, err := s.store.Message(ctx, id)
	if err != nil {
		return err
	}
	if m.Direction != inbox.Inbound || m.ZavuID == "" || m.Channel != inbox.WhatsApp {
		return newError(http.StatusConflict, "cannot_react", "Only a customer's WhatsApp message can get a reaction.")
	}
	zctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := s.reactor.React(zctx, m.ZavuID, emoji); err != nil {
		s.log.Warn("reaction not sent", "message_id", m.ID, "err", err)
		// Refused for good, it says why, as a failed reply does: trying
		// again would not help.
		var se *inbox.SendError
		if errors.As(err, &se) && !se.Temporary {
			return newError(http.StatusBadGateway, "reaction_failed", "Zavu did not take the reaction. "+inbox.ExplainFailure(se.Code, se.Message))
		}
		return newError(http.StatusBadGateway, "reaction_failed", "Zavu did not take the reaction. Try again in a moment.")
	}
	ch, err := s.store.ReactAsBusiness(ctx, m.ID, emoji, s.now())
	if err != nil {
		return err
	}
	s.publish(ch)
	return c.NoContent(http.StatusNoContent)
}
