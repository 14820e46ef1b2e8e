package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// The forms shown before sign-in (sign-in, first-run setup) carry a CSRF
// token that needs no stored session, so that showing them writes
// nothing: a random nonce in a cookie the browser sends only to this site
// (SameSite=Strict, HttpOnly), and in the form the nonce's HMAC under the
// server's form key (a signed double submit). Another site can neither
// read the cookie nor compute the HMAC; over https the cookie's __Host-
// prefix also keeps a neighbouring subdomain from planting one. A session
// is stored only once someone signs in, and from then on its own token
// counts.

// formCookieAge is how long a form shown before sign-in stays valid.
const formCookieAge = 12 * time.Hour

// ctxFormNonce is the context key for a form nonce made in this request.
const ctxFormNonce = "form_nonce"

// formCookieName is the form cookie's name: with the __Host- prefix over
// https, which browsers accept only from this host, Secure, on path /.
func (s *Server) formCookieName() string {
	if s.https() {
		return "__Host-switchboard_form"
	}
	return "switchboard_form"
}

// formToken returns the token for a form shown before sign-in, giving the
// browser a form cookie when it has none. Every form of one browser
// shares the cookie, so several tabs can be open at once.
func (s *Server) formToken(c echo.Context) string {
	if nonce, ok := c.Get(ctxFormNonce).(string); ok {
		return s.signFormNonce(nonce)
	}
	if nonce := s.formNonce(c); nonce != "" {
		return s.signFormNonce(nonce)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b)
	c.Set(ctxFormNonce, nonce)
	c.SetCookie(&http.Cookie{
		Name:     s.formCookieName(),
		Value:    nonce,
		Path:     "/",
		MaxAge:   int(formCookieAge / time.Second),
		HttpOnly: true,
		Secure:   s.https(),
		SameSite: http.SameSiteStrictMode,
	})
	return s.signFormNonce(nonce)
}

// wantFormToken is the token a form sent before sign-in must carry: the
// signature of the nonce in its cookie, or "" when there is no valid
// cookie.
func (s *Server) wantFormToken(c echo.Context) string {
	if nonce := s.formNonce(c); nonce != "" {
		return s.signFormNonce(nonce)
	}
	return ""
}

// formNonce is the nonce of the request's form cookie, or "" when it has
// none that this server could have made.
func (s *Server) formNonce(c echo.Context) string {
	ck, err := c.Cookie(s.formCookieName())
	if err != nil {
		return ""
	}
	if b, err := base64.RawURLEncoding.DecodeString(ck.Value); err != nil || len(b) != 32 {
		return ""
	}
	return ck.Value
}

func (s *Server) signFormNonce(nonce string) string {
	mac := hmac.New(sha256.New, s.formKey)
	mac.Write([]byte("switchboard form\x00"))
	mac.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
