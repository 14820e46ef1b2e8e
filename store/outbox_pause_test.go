package store

import (
	"testing"
	"time"

	"switchboard/inbox"
)

// A 429 whose Retry-After is longer than MaxPause (a Messenger that lets
// a broken header through) pauses every send, and the refused reply's
// retry, for MaxPause only.
func TestAnOverlongRetryAfterPausesEverySendForMaxPause(t *testing.T) {
	r := newOutboxRig(t)
	refused := r.queue("refused", &inbox.SendError{Temporary: true, RateLimited: true, Code: "rate_limited",
		Message: "Slow down", RetryAfter: 48 * time.Hour})
	if n := r.drain(); n != 1 {
		t.Fatalf("drain began %d sends, want the refused reply's", n)
	}
	pauseEnd := r.now.Add(inbox.MaxPause)
	if w := waitingOf(t, r.db, refused.ID); !w.NextAttemptAt.Equal(pauseEnd) {
		t.Errorf("the refused reply is tried again at %s, want %s", w.NextAttemptAt, pauseEnd)
	}
	other := conversationWith(t, r.db, "+14155558000", t0)
	mustQueue(t, r.db, reply(other, "other", "key other", r.now))
	r.now = pauseEnd.Add(-time.Second)
	if n := r.drain(); n != 0 {
		t.Errorf("%d sends began within the pause", n)
	}
	r.now = pauseEnd
	if n := r.drain(); n != 2 {
		t.Errorf("MaxPause after the 429 a drain began %d sends, want 2", n)
	}
}
