package web_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
	"switchboard/web"
)

type apiSummary struct {
	Conversations        int `json:"conversations"`
	InboundMessages      int `json:"inboundMessages"`
	OutboundMessages     int `json:"outboundMessages"`
	FirstResponseSeconds struct {
		P50   float64 `json:"p50"`
		P90   float64 `json:"p90"`
		Count int     `json:"count"`
	} `json:"firstResponseSeconds"`
	ResolutionSeconds struct {
		Count int `json:"count"`
	} `json:"resolutionSeconds"`
	ByAgent   []map[string]any `json:"byAgent"`
	ByHour    []int            `json:"byHour"`
	ByWeekday []int            `json:"byWeekday"`
}

// TestReportSummaryAndExportThroughTheAPI: a customer writes, a script
// answers ten minutes later; a read token gets the figures and the CSV.
func TestReportSummaryAndExportThroughTheAPI(t *testing.T) {
	ts := newTestServer(t)
	now := time.Now().UTC()
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my order?", now.Add(-10*time.Minute)))
	ts.settle()
	convs := all[apiConversation](ts, "/api/v1/conversations?status=all", "cursor")
	if len(convs) != 1 {
		t.Fatalf("%d conversations", len(convs))
	}
	if status, body := ts.apiCall(ts.token, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/messages", convs[0].ID), `{"text":"On its way"}`); status != http.StatusAccepted {
		t.Fatalf("reply: %d %+v", status, body)
	}
	sendWaiting(t, ts.db, time.Now())
	read, _ := ts.newToken("reports", inbox.ScopeRead)
	q := url.Values{"from": {now.Add(-time.Hour).Format(time.RFC3339)}, "to": {now.Add(time.Hour).Format(time.RFC3339)}}
	var s apiSummary
	if status := ts.getAs(read, "/api/v1/reports/summary?"+q.Encode(), &s); status != http.StatusOK {
		t.Fatalf("summary: status %d", status)
	}
	if s.Conversations != 1 || s.InboundMessages != 1 || s.OutboundMessages != 1 || s.FirstResponseSeconds.Count != 1 {
		t.Fatalf("summary %+v: want one conversation, one message each way, one response", s)
	}
	if p := s.FirstResponseSeconds.P50; p < 590 || p > 700 {
		t.Fatalf("first response p50 %v s, want about 600", p)
	}
	if len(s.ByHour) != 24 || len(s.ByWeekday) != 7 || s.ByHour[now.Add(-10*time.Minute).Hour()] != 1 ||
		s.ByWeekday[(int(now.Add(-10*time.Minute).Weekday())+6)%7] != 1 {
		t.Fatalf("by hour %v, by weekday %v", s.ByHour, s.ByWeekday)
	}
	if s.ByAgent == nil {
		t.Fatal("byAgent is null, want a list")
	}
	for _, bad := range []string{"from=yesterday", "to=2026-13-01T00:00:00Z", "from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z",
		"channel=fax", "agentId=x", "from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"} {
		status, body := ts.apiCall(read, http.MethodGet, "/api/v1/reports/summary?"+bad, "")
		if status != http.StatusBadRequest || body.Error.Code != "invalid_parameter" {
			t.Errorf("%s: %d %+v, want 400 invalid_parameter", bad, status, body)
		}
	}

	req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/api/v1/reports/export.csv?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+read)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("export: %v, %d rows in %q", err, len(rows), b)
	}
	head, row := rows[0], rows[1]
	col := func(name string) string {
		for i, h := range head {
			if h == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s in %v", name, head)
		return ""
	}
	if col("contact_phone") != "+14155551234" || col("channel") != "whatsapp" || col("first_response_seconds") == "" ||
		col("resolved_at") != "" || col("inbound_messages") != "1" || col("outbound_messages") != "1" {
		t.Fatalf("export row %v", row)
	}
}

