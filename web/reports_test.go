package web_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
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
