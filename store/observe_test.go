package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

// TestCommitObserverSeesEveryWriteTransaction: each committed write
// transaction is reported with its kind and size, and its COMMIT time is
// added to Stats.
func TestCommitObserverSeesEveryWriteTransaction(t *testing.T) {
	db := openTest(t, WithClock(func() time.Time { return t0 }))
	var mu sync.Mutex
	var seen []Commit
	db.ObserveCommits(func(c Commit) {
		mu.Lock()
		seen = append(seen, c)
		mu.Unlock()
	})
	before := db.Stats()
	conversationWith(t, db, customerPhone, t0)
	mu.Lock()
	got := append([]Commit(nil), seen...)
	mu.Unlock()
	writes := 0
	for _, c := range got {
		if c.Kind == CommitWrites {
			writes += c.Size
		}
		if c.Took <= 0 {
			t.Errorf("commit %+v has no duration", c)
		}
	}
	after := db.Stats()
	if uint64(writes) != after.Writes-before.Writes || writes == 0 {
		t.Errorf("observer saw %d writes, Stats counts %d", writes, after.Writes-before.Writes)
	}
	if after.CommitTime <= before.CommitTime {
		t.Errorf("Stats.CommitTime did not grow: %v -> %v", before.CommitTime, after.CommitTime)
	}
}

// TestOutboxBacklog counts what waits to be sent, and when the oldest
// was written and the earliest is due, until it is sent.
func TestOutboxBacklog(t *testing.T) {
	db := openTest(t, WithClock(func() time.Time { return t0 }))
	ctx := context.Background()
	if b, err := db.OutboxBacklog(ctx); err != nil || b.Depth != 0 || b.Overdue(t0) != 0 {
		t.Fatalf("empty outbox: %+v %v", b, err)
	}
	conv := conversationWith(t, db, customerPhone, t0)
	mustQueue(t, db, reply(conv, "One", "k1", t0.Add(time.Minute)))
	mustQueue(t, db, reply(conv, "Two", "k2", t0.Add(2*time.Minute)))
	b, err := db.OutboxBacklog(ctx)
	if err != nil || b.Depth != 2 || !b.OldestCreated.Equal(t0) {
		t.Fatalf("backlog %+v %v, want 2 entries written at %v", b, err, t0)
	}
	if got := b.Overdue(t0.Add(time.Hour)); got < 50*time.Minute {
		t.Errorf("an hour later the earliest is overdue by %v", got)
	}
	// One reply of a conversation goes at a time: claim and send until
	// nothing is left.
	for range 2 {
		for _, e := range mustClaim(t, db, t0.Add(time.Hour)) {
			if _, err := db.OutboxSent(ctx, e.ID, inbox.SendResult{ZavuID: "z" + e.Message.IdempotencyKey, Status: inbox.StatusSent}, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if b, err := db.OutboxBacklog(ctx); err != nil || b.Depth != 0 || b.OldestAge(t0.Add(time.Hour)) != 0 {
		t.Fatalf("after sending: %+v %v", b, err)
	}
}
