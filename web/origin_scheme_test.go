package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/inbox"
	"switchboard/web"
)

// newHTTPSTestServer is Switchboard served over https, as behind a TLS
// proxy at its public address (https://inbox.example.com), and reached
// here at the test server's own https address.
func newHTTPSTestServer(t *testing.T) *testServer {
	t.Helper()
	db := openTestStore(t, testDSN(t))
	base, _ := url.Parse("https://inbox.example.com")
	w := web.New(web.Config{BaseURL: base}, web.Deps{Store: db, Sessions: db.Sessions()})
	srv := httptest.NewUnstartedServer(w)
	srv.StartTLS()
	t.Cleanup(func() {
		w.Close()
		srv.Close()
	})
	return &testServer{t: t, db: db, srv: srv, web: w}
}

// An https Switchboard takes a page of its own host served over plain
// http for another site's: anyone on the network path can write such a
// page, so it may neither open the live websocket (which carries every
// customer's messages) nor make a change.
func TestHTTPSSiteRefusesItsHostOverPlainHTTP(t *testing.T) {
	ts := newHTTPSTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	host := strings.TrimPrefix(ts.srv.URL, "https://")

	dial := func(origin string) (int, error) {
		d := websocket.Dialer{Jar: a.client.Jar, HandshakeTimeout: 5 * time.Second,
			TLSClientConfig: ts.srv.Client().Transport.(*http.Transport).TLSClientConfig}
		conn, resp, err := d.Dial("wss://"+host+"/ws", http.Header{"Origin": {origin}})
		if conn != nil {
			conn.Close()
		}
		if resp == nil {
			return 0, err
		}
		return resp.StatusCode, nil
	}
	if status, err := dial("https://" + host); status != http.StatusSwitchingProtocols {
		t.Fatalf("the site's own https page: %d %v, want 101", status, err)
	}
	if status, err := dial("http://" + host); status != http.StatusForbidden {
		t.Errorf("a plain http page of the same host: %d %v, want 403", status, err)
	}

	// A change from there is refused, the page's own token
	// notwithstanding, and saves nothing.
	p := a.do(http.MethodPost, "/views", url.Values{"name": {"Mine"}, "filter": {"view=mine"}}, func(r *http.Request) {
		r.Header.Set("X-CSRF-Token", a.csrf)
		r.Header.Set("Origin", "http://"+host)
	})
	if p.status != http.StatusForbidden {
		t.Errorf("a change from a plain http page of the same host: %d, want 403", p.status)
	}
	if vs, err := ts.db.SavedViews(context.Background(), ana.ID); err != nil || len(vs) != 0 {
		t.Errorf("saved views after the refused change: %v %v", vs, err)
	}
}
