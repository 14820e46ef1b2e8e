package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
)

// TestThreadRendersEveryMessageKind posts the documented webhooks through
// the real endpoint and checks how each message looks in the thread.
func TestThreadRendersEveryMessageKind(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	for _, name := range []string{
		"seed_conversation_new", "seed_message_inbound_text", "seed_message_reaction",
		"seed_message_inbound_image", "extra_message_inbound_video", "extra_message_inbound_audio",
		"extra_message_inbound_document", "extra_message_inbound_sticker", "seed_message_inbound_location",
		"seed_message_inbound_contact", "seed_message_inbound_button_reply", "extra_message_inbound_list_reply",
		"seed_message_sent_echo", "extra_message_failed_window_closed",
		"seed_message_queued", "seed_message_sent", "seed_message_delivered",
	} {
		ts.mustPost(fixture(t, name))
	}
	unsupported := bytes.ReplaceAll(fixture(t, "seed_message_unsupported"), []byte("msg_xyz789"), []byte("msg_unsupported1"))
	ts.mustPost(bytes.Replace(unsupported, []byte(`"id": "evt_`), []byte(`"id": "evt_u_`), 1))
	ts.mustPost(inboundText("evt_html", "msg_html", "<script>alert(1)</script> see https://example.com/x.\nsecond line", time.Now()))

	a := ts.newAgent()
	a.login("ana@example.com")

	tests := []struct {
		zavuID string
		check  func(t *testing.T, bubble *goquery.Selection)
	}{
		{"msg_xyz789", func(t *testing.T, b *goquery.Selection) {
			hasTestID(t, b, "text")
			if chips := b.Find(`[data-testid="reaction"]`); chips.Length() != 1 {
				t.Errorf("reaction chips: %d, want 1", chips.Length())
			}
		}},
		{"msg_img789", mediaWith("Photo")},
		{"msg_x_video", mediaWith("Video")},
		{"msg_x_audio", mediaWith("")},
		{"msg_x_doc", mediaWith("")},
		{"msg_x_sticker", mediaWith("Sticker")},
		{"msg_loc123", func(t *testing.T, b *goquery.Selection) {
			hasTestID(t, b, "location")
			href, _ := b.Find(`[data-testid="map-link"]`).Attr("href")
			if !strings.HasPrefix(href, "https://www.openstreetmap.org/?mlat=") {
				t.Errorf("map link %q", href)
			}
		}},
		{"msg_cnt789", func(t *testing.T, b *goquery.Selection) { hasTestID(t, b, "contacts") }},
		{"msg_int456", func(t *testing.T, b *goquery.Selection) { hasTestID(t, b, "interactive") }},
		{"msg_x_list", func(t *testing.T, b *goquery.Selection) {
			if !strings.Contains(b.Find(`[data-testid="interactive"]`).Text(), "Chose from the list") {
				t.Errorf("list reply reads %q", b.Text())
			}
		}},
		{"msg_echo789", func(t *testing.T, b *goquery.Selection) {
			if got := b.Find(`[data-testid="author"]`).Text(); got != "Sent from phone" {
				t.Errorf("echo author %q, want Sent from phone", got)
			}
			if b.AttrOr("data-direction", "") != "outbound" {
				t.Error("an echo shows as the customer's")
			}
		}},
		{"msg_x_window", func(t *testing.T, b *goquery.Selection) {
			if s, _ := b.Find(`[data-testid="tick"]`).Attr("data-status"); s != "failed" {
				t.Errorf("tick %q, want failed", s)
			}
			if f := b.Find(`[data-testid="failure"]`).Text(); !strings.Contains(f, "24") {
				t.Errorf("failure reason %q does not explain the 24-hour window", f)
			}
		}},
		{"msg_abc123", func(t *testing.T, b *goquery.Selection) {
			if s, _ := b.Find(`[data-testid="tick"]`).Attr("data-status"); s != "delivered" {
				t.Errorf("tick %q, want delivered", s)
			}
			hasTestID(t, b, "placeholder")
		}},
		{"msg_unsupported1", func(t *testing.T, b *goquery.Selection) {
			if !strings.Contains(b.Find(`[data-testid="unsupported"]`).Text(), "cannot show") {
				t.Errorf("unsupported placeholder reads %q", b.Text())
			}
		}},
		{"msg_html", func(t *testing.T, b *goquery.Selection) {
			if b.Find("script").Length() != 0 {
				t.Fatal("the customer's <script> became an element")
			}
			text := b.Find(`[data-testid="text"]`)
			if !strings.Contains(text.Text(), "<script>alert(1)</script>") || !strings.Contains(text.Text(), "\nsecond line") {
				t.Errorf("text %q: not shown as written", text.Text())
			}
			if href, _ := text.Find("a").Attr("href"); href != "https://example.com/x" {
				t.Errorf("link %q, want https://example.com/x (without the full stop)", href)
			}
		}},
	}
	pages := map[int64]page{}
	for _, tt := range tests {
		t.Run(tt.zavuID, func(t *testing.T) {
			m := ts.mustMessage(tt.zavuID)
			p, ok := pages[m.ConversationID]
			if !ok {
				p = a.htmx(fmt.Sprintf("/conversations/%d", m.ConversationID))
				if p.status != http.StatusOK {
					t.Fatalf("thread: %d", p.status)
				}
				pages[m.ConversationID] = p
			}
			b := p.doc.Find(fmt.Sprintf("#m-%d", m.ID))
			if b.Length() != 1 {
				t.Fatalf("no bubble for %s in the thread", tt.zavuID)
			}
			tt.check(t, b)
		})
	}
	for id, p := range pages {
		if p.find("day").Length() == 0 {
			t.Errorf("thread %d has no day separator", id)
		}
	}
}

