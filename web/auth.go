package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// handleLoginForm shows the sign-in page, or the first-run setup while no
// user exists.
func (s *Server) handleLoginForm(c echo.Context) error {
	ctx := c.Request().Context()
	if n, err := s.store.CountUsers(ctx); err != nil {
		return err
	} else if n == 0 {
		return c.Redirect(http.StatusSeeOther, "/setup")
	}
	if s.sessions.GetInt64(ctx, sessUserID) != 0 {
		return c.Redirect(http.StatusSeeOther, "/inbox")
	}
	return s.render(c, http.StatusOK, views.LoginPage(views.LoginView{
		Page: s.page(c, "Sign in · Switchboard"), Next: localPath(c.QueryParam("next")),
		Notice: s.sessions.PopString(ctx, sessNotice),
	}))
}

// handleLogin checks an e-mail address and password. Attempts are counted
// per e-mail address (5 failures in 15 minutes) and per client address (an
// IPv6 client by its /64; 50 failures in 15 minutes, as a team behind one
// office address shares it) before the password is checked; past either
// limit, the form says when to try again and the password is not even
// checked.
func (s *Server) handleLogin(c echo.Context) error {
	ctx := c.Request().Context()
	email := strings.TrimSpace(c.FormValue("email"))
	password := c.FormValue("password")
	next := localPath(c.FormValue("next"))
	remote := c.RealIP()
	fail := func(status int, msg string) error {
		return s.render(c, status, views.LoginPage(views.LoginView{
			Page: s.page(c, "Sign in · Switchboard"), Email: email, Error: msg, Next: next,
		}))
	}
	done, wait, err := s.logins.reserve(ctx,
		loginKey{"ip:" + limitKey(remote), loginFailuresPerAddress},
		loginKey{"email:" + strings.ToLower(email), loginFailuresPerAccount})
	if err != nil {
		return err
	}
	if wait > 0 {
		s.log.Warn("sign-in refused: too many attempts", "email_sha256", emailDigest(email), "remote", remote)
		c.Response().Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
		return fail(http.StatusTooManyRequests, fmt.Sprintf(
			"Too many failed attempts. Try again in %s.", humanDuration(wait)))
	}
	// Each outcome is counted before the answer leaves: a client that
	// tries again at once, on any server, meets it.
	defer done(loginAbandoned)
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, inbox.ErrNotFound) {
		return err
	}
	ok, err := checkPassword(ctx, u.PasswordHash, password)
	if err != nil {
		// The client left while waiting for its turn: nobody reads this,
		// and a flood of such is not the server's error to log.
		return c.NoContent(http.StatusServiceUnavailable)
	}
	if !ok {
		done(loginFailed)
		s.log.Warn("sign-in failed", "email_sha256", emailDigest(email), "user_id", u.ID, "remote", remote)
		return fail(http.StatusUnauthorized, "That e-mail address and password do not match an active account.")
	}
	if !u.Active {
		// Only someone who knows the password learns that the account exists.
		done(loginSucceeded)
		s.log.Warn("sign-in refused: account deactivated", "user_id", u.ID, "remote", remote)
		return fail(http.StatusForbidden, "Your account has been deactivated. Ask an admin of your team to reactivate it.")
	}
	done(loginSucceeded)
	if err := s.startSession(c, u); err != nil {
		return err
	}
	s.log.Info("signed in", "user_id", u.ID)
	if next == "" {
		next = "/inbox"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// startSession signs u in with a fresh session token, so a token planted
// before sign-in is worth nothing after it.
func (s *Server) startSession(c echo.Context, u inbox.User) error {
	ctx := c.Request().Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessUserID, u.ID)
	s.sessions.Put(ctx, sessPassword, passwordStamp(u.PasswordHash))
	s.sessions.Put(ctx, sessCookie, s.sessions.Cookie.Name)
	s.sessions.Remove(ctx, sessCSRF)
	s.csrfToken(c)
	return nil
}

