package store

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// anotherProcess is a second handle on db's database, as another
// Switchboard process has: on PostgreSQL a connection pool of its own;
// on SQLite, where one process serves a database, db itself.
func anotherProcess(t *testing.T, db *DB) *DB {
	t.Helper()
	if !onPostgres(t) {
		return db
	}
	other, err := testOpen(t, db.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

// pausedOutbox is an outbox on db sending through fake, on the clock
// *now, waiting as the outbox's backoff says.
func pausedOutbox(db *DB, fake *zavu.Fake, now *time.Time) *inbox.Outbox {
	ob := zavuOutbox(db, fake, 0)
	ob.RetryDelay = inbox.Backoff
	ob.Now = func() time.Time { return *now }
	return ob
}

// drainOf runs one Drain of ob and returns how many sends it began.
func drainOf(t *testing.T, ob *inbox.Outbox) int {
	t.Helper()
	n, err := ob.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Zavu limits the account, not a process: a 429 one process meets pauses
// the sends of every process sending from the database until its
// Retry-After ends, replies already queued and coming due meanwhile
// included; each would be refused too, and charged an attempt.
func TestARateLimitPausesEveryProcessSendingFromTheDatabase(t *testing.T) {
	db := openTest(t)
	other := anotherProcess(t, db)
	fake := zavu.NewFake(zavu.FakeOptions{APIKey: "zv_test_outbox"})
	t.Cleanup(func() { fake.Close() })
	now := t0.Add(time.Minute)
	first, second := pausedOutbox(db, fake, &now), pausedOutbox(other, fake, &now)

	refused := mustQueue(t, db, reply(conversationWith(t, db, customerPhone, t0), "refused", "key refused", now))
	// Replies queued before the 429, due a little later.
	var keys []string
	for c := range 3 {
		conv := conversationWith(t, db, fmt.Sprintf("+1415558%04d", c), t0)
		key := fmt.Sprintf("key other %d", c)
		mustQueue(t, db, reply(conv, fmt.Sprintf("other %d", c), key, now.Add(5*time.Second)))
		keys = append(keys, key)
	}
	fake.FailNext(1, zavu.Failure{Status: http.StatusTooManyRequests, RetryAfter: time.Minute})
	if n := drainOf(t, first); n != 1 {
		t.Fatalf("the first process began %d sends, want the refused reply's", n)
	}
	pauseEnd := now.Add(time.Minute)

	now = now.Add(10 * time.Second)
	if n := drainOf(t, second); n != 0 {
		t.Errorf("the other process began %d sends within the pause", n)
	}
	now = pauseEnd.Add(-time.Second)
	if n := drainOf(t, second); n != 0 {
		t.Errorf("the other process began %d sends a second before the pause ends", n)
	}
	for _, k := range keys {
		if n := fake.RequestsFor(k); n != 0 {
			t.Errorf("%s was sent %d times within the pause", k, n)
		}
	}

	now = pauseEnd
	if n := drainOf(t, second); n != 4 {
		t.Errorf("at the pause's end the other process began %d sends, want 4", n)
	}
	for _, k := range keys {
		if n := fake.RequestsFor(k); n != 1 {
			t.Errorf("%s was sent %d times, want once", k, n)
		}
	}
	if n := fake.RequestsFor("key refused"); n != 2 {
		t.Errorf("the refused reply was sent %d times, want twice (the 429, then at the pause's end)", n)
	}
	if m, err := other.Message(context.Background(), refused.ID); err != nil || m.Status == inbox.StatusPending {
		t.Errorf("after the pause the refused reply is %s (%v)", m.Status, err)
	}
}

// A process started while a 429 pauses every send (the one that met it
// restarted) waits for the pause's end too: the database keeps it.
func TestAnOutboxStartedDuringARateLimitPauseWaitsForItsEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	fake := zavu.NewFake(zavu.FakeOptions{APIKey: "zv_test_outbox"})
	t.Cleanup(func() { fake.Close() })
	now := t0.Add(time.Minute)

	mustQueue(t, db, reply(conversationWith(t, db, customerPhone, t0), "refused", "key refused", now))
	conv := conversationWith(t, db, "+14155558000", t0)
	mustQueue(t, db, reply(conv, "later", "key later", now.Add(5*time.Second)))
	fake.FailNext(1, zavu.Failure{Status: http.StatusTooManyRequests, RetryAfter: time.Minute})
	if n := drainOf(t, pausedOutbox(db, fake, &now)); n != 1 {
		t.Fatalf("drain began %d sends, want the refused reply's", n)
	}
	pauseEnd := now.Add(time.Minute)
	db.Close()

	db, err = testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	restarted := pausedOutbox(db, fake, &now)
	now = now.Add(10 * time.Second)
	if n := drainOf(t, restarted); n != 0 {
		t.Errorf("the restarted outbox began %d sends within the pause", n)
	}
	if n := fake.RequestsFor("key later"); n != 0 {
		t.Errorf("the reply due within the pause was sent %d times", n)
	}
	now = pauseEnd
	if n := drainOf(t, restarted); n != 2 {
		t.Errorf("at the pause's end the restarted outbox began %d sends, want 2", n)
	}
}

// A pause the database keeps that ends far later than any Retry-After
// Switchboard honours (a clock ahead of this one wrote it) holds an
// outbox started meanwhile for MaxPause at most, as a Retry-After that
// long would, and once: it is not taken in again when that ends.
func TestAStoredPauseFarAheadHoldsAnOutboxForMaxPauseOnce(t *testing.T) {
	db := openTest(t)
	fake := zavu.NewFake(zavu.FakeOptions{APIKey: "zv_test_outbox"})
	t.Cleanup(func() { fake.Close() })
	now := t0.Add(time.Minute)
	conv := conversationWith(t, db, customerPhone, t0)
	mustQueue(t, db, reply(conv, "first", "key first", now))
	// The pause another process kept, whose clock is 30 days ahead.
	if err := db.write(context.Background(), func(ctx context.Context, w *writeTx) error {
		return w.setOutboxPause(ctx, outboxPause{Until: msOf(now.Add(30 * 24 * time.Hour)), Reason: "Zavu asked Switchboard to send more slowly (429)"})
	}); err != nil {
		t.Fatal(err)
	}

	ob := pausedOutbox(db, fake, &now)
	start := now
	if n := drainOf(t, ob); n != 0 {
		t.Errorf("%d sends began within the pause", n)
	}
	now = start.Add(inbox.MaxPause - time.Second)
	if n := drainOf(t, ob); n != 0 {
		t.Errorf("%d sends began within MaxPause of the pause being seen", n)
	}
	now = start.Add(inbox.MaxPause)
	if n := drainOf(t, ob); n != 1 {
		t.Errorf("MaxPause after the pause was seen a drain began %d sends, want 1", n)
	}
	mustQueue(t, db, reply(conv, "second", "key second", now))
	if n := drainOf(t, ob); n != 1 {
		t.Errorf("a reply queued after MaxPause: a drain began %d sends, want 1", n)
	}
}

// A reply queued while the database keeps a pause ending far later than
// any Retry-After Switchboard honours waits for MaxPause at most, and
// says so, as does one the hold found waiting; the pause is kept cut, so
// that the next reply waits no later.
func TestAReplyQueuedDuringAPauseFarAheadWaitsMaxPauseAtMost(t *testing.T) {
	now := t0.Add(time.Minute)
	db := openTest(t, WithClock(func() time.Time { return now }))
	const slowDown = "Zavu asked Switchboard to send more slowly (429)"
	before := mustQueue(t, db, reply(conversationWith(t, db, "+14155558001", t0), "before", "key before", now))
	if _, err := db.OutboxHold(context.Background(), now.Add(30*24*time.Hour), slowDown); err != nil {
		t.Fatal(err)
	}
	bound := now.Add(inbox.MaxPause)
	if w := waitingOf(t, db, before.ID); w.Reason != slowDown || !w.NextAttemptAt.Equal(bound) {
		t.Errorf("a reply the hold found waiting says %+v, want %q until %s", w, slowDown, bound)
	}
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
