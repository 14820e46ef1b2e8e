package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// The Reports page: admins see the team and may filter by agent; an agent
// sees the figures of the conversations they answered or resolved.

// pageReportFilter reads the page's period (from and to as days in the
// reporting zone, to inclusive; the last 30 days by default) and filters.
// An agent's filter is always their own.
func (s *Server) pageReportFilter(c echo.Context, loc *time.Location) (inbox.ReportFilter, string, error) {
	u := currentUser(c)
	// Days start at inbox.DayStart: where summer time begins at midnight
	// (Santiago, Havana), Go's midnight of that day is 23:00 the day before.
	today := inbox.DayStart(s.now(), loc)
	last30 := func() (time.Time, time.Time) { return inbox.DaysAfter(today, -29, loc), inbox.DaysAfter(today, 1, loc) }
	f := inbox.ReportFilter{}
	f.From, f.To = last30()
	msg := ""
	badFrom, badTo := false, false
	if v := c.QueryParam("from"); v != "" {
		d, err := dayIn(v, loc)
		f.From, badFrom = d, err != nil
	}
	if v := c.QueryParam("to"); v != "" {
		d, err := dayIn(v, loc)
		f.To, badTo = inbox.DaysAfter(d, 1, loc), err != nil
	}
	// A day that is not a date is named, and the last 30 days shown.
	switch {
	case badFrom && badTo:
		msg = "Neither the first nor the last day is a date. Write them as 2026-03-01."
	case badFrom:
		msg = "The first day is not a date. Write it as 2026-03-01."
	case badTo:
		msg = "The last day is not a date. Write it as 2026-03-01."
	}
	if msg != "" {
		f.From, f.To = last30()
	} else if !f.From.Before(f.To) || tooLong(f, loc) {
		msg = "Choose a last day on or after the first day, at most 366 days later."
		f.From, f.To = last30()
	}
	f.SenderID = c.QueryParam("senderId")
	if ch := inbox.Channel(c.QueryParam("channel")); ch == inbox.WhatsApp || ch == inbox.SMS {
		f.Channel = ch
	}
	f.LabelID, _ = strconv.ParseInt(c.QueryParam("labelId"), 10, 64)
	if u.Role == inbox.RoleAdmin {
		f.AgentID, _ = strconv.ParseInt(c.QueryParam("agentId"), 10, 64)
	} else {
		f.AgentID = u.ID
	}
	return f, msg, nil
}

// dayIn is the start of the day v (as 2026-03-01) in loc.
func dayIn(v string, loc *time.Location) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return d, err
	}
	return inbox.DayStart(time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, loc), loc), nil
}

// GET /reports
func (s *Server) handleReports(c echo.Context) error {
	v, err := s.reportsView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.ReportsPage(v))
}