// handleLogout ends the session, and closes its pages' live connections.
func (s *Server) handleLogout(c echo.Context) error {
	ctx := c.Request().Context()
	token := s.sessions.Token(ctx)
	if err := s.sessions.Destroy(ctx); err != nil {
		return err
	}
	s.hub.DisconnectSession(token, signedOutReason)
	s.relay(relaySessionEnded, sessionTag(token))
	return c.Redirect(http.StatusSeeOther, "/login")
}

// The first-run setup creates the first admin, and whoever reaches it
// first would take the account: a scanner finding a new server on the
// internet before its owner, or a web page reaching one on a laptop
// through DNS rebinding. So it asks for a code only whoever runs
// Switchboard sees: the setup link, with the code, is written to the log
// as the server starts (SetupLink), and again, at most once a second,
// each time the page is opened without it.

// SetupLink is the link that opens the first-run setup, its code in it;
// "" once a user exists.
func (s *Server) SetupLink(ctx context.Context) (string, error) {
	code, open, err := s.store.SetupCode(ctx, rand.Text())
	if err != nil || !open {
		return "", err
	}
	return s.setupURL(code), nil
}

// setupURL is the setup's link with code in it.
func (s *Server) setupURL(code string) string {
	return strings.TrimSuffix(s.cfg.BaseURL.String(), "/") + "/setup?code=" + url.QueryEscape(code)
}

// setupGate lets a first-run setup request through (done false) while no
// user exists and code is the setup's. Otherwise it answers the request
// (done true): to sign in once a user exists; else with the page that
// says where to find the code (403 for another code), the link being
// written to the log again for whoever runs Switchboard. Whether a user
// exists is read first, so that a request once setup is over writes
// nothing and hashes no password.
func (s *Server) setupGate(c echo.Context, code string) (done bool, err error) {
	ctx := c.Request().Context()
	if n, err := s.store.CountUsers(ctx); err != nil || n > 0 {
		if err != nil {
			return true, err
		}
		return true, c.Redirect(http.StatusSeeOther, "/login")
	}
	kept, open, err := s.store.SetupCode(ctx, rand.Text())
	switch {
	case err != nil:
		return true, err
	case !open: // a user came meanwhile
		return true, c.Redirect(http.StatusSeeOther, "/login")
	case code != "" && subtle.ConstantTimeCompare([]byte(code), []byte(kept)) == 1:
		return false, nil
	}
	s.failLog.Log(ctx, slog.LevelWarn, "the setup page was opened without its code: open the setup link to create the first admin account",
		"setup_url", s.setupURL(kept))
	v := views.SetupView{Page: s.page(c, "Set up · Switchboard"), NeedCode: true}
	status := http.StatusOK
	if code != "" {
		status, v.Error = http.StatusForbidden, "That is not the setup code Switchboard wrote to its log."
	}
	return true, s.render(c, status, views.SetupPage(v))
}

// handleSetupForm shows the first-run setup while no user exists, once its
// code is given; before, where to find the code.
func (s *Server) handleSetupForm(c echo.Context) error {
	code := c.QueryParam("code")
	if done, err := s.setupGate(c, code); done {
		return err
	}
	return s.render(c, http.StatusOK, views.SetupPage(views.SetupView{Page: s.page(c, "Set up · Switchboard"), Code: code}))
}

