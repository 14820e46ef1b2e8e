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
	r := newOutboxRig(t)
	fake := zavu.NewFake(zavu.FakeOptions{APIKey: "zv_test_outbox"})
	defer fake.Close()
	r.ob = zavuOutbox(r.db, fake, 0)
	r.ob.RetryDelay = inbox.Backoff
	r.ob.Now = func() time.Time { return r.now }
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
