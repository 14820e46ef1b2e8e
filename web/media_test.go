package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
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
	for i := range 2 {
		if i == 1 {
			// Zavu is down now: the second view comes from the cache.
			ts.zavu.FailNext(10, zavu.Failure{Status: http.StatusInternalServerError, AnyPath: true})
		}
		p := a.get(src)
		if p.status != http.StatusOK || p.header.Get("Content-Type") != "image/jpeg" || len(p.body) == 0 {
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
