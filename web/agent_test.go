package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
	"switchboard/web"
)

// agent is a browser: a cookie jar, and the CSRF token of the last page.
type agent struct {
	t      *testing.T
	ts     *testServer
	client *http.Client
	csrf   string
}

func (ts *testServer) newAgent() *agent {
	jar, _ := cookiejar.New(nil)
	return &agent{t: ts.t, ts: ts, client: &http.Client{
		Transport:     ts.client().Transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is one answer as the browser got it.
type page struct {
	status int
	header http.Header
	body   string
	doc    *goquery.Document
}

func (p page) find(testid string) *goquery.Selection {
	return p.doc.Find(`[data-testid="` + testid + `"]`)
}

func (a *agent) do(method, path string, form url.Values, edit func(*http.Request)) page {
	a.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.ts.srv.URL+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if edit != nil {
		edit(req)
	}
	return a.send(req)
}

// send does req as the browser and reads the answer.
func (a *agent) send(req *http.Request) page {
	a.t.Helper()
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(b)))
	if err != nil {
		a.t.Fatal(err)
	}
	if tok, ok := doc.Find(`meta[name="csrf-token"]`).Attr("content"); ok && tok != "" {
		a.csrf = tok
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b), doc: doc}
}

func (a *agent) get(path string) page  { a.t.Helper(); return a.do(http.MethodGet, path, nil, nil) }
func (a *agent) head(path string) page { a.t.Helper(); return a.do(http.MethodHead, path, nil, nil) }

// htmx is a GET as htmx sends it, for a fragment.
func (a *agent) htmx(path string) page {
	a.t.Helper()
	return a.do(http.MethodGet, path, nil, func(r *http.Request) { r.Header.Set("HX-Request", "true") })
}

// post sends a form with the page's CSRF token, as htmx does.
func (a *agent) post(path string, form url.Values) page {
	a.t.Helper()
	return a.do(http.MethodPost, path, form, func(r *http.Request) {
		r.Header.Set("HX-Request", "true")
		r.Header.Set("X-CSRF-Token", a.csrf)
	})
}

// addUser creates an active user with a password.
func (ts *testServer) addUser(email, name string, role inbox.Role) inbox.User {
	ts.t.Helper()
	hash, err := web.HashPassword("correct horse battery")
	if err != nil {
		ts.t.Fatal(err)
	}
	u := inbox.User{Email: email, Name: name, Role: role, PasswordHash: hash, Active: true}
	if err := ts.db.CreateUser(context.Background(), &u); err != nil {
		ts.t.Fatal(err)
	}
	return u
}

// login signs the agent in through the form.
func (a *agent) login(email string) {
	a.t.Helper()
	a.get("/login")
	p := a.do(http.MethodPost, "/login", url.Values{"email": {email}, "password": {"correct horse battery"}, "csrf": {a.csrf}}, nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/inbox" {
		a.t.Fatalf("login: status %d, location %q: %s", p.status, p.header.Get("Location"), p.body)
	}
	a.get("/inbox")
}

