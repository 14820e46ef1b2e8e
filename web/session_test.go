package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/store"
	"switchboard/web"
)

// storedSessions is how many sessions the database holds.
func storedSessions(t *testing.T, ts *testServer) int {
	t.Helper()
	all, err := ts.db.Sessions().All()
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

// cookie is the value of the agent's cookie name, "" without one.
func (a *agent) cookie(name string) string {
	u, _ := url.Parse(a.ts.srv.URL)
	for _, c := range a.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func TestShowingTheSignInFormStoresNoSession(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)

	// Visitors without cookies, as a crawler or a flood sends them, and
	// one browser coming back, each showing the form many times.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 150 {
				resp, err := http.Get(ts.srv.URL + "/login")
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("GET /login: %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	a := ts.newAgent()
	for range 50 {
		a.get("/login")
	}
	if n := storedSessions(t, ts); n != 0 {
		t.Fatalf("1,250 sign-in pages shown: %d sessions stored, want none", n)
	}

	// A failed sign-in stores nothing either; a successful one, one session.
	p := a.do(http.MethodPost, "/login", url.Values{"email": {"ana@example.com"}, "password": {"not the password"}, "csrf": {a.csrf}}, nil)
	if p.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d, want 401", p.status)
	}
	if n := storedSessions(t, ts); n != 0 {
		t.Fatalf("after a failed sign-in: %d sessions stored, want none", n)
	}
	a.login("ana@example.com")
	if n := storedSessions(t, ts); n != 1 {
		t.Fatalf("after signing in: %d sessions stored, want 1", n)
	}
	if p := a.get("/inbox"); p.status != http.StatusOK {
		t.Fatalf("the inbox after signing in: %d", p.status)
	}
}

func TestFirstRunFormStoresNoSession(t *testing.T) {
	ts := newTestServer(t)
	a := ts.newAgent()
	for range 20 {
		if p := a.get("/setup"); p.status != http.StatusOK {
			t.Fatalf("GET /setup: %d", p.status)
		}
	}
	if n := storedSessions(t, ts); n != 0 {
		t.Fatalf("setup page shown: %d sessions stored, want none", n)
	}
	form := url.Values{"name": {"Ana"}, "email": {"ana@example.com"}, "password": {"correct horse battery"}, "code": {ts.setupCode()}}
	if p := a.do(http.MethodPost, "/setup", form, nil); p.status != http.StatusForbidden {
		t.Fatalf("setup without the form token: %d, want 403", p.status)
	}
	form.Set("csrf", a.csrf)
	if p := a.do(http.MethodPost, "/setup", form, nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/inbox" {
		t.Fatalf("setup with the form token: %d to %q", p.status, p.header.Get("Location"))
	}
	if p := a.get("/inbox"); p.status != http.StatusOK {
		t.Fatalf("the inbox after setup: %d", p.status)
	}
}

func TestSignInNeedsTheFormTokenOfThisBrowser(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a, b := ts.newAgent(), ts.newAgent()
	p := a.get("/login")
	b.get("/login")
	var set string
	for _, sc := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "switchboard_form=") {
			set = sc
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="} {
		if !strings.Contains(set, want) {
			t.Errorf("form cookie %q lacks %s", set, want)
		}
	}
	if strings.HasPrefix(set, "switchboard_session=") || a.cookie("switchboard_session") != "" {
		t.Error("showing the sign-in page gave the browser a session cookie")
	}
	nonce := a.cookie("switchboard_form")
	if a.csrf == "" || nonce == "" || a.csrf == nonce || a.csrf == b.csrf {
		t.Fatalf("form token %q, cookie %q, other browser's token %q: want a token per browser that is not the cookie", a.csrf, nonce, b.csrf)
	}

	creds := func(token string) url.Values {
		return url.Values{"email": {"ana@example.com"}, "password": {"correct horse battery"}, "csrf": {token}}
	}
	withCookie := func(value string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Cookie", "switchboard_form="+value) }
	}
	stranger := &agent{t: t, ts: ts, client: &http.Client{CheckRedirect: a.client.CheckRedirect}}
	refused := []struct {
		name string
		who  *agent
		form url.Values
		edit func(*http.Request)
	}{
		{"no token", a, creds(""), nil},
		{"a made-up token", a, creds("forged"), nil},
		{"another browser's token", a, creds(b.csrf), nil},
		{"the token without its cookie", stranger, creds(a.csrf), nil},
		{"a cookie and token the sender chose", stranger, creds(nonce), withCookie(nonce)},
		{"the right token from another site", a, creds(a.csrf), func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }},
	}
	for _, c := range refused {
		if p := c.who.do(http.MethodPost, "/login", c.form, c.edit); p.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", c.name, p.status)
		}
	}
	if n := storedSessions(t, ts); n != 0 {
		t.Fatalf("refused sign-ins stored %d sessions", n)
	}
	// The token and cookie of a page this browser was shown, also copied
	// to another client as a whole, work.
	if p := stranger.do(http.MethodPost, "/login", creds(a.csrf), withCookie(nonce)); p.status != http.StatusSeeOther {
		t.Fatalf("the page's token with its cookie: %d, want 303", p.status)
	}
	if p := a.do(http.MethodPost, "/login", creds(a.csrf), nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/inbox" {
		t.Fatalf("signing in with the form token: %d to %q", p.status, p.header.Get("Location"))
	}

	// Once signed in, only the session's own token counts.
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	conv := all[apiConversation](ts, "/api/v1/conversations", "cursor")[0]
	path := "/conversations/" + itoa(conv.ID) + "/status"
	formToken := a.csrf
	a.get("/inbox")
	if a.csrf == formToken {
		t.Fatal("the signed-in page kept the sign-in form's token")
	}
	if p := a.do(http.MethodPost, path, url.Values{"status": {"resolved"}}, func(r *http.Request) { r.Header.Set("X-CSRF-Token", formToken) }); p.status != http.StatusForbidden {
		t.Errorf("a signed-in change with the sign-in form's token: %d, want 403", p.status)
	}
	if p := a.post(path, url.Values{"status": {"resolved"}}); p.status != http.StatusNoContent {
		t.Errorf("a signed-in change with the session's token: %d, want 204", p.status)
	}
}

