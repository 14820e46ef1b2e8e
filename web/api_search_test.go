package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
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

// Search's status filter means what the conversation list's does: open
// leaves snoozed conversations out, and snoozed finds them.
func TestAPISearchByStatusSnoozed(t *testing.T) {
	ts := newTestServer(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var convs []int64
	for i := range 3 {
		ts.mustPost(event(fmt.Sprintf("evt_%d", i), "message.inbound", base.Add(time.Duration(i)*time.Minute), map[string]any{
			"messageId": fmt.Sprintf("msg_%d", i), "from": fmt.Sprintf("+4917612345%03d", i), "to": "+13125559876",
			"channel": "whatsapp", "messageType": "text", "text": "parcel missing", "profileName": fmt.Sprintf("Kunde %d", i),
		}))
		convs = append(convs, ts.mustMessage(fmt.Sprintf("msg_%d", i)).ConversationID)
	}
	soon := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if status, _, e := ts.patch(ts.token, convs[1], `{"status":"snoozed","snoozedUntil":"`+soon+`"}`); status != http.StatusOK {
		t.Fatalf("snooze: %d %+v", status, e)
	}
	if status, _, e := ts.patch(ts.token, convs[2], `{"status":"resolved"}`); status != http.StatusOK {
		t.Fatalf("resolve: %d %+v", status, e)
	}
	for status, want := range map[string][]int64{
		"open": {convs[0]}, "snoozed": {convs[1]}, "resolved": {convs[2]}, "all": {convs[0], convs[1], convs[2]},
	} {
		var list, found struct {
			Items []struct {
				ID             int64 `json:"id"`
				ConversationID int64 `json:"conversationId"`
			} `json:"items"`
		}
		ts.mustGet("/api/v1/conversations?status="+status, &list)
		if code := ts.get("/api/v1/search?q=parcel&status="+status, &found); code != http.StatusOK {
			t.Errorf("search status=%s: %d", status, code)
			continue
		}
		var listed, hits []int64
		for _, c := range list.Items {
			listed = append(listed, c.ID)
		}
		for _, h := range found.Items {
			hits = append(hits, h.ConversationID)
		}
		slices.Sort(listed)
		slices.Sort(hits)
		if !slices.Equal(hits, want) || !slices.Equal(listed, want) {
			t.Errorf("status=%s: search finds %v, the list shows %v; want %v for both", status, hits, listed, want)
		}
	}
}
