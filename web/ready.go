package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// OutboxOverdueLimit is how long the earliest due send may wait before
// /readyz says the outbox is stuck. It is longer than a send's lease, so
// a send that hangs shows here once its lease ran out and it is still not
// taken again.
const OutboxOverdueLimit = 5 * time.Minute

// readiness is the answer of /readyz: each part's state, "ok" or why not.
type readiness struct {
	Status string            `json:"status"` // ready or not_ready
	Checks map[string]string `json:"checks"`
}

// handleReady tells a load balancer whether this process can do its work:
// the database answers, the live hub runs, and the outbox worker runs and
// keeps up. It costs one indexed query; it never writes.
func (s *Server) handleReady(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	r := readiness{Status: "ready", Checks: map[string]string{"database": "ok", "hub": "ok", "outbox": "ok"}}
	fail := func(part, why string) {
		r.Status = "not_ready"
		r.Checks[part] = why
	}
	if err := s.store.Ping(ctx); err != nil {
		s.log.ErrorContext(ctx, "readiness: the database does not answer", "err", err)
		fail("database", "the database does not answer")
	}
	if !s.hub.Running() {
		fail("hub", "the live-update hub has stopped")
	}
	if w, ok := s.outbox.(interface{ Running() bool }); ok && !w.Running() {
		fail("outbox", "the outbox worker is not running")
	} else if s.backlog != nil && r.Checks["database"] == "ok" {
		b, err := s.backlog.OutboxBacklog(ctx)
		switch {
		case err != nil:
			s.log.ErrorContext(ctx, "readiness: cannot read the outbox", "err", err)
			fail("outbox", "the outbox cannot be read")
		case b.Overdue(s.now()) > OutboxOverdueLimit:
			fail("outbox", fmt.Sprintf("the earliest send has been due for %s", b.Overdue(s.now()).Round(time.Second)))
		}
	}
	status := http.StatusOK
	if r.Status != "ready" {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, r)
}

// Running reports whether the hub still runs (Close stops it).
func (h *Hub) Running() bool {
	select {
	case <-h.done:
		return false
	default:
		return true
	}
}
