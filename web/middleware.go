package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// contentSecurityPolicy allows only Switchboard's own scripts, styles and
// connections: no inline script, no eval, no third-party origin.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		// Every answer carries them, a webhook's too, thousands a second:
		// each is one value shared by all answers (a handler that sets
		// its own replaces it; an Add copies it, as it has no room; none
		// writes into one in place).
		h["Content-Security-Policy"] = headerCSP
		h["X-Content-Type-Options"] = headerNoSniff
		h["X-Frame-Options"] = headerDeny
		h["Referrer-Policy"] = headerSameOrigin
		h["Cross-Origin-Opener-Policy"] = headerSameOrigin
		h["Permissions-Policy"] = headerPermissions
		if s.https() {
			h["Strict-Transport-Security"] = headerHSTS
		}
		if isAPIPath(c.Request().URL.Path) {
			// The JSON API answers with customer data behind a token,
			// or with what a token may do: no cache keeps any of it,
			// whatever the status.
			h["Cache-Control"] = headerNoStore
		}
		return next(c)
	}
}

// The security headers' values, made once; their capacity is their
// length, so appending to one copies it instead of changing it for all.
var (
	headerCSP         = oneValue(contentSecurityPolicy)
	headerNoSniff     = oneValue("nosniff")
	headerDeny        = oneValue("DENY")
	headerSameOrigin  = oneValue("same-origin")
	headerPermissions = oneValue("camera=(), microphone=(), geolocation=()")
	headerHSTS        = oneValue("max-age=63072000; includeSubDomains")
	headerNoStore     = oneValue("no-store")
)

// isAPIPath reports whether path is the JSON API's (any version, or none
// that exists).
func isAPIPath(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/")
}

func oneValue(v string) []string { return []string{v}[:1:1] }

// logRequests writes one JSON line per request.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case status >= 400:
			level = slog.LevelWarn
		case status == http.StatusOK && c.Path() == "/webhooks/zavu":
			// Zavu's deliveries come by the thousand a second in a
			// burst: /metrics counts those stored; a refused one is
			// logged as a warning.
			level = slog.LevelDebug
		}
		ctx := c.Request().Context()
		if !s.log.Enabled(ctx, level) {
			return nil
		}
		attrs := []slog.Attr{
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.Int("status", status),
			slog.Duration("took", time.Since(start)),
			slog.String("remote", c.RealIP()),
		}
		if id, ok := c.Get(logEventID).(string); ok {
			attrs = append(attrs, slog.String("event_id", id))
		}
		s.log.LogAttrs(ctx, level, "http request", attrs...)
		return nil
	}
}

// recoverPanics turns a panic in a handler into a 500 and a log line with
// the stack, instead of a dropped connection.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("handler panicked", "path", c.Request().URL.Path, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}

// logEventID is the context key under which the webhook handler leaves the
// event id for the request log line.
const logEventID = "event_id"

// ctxSmallBody marks a request whose body limitBody capped: its form may
// be parsed.
const ctxSmallBody = "small_body"

// limitAPIBody reads an API request's body, at most maxFormBody bytes,
// before its handler: a larger one is refused with 413, whether it says
// its length or comes in chunks, where a handler reading it cut short
// would only see JSON that does not parse.
func limitAPIBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > maxFormBody {
			return errAPIBodyTooLarge
		}
		if r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		b, err := io.ReadAll(http.MaxBytesReader(c.Response().Writer, r.Body, maxFormBody))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return errAPIBodyTooLarge
		case err != nil:
			return newError(http.StatusBadRequest, "unreadable_body", "The request body could not be read.")
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		return next(c)
	}
}

var errAPIBodyTooLarge = newError(http.StatusRequestEntityTooLarge, "too_large", "The request body is larger than 64 KiB.")

// limitBody caps request bodies at n bytes: a larger one is refused with
// 413, before it is read when it says its length, else once n bytes have
// come. A form is parsed here, so no handler mistakes a form cut short
// for an empty one.
func limitBody(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > n {
				return errFormTooLarge()
			}
			// The server's own writer, so that a body past n also ends the
			// connection after the answer instead of being read on.
			r.Body = http.MaxBytesReader(c.Response().Writer, r.Body, n)
			c.Set(ctxSmallBody, true)
			var err error
			switch mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt {
			case "application/x-www-form-urlencoded":
				err = r.ParseForm()
			case "multipart/form-data":
				err = r.ParseMultipartForm(n)
			}
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				return errFormTooLarge()
			case err != nil:
				return newError(http.StatusBadRequest, "invalid_form", "The form could not be read.")
			}
			return next(c)
		}
	}
}
