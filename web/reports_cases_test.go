package web_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// TestReportsOfATeamInBerlin: a team in Berlin, open weekdays 09:00-18:00,
// reports in Berlin time. A customer writes at 17:59 on a Friday and is
// answered at 09:01 on Monday: two minutes within business hours, 63 h 2
// min on the clock. Another writes at 00:30 on Monday, Berlin time, which
// is still Sunday in UTC: the Monday of the page holds that request, the
// API's UTC Monday does not (only the first customer's reminder at 08:00). The page, the API and the CSV of the same
// period give the same figures.
func TestReportsOfATeamInBerlin(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data")
	}
	if err := ts.db.SetSetting(t.Context(), inbox.SettingReportTimeZone, "Europe/Berlin", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.db.UpdateAutoReplies(t.Context(), time.Now(), func(c *inbox.AutoReplyConfig) error {
		c.Hours = inbox.BusinessHours{TimeZone: "Europe/Berlin"}
		for d := time.Monday; d <= time.Friday; d++ {
			c.Hours.Days[d] = []inbox.Span{{Open: 9 * 60, Close: 18 * 60}}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	fri := time.Date(2026, 3, 6, 17, 59, 0, 0, berlin)
	monNight := time.Date(2026, 3, 9, 0, 30, 0, 0, berlin) // Sunday 23:30 UTC
	for i, c := range []struct {
		phone string
		at    time.Time
	}{{"+14155550001", fri}, {"+14155550002", monNight},
		// Friday's customer asks again (which opens the 24-hour window
		// for the answer): the same request.
		{"+14155550001", time.Date(2026, 3, 9, 8, 0, 0, 0, berlin)}} {
		ts.mustPost(event(fmt.Sprint("evt_", i), "message.inbound", c.at, map[string]any{
			"messageId": fmt.Sprint("msg_", i), "from": c.phone, "to": "+13125559876", "channel": "whatsapp",
			"messageType": "text", "text": "Hello", "profileName": "Customer",
		}))
	}
	ts.settle()
	convs := all[apiConversation](ts, "/api/v1/conversations?status=all", "cursor")
	if len(convs) != 2 {
		t.Fatalf("%d conversations, want 2", len(convs))
	}
	answer := map[string]time.Time{
		"+14155550001": time.Date(2026, 3, 9, 9, 1, 0, 0, berlin),
		"+14155550002": time.Date(2026, 3, 9, 9, 10, 0, 0, berlin),
	}
	for i, c := range convs {
		sendReply(t, ts.db, inbox.Reply{ConversationID: c.ID, AuthorID: &ana.ID, Source: inbox.SourceAgent,
			Type: inbox.TypeText, Text: "Hi", IdempotencyKey: fmt.Sprint("k", i), At: answer[c.Contact.Phone]})
	}

	type spread struct {
		P50   float64 `json:"p50"`
		P90   float64 `json:"p90"`
		Count int     `json:"count"`
	}
	var s struct {
		Conversations                int     `json:"conversations"`
		InboundMessages              int     `json:"inboundMessages"`
		FirstResponseSeconds         spread  `json:"firstResponseSeconds"`
		FirstResponseBusinessSeconds *spread `json:"firstResponseBusinessSeconds"`
		ByHour                       []int   `json:"byHour"`
		ByWeekday                    []int   `json:"byWeekday"`
	}
	// The week in Berlin: both requests. Friday's waited 63 h 2 min on the
	// clock, 2 min within business hours; Monday's 8 h 40 min, 10 min.
	week := url.Values{"from": {"2026-03-02T00:00:00+01:00"}, "to": {"2026-03-16T00:00:00+01:00"}}
	ts.mustGet("/api/v1/reports/summary?"+week.Encode(), &s)
	if s.Conversations != 2 || s.FirstResponseSeconds != (spread{P50: 31200, P90: 226920, Count: 2}) ||
		s.FirstResponseBusinessSeconds == nil || *s.FirstResponseBusinessSeconds != (spread{P50: 120, P90: 600, Count: 2}) {
		t.Fatalf("the fortnight: %d conversations, first response %+v, within business hours %+v; want 2, 31200/226920 s, 120/600 s",
			s.Conversations, s.FirstResponseSeconds, s.FirstResponseBusinessSeconds)
	}
	// Berlin's hours and weekdays: 17:00 on Friday, 00:00 and 08:00 on
	// Monday.
	if s.ByHour[17] != 1 || s.ByHour[0] != 1 || s.ByHour[8] != 1 || s.ByWeekday[4] != 1 || s.ByWeekday[0] != 2 {
		t.Errorf("by hour %v, by weekday %v; want Berlin's 17:00 Friday, 00:00 and 08:00 Monday", s.ByHour, s.ByWeekday)
	}
	// Monday in Berlin holds the night's request; Monday in UTC does not.
	ts.mustGet("/api/v1/reports/summary?"+url.Values{"from": {"2026-03-09T00:00:00+01:00"}, "to": {"2026-03-10T00:00:00+01:00"}}.Encode(), &s)
	if s.Conversations != 1 || s.InboundMessages != 2 {
		t.Errorf("Berlin's Monday: %d conversations, %d messages; want 1, 2", s.Conversations, s.InboundMessages)
	}
	ts.mustGet("/api/v1/reports/summary?"+url.Values{"from": {"2026-03-09T00:00:00Z"}, "to": {"2026-03-10T00:00:00Z"}}.Encode(), &s)
	if s.Conversations != 0 || s.InboundMessages != 1 {
		t.Errorf("UTC's Monday: %d conversations, %d messages; want 0, 1", s.Conversations, s.InboundMessages)
	}

	adm := ts.newAgent()
	adm.login(ana.Email)
	figure := func(p page, key string) string {
		return strings.TrimSpace(p.doc.Find(`[data-testid="figure-` + key + `"] .report-value`).Text())
	}
	for _, c := range []struct {
		from, to                 string
		conversations, fr, frBiz string
		rows                     int
	}{
		{"2026-03-06", "2026-03-08", "1", "2 d 15 h", "2 min", 1}, // Friday to Sunday: Friday's alone
		{"2026-03-09", "2026-03-09", "1", "8 h 40 min", "10 min", 1},
		{"2026-03-02", "2026-12-31", "2", "8 h 40 min", "2 min", 2}, // ends in the future
	} {
		p := adm.get("/reports?from=" + c.from + "&to=" + c.to)
		if got := fmt.Sprint(figure(p, "conversations"), ", ", figure(p, "first-response-p50"), ", ", figure(p, "first-response-business-p50")); got !=
			c.conversations+", "+c.fr+", "+c.frBiz {
			t.Errorf("page %s to %s: %s; want %s, %s, %s", c.from, c.to, got, c.conversations, c.fr, c.frBiz)
		}
		export := p.find("report-export").AttrOr("href", "")
		rows, err := csv.NewReader(strings.NewReader(adm.get(export).body)).ReadAll()
		if err != nil || len(rows) != c.rows+1 {
			t.Errorf("page %s to %s: its CSV (%s) has %d rows, %v; want %d", c.from, c.to, export, len(rows)-1, err, c.rows)
		}
	}
}

// TestReportPageTakes366DaysAcrossAClockChange: a period of 366 days on
// the page (2027-10-30 to 2028-10-29 in Berlin, with 29 February) is
// allowed, though its clocks went back twice and forward once (an hour
// more than 366 x 24 h); 367 days are not; nor a last day before the first.
func TestReportPageTakes366DaysAcrossAClockChange(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	if err := ts.db.SetSetting(t.Context(), inbox.SettingReportTimeZone, "Europe/Berlin", time.Now()); err != nil {
		t.Fatal(err)
	}
	adm := ts.newAgent()
	adm.login("ana@example.com")
	for _, c := range []struct {
		from, to string
		refused  bool
	}{
		{"2027-10-30", "2028-10-29", false},
		{"2027-10-30", "2028-10-30", true},
		{"2026-03-02", "2026-03-01", true},
		{"2026-03-02", "2026-03-02", false},
	} {
		p := adm.get("/reports?from=" + c.from + "&to=" + c.to)
		shown := p.doc.Find(`input[name=from]`).AttrOr("value", "") + " " + p.doc.Find(`input[name=to]`).AttrOr("value", "")
		if refused := p.find("report-error").Length() == 1; refused != c.refused || (!refused && shown != c.from+" "+c.to) {
			t.Errorf("%s to %s: refused %v, shows %s; want refused %v", c.from, c.to, refused, shown, c.refused)
		}
		// The page's CSV takes the page's period.
		if e := adm.get(p.find("report-export").AttrOr("href", "")); e.status != http.StatusOK {
			t.Errorf("%s to %s: the CSV answers %d", c.from, c.to, e.status)
		}
	}
}

// TestReportPageWhereSummerTimeBeginsAtMidnight: reports in Santiago,
// whose clocks jump from 00:00 to 01:00 on Sunday 6 September 2026. The
// page of that Sunday shows that Sunday, counts its message and not
// Saturday's at 23:30, and its CSV agrees.
func TestReportPageWhereSummerTimeBeginsAtMidnight(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	santiago, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Skip("no time zone data")
	}
	if err := ts.db.SetSetting(t.Context(), inbox.SettingReportTimeZone, "America/Santiago", time.Now()); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		phone string
		at    time.Time
	}{{"+14155550001", time.Date(2026, 9, 5, 23, 30, 0, 0, santiago)}, {"+14155550002", time.Date(2026, 9, 6, 4, 30, 0, 0, time.UTC)}} {
		ts.mustPost(event(fmt.Sprint("evt_", i), "message.inbound", c.at, map[string]any{
			"messageId": fmt.Sprint("msg_", i), "from": c.phone, "to": "+13125559876", "channel": "whatsapp",
			"messageType": "text", "text": "Hello", "profileName": "Customer",
		}))
	}
	ts.settle()
	adm := ts.newAgent()
	adm.login("ana@example.com")
	for _, day := range []string{"2026-09-05", "2026-09-06"} {
		p := adm.get("/reports?from=" + day + "&to=" + day)
		shown := p.doc.Find(`input[name=from]`).AttrOr("value", "") + " " + p.doc.Find(`input[name=to]`).AttrOr("value", "")
		conversations := strings.TrimSpace(p.doc.Find(`[data-testid="figure-conversations"] .report-value`).Text())
		if shown != day+" "+day || conversations != "1" || p.find("report-error").Length() != 0 {
			t.Errorf("the page of %s shows %s, %s conversations; want that day and 1", day, shown, conversations)
		}
		rows, err := csv.NewReader(strings.NewReader(adm.get(p.find("report-export").AttrOr("href", "")).body)).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Errorf("the CSV of %s has %d rows, %v; want 1", day, len(rows)-1, err)
		}
	}
}
