package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/web"
)

// guess is one sign-in attempt sent at the same moment as others.
type guess struct {
	email, password, forwardedFor string
}

type guessResult struct {
	status     int
	retryAfter string
	err        error
}

// guessAtOnce posts every guess to /login at the same moment, each on its
// own connection, with a's session and CSRF token.
func guessAtOnce(a *agent, guesses []guess) []guessResult {
	a.t.Helper()
	client := &http.Client{
		Jar:           a.client.Jar,
		Transport:     &http.Transport{MaxIdleConnsPerHost: len(guesses), MaxConnsPerHost: len(guesses)},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	results := make([]guessResult, len(guesses))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, g := range guesses {
		form := url.Values{"email": {g.email}, "password": {g.password}, "csrf": {a.csrf}}
		req, err := http.NewRequest(http.MethodPost, a.ts.srv.URL+"/login", strings.NewReader(form.Encode()))
		if err != nil {
			a.t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if g.forwardedFor != "" {
			req.Header.Set("X-Forwarded-For", g.forwardedFor)
		}
		wg.Go(func() {
			<-start
			resp, err := client.Do(req)
			if err != nil {
				results[i].err = err
				return
			}
			resp.Body.Close()
			results[i] = guessResult{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
		})
	}
	close(start)
	wg.Wait()
	return results
}

// tally checks that every guess got 401 (its password was checked) or 429
// with a Retry-After in seconds, and returns how many got each.
func tally(t *testing.T, results []guessResult) (checked, refused int) {
	t.Helper()
	for _, r := range results {
		switch {
		case r.err != nil:
			t.Fatal(r.err)
		case r.status == http.StatusUnauthorized:
			checked++
		case r.status == http.StatusTooManyRequests:
			if n, err := strconv.Atoi(r.retryAfter); err != nil || n < 1 {
				t.Errorf("429 with Retry-After %q, want whole seconds", r.retryAfter)
			}
			refused++
		default:
			t.Errorf("a guess got %d, want 401 or 429", r.status)
		}
	}
	return checked, refused
}

func TestSignInGuessesAtOnceForOneAccountGetAtMostFiveChecks(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	a := ts.newAgent()
	a.get("/login")

	var guesses []guess
	for i := range 60 {
		guesses = append(guesses, guess{email: "ben@example.com", password: fmt.Sprintf("guess number %d", i)})
	}
	before, _ := web.PasswordWork()
	checked, refused := tally(t, guessAtOnce(a, guesses))
	after, _ := web.PasswordWork()
	if n := after - before; n > 5 || n != int64(checked) {
		t.Errorf("60 guesses at once: %d password checks and %d answers 401, want the same number and at most 5", n, checked)
	}
	if checked+refused != 60 || refused < 55 {
		t.Errorf("60 guesses at once: %d checked, %d refused with 429", checked, refused)
	}

	// The failures hold: the right password now waits too, unchecked.
	p := a.do(http.MethodPost, "/login", url.Values{"email": {"ben@example.com"}, "password": {"correct horse battery"}, "csrf": {a.csrf}}, nil)
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("the right password after 5 failures: %d, Retry-After %q; want 429 with a wait", p.status, p.header.Get("Retry-After"))
	}
	if final, _ := web.PasswordWork(); final != after {
		t.Errorf("a refused sign-in still checked the password (%d checks)", final-after)
	}
}

func TestSignInGuessesFromOneIPv6NetworkShareTheirLimit(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.get("/login")

	// 60 accounts guessed at once from 60 addresses of one /64, through
	// the reverse proxy on this machine: they count as one address, which
	// gets 50 checks in 15 minutes.
	var guesses []guess
	for i := range 60 {
		guesses = append(guesses, guess{
			email: fmt.Sprintf("user%d@example.com", i), password: "a wrong password",
			forwardedFor: fmt.Sprintf("2001:db8:5:6::%x", i+1),
		})
	}
	before, _ := web.PasswordWork()
	checked, refused := tally(t, guessAtOnce(a, guesses))
	after, _ := web.PasswordWork()
	if n := after - before; n != 50 || checked != 50 || refused != 10 {
		t.Errorf("60 guesses from one /64: %d password checks, %d answers 401, %d refused; want 50 checked, 10 refused", n, checked, refused)
	}

	// Another network is not held back.
	res := guessAtOnce(a, []guess{{email: "user0@example.com", password: "a wrong password", forwardedFor: "2001:db8:5:7::1"}})
	if res[0].status != http.StatusUnauthorized {
		t.Errorf("a guess from another /64: %d, want 401 (checked)", res[0].status)
	}
}

// signInFrom posts an e-mail address and password to /login with a's
// session, from the client address addr as the reverse proxy on this
// machine reports it.
func signInFrom(a *agent, addr, email, password string) page {
	a.t.Helper()
	return a.do(http.MethodPost, "/login", url.Values{"email": {email}, "password": {password}, "csrf": {a.csrf}},
		func(r *http.Request) { r.Header.Set("X-Forwarded-For", addr) })
}

// A team works from one office behind one address: every agent's typos
// count against that address, but an agent is held back only by their
// own five; the address allows 50 in 15 minutes.
func TestSignInTyposOfATeamBehindOneAddressLockNobodyOut(t *testing.T) {
	clock := &testClock{t: time.Now()}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	const office = "198.51.100.20"
	var agents []string
	for i := range 7 {
		email := fmt.Sprintf("agent%d@example.com", i)
		ts.addUser(email, fmt.Sprintf("Agent %d", i), inbox.RoleAgent)
		agents = append(agents, email)
	}

	// Six agents mistype their password once each, then sign in.
	for _, email := range agents[:6] {
		a := ts.newAgent()
		a.get("/login")
		if p := signInFrom(a, office, email, "a typo in it"); p.status != http.StatusUnauthorized {
			t.Fatalf("%s mistypes: %d, want 401 (checked)", email, p.status)
		}
		if p := signInFrom(a, office, email, "correct horse battery"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/inbox" {
			t.Fatalf("%s with the right password after the office's typos: %d to %q, want signed in", email, p.status, p.header.Get("Location"))
		}
	}

	// One agent's five failures hold back that agent alone.
	g := ts.newAgent()
	g.get("/login")
	for i := range 5 {
		if p := signInFrom(g, office, agents[6], "still a typo"); p.status != http.StatusUnauthorized {
			t.Fatalf("%s's failure %d: %d, want 401", agents[6], i+1, p.status)
		}
	}
	if p := signInFrom(g, office, agents[6], "correct horse battery"); p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("%s after 5 failures: %d, Retry-After %q; want 429 with a wait", agents[6], p.status, p.header.Get("Retry-After"))
	}
	b := ts.newAgent()
	b.get("/login")
	if p := signInFrom(b, office, agents[0], "correct horse battery"); p.status != http.StatusSeeOther {
		t.Fatalf("a teammate from the office while %s waits: %d, want signed in", agents[6], p.status)
	}
	clock.set(clock.now().Add(15 * time.Minute))
	if p := signInFrom(g, office, agents[6], "correct horse battery"); p.status != http.StatusSeeOther {
		t.Errorf("%s once 15 minutes have passed: %d, want signed in", agents[6], p.status)
	}
}

// One address trying a password on many accounts is stopped after 50
// failures in 15 minutes, whichever accounts they were for; other
// addresses are not.
func TestSignInOneAddressTryingManyAccountsIsStoppedAfterFifty(t *testing.T) {
	clock := &testClock{t: time.Now()}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	const sprayer, office = "203.0.113.9", "198.51.100.20"
	a := ts.newAgent()
	a.get("/login")
	for i := range 50 {
		if p := signInFrom(a, sprayer, fmt.Sprintf("user%d@example.com", i), "Summer2026!"); p.status != http.StatusUnauthorized {
			t.Fatalf("failure %d from one address: %d, want 401 (checked)", i+1, p.status)
		}
		clock.set(clock.now().Add(time.Second))
	}
	before, _ := web.PasswordWork()
	p := signInFrom(a, sprayer, "ana@example.com", "correct horse battery")
	if p.status != http.StatusTooManyRequests || !strings.Contains(p.find("login-error").Text(), "Try again in") {
		t.Fatalf("the 51st try from the address, a right password: %d %q, want 429 and when to retry", p.status, p.find("login-error").Text())
	}
	if n, err := strconv.Atoi(p.header.Get("Retry-After")); err != nil || n < 1 || n > 15*60 {
		t.Errorf("Retry-After %q, want whole seconds within 15 minutes", p.header.Get("Retry-After"))
	}
	if after, _ := web.PasswordWork(); after != before {
		t.Errorf("a refused sign-in still checked the password (%d checks)", after-before)
	}

	// The account itself is not held back from elsewhere.
	b := ts.newAgent()
	b.get("/login")
	if p := signInFrom(b, office, "ana@example.com", "correct horse battery"); p.status != http.StatusSeeOther {
		t.Errorf("ana from another address: %d, want signed in", p.status)
	}
	// Once the first failure is 15 minutes old, the address has room again.
	clock.set(clock.now().Add(15*time.Minute - 50*time.Second))
	c := ts.newAgent()
	c.get("/login")
	if p := signInFrom(c, sprayer, "ana@example.com", "correct horse battery"); p.status != http.StatusSeeOther {
		t.Errorf("the address 15 minutes after its first failure: %d, want signed in", p.status)
	}
}

func TestSetupAfterTheFirstUserHashesNothing(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	b := ts.newAgent()
	b.get("/login")
	form := url.Values{"name": {"Mallory"}, "email": {"mallory@example.com"}, "password": {"a long enough password"}, "csrf": {b.csrf}}
	before, _ := web.PasswordWork()
	for range 3 {
		if p := b.do(http.MethodPost, "/setup", form, nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
			t.Fatalf("setup with a user: %d to %q, want the sign-in page", p.status, p.header.Get("Location"))
		}
	}
	if after, _ := web.PasswordWork(); after != before {
		t.Errorf("setup after the first user ran bcrypt %d times, want none", after-before)
	}
}

func TestPasswordWorkIsBoundedServerWide(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.get("/login")
	before, _ := web.PasswordWork()

	// Hashes and sign-ins for different accounts from different
	// addresses, all at once: none of them is limited, all of them wait
	// for their turn.
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			<-start
			if _, err := web.HashPassword("another long password"); err != nil {
				t.Error(err)
			}
		})
	}
	var guesses []guess
	for i := range 4 {
		guesses = append(guesses, guess{email: fmt.Sprintf("u%d@example.com", i), password: "wrong password", forwardedFor: fmt.Sprintf("192.0.2.%d", i+1)})
	}
	close(start)
	checked, _ := tally(t, guessAtOnce(a, guesses))
	wg.Wait()

	after, peak := web.PasswordWork()
	if after-before != 8 || checked != 4 {
		t.Fatalf("%d bcrypt jobs and %d sign-ins checked, want 8 and 4", after-before, checked)
	}
	if bound := web.PasswordWorkBound(); peak > bound || bound < 1 || bound > 2 {
		t.Errorf("at most %d bcrypt jobs ran at once, with a bound of %d (want 1 or 2)", peak, bound)
	}
}