// TestReportsPage: an admin sees the team's figures and every chart with
// data; an agent sees only their own; the time zone is an admin's choice.
func TestReportsPage(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	now := time.Now().UTC()
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my order?", now.Add(-10*time.Minute)))
	ts.settle()
	convs := all[apiConversation](ts, "/api/v1/conversations?status=all", "cursor")
	sendReply(t, ts.db, inbox.Reply{ConversationID: convs[0].ID, AuthorID: &ana.ID, Source: inbox.SourceAgent,
		Type: inbox.TypeText, Text: "On its way", IdempotencyKey: "k1", At: now.Add(-5 * time.Minute)})

	adm := ts.newAgent()
	adm.login(ana.Email)
	p := adm.get("/reports")
	if p.status != http.StatusOK {
		t.Fatalf("admin: status %d", p.status)
	}
	for _, id := range []string{"chart-days", "chart-heatmap", "chart-histogram", "chart-agents"} {
		svg := p.doc.Find(`svg[data-testid="` + id + `"]`)
		if svg.Length() != 1 || svg.Find("title").Length() == 0 {
			t.Errorf("chart %s: %d found, with a title: %v", id, svg.Length(), svg.Find("title").Length() > 0)
		}
	}
	if got := strings.TrimSpace(p.doc.Find(`[data-testid="figure-conversations"] .report-value`).Text()); got != "1" {
		t.Errorf("conversations figure %q, want 1", got)
	}
	if got := strings.TrimSpace(p.doc.Find(`[data-testid="figure-first-response-p50"] .report-value`).Text()); got != "5 min" {
		t.Errorf("first response figure %q, want 5 min", got)
	}
	if p.doc.Find(`rect.heat-5`).Length() != 1 || !strings.Contains(p.doc.Find(`[data-testid="agents-table"]`).Text(), "Ana") {
		t.Errorf("the heatmap's busiest hour or Ana's row is missing")
	}
	if p.doc.Find(`[style]`).Length() != 0 || p.doc.Find(`script:not([src])`).Length() != 0 {
		t.Error("the page has inline styles or scripts, which the CSP refuses")
	}
	href, _ := p.doc.Find(`[data-testid="report-export"]`).Attr("href")
	csvPage := adm.get(href)
	if csvPage.status != http.StatusOK || strings.Count(strings.TrimSpace(csvPage.body), "\n") != 1 {
		t.Fatalf("export %s: %d %q", href, csvPage.status, csvPage.body)
	}

	ben := ts.newAgent()
	ben.login("ben@example.com")
	p = ben.get("/reports?agentId=" + fmt.Sprint(ana.ID))
	if p.status != http.StatusOK {
		t.Fatalf("agent: status %d", p.status)
	}
	if got := strings.TrimSpace(p.doc.Find(`[data-testid="figure-conversations"] .report-value`).Text()); got != "0" {
		t.Errorf("Ben's conversations %q, want 0: he answered none, whatever agentId says", got)
	}
	if p.doc.Find(`select[name="agentId"]`).Length() != 0 || p.doc.Find(`[data-testid="report-tz"]`).Length() != 0 {
		t.Error("an agent is offered the agent filter or the time zone")
	}
	if csvPage := ben.get("/reports/export.csv"); strings.Count(strings.TrimSpace(csvPage.body), "\n") != 0 {
		t.Errorf("Ben's export holds others' conversations: %q", csvPage.body)
	}

	if r := adm.do(http.MethodPost, "/admin/reports/time-zone", url.Values{"csrf": {adm.csrf}, "time_zone": {"Mars/Olympus"}}, nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("unknown zone: %d, want 422", r.status)
	}
	if r := adm.do(http.MethodPost, "/admin/reports/time-zone", url.Values{"csrf": {adm.csrf}, "time_zone": {"Asia/Kolkata"}}, nil); r.status != http.StatusSeeOther {
		t.Fatalf("save zone: %d", r.status)
	}
	var s apiSummary
	ts.mustGet("/api/v1/reports/summary", &s)
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	if h := now.Add(-10 * time.Minute).In(kolkata).Hour(); s.ByHour[h] != 1 {
		t.Errorf("by hour %v, want the message at %d h in Kolkata", s.ByHour, h)
	}
}

