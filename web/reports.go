package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// Reports: GET /api/v1/reports/summary and /api/v1/reports/export.csv for
// scripts, and the Reports page (reports_page.go) for people.

// maxReportDays bounds a report's period, in days of the reporting time
// zone: a year of 366 days whose clocks went back once more than forward
// lasts an hour more than 366 x 24 h, and is a year still.
const maxReportDays = 366

// tooLong reports whether f's period is longer than maxReportDays in loc.
func tooLong(f inbox.ReportFilter, loc *time.Location) bool {
	return f.To.After(f.From.In(loc).AddDate(0, 0, maxReportDays))
}

// defaultReportPeriod is the period of a report that names none: the 30
// days up to now.
const defaultReportPeriod = 30 * 24 * time.Hour

// reportFilter reads a report's period and filters from the query: from
// and to as RFC 3339 times (to defaults to now, from to 30 days before
// to), senderId, channel, agentId and labelId. A period is in whole
// seconds, as the summary gives it back (reportTime): a fraction of a
// second in from or to, and now's, is dropped. loc is the reports' time
// zone, in which the period is measured (reportLocation).
func (s *Server) reportFilter(c echo.Context) (f inbox.ReportFilter, loc *time.Location, err error) {
	bad := func(msg string) error { return newError(http.StatusBadRequest, "invalid_parameter", msg) }
	f.To = s.now().Truncate(time.Second)
	if v := c.QueryParam("to"); v != "" {
		t, err := parseQueryTime(v)
		if err != nil {
			return f, nil, bad("to must be an RFC 3339 time, such as 2026-03-01T00:00:00Z.")
		}
		f.To = t.Truncate(time.Second)
	}
	f.From = f.To.Add(-defaultReportPeriod)
	if v := c.QueryParam("from"); v != "" {
		t, err := parseQueryTime(v)
		if err != nil {
			return f, nil, bad("from must be an RFC 3339 time, such as 2026-03-01T00:00:00Z.")
		}
		f.From = t.Truncate(time.Second)
	}
	if !f.From.Before(f.To) {
		return f, nil, bad("from must be before to.")
	}
	loc, err = s.reportLocation(c.Request().Context())
	if err != nil {
		return f, nil, err
	}
	if tooLong(f, loc) {
		return f, nil, bad("A report covers at most 366 days.")
	}
	f.SenderID = c.QueryParam("senderId")
	switch ch := inbox.Channel(c.QueryParam("channel")); ch {
	case "", inbox.WhatsApp, inbox.SMS:
		f.Channel = ch
	default:
		return f, nil, bad("channel must be whatsapp or sms.")
	}
	if v := c.QueryParam("agentId"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			return f, nil, bad("agentId must be a user's id.")
		}
		f.AgentID = id
	}
	if v := c.QueryParam("labelId"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			return f, nil, bad("labelId must be a label's id.")
		}
		f.LabelID = id
	}
	return f, loc, nil
}

// parseQueryTime reads an RFC 3339 time from a query string, where a +
// not escaped as %2B (2026-03-01T00:00:00+01:00 typed as it is written)
// arrives as a space: a space before the offset is taken for the +.
func parseQueryTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil && strings.Count(v, " ") == 1 {
		if t2, err2 := time.Parse(time.RFC3339, strings.Replace(v, " ", "+", 1)); err2 == nil {
			return t2, nil
		}
	}
	return t, err
}

// reportLocation is the reports' time zone, an admin setting.
func (s *Server) reportLocation(ctx context.Context) (*time.Location, error) {
	name, _, err := s.store.Setting(ctx, inbox.SettingReportTimeZone)
	if err != nil {
		return nil, err
	}
	return inbox.ReportLocation(name), nil
}

type spreadJSON struct {
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	Count int     `json:"count"`
}

// agentReportJSON is one agent's figures: firstResponseSeconds is the
// median of their first responses and how many there were (count 0, and
// p50 0, for an agent who gave none).
type agentReportJSON struct {
	AgentID              int64  `json:"agentId"`
	Name                 string `json:"name"`
	Replies              int    `json:"replies"`
	FirstResponseSeconds struct {
		P50   float64 `json:"p50"`
		Count int     `json:"count"`
	} `json:"firstResponseSeconds"`
	Resolved int      `json:"resolved"`
	CSAT     csatJSON `json:"csat"`
}

