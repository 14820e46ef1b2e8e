package web_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/static"
)

// A link checker, an uptime monitor or a prefetcher may ask HEAD of any
// page: it answers as its GET (RFC 9110), the same status and headers,
// without the body; every page there is, those added later too, for an
// admin signed in and for nobody (sent to sign in, as the GET is).
func TestEveryPageAnswersHEADAsItsGET(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	conv := itoa(ts.mustMessage("msg_1").ConversationID)
	signedIn := ts.newAgent()
	signedIn.login(admin.Email)
	nobody := ts.newAgent()

	// Not behind a session: signing in, the service worker, and the
	// webhook (whose GET is a 405).
	public := map[string]bool{"/login": true, "/setup": true, "/sw.js": true, "/webhooks/zavu": true}
	param := regexp.MustCompile(`:[a-zA-Z]+`)
	var pages int
	for _, r := range ts.web.Routes() {
		method, path, _ := strings.Cut(r, " ")
		if method != http.MethodGet || strings.HasPrefix(path, "/api/") || strings.Contains(path, "*") ||
			path == "/ws" || path == "/files/:name" || path == "/healthz" || path == "/readyz" || path == "/metrics" {
			continue
		}
		pages++
		path = param.ReplaceAllString(path, conv)
		for _, who := range []struct {
			name string
			a    *agent
		}{{"signed in", signedIn}, {"signed out", nobody}} {
			get := who.a.get(path)
			head := who.a.head(path)
			if head.status != get.status || head.body != "" {
				t.Errorf("HEAD %s %s: %d and %d bytes, want GET's %d and none", path, who.name, head.status, len(head.body), get.status)
				continue
			}
			if who.name == "signed out" && !public[path] &&
				(head.status != http.StatusSeeOther || head.header.Get("Location") != "/login?next="+url.QueryEscape(path)) {
				t.Errorf("HEAD %s signed out: %d to %q, want to sign in first", path, head.status, head.header.Get("Location"))
			}
			if want, got := sameHeaders(get.header), sameHeaders(head.header); !reflect.DeepEqual(got, want) {
				t.Errorf("HEAD %s %s (%d): headers\n%v\nwant GET's\n%v", path, who.name, head.status, got, want)
			}
		}
	}
	if pages < 20 {
		t.Fatalf("only %d pages found", pages)
	}
	// The pages the monitors and checkers ask for most, by name.
	if p := signedIn.head("/inbox"); p.status != http.StatusOK || p.header.Get("Content-Type") != "text/html; charset=UTF-8" {
		t.Errorf("HEAD /inbox signed in: %d %q, want 200 text/html", p.status, p.header.Get("Content-Type"))
	}
	if p := ts.newAgent().head("/login"); p.status != http.StatusOK || p.header.Get("Content-Type") != "text/html; charset=UTF-8" {
		t.Errorf("HEAD /login: %d %q, want 200 text/html", p.status, p.header.Get("Content-Type"))
	}
}

// sameHeaders are the headers a HEAD answers as its GET does: all but the
// time, the session cookie (saved by whichever request changed the
// session first) and Content-Length, which net/http leaves out of a HEAD
// when nothing was written (a redirect).
func sameHeaders(h http.Header) http.Header {
	h = h.Clone()
	h.Del("Date")
	h.Del("Set-Cookie")
	if h.Get("Content-Length") == "0" {
		h.Del("Content-Length")
	}
	return h
}

// A HEAD of a message's media tells its type and length, and sends none of
// it; only to an agent signed in, as its GET.
func TestHEADOfMediaTellsTheTypeAndLengthWithoutTheFile(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(fixture(t, "seed_message_inbound_image"))
	ts.zavu.AddInbound(zavu.Message{ID: "msg_img789", MessageType: "image", Content: &zavu.Content{MediaID: "media_img789", MimeType: "image/jpeg"}})
	src := fmt.Sprintf("/media/%d", ts.mustMessage("msg_img789").ID)

	if p := ts.newAgent().head(src); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape(src) {
		t.Fatalf("HEAD %s signed out: %d to %q, want to sign in first", src, p.status, p.header.Get("Location"))
	}
	a := ts.newAgent()
	a.login(ana.Email)
	get := a.get(src)
	if get.status != http.StatusOK || get.body == "" {
		t.Fatalf("GET %s: %d, %d bytes", src, get.status, len(get.body))
	}
	// On the wire, not through a client that drops a HEAD's body itself.
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	u, _ := url.Parse(ts.srv.URL)
	var cookies []string
	for _, c := range a.client.Jar.Cookies(u) {
		cookies = append(cookies, c.String())
	}
	fmt.Fprintf(conn, "HEAD %s HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nConnection: close\r\n\r\n", src, u.Host, strings.Join(cookies, "; "))
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet}) // read as a GET: a body sent would show
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(br)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" ||
		resp.Header.Get("Content-Length") != strconv.Itoa(len(get.body)) ||
		resp.Header.Get("Content-Disposition") != get.header.Get("Content-Disposition") ||
		resp.Header.Get("Cache-Control") != get.header.Get("Cache-Control") {
		t.Errorf("HEAD %s: %d %v, want GET's %q, %d bytes long", src, resp.StatusCode, resp.Header, get.header.Get("Content-Type"), len(get.body))
	}
	if len(rest) != 0 {
		t.Errorf("HEAD %s sent %d bytes after the headers, want none", src, len(rest))
	}
}

// A route that only takes a change still refuses a HEAD with 405 and the
// methods it takes; Allow lists HEAD wherever it lists GET. An agents'
// page that only takes a form answers a HEAD as its GET: not found for an
// agent, the sign-in page for nobody.
func TestHEADOfARouteWithoutAGETIsRefused(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	for _, tc := range []struct {
		method, path string
		token        bool
		status       int
		allow        string
	}{
		{http.MethodHead, "/webhooks/zavu", false, http.StatusMethodNotAllowed, "POST"},
		{http.MethodHead, "/api/v1/conversations/1/notes", true, http.StatusMethodNotAllowed, "POST"},
		{http.MethodHead, "/api/v1/conversations/1/notes/1", true, http.StatusMethodNotAllowed, "PATCH, DELETE"},
		{http.MethodDelete, "/api/v1/search", true, http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodPost, "/readyz", false, http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodPost, static.Path("app.css"), false, http.StatusMethodNotAllowed, "OPTIONS, GET, HEAD"},
		{http.MethodOptions, static.Path("app.css"), false, http.StatusNoContent, "OPTIONS, GET, HEAD"},
	} {
		token := ""
		if tc.token {
			token = ts.token
		}
		resp, body := requestFrom(t, ts, tc.method, tc.path, token, "")
		if resp.StatusCode != tc.status || resp.Header.Get("Allow") != tc.allow || (tc.method == http.MethodHead && len(body) != 0) {
			t.Errorf("%s %s: %d Allow %q, %d bytes, want %d Allow %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"), len(body), tc.status, tc.allow)
		}
	}
	a := ts.newAgent()
	a.login(ana.Email)
	if p := a.head("/logout"); p.status != http.StatusNotFound || p.body != "" {
		t.Errorf("HEAD /logout signed in: %d, want GET's 404", p.status)
	}
	if p := ts.newAgent().head("/conversations/bulk/undo"); p.status != http.StatusSeeOther {
		t.Errorf("HEAD /conversations/bulk/undo signed out: %d, want GET's redirect to sign in", p.status)
	}
}
