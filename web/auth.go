package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"time"

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
	}))
}

// handleLogin checks an e-mail address and password. Failures are counted
// per address and per client; past the limit, the form says when to try
// again and the password is not even checked.
func (s *Server) handleLogin(c echo.Context) error {
	ctx := c.Request().Context()
	email := strings.TrimSpace(c.FormValue("email"))
	password := c.FormValue("password")
	next := localPath(c.FormValue("next"))
	fail := func(status int, msg string) error {
		return s.render(c, status, views.LoginPage(views.LoginView{
			Page: s.page(c, "Sign in · Switchboard"), Email: email, Error: msg, Next: next,
		}))
	}
	keys := []string{"ip:" + c.RealIP(), "email:" + strings.ToLower(email)}
	if wait := s.logins.blocked(s.now(), keys...); wait > 0 {
		s.log.Warn("sign-in refused: too many failures", "email", email, "remote", c.RealIP())
		return fail(http.StatusTooManyRequests, fmt.Sprintf(
			"Too many failed attempts. Try again in %s.", humanDuration(wait)))
	}
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, inbox.ErrNotFound) {
		return err
	}
	if !checkPassword(u.PasswordHash, password) {
		s.logins.fail(s.now(), keys...)
		s.log.Warn("sign-in failed", "email", email, "remote", c.RealIP())
		return fail(http.StatusUnauthorized, "That e-mail address and password do not match an active account.")
	}
	if !u.Active {
		// Only someone who knows the password learns that the account exists.
		s.log.Warn("sign-in refused: account deactivated", "user_id", u.ID, "remote", c.RealIP())
		return fail(http.StatusForbidden, "Your account has been deactivated. Ask an admin of your team to reactivate it.")
	}
	s.logins.reset(keys[1])
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
	s.sessions.Remove(ctx, sessCSRF)
	s.csrfToken(c)
	return nil
}

func (s *Server) handleLogout(c echo.Context) error {
	if err := s.sessions.Destroy(c.Request().Context()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

// handleSetupForm shows the first-run page while no user exists.
func (s *Server) handleSetupForm(c echo.Context) error {
	if n, err := s.store.CountUsers(c.Request().Context()); err != nil {
		return err
	} else if n > 0 {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return s.render(c, http.StatusOK, views.SetupPage(views.SetupView{Page: s.page(c, "Set up · Switchboard")}))
}

// handleSetup creates the first admin and signs them in. Once any user
// exists, it refuses.
func (s *Server) handleSetup(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	email := strings.TrimSpace(c.FormValue("email"))
	fail := func(msg string) error {
		return s.render(c, http.StatusBadRequest, views.SetupPage(views.SetupView{
			Page: s.page(c, "Set up · Switchboard"), Name: name, Email: email, Error: msg,
		}))
	}
	if name == "" {
		return fail("Please give your name.")
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return fail("That is not an e-mail address.")
	}
	hash, err := HashPassword(c.FormValue("password"))
	if err != nil {
		return fail(strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + ".")
	}
	u := inbox.User{Email: email, Name: name, Role: inbox.RoleAdmin, PasswordHash: hash, Active: true, CreatedAt: s.now().UTC()}
	err = s.store.CreateFirstAdmin(c.Request().Context(), &u)
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

// localPath returns p if it is a path on this site, else "": a sign-in
// link must not send the agent elsewhere.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return ""
	}
	return p
}

// loginLimiter counts failed sign-ins per key (a client address, an e-mail
// address) in a sliding window. It forgets keys whose window has passed, so
// it stays small.
type loginLimiter struct {
	max    int
	window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
}

func newLoginLimiter(max int, window time.Duration) *loginLimiter {
	return &loginLimiter{max: max, window: window, failures: map[string][]time.Time{}}
}

// blocked returns how long to wait before the next try, or 0.
func (l *loginLimiter) blocked(now time.Time, keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		ts := l.recent(k, now)
		if len(ts) >= l.max {
			if w := ts[len(ts)-l.max].Add(l.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait
}

func (l *loginLimiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) > 10000 {
		for k := range l.failures {
			l.recent(k, now)
		}
	}
	for _, k := range keys {
		l.failures[k] = append(l.recent(k, now), now)
	}
}

func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

// recent drops k's failures older than the window and returns the rest.
func (l *loginLimiter) recent(k string, now time.Time) []time.Time {
	ts := l.failures[k]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.failures, k)
		return nil
	}
	l.failures[k] = ts
	return ts
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
