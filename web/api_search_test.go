package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

type apiSearchHit struct {
	ConversationID int64  `json:"conversationId"`
	MessageID      *int64 `json:"messageId"`
	Contact        struct {
		ID    int64   `json:"id"`
		Phone string  `json:"phone"`
		Name  *string `json:"name"`
	} `json:"contact"`
	Snippet   string `json:"snippet"`
	CreatedAt string `json:"createdAt"`
}

type apiSearchPage struct {
	Items      []apiSearchHit `json:"items"`
	NextCursor *string        `json:"nextCursor"`
}

// A message is found through the API the moment its webhook is
// acknowledged and applied, by a fragment of an order number, with the
// snippet escaped and the match marked; the contact by a part of its
// number written another way.
func TestAPISearch(t *testing.T) {
	ts := newTestServer(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i, text := range []string{"Where is order W-77812? <b>urgent</b>", "thanks, all good", "my order W-11111 is late"} {
		ts.mustPost(event(fmt.Sprintf("evt_%d", i), "message.inbound", base.Add(time.Duration(i)*time.Minute), map[string]any{
			"messageId": fmt.Sprintf("msg_%d", i), "from": fmt.Sprintf("+4917612345%03d", i), "to": "+13125559876",
			"channel": "whatsapp", "messageType": "text", "text": text, "profileName": fmt.Sprintf("Kunde %d", i),
		}))
	}
	var page apiSearchPage
	ts.mustGet("/api/v1/search?q="+url.QueryEscape("7781"), &page)
	if len(page.Items) != 1 || page.Items[0].MessageID == nil || page.NextCursor != nil {
		t.Fatalf("7781: %+v", page)
	}
	hit := page.Items[0]
	if want := ts.mustMessage("msg_0"); *hit.MessageID != want.ID || hit.ConversationID != want.ConversationID {
		t.Errorf("7781 finds message %d in %d, want %d in %d", *hit.MessageID, hit.ConversationID, want.ID, want.ConversationID)
	}
	if !strings.Contains(hit.Snippet, "W-<mark>7781</mark>2? &lt;b&gt;urgent&lt;/b&gt;") {
		t.Errorf("snippet %q: want the match marked and the text escaped", hit.Snippet)
	}
	if hit.Contact.Phone != "+4917612345000" || hit.CreatedAt == "" {
		t.Errorf("hit %+v", hit)
	}

	ts.mustGet("/api/v1/search?q="+url.QueryEscape("0176 12345 002"), &page)
	if len(page.Items) != 1 || page.Items[0].MessageID != nil || page.Items[0].Contact.Phone != "+4917612345002" {
		t.Errorf("phone fragment: %+v", page)
	}

	// Paging: two orders, one a page.
	ts.mustGet("/api/v1/search?q=order&limit=1", &page)
	if len(page.Items) != 1 || page.NextCursor == nil {
		t.Fatalf("page 1: %+v", page)
	}
	first := *page.Items[0].MessageID
	ts.mustGet("/api/v1/search?q=order&limit=1&cursor="+url.QueryEscape(*page.NextCursor), &page)
	if len(page.Items) != 1 || *page.Items[0].MessageID == first {
		t.Errorf("page 2: %+v", page)
	}

	for _, bad := range []string{"limit=500", "channel=fax", "status=maybe", "assigneeId=x", "from=yesterday",
		"cursor=nope", "q=" + url.QueryEscape("order in:mine")} {
		var body apiErrorBody
		if !strings.HasPrefix(bad, "q=") {
			bad = "q=order&" + bad
		}
		if status := ts.get("/api/v1/search?"+bad, &body); status != http.StatusBadRequest || body.Error.Code != "invalid_parameter" {
			t.Errorf("%s: status %d, %+v", bad, status, body)
		}
	}
	// An unknown label selects nothing; FTS5 syntax is only text.
	for _, q := range []string{"q=order&label=vip", "q=" + url.QueryEscape(`"unclosed`), "q=" + url.QueryEscape("NEAR(a b)")} {
		if status := ts.get("/api/v1/search?"+q, &page); status != http.StatusOK || len(page.Items) != 0 {
			t.Errorf("%s: status %d, %+v", q, status, page)
		}
	}
}

// The search's status filter means what the lists' does: a snoozed
// conversation has left the open ones, and status=snoozed finds it, in
// the API and in the search box alike.
func TestSearchStatusAsTheListsHaveIt(t *testing.T) {
	ts := newTestServer(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i := range 2 {
		ts.mustPost(inboundFrom(fmt.Sprintf("evt_%d", i), fmt.Sprintf("msg_%d", i), fmt.Sprintf("+4917612345%03d", i),
			fmt.Sprintf("Kunde %d", i), "where is my parcel", base.Add(time.Duration(i)*time.Minute)))
	}
	open, snoozed := ts.mustMessage("msg_0").ConversationID, ts.mustMessage("msg_1").ConversationID
	until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	if status, c, e := ts.patch(ts.token, snoozed, `{"status":"snoozed","snoozedUntil":"`+until.Format(time.RFC3339)+`"}`); status != http.StatusOK {
		t.Fatalf("snooze: %d %+v %+v", status, c, e)
	}
	ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	a := ts.newAgent()
	a.login("ana@example.com")
	for _, tc := range []struct {
		status string
		want   []int64
	}{
		{"open", []int64{open}},
		{"snoozed", []int64{snoozed}},
		{"resolved", nil},
		{"all", []int64{snoozed, open}},
	} {
		var page apiSearchPage
		if status := ts.get("/api/v1/search?q=parcel&status="+tc.status, &page); status != http.StatusOK {
			t.Errorf("API, status=%s: %d", tc.status, status)
			continue
		}
		var got []int64
		for _, h := range page.Items {
			got = append(got, h.ConversationID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("API, status=%s: conversations %v, want %v", tc.status, got, tc.want)
		}
		if p := a.htmx("/search?q=parcel&status=" + tc.status); p.find("search-hit").Length() != len(tc.want) {
			t.Errorf("search box, status=%s: %d results, want %d", tc.status, p.find("search-hit").Length(), len(tc.want))
		}
	}
	if p := a.get("/inbox"); p.find("search-status").Find(`option[value=snoozed]`).Length() != 1 {
		t.Error("the search's status filter offers no Snoozed")
	}
}

// A search of operators alone (label:refund, -refund) finds nothing, as
// operators only narrow what words find: the API says so with 400
// search_needs_word rather than an empty list that reads as "no
// conversation carries the label". in:mine, which the API never takes,
// says to use assigneeId; with a word the label narrows as ever.
func TestAPISearchOfOperatorsAloneAsksForAWord(t *testing.T) {
	ts := newTestServer(t)
	ts.mustPost(inboundText("evt_1", "msg_1", "Is my refund through?", time.Now().Add(-time.Minute)))
	ts.label("refund", "red")
	conv := ts.mustMessage("msg_1").ConversationID
	if status, _, out := ts.patch(ts.token, conv, `{"labels":["refund"]}`); status != http.StatusOK {
		t.Fatalf("label: %d %+v", status, out)
	}
	// No q at all, or a blank one, is the same mistake: it answered an
	// empty list, read as "nothing matched".
	for _, q := range []string{"label:refund", "-refund", `label:"refund" -late`, "  label:refund  ", "", "   "} {
		status, out := ts.apiCall(ts.token, http.MethodGet, "/api/v1/search?q="+url.QueryEscape(q), "")
		if status != http.StatusBadRequest || out.Error.Code != "search_needs_word" || !strings.Contains(out.Error.Message, "word") {
			t.Errorf("%q: %d %+v, want 400 search_needs_word", q, status, out)
		}
	}
	if status, out := ts.apiCall(ts.token, http.MethodGet, "/api/v1/search?q=in:mine", ""); status != http.StatusBadRequest ||
		out.Error.Code != "invalid_parameter" || !strings.Contains(out.Error.Message, "assigneeId") {
		t.Errorf("in:mine: %d %+v, want 400 invalid_parameter naming assigneeId", status, out)
	}
	if status, out := ts.apiCall(ts.token, http.MethodGet, "/api/v1/search?label=refund", ""); status != http.StatusBadRequest || out.Error.Code != "search_needs_word" {
		t.Errorf("no q: %d %+v, want 400 search_needs_word", status, out)
	}
	for _, q := range []string{"refund label:refund", "from:+1415 label:refund"} {
		var page apiSearchPage
		ts.mustGet("/api/v1/search?q="+url.QueryEscape(q), &page)
		if len(page.Items) != 1 || page.Items[0].ConversationID != conv {
			t.Errorf("%q: %+v, want the labelled conversation", q, page)
		}
	}
}

// TestAPISearchPeriodAsTheReportsTakeIt: a script gives the search's
// from and to as it gives the reports' (RFC 3339 with the offset typed
// as it is written, +01:00, not escaped in the URL, where a + stands for
// a space) and finds the message of that period, not a 400 saying the
// time is not RFC 3339. A period that ends before it starts is refused
// as the reports refuse it, not answered with an empty list that reads
// as "nothing matched".
func TestAPISearchPeriodAsTheReportsTakeIt(t *testing.T) {
	ts := newTestServer(t)
	at := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is order W-77812?", at))
	berlin := time.FixedZone("", 3600)
	from, to := at.Add(-time.Hour).In(berlin).Format(time.RFC3339), at.Add(time.Hour).In(berlin).Format(time.RFC3339)
	var page apiSearchPage
	if status := ts.get("/api/v1/search?q=order&from="+from+"&to="+to, &page); status != http.StatusOK || len(page.Items) != 1 {
		t.Errorf("from=%s&to=%s as typed: %d, %+v; want 200 and the message", from, to, status, page)
	}
	for _, q := range []string{"from=" + to + "&to=" + from, "from=2026-03-02&to=2026-03-01"} {
		status, body := ts.apiCall(ts.token, http.MethodGet, "/api/v1/search?q=order&"+q, "")
		if status != http.StatusBadRequest || body.Error.Code != "invalid_parameter" || !strings.Contains(body.Error.Message, "before") {
			t.Errorf("%s: %d %+v, want 400 invalid_parameter: from must be before to", q, status, body)
		}
	}
}