func hasTestID(t *testing.T, b *goquery.Selection, id string) {
	t.Helper()
	if b.Find(`[data-testid="`+id+`"]`).Length() == 0 {
		t.Errorf("bubble lacks %s: %s", id, b.Text())
	}
}

func mediaWith(label string) func(*testing.T, *goquery.Selection) {
	return func(t *testing.T, b *goquery.Selection) {
		t.Helper()
		media := b.Find(`[data-testid="media"]`)
		if media.Length() != 1 {
			t.Fatalf("media cards: %d, want 1", media.Length())
		}
		said := media.Text() + media.AttrOr("aria-label", "") + media.Find("img").AttrOr("alt", "")
		if label != "" && !strings.Contains(said, label) {
			t.Errorf("media %q lacks %q", said, label)
		}
	}
}

// TestInboxListFiltersAssignmentAndUnread covers the list an agent works
// from: views, assignment, resolve and reopen, and unread per agent.
func TestInboxListFiltersAssignmentAndUnread(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ben := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	now := time.Now()
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550001", "Zoe", "Where is my order?", now.Add(-3*time.Minute)))
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550002", "Yuri", "Hi there", now.Add(-2*time.Minute)))
	ts.mustPost(inboundFrom("evt_3", "msg_3", "+14155550002", "Yuri", "Anyone?", now.Add(-1*time.Minute)))

	a, b := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	b.login(ben.Email)

	rows := func(ag *agent, path string) []string {
		t.Helper()
		p := ag.htmx(path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.status)
		}
		var out []string
		p.find("conv-row").Each(func(_ int, s *goquery.Selection) {
			out = append(out, s.Find(`[data-testid="row-name"]`).Text()+":"+s.Find(`[data-testid="row-unread"]`).Text())
		})
		return out
	}
	if got := strings.Join(rows(a, "/inbox/list"), ","); got != "Yuri:2,Zoe:1" {
		t.Fatalf("open list = %s, want Yuri (2 unread) above Zoe (1)", got)
	}

	yuri := ts.mustMessage("msg_2").ConversationID
	zoe := ts.mustMessage("msg_1").ConversationID
	// Ana opens Yuri's conversation and her page marks it read: read for
	// her, not for Ben.
	if p := a.htmx(fmt.Sprintf("/conversations/%d", yuri)); p.find("thread").Length() != 1 {
		t.Fatal("thread did not render")
	}
	if p := a.post(fmt.Sprintf("/conversations/%d/read", yuri), nil); p.status != http.StatusNoContent {
		t.Fatalf("mark read: %d", p.status)
	}
	if got := strings.Join(rows(a, "/inbox/list"), ","); got != "Yuri:,Zoe:1" {
		t.Errorf("Ana's list after opening Yuri = %s", got)
	}
	if got := strings.Join(rows(b, "/inbox/list"), ","); got != "Yuri:2,Zoe:1" {
		t.Errorf("Ben's list = %s, want his own unread counts", got)
	}

	// Ben takes Zoe; Ana assigns Yuri to nobody then resolves it.
	if p := b.post(fmt.Sprintf("/conversations/%d/assign", zoe), url.Values{"assignee": {fmt.Sprint(ben.ID)}}); p.status != http.StatusNoContent {
		t.Fatalf("assign: %d %s", p.status, p.body)
	}
	if got := rows(b, "/inbox/list?view=mine"); len(got) != 1 || !strings.HasPrefix(got[0], "Zoe") {
		t.Errorf("Ben's mine = %v", got)
	}
	if got := rows(a, "/inbox/list?view=unassigned"); len(got) != 1 || !strings.HasPrefix(got[0], "Yuri") {
		t.Errorf("unassigned = %v", got)
	}
	if p := a.post(fmt.Sprintf("/conversations/%d/assign", zoe), url.Values{"assignee": {"999"}}); p.status != http.StatusBadRequest {
		t.Errorf("assign to a stranger: %d, want 400", p.status)
	}
	a.post(fmt.Sprintf("/conversations/%d/status", yuri), url.Values{"status": {"resolved"}})
	if got := rows(a, "/inbox/list?view=resolved"); len(got) != 1 || !strings.HasPrefix(got[0], "Yuri") {
		t.Errorf("resolved = %v", got)
	}

	// An echo does not reopen it; the customer's next message does.
	ts.mustPost(echoFrom("evt_4", "msg_4", "+14155550002", "We are on it", now))
	if got := rows(a, "/inbox/list?view=resolved"); len(got) != 1 {
		t.Errorf("after an echo, resolved = %v, want Yuri still resolved", got)
	}
	ts.mustPost(inboundFrom("evt_5", "msg_5", "+14155550002", "Yuri", "Thanks!", now.Add(time.Second)))
	if got := rows(a, "/inbox/list?view=resolved"); len(got) != 0 {
		t.Errorf("after the customer wrote again, resolved = %v, want none", got)
	}
	if got := rows(a, "/inbox/list"); len(got) != 2 || got[0] != "Yuri:1" {
		t.Errorf("open = %v, want Yuri first with 1 unread", got)
	}

	// Channel filter, and the full page with a conversation open.
	if got := rows(a, "/inbox/list?channel=sms"); len(got) != 0 {
		t.Errorf("SMS list = %v, want none", got)
	}
	p := a.get(fmt.Sprintf("/conversations/%d", zoe))
	if p.find("thread").Length() != 1 || p.find("conv-list").Length() != 1 {
		t.Fatal("a conversation's own URL must show the whole screen")
	}
	if got := p.find("details-assignee").Text(); !strings.Contains(got, "Ben Agent") {
		t.Errorf("details assignee %q", got)
	}
}

