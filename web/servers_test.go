package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"switchboard/inbox"
)

// Servers behind a balancer share one PostgreSQL database; a browser's
// requests go to either. (On SQLite one server opens a database, so these
// run under TestPostgres only.)

// twoServers starts two test servers on one database, with the same
// keys, as a deployment gives every server.
func twoServers(t *testing.T) (*testServer, *testServer) {
	t.Helper()
	if !onPostgres(t) {
		t.Skip("servers share a database on PostgreSQL only: TestPostgres runs this")
	}
	dsn := testDSN(t)
	return newTestServerAt(t, dsn, nil), newTestServerAt(t, dsn, nil)
}

// on is the same browser (its cookies) talking to another server.
func (a *agent) on(ts *testServer) *agent {
	return &agent{t: a.t, ts: ts, client: a.client, csrf: a.csrf}
}

// A guesser spreading wrong passwords over the servers meets the limits
// of one server: five failures in all for one account, then every server
// refuses, the right password too, with the same message; and 50 in all
// from one address, whichever accounts they were for.
func TestSignInLimitHoldsAcrossServers(t *testing.T) {
	a, b := twoServers(t)
	a.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	onA := a.newAgent()
	onA.get("/login")
	onB := b.newAgent()
	onB.get("/login")
	try := func(g *agent, password string) page {
		t.Helper()
		return g.do(http.MethodPost, "/login", url.Values{"email": {"ben@example.com"}, "password": {password}, "csrf": {g.csrf}}, nil)
	}
	// 60 guesses at once, half on each server: five passwords are
	// checked, the rest refused before theirs is.
	var guesses []guess
	for i := range 30 {
		guesses = append(guesses, guess{email: "ben@example.com", password: fmt.Sprintf("guess number %d", i)})
	}
	var results [2][]guessResult
	var wg sync.WaitGroup
	for i, g := range []*agent{onA, onB} {
		wg.Go(func() { results[i] = guessAtOnce(g, guesses) })
	}
	wg.Wait()
	checked, refused := tally(t, append(results[0], results[1]...))
	if checked > 5 || checked+refused != 60 {
		t.Fatalf("60 guesses over both servers: %d checked, %d refused; want at most 5 checked", checked, refused)
	}
	for name, g := range map[string]*agent{"A": onA, "B": onB} {
		p := try(g, "correct horse battery")
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" ||
			!strings.Contains(p.body, "Too many failed attempts. Try again in 1") || !strings.Contains(p.body, " minutes.") {
			t.Errorf("server %s after 5 failures over both: %d, Retry-After %q; want 429 and the wait", name, p.status, p.header.Get("Retry-After"))
		}
	}
	// Another account from another address still signs in, on either.
	a.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	other := b.newAgent()
	other.get("/login")
	if p := other.do(http.MethodPost, "/login", url.Values{"email": {"ana@example.com"}, "password": {"correct horse battery"}, "csrf": {other.csrf}},
		func(r *http.Request) { r.Header.Set("X-Forwarded-For", "192.0.2.7") }); p.status != http.StatusSeeOther {
		t.Errorf("another account: %d, want signed in", p.status)
	}

	// 60 accounts guessed at once from one address, half on each server:
	// the address's 50 are checked, the rest refused before theirs is.
	var spray [2][]guess
	for i := range 60 {
		spray[i%2] = append(spray[i%2], guess{email: fmt.Sprintf("user%d@example.com", i), password: "Summer2026!", forwardedFor: "203.0.113.9"})
	}
	for i, g := range []*agent{onA, onB} {
		wg.Go(func() { results[i] = guessAtOnce(g, spray[i]) })
	}
	wg.Wait()
	if checked, refused := tally(t, append(results[0], results[1]...)); checked != 50 || refused != 10 {
		t.Fatalf("60 accounts guessed from one address over both servers: %d checked, %d refused; want 50 and 10", checked, refused)
	}
	for name, g := range map[string]*agent{"A": onA, "B": onB} {
		if p := g.do(http.MethodPost, "/login", url.Values{"email": {"ana@example.com"}, "password": {"correct horse battery"}, "csrf": {g.csrf}},
			func(r *http.Request) { r.Header.Set("X-Forwarded-For", "203.0.113.9") }); p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
			t.Errorf("server %s, the right password from the address after its 50 failures: %d, Retry-After %q; want 429 and the wait", name, p.status, p.header.Get("Retry-After"))
		}
	}
}

// A session begun on one server is valid on the other, and signing out
// on either ends it on both.
func TestSessionsHoldAcrossServers(t *testing.T) {
	a, b := twoServers(t)
	a.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	onA := a.newAgent()
	onA.login("ana@example.com")
	onB := onA.on(b)
	if p := onB.get("/inbox"); p.status != http.StatusOK {
		t.Fatalf("server B with the session begun on A: %d, want the inbox", p.status)
	}
	if p := onB.do(http.MethodPost, "/logout", url.Values{"csrf": {onB.csrf}}, func(r *http.Request) {
		r.Header.Set("X-CSRF-Token", onB.csrf)
	}); p.status != http.StatusSeeOther {
		t.Fatalf("sign out on B: %d", p.status)
	}
	if p := onA.get("/inbox"); p.status != http.StatusSeeOther || p.header.Get("Location") == "/inbox" {
		t.Fatalf("server A after signing out on B: %d to %q, want sent to sign in", p.status, p.header.Get("Location"))
	}
}
