package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/web"
)

func TestInboundMediaIsFetchedOnceAndOnlyForAgents(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(fixture(t, "seed_message_inbound_image"))
	ts.zavu.AddInbound(zavu.Message{ID: "msg_img789", MessageType: "image", Content: &zavu.Content{MediaID: "media_img789", MimeType: "image/jpeg"}})
	m := ts.mustMessage("msg_img789")

	anon := ts.newAgent()
	if p := anon.get(fmt.Sprintf("/media/%d", m.ID)); p.status != http.StatusSeeOther {
		t.Fatalf("signed out: %d, want a redirect to sign in", p.status)
	}
	a := ts.newAgent()
	a.login(ana.Email)
	thread := a.htmx(fmt.Sprintf("/conversations/%d", m.ConversationID))
	src := thread.doc.Find(fmt.Sprintf("#m-%d img", m.ID)).AttrOr("src", "")
	if src != fmt.Sprintf("/media/%d", m.ID) {
		t.Fatalf("image src %q", src)
	}
	// A document the sender calls a web page is served as what its bytes
	// are (here plain text), and as a download.
	doc := []byte(strings.NewReplacer(`"application/pdf"`, `"text/html"`, "invoice-4821.pdf", "invoice.html").Replace(string(fixture(t, "extra_message_inbound_document"))))
	ts.mustPost(doc)
	ts.zavu.AddInbound(zavu.Message{ID: "msg_x_doc", MessageType: "document", Content: &zavu.Content{MediaID: "112233", MimeType: "text/html", Filename: "invoice.html"}})
	p := a.get(fmt.Sprintf("/media/%d", ts.mustMessage("msg_x_doc").ID))
	if p.status != http.StatusOK || p.header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		!strings.HasPrefix(p.header.Get("Content-Disposition"), "attachment") || p.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("a document declared text/html: %d %q %q", p.status, p.header.Get("Content-Type"), p.header.Get("Content-Disposition"))
	}
	if fi, err := os.Stat(ts.mediaDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("media folder: %v %v, want 0700", fi.Mode().Perm(), err)
	}
	cached, _ := os.ReadDir(ts.mediaDir)
	for _, e := range cached {
		if fi, _ := e.Info(); fi.Mode().Perm() != 0o600 {
			t.Errorf("cached %s: mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}

	for i := range 2 {
		if i == 1 {
			// Zavu is down now: the second view comes from the cache.
			ts.zavu.FailNext(10, zavu.Failure{Status: http.StatusInternalServerError, AnyPath: true})
		}
		p := a.get(src)
		// The fake serves a PNG though Zavu said image/jpeg: the bytes decide.
		if p.status != http.StatusOK || p.header.Get("Content-Type") != "image/png" || len(p.body) == 0 {
			t.Fatalf("fetch %d: %d %q (%d bytes)", i, p.status, p.header.Get("Content-Type"), len(p.body))
		}
		if !strings.HasPrefix(p.header.Get("Content-Disposition"), "inline") || !strings.Contains(p.header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("headers %v", p.header)
		}
	}

	ts.mustPost(inboundText("evt_t", "msg_t", "just text", time.Now()))
	if p := a.get(fmt.Sprintf("/media/%d", ts.mustMessage("msg_t").ID)); p.status != http.StatusNotFound {
		t.Errorf("media of a text message: %d, want 404", p.status)
	}
}

func TestSafeMediaClientRefusesPrivateAddresses(t *testing.T) {
	private := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") }))
	defer private.Close()
	c := web.SafeMediaClient()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, private.URL, nil)
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("fetched from 127.0.0.1: a mediaUrl could reach into the server's own network")
	}
	if !strings.Contains(err.Error(), "not a public address") {
		t.Errorf("error %v does not say why", err)
	}
}

// The media dialer refuses every special-purpose address, checked on the
// address it is about to connect to, and lets public ones through.
func TestMediaDialerRefusesSpecialPurposeAddresses(t *testing.T) {
	refused := []string{
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254",
		"127.0.0.1", "127.8.8.8", "169.254.169.254", "172.16.0.1", "172.31.255.255",
		"192.0.0.8", "192.0.0.170", "192.0.2.10", "192.31.196.1", "192.52.193.1", "192.88.99.1",
		"192.168.1.1", "192.175.48.1", "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9",
		"224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::", "::1", "::127.0.0.1", "::ffff:127.0.0.1", "::ffff:8.8.8.8", "64:ff9b::808:808", "64:ff9b:1::1",
		"100::1", "100::1:2:3:4", "2001::1", "2001:1::1", "2001:10::1", "2001:1ff::1", "2001:db8::1",
		"2002:7f00:1::1", "2620:4f:8000::1", "3fff::1", "5f00::1", "fc00::1", "fd12:3456::1",
		"fe80::1", "fe80::1%eth0", "febf::1", "fec0::1", "feff::1", "ff02::1", "ff0e::1",
	}
	public := []string{
		"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.15.255.255", "172.32.0.1",
		"192.0.1.1", "192.169.0.1", "198.17.255.255", "198.20.0.1", "223.255.255.254",
		"2606:4700:4700::1111", "2a00:1450:4001::200e", "2001:200::1", "2003::1",
	}
	for _, ip := range refused {
		addr := net.JoinHostPort(ip, "443")
		if err := web.RefuseSpecial("tcp", addr, nil); err == nil {
			t.Errorf("%s: dialled, want refused", addr)
		}
	}
	for _, ip := range public {
		addr := net.JoinHostPort(ip, "443")
		if err := web.RefuseSpecial("tcp", addr, nil); err != nil {
			t.Errorf("%s: %v, want allowed", addr, err)
		}
	}
}

