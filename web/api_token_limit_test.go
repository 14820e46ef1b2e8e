package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"switchboard/web"
)

type apiAnswer struct {
	status     int
	retryAfter string
	body       apiErrorBody
}

// requestFrom sends method path with token as the bearer, from the
// client address addr as the reverse proxy on this machine reports it,
// and returns the answer and its body; an empty token or addr is left out.
func requestFrom(t *testing.T, ts *testServer, method, path, token, addr string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// callFrom calls GET /api/v1/conversations with token, from the client
// address addr.
func callFrom(t *testing.T, ts *testServer, addr, token string) apiAnswer {
	t.Helper()
	resp, b := requestFrom(t, ts, http.MethodGet, "/api/v1/conversations", token, addr)
	a := apiAnswer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(b, &a.body); err != nil {
			t.Fatalf("a %d that is not the API's JSON error: %q", resp.StatusCode, b)
		}
	}
	return a
}

// waitWithinWindow is a Retry-After's whole seconds; it fails the test,
// saying what was refused, unless they fall within TokenFailureWindow.
func waitWithinWindow(t *testing.T, what, retryAfter string) int {
	t.Helper()
	n, err := strconv.Atoi(retryAfter)
	if err != nil || n < 1 || n > int(web.TokenFailureWindow/time.Second) {
		t.Fatalf("%s: Retry-After %q, want whole seconds within the window", what, retryAfter)
	}
	return n
}

// A client that keeps sending API tokens that are not valid is refused
// with 429 once it has failed TokenFailureLimit times, before its tokens
// are even looked up, and told when to try again; the refusal is logged
// once, not per request. Other addresses, and valid tokens, are not held
// back.
func TestFailedAPITokensAreLimitedPerAddress(t *testing.T) {
	var logs syncBuffer
	clock := &testClock{t: time.Now()}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		d.Now = clock.now
	})
	const prober, office, other = "203.0.113.7", "198.51.100.20", "2001:db8:1:2::5"

	// A script with a valid token is never counted, however often it calls.
	for i := range 3 * web.TokenFailureLimit {
		if a := callFrom(t, ts, office, ts.token); a.status != http.StatusOK {
			t.Fatalf("call %d with a valid token: %d %+v", i+1, a.status, a.body)
		}
	}

	for i := range web.TokenFailureLimit {
		a := callFrom(t, ts, prober, "sbt_guess"+strconv.Itoa(i))
		if a.status != http.StatusUnauthorized || a.body.Error.Code != "unauthorized" {
			t.Fatalf("failed token %d: %d %+v, want 401", i+1, a.status, a.body)
		}
	}
	var waits []int
	for i := range 5 {
		// Past the limit, any token waits: a valid one too, or the limit
		// would tell which of a list of tokens is valid.
		token := "sbt_guess_more" + strconv.Itoa(i)
		if i == 4 {
			token = ts.token
		}
		a := callFrom(t, ts, prober, token)
		if a.status != http.StatusTooManyRequests || a.body.Error.Code != "rate_limited" || a.body.Error.Message == "" {
			t.Fatalf("token %d past the limit: %d %+v, want 429 rate_limited with a message", i+1, a.status, a.body)
		}
		waits = append(waits, waitWithinWindow(t, fmt.Sprintf("token %d past the limit", i+1), a.retryAfter))
		clock.set(clock.now().Add(time.Minute))
	}
	if waits[4] >= waits[0] {
		t.Errorf("Retry-After stayed %d s after 4 minutes (%v): it says when the window ends", waits[4], waits)
	}
	if n, _ := logs.lines("API tokens refused: too many that were not valid"); n != 1 {
		t.Errorf("5 refusals logged %d times, want once", n)
	}

	// Neither another address nor a valid token elsewhere is held back.
	if a := callFrom(t, ts, office, ts.token); a.status != http.StatusOK {
		t.Errorf("a valid token from another address while one is limited: %d %+v", a.status, a.body)
	}
	if a := callFrom(t, ts, other, "sbt_a_typo"); a.status != http.StatusUnauthorized {
		t.Errorf("a wrong token from another address: %d %+v, want 401", a.status, a.body)
	}

	// Once the window has passed, the address is heard again.
	clock.set(clock.now().Add(web.TokenFailureWindow))
	if a := callFrom(t, ts, prober, ts.token); a.status != http.StatusOK {
		t.Errorf("a valid token after the window: %d %+v, want 200", a.status, a.body)
	}
	if a := callFrom(t, ts, prober, "sbt_guess_again"); a.status != http.StatusUnauthorized {
		t.Errorf("a wrong token after the window: %d %+v, want 401", a.status, a.body)
	}
}
