package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// Every JSON API answer carries customer data, or says something about a
// token: none may be kept by a browser, a proxy or a script's HTTP cache,
// whatever its status.
func TestAPIAnswersAreNeverStored(t *testing.T) {
	ts := newTestServer(t)
	ts.mustPost(event("evt_1", "message.inbound", time.Now().Add(-time.Minute), map[string]any{
		"messageId": "msg_1", "from": "+14155550001", "to": "+13125559876", "channel": "whatsapp",
		"messageType": "text", "text": "my order number is 4411", "profileName": "Customer",
	}))
	var convs apiPage[apiConversation]
	ts.mustGet("/api/v1/conversations", &convs)
	if len(convs.Items) != 1 {
		t.Fatalf("conversations = %d, want 1", len(convs.Items))
	}
	conv := itoa(convs.Items[0].ID)
	reader, _ := ts.newToken("reader", inbox.ScopeRead)

	for _, c := range []struct {
		name, token, method, path, body string
		status                          int
	}{
		{"a list", ts.token, http.MethodGet, "/api/v1/conversations", "", http.StatusOK},
		{"a thread", ts.token, http.MethodGet, "/api/v1/conversations/" + conv + "/messages", "", http.StatusOK},
		{"a message by Zavu id", ts.token, http.MethodGet, "/api/v1/messages/msg_1", "", http.StatusOK},
		{"a search", ts.token, http.MethodGet, "/api/v1/search?q=4411", "", http.StatusOK},
		{"a change", ts.token, http.MethodPatch, "/api/v1/conversations/" + conv, `{"status":"resolved"}`, http.StatusOK},
		{"a HEAD", ts.token, http.MethodHead, "/api/v1/conversations", "", http.StatusOK},
		{"a HEAD without a token", "", http.MethodHead, "/api/v1/conversations", "", http.StatusUnauthorized},
		{"no such conversation", ts.token, http.MethodGet, "/api/v1/conversations/999", "", http.StatusNotFound},
		{"a bad parameter", ts.token, http.MethodGet, "/api/v1/conversations?limit=0", "", http.StatusBadRequest},
		{"no token", "", http.MethodGet, "/api/v1/conversations", "", http.StatusUnauthorized},
		{"a wrong token", "sbt_not_a_real_token", http.MethodGet, "/api/v1/conversations", "", http.StatusUnauthorized},
		{"a read token changing", reader, http.MethodPatch, "/api/v1/conversations/" + conv, `{"status":"open"}`, http.StatusForbidden},
		{"no such route", ts.token, http.MethodGet, "/api/v1/nothing-here", "", http.StatusNotFound},
		{"another method", ts.token, http.MethodPut, "/api/v1/conversations", "{}", http.StatusMethodNotAllowed},
		{"no such version", ts.token, http.MethodGet, "/api/v2/conversations", "", http.StatusNotFound},
		{"too large a body", ts.token, http.MethodPatch, "/api/v1/conversations/" + conv, `{"status":"` + strings.Repeat("x", 70<<10) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, err := http.NewRequest(c.method, ts.srv.URL+c.path, body)
		if err != nil {
			t.Fatal(err)
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s (%s %s): %d %s, want %d", c.name, c.method, c.path, resp.StatusCode, b, c.status)
		}
		if got := resp.Header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-store" {
			t.Errorf("%s (%s %s, %d): Cache-Control %q, want no-store", c.name, c.method, c.path, resp.StatusCode, got)
		}
	}
}
