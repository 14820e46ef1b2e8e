package store

import (
	"context"
	"testing"
	"time"

	"switchboard/inbox"
)

// A reply queued while the database keeps a pause ending far later than
// any Retry-After Switchboard honours waits for MaxPause at most, and
// says so; the pause is kept cut, so that the next reply waits no later.
func TestAReplyQueuedDuringAPauseFarAheadWaitsMaxPauseAtMost(t *testing.T) {
	now := t0.Add(time.Minute)
	db := openTest(t, WithClock(func() time.Time { return now }))
	const slowDown = "Zavu asked Switchboard to send more slowly (429)"
	if _, err := db.OutboxHold(context.Background(), now.Add(30*24*time.Hour), slowDown); err != nil {
		t.Fatal(err)
	}
	bound := now.Add(inbox.MaxPause)
	queued := mustQueue(t, db, reply(conversationWith(t, db, customerPhone, t0), "queued", "key queued", now))
	if w := queued.Waiting; w == nil || w.Reason != slowDown || !w.NextAttemptAt.Equal(bound) {
		t.Errorf("queued within a pause kept 30 days ahead, the reply says %+v, want %q until %s", w, slowDown, bound)
	}
	now = now.Add(time.Minute)
	next := mustQueue(t, db, reply(conversationWith(t, db, "+14155558000", t0), "next", "key next", now))
	if w := next.Waiting; w == nil || !w.NextAttemptAt.Equal(bound) {
		t.Errorf("a minute later, a reply says %+v, want it to wait until %s", w, bound)
	}
}

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
