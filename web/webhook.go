package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// webhookReply is the body of a 200 to Zavu.
type webhookReply struct {
	Received  bool `json:"received"`
	Duplicate bool `json:"duplicate,omitempty"`
}

// handleWebhook takes one Zavu event: read at most MaxWebhookBody bytes,
// check the signature, decode the envelope, store it, and answer 200 only
// once the commit that holds it is on disk.
func (s *Server) handleWebhook(c echo.Context) error {
	r := c.Request()
	ctx := r.Context()
	arrived := time.Now()
	if r.ContentLength > MaxWebhookBody {
		return newError(http.StatusRequestEntityTooLarge, "too_large", "The webhook body is larger than 512 KiB.")
	}
	body, err := readWebhookBody(c.Response(), r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return newError(http.StatusRequestEntityTooLarge, "too_large", "The webhook body is larger than 512 KiB.")
		}
		return newError(http.StatusBadRequest, "unreadable_body", "The request body could not be read.")
	}

	// Decoded before it is verified, to read it once: the sender it names
	// has secrets of its own. Nothing is done with it unless it verifies.
	// Only the envelope: the store applies the event after the
	// acknowledgement, and decodes its payload then (a delivery that only
	// its sender's own secret signed has its payload read here too, for
	// the message it names).
	ev, decodeErr := s.webhooks.DecodeEnvelope(body)
	signer, err := s.webhooks.VerifyDecoded(ctx, r.Header.Get("X-Zavu-Signature"), body, ev)
	if err != nil {
		n := s.signatureFailed(c)
		s.log.WarnContext(ctx, "webhook refused: bad signature", "remote", c.RealIP(), "reason", err.Error(), "failures_from_remote", n)
		return newError(http.StatusUnauthorized, "invalid_signature",
			"The X-Zavu-Signature header is missing, stale, or does not match any configured webhook secret.")
	}

	if decodeErr != nil {
		s.log.WarnContext(ctx, "webhook refused: bad envelope", "reason", decodeErr.Error())
		return newError(http.StatusBadRequest, "invalid_event", "The body must be a JSON object with a string id and type.")
	}
	if signer != "" {
		if err := s.checkSignedBySender(c, signer, body); err != nil {
			return err
		}
		// The message it names may be stored before the event is
		// applied: the store keeps the signer, and the event is checked
		// again then.
		ev.SignedBy = signer
	}
	c.Set(logEventID, ev.ID)
	if ev.Timestamp.IsZero() {
		ev.Timestamp = s.now().UTC()
	}

	// Stored, then acknowledged; the store applies it right after, in
	// order, and announce hears of it then.
	duplicate, err := s.store.Append(ctx, ev)
	if err != nil {
		// Not stored: Zavu retries, so nothing is lost. With a full disk
		// every delivery fails alike: one line a second says so.
		s.failLog.Log(ctx, slog.LevelError, "webhook not stored", "event_id", ev.ID, "type", ev.Type, "err", err)
		return newError(http.StatusServiceUnavailable, "not_stored", "The event could not be stored; please retry.")
	}
	s.metrics.eventReceived(ev.Type, duplicate, arrived)
	if duplicate {
		s.log.InfoContext(ctx, "webhook duplicate", "event_id", ev.ID, "type", ev.Type)
	}
	if duplicate {
		return c.JSONBlob(http.StatusOK, webhookDuplicate)
	}
	return c.JSONBlob(http.StatusOK, webhookReceived)
}

