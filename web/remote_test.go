package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"switchboard/web"
)

func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	// Each request carries a bad signature, so the server counts it under
	// the address it believes the request came from.
	send := func(ts *testServer, remote string, header ...string) {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/webhooks/zavu", strings.NewReader(`{}`))
		r.RemoteAddr = remote
		for i := 0; i < len(header); i += 2 {
			r.Header.Add(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		ts.web.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("unsigned webhook: %d", w.Code)
		}
	}
	check := func(ts *testServer, want ...string) {
		t.Helper()
		got := ts.web.SignatureFailures()
		if len(got) != len(want) {
			t.Errorf("counted under %v, want %v", got, want)
		}
		for _, w := range want {
			if got[w] != 1 {
				t.Errorf("counted under %v, want one under %s", got, w)
			}
		}
	}

	// By default only a proxy on this machine is believed: not a
	// container bridge, not a private network.
	ts := newTestServer(t)
	send(ts, "172.18.0.5:4000", "X-Forwarded-For", "203.0.113.9")
	send(ts, "10.1.2.3:4000", "X-Real-IP", "203.0.113.10")
	send(ts, "127.0.0.1:4000", "X-Forwarded-For", "203.0.113.11")
	send(ts, "[::1]:4000", "X-Real-IP", "2001:db8::12")
	check(ts, "172.18.0.5", "10.1.2.3", "203.0.113.11", "2001:db8::12")

	// Configured proxies are believed, and only they.
	proxies := []netip.Prefix{netip.MustParsePrefix("172.18.0.0/16")}
	ts = newTestServerWith(t, func(c *web.Config, _ *web.Deps) { c.TrustedProxies = proxies })
	send(ts, "172.18.0.5:4000", "X-Forwarded-For", "198.51.100.7, 172.18.0.9")
	send(ts, "172.18.0.6:4000", "X-Real-IP", "198.51.100.8")
	send(ts, "127.0.0.1:4000", "X-Forwarded-For", "203.0.113.12")
	send(ts, "192.168.1.4:4000", "X-Forwarded-For", "203.0.113.13")
	check(ts, "198.51.100.7", "198.51.100.8", "127.0.0.1", "192.168.1.4")
}
