package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openLeaseProcesses opens two handles on one PostgreSQL schema, as two
// Switchboard processes would, each running its scheduled jobs often and
// checking its leases often.
func openLeaseProcesses(t *testing.T) [2]*DB {
	t.Helper()
	pgTestURL(t)
	path := filepath.Join(t.TempDir(), "shared")
	var dbs [2]*DB
	for i := range dbs {
		u, ok := pgTestURLs.Load(path)
		if !ok {
			u = pgTestSchema(t)
			pgTestURLs.Store(path, u)
		}
		db, err := Open(u.(string), WithLeaseCheck(10*time.Millisecond),
			WithSessionCleanup(5*time.Millisecond), WithReportPacking(5*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs
}

// Two processes on one database: each scheduled job runs in one of them
// only, however often both tick; when that one stops, the other takes the
// job over.
func TestPostgresScheduledJobsRunInOneProcess(t *testing.T) {
	dbs := openLeaseProcesses(t)
	for _, job := range []string{JobSessionCleanup, JobReportPacking} {
		runs := func(i int) int64 { return dbs[i].Lease(job).runs.Load() }
		waitFor(t, job+" ran a few rounds", func() bool { return runs(0)+runs(1) >= 5 })
		leader := 0
		if runs(1) > 0 {
			leader = 1
		}
		if other := runs(1 - leader); other != 0 {
			t.Fatalf("%s ran in both processes: %d and %d rounds", job, runs(leader), other)
		}
		if !dbs[leader].Lease(job).Held() || dbs[1-leader].Lease(job).Held() {
			t.Fatalf("%s: process %d ran it, but the leases say otherwise", job, leader)
		}
	}
	// The leader of session cleanup stops: the other takes it over.
	leader := 0
	if dbs[1].Lease(JobSessionCleanup).Held() {
		leader = 1
	}
	follower := dbs[1-leader].Lease(JobSessionCleanup)
	before := follower.runs.Load()
	if err := dbs[leader].Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other process took session cleanup over", func() bool { return follower.runs.Load() > before+2 })
	for _, job := range []string{JobReportPacking, JobUpkeep} {
		waitFor(t, "the other process leads "+job, dbs[1-leader].Lease(job).Held)
	}
}

// A leader whose connection the database ends (a crashed host, a network
// cut, an admin's pg_terminate_backend) loses its jobs with it: the lock
// is free at once, and a process on a live connection takes it. (Until the
// old leader's next check, it may still believe it leads: its writes then
// wait behind the write lock and claim what is due as any other's do.)
func TestPostgresLeaseLostWithItsConnection(t *testing.T) {
	dbs := openLeaseProcesses(t)
	var l [2]*Lease
	for i := range dbs {
		l[i] = dbs[i].Lease(JobUpkeep)
	}
	waitFor(t, "a process leads upkeep", func() bool { return l[0].Held() || l[1].Held() })
	leader := 0
	if l[1].Held() {
		leader = 1
	}
	killed := dbs[leader].leases.pid.Load()
	admin := pgAdmin(t, pgTestURL(t))
	defer admin.Close()
	var ok bool
	if err := admin.QueryRowContext(context.Background(), `SELECT pg_terminate_backend($1)`, killed).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate the leader's connection: %v %v", ok, err)
	}
	waitFor(t, "a live connection leads upkeep", func() bool {
		for i := range dbs {
			if l[i].Held() && dbs[i].leases.pid.Load() != killed {
				return true
			}
		}
		return false
	})
}

// On SQLite the one server of its database leads every job.
func TestSQLiteHoldsEveryLease(t *testing.T) {
	db := openTest(t)
	for _, job := range leaseJobs {
		l := db.Lease(job)
		if !l.Held() {
			t.Errorf("%s is not held", job)
		}
		ran := false
		if !l.Run(func() { ran = true }) || !ran {
			t.Errorf("%s did not run", job)
		}
		select {
		case <-l.Gained():
		default:
			t.Errorf("%s: Gained never received", job)
		}
	}
}

// The snooze and survey timers run in every process, each woken by the
// changes made there: a snooze ends, and a survey goes, once whichever
// process's timer gets there first, as each pass claims what is due in a
// write transaction that holds the write lock. When one process stops,
// the other's timer goes on alone.
func TestPostgresTimersDoEachDueThingOnce(t *testing.T) {
	dbs := openLeaseProcesses(t)
	ctx := context.Background()
	if _, err := dbs[0].SaveCSATConfig(ctx, inbox.CSATConfig{Enabled: true}, inbox.AuditEntry{At: t0, Action: "csat.update"}, t0); err != nil {
		t.Fatal(err)
	}
	const n = 12
	var ids []int64
	for i := range n {
		id := receive(t, dbs[i%2], fmt.Sprintf("+1555010%02d", i), 1, t0.Add(time.Minute))
		ids = append(ids, id)
		if i%2 == 0 {
			update(t, dbs[i%2], []int64{id}, inbox.ConversationUpdate{Status: status(inbox.Snoozed), SnoozedUntil: t0.Add(time.Hour)}, t0.Add(2*time.Minute))
		} else if _, err := dbs[i%2].SetStatus(ctx, id, inbox.Resolved, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	due := t0.Add(2 * time.Hour)
	now := func() time.Time { return due }
	var mu sync.Mutex
	told := map[int64]int{}
	tell := func(ch inbox.Change) {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ch.ConversationIDs {
			told[id]++
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	var snoozers [2]*inbox.SnoozeTimer
	for i, db := range dbs {
		snoozers[i] = inbox.NewSnoozeTimer(db, tell, now, nil)
		surveys := inbox.NewCSATTimer(db, tell, now, nil)
		wg.Go(func() { snoozers[i].Run(runCtx) })
		wg.Go(func() { surveys.Run(runCtx) })
	}
	waitFor(t, "every snooze ended and every survey queued", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(told) == n
	})
	for i, id := range ids {
		if told[id] != 1 {
			t.Errorf("conversation %d was told of %d times", id, told[id])
		}
		lines := count(t, dbs[0], `SELECT count(*) FROM messages WHERE conversation_id = ? AND type = ? AND created_at = ?`,
			id, string(inbox.TypeActivity), msOf(due))
		surveys := count(t, dbs[0], `SELECT count(*) FROM csat_surveys WHERE conversation_id = ?`, id)
		if i%2 == 0 && (lines != 1 || surveys != 0) || i%2 == 1 && (lines != 0 || surveys != 1) {
			t.Errorf("conversation %d: %d snooze-ended lines and %d surveys", id, lines, surveys)
		}
	}
	// One process stops; a snooze set on the other still ends.
	if err := dbs[0].Close(); err != nil {
		t.Fatal(err)
	}
	update(t, dbs[1], []int64{ids[0]}, inbox.ConversationUpdate{Status: status(inbox.Snoozed), SnoozedUntil: t0.Add(90 * time.Minute)}, t0.Add(3*time.Minute))
	snoozers[1].Wake()
	waitFor(t, "the remaining process ended the new snooze", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return told[ids[0]] == 2
	})
}