// TestReportsWithinBusinessHours: a customer writes late on a Friday and
// is answered on Monday morning. Once the team's business hours are set,
// the summary, the CSV and the page give the hour and a half that passed
// while the team was open beside the days of wall-clock time.
func TestReportsWithinBusinessHours(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	fri := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	mon := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my order?", fri))
	ts.mustPost(inboundText("evt_2", "msg_2", "Hello?", mon.Add(29*time.Minute)))
	ts.settle()
	convs := all[apiConversation](ts, "/api/v1/conversations?status=all", "cursor")
	sendReply(t, ts.db, inbox.Reply{ConversationID: convs[0].ID, AuthorID: &ana.ID, Source: inbox.SourceAgent,
		Type: inbox.TypeText, Text: "On its way", IdempotencyKey: "k1", At: mon.Add(30 * time.Minute)})
	q := "from=2026-03-02T00:00:00Z&to=2026-03-16T00:00:00Z"
	var s struct {
		FirstResponseSeconds         struct{ P50 float64 } `json:"firstResponseSeconds"`
		FirstResponseBusinessSeconds *struct {
			P50   float64 `json:"p50"`
			Count int     `json:"count"`
		} `json:"firstResponseBusinessSeconds"`
		ResolutionBusinessSeconds *struct{ Count int } `json:"resolutionBusinessSeconds"`
		Previous                  *struct {
			Conversations int    `json:"conversations"`
			From          string `json:"from"`
		} `json:"previous"`
	}
	ts.mustGet("/api/v1/reports/summary?"+q, &s)
	if s.FirstResponseBusinessSeconds != nil || s.Previous != nil {
		t.Fatalf("without business hours or compare: business %+v, previous %+v", s.FirstResponseBusinessSeconds, s.Previous)
	}

	if _, err := ts.db.UpdateAutoReplies(t.Context(), mon, func(c *inbox.AutoReplyConfig) error {
		c.Hours = inbox.BusinessHours{TimeZone: "UTC"}
		for d := time.Monday; d <= time.Friday; d++ {
			c.Hours.Days[d] = []inbox.Span{{Open: 9 * 60, Close: 17 * 60}}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ts.mustGet("/api/v1/reports/summary?"+q+"&compare=previous", &s)
	if s.FirstResponseSeconds.P50 != 65*3600+1800 || s.FirstResponseBusinessSeconds == nil ||
		s.FirstResponseBusinessSeconds.P50 != 5400 || s.FirstResponseBusinessSeconds.Count != 1 {
		t.Fatalf("first response %v s, within business hours %+v; want 65.5 h and 1.5 h", s.FirstResponseSeconds.P50, s.FirstResponseBusinessSeconds)
	}
	if s.ResolutionBusinessSeconds == nil || s.ResolutionBusinessSeconds.Count != 0 {
		t.Fatalf("resolution within business hours %+v, want none yet", s.ResolutionBusinessSeconds)
	}
	if s.Previous == nil || s.Previous.From != "2026-02-16T00:00:00Z" || s.Previous.Conversations != 0 {
		t.Fatalf("previous period %+v, want the two weeks before, empty", s.Previous)
	}
	if status, body := ts.apiCall(ts.token, http.MethodGet, "/api/v1/reports/summary?"+q+"&compare=last-year", ""); status != http.StatusBadRequest ||
		body.Error.Code != "invalid_parameter" {
		t.Fatalf("compare=last-year: %d %+v", status, body)
	}

	adm := ts.newAgent()
	adm.login(ana.Email)
	p := adm.get("/reports?from=2026-03-02&to=2026-03-15")
	if got := strings.TrimSpace(p.doc.Find(`[data-testid="figure-first-response-business-p50"] .report-value`).Text()); got != "1 h 30 min" {
		t.Errorf("business first response figure %q, want 1 h 30 min", got)
	}
	if got := strings.TrimSpace(p.doc.Find(`[data-testid="figure-first-response-p50"] .report-value`).Text()); got != "2 d 18 h" { // 65.5 h, rounded to the hour
		t.Errorf("wall-clock first response figure %q, want 2 d 18 h", got)
	}
	rows, err := csv.NewReader(strings.NewReader(adm.get("/reports/export.csv?" + q).body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("export: %v, %d rows", err, len(rows))
	}
	for i, h := range rows[0] {
		if h == "first_response_business_seconds" && rows[1][i] != "5400" {
			t.Errorf("first_response_business_seconds %q, want 5400", rows[1][i])
		}
		if h == "first_response_seconds" && rows[1][i] != "235800" {
			t.Errorf("first_response_seconds %q, want 235800", rows[1][i])
		}
	}
	if !slices.Contains(rows[0], "first_response_business_seconds") || !slices.Contains(rows[0], "resolution_business_seconds") {
		t.Errorf("export header %v lacks the business columns", rows[0])
	}
}

// TestReportsByLabel: the summary, the CSV and the page keep the
// conversations that carry the chosen label.
func TestReportsByLabel(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	now := time.Now().UTC()
	ts.mustPost(inboundText("evt_1", "msg_1", "I want a refund", now.Add(-10*time.Minute)))
	ts.settle()
	convs := all[apiConversation](ts, "/api/v1/conversations?status=all", "cursor")
	refund, vip := inbox.Label{Name: "refund"}, inbox.Label{Name: "vip"}
	for _, l := range []*inbox.Label{&refund, &vip} {
		if err := ts.db.CreateLabel(t.Context(), l); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := ts.db.UpdateConversations(t.Context(), []int64{convs[0].ID}, inbox.ConversationUpdate{AddLabels: []string{"refund"}}, now); err != nil {
		t.Fatal(err)
	}
	for label, want := range map[int64]int{refund.ID: 1, vip.ID: 0} {
		var s apiSummary
		ts.mustGet(fmt.Sprintf("/api/v1/reports/summary?labelId=%d", label), &s)
		if s.Conversations != want || s.InboundMessages != want {
			t.Errorf("label %d: %d conversations, %d messages in; want %d", label, s.Conversations, s.InboundMessages, want)
		}
	}
	if status, body := ts.apiCall(ts.token, http.MethodGet, "/api/v1/reports/summary?labelId=refund", ""); status != http.StatusBadRequest ||
		body.Error.Code != "invalid_parameter" {
		t.Errorf("labelId=refund: %d %+v, want 400 invalid_parameter", status, body)
	}

	adm := ts.newAgent()
	adm.login(ana.Email)
	p := adm.get(fmt.Sprintf("/reports?labelId=%d", vip.ID))
	if got := strings.TrimSpace(p.doc.Find(`[data-testid="figure-conversations"] .report-value`).Text()); got != "0" {
		t.Errorf("conversations labelled vip %q, want 0", got)
	}
	if sel := p.doc.Find(`[data-testid="report-label"] option[selected]`).Text(); sel != "vip" {
		t.Errorf("the label filter shows %q, want vip", sel)
	}
	href, _ := p.doc.Find(`[data-testid="report-export"]`).Attr("href")
	if !strings.Contains(href, fmt.Sprintf("labelId=%d", vip.ID)) {
		t.Errorf("the export link %q leaves the label out", href)
	}
	rows, err := csv.NewReader(strings.NewReader(adm.get(fmt.Sprintf("/reports/export.csv?labelId=%d", refund.ID)).body)).ReadAll()
	if err != nil || len(rows) != 2 || slices.Index(rows[0], "labels") < 0 || rows[1][slices.Index(rows[0], "labels")] != "refund" {
		t.Fatalf("export by refund: %v %v", err, rows)
	}
}

// A reporting time zone Switchboard does not know ("Berlin") is answered
// on the reports page, next to the field, with what was typed.
func TestReportTimeZoneRefusedNextToTheField(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	a.get("/reports")
	p := a.submit("/admin/reports/time-zone", url.Values{"time_zone": {"Berlin"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Errorf("unknown zone: %d, want 422", p.status)
	}
	field := p.find("report-tz")
	if got := field.AttrOr("value", ""); got != "Berlin" {
		t.Errorf("the field shows %q, not what was typed", got)
	}
	if got := field.AttrOr("aria-invalid", ""); got != "true" {
		t.Errorf("the field's aria-invalid: %q", got)
	}
	if got := field.Closest("form").Find(`[data-testid=report-tz-error]`).Text(); !strings.Contains(got, "Europe/Berlin") {
		t.Errorf("the error next to the field: %q", got)
	}
	if got := p.find("report-figures").Length() + p.doc.Find("h1").Length(); got == 0 {
		t.Error("the answer is not the reports page")
	}
	if got := a.get("/reports").find("report-tz").AttrOr("value", ""); got != "UTC" {
		t.Errorf("the zone saved: %q", got)
	}
}

// TestReportAgentWithoutFirstResponses: Ana answers a customer first and
// Ben writes the follow-up. Ben gave no first response in the period, so
// his median is none ("–" on the page, a count of 0 in the API), not 0 s,
// which would make him look the fastest of the team.
func TestReportAgentWithoutFirstResponses(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	ben := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	now := time.Now().UTC()
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my order?", now.Add(-30*time.Minute)))
	ts.settle()
	convs := all[apiConversation](ts, "/api/v1/conversations?status=all", "cursor")
	for i, r := range []struct {
		author *int64
		at     time.Duration
	}{{&ana.ID, -20 * time.Minute}, {&ben.ID, -10 * time.Minute}} {
		sendReply(t, ts.db, inbox.Reply{ConversationID: convs[0].ID, AuthorID: r.author, Source: inbox.SourceAgent,
			Type: inbox.TypeText, Text: "On its way", IdempotencyKey: fmt.Sprint("k", i), At: now.Add(r.at)})
	}
	var s struct {
		ByAgent []struct {
			Name                 string `json:"name"`
			Replies              int    `json:"replies"`
			FirstResponseSeconds struct {
				P50   float64 `json:"p50"`
				Count int     `json:"count"`
			} `json:"firstResponseSeconds"`
		} `json:"byAgent"`
	}
	ts.mustGet("/api/v1/reports/summary", &s)
	got := fmt.Sprintf("%+v", s.ByAgent)
	if want := "[{Name:Ana Replies:1 FirstResponseSeconds:{P50:600 Count:1}} {Name:Ben Replies:1 FirstResponseSeconds:{P50:0 Count:0}}]"; got != want {
		t.Errorf("by agent %s, want %s", got, want)
	}

	adm := ts.newAgent()
	adm.login(ana.Email)
	rows := map[string]string{}
	adm.get("/reports").find("agents-table").Find(`tbody tr`).Each(func(_ int, tr *goquery.Selection) {
		rows[tr.Find("td").Eq(0).Text()] = tr.Find(`td[data-label="First response (median)"]`).Text()
	})
	if rows["Ana"] != "10 min" || rows["Ben"] != "–" {
		t.Errorf("first response medians on the page %v, want Ana 10 min and Ben –", rows)
	}
}

// TestReportSlowerResponsesAreNotShownAsBetter: customers waited a minute
// for an answer on 10 March, ten minutes on 11 March and half a minute on
// the 12th. On the 11th's report the first response went up, which is
// worse: the change says slower and is coloured as bad news, not as good
// news like more conversations; on the 12th's it is faster, good news.
func TestReportSlowerResponsesAreNotShownAsBetter(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	for i, wait := range []time.Duration{time.Minute, 10 * time.Minute, 30 * time.Second} {
		at := time.Date(2026, 3, 10+i, 10, 0, 0, 0, time.UTC)
		ts.mustPost(inboundFrom(fmt.Sprint("evt_", i), fmt.Sprint("msg_", i), fmt.Sprint("+1415555010", i), "Zoe", "Hello?", at))
		ts.settle()
		convs := all[apiConversation](ts, "/api/v1/conversations?status=all", "cursor")
		sendReply(t, ts.db, inbox.Reply{ConversationID: convs[0].ID, AuthorID: &ana.ID, Source: inbox.SourceAgent,
			Type: inbox.TypeText, Text: "Hi", IdempotencyKey: fmt.Sprint("k", i), At: at.Add(wait)})
	}
	adm := ts.newAgent()
	adm.login(ana.Email)
	change := func(day, figure string) (string, string) {
		c := adm.get("/reports?from=" + day + "&to=" + day).find("figure-" + figure).Find(".report-change")
		return strings.TrimSpace(c.Text()), c.AttrOr("class", "")
	}
	for _, tc := range []struct{ day, figure, text, class string }{
		{"2026-03-11", "first-response-p50", "+900% on the previous period, slower", "report-change report-worse"},
		{"2026-03-11", "conversations", "no change", "report-change report-flat"},
		{"2026-03-12", "first-response-p50", "-95% on the previous period, faster", "report-change report-better"},
	} {
		if text, class := change(tc.day, tc.figure); text != tc.text || class != tc.class {
			t.Errorf("%s on %s: %q, class %q; want %q, class %q", tc.figure, tc.day, text, class, tc.text, tc.class)
		}
	}
}

// TestReportExportIsNamedForItsDays: a team reporting in Berlin downloads
// March. The file is named for March's first and last day there, as the
// page showed them, not for the UTC instants around them (28 February,
// and 1 April, the day after the period).
func TestReportExportIsNamedForItsDays(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	adm := ts.newAgent()
	adm.login(ana.Email)
	adm.get("/reports")
	if r := adm.do(http.MethodPost, "/admin/reports/time-zone", url.Values{"csrf": {adm.csrf}, "time_zone": {"Europe/Berlin"}}, nil); r.status != http.StatusSeeOther {
		t.Fatalf("save zone: %d", r.status)
	}
	href, _ := adm.get("/reports?from=2026-03-01&to=2026-03-31").find("report-export").Attr("href")
	for _, tc := range []struct{ path, days string }{
		{href, "20260301-20260331"},
		{"/reports/export.csv?from=2026-03-10T00:00:00%2B01:00&to=2026-03-10T12:00:00%2B01:00", "20260310-20260310"},
	} {
		p := adm.get(tc.path)
		if got := p.header.Get("Content-Disposition"); p.status != http.StatusOK || got != `attachment; filename="switchboard-report-`+tc.days+`.csv"` {
			t.Errorf("%s: %d, %s; want the file named for %s", tc.path, p.status, got, tc.days)
		}
	}
}

// TestAgentsFindTheReportsFromTheInbox: the inbox's navigation leads an
// agent to their own report, and an admin to the team's; before, an
// agent had no way there but typing its address.
func TestAgentsFindTheReportsFromTheInbox(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	for email, heading := range map[string]string{"ana@example.com": "Reports", "ben@example.com": "Your report"} {
		a := ts.newAgent()
		a.login(email)
		link := a.get("/inbox").find("nav-reports")
		href, _ := link.Attr("href")
		if link.Length() != 1 || strings.TrimSpace(link.Text()) != "Reports" {
			t.Errorf("%s: the inbox's navigation has %d Reports links (%q)", email, link.Length(), link.Text())
			continue
		}
		if p := a.get(href); p.status != http.StatusOK || strings.TrimSpace(p.doc.Find("h1").Text()) != heading {
			t.Errorf("%s: %s answers %d, heading %q; want %q", email, href, p.status, p.doc.Find("h1").Text(), heading)
		}
	}
}

// TestReportPeriodWithAnOffsetTypedAsIs: a script asks for a day in
// Berlin with the offset as RFC 3339 writes it, +01:00, not escaped in
// the URL, where a + stands for a space. The summary is of that day, not
// a 400 saying the time is not RFC 3339.
func TestReportPeriodWithAnOffsetTypedAsIs(t *testing.T) {
	ts := newTestServer(t)
	var s struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	if status := ts.get("/api/v1/reports/summary?from=2026-03-01T00:00:00+01:00&to=2026-03-02T00:00:00+01:00", &s); status != http.StatusOK ||
		s.From != "2026-02-28T23:00:00Z" || s.To != "2026-03-01T23:00:00Z" {
		t.Errorf("summary: %d, %+v; want 200, the day from 2026-02-28T23:00:00Z", status, s)
	}
	if status, body := ts.apiCall(ts.token, http.MethodGet, "/api/v1/reports/summary?from=2026-03-01T00:00:00%20garbage", ""); status != http.StatusBadRequest ||
		body.Error.Code != "invalid_parameter" {
		t.Errorf("a garbled time: %d %+v, want 400 invalid_parameter", status, body)
	}
}

// TestOneAgentsReportSaysWhoseMessagesItCounts: a customer writes to the
// team and Ana answers. Ben's own report has none of his conversations;
// the customers' messages it shows are the whole team's (its figures,
// its day chart and when customers write say so), and the business's
// messages are his replies ("Your replies"). An admin's report filtered
// to Ben names his replies; the team's report is as it was.
func TestOneAgentsReportSaysWhoseMessagesItCounts(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	benU := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	now := time.Now().UTC()
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my order?", now.Add(-30*time.Minute)))
	ts.settle()
	convs := all[apiConversation](ts, "/api/v1/conversations?status=all", "cursor")
	sendReply(t, ts.db, inbox.Reply{ConversationID: convs[0].ID, AuthorID: &ana.ID, Source: inbox.SourceAgent,
		Type: inbox.TypeText, Text: "On its way", IdempotencyKey: "k1", At: now.Add(-20 * time.Minute)})
	labels := func(p page) string {
		return strings.Join([]string{
			strings.TrimSpace(p.find("figure-inbound").Find("dt").Text()),
			strings.TrimSpace(p.find("figure-outbound").Find("dt").Text()),
			strings.Join(strings.Fields(p.doc.Find(`#chart-days-title ~ .chart-legend`).Text()), " "),
			strings.TrimSpace(p.doc.Find("#chart-heat-title").Text()),
		}, " | ")
	}
	adm, ben := ts.newAgent(), ts.newAgent()
	adm.login(ana.Email)
	ben.login("ben@example.com")
	for _, tc := range []struct {
		who  string
		p    page
		want string
	}{
		{"Ben", ben.get("/reports"), "Messages from customers to the whole team | Your replies | " +
			"From customers to the whole team Your replies | When customers write to the whole team"},
		{"Ben, filtered by an admin", adm.get(fmt.Sprintf("/reports?agentId=%d", benU.ID)), "Messages from customers to the whole team | Replies by Ben | " +
			"From customers to the whole team Replies by Ben | When customers write to the whole team"},
		{"the team", adm.get("/reports"), "Messages from customers | Messages from the team | From customers From the team | When customers write"},
	} {
		if got := labels(tc.p); got != tc.want {
			t.Errorf("the report of %s says %q, want %q", tc.who, got, tc.want)
		}
	}
}

// TestReportsPageNamesTheDayThatIsNotADate: a first day typed as
// "3/1/2026" (a browser without a date picker) is answered by what is
// wrong with it, not by "choose a last day on or after the first day"
// for a first day the page made up; two days that are not dates are
// both named. The last 30 days are shown meanwhile.
func TestReportsPageNamesTheDayThatIsNotADate(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	for q, want := range map[string]string{
		"from=3/1/2026&to=2026-03-31":   "The first day is not a date. Write it as 2026-03-01.",
		"from=2026-03-01&to=31.03.2026": "The last day is not a date. Write it as 2026-03-01.",
		"from=x&to=y":                   "Neither the first nor the last day is a date. Write them as 2026-03-01.",
		"from=2026-03-31&to=2026-03-01": "Choose a last day on or after the first day, at most 366 days later.",
	} {
		p := a.get("/reports?" + q)
		if got := strings.TrimSpace(p.find("report-error").Text()); p.status != http.StatusOK || got != want {
			t.Errorf("%s: %d %q, want %q", q, p.status, got, want)
		}
	}
}

// TestReportTimeZoneKeepsThePeriod: an admin looking at March's SMS
// report sets the reporting time zone. Saved, the page comes back to
// March's SMS report in the new zone, not to the last 30 days of every
// channel; a zone refused also answers with March's.
func TestReportTimeZoneKeepsThePeriod(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	shown := func(p page) string {
		return p.doc.Find(`input[name=from]`).AttrOr("value", "") + " " + p.doc.Find(`input[name=to]`).AttrOr("value", "") + " " +
			p.doc.Find(`select[name=channel] option[selected]`).AttrOr("value", "")
	}
	const want = "2026-03-01 2026-03-31 sms"
	action := a.get("/reports?from=2026-03-01&to=2026-03-31&channel=sms").doc.Find(`form.report-tz`).AttrOr("action", "")
	if p := a.submit(action, url.Values{"time_zone": {"Berlin"}}); p.status != http.StatusUnprocessableEntity || shown(p) != want {
		t.Errorf("a zone refused: %d, the page shows %q; want 422 and %q", p.status, shown(p), want)
	}
	p := a.submit(action, url.Values{"time_zone": {"Europe/Berlin"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("save zone: %d", p.status)
	}
	p = a.get(p.header.Get("Location"))
	if shown(p) != want || p.find("saved").Length() != 1 || p.find("report-tz").AttrOr("value", "") != "Europe/Berlin" {
		t.Errorf("after saving, the page shows %q, saved %d, zone %q; want %q, saved, Europe/Berlin",
			shown(p), p.find("saved").Length(), p.find("report-tz").AttrOr("value", ""), want)
	}
}

// TestReportHeatMapCountsInWords: the heat map's hour that had one
// customer's message says "1 message", not "1 messages".
func TestReportHeatMapCountsInWords(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	at := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC) // a Tuesday
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello?", at))
	ts.settle()
	a := ts.newAgent()
	a.login("ana@example.com")
	var titles []string
	a.get("/reports?from=2026-03-10&to=2026-03-10").find("chart-heatmap").Find("rect title").Each(func(_ int, s *goquery.Selection) {
		if txt := s.Text(); strings.HasPrefix(txt, "Tue 09:00") || strings.HasPrefix(txt, "Tue 10:00") {
			titles = append(titles, txt)
		}
	})
	if want := []string{"Tue 09:00–09:59: 1 message", "Tue 10:00–10:59: 0 messages"}; !slices.Equal(titles, want) {
		t.Errorf("the heat map's hours say %q, want %q", titles, want)
	}
}

// TestReportTimeUpFromNothing: within business hours a first response is
// often 0 s (a customer wrote before opening time and was answered before
// it). On 9 March it was; on 10 March customers waited 5 minutes of
// business hours. That is slower, up from 0 s, not "new" like the
// conversations of a period after none.
func TestReportTimeUpFromNothing(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	if _, err := ts.db.UpdateAutoReplies(t.Context(), time.Now(), func(c *inbox.AutoReplyConfig) error {
		c.Hours = inbox.BusinessHours{TimeZone: "UTC"}
		for d := time.Monday; d <= time.Friday; d++ {
			c.Hours.Days[d] = []inbox.Span{{Open: 9 * 60, Close: 17 * 60}}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, at := range []time.Time{time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)} {
		ts.mustPost(inboundFrom(fmt.Sprint("evt_", i), fmt.Sprint("msg_", i), fmt.Sprint("+1415555010", i), "Zoe", "Hello?", at))
		ts.settle()
		convs := all[apiConversation](ts, "/api/v1/conversations?status=all", "cursor")
		sendReply(t, ts.db, inbox.Reply{ConversationID: convs[0].ID, AuthorID: &ana.ID, Source: inbox.SourceAgent,
			Type: inbox.TypeText, Text: "Hi", IdempotencyKey: fmt.Sprint("k", i), At: at.Add(5 * time.Minute)})
	}
	adm := ts.newAgent()
	adm.login(ana.Email)
	c := adm.get("/reports?from=2026-03-10&to=2026-03-10").find("figure-first-response-business-p50").Find(".report-change")
	if text, class := strings.TrimSpace(c.Text()), c.AttrOr("class", ""); text != "up from 0 s on the previous period, slower" || class != "report-change report-worse" {
		t.Errorf("the change of the business first response: %q, class %q", text, class)
	}
}

// The summary gives its period back as scripts write one, RFC 3339 in
// UTC to the second, and that is the period it counts: the default one
// (the 30 days up to now) has no fraction of a second either, its
// previous period ends where it starts, and a fraction asked for is
// dropped, so a message within it is not counted in a period said to end
// before it.
func TestReportPeriodGivenBackToTheSecond(t *testing.T) {
	ts := newTestServer(t)
	second := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	type period struct {
		From          string `json:"from"`
		To            string `json:"to"`
		Conversations int    `json:"conversations"`
	}
	var s struct {
		period
		Previous *period `json:"previous"`
	}
	if status := ts.get("/api/v1/reports/summary?compare=previous", &s); status != http.StatusOK || s.Previous == nil {
		t.Fatalf("default period: %d %+v", status, s)
	}
	for _, v := range []string{s.From, s.To, s.Previous.From, s.Previous.To} {
		if !second.MatchString(v) {
			t.Errorf("default period %s to %s, previous %s to %s: %q is not RFC 3339 in UTC to the second",
				s.From, s.To, s.Previous.From, s.Previous.To, v)
		}
	}
	from, _ := time.Parse(time.RFC3339, s.From)
	to, _ := time.Parse(time.RFC3339, s.To)
	if to.Sub(from) != 30*24*time.Hour || s.Previous.To != s.From {
		t.Errorf("default period %s to %s, previous to %s: want 30 days, the previous ending where it starts", s.From, s.To, s.Previous.To)
	}

	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Date(2026, 3, 1, 9, 0, 0, 300e6, time.UTC)))
	q := url.Values{"from": {"2026-03-01T09:00:00.5+01:00"}, "to": {"2026-03-01T10:00:00.600000001+01:00"}}
	if status := ts.get("/api/v1/reports/summary?"+q.Encode(), &s); status != http.StatusOK ||
		s.From != "2026-03-01T08:00:00Z" || s.To != "2026-03-01T09:00:00Z" || s.Conversations != 0 {
		t.Errorf("a period of fractions of seconds: %d %+v; want 2026-03-01T08:00:00Z to 2026-03-01T09:00:00Z, without the message at 09:00:00.3",
			status, s.period)
	}
}

// A duration on the Reports page reads in its two largest units, the
// smaller rounded to the nearest, as a support lead reads a response
// time: a first response of 1 min 44 s says so in the figures and the
// agents' table, and in the agent's own report, not "1 min".
func TestReportDurationsAreNotCutShort(t *testing.T) {
	for _, c := range []struct {
		secs float64
		want string
	}{
		{0, "0 s"}, {44.4, "44 s"}, {59.6, "1 min"}, {60, "1 min"}, {104, "1 min 44 s"}, {719.6, "12 min"},
		{3599.6, "1 h"}, {3600 + 29*60 + 40, "1 h 30 min"}, {8*3600 + 40*60 + 10, "8 h 40 min"},
		{24*3600 - 20, "1 d"}, {2*86400 + 14*3600 + 40*60, "2 d 15 h"}, {3 * 86400, "3 d"},
	} {
		if got := web.HumanSeconds(c.secs); got != c.want {
			t.Errorf("%v s reads %q, want %q", c.secs, got, c.want)
		}
	}

	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	ben := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	asked := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my order?", asked))
	ts.settle()
	conv := ts.mustMessage("msg_1").ConversationID
	sendReply(t, ts.db, inbox.Reply{ConversationID: conv, AuthorID: &ben.ID, Source: inbox.SourceAgent,
		Type: inbox.TypeText, Text: "On its way", IdempotencyKey: "k1", At: asked.Add(104 * time.Second)})

	adm := ts.newAgent()
	adm.login(ana.Email)
	p := adm.get("/reports")
	for _, id := range []string{"figure-first-response-p50", "figure-first-response-p90"} {
		if got := strings.TrimSpace(p.doc.Find(`[data-testid="` + id + `"] .report-value`).Text()); got != "1 min 44 s" {
			t.Errorf("admin's %s %q, want 1 min 44 s", id, got)
		}
	}
	var row string
	p.find("agents-table").Find(`tbody tr`).Each(func(_ int, tr *goquery.Selection) {
		if tr.Find("td").Eq(0).Text() == "Ben" {
			row = tr.Find(`td[data-label="First response (median)"]`).Text()
		}
	})
	if row != "1 min 44 s" {
		t.Errorf("Ben's row in the agents' table %q, want 1 min 44 s", row)
	}

	b := ts.newAgent()
	b.login(ben.Email)
	if got := strings.TrimSpace(b.get("/reports").doc.Find(`[data-testid="figure-first-response-p50"] .report-value`).Text()); got != "1 min 44 s" {
		t.Errorf("Ben's own report %q, want 1 min 44 s", got)
	}
}

// The Reports page's CSV opens in Excel with its names as written: it
// starts with a UTF-8 byte order mark, without which Excel reads the
// file in the computer's code page (José Müller as JosÃ© MÃ¼ller). A
// script's export, from the API, has none.
func TestReportExportForPeopleOpensInExcel(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+34600111222", "José Müller", "Hola", time.Now().Add(-time.Minute)))
	a := ts.newAgent()
	a.login("ana@example.com")
	// With a row, and with none (a period with no conversation).
	for path, row := range map[string]string{"/reports/export.csv": ",José Müller,", "/reports/export.csv?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z": ""} {
		body := a.get(path).body
		if !strings.HasPrefix(body, "\uFEFFconversation_id,") || !strings.Contains(body, row) {
			t.Errorf("%s starts %q, want a byte order mark then the header, and a row with %q", path, body[:min(len(body), 40)], row)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/api/v1/reports/export.csv", nil)
	req.Header.Set("Authorization", "Bearer "+ts.token)
	resp, err := ts.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), "conversation_id,") {
		t.Errorf("the API's CSV starts %q, want the header", body[:min(len(body), 40)])
	}
}