// handleSetup creates the first admin and signs them in, given the setup's
// code. Once any user exists, it refuses.
func (s *Server) handleSetup(c echo.Context) error {
	ctx := c.Request().Context()
	// Whether setup is still open, and its code, are known before any
	// password is hashed.
	code := c.FormValue("code")
	if done, err := s.setupGate(c, code); done {
		return err
	}
	name := strings.TrimSpace(c.FormValue("name"))
	email := strings.TrimSpace(c.FormValue("email"))
	fail := func(msg string) error {
		return s.render(c, http.StatusBadRequest, views.SetupPage(views.SetupView{
			Page: s.page(c, "Set up · Switchboard"), Code: code, Name: name, Email: email, Error: msg,
		}))
	}
	if name == "" {
		return fail("Please give your name.")
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return fail("That is not an e-mail address.")
	}
	pw := c.FormValue("password")
	if err := checkPasswordRules(pw); err != nil {
		return fail(strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + ".")
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	u := inbox.User{Email: email, Name: name, Role: inbox.RoleAdmin, PasswordHash: hash, Active: true, CreatedAt: s.now().UTC()}
	err = s.store.CreateFirstAdmin(ctx, &u)
	if errors.Is(err, inbox.ErrConflict) {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	if err != nil {
		return err
	}
	s.log.Info("first admin created", "user_id", u.ID)
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/inbox")
}

// localPath returns p if it leads to a page of this site, else "": a
// sign-in link must not send the agent elsewhere. Browsers forgive a lot
// in a Location (they drop tabs and newlines, read a backslash as a
// slash, resolve dot segments), so p is refused unless it is a plain
// absolute path that no such reading can turn into another host: no
// control characters or backslashes, no scheme or host, not starting "//".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return ""
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return ""
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	// Read as a browser would against this site, it must stay here.
	here := &url.URL{Scheme: "https", Host: "switchboard.invalid", Path: "/"}
	if r := here.ResolveReference(u); r.Host != here.Host || r.Scheme != here.Scheme || strings.HasPrefix(r.Path, "//") {
		return ""
	}
	return p
}

// Sign-in attempts are limited per e-mail address and per client address
// (see handleLogin): within loginWindow, at most loginFailuresPerAccount
// failures for one e-mail address and loginFailuresPerAddress from one
// client address. A team usually signs in from one office behind one
// address, so the address allows the typos of many agents; it still stops
// one address trying a password on account after account.
const (
	loginWindow             = 15 * time.Minute
	loginFailuresPerAccount = 5
	loginFailuresPerAddress = 50
)

// loginKey is a key sign-in attempts are counted under, and how many
// failures it allows within the window.
type loginKey struct {
	name string
	max  int
}

// loginLimiter counts sign-in attempts per key (a client address, an
// e-mail address): the failures in a sliding window, and the checks under
// way. An attempt is reserved before its password is checked, so however
// many guesses arrive at once, no more than a key's max are ever checked
// for it before the failures among them count. It forgets keys whose
// window has passed, so it stays small. Servers that share their database
// (see sharedLogins) keep the counts in it instead, with the same rules.
type loginLimiter struct {
	window time.Duration
	now    func() time.Time
	shared sharedLogins // nil: the counts are this process's own
	log    *slog.Logger

	mu   sync.Mutex
	keys map[string]*loginAttempts
}

type loginAttempts struct {
	failures []time.Time // oldest first, within the window
	checking int         // reserved attempts whose check has not ended
}

func newLoginLimiter(window time.Duration, now func() time.Time) *loginLimiter {
	return &loginLimiter{window: window, now: now, keys: map[string]*loginAttempts{}}
}

// sharedLogins keeps sign-in attempts in a database several servers share
// (store.DB on PostgreSQL), so that they count across the servers.
type sharedLogins interface {
	// SharesLogins reports whether the counts must be kept there.
	SharesLogins() bool
	// ReserveLogin reads what counts against each key, asks wait, and
	// unless it says to wait books a check under way for every key, in
	// one transaction.
	ReserveLogin(ctx context.Context, keys []string, now time.Time,
		wait func(failures [][]time.Time, checking []int) time.Duration) (int64, time.Duration, error)
	// EndLogin ends a reservation: failed counts a failure against its
	// keys for window; cleared has its failures forgotten.
	EndLogin(ctx context.Context, reservation int64, failed bool, cleared string, window time.Duration, now time.Time) error
}

// waitFor is how long a client must wait before an attempt, given what
// counts against each of its keys: nothing while every key has room
// under its own max.
func (l *loginLimiter) waitFor(now time.Time, failures func(i int) []time.Time, checking func(i int) int, keys []loginKey) time.Duration {
	var wait time.Duration
	for i, k := range keys {
		f := failures(i)
		if len(f)+checking(i) < k.max {
			continue
		}
		w := busyWait
		if n := len(f); n >= k.max {
			w = max(w, f[n-k.max].Add(l.window).Sub(now))
		}
		wait = max(wait, w)
	}
	return wait
}

// busyWait is how long a client is asked to wait when a key's attempts are
// all being checked right now: about the time the checks take.
const busyWait = time.Second

// loginOutcome is how a reserved sign-in attempt ended.
type loginOutcome int

const (
	loginAbandoned loginOutcome = iota // no answer about the password: counts neither way
	loginFailed                        // wrong password or unknown address
	loginSucceeded                     // the password matched
)

// reserve books an attempt for every key, or for none: when a key already
// has its max of failures and checks under way, it returns how long to
// wait before the next try. Otherwise the caller checks the password and
// then calls done with the outcome, exactly once.
func (l *loginLimiter) reserve(ctx context.Context, keys ...loginKey) (done func(loginOutcome), wait time.Duration, err error) {
	if l.shared != nil {
		return l.reserveShared(ctx, keys)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.keys) > 10000 {
		for k := range l.keys {
			l.prune(k, now)
		}
	}
	counts := make([]*loginAttempts, len(keys))
	for i, k := range keys {
		if counts[i] = l.prune(k.name, now); counts[i] == nil {
			counts[i] = &loginAttempts{}
		}
	}
	wait = l.waitFor(now, func(i int) []time.Time { return counts[i].failures },
		func(i int) int { return counts[i].checking }, keys)
	if wait > 0 {
		return nil, wait, nil
	}
	for _, k := range keys {
		a := l.keys[k.name]
		if a == nil {
			a = &loginAttempts{}
			l.keys[k.name] = a
		}
		a.checking++
	}
	var once sync.Once
	return func(o loginOutcome) { once.Do(func() { l.done(keys, o) }) }, 0, nil
}

// reserveShared is reserve on the database several servers share.
func (l *loginLimiter) reserveShared(ctx context.Context, keys []loginKey) (func(loginOutcome), time.Duration, error) {
	now := l.now()
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	id, wait, err := l.shared.ReserveLogin(ctx, names, now, func(failures [][]time.Time, checking []int) time.Duration {
		return l.waitFor(now, func(i int) []time.Time { return failures[i] }, func(i int) int { return checking[i] }, keys)
	})
	if err != nil || wait > 0 {
		return nil, wait, err
	}
	var once sync.Once
	return func(o loginOutcome) {
		once.Do(func() {
			cleared := ""
			if o == loginSucceeded {
				cleared = names[len(names)-1]
			}
			// The attempt's own request may be gone (the client left):
			// its outcome is recorded all the same.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := l.shared.EndLogin(ctx, id, o == loginFailed, cleared, l.window, l.now()); err != nil {
				l.log.Warn("a sign-in attempt's outcome was not recorded", "err", err)
			}
		})
	}, 0, nil
}

