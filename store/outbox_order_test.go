package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// zavuOutbox is an outbox on db sending through a fake Zavu (in memory),
// with a short retry delay so that failures are retried at once. The
// client gives up on a send after timeout (0: its default).
func zavuOutbox(db *DB, fake *zavu.Fake, timeout time.Duration) *inbox.Outbox {
	client := zavu.NewClient("http://zavu.test", "zv_test_outbox",
		zavu.WithHTTPClient(&http.Client{Transport: fake.Transport()}), zavu.WithTimeout(timeout))
	ob := inbox.NewOutbox(db, zavu.Messenger{Client: client}, nil, nil)
	ob.RetryDelay = func(int, time.Duration) time.Duration { return time.Millisecond }
	return ob
}

// newZavuRig is an outbox rig whose outbox sends through a fake Zavu,
// which it returns too, and waits as the outbox's backoff says, on the
// rig's clock; it tells no page until the test gives it a Publisher.
func newZavuRig(t *testing.T) (*outboxRig, *zavu.Fake) {
	r := newOutboxRig(t)
	fake := zavu.NewFake(zavu.FakeOptions{APIKey: "zv_test_outbox"})
	t.Cleanup(func() { fake.Close() })
	r.ob = zavuOutbox(r.db, fake, 0)
	r.ob.RetryDelay = inbox.Backoff
	r.ob.Now = func() time.Time { return r.now }
	return r, fake
}

// runOutbox runs ob until the test ends.
func runOutbox(t *testing.T, ob *inbox.Outbox) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ob.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done })
}

// waitUntil polls cond until it holds; the deadline only guards against a
// test that would never end.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sentTo lists the texts Zavu accepted, by recipient, in the order it
// accepted them.
func sentTo(fake *zavu.Fake) map[string][]string {
	out := map[string][]string{}
	for _, m := range fake.Sent() {
		out[m.To] = append(out[m.To], m.Text)
	}
	return out
}

