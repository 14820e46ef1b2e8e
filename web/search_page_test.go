package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
)

// The search box's filters narrow the results: assigned to me, by
// channel, and by days in the agent's time zone.
func TestSearchPageFilters(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i, ch := range []string{"whatsapp", "sms"} {
		ts.mustPost(event(fmt.Sprintf("evt_f%d", i), "message.inbound", base.Add(time.Duration(i)*time.Minute), map[string]any{
			"messageId": fmt.Sprintf("msg_f%d", i), "from": fmt.Sprintf("+4917612345%03d", i), "to": "+13125559876",
			"channel": ch, "messageType": "text", "text": "where is my order", "profileName": fmt.Sprintf("Kunde %d", i),
		}))
	}
	a := ts.newAgent()
	a.login(ana.Email)
	a.get("/inbox")
	wa := ts.mustMessage("msg_f0")
	if p := a.post(fmt.Sprintf("/conversations/%d/assign", wa.ConversationID), url.Values{"assignee": {"me"}}); p.status != http.StatusNoContent {
		t.Fatalf("assign: %d", p.status)
	}
	today := base.UTC().Format(time.DateOnly)
	tomorrow := base.UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	for _, c := range []struct {
		query string
		want  int
	}{
		{"q=order", 2},
		{"q=order&assigneeId=me", 1},
		{"q=order&assigneeId=none", 1},
		{"q=order&channel=sms", 1},
		{"q=order&status=resolved", 0},
		{"q=order&from=" + today + "&to=" + today, 2},
		{"q=order&from=" + tomorrow, 0},
		{"q=" + url.QueryEscape("order in:mine"), 1},
	} {
		p := a.htmx("/search?" + c.query)
		if got := p.find("search-hit").Length(); p.status != http.StatusOK || got != c.want {
			t.Errorf("%s: %d results (status %d), want %d", c.query, got, p.status, c.want)
		}
	}
	if p := a.htmx("/search?q=order&from=someday"); p.find("search-hit").Length() != 0 || p.status != http.StatusOK {
		t.Errorf("a bad day: %d %s", p.status, p.body)
	}
	// The address itself, opened in a browser (the search form submitted
	// with no script to run it): the inbox, not a page of bare results.
	if p := a.do(http.MethodGet, "/search?q=order", nil, func(r *http.Request) {
		r.Header.Set("Accept", "text/html,application/xhtml+xml")
	}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/inbox" {
		t.Errorf("/search in a browser: status %d, location %q", p.status, p.header.Get("Location"))
	}
	// The inbox page offers the filters.
	inbox := a.get("/inbox")
	for _, id := range []string{"search-channel", "search-status", "search-assignee", "search-from", "search-to"} {
		if inbox.find(id).Length() != 1 {
			t.Errorf("the search box has no %s", id)
		}
	}
}

// A customer who writes on WhatsApp and by SMS has two conversations: the
// search's results say which channel each is on, as the list's rows do,
// so the two are not the same line twice.
func TestSearchResultsNameTheirChannel(t *testing.T) {
	ts := newTestServer(t)
	contactFixture(ts) // Greta ("gretchen99") on WhatsApp and by SMS
	ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	a := ts.newAgent()
	a.login("ana@example.com")
	a.get("/inbox")
	for q, want := range map[string][]string{
		"gretchen": {"SMS", "WhatsApp"}, // the contact, in each of her conversations
		"parcel":   {"WhatsApp"},        // her message
	} {
		p := a.htmx("/search?q=" + q)
		var got []string
		p.find("search-hit").Each(func(_ int, h *goquery.Selection) {
			got = append(got, strings.TrimSpace(h.Find("[data-testid=channel-badge]").Text()))
		})
		if !slices.Equal(got, want) {
			t.Errorf("%s: results on channels %q, want %q", q, got, want)
		}
	}
}

// A search of operators alone (label:, in:mine, -word) has nothing to
// find: it says to add a word, and where the list shows those
// conversations, instead of "Nothing found." beside a conversation that
// carries the label.
func TestSearchOfOperatorsAloneSaysToAddAWord(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Is my refund through?", time.Now().Add(-time.Minute)))
	ts.label("refund", "red")
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	a.get("/inbox")
	if p := a.post(fmt.Sprintf("/conversations/%d/labels", conv), url.Values{"label": {"refund"}}); p.status >= 300 {
		t.Fatalf("label: %d %s", p.status, p.body)
	}
	for _, q := range []string{"label:refund", "in:mine", "-refund", `label:"refund" in:mine`} {
		p := a.htmx("/search?q=" + url.QueryEscape(q))
		text := strings.Join(strings.Fields(p.doc.Text()), " ")
		if p.find("search-empty").Length() != 0 || !strings.Contains(text, "Add a word to find") {
			t.Errorf("%s: the results read %q", q, text)
		}
	}
	if p := a.htmx("/search?q=" + url.QueryEscape("refund label:refund")); p.find("search-hit").Length() != 1 {
		t.Errorf("a word and a label: %d results, want 1", p.find("search-hit").Length())
	}
}

// The search box's days are whole days in the agent's zone where summer
// time starts at midnight: in Santiago, 6 September 2026 begins at 01:00
// (midnight does not exist), so a message at 23:30 on the 5th is the
// 5th's, found by a search to the 5th and not by one from the 6th.
func TestSearchPageDaysWhereSummerTimeStartsAtMidnight(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	a := ts.newAgent()
	a.login(ana.Email)
	loc := a.inZone("America/Santiago")
	late := time.Date(2026, 9, 5, 23, 30, 0, 0, loc) // 03:30 UTC on the 6th
	early := time.Date(2026, 9, 6, 1, 30, 0, 0, loc) // the 6th's first hour
	if late.Format("15:04") != "23:30" || early.Format("15:04") != "01:30" {
		t.Fatalf("zone data: %v, %v", late, early)
	}
	ts.mustPost(inboundText("evt_1", "msg_1", "parcel late on the fifth", late))
	ts.mustPost(inboundText("evt_2", "msg_2", "parcel early on the sixth", early))
	a.get("/inbox")
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"from=2026-09-05&to=2026-09-05", []string{"fifth"}},
		{"to=2026-09-05", []string{"fifth"}},
		{"from=2026-09-06&to=2026-09-06", []string{"sixth"}},
		{"from=2026-09-06", []string{"sixth"}},
		{"from=2026-09-05&to=2026-09-06", []string{"fifth", "sixth"}},
	} {
		p := a.htmx("/search?q=parcel&" + c.query)
		var got []string
		p.find("search-hit").Each(func(_ int, h *goquery.Selection) {
			for _, w := range []string{"fifth", "sixth"} {
				if strings.Contains(h.Text(), w) {
					got = append(got, w)
				}
			}
		})
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: found %q, want %q", c.query, got, c.want)
		}
	}
}
