package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/web"
)

// newToken stores a token of this scope, as "switchboard token create"
// does, and returns its secret and id.
func (ts *testServer) newToken(name string, scope inbox.TokenScope) (string, int64) {
	ts.t.Helper()
	secret, hash, err := web.NewAPIToken()
	if err != nil {
		ts.t.Fatal(err)
	}
	tok := inbox.APIToken{Name: name, Hash: hash, Scope: scope, CreatedAt: time.Now()}
	if err := ts.db.CreateAPIToken(context.Background(), &tok); err != nil {
		ts.t.Fatal(err)
	}
	return secret, tok.ID
}

// apiCall calls the JSON API as a script would, with a JSON body for
// anything but GET, and returns the status and the error body, if any.
func (ts *testServer) apiCall(token, method, path, body string) (int, apiErrorBody) {
	ts.t.Helper()
	var rd io.Reader
	if method != http.MethodGet && method != http.MethodHead {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.srv.URL+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out apiErrorBody
	if resp.StatusCode >= 400 && bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		_ = json.Unmarshal(b, &out)
	}
	return resp.StatusCode, out
}

// apiRoutes are the JSON API's routes as "METHOD path", with ids filled in:
// conversation conv and message msg.
func apiRoutes(t *testing.T, ts *testServer, conv int64, msg string) []string {
	t.Helper()
	param := regexp.MustCompile(`:[a-zA-Z]+`)
	var out []string
	for _, r := range ts.web.Routes() {
		method, path, _ := strings.Cut(r, " ")
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		id := itoa(conv)
		if strings.HasPrefix(path, "/api/v1/messages/") {
			id = msg
		}
		out = append(out, method+" "+param.ReplaceAllString(path, id))
	}
	return out
}

// Every API route that is not a read refuses a read token, the route
// known today and any added later: the scope is checked by method in front
// of the whole API, before the handler runs.
func TestReadTokenIsRefusedEveryChange(t *testing.T) {
	ts := newTestServer(t)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	read, _ := ts.newToken("dashboard", inbox.ScopeRead)
	write, _ := ts.newToken("bot", inbox.ScopeWrite)
	const body = `{"text":"Sent by a script"}`

	routes := apiRoutes(t, ts, conv, "msg_1")
	var changes int
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		if method == http.MethodGet || method == http.MethodHead {
			if status, e := ts.apiCall(read, method, path, ""); status == 401 || status == 403 || status >= 500 {
				t.Errorf("read token, %s: %d %+v, want it allowed", r, status, e)
			}
			continue
		}
		changes++
		status, e := ts.apiCall(read, method, path, body)
		if status != http.StatusForbidden || e.Error.Code != "forbidden" || e.Error.Message == "" {
			t.Errorf("read token, %s: %d %+v, want 403 forbidden", r, status, e)
		}
	}
	if changes == 0 {
		t.Fatalf("no API route changes anything: %v", routes)
	}
	// Other methods, on every API path, are refused the same way.
	for _, r := range routes {
		_, path, _ := strings.Cut(r, " ")
		for _, method := range []string{http.MethodPatch, http.MethodPut, http.MethodDelete} {
			if status, e := ts.apiCall(read, method, path, body); status != http.StatusForbidden || e.Error.Code != "forbidden" {
				t.Errorf("read token, %s %s: %d %+v, want 403 forbidden", method, path, status, e)
			}
		}
	}

	var msgs struct{ Items []apiMessage }
	ts.mustGet("/api/v1/conversations/"+itoa(conv)+"/messages", &msgs)
	if len(msgs.Items) != 1 {
		t.Fatalf("after the read token's refused posts the conversation has %d messages, want 1", len(msgs.Items))
	}

	// A write token may do what the read token may not.
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		if status, e := ts.apiCall(write, method, path, body); status == 401 || status == 403 || status >= 500 {
			t.Errorf("write token, %s: %d %+v, want it allowed", r, status, e)
		}
	}
	ts.mustGet("/api/v1/conversations/"+itoa(conv)+"/messages", &msgs)
	sent := 0
	for _, m := range msgs.Items {
		if m.Text == "Sent by a script" && m.Source == "api" && m.Direction == "outbound" {
			sent++
		}
	}
	if sent != 1 {
		t.Errorf("the write token's reply is in the thread %d times, want once: %+v", sent, msgs.Items)
	}
}

// A revoked token is refused from the very next request, and an unknown
// one never works; both get the API's JSON error.
func TestRevokedAndUnknownTokensAreRefused(t *testing.T) {
	ts := newTestServer(t)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	secret, id := ts.newToken("old script", inbox.ScopeWrite)
	reply := "/api/v1/conversations/" + itoa(conv) + "/messages"

	if status, e := ts.apiCall(secret, http.MethodGet, "/api/v1/conversations", ""); status != http.StatusOK {
		t.Fatalf("before revoking: %d %+v", status, e)
	}
	if _, err := ts.db.RevokeAPIToken(context.Background(), id, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, call := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/conversations"},
		{http.MethodPost, reply},
	} {
		if status, e := ts.apiCall(secret, call.method, call.path, `{"text":"too late"}`); status != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
			t.Errorf("revoked token, %s %s: %d %+v, want 401 unauthorized", call.method, call.path, status, e)
		}
		if status, e := ts.apiCall("sbt_"+strings.Repeat("0", 64), call.method, call.path, `{"text":"who?"}`); status != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
			t.Errorf("unknown token, %s %s: %d %+v, want 401 unauthorized", call.method, call.path, status, e)
		}
	}
	var msgs struct{ Items []apiMessage }
	ts.mustGet(reply, &msgs)
	if len(msgs.Items) != 1 {
		t.Errorf("refused tokens changed the thread: %d messages, want 1", len(msgs.Items))
	}
}

// A token's use is recorded as its last use.
func TestTokenUseIsRecorded(t *testing.T) {
	ts := newTestServer(t)
	secret, id := ts.newToken("reporting", inbox.ScopeRead)
	before := time.Now().Add(-time.Second)
	if status, _ := ts.apiCall(secret, http.MethodGet, "/api/v1/conversations", ""); status != http.StatusOK {
		t.Fatalf("GET: %d", status)
	}
	toks, err := ts.db.APITokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		switch {
		case tok.ID == id && tok.LastUsedAt.Before(before):
			t.Errorf("last used = %v, want the request's time", tok.LastUsedAt)
		case tok.ID != id && tok.Name != "test" && !tok.LastUsedAt.IsZero():
			t.Errorf("token %q never used has a last use %v", tok.Name, tok.LastUsedAt)
		}
	}
}
