package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/web"
)

// TestWrongMethodIsRefusedWith405: a script or a monitor that uses the
// wrong method on a route gets 405 with the methods the route takes, as
// a JSON error (a HEAD without the body), HEAD wherever GET is; a path
// that is no route stays 404, and the API checks the token before either.
func TestWrongMethodIsRefusedWith405(t *testing.T) {
	ts := newTestServer(t)
	id := itoa(ts.conversations(1)[0])
	for _, tc := range []struct {
		token, method, path string
		status              int
		code, allow         string
	}{
		{ts.token, http.MethodDelete, "/api/v1/conversations", 405, "method_not_allowed", "GET, HEAD"},
		{ts.token, http.MethodPut, "/api/v1/conversations/" + id, 405, "method_not_allowed", "GET, HEAD, PATCH"},
		{ts.token, http.MethodPost, "/api/v1/messages/1", 405, "method_not_allowed", "GET, HEAD"},
		{ts.token, http.MethodHead, "/api/v1/conversations/" + id + "/notes", 405, "", "POST"},
		{ts.token, http.MethodHead, "/api/v1/conversations/" + id + "/notes/1", 405, "", "PATCH, DELETE"},
		{ts.token, http.MethodHead, "/api/v1/nothing-here", 404, "", ""},
		{ts.token, http.MethodGet, "/api/v1/conversations/" + id + "/notes", 405, "method_not_allowed", "POST"},
		{ts.token, http.MethodDelete, "/api/v1/reports/summary", 405, "method_not_allowed", "GET, HEAD"},
		{ts.token, http.MethodOptions, "/api/v1/contacts/1", 405, "method_not_allowed", "GET, HEAD, PATCH"},
		{ts.token, http.MethodGet, "/api/v1/nothing-here", 404, "not_found", ""},
		{ts.token, http.MethodDelete, "/api/v1/nothing-here", 404, "not_found", ""},
		{"", http.MethodDelete, "/api/v1/conversations", 401, "unauthorized", ""},
		{"", http.MethodGet, "/webhooks/zavu", 405, "method_not_allowed", "POST"},
		{"", http.MethodPut, "/webhooks/zavu", 405, "method_not_allowed", "POST"},
		{"", http.MethodPost, "/healthz", 405, "method_not_allowed", "GET, HEAD"},
		{"", http.MethodDelete, "/readyz", 405, "method_not_allowed", "GET, HEAD"},
		{"", http.MethodPost, "/metrics", 405, "method_not_allowed", "GET, HEAD"},
		{"", http.MethodHead, "/healthz", 200, "", ""},
	} {
		req, err := http.NewRequest(tc.method, ts.srv.URL+tc.path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e apiErrorBody
		if tc.code != "" {
			if err := json.Unmarshal(b, &e); err != nil {
				t.Errorf("%s %s: body %q is not a JSON error", tc.method, tc.path, b)
			}
		}
		if resp.StatusCode != tc.status || e.Error.Code != tc.code || (tc.code != "" && e.Error.Message == "") ||
			resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q %s, want %d Allow %q %s", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"), b, tc.status, tc.allow, tc.code)
		}
	}
}

// A script that gets the API's path wrong (another version, no version)
// is told 404 in JSON, not sent to the sign-in page.
func TestAPIPathsOutsideTheAPIAreJSON404s(t *testing.T) {
	ts := newTestServer(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/api", "/api/", "/api/v2/conversations", "/api/conversations", "/api/v1"} {
		for _, token := range []string{ts.token, ""} {
			req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+path, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var e apiErrorBody
			_ = json.Unmarshal(b, &e)
			want := "not_found"
			if path == "/api/v1" && token == "" {
				want = "unauthorized"
			}
			if resp.StatusCode >= 300 && resp.StatusCode < 400 || e.Error.Code != want || e.Error.Message == "" ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("GET %s (token %t): %d %s %q, want a JSON %s", path, token != "", resp.StatusCode, resp.Header.Get("Location"), b, want)
			}
		}
	}
}

// A HEAD of any of the API's reads answers as its GET would, without the
// body (RFC 9110): the same status and headers, for a missing or wrong
// token, a read token and a client address held back too, on every GET
// route there is, those added later included.
func TestHEADOfEveryAPIReadAnswersAsItsGET(t *testing.T) {
	clock := &testClock{t: time.Now()}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	read, _ := ts.newToken("dashboard", inbox.ScopeRead)
	const limited = "203.0.113.9"
	for i := range web.TokenFailureLimit {
		callFrom(t, ts, limited, "sbt_guess"+strconv.Itoa(i))
	}

	var reads int
	for _, r := range apiRoutes(t, ts, conv, "msg_1") {
		method, path, _ := strings.Cut(r, " ")
		if method != http.MethodGet {
			continue
		}
		reads++
		for _, c := range []struct{ who, token, addr string }{
			{"a write token", ts.token, ""},
			{"a read token", read, ""},
			{"no token", "", ""},
			{"a wrong token", "sbt_not_a_real_token", ""},
			{"an address held back", ts.token, limited},
			{"a missing thing", ts.token, ""},
		} {
			p := path
			if c.who == "a missing thing" {
				p = path + "999999"
			}
			get, _ := requestFrom(t, ts, http.MethodGet, p, c.token, c.addr)
			head, body := requestFrom(t, ts, http.MethodHead, p, c.token, c.addr)
			if head.StatusCode != get.StatusCode || len(body) != 0 {
				t.Errorf("HEAD %s with %s: %d and %d bytes, want GET's %d and none", p, c.who, head.StatusCode, len(body), get.StatusCode)
				continue
			}
			get.Header.Del("Date")
			head.Header.Del("Date")
			if !reflect.DeepEqual(head.Header, get.Header) {
				t.Errorf("HEAD %s with %s (%d): headers\n%v\nwant GET's\n%v", p, c.who, head.StatusCode, head.Header, get.Header)
			}
		}
	}
	if reads < 10 {
		t.Fatalf("only %d API reads found", reads)
	}
}
