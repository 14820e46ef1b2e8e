package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
)

// A label narrows a search through the API (label= by name, labelId= by
// id, label: in q) and through the search box's filter, with the other
// filters; the box offers the team's labels.
func TestSearchByLabel(t *testing.T) {
	ts := newTestServer(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i, ch := range []string{"whatsapp", "sms", "whatsapp"} {
		ts.mustPost(event(fmt.Sprintf("evt_l%d", i), "message.inbound", base.Add(time.Duration(i)*time.Minute), map[string]any{
			"messageId": fmt.Sprintf("msg_l%d", i), "from": fmt.Sprintf("+4917612345%03d", i), "to": "+13125559876",
			"channel": ch, "messageType": "text", "text": "where is my order", "profileName": fmt.Sprintf("Kunde %d", i),
		}))
	}
	ts.label("VIP", "red")
	ts.label("Late delivery", "blue")
	convs := make([]int64, 3)
	for i := range convs {
		convs[i] = ts.mustMessage(fmt.Sprintf("msg_l%d", i)).ConversationID
	}
	for i, labels := range []string{`["vip","Late delivery"]`, `["late delivery"]`} {
		if status, _, e := ts.patch(ts.token, convs[i], `{"labels":`+labels+`}`); status != http.StatusOK {
			t.Fatalf("label %d: %d %+v", convs[i], status, e)
		}
	}
	labels, err := ts.db.Labels(t.Context())
	if err != nil || len(labels) != 2 {
		t.Fatalf("labels: %v %v", labels, err)
	}
	late := labels[0].ID // by name: "Late delivery" before "VIP"

	conversationsOf := func(page apiSearchPage) []int64 {
		var out []int64
		for _, h := range page.Items {
			out = append(out, h.ConversationID)
		}
		return out
	}
	for _, c := range []struct {
		query string
		want  []int64
	}{
		{"q=order", []int64{convs[2], convs[1], convs[0]}},
		{"q=order&label=vip", []int64{convs[0]}},
		{"q=order&labelId=" + strconv.FormatInt(late, 10), []int64{convs[1], convs[0]}},
		{"q=order&labelId=" + strconv.FormatInt(late, 10) + "&channel=sms", []int64{convs[1]}},
		{"q=" + url.QueryEscape(`order label:"late DELIVERY"`), []int64{convs[1], convs[0]}},
		{"q=" + url.QueryEscape("label:vip order") + "&status=resolved", nil},
		{"q=order&labelId=999", nil},
	} {
		var page apiSearchPage
		ts.mustGet("/api/v1/search?"+c.query, &page)
		if got := conversationsOf(page); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: conversations %v, want %v", c.query, got, c.want)
		}
	}
	for _, bad := range []string{"labelId=x", "labelId=0", "labelId=-3"} {
		var body apiErrorBody
		if status := ts.get("/api/v1/search?q=order&"+bad, &body); status != http.StatusBadRequest || body.Error.Code != "invalid_parameter" {
			t.Errorf("%s: status %d, %+v", bad, status, body)
		}
	}

	a := ts.newAgent()
	a.login(ts.addUser("ana@example.com", "Ana", inbox.RoleAgent).Email)
	page := a.get("/inbox")
	options := page.find("search-label").Find("option")
	if got := strings.Join(options.Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("value", "") }), ","); got != ",Late delivery,VIP" {
		t.Errorf("the label filter offers %q", got)
	}
	if !strings.Contains(page.find("search-help").Text(), "label:refund") {
		t.Errorf("the search help does not list label:")
	}
	for _, c := range []struct {
		query string
		want  int
	}{
		{"q=order&label=VIP", 1},
		{"q=order&label=" + url.QueryEscape("Late delivery"), 2},
		{"q=" + url.QueryEscape("order label:vip") + "&channel=sms", 0},
	} {
		p := a.htmx("/search?" + c.query)
		if got := p.find("search-hit").Length(); p.status != http.StatusOK || got != c.want {
			t.Errorf("%s: %d results (status %d), want %d", c.query, got, p.status, c.want)
		}
	}
}