// The first URL must be https, like every redirect; a name that resolves
// to loopback is refused when it is dialled.
func TestSafeMediaClientFetchesOnlyHTTPSFromPublicAddresses(t *testing.T) {
	var hits atomic.Int64
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); fmt.Fprint(w, "secret") }))
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); fmt.Fprint(w, "secret") }))
	defer tlsSrv.Close()
	c := web.SafeMediaClient()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(tlsSrv.URL, "https://"))
	for _, c2 := range []struct{ url, why string }{
		{plain.URL + "/media", "https"},
		{"http://media.example.com/file.jpg", "https"},
		{"https://localhost:" + port + "/media", "not a public address"},
	} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c2.url, nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s fetched", c2.url)
			continue
		}
		if !strings.Contains(err.Error(), c2.why) {
			t.Errorf("%s: %v, want it refused for %q", c2.url, err, c2.why)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the servers were reached %d times", n)
	}
}

// TestSignedOutBrowserCannotReopenMediaFromItsCache: the pages are never
// kept by the browser (no-store), and neither may a customer's photo or
// document be kept so that the browser shows it again without asking:
// once the agent signs out (or is deactivated), whoever opens the link
// from the browser's history must be sent to sign in. Each view asks
// first; a file the browser holds already is answered 304, not sent again.
func TestSignedOutBrowserCannotReopenMediaFromItsCache(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(fixture(t, "seed_message_inbound_image"))
	ts.zavu.AddInbound(zavu.Message{ID: "msg_img789", MessageType: "image", Content: &zavu.Content{MediaID: "media_img789", MimeType: "image/jpeg"}})
	src := fmt.Sprintf("/media/%d", ts.mustMessage("msg_img789").ID)

	a := ts.newAgent()
	a.login(ana.Email)
	p := a.get(src)
	if p.status != http.StatusOK || len(p.body) == 0 {
		t.Fatalf("signed in: %d (%d bytes)", p.status, len(p.body))
	}
	cc := strings.ToLower(p.header.Get("Cache-Control"))
	if !strings.Contains(cc, "private") || !strings.Contains(cc, "no-cache") && !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q: the browser may show the file again without asking whether its agent is still signed in", cc)
	}
	etag := p.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag: every view would download the file again")
	}
	ifNoneMatch := func(r *http.Request) { r.Header.Set("If-None-Match", etag) }
	if p := a.do(http.MethodGet, src, nil, ifNoneMatch); p.status != http.StatusNotModified || p.body != "" {
		t.Errorf("signed in, the browser holding the file: %d (%d bytes), want 304 and nothing sent", p.status, len(p.body))
	}
	if p := a.post("/logout", nil); p.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", p.status)
	}
	if p := a.do(http.MethodGet, src, nil, ifNoneMatch); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Errorf("signed out, the browser holding the file: %d to %q, want sent to sign in", p.status, p.header.Get("Location"))
	}
}

// A photo or a voice note a teammate sent from the WhatsApp Business phone
// app comes as an echo with Zavu's media id, as a customer's does: the
// thread shows it, fetched from Zavu the first time it is opened.
func TestMediaSentFromThePhoneShowsInTheThread(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(fixture(t, "seed_message_inbound_text"))
	for _, echo := range []struct{ id, typ, mime, tag string }{
		{"msg_echo_photo", "image", "image/jpeg", "img"},
		{"msg_echo_voice", "audio", "audio/ogg; codecs=opus", "audio"},
	} {
		body := strings.NewReplacer(`"msg_echo789"`, `"`+echo.id+`"`, `"evt_1705312200000_echo456"`, `"evt_`+echo.id+`"`,
			`"messageType": "text"`, `"messageType": "`+echo.typ+`", "content": {"mediaId": "media_`+echo.id+`", "mimeType": "`+echo.mime+`"}`,
		).Replace(string(fixture(t, "seed_message_sent_echo")))
		ts.mustPost([]byte(body))
		ts.zavu.AddInbound(zavu.Message{ID: echo.id, Direction: "outbound", From: "+13125559876", To: "+14155551234",
			MessageType: echo.typ, Content: &zavu.Content{MediaID: "media_" + echo.id, MimeType: echo.mime}})
		m := ts.mustMessage(echo.id)
		a := ts.newAgent()
		a.login(ana.Email)
		thread := a.htmx(fmt.Sprintf("/conversations/%d", m.ConversationID))
		src := thread.doc.Find(fmt.Sprintf("#m-%d %s", m.ID, echo.tag)).AttrOr("src", "")
		if src != fmt.Sprintf("/media/%d", m.ID) {
			t.Fatalf("%s sent from the phone: %s src %q, want /media/%d", echo.typ, echo.tag, src, m.ID)
		}
		if p := a.get(src); p.status != http.StatusOK || len(p.body) == 0 {
			t.Errorf("%s sent from the phone: %d (%d bytes), want the file", echo.typ, p.status, len(p.body))
		}
	}
}