func TestFormCookieIsHostOnlyAndSecureOverHTTPS(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base, _ := url.Parse("https://inbox.example.com")
	w := web.New(web.Config{BaseURL: base}, web.Deps{Store: db, Sessions: db.Sessions()})
	defer w.Close()
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://inbox.example.com/setup", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /setup: %d", rec.Code)
	}
	set := rec.Header().Values("Set-Cookie")
	if len(set) != 1 || !strings.HasPrefix(set[0], "__Host-switchboard_form=") {
		t.Fatalf("Set-Cookie = %q, want only the __Host- form cookie", set)
	}
	for _, want := range []string{"Secure", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(set[0], want) {
			t.Errorf("form cookie %q lacks %s", set[0], want)
		}
	}
	if strings.Contains(set[0], "Domain=") {
		t.Errorf("form cookie %q names a domain", set[0])
	}
}

func TestSessionsAreStoredUnderAHashOfTheToken(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a, phone := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	phone.login(ana.Email)
	token := a.cookie("switchboard_session")
	if token == "" {
		t.Fatal("no session cookie after signing in")
	}
	all, err := ts.db.Sessions().All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("%d sessions stored, want 2", len(all))
	}
	for key, data := range all {
		if strings.Contains(key, token) || strings.Contains(string(data), token) {
			t.Fatalf("the database holds the cookie's value: %q", key)
		}
		// What the database holds does not sign anyone in.
		thief := ts.newAgent()
		if p := thief.do(http.MethodGet, "/inbox", nil, func(r *http.Request) {
			r.Header.Set("Cookie", "switchboard_session="+key)
		}); p.status != http.StatusSeeOther {
			t.Fatalf("the stored key as a cookie: %d, want sent to sign in", p.status)
		}
	}

	// Ending every other session of a user still finds them: Ana resets
	// her own password here, her phone is signed out and its session
	// deleted, this one stays.
	own := "/admin/agents/" + itoa(ana.ID)
	a.get(own)
	if p := a.submit(own+"/password", url.Values{"password": {"ana's new secret"}}); p.status != http.StatusSeeOther {
		t.Fatalf("reset her own password: %d", p.status)
	}
	all, err = ts.db.Sessions().All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Fatalf("after the reset %d sessions are stored, want this tab's only", len(all))
	}
	if _, ok := all[ts.db.Sessions().Key(token)]; !ok {
		t.Fatalf("the session kept is not this tab's")
	}
	if p := a.get("/inbox"); p.status != http.StatusOK {
		t.Fatalf("this tab after the reset: %d", p.status)
	}
	if p := phone.get("/inbox"); p.status != http.StatusSeeOther {
		t.Fatalf("the phone after the reset: %d, want sent to sign in", p.status)
	}
}
