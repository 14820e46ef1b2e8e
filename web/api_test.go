package web_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAPIRequiresAToken(t *testing.T) {
	ts := newTestServer(t)
	for _, token := range []string{"", "sbt_not_a_real_token", "Basic abc"} {
		var body apiErrorBody
		if status := ts.getAs(token, "/api/v1/conversations", &body); status != http.StatusUnauthorized {
			t.Errorf("token %q: status %d, want 401", token, status)
		}
		if body.Error.Code != "unauthorized" || body.Error.Message == "" {
			t.Errorf("token %q: error body %+v", token, body)
		}
	}
	if status := ts.get("/api/v1/conversations", nil); status != http.StatusOK {
		t.Errorf("valid token: status %d", status)
	}
}

func TestHealth(t *testing.T) {
	ts := newTestServer(t)
	var out map[string]string
	if status := ts.getAs("", "/healthz", &out); status != 200 || out["status"] != "ok" {
		t.Errorf("healthz = %d %v", status, out)
	}
	ts.db.Close()
	if status := ts.getAs("", "/healthz", &out); status != http.StatusServiceUnavailable {
		t.Errorf("healthz with the database closed = %d, want 503", status)
	}
}

func TestAPIConversationsAndMessages(t *testing.T) {
	ts := newTestServer(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	// Five customers write, one after another; the third writes twice.
	for i := range 5 {
		phone := fmt.Sprintf("+1415555000%d", i)
		ts.mustPost(event(fmt.Sprintf("evt_%d", i), "message.inbound", base.Add(time.Duration(i)*time.Minute), map[string]any{
			"messageId": fmt.Sprintf("msg_%d", i), "from": phone, "to": "+13125559876", "channel": "whatsapp",
			"messageType": "text", "text": fmt.Sprintf("hello %d", i), "profileName": fmt.Sprintf("Customer %d", i),
		}))
	}
	ts.mustPost(event("evt_again", "message.inbound", base.Add(10*time.Minute), map[string]any{
		"messageId": "msg_again", "from": "+14155550002", "to": "+13125559876", "channel": "whatsapp",
		"messageType": "text", "text": "anyone?", "profileName": "Customer 2",
	}))

	convs := all[apiConversation](ts, "/api/v1/conversations?limit=2", "cursor")
	if len(convs) != 5 {
		t.Fatalf("conversations = %d, want 5", len(convs))
	}
	wantOrder := []string{"+14155550002", "+14155550004", "+14155550003", "+14155550001", "+14155550000"}
	for i, c := range convs {
		if c.Contact.Phone != wantOrder[i] {
			t.Fatalf("conversation %d is %s, want %s (newest activity first)", i, c.Contact.Phone, wantOrder[i])
		}
	}
	top := convs[0]
	if top.UnreadCount != 2 || top.LastMessagePreview != "anyone?" || str(top.Contact.Name) != "Customer 2" || top.Status != "open" {
		t.Errorf("top conversation = %+v", top)
	}
	if top.WindowClosesAt == nil || !top.WindowClosesAt.Equal(base.Add(10*time.Minute+24*time.Hour)) {
		t.Errorf("window closes at %v, want 24 h after the last inbound", top.WindowClosesAt)
	}

	var one apiConversation
	ts.mustGet("/api/v1/conversations/"+itoa(top.ID), &one)
	if one.ID != top.ID || one.Contact.Phone != top.Contact.Phone {
		t.Errorf("one conversation = %+v", one)
	}

	msgs := all[apiMessage](ts, "/api/v1/conversations/"+itoa(top.ID)+"/messages?limit=1", "before")
	if len(msgs) != 2 {
		t.Fatalf("messages = %d", len(msgs))
	}
	var page apiPage[apiMessage]
	ts.mustGet("/api/v1/conversations/"+itoa(top.ID)+"/messages", &page)
	if page.Items[0].Text != "hello 2" || page.Items[1].Text != "anyone?" || page.NextCursor != nil {
		t.Errorf("page = %+v, want oldest first and no next page", page)
	}

	var byZavu, byOurs apiMessage
	ts.mustGet("/api/v1/messages/msg_again", &byZavu)
	ts.mustGet("/api/v1/messages/"+itoa(byZavu.ID), &byOurs)
	if byOurs.Text != "anyone?" || str(byOurs.ZavuID) != "msg_again" || byOurs.Direction != "inbound" ||
		byOurs.Source != "customer" || byOurs.Status != "received" || byOurs.ConversationID != top.ID || byOurs.Reactions == nil {
		t.Errorf("message = %+v", byOurs)
	}
	if !byOurs.CreatedAt.Equal(base.Add(10 * time.Minute)) {
		t.Errorf("message time = %v, want the event's timestamp %v", byOurs.CreatedAt, base.Add(10*time.Minute))
	}
}

func TestAPIErrors(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/conversations/999", 404, "not_found"},
		{"/api/v1/conversations/abc", 404, "not_found"},
		{"/api/v1/conversations/999/messages", 404, "not_found"},
		{"/api/v1/messages/msg_nope", 404, "not_found"},
		{"/api/v1/messages/12345", 404, "not_found"},
		{"/api/v1/conversations?status=pending", 400, "invalid_parameter"},
		{"/api/v1/conversations?limit=0", 400, "invalid_parameter"},
		{"/api/v1/conversations?limit=201", 400, "invalid_parameter"},
		{"/api/v1/conversations?cursor=not-a-cursor", 400, "invalid_parameter"},
		{"/api/v1/events?state=sideways", 400, "invalid_parameter"},
		{"/api/v1/nothing-here", 404, "not_found"},
	}
	for _, tt := range tests {
		var body apiErrorBody
		status := ts.get(tt.path, &body)
		if status != tt.status || body.Error.Code != tt.code || body.Error.Message == "" {
			t.Errorf("GET %s = %d %+v, want %d %s with a message", tt.path, status, body, tt.status, tt.code)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t)
	resp, err := http.Get(ts.srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "same-origin",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); csp == "" || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP = %q", csp)
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("HSTS set on a plain-http deployment")
	}
}
