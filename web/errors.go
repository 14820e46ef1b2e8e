package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// apiError is an error as scripts and Zavu see it:
// {"error": {"code": "...", "message": "..."}}. Message is a plain sentence,
// never a Go error string.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, message string) *apiError {
	return &apiError{Status: status, Code: code, Message: message}
}

// errorFor maps a domain error to what the client is told. Errors without a
// meaning the client can act on become a 500 with no detail; the cause is
// logged instead.
func errorFor(err error) *apiError {
	var ae *apiError
	var he *echo.HTTPError
	var ie *inbox.InvalidError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ie):
		return newError(http.StatusBadRequest, ie.Code, ie.Message)
	case errors.Is(err, inbox.ErrNotFound):
		return newError(http.StatusNotFound, "not_found", "There is nothing here with that id.")
	case errors.Is(err, inbox.ErrInvalid):
		return newError(http.StatusBadRequest, "invalid_parameter", "A parameter is not valid.")
	case errors.Is(err, inbox.ErrConflict):
		return newError(http.StatusConflict, "conflict", "That conflicts with what is already stored.")
	case errors.Is(err, inbox.ErrUnauthorized):
		return newError(http.StatusUnauthorized, "unauthorized", "A valid API token is required.")
	case errors.Is(err, inbox.ErrWindowClosed):
		return newError(http.StatusUnprocessableEntity, "whatsapp_window_closed",
			"More than 24 hours have passed since the customer last wrote; only an approved template can be sent.")
	case errors.Is(err, inbox.ErrOptedOut):
		return newError(http.StatusUnprocessableEntity, "opted_out",
			"The customer opted out by replying STOP; nothing can be sent until they text START.")
	case errors.Is(err, inbox.ErrStoreClosed):
		return newError(http.StatusServiceUnavailable, "unavailable", "Switchboard is shutting down; try again shortly.")
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound:
			return newError(he.Code, "not_found", "There is no such page or route.")
		case http.StatusMethodNotAllowed:
			return newError(he.Code, "method_not_allowed", "That method is not allowed here.")
		case http.StatusRequestEntityTooLarge:
			return newError(he.Code, "too_large", "The request body is too large.")
		}
		if he.Code < 500 {
			return newError(he.Code, "bad_request", http.StatusText(he.Code)+".")
		}
	}
	return newError(http.StatusInternalServerError, "internal", "Something went wrong on our side. It has been logged.")
}

// handleError is echo's error handler: every error leaves as JSON.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ae := errorFor(err)
	var chosen *apiError
	if ae.Status >= 500 && !errors.As(err, &chosen) {
		// An error no handler answered itself (one that did has logged
		// its cause). When the database fails, every request fails
		// alike: one line a second.
		s.failLog.Log(c.Request().Context(), slog.LevelError, "request failed",
			"method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	// A HEAD is answered as its GET, headers and all (Content-Type,
	// Content-Length): net/http leaves out the body.
	r := c.Request()
	if wantsHTML(r) && r.Header.Get("HX-Request") == "" && !strings.HasPrefix(r.URL.Path, "/api/") {
		// A person in a browser gets a page, in words.
		_ = s.render(c, ae.Status, views.ErrorPage(views.Page{Title: "Switchboard"}, http.StatusText(ae.Status), ae.Message))
		return
	}
	_ = c.JSON(ae.Status, map[string]*apiError{"error": ae})
}
