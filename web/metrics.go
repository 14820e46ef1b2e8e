package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"switchboard/inbox"
)

// Metrics are the figures GET /metrics shows, in Prometheus' text format.
// They live in the registry given to NewMetrics, never in a global one.
// A nil *Metrics counts nothing.
type Metrics struct {
	reg *prometheus.Registry

	received, duplicate *prometheus.CounterVec // by event type
	applied, failed     *prometheus.CounterVec // by event type
	signatureFailures   prometheus.Counter
	ack                 prometheus.Histogram
	requests            *prometheus.HistogramVec // by method, route and status class
	sends               *prometheus.CounterVec   // by result
	batch               *prometheus.HistogramVec // by kind of transaction
	commit              *prometheus.HistogramVec // by kind of transaction
}

// NewMetrics creates Switchboard's metrics in reg, with the Go runtime's
// and the process's beside them.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	byType := []string{"type"}
	m := &Metrics{
		reg: reg,
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_webhook_events_received_total",
			Help: "Signed webhook events received, duplicates included, by event type."}, byType),
		duplicate: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_webhook_events_duplicate_total",
			Help: "Webhook events received again (already stored), by event type."}, byType),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_webhook_events_applied_total",
			Help: "Stored webhook events applied to the conversations (replays included), by event type."}, byType),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_webhook_events_failed_total",
			Help: "Stored webhook events that could not be applied (shown in the webhook log), by event type."}, byType),
		signatureFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "switchboard_webhook_signature_failures_total",
			Help: "Webhook deliveries refused for a missing, stale or wrong signature."}),
		ack: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "switchboard_webhook_ack_seconds",
			Help:    "Time from a webhook's arrival to its acknowledgement (stored on disk).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "switchboard_http_request_duration_seconds",
			Help:    "HTTP request latency by method, route (the route's pattern, not the URL) and status class.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"method", "route", "code"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_sends_total",
			Help: "Send attempts to Zavu by result: sent, temporary_error (retried) or permanent_error."}, []string{"result"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "switchboard_sqlite_batch_size",
			Help:    "Writes (kind=writes) or applied events (kind=events) per SQLite write transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}}, []string{"kind"}),
		commit: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "switchboard_sqlite_commit_seconds",
			Help:    "Time SQLite took to commit a write transaction (mostly the fsync).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}}, []string{"kind"}),
	}
	reg.MustRegister(m.received, m.duplicate, m.applied, m.failed, m.signatureFailures, m.ack,
		m.requests, m.sends, m.batch, m.commit,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every series exists from the start, at zero, so that a rate over
	// the first event is right and a graph shows zero rather than nothing.
	for t := range eventTypes {
		for _, v := range []*prometheus.CounterVec{m.received, m.duplicate, m.applied, m.failed} {
			v.WithLabelValues(string(t))
		}
	}
	for _, r := range []string{"sent", "temporary_error", "permanent_error"} {
		m.sends.WithLabelValues(r)
	}
	for _, k := range []string{"writes", "events"} { // the store's commit kinds
		m.batch.WithLabelValues(k)
		m.commit.WithLabelValues(k)
	}
	return m
}

// eventTypes bounds the type label to the types Switchboard knows: a
// signed sender cannot grow the metrics without end.
var eventTypes = map[inbox.EventType]bool{
	inbox.EventConversationNew: true, inbox.EventMessageInbound: true, inbox.EventMessageUnsupported: true,
	inbox.EventMessageReaction: true, inbox.EventMessageQueued: true, inbox.EventMessageSent: true,
	inbox.EventMessageDelivered: true, inbox.EventMessageRead: true, inbox.EventMessageFailed: true,
	inbox.EventTemplateStatus: true, inbox.EventBroadcastStatus: true, inbox.EventInvitationStatus: true,
}

func typeLabel(t inbox.EventType) string {
	if eventTypes[t] {
		return string(t)
	}
	return "other"
}

func (m *Metrics) eventReceived(t inbox.EventType, duplicate bool, since time.Time) {
	if m == nil {
		return
	}
	m.received.WithLabelValues(typeLabel(t)).Inc()
	if duplicate {
		m.duplicate.WithLabelValues(typeLabel(t)).Inc()
	}
	m.ack.Observe(time.Since(since).Seconds())
}

func (m *Metrics) eventApplied(t inbox.EventType, state inbox.EventState) {
	if m == nil {
		return
	}
	if state == inbox.EventFailed {
		m.failed.WithLabelValues(typeLabel(t)).Inc()
		return
	}
	m.applied.WithLabelValues(typeLabel(t)).Inc()
}

func (m *Metrics) signatureFailed() {
	if m != nil {
		m.signatureFailures.Inc()
	}
}

// ObserveCommit records one SQLite write transaction: kind says what it
// did, size how many writes or events it held.
func (m *Metrics) ObserveCommit(kind string, size int, took time.Duration) {
	if m == nil {
		return
	}
	m.batch.WithLabelValues(kind).Observe(float64(size))
	m.commit.WithLabelValues(kind).Observe(took.Seconds())
}