// reportsView is the reports page for the request's filters.
func (s *Server) reportsView(c echo.Context) (views.ReportsView, error) {
	ctx := c.Request().Context()
	loc, err := s.reportLocation(ctx)
	if err != nil {
		return views.ReportsView{}, err
	}
	f, msg, err := s.pageReportFilter(c, loc)
	if err != nil {
		return views.ReportsView{}, err
	}
	cur, err := s.store.ReportSummary(ctx, f, loc)
	if err != nil {
		return views.ReportsView{}, err
	}
	days := int(math.Round(f.To.Sub(f.From).Hours() / 24))
	prevF := f
	prevF.From, prevF.To = inbox.DaysAfter(f.From, -days, loc), f.From
	prev, err := s.store.ReportSummary(ctx, prevF, loc)
	if err != nil {
		return views.ReportsView{}, err
	}
	u := currentUser(c)
	v := views.ReportsView{
		Page:     s.page(c, "Reports · Switchboard"),
		Admin:    u.Role == inbox.RoleAdmin,
		From:     f.From.In(loc).Format(time.DateOnly),
		To:       inbox.DaysAfter(f.To, -1, loc).Format(time.DateOnly),
		SenderID: f.SenderID, Channel: string(f.Channel),
		TimeZone: loc.String(),
		Previous: fmt.Sprintf("%s to %s", prevF.From.In(loc).Format("2 Jan 2006"), inbox.DaysAfter(prevF.To, -1, loc).Format("2 Jan 2006")),
		Error:    msg,
		Saved:    c.QueryParam("saved") == "1",
	}
	if f.AgentID != 0 {
		v.AgentID = strconv.FormatInt(f.AgentID, 10)
		v.Replies = "Replies by the agent" // an admin's filter names them below
		if f.AgentID == u.ID {
			v.Replies = "Your replies"
		}
	}
	q := url.Values{"from": {f.From.Format(time.RFC3339)}, "to": {f.To.Format(time.RFC3339)}}
	if f.SenderID != "" {
		q.Set("senderId", f.SenderID)
	}
	if f.Channel != "" {
		q.Set("channel", string(f.Channel))
	}
	if v.Admin && f.AgentID != 0 {
		q.Set("agentId", v.AgentID)
	}
	if f.LabelID != 0 {
		q.Set("labelId", strconv.FormatInt(f.LabelID, 10))
	}
	v.ExportURL = "/reports/export.csv?" + q.Encode()
	v.TimeZoneAction = "/admin/reports/time-zone?" + pageQuery(c.QueryParams()).Encode()

	senders, err := s.store.Senders(ctx)
	if err != nil {
		return views.ReportsView{}, err
	}
	for _, sd := range senders {
		label := sd.Name
		if label == "" {
			label = sd.Phone
		}
		if label == "" {
			label = sd.ID
		}
		v.Senders = append(v.Senders, views.ReportOption{Value: sd.ID, Label: label, Selected: sd.ID == f.SenderID})
	}
	labels, err := s.store.Labels(ctx)
	if err != nil {
		return views.ReportsView{}, err
	}
	for _, l := range labels {
		v.Labels = append(v.Labels, views.ReportOption{Value: strconv.FormatInt(l.ID, 10), Label: l.Name, Selected: l.ID == f.LabelID})
	}
	if v.Admin {
		users, err := s.store.Users(ctx)
		if err != nil {
			return views.ReportsView{}, err
		}
		for _, us := range users {
			if us.ID == f.AgentID && us.ID != u.ID {
				v.Replies = "Replies by " + us.Name
			}
			id := strconv.FormatInt(us.ID, 10)
			v.Agents = append(v.Agents, views.ReportOption{Value: id, Label: us.Name, Selected: us.ID == f.AgentID})
		}
	}

	if cur.Business {
		cfg, err := s.store.AutoReplyConfig(ctx)
		if err != nil {
			return views.ReportsView{}, err
		}
		v.BusinessZone = cfg.Hours.Location().String()
	}
	v.Figures = append(reportFigures(cur, prev, v.Replies), csatFigure(cur.CSAT, prev.CSAT))
	v.Days = dayChart(cur.ByDay)
	v.Heat = heatChart(cur.HourWeekday)
	v.Histogram = histogram(cur.ResponseBuckets)
	v.AgentRows, v.AgentsH = agentRows(cur.ByAgent)
	return v, nil
}

// GET /reports/export.csv: the page's CSV, with the page's filters.
func (s *Server) handleReportsExport(c echo.Context) error {
	f, loc, err := s.reportFilter(c)
	if err != nil {
		return err
	}
	if u := currentUser(c); u.Role != inbox.RoleAdmin {
		f.AgentID = u.ID
	}
	return s.writeReportCSV(c, f, loc, true)
}

// POST /admin/reports/time-zone
func (s *Server) handleReportTimeZone(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("time_zone"))
	if name == "" {
		name = "UTC"
	}
	if _, err := time.LoadLocation(name); err != nil || name == "Local" || len(name) > 64 {
		v, err := s.reportsView(c)
		if err != nil {
			return err
		}
		v.TimeZoneInput = c.FormValue("time_zone")
		v.TimeZoneError = "That is not a time zone Switchboard knows. Use a name such as Europe/Berlin or America/New_York."
		return s.render(c, http.StatusUnprocessableEntity, views.ReportsPage(v))
	}
	if err := s.store.SetSetting(c.Request().Context(), inbox.SettingReportTimeZone, name, s.now()); err != nil {
		return err
	}
	s.audit(c, "settings.update", "Reporting time zone: "+name)
	q := pageQuery(c.QueryParams())
	q.Set("saved", "1")
	return c.Redirect(http.StatusSeeOther, "/reports?"+q.Encode())
}

