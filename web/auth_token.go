package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// tokenPrefix marks Switchboard API tokens, so a leaked one is recognisable.
const tokenPrefix = "sbt_"

// NewAPIToken returns a fresh secret token and the hash to store. The secret
// is shown once and never kept.
func NewAPIToken() (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = tokenPrefix + hex.EncodeToString(b)
	return secret, HashAPIToken(secret), nil
}

// HashAPIToken is how a token is stored and looked up. Tokens are 256
// random bits, so a plain SHA-256 is enough: there is nothing to guess.
func HashAPIToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

const ctxToken = "api_token"

// requireToken admits requests with a valid "Authorization: Bearer" token
// whose scope allows the request's method: a read token may only read.
// Every API route sits behind it, so a route added later is covered too.
// The token is looked up in the database on every request: a revoked token
// is refused from the next request on. A client address that sent too many
// tokens that are not valid waits, unheard (see tokenFailureLimit).
func (s *Server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get("Authorization")
		scheme, secret, ok := strings.Cut(h, " ")
		secret = strings.TrimSpace(secret)
		if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
			return newError(401, "unauthorized", "Send an API token as 'Authorization: Bearer <token>'. Create one with 'switchboard token create'.")
		}
		addr, err := s.tokenGuesses(c, s.badTokens, "API tokens refused: too many that were not valid", "an API token")
		if err != nil {
			return err
		}
		tok, err := s.store.APITokenByHash(c.Request().Context(), HashAPIToken(secret))
		switch {
		case errors.Is(err, inbox.ErrNotFound):
			s.badTokens.fail(addr)
			return newError(401, "unauthorized", "That API token is not valid or was revoked.")
		case err != nil:
			return err
		}
		if now := s.now(); s.tokens.due(tok.ID, now) {
			if err := s.store.TouchAPIToken(c.Request().Context(), tok.ID, now); err != nil {
				s.log.Warn("could not record API token use", "token_id", tok.ID, "err", err)
			}
		}
		if !tok.Scope.CanWrite() && !readOnlyMethod(c.Request().Method) {
			return newError(http.StatusForbidden, "forbidden", "This API token may only read. Create a token with the write scope to send messages or change conversations.")
		}
		c.Set(ctxToken, tok)
		return next(c)
	}
}

// tokenGuesses returns the key c's client address is counted under in f,
// or the 429 it is answered while it has sent too many tokens that were
// not valid (see tokenFailureLimit). refused is the line logged then, and
// token names the token in the answer ("an API token").
func (s *Server) tokenGuesses(c echo.Context, f *tokenFailures, refused, token string) (addr string, err error) {
	remote := c.RealIP()
	addr = limitKey(remote)
	wait, first := f.wait(addr)
	if wait == 0 {
		return addr, nil
	}
	if first {
		// Once per address and window: a client refused keeps trying,
		// and each of its requests has its own line in the request log
		// already.
		s.log.Warn(refused, "remote", remote,
			"failures", f.limit, "retry_after_s", retryAfterSeconds(wait))
	}
	c.Response().Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
	return addr, newError(http.StatusTooManyRequests, "rate_limited", fmt.Sprintf(
		"Too many requests from this address came with %s that is not valid. Try again in %s.", token, humanDuration(wait)))
}

// readOnlyMethod reports whether an HTTP method only reads. Every other
// method, known or not, counts as a change.
func readOnlyMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// tokenTouches throttles recording "last used" to once a minute per token,
// so that API reads do not each cost a write.
type tokenTouches struct {
	mu   sync.Mutex
	last map[int64]time.Time
}

func newTokenTouches() *tokenTouches { return &tokenTouches{last: map[int64]time.Time{}} }

// due reports whether token id's use at now should be recorded, and if so
// notes that it was.
func (t *tokenTouches) due(id int64, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.last[id]; ok && now.Sub(last) < time.Minute {
		return false
	}
	t.last[id] = now
	return true
}

// retryAfterSeconds is wait in whole seconds, rounded up, for Retry-After.
func retryAfterSeconds(wait time.Duration) int {
	return int((wait + time.Second - 1) / time.Second)
}
