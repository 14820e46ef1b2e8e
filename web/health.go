package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// healthReply is the body of /healthz.
type healthReply struct {
	Status string `json:"status"`           // "ok" or "failing"
	Reason string `json:"reason,omitempty"` // why failing: disk_full, writes_failing, database_unavailable
}

// handleHealth answers 200 when the database takes writes: it answers a
// query, the writer's last commit did not fail for want of storage, and
// its disk has room (measured at most once a second). Otherwise 503 with
// the reason, which is what a monitor should page someone about.
func (s *Server) handleHealth(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		reason := "database_unavailable"
		switch {
		case errors.Is(err, inbox.ErrDiskFull):
			reason = "disk_full"
		case errors.Is(err, inbox.ErrWritesFailing):
			reason = "writes_failing"
		}
		s.failLog.Log(ctx, slog.LevelError, "health check failed", "reason", reason, "err", err)
		return c.JSON(http.StatusServiceUnavailable, healthReply{Status: "failing", Reason: reason})
	}
	return c.JSON(http.StatusOK, healthReply{Status: "ok"})
}