// browserTarget is where a browser goes for Location loc sent from base:
// it drops tabs and newlines and leading and trailing spaces and control
// characters, and reads backslashes as slashes.
func browserTarget(base *url.URL, loc string) (*url.URL, error) {
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(loc)
	u, err := url.Parse(loc)
	if err != nil {
		return nil, err
	}
	return base.ResolveReference(u), nil
}

func TestSignInNextStaysOnThisSite(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	base, _ := url.Parse(ts.srv.URL + "/login")
	a := ts.newAgent()

	// Each raw query value, as a link could carry it.
	offsite := []string{
		"//evil.example", "//evil.example/inbox", "/%2F/evil.example", "%2F%2Fevil.example",
		"/%09/evil.example", "/%0A/evil.example", "/%0D%0A/evil.example", "%09//evil.example",
		"/%5Cevil.example", "%5C%5Cevil.example", "/%5C/evil.example", "%5C/evil.example",
		"http://evil.example/", "https:evil.example", "https:%2F%2Fevil.example", "javascript:alert(1)",
		"JaVaScRiPt:alert(1)", "data:text/html,hi", "%20//evil.example", "///evil.example",
		"/%E3%80%80/evil.example", "//%09evil.example", "/%00/evil.example", "evil.example",
	}
	for _, raw := range offsite {
		p := a.get("/login?next=" + raw)
		v, ok := p.doc.Find(`input[name="next"]`).Attr("value")
		if !ok {
			continue // nothing to follow
		}
		if dest, err := browserTarget(base, v); v != "" && (err != nil || dest.Host != base.Host || dest.Scheme != base.Scheme) {
			t.Errorf("next=%s: the form keeps %q, which leads to %v", raw, v, dest)
		}
	}

	// A path here is kept, query and all.
	for _, raw := range []string{"/inbox?view=mine", "/conversations/7%3Fview%3Dmine", "/admin/agents"} {
		want, _ := url.QueryUnescape(raw)
		if v := a.get("/login?next="+raw).doc.Find(`input[name="next"]`).AttrOr("value", ""); v != want {
			t.Errorf("next=%s: the form keeps %q, want %q", raw, v, want)
		}
	}

	// Signing in follows only a local next.
	signIn := func(next string) string {
		t.Helper()
		b := ts.newAgent()
		b.get("/login")
		p := b.do(http.MethodPost, "/login", url.Values{"email": {"ana@example.com"}, "password": {"correct horse battery"}, "csrf": {b.csrf}, "next": {next}}, nil)
		if p.status != http.StatusSeeOther {
			t.Fatalf("sign-in with next %q: %d", next, p.status)
		}
		return p.header.Get("Location")
	}
	if loc := signIn("/\t/evil.example"); loc != "/inbox" {
		t.Errorf("next=/%%09/evil.example after sign-in: Location %q, want /inbox", loc)
	}
	if loc := signIn(`/\evil.example`); loc != "/inbox" {
		t.Errorf(`next=/\evil.example after sign-in: Location %q, want /inbox`, loc)
	}
	if loc := signIn("/conversations/7?view=mine"); loc != "/conversations/7?view=mine" {
		t.Errorf("a local next after sign-in: Location %q", loc)
	}
}

// String is everything logged so far.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestFailedSignInLogsADigestOfTheEmailField(t *testing.T) {
	var logs syncBuffer
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	a := ts.newAgent()
	a.get("/login")

	// A password typed in the e-mail field, five times, then once more.
	typed := "Tr0ub4dor&3 secret"
	for range 6 {
		a.do(http.MethodPost, "/login", url.Values{"email": {typed}, "password": {"x"}, "csrf": {a.csrf}}, nil)
	}
	sum := sha256.Sum256([]byte(strings.ToLower(typed)))
	digest := hex.EncodeToString(sum[:6])
	out := logs.String()
	if strings.Contains(out, "Tr0ub4dor") || strings.Contains(strings.ToLower(out), "tr0ub4dor") {
		t.Fatalf("the log holds what was typed in the e-mail field:\n%s", out)
	}
	if n := strings.Count(out, `"email_sha256":"`+digest+`"`); n != 6 {
		t.Errorf("the log names the attempt by its digest %d times, want 6 (5 failures, 1 refusal):\n%s", n, out)
	}
}