// pageQuery is the Reports page's period and filters in q.
func pageQuery(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range []string{"from", "to", "senderId", "channel", "labelId", "agentId"} {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// humanSeconds writes a duration in seconds for people, in its two
// largest units, the smaller rounded to the nearest (a support lead reads
// 1 min 44 s, not 1 min): 45 s, 1 min 44 s, 3 h 20 min, 2 d 4 h. A
// smaller unit that rounds to nothing is left out: 12 min, 2 h, 3 d.
func humanSeconds(secs float64) string {
	two := func(big, small int, bigUnit, smallUnit string) string {
		if small == 0 {
			return fmt.Sprintf("%d %s", big, bigUnit)
		}
		return fmt.Sprintf("%d %s %d %s", big, bigUnit, small, smallUnit)
	}
	d := time.Duration(secs * float64(time.Second))
	if s := d.Round(time.Second); s < time.Minute {
		return fmt.Sprintf("%d s", int(s.Seconds()))
	} else if s < time.Hour {
		return two(int(s.Minutes()), int(s.Seconds())%60, "min", "s")
	}
	if m := d.Round(time.Minute); m < 24*time.Hour {
		return two(int(m.Hours()), int(m.Minutes())%60, "h", "min")
	}
	h := int(d.Round(time.Hour).Hours())
	return two(h/24, h%24, "d", "h")
}

// change writes the change from prev to cur in percent, and whether it is
// up, down or flat.
func change(cur, prev float64) (string, string) {
	switch {
	case prev == 0 && cur == 0:
		return "no change", "flat"
	case prev == 0:
		return "new", "up"
	}
	p := math.Round((cur - prev) / prev * 100)
	switch {
	case p > 0:
		return fmt.Sprintf("+%.0f%% on the previous period", p), "up"
	case p < 0:
		return fmt.Sprintf("%.0f%% on the previous period", p), "down"
	}
	return "no change", "flat"
}

// reportFigures are the figures of cur against prev. replies, in a report
// of one agent, names the business's messages it counts, that agent's;
// its customers' messages are the whole team's.
func reportFigures(cur, prev inbox.Summary, replies string) []views.ReportFigure {
	inbound, outbound := "Messages from customers", "Messages from the team"
	if replies != "" {
		inbound, outbound = "Messages from customers to the whole team", replies
	}
	count := func(key, label string, c, p int) views.ReportFigure {
		ch, tr := change(float64(c), float64(p))
		return views.ReportFigure{Key: key, Label: label, Value: strconv.Itoa(c), Change: ch, Trend: tr}
	}
	dur := func(key, label string, c, p float64, n, pn int) views.ReportFigure {
		if n == 0 {
			return views.ReportFigure{Key: key, Label: label, Value: "–"}
		}
		f := views.ReportFigure{Key: key, Label: label, Value: humanSeconds(c)}
		if pn > 0 {
			// A time that went up is worse news, not better; up from
			// 0 s (often, within business hours) has no percentage.
			f.Change, f.Trend = change(c, p)
			if p == 0 && c > 0 {
				f.Change = "up from 0 s on the previous period"
			}
			switch f.Trend {
			case "up":
				f.Change, f.Trend = f.Change+", slower", "worse"
			case "down":
				f.Change, f.Trend = f.Change+", faster", "better"
			}
		}
		return f
	}
	figs := []views.ReportFigure{
		count("conversations", "Conversations opened", cur.Conversations, prev.Conversations),
		count("inbound", inbound, cur.InboundMessages, prev.InboundMessages),
		count("outbound", outbound, cur.OutboundMessages, prev.OutboundMessages),
		dur("first-response-p50", "First response, median", cur.FirstResponse.P50, prev.FirstResponse.P50, cur.FirstResponse.Count, prev.FirstResponse.Count),
		dur("first-response-p90", "First response, 90th percentile", cur.FirstResponse.P90, prev.FirstResponse.P90, cur.FirstResponse.Count, prev.FirstResponse.Count),
		dur("resolution-p50", "Resolution, median", cur.Resolution.P50, prev.Resolution.P50, cur.Resolution.Count, prev.Resolution.Count),
		dur("resolution-p90", "Resolution, 90th percentile", cur.Resolution.P90, prev.Resolution.P90, cur.Resolution.Count, prev.Resolution.Count),
	}
	if cur.Business {
		fb, pfb, rb, prb := cur.FirstResponseBusiness, prev.FirstResponseBusiness, cur.ResolutionBusiness, prev.ResolutionBusiness
		figs = append(figs,
			dur("first-response-business-p50", "First response in business hours, median", fb.P50, pfb.P50, fb.Count, pfb.Count),
			dur("first-response-business-p90", "First response in business hours, 90th percentile", fb.P90, pfb.P90, fb.Count, pfb.Count),
			dur("resolution-business-p50", "Resolution in business hours, median", rb.P50, prb.P50, rb.Count, prb.Count),
			dur("resolution-business-p90", "Resolution in business hours, 90th percentile", rb.P90, prb.P90, rb.Count, prb.Count),
		)
	}
	return figs
}

// dayChart draws messages per day in a 640 x 220 box: the plot spans x
// 40 to 630 and y 10 to 190.
func dayChart(days []inbox.DayCount) views.LineChart {
	var ch views.LineChart
	for _, d := range days {
		ch.Max = max(ch.Max, d.Inbound, d.Outbound)
		ch.Rows = append(ch.Rows, views.ReportDay{Day: d.Day.Format("Mon 2 Jan"), Inbound: d.Inbound, Outbound: d.Outbound})
	}
	top := max(ch.Max, 1)
	x := func(i int) int {
		if len(days) <= 1 {
			return 335
		}
		return 40 + i*590/(len(days)-1)
	}
	y := func(n int) int { return 190 - n*180/top }
	var in, out strings.Builder
	for i, d := range days {
		fmt.Fprintf(&in, "%d,%d ", x(i), y(d.Inbound))
		fmt.Fprintf(&out, "%d,%d ", x(i), y(d.Outbound))
		// A day apart from the others is seen, a single day at all.
		if len(days) <= 31 {
			ch.Dots = append(ch.Dots, views.ChartDot{X: x(i), InY: y(d.Inbound), OutY: y(d.Outbound)})
		}
	}
	ch.Inbound, ch.Outbound = strings.TrimSpace(in.String()), strings.TrimSpace(out.String())
	step := max(1, (len(days)+5)/6)
	for i := 0; i < len(days); i += step {
		// The last day's label ends at the chart's edge.
		ch.Labels = append(ch.Labels, views.AxisLabel{X: x(i), Y: 214, Text: days[i].Day.Format("2 Jan"), End: x(i) > 600})
	}
	return ch
}

var weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// heatChart draws inbound messages by weekday and hour: 24 x 7 cells of
// 22 px, shaded in six levels of the busiest hour.
func heatChart(hw [7][24]int) views.HeatChart {
	ch := views.HeatChart{Days: weekdays}
	top := 0
	for _, row := range hw {
		for _, n := range row {
			top = max(top, n)
		}
	}
	for d, row := range hw {
		ch.Rows = append(ch.Rows, append([]int(nil), row[:]...))
		for h, n := range row {
			level := 0
			if n > 0 {
				level = 1 + (n*4)/max(top, 1)
			}
			ch.Cells = append(ch.Cells, views.HeatCell{
				X: 42 + h*24, Y: 6 + d*24, Level: min(level, 5),
				Title: fmt.Sprintf("%s %02d:00–%02d:59: %s", weekdays[d], h, h, messagesWord(n)),
			})
		}
	}
	return ch
}

// messagesWord is n messages in words: 1 message, 2 messages.
func messagesWord(n int) string {
	return views.Plural(int64(n), "message", "messages")
}

var bucketLabels = []string{"≤ 1 min", "≤ 5 min", "≤ 15 min", "≤ 1 h", "≤ 4 h", "≤ 1 d", "> 1 d"}

// histogram draws the first-response buckets as bars in a 640 x 240 box,
// each labelled in two lines under it.
func histogram(buckets []int) views.BarChart {
	var ch views.BarChart
	top := 1
	for _, n := range buckets {
		top = max(top, n)
	}
	w := 600 / max(len(buckets), 1)
	for i, n := range buckets {
		h := n * 160 / top
		label := bucketLabels[min(i, len(bucketLabels)-1)]
		cut := strings.LastIndexByte(label, ' ')
		ch.Bars = append(ch.Bars, views.Bar{X: 24 + i*w + 6, Y: 190 - h, W: w - 12, H: h, Label: label,
			Bound: label[:cut], Unit: label[cut+1:], Value: n})
	}
	return ch
}

// agentRows lays out per-agent bars: two bars 20 high in 52 per agent,
// scaled to the most replies or resolves, with room between their counts
// for the larger labels of a phone.
func agentRows(as []inbox.AgentFigures) ([]views.ReportAgentRow, int) {
	top := 1
	for _, a := range as {
		top = max(top, a.Replies, a.Resolved)
	}
	var rows []views.ReportAgentRow
	for i, a := range as {
		name := a.Name
		if name == "" {
			name = fmt.Sprintf("User %d", a.AgentID)
		}
		fr := "–"
		if a.FirstResponses > 0 {
			fr = humanSeconds(a.FirstResponseP50)
		}
		rows = append(rows, views.ReportAgentRow{
			Name: name, ShortName: shortName(name, 13), Replies: a.Replies, Resolved: a.Resolved, FirstResponse: fr, CSAT: csatShort(a.CSAT),
			Y: 8 + i*52, RepliesW: a.Replies * 420 / top, ResolvedW: a.Resolved * 420 / top,
		})
	}
	return rows, 16 + len(as)*52
}

// shortName is name cut to n characters, the last an ellipsis, when it is
// longer.
func shortName(name string, n int) string {
	r := []rune(name)
	if len(r) <= n {
		return name
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
