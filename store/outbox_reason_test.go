package store

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"switchboard/inbox"
)

// A reply that could not go after MaxSendAttempts temporary failures says
// why in an agent's words: no network error string (a Go error naming the
// request and the socket), and a rate limit is not "could not be reached".
func TestOutboxGivesUpInPlainWords(t *testing.T) {
	for _, c := range []struct {
		name      string
		answer    error
		want      string
		forbidden []string
	}{
		{"no network", &url.Error{Op: "Post", URL: "https://api.zavu.dev/v1/messages",
			Err: errors.New("dial tcp: lookup api.zavu.dev on 127.0.0.53:53: no such host")},
			"could not be reached", []string{"dial tcp", `Post "`, "api.zavu.dev", "127.0.0.53"}},
		{"rate limited", &inbox.SendError{Temporary: true, RateLimited: true, Code: "rate_limited", Message: "Rate limit exceeded"},
			"too many", []string{"could not be reached"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newOutboxRig(t)
			var answers []error
			for range inbox.MaxSendAttempts {
				answers = append(answers, c.answer)
			}
			m := r.queue("Hi", answers...)
			for i := range inbox.MaxSendAttempts {
				r.drain()
				if i < inbox.MaxSendAttempts-1 {
					r.now = r.nextAttempt()
				}
			}
			got := r.message(m.ID)
			if got.Status != inbox.StatusFailed {
				t.Fatalf("after %d attempts the reply is %s", inbox.MaxSendAttempts, got.Status)
			}
			shown := inbox.ExplainFailure(got.ErrorCode, got.ErrorMessage)
			if !strings.Contains(shown, c.want) {
				t.Errorf("the agent reads %q, want it to say %q", shown, c.want)
			}
			for _, f := range c.forbidden {
				if strings.Contains(shown, f) {
					t.Errorf("the agent reads %q, with %q in it", shown, f)
				}
			}
		})
	}
}