// Messenger returns next, counting each send's result.
func (m *Metrics) Messenger(next inbox.Messenger) inbox.Messenger {
	if m == nil {
		return next
	}
	return countedMessenger{next: next, sends: m.sends}
}

type countedMessenger struct {
	next  inbox.Messenger
	sends *prometheus.CounterVec
}

func (c countedMessenger) Send(ctx context.Context, msg inbox.OutgoingMessage) (inbox.SendResult, error) {
	res, err := c.next.Send(ctx, msg)
	var se *inbox.SendError
	switch {
	case err == nil && res.Status == inbox.StatusFailed: // taken and failed at once
		c.sends.WithLabelValues("permanent_error").Inc()
	case err == nil:
		c.sends.WithLabelValues("sent").Inc()
	case errors.As(err, &se) && !se.Temporary:
		c.sends.WithLabelValues("permanent_error").Inc()
	default:
		c.sends.WithLabelValues("temporary_error").Inc()
	}
	return res, err
}

// Backlog is what waits in the store, for /metrics and /readyz.
type Backlog interface {
	// Pending is how many stored webhook events wait to be applied.
	Pending() int64
	OutboxBacklog(ctx context.Context) (inbox.OutboxBacklog, error)
}

// watchServer adds the figures read at scrape time: live pages, pending
// events and the outbox.
func (m *Metrics) watchServer(s *Server) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "switchboard_websocket_clients",
		Help: "Agents' pages connected for live updates."}, func() float64 { return float64(s.hub.Clients()) }))
	if s.upkeep != nil {
		m.reg.MustRegister(&backupCollector{s: s})
	}
	if s.backlog == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "switchboard_webhook_events_pending",
		Help: "Webhook events stored and acknowledged but not applied yet."}, func() float64 { return float64(s.backlog.Pending()) }),
		&outboxCollector{s: s})
}

// outboxCollector reads the outbox's backlog from the store at each scrape.
type outboxCollector struct{ s *Server }

var (
	outboxDepthDesc = prometheus.NewDesc("switchboard_outbox_depth",
		"Replies waiting to be sent to Zavu (queued or being sent).", nil, nil)
	outboxOldestDesc = prometheus.NewDesc("switchboard_outbox_oldest_age_seconds",
		"How long the oldest reply waiting to be sent has waited.", nil, nil)
	outboxOverdueDesc = prometheus.NewDesc("switchboard_outbox_overdue_seconds",
		"How long the earliest due send has been due; near zero while the worker keeps up.", nil, nil)
)

func (o *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDepthDesc
	ch <- outboxOldestDesc
	ch <- outboxOverdueDesc
}

func (o *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := o.s.backlog.OutboxBacklog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxDepthDesc, err)
		return
	}
	now := o.s.now()
	ch <- prometheus.MustNewConstMetric(outboxDepthDesc, prometheus.GaugeValue, float64(b.Depth))
	ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, b.OldestAge(now).Seconds())
	ch <- prometheus.MustNewConstMetric(outboxOverdueDesc, prometheus.GaugeValue, b.Overdue(now).Seconds())
}

// measureRequests times every request by its route's pattern. The live
// websocket is left out: it lasts as long as the page.
func (s *Server) measureRequests(next echo.HandlerFunc) echo.HandlerFunc {
	if s.metrics == nil {
		return next
	}
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "/ws" {
			return err
		}
		if route == "" || strings.HasPrefix(route, "/*") || (c.Response().Status == http.StatusNotFound && !strings.Contains(route, ":")) {
			route = "unmatched" // a scanner's URLs must not become labels
		}
		status := c.Response().Status
		if err != nil {
			status = errorFor(err).Status
		}
		code := strconv.Itoa(status/100) + "xx"
		s.metrics.requests.WithLabelValues(c.Request().Method, route, code).Observe(time.Since(start).Seconds())
		return err
	}
}

// handleMetrics serves the metrics to a scraper holding the metrics token.
// Without a token configured the route does not exist. Wrong tokens are
// limited per client address as the API's are (tokenFailureLimit), in
// counts of their own: a guess at one secret tells nothing of the other,
// and a script retrying a revoked API token must not stop the scraper at
// the same address, nor a scraper with a stale token the scripts.
func (s *Server) handleMetrics(c echo.Context) error {
	if s.metrics == nil || s.cfg.MetricsToken == "" {
		return echo.ErrNotFound
	}
	unauthorized := func() error {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		return newError(http.StatusUnauthorized, "unauthorized", "The metrics token is missing or wrong.")
	}
	scheme, got, ok := strings.Cut(c.Request().Header.Get("Authorization"), " ")
	got = strings.TrimSpace(got)
	if !ok || !strings.EqualFold(scheme, "Bearer") || got == "" {
		return unauthorized()
	}
	addr, err := s.tokenGuesses(c, s.badMetrics, "metrics tokens refused: too many that were not valid", "a metrics token")
	if err != nil {
		return err
	}
	if !sameSecret(got, s.cfg.MetricsToken) {
		s.badMetrics.fail(addr)
		return unauthorized()
	}
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).
		ServeHTTP(c.Response(), c.Request())
	return nil
}

// sameSecret compares in constant time, whatever the lengths.
func sameSecret(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
