package web_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/web"
)

// serveLimited serves ts's Switchboard on a loopback listener with
// limits, through the same http.Server settings as the real one, edited
// by edit. It returns the base URL and the listener.
func serveLimited(t *testing.T, ts *testServer, limits web.ConnLimits, edit func(*http.Server)) (string, *web.ConnListener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := web.LimitListener(ln, limits, nil)
	hs := ts.web.HTTPServer(nil)
	if edit != nil {
		edit(hs)
	}
	go hs.Serve(lim)
	t.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String(), lim
}

// dialerFrom connects from the loopback address ip (any of 127.0.0.0/8).
func dialerFrom(ip string) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
}

// clientFrom is an HTTP client whose connections come from ip.
func clientFrom(ip string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: dialerFrom(ip).DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// postWebhook delivers a signed inbound message from ip and returns the
// status.
func postWebhook(t *testing.T, base, ip, eventID string) int {
	t.Helper()
	body := inboundText(eventID, "msg_"+eventID, "Hello from "+ip, time.Now())
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/zavu", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Zavu-Signature", zavu.Sign(testSecret, time.Now(), body))
	resp, err := clientFrom(ip).Do(req)
	if err != nil {
		t.Fatalf("webhook from %s: %v", ip, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func getFrom(t *testing.T, base, ip, path string) (int, string) {
	t.Helper()
	resp, err := clientFrom(ip).Get(base + path)
	if err != nil {
		t.Fatalf("GET %s from %s: %v", path, ip, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls cond until it holds, failing the test after ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// hold opens n connections from ip that the test keeps: idle ones send
// nothing, slow ones send a webhook's headers and the start of a body
// they never finish. It counts the connections the server ended, and
// what it answered them.
type hold struct {
	conns   []net.Conn
	ended   atomic.Int64
	mu      sync.Mutex
	answers []string
}

func holdConns(t *testing.T, addr, ip string, n int, slow bool) *hold {
	t.Helper()
	h := &hold{}
	for range n {
		c, err := dialerFrom(ip).Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial from %s: %v", ip, err)
		}
		t.Cleanup(func() { c.Close() })
		h.conns = append(h.conns, c)
		if slow {
			fmt.Fprintf(c, "POST /webhooks/zavu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400000\r\n\r\n{\"id\":\"")
		}
		go func() {
			b, _ := io.ReadAll(bufio.NewReader(c)) // until the server closes it
			h.mu.Lock()
			h.answers = append(h.answers, string(b))
			h.mu.Unlock()
			h.ended.Add(1)
		}()
	}
	return h
}

func (h *hold) close() {
	for _, c := range h.conns {
		c.Close()
	}
}

func TestOneAddressCannotHoldEveryConnection(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	base, lim := serveLimited(t, ts, web.ConnLimits{Total: 64, PerAddr: 8, Reserve: 8}, func(hs *http.Server) {
		// Held connections stay held for as long as the test runs.
		hs.ReadHeaderTimeout, hs.ReadTimeout = time.Hour, time.Hour
	})
	addr := strings.TrimPrefix(base, "http://")

	// One client opens 60 connections: half idle, half slow uploads.
	idle := holdConns(t, addr, "127.0.0.2", 30, false)
	slow := holdConns(t, addr, "127.0.0.2", 30, true)
	waitFor(t, "the server to end all but 8 of 60 connections", func() bool {
		return idle.ended.Load()+slow.ended.Load() == 52
	})
	if total, from := lim.Open("127.0.0.2"); from != 8 || total != 8 {
		t.Fatalf("the server holds %d connections from the client (%d in all), want 8", from, total)
	}
	for _, h := range []*hold{idle, slow} {
		h.mu.Lock()
		for _, a := range h.answers {
			if !strings.HasPrefix(a, "HTTP/1.1 503 ") || !strings.Contains(a, "Retry-After: 5") {
				t.Errorf("a refused connection was answered %q, want 503 and when to retry", a)
			}
		}
		h.mu.Unlock()
	}

	// Zavu, from another address, is answered; so is an agent.
	if status := postWebhook(t, base, "127.0.0.3", "evt_conn_1"); status != http.StatusOK {
		t.Fatalf("webhook from another address during the flood: %d, want 200", status)
	}
	ts.settle()
	ts.mustMessage("msg_evt_conn_1")
	if status, _ := getFrom(t, base, "127.0.0.4", "/login"); status != http.StatusOK {
		t.Fatalf("sign-in page from another address during the flood: %d", status)
	}

	// The places come back when the client lets go.
	idle.close()
	slow.close()
	waitFor(t, "the held connections to be released", func() bool { total, _ := lim.Open("127.0.0.2"); return total == 0 })
	if status, _ := getFrom(t, base, "127.0.0.2", "/login"); status != http.StatusOK {
		t.Fatalf("the client after it let go: %d", status)
	}
}

func TestTheLastConnectionsAreKeptForWebhooks(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	base, lim := serveLimited(t, ts, web.ConnLimits{Total: 12, PerAddr: 4, Reserve: 4, ReserveWait: time.Second}, func(hs *http.Server) {
		hs.ReadHeaderTimeout, hs.ReadTimeout = time.Hour, time.Hour
	})
	addr := strings.TrimPrefix(base, "http://")

	// Two clients take all but the reserve; a connection on the reserve
	// has a second to bring its request.
	a := holdConns(t, addr, "127.0.0.2", 4, false)
	b := holdConns(t, addr, "127.0.0.5", 4, true)
	waitFor(t, "8 connections held", func() bool { total, _ := lim.Open("127.0.0.2"); return total == 8 })

	// A page is refused on the reserve, with the connection closed ...
	status, body := getFrom(t, base, "127.0.0.6", "/login")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "busy") {
		t.Fatalf("a page on the reserve: %d %q, want 503", status, body)
	}
	// ... while webhooks and the health check are served.
	if status := postWebhook(t, base, "127.0.0.3", "evt_reserve_1"); status != http.StatusOK {
		t.Fatalf("webhook on the reserve: %d, want 200", status)
	}
	ts.settle()
	ts.mustMessage("msg_evt_reserve_1")
	if status, _ := getFrom(t, base, "127.0.0.6", "/healthz"); status != http.StatusOK {
		t.Fatalf("health check on the reserve: %d, want 200", status)
	}
	if resp, err := clientFrom("127.0.0.6").Head(base + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("a monitor's HEAD of the health check on the reserve: %v %v, want 200", resp, err)
	} else {
		resp.Body.Close()
	}
	if a.ended.Load()+b.ended.Load() != 0 {
		t.Fatal("held connections were ended")
	}

	// Idle connections that take the reserve are let go when their
	// request does not come, and webhooks get it back.
	idle := holdConns(t, addr, "127.0.0.7", 4, false)
	waitFor(t, "the idle connections on the reserve to be ended", func() bool { return idle.ended.Load() == 4 })
	if status := postWebhook(t, base, "127.0.0.3", "evt_reserve_2"); status != http.StatusOK {
		t.Fatalf("webhook after idle connections took the reserve: %d, want 200", status)
	}
	if a.ended.Load()+b.ended.Load() != 0 {
		t.Fatal("held connections outside the reserve were ended")
	}

	// Once load falls, pages are served again.
	a.close()
	waitFor(t, "4 connections held", func() bool { total, _ := lim.Open("127.0.0.2"); return total == 4 })
	if status, _ := getFrom(t, base, "127.0.0.6", "/login"); status != http.StatusOK {
		t.Fatalf("a page after the load fell: %d, want 200", status)
	}
}

// fakeConn is an accepted connection from a given address, for limits
// that loopback cannot show (IPv6 networks).
type fakeConn struct {
	net.Conn
	remote net.Addr
	closed atomic.Bool
}

func (c *fakeConn) RemoteAddr() net.Addr             { return c.remote }
func (c *fakeConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }
func (c *fakeConn) Close() error                     { c.closed.Store(true); return nil }
func (c *fakeConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return c.remote }

type fakeListener struct{ conns chan net.Conn }

func (l *fakeListener) Accept() (net.Conn, error) {
	c, ok := <-l.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}
func (l *fakeListener) Close() error   { return nil }
func (l *fakeListener) Addr() net.Addr { return &net.TCPAddr{} }

func TestConnectionsCountByIPv4AddressAndIPv6Network(t *testing.T) {
	fl := &fakeListener{conns: make(chan net.Conn, 64)}
	proxy, marker := netip.MustParseAddr("10.0.0.9"), netip.MustParseAddr("192.0.2.250")
	lim := web.LimitListener(fl, web.ConnLimits{Total: 100, PerAddr: 2,
		Exempt: func(a netip.Addr) bool { return a == proxy || a == marker }}, nil)
	accept := func(addr string) (held bool) {
		t.Helper()
		c := &fakeConn{remote: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(addr))}
		fl.conns <- c
		fl.conns <- &fakeConn{remote: &net.TCPAddr{IP: net.ParseIP("192.0.2.250"), Port: 1}} // exempt, held: ends the Accept
		got, err := lim.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if got.RemoteAddr().String() == "192.0.2.250:1" {
			return false // c was refused on the way
		}
		if c.closed.Load() {
			t.Fatalf("%s: held and closed", addr)
		}
		if next, _ := lim.Accept(); next == nil || next.RemoteAddr().String() != "192.0.2.250:1" {
			t.Fatalf("after %s: %v", addr, next)
		}
		return true
	}
	steps := []struct {
		addr string
		held bool
	}{
		{"[2001:db8:1:2::a]:1000", true},
		{"[2001:db8:1:2:ffff::b]:1000", true},
		{"[2001:db8:1:2::c]:1000", false}, // a third from the same /64
		{"[2001:db8:1:3::a]:1000", true},  // another /64
		{"198.51.100.7:1000", true},
		{"[::ffff:198.51.100.7]:1001", true},
		{"198.51.100.7:1002", false}, // a third, counted with its IPv4-mapped form
		{"198.51.100.8:1000", true},
		{"10.0.0.9:1", true}, {"10.0.0.9:2", true}, {"10.0.0.9:3", true}, // a proxy, not capped
	}
	for _, s := range steps {
		if held := accept(s.addr); held != s.held {
			t.Errorf("connection from %s held = %v, want %v", s.addr, held, s.held)
		}
	}
	if lim.Refused() != 2 {
		t.Errorf("refused %d, want 2", lim.Refused())
	}
	if _, n := lim.Open("2001:db8:1:2::ffff"); n != 2 {
		t.Errorf("open from 2001:db8:1:2::/64: %d, want 2", n)
	}
}

func TestWriteTimeoutSparesDownloadsUploadsAndLivePages(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	hs := ts.web.HTTPServer(nil)
	if hs.WriteTimeout <= 0 || hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.IdleTimeout <= 0 {
		t.Fatalf("server timeouts: write %v, read header %v, read %v, idle %v: want all set",
			hs.WriteTimeout, hs.ReadHeaderTimeout, hs.ReadTimeout, hs.IdleTimeout)
	}
	// A write timeout that has always passed by the time a handler writes:
	// only what sets its own deadline can answer.
	base, _ := serveLimited(t, ts, web.ConnLimits{}, func(hs *http.Server) { hs.WriteTimeout = time.Nanosecond })
	ts.mustPost(inboundText("evt_1", "msg_1", "Can you send a photo?", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email) // cookies for 127.0.0.1, whichever port

	if resp, err := a.client.Get(base + "/inbox"); err == nil {
		resp.Body.Close()
		t.Fatalf("a page past the write timeout was answered %d; want the connection dropped", resp.StatusCode)
	}

	// An upload answers ...
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "shelf.png")
	fw.Write(pngBytes(t))
	mw.WriteField("text", "Here it is")
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/conversations/%d/messages", base, conv), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", a.csrf)
	p := a.send(req)
	if p.status != http.StatusOK {
		t.Fatalf("upload past the server's write timeout: %d %s", p.status, p.body)
	}
	src := p.find("message").Find("img").AttrOr("src", "")
	if !strings.HasPrefix(src, "/media/") {
		t.Fatalf("uploaded image at %q", src)
	}
	// ... a download is sent ...
	resp, err := a.client.Get(base + src)
	if err != nil {
		t.Fatalf("download past the server's write timeout: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, pngBytes(t)) {
		t.Fatalf("download: %d, %d bytes", resp.StatusCode, len(got))
	}
	// ... so are the reports' CSV, from the page and to a script (a year
	// of conversations takes a while) ...
	to := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	for _, path := range []string{"/reports/export.csv", "/api/v1/reports/export.csv?to=" + to} {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+ts.token)
		}
		resp, err := a.client.Do(req)
		if err != nil {
			t.Fatalf("%s past the server's write timeout: %v", path, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		// An agent's CSV holds the conversations they answered: none yet.
		want := "conversation_id,"
		if strings.HasPrefix(path, "/api/") {
			want = fmt.Sprintf("\n%d,+14155551234,", conv)
		}
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(got), want) {
			t.Fatalf("%s: %d %q %v, want %q", path, resp.StatusCode, got, err, want)
		}
	}
	// ... and a live page gets its updates.
	u, _ := url.Parse(base)
	dialer := websocket.Dialer{Jar: a.client.Jar, HandshakeTimeout: 5 * time.Second}
	conn, _, err := dialer.Dial("ws://"+u.Host+"/ws", http.Header{"Origin": {base}})
	if err != nil {
		t.Fatalf("live page past the server's write timeout: %v", err)
	}
	defer conn.Close()
	waitClients(t, ts, 1)
	subscribe(t, ts, conn, "open", 0)
	ts.mustPost(inboundText("evt_2", "msg_2", "Still there?", time.Now()))
	nextContaining(t, conn, "Still there?")
}