// reportTime is a report period's end as the summary gives it: RFC 3339
// in UTC, to the second, as scripts write it (2026-03-01T00:00:00Z).
func reportTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

type summaryJSON struct {
	From                 string     `json:"from"`
	To                   string     `json:"to"`
	TimeZone             string     `json:"timeZone"`
	Conversations        int        `json:"conversations"`
	InboundMessages      int        `json:"inboundMessages"`
	OutboundMessages     int        `json:"outboundMessages"`
	FirstResponseSeconds spreadJSON `json:"firstResponseSeconds"`
	ResolutionSeconds    spreadJSON `json:"resolutionSeconds"`
	// Within business hours, when they are set.
	FirstResponseBusinessSeconds *spreadJSON       `json:"firstResponseBusinessSeconds,omitempty"`
	ResolutionBusinessSeconds    *spreadJSON       `json:"resolutionBusinessSeconds,omitempty"`
	ByAgent                      []agentReportJSON `json:"byAgent"`
	ByHour                       []int             `json:"byHour"`
	ByWeekday                    []int             `json:"byWeekday"`
	CSAT                         csatJSON          `json:"csat"`
	// Previous is the period of the same length just before, when asked
	// for with compare=previous.
	Previous *summaryJSON `json:"previous,omitempty"`
}

func toSummaryJSON(f inbox.ReportFilter, loc *time.Location, s inbox.Summary) summaryJSON {
	out := summaryJSON{
		From: reportTime(f.From), To: reportTime(f.To), TimeZone: loc.String(),
		Conversations: s.Conversations, InboundMessages: s.InboundMessages, OutboundMessages: s.OutboundMessages,
		FirstResponseSeconds: spreadJSON(s.FirstResponse), ResolutionSeconds: spreadJSON(s.Resolution),
		ByAgent: []agentReportJSON{}, ByHour: s.ByHour[:], ByWeekday: s.ByWeekday[:],
		CSAT: toCSATJSON(s.CSAT),
	}
	if s.Business {
		fr, res := spreadJSON(s.FirstResponseBusiness), spreadJSON(s.ResolutionBusiness)
		out.FirstResponseBusinessSeconds, out.ResolutionBusinessSeconds = &fr, &res
	}
	for _, a := range s.ByAgent {
		j := agentReportJSON{AgentID: a.AgentID, Name: a.Name, Replies: a.Replies, Resolved: a.Resolved, CSAT: toCSATJSON(a.CSAT)}
		j.FirstResponseSeconds.P50, j.FirstResponseSeconds.Count = a.FirstResponseP50, a.FirstResponses
		out.ByAgent = append(out.ByAgent, j)
	}
	return out
}

// previousPeriod is the period of the same length that ends where f's
// starts, with f's filters.
func previousPeriod(f inbox.ReportFilter) inbox.ReportFilter {
	p := f
	p.From, p.To = f.From.Add(-f.To.Sub(f.From)), f.From
	return p
}