// done ends a reserved attempt: a failure counts against every key; a
// success clears the failures of the e-mail address (the last key), so a
// client address that keeps failing stays limited.
func (l *loginLimiter) done(keys []loginKey, o loginOutcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for i, k := range keys {
		a := l.keys[k.name]
		a.checking--
		switch {
		case o == loginFailed:
			a.failures = append(a.failures, now)
		case o == loginSucceeded && i == len(keys)-1:
			a.failures = nil
		}
		l.prune(k.name, now)
	}
}

// prune drops k's failures older than the window and returns what is
// left, or nil when nothing is (and forgets k).
func (l *loginLimiter) prune(k string, now time.Time) *loginAttempts {
	a := l.keys[k]
	if a == nil {
		return nil
	}
	i := 0
	for i < len(a.failures) && now.Sub(a.failures[i]) >= l.window {
		i++
	}
	a.failures = a.failures[i:]
	if len(a.failures) == 0 && a.checking == 0 {
		delete(l.keys, k)
		return nil
	}
	return a
}

// limitKey is the key a client address is limited under: the address
// itself, or for IPv6 its /64, which one client usually holds whole.
func limitKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.WithZone("").Prefix(64)
	return p.String()
}

// emailDigest stands for what was typed in the e-mail field in the logs:
// a password typed there by mistake must not land in them. It is the
// first 12 hex digits of the SHA-256 of the field, trimmed and in lower
// case, so an admin can still tell whether an attempt named an address
// (printf %s ana@example.com | sha256sum).
func emailDigest(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:6])
}

// humanDuration says d in whole minutes, or seconds under one.
func humanDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", max(1, int(d.Seconds()+0.5)))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
