package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

const (
	eventLogPage     = 50       // events on one page of the webhook log
	activityFeedSize = 50       // entries of the activity feed shown
	rawShown         = 64 << 10 // bytes of a raw body shown; the rest is cut
	logTimeFormat    = "2 Jan 2006 15:04:05"
)

// handleWebhookLog is the admin page of webhook deliveries. With htmx and a
// cursor it answers only the next page of the events table (Load more).
func (s *Server) handleWebhookLog(c echo.Context) error {
	ctx := c.Request().Context()
	failed := c.QueryParam("state") == string(inbox.EventFailed)
	f := inbox.EventFilter{Limit: eventLogPage, Cursor: c.QueryParam("cursor")}
	if failed {
		f.State = inbox.EventFailed
	}
	events, next, err := s.store.Events(ctx, f)
	if err != nil {
		return invalidCursor(err)
	}
	loc := location(c)
	senders := s.senderNames(ctx)
	rows := make([]views.EventRow, 0, len(events))
	for _, e := range events {
		rows = append(rows, s.eventRow(e, loc, senders))
	}
	more := ""
	if next != "" {
		more = webhookLogURL(failed, url.Values{"cursor": {next}})
	}
	if isHTMX(c) && f.Cursor != "" {
		return s.render(c, http.StatusOK, views.WebhookEventRows(rows, more, s.csrfToken(c)))
	}

	v := views.WebhookLogView{
		Page:   s.page(c, "Webhook log · Switchboard"),
		Failed: failed,
		Events: rows,
		More:   more,
	}
	if id := c.QueryParam("replayed"); id != "" {
		if _, err := s.store.RawEvent(ctx, id); err == nil { // a link cannot make up a notice
			v.Notice, v.NoticeError = replayNotice(id, c.QueryParam("outcome"))
		}
	}
	counts, err := s.store.EventCounts(ctx, s.now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	v.Counts = views.WebhookCounts{
		Recent: counts.Recent, RecentApplied: counts.Recent - counts.RecentFailed,
		RecentFailed: counts.RecentFailed, Failed: counts.Failed, FailedOlder: counts.FailedOlder,
	}
	for _, sf := range s.sigFailures.snapshot() {
		addr := sf.Address
		if addr == otherSources {
			addr = "other addresses (too many to list)"
		}
		v.SigFailures = append(v.SigFailures, views.SignatureFailureRow{
			Address: addr, Count: sf.Count, Last: sf.Last.In(loc).Format(logTimeFormat),
		})
	}
	acts, err := s.store.Activities(ctx, activityFeedSize)
	if err != nil {
		return err
	}
	for _, a := range acts {
		v.Activities = append(v.Activities, activityRow(a, loc))
	}
	return s.render(c, http.StatusOK, views.WebhookLogPage(v))
}

// Outcomes of a replay, as the page is told them after a form post
// without htmx.
const (
	replayApplied    = "applied"
	replayFailed     = "failed"
	replayRefused    = "refused"    // the event was applied already
	replayUnreadable = "unreadable" // the stored body is not an event
)

func replayMessage(outcome string) (msg string, isErr bool) {
	switch outcome {
	case replayApplied:
		return "Replayed: the event is applied now.", false
	case replayFailed:
		return "Replayed, but it failed again.", true
	case replayRefused:
		return "This event is applied already; there is nothing to replay.", true
	case replayUnreadable:
		return "The stored body is not a readable event, so it cannot be replayed.", true
	}
	return "", false
}

// replayNotice is the page's notice after a replay without htmx.
func replayNotice(id, outcome string) (string, bool) {
	msg, isErr := replayMessage(outcome)
	if msg == "" || id == "" {
		return "", false
	}
	return "Event " + id + ": " + msg, isErr
}

// handleReplayEvent applies a stored event again: it decodes the stored body
// afresh (so an upgrade's decoder and rules both apply) and runs it through
// the rules in one transaction, as a delivery would be. An event already
// applied is refused, and nothing changes. The answer is the event's row
// for htmx, or the page again with a notice.
func (s *Server) handleReplayEvent(c echo.Context) error {
	ctx := c.Request().Context()
	stored, err := s.store.RawEvent(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	outcome, err := s.replay(c, stored)
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		q := url.Values{"replayed": {stored.ID}, "outcome": {outcome}}
		return c.Redirect(http.StatusSeeOther, webhookLogURL(stored.State == inbox.EventFailed, q))
	}
	if outcome == replayApplied || outcome == replayFailed {
		if stored, err = s.store.RawEvent(ctx, stored.ID); err != nil {
			return err
		}
	}
	row := s.eventRow(stored, location(c), s.senderNames(ctx))
	row.Note, row.NoteError = replayMessage(outcome)
	return s.render(c, http.StatusOK, views.WebhookEventRow(row, s.csrfToken(c)))
}

// replay does the work of handleReplayEvent and says how it went.
//
// Replay is not a delivery: it goes through Store.Replay, which marks the
// event Replayed, and applies the plain rules (inbox.Apply) with nothing
// added. Whatever ingestion does beyond the model for a fresh delivery (an
// auto-reply to an inbound message, say) must stay out of this path: the
// customer wrote hours or days ago.
func (s *Server) replay(c echo.Context, stored inbox.StoredEvent) (outcome string, err error) {
	ctx := c.Request().Context()
	if stored.State == inbox.EventApplied {
		return replayRefused, nil
	}
	ev, err := s.webhooks.Decode(stored.Raw)
	if err != nil {
		s.log.WarnContext(ctx, "replay refused: stored body unreadable", "event_id", stored.ID, "err", err)
		return replayUnreadable, nil
	}
	ev.ID, ev.Raw = stored.ID, stored.Raw
	if ev.Timestamp.IsZero() {
		// As on delivery: an event without a time took the time it came.
		ev.Timestamp = stored.Timestamp
		if ev.Timestamp.IsZero() {
			ev.Timestamp = stored.ReceivedAt
		}
	}
	res, err := s.store.Replay(ctx, ev, inbox.Apply)
	switch {
	case errors.Is(err, inbox.ErrConflict): // another admin replayed it a moment ago
		return replayRefused, nil
	case err != nil:
		return "", err
	}
	if res.State == inbox.EventApplied {
		s.log.InfoContext(ctx, "webhook replayed: applied", "event_id", ev.ID, "type", ev.Type,
			"conversation_ids", res.Change.ConversationIDs, "message_ids", res.Change.MessageIDs)
		s.audit(c, "webhook.replay", fmt.Sprintf("%s %s: applied (attempt %d)", ev.Type, ev.ID, stored.Attempts+1))
		s.announce(ev, res)
		return replayApplied, nil
	}
	s.log.WarnContext(ctx, "webhook replayed: failed again", "event_id", ev.ID, "type", ev.Type, "err", res.Error)
	s.audit(c, "webhook.replay", fmt.Sprintf("%s %s: failed again (attempt %d): %s",
		ev.Type, ev.ID, stored.Attempts+1, inbox.ExplainEventError(ev.Type, res.Error)))
	return replayFailed, nil
}

func webhookLogURL(failed bool, q url.Values) string {
	if failed {
		q.Set("state", string(inbox.EventFailed))
	}
	return "/admin/webhooks?" + q.Encode()
}

// senderNames maps sender ids to our numbers, for the log's Sender column.
func (s *Server) senderNames(ctx context.Context) map[string]string {
	ss, err := s.store.Senders(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "senders not read", "err", err)
		return nil
	}
	out := make(map[string]string, len(ss))
	for _, x := range ss {
		if x.Phone != "" {
			out[x.ID] = x.Phone
		}
	}
	return out
}