// checkSignedBySender refuses a delivery signed with the webhook secret of
// sender signer whose event names a message of another sender's, as a bad
// signature: 401, counted for the Webhook log and logged. It reads the
// payload and looks the message up, which deliveries signed with a
// project's secret are spared.
func (s *Server) checkSignedBySender(c echo.Context, signer string, body []byte) error {
	ctx := c.Request().Context()
	ev, err := s.webhooks.Decode(body)
	if err != nil {
		return nil // the envelope decoded already; stored as it is
	}
	err = inbox.CheckSignedBySender(ctx, ev, signer, s.store.MessageSender)
	var other *inbox.OtherSendersMessage
	switch {
	case errors.As(err, &other):
		n := s.signatureFailed(c)
		s.log.WarnContext(ctx, "webhook refused: signed with another sender's secret", "remote", c.RealIP(),
			"event_id", ev.ID, "type", ev.Type, "signer", other.Signer, "message_id", other.MessageID,
			"message_sender", other.Owner, "failures_from_remote", n)
		return newError(http.StatusUnauthorized, "invalid_signature",
			"The event names a message of another sender than the one whose webhook secret signed it: a sender's secret signs only that sender's events.")
	case err != nil:
		// Not stored: Zavu retries, so nothing is lost.
		s.failLog.Log(ctx, slog.LevelError, "webhook not checked", "event_id", ev.ID, "type", ev.Type, "err", err)
		return newError(http.StatusServiceUnavailable, "not_stored", "The event could not be checked; please retry.")
	}
	return nil
}

// signatureFailed counts a delivery refused for its signature, for the
// Webhook log's failures by address and for the metrics, and returns how
// many its address has sent.
func (s *Server) signatureFailed(c echo.Context) int64 {
	n := s.sigFailures.add(c.RealIP(), s.now().UTC())
	s.metrics.signatureFailed()
	return n
}

// readWebhookBody reads a delivery's body, at most MaxWebhookBody bytes.
// A body that says its length (Zavu's do) is read into one buffer of that
// size: it is kept as the stored event's raw body, so it is not pooled,
// but it is not grown and copied on the way either.
func readWebhookBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, MaxWebhookBody)
	if r.ContentLength <= 0 || r.ContentLength > MaxWebhookBody {
		return io.ReadAll(body)
	}
	b := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, b); err != nil {
		return nil, err // shorter than it said: io.ErrUnexpectedEOF
	}
	return b, nil
}

// The two answers to a stored delivery, encoded once.
var (
	webhookReceived  = mustJSON(webhookReply{Received: true})
	webhookDuplicate = mustJSON(webhookReply{Received: true, Duplicate: true})
)

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return append(b, '\n') // as c.JSON writes it
}

// announce tells the live screens what an event just changed, after the
// commit that applied it; a delivery and a replay from the webhook log
// both end here.
func (s *Server) announce(ev *inbox.Event, res inbox.IngestResult) {
	s.metrics.eventApplied(ev.Type, res.State)
	if res.State == inbox.EventFailed {
		return // nothing changed; the store logged why
	}
	s.publish(res.Change)
	if res.Change.Queued && s.outbox != nil {
		s.outbox.Wake() // an auto-reply is waiting
	}
	if ev.Type == inbox.EventTemplateStatus && s.templates != nil {
		// The webhook says only the status; the text comes from Zavu.
		s.templates.Wake()
	}
}

// failureCounter counts refused webhook deliveries per source address. It
// holds at most max addresses, so a flood from many sources cannot grow it
// without bound; past that, all new sources share one "other" count.
type failureCounter struct {
	mu     sync.Mutex
	max    int
	counts map[string]*SignatureFailure
}

// SignatureFailure is how many webhook deliveries one source address sent
// with no valid signature, and when it last did.
type SignatureFailure struct {
	Address string // "other" for sources past the counter's limit
	Count   int64
	Last    time.Time
}

const otherSources = "other"

func newFailureCounter(max int) *failureCounter {
	return &failureCounter{max: max, counts: map[string]*SignatureFailure{}}
}

func (f *failureCounter) add(addr string, at time.Time) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.counts[addr]; !ok && len(f.counts) >= f.max {
		addr = otherSources
	}
	c := f.counts[addr]
	if c == nil {
		c = &SignatureFailure{Address: addr}
		f.counts[addr] = c
	}
	c.Count++
	c.Last = at
	return c.Count
}

// snapshot lists the sources, most failures first.
func (f *failureCounter) snapshot() []SignatureFailure {
	f.mu.Lock()
	out := make([]SignatureFailure, 0, len(f.counts))
	for _, c := range f.counts {
		out = append(out, *c)
	}
	f.mu.Unlock()
	slices.SortFunc(out, func(a, b SignatureFailure) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return strings.Compare(a.Address, b.Address)
	})
	return out
}
