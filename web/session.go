package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// Session keys.
const (
	sessUserID = "uid"
	sessCSRF   = "csrf"
	// sessPassword holds passwordStamp of the password the session was
	// signed in with: once the password changes, the session ends.
	sessPassword = "pw"
	// sessCookie holds the name of the cookie the session was issued
	// under (see takeOldSession).
	sessCookie = "cookie"
	// sessNotice holds what the next page shown says once: why the user
	// landed there (see selfNotice).
	sessNotice = "notice"
)

// sessionCookie is the session cookie's name on plain http, and its name
// everywhere before Switchboard used the __Host- prefix over https.
const sessionCookie = "switchboard_session"

// sessionCookieName is the session cookie's name: with the __Host- prefix
// over https, which browsers take only from this host, Secure, on path
// /, so that neither a neighbouring subdomain nor a plain-http page on
// the network path can plant or replace it.
func sessionCookieName(https bool) string {
	if https {
		return "__Host-" + sessionCookie
	}
	return sessionCookie
}

// Context keys for what the session middleware found.
const ctxUser = "user"

// newSessions configures the agents' browser sessions: kept in SQLite,
// a cookie that scripts cannot read, sent only to this site, and only over
// https when Switchboard is served over https.
func newSessions(st scs.Store, https bool) *scs.SessionManager {
	sm := scs.New() // keeps sessions in memory unless given a store
	if st != nil {
		sm.Store = st
	}
	sm.Lifetime = 30 * 24 * time.Hour
	sm.IdleTimeout = 7 * 24 * time.Hour
	sm.Cookie.Name = sessionCookieName(https)
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = https
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = true
	return sm
}

// withSession loads the session for the request and saves it with the
// response (scs.LoadAndSave, for echo).
func (s *Server) withSession(next echo.HandlerFunc) echo.HandlerFunc {
	loadAndSave := echo.WrapMiddleware(s.sessions.LoadAndSave)(next)
	return func(c echo.Context) error {
		if err := s.takeOldSession(c, true); err != nil {
			return err
		}
		return loadAndSave(c)
	}
}

// takeOldSession loads, over https, the session of a browser that holds
// none under the cookie's name but one under the plain name, which it was
// given before the cookie took the __Host- prefix: nobody is signed out by
// the change. With move, the session is issued again under the new name
// (the same token: what hangs on the session holds) and the old cookie is
// deleted. The plain name is taken once: a session issued or moved under
// the new name is not had through it, as a neighbouring subdomain could
// plant a copy.
func (s *Server) takeOldSession(c echo.Context, move bool) error {
	if !s.https() {
		return nil
	}
	r := c.Request()
	old, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	if move {
		c.SetCookie(&http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1,
			HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	}
	if _, err := r.Cookie(s.sessions.Cookie.Name); err == nil || old.Value == "" {
		return nil
	}
	ctx, err := s.sessions.Load(r.Context(), old.Value)
	if err != nil {
		return err
	}
	if s.sessions.GetInt64(ctx, sessUserID) == 0 || s.sessions.GetString(ctx, sessCookie) == s.sessions.Cookie.Name {
		return nil
	}
	if move {
		s.sessions.Put(ctx, sessCookie, s.sessions.Cookie.Name)
	}
	c.SetRequest(r.WithContext(ctx))
	return nil
}

// loadSession loads the session without ever saving it: for the
// websocket, whose connection is hijacked before a cookie could be written.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.takeOldSession(c, false); err != nil {
			return err
		}
		r := c.Request()
		token := ""
		if ck, err := r.Cookie(s.sessions.Cookie.Name); err == nil {
			token = ck.Value
		}
		ctx, err := s.sessions.Load(r.Context(), token)
		if err != nil {
			return err
		}
		c.SetRequest(r.WithContext(ctx))
		return next(c)
	}
}

// csrfToken returns the CSRF token for the page: the session's when
// someone is signed in (made if needed), else a form token that needs no
// stored session (formToken).
func (s *Server) csrfToken(c echo.Context) string {
	ctx := c.Request().Context()
	if t := s.sessions.GetString(ctx, sessCSRF); t != "" {
		return t
	}
	if s.sessions.GetInt64(ctx, sessUserID) == 0 {
		return s.formToken(c)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	t := base64.RawURLEncoding.EncodeToString(b)
	s.sessions.Put(ctx, sessCSRF, t)
	return t
}

// checkCSRF refuses a state-changing request unless it comes from one of
// Switchboard's own pages: the Origin, when the browser sends one, must be
// ours, and the request must carry the CSRF token (see wantCSRF) in the
// X-CSRF-Token header (htmx) or the csrf form field (plain forms). The
// form is parsed for it only when limitBody has capped the body: a large
// body (an attachment) must carry the header, and is not read here.
func (s *Server) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if origin := r.Header.Get("Origin"); origin != "" && !s.sameOrigin(r, origin) {
			return newError(http.StatusForbidden, "cross_origin", "Requests from other sites are refused.")
		}
		want := s.wantCSRF(c)
		got := r.Header.Get("X-CSRF-Token")
		if small, _ := c.Get(ctxSmallBody).(bool); got == "" && small {
			got = c.FormValue("csrf")
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			return newError(http.StatusForbidden, "csrf", "This form has expired. Reload the page and try again.")
		}
		return next(c)
	}
}