// With Zavu answering 500 to about 30% of sends, each conversation's
// replies still reach it in the order they were written: a reply waiting
// for its retry holds the later ones of its conversation.
func TestOutboxKeepsEachConversationsOrderWhenSendsFail(t *testing.T) {
	db := openTest(t)
	now := time.Now()
	const convs, perConv = 20, 6
	ids, phones := make([]int64, convs), make([]string, convs)
	for c := range convs {
		phones[c] = fmt.Sprintf("+1415556%04d", c)
		ids[c] = conversationWith(t, db, phones[c], now)
	}
	fake := zavu.NewFake(zavu.FakeOptions{APIKey: "zv_test_outbox"})
	defer fake.Close()
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(18, 3))
	failed := map[string]int{} // 500s answered, by recipient
	fake.FailWhen(func(r zavu.SendRequest) (zavu.Failure, bool) {
		mu.Lock()
		defer mu.Unlock()
		if rng.Float64() < 0.3 {
			failed[r.To]++
			return zavu.Failure{Status: http.StatusInternalServerError}, true
		}
		return zavu.Failure{}, false
	})

	want := map[string][]string{}
	for k := range perConv {
		for c := range convs {
			text := fmt.Sprintf("conversation %d, reply %d", c, k)
			mustQueue(t, db, reply(ids[c], text, fmt.Sprintf("key %d %d", c, k), now))
			want[phones[c]] = append(want[phones[c]], text)
		}
	}
	runOutbox(t, zavuOutbox(db, fake, 0))
	waitUntil(t, "every reply to reach Zavu", func() bool { return len(fake.Sent()) == convs*perConv })

	got := sentTo(fake)
	for c, phone := range phones {
		if !slices.Equal(got[phone], want[phone]) {
			t.Errorf("conversation %d reached Zavu in the order %q, want %q", c, got[phone], want[phone])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(failed) < convs/2 {
		t.Fatalf("500s hit only %d conversations; the test proves too little", len(failed))
	}
}

// One conversation whose sends hang holds only itself: replies to ten
// other conversations, written while it hangs, all reach Zavu meanwhile,
// and its own later replies wait behind the hanging one.
func TestOutboxSendsOtherConversationsWhileOneHangs(t *testing.T) {
	db := openTest(t)
	now := time.Now()
	slow := conversationWith(t, db, "+14155550000", now)
	fake := zavu.NewFake(zavu.FakeOptions{APIKey: "zv_test_outbox"})
	defer fake.Close()
	release := make(chan struct{})
	released := sync.OnceFunc(func() { close(release) })
	defer released()
	fake.FailWhen(func(r zavu.SendRequest) (zavu.Failure, bool) {
		return zavu.Failure{Hold: release}, r.To == "+14155550000"
	})
	// The hang ends when the test says, not at a timeout.
	ob := zavuOutbox(db, fake, inbox.SendLease)
	ob.Timeout = inbox.SendLease
	runOutbox(t, ob)

	mustQueue(t, db, reply(slow, "slow 0", "key slow 0", now))
	ob.Wake()
	waitUntil(t, "the slow conversation's send to reach Zavu", func() bool { return fake.RequestsFor("key slow 0") == 1 })
	mustQueue(t, db, reply(slow, "slow 1", "key slow 1", now))
	var others []string
	for c := range 10 {
		phone := fmt.Sprintf("+1415557%04d", c)
		conv := conversationWith(t, db, phone, now)
		for k := range 2 {
			text := fmt.Sprintf("conversation %d, reply %d", c, k)
			mustQueue(t, db, reply(conv, text, "key "+text, now))
			others = append(others, text)
		}
	}
	ob.Wake()
	waitUntil(t, "the other conversations' replies to reach Zavu", func() bool {
		return len(fake.Sent()) == len(others)
	})
	if n := fake.RequestsFor("key slow 1"); n != 0 {
		t.Errorf("the slow conversation's second reply was sent %d times while its first hung", n)
	}
	var sent []string
	for _, m := range fake.Sent() {
		sent = append(sent, m.Text)
	}
	slices.Sort(sent)
	slices.Sort(others)
	if !slices.Equal(sent, others) {
		t.Errorf("reached Zavu while one conversation hung: %q, want %q", sent, others)
	}

	released()
	waitUntil(t, "the slow conversation's replies to reach Zavu", func() bool {
		return len(sentTo(fake)["+14155550000"]) == 2
	})
	if got := sentTo(fake)["+14155550000"]; !slices.Equal(got, []string{"slow 0", "slow 1"}) {
		t.Errorf("the slow conversation reached Zavu in the order %q", got)
	}
}

// A 429 pauses every send for its Retry-After, not only the refused
// reply's conversation: Zavu limits the account, and sends to others
// would be refused too and charged an attempt.
func TestOutboxPausesEverySendForARateLimit(t *testing.T) {
	r, fake := newZavuRig(t)
	fake.FailNext(1, zavu.Failure{Status: http.StatusTooManyRequests, RetryAfter: 30 * time.Second})
	first := r.queue("first")
	if n := r.drain(); n != 1 {
		t.Fatalf("drain began %d sends", n)
	}
	if got := r.message(first.ID); got.Status != inbox.StatusPending {
		t.Fatalf("after a 429 the reply is %s", got.Status)
	}

	var keys []string
	for c := range 3 {
		conv := conversationWith(t, r.db, fmt.Sprintf("+1415558%04d", c), t0)
		key := fmt.Sprintf("key other %d", c)
		mustQueue(t, r.db, reply(conv, fmt.Sprintf("other %d", c), key, r.now))
		keys = append(keys, key)
	}
	r.now = r.now.Add(29 * time.Second)
	if n := r.drain(); n != 0 {
		t.Errorf("%d sends began within the Retry-After", n)
	}
	for _, k := range keys {
		if n := fake.RequestsFor(k); n != 0 {
			t.Errorf("%s was sent %d times within the Retry-After", k, n)
		}
	}

	r.now = r.now.Add(time.Second)
	if n := r.drain(); n != 4 {
		t.Errorf("after the Retry-After a drain began %d sends, want 4", n)
	}
	if n := len(fake.Sent()); n != 4 {
		t.Errorf("%d replies reached Zavu, want 4", n)
	}
	for _, k := range keys {
		if n := fake.RequestsFor(k); n != 1 {
			t.Errorf("%s was sent %d times, want once", k, n)
		}
	}
}

// Replies queued by a version without the outbox's conversation column
// keep their order after the upgrade: the migration fills it in.
func TestOutboxOrderMigrationFillsQueuedEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	conv := conversationWith(t, db, customerPhone, t0)
	other := conversationWith(t, db, "+14155550199", t0)
	at := t0.Add(time.Minute)
	first := mustQueue(t, db, reply(conv, "first", "k1", at))
	mustQueue(t, db, reply(conv, "second", "k2", at))
	elsewhere := mustQueue(t, db, reply(other, "elsewhere", "k3", at))
	db.Close()

	// The file as the version before left it.
	raw, err := sql.Open("sqlite", DSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP INDEX outbox_pending`, `ALTER TABLE outbox DROP COLUMN conversation_id`,
		`DELETE FROM schema_migrations WHERE version = 12`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	db, err = testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := mustClaim(t, db, at)
	if len(got) != 2 || got[0].MessageID != first.ID || got[0].ConversationID != conv ||
		got[1].MessageID != elsewhere.ID || got[1].ConversationID != other {
		t.Fatalf("after the upgrade the outbox gives %+v, want the first reply of each conversation", got)
	}
}

// chanPublisher hands each published Change to the test.
type chanPublisher chan inbox.Change

func (p chanPublisher) Publish(c inbox.Change) { p <- c }

// waitingOf is why the reply waits and until when, as its bubble says;
// it fails the test when the reply says nothing.
func waitingOf(t *testing.T, db *DB, id int64) inbox.SendWait {
	t.Helper()
	m, err := db.Message(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Waiting == nil {
		t.Fatalf("reply %d (%s) says nothing of why it waits", id, m.Status)
	}
	return *m.Waiting
}

// A reply waiting for its retry when a 429 pauses every send says so,
// and says when it really goes: not at its own next attempt, which the
// pause holds back, but when the pause ends. Its page hears of it at
// once.
func TestARateLimitTellsWaitingRepliesWhenTheyGo(t *testing.T) {
	r, fake := newZavuRig(t)
	pub := make(chanPublisher, 16)
	r.ob.Publisher = pub

	fake.FailNext(1, zavu.Failure{Status: http.StatusServiceUnavailable})
	first := r.queue("first")
	r.drain()
	own := waitingOf(t, r.db, first.ID)
	if want := r.now.Add(inbox.Backoff(1, 0)); !own.NextAttemptAt.Equal(want) || own.Reason != "Zavu is unavailable (503)" {
		t.Fatalf("after a 503 the reply says %+v, want its next attempt at %s", own, want)
	}
	<-pub

	// Another conversation's reply meets a 429 before the first's next
	// attempt: every send waits a minute.
	other := conversationWith(t, r.db, "+14155558000", t0)
	r.now = r.now.Add(time.Second)
	fake.FailNext(1, zavu.Failure{Status: http.StatusTooManyRequests, RetryAfter: time.Minute})
	second := mustQueue(t, r.db, reply(other, "second", "key second", r.now))
	if n := r.drain(); n != 1 {
		t.Fatalf("drain began %d sends, want the second reply's", n)
	}
	pauseEnd := r.now.Add(time.Minute)
	const slowDown = "Zavu asked Switchboard to send more slowly (429)"
	for _, id := range []int64{first.ID, second.ID} {
		if w := waitingOf(t, r.db, id); w.NextAttemptAt.Before(pauseEnd) || w.Reason != slowDown {
			t.Errorf("reply %d says %q, trying again at %s, before the pause ends at %s", id, w.Reason, w.NextAttemptAt, pauseEnd)
		}
	}
	told := map[int64]bool{}
	for len(pub) > 0 {
		for _, id := range (<-pub).MessageIDs {
			told[id] = true
		}
	}
	if !told[first.ID] {
		t.Error("the first reply's page was not told that it waits for the pause")
	}

	// Within the pause nothing goes, and the replies still say when they go.
	r.now = pauseEnd.Add(-time.Second)
	if n := r.drain(); n != 0 {
		t.Errorf("%d sends began within the pause", n)
	}
	if w := waitingOf(t, r.db, first.ID); w.NextAttemptAt.Before(pauseEnd) {
		t.Errorf("within the pause the first reply says it is tried again at %s, before %s", w.NextAttemptAt, pauseEnd)
	}
	r.now = pauseEnd
	if n := r.drain(); n != 2 {
		t.Errorf("at the pause's end a drain began %d sends, want 2", n)
	}
	if n := len(fake.Sent()); n != 2 {
		t.Errorf("%d replies reached Zavu, want 2", n)
	}
}

// A 429 on a reply's last attempt fails that reply, and still holds the
// replies waiting for their retries until the pause ends, saying why: the
// pause holds every send, whichever attempt met it.
func TestARateLimitOnALastAttemptHoldsTheWaitingReplies(t *testing.T) {
	r, fake := newZavuRig(t)
	fake.FailNext(1, zavu.Failure{Status: http.StatusServiceUnavailable})
	first := r.queue("first")
	r.drain()

	other := conversationWith(t, r.db, "+14155558000", t0)
	r.now = r.now.Add(time.Second)
	last := mustQueue(t, r.db, reply(other, "last", "key last", r.now))
	inTx(t, r.db, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `UPDATE outbox SET attempts = ? WHERE message_id = ?`, inbox.MaxSendAttempts-1, last.ID)
		return err
	})
	fake.FailNext(1, zavu.Failure{Status: http.StatusTooManyRequests, RetryAfter: time.Minute})
	if n := r.drain(); n != 1 {
		t.Fatalf("drain began %d sends, want the last attempt's", n)
	}
	if m := r.message(last.ID); m.Status != inbox.StatusFailed {
		t.Fatalf("the reply at its last attempt is %s, want failed", m.Status)
	}
	pauseEnd := r.now.Add(time.Minute)
	if w := waitingOf(t, r.db, first.ID); w.NextAttemptAt.Before(pauseEnd) || w.Reason != "Zavu asked Switchboard to send more slowly (429)" {
		t.Errorf("the waiting reply says %q, trying again at %s, before the pause ends at %s", w.Reason, w.NextAttemptAt, pauseEnd)
	}
}

// A reply queued while a 429 pauses every send (never tried yet) says
// from the start why it waits and until when, the pause's end, in the
// message its queue returns and in the pages loaded meanwhile; one behind
// an earlier reply of its conversation waits for that one and says
// nothing of the pause. Once the pause ends they go, and a reply queued
// after it is not held.
func TestAReplyQueuedDuringARateLimitPauseSaysWhenItGoes(t *testing.T) {
	r, fake := newZavuRig(t)

	fake.FailNext(1, zavu.Failure{Status: http.StatusTooManyRequests, RetryAfter: time.Minute})
	refused := r.queue("refused")
	if n := r.drain(); n != 1 {
		t.Fatalf("drain began %d sends, want the refused reply's", n)
	}
	pauseEnd := r.now.Add(time.Minute)
	const slowDown = "Zavu asked Switchboard to send more slowly (429)"

	r.now = r.now.Add(10 * time.Second)
	other := conversationWith(t, r.db, "+14155558000", t0)
	queued := mustQueue(t, r.db, reply(other, "queued", "key queued", r.now))
	if w := queued.Waiting; w == nil || w.Reason != slowDown || !w.NextAttemptAt.Equal(pauseEnd) || w.Attempts != 0 {
		t.Errorf("queued within the pause, the reply says %+v, want %q until %s, no attempt made", w, slowDown, pauseEnd)
	}
	if w := waitingOf(t, r.db, queued.ID); w.Reason != slowDown || !w.NextAttemptAt.Equal(pauseEnd) || w.Attempts != 0 {
		t.Errorf("read back, the reply queued within the pause says %+v, want %q until %s, no attempt made", w, slowDown, pauseEnd)
	}
	behind := mustQueue(t, r.db, reply(r.conv, "behind", "key behind", r.now))
	if behind.Waiting != nil || r.message(behind.ID).Waiting != nil {
		t.Errorf("a reply behind the refused one says it waits for the pause: %+v", behind.Waiting)
	}

	r.now = pauseEnd.Add(-time.Second)
	if n := r.drain(); n != 0 {
		t.Errorf("%d sends began within the pause", n)
	}
	r.now = pauseEnd
	if n := r.drain(); n != 3 {
		t.Errorf("at the pause's end a drain began %d sends, want 3", n)
	}
	for _, id := range []int64{refused.ID, queued.ID, behind.ID} {
		if m := r.message(id); m.Status == inbox.StatusPending || m.Waiting != nil {
			t.Errorf("after the pause reply %d is %s, waiting %+v", id, m.Status, m.Waiting)
		}
	}
	after := mustQueue(t, r.db, reply(other, "after", "key after", r.now))
	if after.Waiting != nil || r.message(after.ID).Waiting != nil {
		t.Errorf("a reply queued once the pause ended says it waits: %+v", after.Waiting)
	}
	if at := r.nextAttempt(); !at.Equal(r.now) {
		t.Errorf("the reply queued after the pause is due at %s, want %s", at, r.now)
	}
}

// A reply not yet tried when a 429 pauses every send (written while the
// refused send was under way, before the hold kept the pause) waits for
// the pause as the replies waiting for a retry do, and says so: why, and
// when it goes, the pause's end; its page hears of it. One behind an
// earlier reply of its conversation waits for that one and says nothing
// of the pause. At the pause's end they all go.
func TestARateLimitTellsRepliesNotYetTriedWhenTheyGo(t *testing.T) {
	r, fake := newZavuRig(t)
	pub := make(chanPublisher, 16)
	r.ob.Publisher = pub

	other := conversationWith(t, r.db, "+14155558000", t0)
	var queued, behind inbox.Message
	var once sync.Once
	const slowDown = "Zavu asked Switchboard to send more slowly (429)"
	var during *inbox.SendWait // what the reply not yet tried says during its first attempt
	fake.FailWhen(func(req zavu.SendRequest) (zavu.Failure, bool) {
		if req.Text == "queued" {
			if m, err := r.db.Message(context.Background(), queued.ID); err == nil {
				during = m.Waiting
			}
		}
		refuse := false
		if req.Text == "refused" {
			once.Do(func() { refuse = true })
		}
		if !refuse {
			return zavu.Failure{}, false
		}
		// Written a second after the send began, while it is under way,
		// before Zavu answers 429 (not due yet: the outbox's clock stands
		// still, so that it does not claim the reply now).
		var err error
		at := r.now.Add(time.Second)
		if queued, _, err = r.db.QueueReply(context.Background(), reply(other, "queued", "key queued", at)); err != nil {
			t.Error(err)
		}
		if behind, _, err = r.db.QueueReply(context.Background(), reply(r.conv, "behind", "key behind", at)); err != nil {
			t.Error(err)
		}
		return zavu.Failure{Status: http.StatusTooManyRequests, RetryAfter: time.Minute}, true
	})
	refused := r.queue("refused")
	if n := r.drain(); n != 1 {
		t.Fatalf("drain began %d sends, want the refused reply's", n)
	}
	if queued.Waiting != nil || behind.Waiting != nil {
		t.Fatalf("queued before the 429, the replies said they waited: %+v, %+v", queued.Waiting, behind.Waiting)
	}
	pauseEnd := r.now.Add(time.Minute)
	if w := waitingOf(t, r.db, queued.ID); w.Reason != slowDown || !w.NextAttemptAt.Equal(pauseEnd) || w.Attempts != 0 {
		t.Errorf("the reply not yet tried says %+v, want %q until %s, no attempt made", w, slowDown, pauseEnd)
	}
	if w := waitingOf(t, r.db, refused.ID); w.Reason != slowDown || !w.NextAttemptAt.Equal(pauseEnd) || w.Attempts != 1 {
		t.Errorf("the refused reply says %+v, want %q until %s, after 1 attempt", w, slowDown, pauseEnd)
	}
	if m := r.message(behind.ID); m.Waiting != nil {
		t.Errorf("a reply behind the refused one says it waits for the pause: %+v", m.Waiting)
	}
	told := map[int64]bool{}
	for len(pub) > 0 {
		for _, id := range (<-pub).MessageIDs {
			told[id] = true
		}
	}
	if !told[queued.ID] {
		t.Error("the page of the reply not yet tried was not told that it waits for the pause")
	}

	r.now = pauseEnd.Add(-time.Second)
	if n := r.drain(); n != 0 {
		t.Errorf("%d sends began within the pause", n)
	}
	r.now = pauseEnd
	if n := r.drain(); n != 3 {
		t.Errorf("at the pause's end a drain began %d sends, want 3", n)
	}
	if w := during; w == nil || w.Reason != slowDown || !w.NextAttemptAt.Equal(pauseEnd) || w.Attempts != 0 {
		t.Errorf("during its first attempt the reply not yet tried said %+v, want what it said while it waited", w)
	}
	for _, id := range []int64{refused.ID, queued.ID, behind.ID} {
		if m := r.message(id); m.Status == inbox.StatusPending || m.Waiting != nil {
			t.Errorf("after the pause reply %d is %s, waiting %+v", id, m.Status, m.Waiting)
		}
	}
}

// A send under way when a 429 pauses every send, which then fails for a
// reason of its own (a 503), is tried again when the pause ends, not at
// its own backoff; its reply says so.
func TestAReplyFailingDuringARateLimitPauseWaitsForItsEnd(t *testing.T) {
	r, fake := newZavuRig(t)
	pub := make(chanPublisher, 16)
	r.ob.Publisher = pub

	other := conversationWith(t, r.db, "+14155558000", t0)
	first := r.queue("first")
	second := mustQueue(t, r.db, reply(other, "second", "key second", r.now))
	// The first send is answered 503 only once the 429 to the second has
	// been recorded and its page told.
	fake.FailWhen(func(req zavu.SendRequest) (zavu.Failure, bool) {
		switch req.Text {
		case "second":
			return zavu.Failure{Status: http.StatusTooManyRequests, RetryAfter: time.Minute}, true
		case "first":
			for c := range pub {
				if slices.Contains(c.MessageIDs, second.ID) {
					break
				}
			}
			return zavu.Failure{Status: http.StatusServiceUnavailable}, true
		}
		return zavu.Failure{}, false
	})
	if n := r.drain(); n != 2 {
		t.Fatalf("drain began %d sends, want 2", n)
	}
	pauseEnd := r.now.Add(time.Minute)
	if w := waitingOf(t, r.db, first.ID); w.NextAttemptAt.Before(pauseEnd) ||
		w.Reason != "Zavu asked Switchboard to send more slowly (429)" {
		t.Errorf("the first reply says %q, trying again at %s, before the pause ends at %s", w.Reason, w.NextAttemptAt, pauseEnd)
	}
	if at := r.nextAttempt(); at.Before(pauseEnd) {
		t.Errorf("the outbox's next attempt is at %s, within the pause (until %s)", at, pauseEnd)
	}
}

// A reply being tried again says what it said while it waited, with the
// time that attempt was due; one claimed by a version that did not keep
// that time (an upgrade during the attempt) says nothing rather than a
// time long past.
func TestAReplyBeingTriedAgainSaysWhenItsAttemptWasDue(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, customerPhone, t0)
	m := mustQueue(t, db, reply(conv, "Hi", "key hi", t0))
	es := mustClaim(t, db, t0)
	due := t0.Add(2 * time.Second)
	if _, err := db.OutboxRetry(ctx, es[0].ID, due, "Zavu is unavailable (503)"); err != nil {
		t.Fatal(err)
	}
	if es := mustClaim(t, db, due.Add(time.Second)); len(es) != 1 {
		t.Fatalf("claimed %d entries at the next attempt", len(es))
	}
	if w := waitingOf(t, db, m.ID); w.Reason != "Zavu is unavailable (503)" || !w.NextAttemptAt.Equal(due) || w.Attempts != 1 {
		t.Errorf("being tried again the reply says %+v, want why it waited, %s, and the 1 attempt before", w, due)
	}
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `UPDATE outbox SET attempt_due_at = 0 WHERE id = ?`, es[0].ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.Message(ctx, m.ID); err != nil || got.Waiting != nil {
		t.Errorf("claimed without the time it was due, the reply says %+v (%v), want the clock alone", got.Waiting, err)
	}
}