func (s *Server) eventRow(e inbox.StoredEvent, loc *time.Location, senders map[string]string) views.EventRow {
	r := views.EventRow{
		ID:       e.ID,
		Type:     string(e.Type),
		At:       e.ReceivedAt.In(loc).Format(logTimeFormat),
		Sender:   e.SenderID,
		Applied:  e.State == inbox.EventApplied,
		Pending:  e.State == inbox.EventPending,
		Attempts: e.Attempts,
		Raw:      prettyBody(e.Raw),
	}
	if len(e.Raw) == 0 && r.Applied {
		r.Raw = "(The body was deleted after the retention period set under Admin, Retention; what the event did is kept.)"
	}
	if p := senders[e.SenderID]; p != "" {
		r.Sender = p
	}
	if !e.Timestamp.IsZero() {
		r.ZavuAt = e.Timestamp.In(loc).Format(logTimeFormat)
	}
	if !r.Applied && !r.Pending {
		r.Error = inbox.ExplainEventError(e.Type, e.Error)
		r.Detail = e.Error
		r.Replay = "/admin/webhooks/" + url.PathEscape(e.ID) + "/replay"
		if e.FailedVersion != s.cfg.Version {
			r.FailedUnder = cmpOr(e.FailedVersion, "an earlier version")
			r.Version = s.cfg.Version
		}
	}
	return r
}

// prettyBody is a stored body as text for the page: indented when it is
// JSON, cut when it is long. The page escapes it like any other text.
func prettyBody(raw []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		b.Reset()
		b.Write(raw)
	}
	if b.Len() <= rawShown {
		return strings.ToValidUTF8(b.String(), "\uFFFD")
	}
	return strings.ToValidUTF8(string(b.Bytes()[:rawShown]), "\uFFFD") + fmt.Sprintf("\n… (cut here: %d bytes in all)", len(raw))
}

func activityRow(a inbox.Activity, loc *time.Location) views.ActivityRow {
	what := a.Kind
	switch inbox.EventType(a.Kind) {
	case inbox.EventBroadcastStatus:
		what = "Broadcast"
	case inbox.EventInvitationStatus:
		what = "Partner invitation"
	}
	return views.ActivityRow{
		At: a.At.In(loc).Format(logTimeFormat), What: what, Name: a.Name, Subject: a.SubjectID,
		Status: plainStatus(a.Status), From: plainStatus(a.PreviousStatus), Detail: a.Detail,
	}
}

// plainStatus writes a Zavu status (pending_review) as words.
func plainStatus(s string) string { return strings.ReplaceAll(s, "_", " ") }