// GET /api/v1/reports/summary?from=&to=&senderId=&channel=&agentId=&labelId=&compare=previous
func (s *Server) handleAPIReportSummary(c echo.Context) error {
	f, loc, err := s.reportFilter(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sum, err := s.store.ReportSummary(ctx, f, loc)
	if err != nil {
		return err
	}
	out := toSummaryJSON(f, loc, sum)
	switch c.QueryParam("compare") {
	case "":
	case "previous":
		pf := previousPeriod(f)
		prev, err := s.store.ReportSummary(ctx, pf, loc)
		if err != nil {
			return err
		}
		p := toSummaryJSON(pf, loc, prev)
		out.Previous = &p
	default:
		return newError(http.StatusBadRequest, "invalid_parameter", "compare must be previous.")
	}
	return c.JSON(http.StatusOK, out)
}

// GET /api/v1/reports/export.csv?from=&to=&senderId=&channel=&agentId=&labelId=
func (s *Server) handleAPIReportExport(c echo.Context) error {
	f, loc, err := s.reportFilter(c)
	if err != nil {
		return err
	}
	return s.writeReportCSV(c, f, loc, false)
}

// reportCSVHeader names the export's columns.
var reportCSVHeader = []string{
	"conversation_id", "contact_phone", "contact_name", "sender_id", "channel",
	"opened_at", "first_response_at", "first_response_seconds", "first_responder",
	"resolved_at", "resolution_seconds", "resolver", "assignee", "inbound_messages", "outbound_messages",
	"first_response_business_seconds", "resolution_business_seconds", "labels", "csat",
}

// utf8BOM opens a CSV that people open in a spreadsheet: Excel reads a
// CSV without it in the computer's own code page, where José is JosÃ©.
const utf8BOM = "\uFEFF"

// writeReportCSV streams one row per opening of f's period. Times are
// RFC 3339 in UTC; a cell a spreadsheet would run as a formula is
// prefixed with an apostrophe. The file is named for the period's first
// and last day in the reporting time zone, loc. forPeople starts it with
// utf8BOM (the page's download; a script's has none).
func (s *Server) writeReportCSV(c echo.Context, f inbox.ReportFilter, loc *time.Location, forPeople bool) error {
	// The period ends before To.
	name := fmt.Sprintf("switchboard-report-%s-%s.csv", f.From.In(loc).Format("20060102"),
		f.To.Add(-time.Nanosecond).In(loc).Format("20060102"))
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	cfg, err := s.store.AutoReplyConfig(c.Request().Context())
	if err != nil {
		return err
	}
	clock := inbox.NewBusinessClock(cfg.Hours)
	started := false
	var w *csv.Writer
	err = s.store.ReportRows(c.Request().Context(), f, func(r inbox.ReportRow) error {
		if !started {
			started = true
			var err error
			if w, err = startReportCSV(c, forPeople); err != nil {
				return err
			}
		}
		o := r.Opening
		first, firstSecs := "", ""
		if d, ok := o.FirstResponse(); ok {
			first, firstSecs = o.FirstResponseAt.UTC().Format(time.RFC3339), strconv.FormatInt(int64(d.Seconds()), 10)
		}
		resolved, resSecs := "", ""
		if d, ok := o.Resolution(); ok {
			resolved, resSecs = o.ResolvedAt.UTC().Format(time.RFC3339), strconv.FormatInt(int64(d.Seconds()), 10)
		}
		bizFirst, bizRes := "", ""
		if clock != nil {
			if d, ok := clock.BusinessFirstResponse(o); ok {
				bizFirst = strconv.FormatInt(int64(d.Seconds()), 10)
			}
			if d, ok := clock.BusinessResolution(o); ok {
				bizRes = strconv.FormatInt(int64(d.Seconds()), 10)
			}
		}
		return w.Write([]string{
			strconv.FormatInt(r.ConversationID, 10), csvCell(r.ContactPhone), csvCell(r.ContactName), csvCell(r.SenderID),
			string(r.Channel), o.OpenedAt.UTC().Format(time.RFC3339), first, firstSecs, csvCell(r.FirstResponder),
			resolved, resSecs, csvCell(r.Resolver), csvCell(r.Assignee), strconv.Itoa(r.Inbound), strconv.Itoa(r.Outbound),
			bizFirst, bizRes, csvCell(strings.Join(r.Labels, ", ")), csatCell(r.CSAT),
		})
	})
	if err != nil && !started {
		return err
	}
	if !started {
		if w, err = startReportCSV(c, forPeople); err != nil {
			return nil
		}
	}
	w.Flush()
	if err != nil {
		s.log.Error("report export ended early", "err", err)
	}
	return nil
}

// startReportCSV sends the export's status and its first line, after
// utf8BOM when forPeople.
func startReportCSV(c echo.Context, forPeople bool) (*csv.Writer, error) {
	c.Response().WriteHeader(http.StatusOK)
	if forPeople {
		if _, err := io.WriteString(c.Response(), utf8BOM); err != nil {
			return nil, err
		}
	}
	w := csv.NewWriter(c.Response())
	return w, w.Write(reportCSVHeader)
}

// csvCell defuses a value a spreadsheet would take for a formula.
func csvCell(v string) string {
	if v != "" && (v[0] == '=' || v[0] == '@' || v[0] == '\t' || v[0] == '\r' ||
		((v[0] == '+' || v[0] == '-') && !isPhoneLike(v))) {
		return "'" + v
	}
	return v
}

// isPhoneLike reports whether v is a number such as +15551234567, which a
// spreadsheet reads as a number, not a formula.
func isPhoneLike(v string) bool {
	for _, r := range v[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return len(v) > 1
}
