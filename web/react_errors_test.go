package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// A reaction Zavu refuses for good says why in the same words a failed
// reply does, not "Try again in a moment", which would never help; one it
// could not take for now (a 5xx) still asks to try again.
func TestReactionRefusedSaysWhy(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Thanks, got it!", time.Now()))
	id := ts.mustMessage("msg_1").ID
	a := ts.newAgent()
	a.login(ana.Email)
	for _, c := range []struct {
		fail zavu.Failure
		says string
	}{
		{zavu.Failure{Status: http.StatusPaymentRequired, Code: "insufficient_balance", Message: "Insufficient balance", AnyPath: true}, "run out of credit"},
		{zavu.Failure{Status: http.StatusUnauthorized, Code: "invalid_api_key", Message: "Invalid API key", AnyPath: true}, "ZAVU_API_KEY"},
		{zavu.Failure{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "Service unavailable", AnyPath: true}, "Try again in a moment"},
	} {
		ts.zavu.FailNext(1, c.fail)
		p := a.post(fmt.Sprintf("/messages/%d/react", id), url.Values{"emoji": {"👍"}})
		if p.status < 400 || !strings.Contains(p.body, c.says) {
			t.Errorf("reaction refused with %d %s: %d %s, want it to say %q", c.fail.Status, c.fail.Code, p.status, p.body, c.says)
		}
	}
}

// Retry pressed on a reply that is no longer failed (a teammate pressed it
// first, or a second click) says so in words, not "That conflicts with
// what is already stored."
func TestRetryOfAReplyAlreadyRetriedSaysSo(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Hi!"}})
	ctx := context.Background()
	entry := claimOne(t, ts)
	if _, err := ts.db.OutboxFail(ctx, entry.ID, "30003", inbox.ExplainFailure("30003", ""), time.Now()); err != nil {
		t.Fatal(err)
	}
	retry := fmt.Sprintf("/messages/%d/retry", entry.MessageID)
	if p := a.post(retry, nil); p.status != http.StatusOK {
		t.Fatalf("retry: %d %s", p.status, p.body)
	}
	p := a.post(retry, nil)
	if p.status != http.StatusConflict || !strings.Contains(p.body, "already being sent again") {
		t.Errorf("a second retry: %d %s, want 409 saying it is already being sent again", p.status, p.body)
	}
}
