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