// wantCSRF is the CSRF token the request must carry: the session's once
// signed in, else the form token of the browser's form cookie; "" when
// there is none, and nothing is accepted.
func (s *Server) wantCSRF(c echo.Context) string {
	ctx := c.Request().Context()
	if t := s.sessions.GetString(ctx, sessCSRF); t != "" {
		return t
	}
	if s.sessions.GetInt64(ctx, sessUserID) == 0 {
		return s.wantFormToken(c)
	}
	return ""
}

// sameOrigin reports whether origin is Switchboard's own: the configured
// base URL, or the host the request was sent to. When Switchboard is
// served over https, a page of that host over plain http is not its own:
// anyone on the network path can write one.
func (s *Server) sameOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if s.cfg.BaseURL != nil && strings.EqualFold(u.Host, s.cfg.BaseURL.Host) && u.Scheme == s.cfg.BaseURL.Scheme {
		return true
	}
	if s.https() && u.Scheme != "https" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// requireUser admits signed-in, active users and puts the user in the
// context. Others go to the sign-in page (or the first-run setup while no
// user exists), a HEAD as its GET; htmx and websocket requests and changes
// get a 401 instead, and the page takes the agent there.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		u, ok, err := s.sessionUser(ctx)
		if err != nil {
			return err
		}
		if ok {
			c.Set(ctxUser, u)
			return next(c)
		}
		if s.sessions.GetInt64(ctx, sessUserID) != 0 {
			// Removed, deactivated or a changed password: the session ends here.
			_ = s.sessions.Destroy(ctx)
		}
		r := c.Request()
		page := r.Method == http.MethodGet || r.Method == http.MethodHead
		if r.Header.Get("HX-Request") != "" || !page || strings.HasPrefix(r.URL.Path, "/ws") {
			return newError(http.StatusUnauthorized, "signed_out", "Your session has ended. Sign in again.")
		}
		if n, err := s.store.CountUsers(ctx); err == nil && n == 0 {
			return c.Redirect(http.StatusSeeOther, "/setup")
		}
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(r.URL.RequestURI()))
	}
}

// sessionUser is the user the session in ctx signed in, with ok false when
// nobody is signed in or the session no longer counts: the user was
// removed or deactivated, or their password changed since.
func (s *Server) sessionUser(ctx context.Context) (u inbox.User, ok bool, err error) {
	id := s.sessions.GetInt64(ctx, sessUserID)
	if id == 0 {
		return inbox.User{}, false, nil
	}
	u, err = s.store.User(ctx, id)
	switch {
	case errors.Is(err, inbox.ErrNotFound):
		return inbox.User{}, false, nil
	case err != nil:
		return inbox.User{}, false, err
	}
	stamp := s.sessions.GetString(ctx, sessPassword)
	if !u.Active || subtle.ConstantTimeCompare([]byte(stamp), []byte(passwordStamp(u.PasswordHash))) != 1 {
		return inbox.User{}, false, nil
	}
	return u, true, nil
}

// passwordStamp stands for a password hash in a session: it changes
// whenever the password does, and tells nothing about the password.
func passwordStamp(hash string) string {
	sum := sha256.Sum256([]byte("switchboard session\x00" + hash))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// endSessions deletes every stored session of a user but the one with
// the token keep (when not empty), and closes their live pages with
// reason. Sessions are signed out on their next request anyway when the
// user is deactivated or the password changes; deleting them also keeps
// a deactivated user's forgotten session from working again after a
// reactivation.
func (s *Server) endSessions(ctx context.Context, userID int64, keep, reason string) error {
	s.hub.Disconnect(userID, keep, reason)
	s.relaySignedOut(userID, keep, reason)
	// The store lists sessions by the key it keeps them under, which for
	// store.Sessions is a hash of the token, and deletes by that key.
	keepKey := keep
	if k, ok := s.sessions.Store.(sessionKeyer); ok && keep != "" {
		keepKey = k.Key(keep)
	}
	var keys []string
	err := s.sessions.Iterate(ctx, func(sctx context.Context) error {
		if key := s.sessions.Token(sctx); s.sessions.GetInt64(sctx, sessUserID) == userID && key != keepKey {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, key := range keys {
		if err := s.sessions.Store.Delete(key); err != nil {
			return err
		}
	}
	return nil
}

// sessionKeyer is a session store that keeps, lists and deletes sessions
// under a key made from the token (a hash) rather than the token itself.
type sessionKeyer interface{ Key(token string) string }

// currentUser is the user requireUser admitted.
func currentUser(c echo.Context) inbox.User {
	u, _ := c.Get(ctxUser).(inbox.User)
	return u
}

// requireAdmin admits admins only; it runs after requireUser.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c).Role != inbox.RoleAdmin {
			return newError(http.StatusForbidden, "forbidden", "Only an admin can do that.")
		}
		return next(c)
	}
}
