package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// sendingProcesses opens n handles on one PostgreSQL schema, as n
// Switchboard processes sending from one database would, each checking
// its leases (and its run) often, and returns them with a function that
// opens one more, a process starting later.
func sendingProcesses(t *testing.T, n int) ([]*DB, func() *DB) {
	t.Helper()
	pgTestURL(t)
	path := filepath.Join(t.TempDir(), "shared")
	start := func() *DB {
		u, ok := pgTestURLs.Load(path)
		if !ok {
			u = pgTestSchema(t)
			pgTestURLs.Store(path, u)
		}
		db, err := Open(u.(string), WithLeaseCheck(10*time.Millisecond), WithReportPacking(0))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	var dbs []*DB
	for range n {
		dbs = append(dbs, start())
	}
	return dbs, start
}

// claimedBy is the run outbox entry id records as its claimer's.
func claimedBy(t *testing.T, db *DB, id int64) int64 {
	t.Helper()
	return int64(count(t, db, `SELECT claimed_by FROM outbox WHERE id = ?`, id))
}

// Every process sends from a PostgreSQL database. One that starts (a
// rolling restart, a process added) leaves the sends another has under
// way to it: Zavu is not asked for the same reply by two processes at
// once. When that process crashes mid-send, the next process to start
// sends its reply again at once, and once.
func TestPostgresOutboxStartLeavesALiveProcessesSends(t *testing.T) {
	dbs, start := sendingProcesses(t, 2)
	a, b := dbs[0], dbs[1]
	fake := zavu.NewFake(zavu.FakeOptions{APIKey: "zv_test_outbox"})
	t.Cleanup(func() { fake.Close() })
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	fake.FailNext(1, zavu.Failure{Hold: hold}) // A's send hangs until the test ends

	now := time.Now()
	m := mustQueue(t, a, reply(conversationWith(t, a, customerPhone, now), "in flight", "key in flight", now))
	obA := zavuOutbox(a, fake, inbox.SendLease)
	obA.Timeout = inbox.SendLease
	ctxA, crashA := context.WithCancel(context.Background())
	doneA := make(chan struct{})
	go func() { defer close(doneA); obA.Run(ctxA) }()
	t.Cleanup(func() { crashA(); <-doneA })
	waitUntil(t, "A's send to reach Zavu", func() bool { return fake.RequestsFor("key in flight") == 1 })

	// B starts its outbox: what its Run does first, then a round of
	// sends.
	if n, err := b.ReleaseOutbox(context.Background(), time.Now()); err != nil || n != 0 {
		t.Errorf("B's start released %d entries (%v), want none: A is sending it", n, err)
	}
	if n := drainOf(t, zavuOutbox(b, fake, 0)); n != 0 {
		t.Errorf("B began %d sends while A's was under way", n)
	}
	if n := fake.RequestsFor("key in flight"); n != 1 {
		t.Errorf("Zavu was asked for the reply %d times while A sent it, want once", n)
	}

	// A crashes mid-send: its connections close, and nothing it does
	// afterwards reaches the database.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	crashA()
	<-doneA
	// A process starting now sends the reply at once (its lease has
	// almost two minutes to run), once.
	c := start()
	runOutbox(t, zavuOutbox(c, fake, 0))
	waitUntil(t, "the reply A left to be sent", func() bool {
		got, err := c.Message(context.Background(), m.ID)
		return err == nil && got.Status != inbox.StatusPending
	})
	if n := fake.RequestsFor("key in flight"); n != 2 {
		t.Errorf("Zavu was asked for the reply %d times, want twice: A's, cut short, then C's", n)
	}
	if n := fake.SendsFor("key in flight"); n != 1 {
		t.Errorf("Zavu sent the reply %d times", n)
	}
}

// A process whose connection holding its run is ended (a network cut, an
// admin's pg_terminate_backend) while it sends takes its run back at its
// next check: a process starting after that leaves its sends alone.
func TestPostgresOutboxRunIsTakenBackWithANewConnection(t *testing.T) {
	dbs, _ := sendingProcesses(t, 2)
	a, b := dbs[0], dbs[1]
	at := t0.Add(time.Minute)
	mustQueue(t, a, reply(conversationWith(t, a, customerPhone, t0), "in flight", "key in flight", at))
	got := mustClaim(t, a, at)
	if len(got) != 1 || claimedBy(t, a, got[0].ID) != a.leases.runID {
		t.Fatalf("A claimed %+v, recorded as run %d's", got, claimedBy(t, a, got[0].ID))
	}

	killed := a.leases.pid.Load()
	admin := pgAdmin(t, pgTestURL(t))
	defer admin.Close()
	var ok bool
	if err := admin.QueryRowContext(context.Background(), `SELECT pg_terminate_backend($1)`, killed).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate A's connection holding its run: %v %v", ok, err)
	}
	waitFor(t, "A holds its run on a new connection", func() bool {
		return a.leases.pid.Load() != killed && a.leases.runHeld.Load()
	})
	if n, err := b.ReleaseOutbox(context.Background(), at); err != nil || n != 0 {
		t.Errorf("B's start released %d entries (%v), want none: A is sending it", n, err)
	}
	if again := mustClaim(t, b, at.Add(time.Second)); len(again) != 0 {
		t.Errorf("B claimed %+v within A's lease", again)
	}
}

// An entry claimed by a version that kept no runs (claimed_by 0) may be
// being sent by a process of that version, still running during a
// rolling upgrade: a start leaves it, and it goes again when its lease
// ends.
func TestPostgresOutboxStartLeavesEntriesClaimedWithoutARun(t *testing.T) {
	dbs, start := sendingProcesses(t, 1)
	a := dbs[0]
	at := t0.Add(time.Minute)
	mustQueue(t, a, reply(conversationWith(t, a, customerPhone, t0), "in flight", "key in flight", at))
	got := mustClaim(t, a, at)
	if len(got) != 1 {
		t.Fatalf("claimed %+v", got)
	}
	err := a.write(context.Background(), func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `UPDATE outbox SET claimed_by = 0`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	b := start()
	if n, err := b.ReleaseOutbox(context.Background(), at); err != nil || n != 0 {
		t.Errorf("a start released %d entries claimed without a run (%v), want none", n, err)
	}
	if again := mustClaim(t, b, at.Add(59*time.Second)); len(again) != 0 {
		t.Errorf("claimed %+v within its lease", again)
	}
	if again := mustClaim(t, b, at.Add(61*time.Second)); len(again) != 1 || again[0].ID != got[0].ID ||
		claimedBy(t, b, got[0].ID) != b.leases.runID {
		t.Errorf("after its lease: %+v, want it claimed by the new process's run", again)
	}
}