// TestOlderMessagesLoadInPages checks the thread shows the latest 50 and
// loads the rest 50 at a time, each once.
func TestOlderMessagesLoadInPages(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	start := time.Now().Add(-2 * time.Hour)
	for i := range 120 {
		ts.mustPost(inboundText(fmt.Sprintf("evt_%d", i), fmt.Sprintf("msg_%d", i), fmt.Sprintf("message %d", i), start.Add(time.Duration(i)*time.Second)))
	}
	a := ts.newAgent()
	a.login("ana@example.com")
	conv := ts.mustMessage("msg_0").ConversationID
	seen := map[string]bool{}
	collect := func(p page) string {
		p.find("message").Each(func(_ int, s *goquery.Selection) {
			txt := s.Find(`[data-testid="text"]`).Text()
			if seen[txt] {
				t.Errorf("%q shown twice", txt)
			}
			seen[txt] = true
		})
		next, _ := p.find("older").Attr("hx-get")
		return next
	}
	p := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	if n := p.find("message").Length(); n != 50 {
		t.Fatalf("first page: %d messages, want 50", n)
	}
	next := collect(p)
	pagesLoaded := 1
	for next != "" {
		p = a.htmx(next)
		next = collect(p)
		pagesLoaded++
	}
	if len(seen) != 120 || pagesLoaded != 3 {
		t.Fatalf("saw %d messages in %d pages, want 120 in 3", len(seen), pagesLoaded)
	}
}

func inboundFrom(id, msgID, phone, name, text string, at time.Time) []byte {
	return event(id, "message.inbound", at, map[string]any{
		"messageId": msgID, "from": phone, "to": "+13125559876", "channel": "whatsapp",
		"messageType": "text", "text": text, "profileName": name,
	})
}

// echoFrom is a message typed on the WhatsApp Business phone app.
func echoFrom(id, msgID, to, text string, at time.Time) []byte {
	return event(id, "message.sent", at, map[string]any{
		"messageId": msgID, "from": "+13125559876", "to": to, "channel": "whatsapp",
		"messageType": "text", "status": "sent", "text": text,
		"source": "whatsapp_business_app", "direction": "outbound",
	})
}

