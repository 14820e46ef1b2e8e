package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// TestMediaUnavailableSaysWhy: media Zavu cannot give is answered 502
// with the reason in plain words (what the card in the bubble shows), and
// the same link serves the file once Zavu does again.
func TestMediaUnavailableSaysWhy(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(fixture(t, "seed_message_inbound_image"))
	ts.zavu.AddInbound(zavu.Message{ID: "msg_img789", MessageType: "image", Content: &zavu.Content{MediaID: "media_img789", MimeType: "image/jpeg"}})
	src := fmt.Sprintf("/media/%d", ts.mustMessage("msg_img789").ID)
	a := ts.newAgent()
	a.login(ana.Email)

	fetch := func() page {
		t.Helper()
		return a.do(http.MethodGet, src, nil, func(r *http.Request) { r.Header.Set("Accept", "application/json") })
	}
	reason := func(p page) string {
		t.Helper()
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(p.body), &body); err != nil || body.Error.Code != "media_unavailable" {
			t.Fatalf("answer %d %q: want a media_unavailable error", p.status, p.body)
		}
		return body.Error.Message
	}
	for _, tc := range []struct {
		status int
		want   string
	}{
		{http.StatusGone, "The photo could not be loaded from Zavu: the link expired."},
		{http.StatusForbidden, "The photo could not be loaded from Zavu: the link expired."},
		{http.StatusServiceUnavailable, "The photo could not be loaded from Zavu: the file server had a problem."},
	} {
		ts.zavu.FailMedia("msg_img789", tc.status)
		p := fetch()
		if p.status != http.StatusBadGateway {
			t.Fatalf("file server answering %d: %d, want 502", tc.status, p.status)
		}
		if got := reason(p); got != tc.want {
			t.Errorf("file server answering %d: %q, want %q", tc.status, got, tc.want)
		}
	}
	ts.zavu.FailNext(1, zavu.Failure{Status: http.StatusNotFound, AnyPath: true})
	if got := reason(fetch()); got != "The photo could not be loaded from Zavu: Zavu no longer has this message." {
		t.Errorf("message gone at Zavu: %q", got)
	}
	ts.zavu.FailMedia("msg_img789", 0)
	if p := a.get(src); p.status != http.StatusOK || p.header.Get("Content-Type") != "image/png" {
		t.Errorf("once Zavu serves it: %d %q", p.status, p.header.Get("Content-Type"))
	}
}