func TestFirstRunSetupCreatesOneAdminOnly(t *testing.T) {
	ts := newTestServer(t)
	a := ts.newAgent()
	if p := a.get("/inbox"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/setup" {
		t.Fatalf("with no user, /inbox: %d to %q, want the setup page", p.status, p.header.Get("Location"))
	}
	// The page asks first for the code of the setup link the server wrote
	// to its log; without it, or with another, nothing is created and no
	// password is hashed.
	if p := a.get("/setup"); p.status != http.StatusOK || p.find("setup-needs-code").Length() != 1 || strings.Contains(p.body, `name="password"`) {
		t.Fatalf("setup without its code: %d, want the page that asks for it:\n%s", p.status, p.body)
	}
	if p := a.get("/setup?code=ABCDEFGHIJKLMNOPQRSTUVWXYZ"); p.status != http.StatusForbidden || p.find("setup-needs-code").Length() != 1 {
		t.Fatalf("setup with another code: %d, want 403 and the page that asks for it", p.status)
	}
	before, _ := web.PasswordWork()
	for _, code := range []string{"", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"} {
		guess := url.Values{"name": {"Mallory"}, "email": {"mallory@example.com"}, "password": {"a long enough password"}, "csrf": {a.csrf}, "code": {code}}
		if p := a.do(http.MethodPost, "/setup", guess, nil); p.find("setup-needs-code").Length() != 1 {
			t.Fatalf("setup posted with code %q: %d, want the page that asks for the code", code, p.status)
		}
	}
	if n, _ := ts.db.CountUsers(context.Background()); n != 0 {
		t.Fatalf("setup without its code created %d users", n)
	}
	if after, _ := web.PasswordWork(); after != before {
		t.Errorf("setup without its code ran bcrypt %d times, want none", after-before)
	}
	code := ts.setupCode()
	if p := a.get("/setup?code=" + code); p.status != http.StatusOK || p.doc.Find(`input[name=password]`).Length() != 1 {
		t.Fatalf("setup through its link: %d, want the form", p.status)
	}
	form := url.Values{"name": {"Ana Admin"}, "email": {"ana@example.com"}, "password": {"a long enough password"}, "code": {code}}
	if p := a.do(http.MethodPost, "/setup", form, nil); p.status != http.StatusForbidden {
		t.Fatalf("setup without the CSRF token: %d, want 403", p.status)
	}
	short := url.Values{"name": {"Ana"}, "email": {"ana@example.com"}, "password": {"short"}, "csrf": {a.csrf}, "code": {code}}
	if p := a.do(http.MethodPost, "/setup", short, nil); p.status != http.StatusBadRequest || p.find("setup-error").Length() != 1 {
		t.Fatalf("short password: %d, want 400 with an error on the form", p.status)
	}
	form.Set("csrf", a.csrf)
	if p := a.do(http.MethodPost, "/setup", form, nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/inbox" {
		t.Fatalf("setup: %d to %q: %s", p.status, p.header.Get("Location"), p.body)
	}
	if p := a.get("/inbox"); p.status != http.StatusOK || p.find("conv-list").Length() != 1 {
		t.Fatalf("after setup the admin is signed in; /inbox: %d", p.status)
	}

	// A second visitor cannot use setup any more, its link neither; the
	// code is forgotten.
	b := ts.newAgent()
	if p := b.get("/setup?code=" + code); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Fatalf("setup after the first admin: %d to %q, want the login page", p.status, p.header.Get("Location"))
	}
	if link, err := ts.web.SetupLink(context.Background()); err != nil || link != "" {
		t.Fatalf("the setup link after the first admin: %q, %v; want none", link, err)
	}
	b.get("/login")
	form.Set("email", "mallory@example.com")
	form.Set("csrf", b.csrf)
	b.do(http.MethodPost, "/setup", form, nil)
	if n, _ := ts.db.CountUsers(context.Background()); n != 1 {
		t.Fatalf("users after a second setup: %d, want 1", n)
	}
}

func TestLoginSessionCookieAndRateLimit(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	a := ts.newAgent()
	a.get("/login")
	bad := url.Values{"email": {"ben@example.com"}, "password": {"wrong password!"}, "csrf": {a.csrf}}
	p := a.do(http.MethodPost, "/login", bad, nil)
	if p.status != http.StatusUnauthorized || p.find("login-error").Length() != 1 {
		t.Fatalf("wrong password: %d, want 401 with an error", p.status)
	}
	if strings.Contains(p.body, "wrong password!") {
		t.Error("the page repeats the password")
	}
	for range 4 {
		a.do(http.MethodPost, "/login", bad, nil)
	}
	good := url.Values{"email": {"ben@example.com"}, "password": {"correct horse battery"}, "csrf": {a.csrf}}
	p = a.do(http.MethodPost, "/login", good, nil)
	if p.status != http.StatusTooManyRequests || !strings.Contains(p.find("login-error").Text(), "Try again in") {
		t.Fatalf("after 5 failures the right password: %d %q, want 429 and when to retry", p.status, p.find("login-error").Text())
	}

	// Another address from another client is not held back.
	ts.addUser("cy@example.com", "Cy", inbox.RoleAgent)
	c := ts.newAgent()
	c.get("/login")
	p = c.do(http.MethodPost, "/login", url.Values{"email": {"cy@example.com"}, "password": {"correct horse battery"}, "csrf": {c.csrf}},
		func(r *http.Request) { r.Header.Set("X-Real-IP", "192.0.2.7") })
	if p.status != http.StatusSeeOther {
		t.Fatalf("another user's login: %d, want 303", p.status)
	}
	var cookie string
	for _, sc := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "switchboard_session=") {
			cookie = sc
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("session cookie %q is Secure on an http base URL: the browser would never send it", cookie)
	}
}