// A reply a script sent through Switchboard's API says so on its bubble,
// as the list's preview does ("API: ..."); a message known only from its
// delivery reports, sent by another system, is the one sent outside
// Switchboard.
func TestThreadSaysAnAPIReplyCameThroughTheAPI(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(ana.Email)
	now := time.Now()
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550102", "Yuri", "Any news?", now.Add(-time.Minute)))
	yuri := ts.mustMessage("msg_1").ConversationID
	token, _ := ts.newToken("crm", inbox.ScopeWrite)
	if code, body := ts.apiCall(token, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/messages", yuri), `{"text":"Shipped today"}`); code != http.StatusAccepted {
		t.Fatalf("API reply: %d %+v", code, body)
	}
	thread := a.htmx(fmt.Sprintf("/conversations/%d", yuri))
	ours := thread.doc.Find(`[data-testid=message][data-direction=outbound]`)
	if ours.Length() != 1 {
		t.Fatalf("%d bubbles of ours, want the API's reply", ours.Length())
	}
	if got, want := strings.TrimSpace(ours.Find(`[data-testid=author]`).Text()), "Sent through the API"; got != want {
		t.Errorf("the API's reply is signed %q, want %q", got, want)
	}
}

// The list's preview says who wrote the last message: an API token's
// reply is the API's, but a message known only from its delivery reports
// (sent by another system, its text not with us) was written by no one
// the preview can name, and says so in its own words.
func TestListPreviewNamesWhoWroteTheLastMessage(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(ana.Email)
	now := time.Now()
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550101", "Maya", "Where is my order?", now.Add(-time.Minute)))
	ts.mustPost(statusEvent("evt_2", "message.delivered", "msg_elsewhere", now))
	ts.mustPost(inboundFrom("evt_3", "msg_3", "+14155550102", "Yuri", "Any news?", now.Add(-time.Minute)))
	token, _ := ts.newToken("crm", inbox.ScopeWrite)
	yuri := ts.mustMessage("msg_3").ConversationID
	if code, body := ts.apiCall(token, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/messages", yuri), `{"text":"Shipped today"}`); code != http.StatusAccepted {
		t.Fatalf("API reply: %d %+v", code, body)
	}
	p := a.get("/inbox")
	previews := map[string]string{}
	p.find("conv-row").Each(func(_ int, row *goquery.Selection) {
		// "You" stands in for the name on the page of the agent who wrote it.
		preview := row.Find(`[data-testid=row-preview]`).Clone()
		preview.Find(".from-you").Remove()
		previews[strings.TrimSpace(row.Find(`[data-testid=row-name]`).Text())] = strings.Join(strings.Fields(preview.Text()), " ")
	})
	if got, want := previews["Maya"], "Message sent outside Switchboard"; got != want {
		t.Errorf("Maya's preview reads %q, want %q", got, want)
	}
	if got, want := previews["Yuri"], "API: Shipped today"; got != want {
		t.Errorf("Yuri's preview reads %q, want %q", got, want)
	}
}

// An empty view says where its conversations come from: a customer's
// message brings one to Open or Unassigned, but the Resolved, Snoozed and
// Mine views fill as the team resolves, snoozes and assigns, not as
// customers write.
func TestAnEmptyViewSaysWhatBringsConversationsThere(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550101", "Maya", "Where is my order?", time.Now().Add(-time.Minute)))
	a := ts.newAgent()
	a.login(ana.Email)
	for view, want := range map[string]string{
		"resolved":         "once someone resolves them",
		"snoozed":          "while they are snoozed",
		"mine":             "assigned to you",
		"open&channel=sms": "as customers write",
	} {
		p := a.get("/inbox?view=" + view)
		got := strings.Join(strings.Fields(p.find("empty-list").Text()), " ")
		if !strings.Contains(got, want) {
			t.Errorf("the empty %s view says %q, want it to say %q", view, got, want)
		}
	}
}

// A snooze until the customer writes says so in the thread in the words
// of the Snooze menu and the header ("Until the customer writes").
func TestASnoozeUntilTheCustomerWritesReadsAsTheMenuSaysIt(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my order?", time.Now().Add(-time.Minute)))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	a.get("/inbox")
	if p := a.post(fmt.Sprintf("/conversations/%d/snooze", conv), url.Values{"until": {"customer"}}); p.status >= 300 {
		t.Fatalf("snooze: %d %s", p.status, p.body)
	}
	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	if got := strings.Join(strings.Fields(thread.find("activity").Text()), " "); !strings.Contains(got, "Snoozed until the customer writes by Ana Admin") {
		t.Errorf("the thread reads %q", got)
	}
	if got := strings.Join(strings.Fields(thread.find("snoozed-pill").Text()), " "); got != "Snoozed until the customer writes" {
		t.Errorf("the header reads %q", got)
	}
}