func TestPagesRefuseMissingOrForeignCSRF(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	a := ts.newAgent()
	a.login("ana@example.com")
	conv := all[apiConversation](ts, "/api/v1/conversations", "cursor")[0]
	path := fmt.Sprintf("/conversations/%d/status", conv.ID)
	form := url.Values{"status": {"resolved"}}

	if p := a.do(http.MethodPost, path, form, nil); p.status != http.StatusForbidden {
		t.Errorf("no token: %d, want 403", p.status)
	}
	if p := a.do(http.MethodPost, path, form, func(r *http.Request) { r.Header.Set("X-CSRF-Token", "forged") }); p.status != http.StatusForbidden {
		t.Errorf("forged token: %d, want 403", p.status)
	}
	if p := a.do(http.MethodPost, path, form, func(r *http.Request) {
		r.Header.Set("X-CSRF-Token", a.csrf)
		r.Header.Set("Origin", "https://evil.example")
	}); p.status != http.StatusForbidden {
		t.Errorf("foreign origin: %d, want 403", p.status)
	}
	var got apiConversation
	ts.mustGet(fmt.Sprintf("/api/v1/conversations/%d", conv.ID), &got)
	if got.Status != "open" {
		t.Fatalf("a refused request changed the status to %s", got.Status)
	}
	if p := a.post(path, form); p.status != http.StatusNoContent {
		t.Fatalf("with the token: %d, want 204", p.status)
	}
	ts.mustGet(fmt.Sprintf("/api/v1/conversations/%d", conv.ID), &got)
	if got.Status != "resolved" {
		t.Fatalf("status = %s, want resolved", got.Status)
	}
}

func TestSignedOutVisitorsGoToLogin(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	p := a.get("/conversations/1?view=mine")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next=%2Fconversations%2F1%3Fview%3Dmine" {
		t.Fatalf("signed out: %d to %q", p.status, p.header.Get("Location"))
	}
	if p := a.htmx("/inbox/list"); p.status != http.StatusUnauthorized {
		t.Fatalf("signed-out htmx request: %d, want 401 (the page then goes to login)", p.status)
	}
	// After login, the agent lands where the link pointed, never off-site.
	a.get("/login?next=//evil.example/x")
	if v, _ := a.get("/login?next=//evil.example/x").doc.Find(`input[name="next"]`).Attr("value"); v != "" {
		t.Fatalf("next = %q kept an off-site address", v)
	}
}

func TestPagesCarrySecurityHeaders(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	p := a.get("/login")
	csp := p.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP %q allows inline or eval", csp)
	}
	if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("missing nosniff or frame denial: %v", p.header)
	}
	if strings.Contains(p.body, "<script>") || p.doc.Find("script:not([src])").Length() > 0 {
		t.Error("the page has an inline script, which the CSP would block")
	}
	// Every script and stylesheet the page names is served, cacheable.
	p.doc.Find("script[src], link[href]").Each(func(_ int, s *goquery.Selection) {
		src, ok := s.Attr("src")
		if !ok {
			src, _ = s.Attr("href")
		}
		res := a.get(src)
		if res.status != http.StatusOK || !strings.Contains(res.header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d, cache %q", src, res.status, res.header.Get("Cache-Control"))
		}
	})
}

// twoAdmins signs in two admins, Ana and Ben, each in a browser of their
// own.
func (ts *testServer) twoAdmins() (ana, ben *agent) {
	ts.t.Helper()
	ts.addUser("ben@example.com", "Ben", inbox.RoleAdmin)
	ana, ben = ts.admin(), ts.newAgent()
	ben.login("ben@example.com")
	return ana, ben
}

// formFields are the named fields of the form with this data-testid, as
// a browser would send them.
func formFields(p page, testid string) url.Values {
	v := url.Values{}
	p.find(testid).Find("input[name], textarea[name], select[name]").Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		switch {
		case s.Is("textarea"):
			v.Set(name, s.Text())
		case s.Is("select"):
			v.Set(name, s.Find("option[selected]").AttrOr("value", ""))
		case s.AttrOr("type", "") == "checkbox":
			if _, on := s.Attr("checked"); on {
				v.Set(name, s.AttrOr("value", "on"))
			}
		default:
			v.Set(name, s.AttrOr("value", ""))
		}
	})
	return v
}
