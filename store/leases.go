package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Several Switchboard processes may share one PostgreSQL database. Work
// that runs on a schedule (deleting expired sessions, packing report
// hours, retention and scheduled backups) must then run in one of them,
// not once per process: each such job has a lease, a session-level
// advisory lock that one process holds on a connection of its own. The
// process holding it is the job's leader and runs it; the others skip it.
// A leader that stops, crashes or loses its connection loses its locks
// with the connection, and another process takes the job over at its next
// look (every leaseEvery).
//
// The rest of the background work runs in every process, each for its
// own reasons, and does each thing once all the same:
//   - the snooze and survey timers, woken by the changes made in their
//     process so that each is on time: a pass claims what is due in a
//     write transaction, under the write lock, so a snooze ends and a
//     survey goes once whichever process's timer gets there first;
//   - the outbox workers: claims skip locked rows, sends carry their
//     idempotency key, and each entry claimed records the run of the
//     process that claimed it (see below), so that a process starting
//     takes back only the sends of processes that are gone;
//   - the writer's own upkeep (applying what waits for the search
//     indexes), which takes what waits in its transaction;
//   - template and sender syncs from Zavu, once per process start and per
//     template webhook the process received;
//   - what an admin asks for (a backup now, retention after saving its
//     settings), in the process asked;
//   - each process's media cache trimming and its live pages' sweeps.
// WAL checkpoints are SQLite's only. On SQLite one server opens a database
// (LockServing), and it holds every lease.
//
// A process also holds its run on the leases' connection: a random number
// drawn as it opens the database, with a session-level advisory lock that
// it takes before Open returns and holds until it closes the database.
// The run's lock is free once the process is gone (it stopped, crashed,
// or its connection was ended): another process may then take it, and so
// knows that what the run claimed (outbox entries) is no longer under way.
// A process whose leases' connection is lost takes its run's lock again
// on a new one at its next check; until then a process starting may take
// its sends in flight back (ReleaseOutbox), as every start did before runs
// were kept.

// Jobs that run in one process at a time.
const (
	JobSessionCleanup = "session cleanup"
	JobReportPacking  = "report packing"
	JobUpkeep         = "upkeep" // retention and scheduled backups
)

// leaseJobs are the jobs there are leases for.
var leaseJobs = []string{JobSessionCleanup, JobReportPacking, JobUpkeep}

// leaseLockSQL takes a job's lock if it is free. Its number is a hash of
// the job's name and of the schema, so that Switchboards in two schemas
// of one database each have their own leaders.
const leaseLockSQL = `SELECT pg_try_advisory_lock(hashtextextended('switchboard job ' || current_schema() || ' ' || $1, 0))`

// runLockSQL takes a run's lock if it is free, as leaseLockSQL a job's.
const runLockSQL = `SELECT pg_try_advisory_lock(` + runLockKey + `)`

// runLockKey is the number of the lock of the run $1, in the schema.
const runLockKey = `hashtextextended('switchboard run ' || current_schema() || ' ' || $1::bigint, 0)`

// defaultLeaseEvery is how often a process checks its leases' connection
// and tries to take the jobs nobody leads.
const defaultLeaseEvery = 5 * time.Second

// WithLeaseCheck sets how often a process sharing a PostgreSQL database
// checks that it still leads its jobs, and tries to take over those whose
// leader is gone (default 5 s).
func WithLeaseCheck(every time.Duration) Option {
	return func(o *options) { o.leaseEvery = every }
}

// Lease is this process's hold on one job that runs in one process at a
// time.
type Lease struct {
	job    string
	held   atomic.Bool
	gained chan struct{}
	runs   atomic.Int64 // how often Run ran the job here
}

// Held reports whether this process leads the job now.
func (l *Lease) Held() bool { return l.held.Load() }

// Gained receives when this process becomes the job's leader.
func (l *Lease) Gained() <-chan struct{} { return l.gained }

// Run runs fn if this process leads the job, and reports whether it did.
func (l *Lease) Run(fn func()) bool {
	if !l.Held() {
		return false
	}
	l.runs.Add(1)
	fn()
	return true
}

func (l *Lease) gain() {
	l.held.Store(true)
	select {
	case l.gained <- struct{}{}:
	default:
	}
}

// Lease is this process's lease on job (one of the Job constants).
func (db *DB) Lease(job string) *Lease {
	if !slices.Contains(leaseJobs, job) {
		panic("store: unknown job " + job)
	}
	if db.leases == nil { // SQLite: the only server of its database
		db.leaseMu.Lock()
		defer db.leaseMu.Unlock()
		if db.soleLeases == nil {
			db.soleLeases = map[string]*Lease{}
		}
		l := db.soleLeases[job]
		if l == nil {
			l = &Lease{job: job, gained: make(chan struct{}, 1)}
			l.gain()
			db.soleLeases[job] = l
		}
		return l
	}
	return db.leases.lease(job)
}

// leaseKeeper holds a PostgreSQL process's leases on one connection.
type leaseKeeper struct {
	pool  *sql.DB
	every time.Duration
	log   *slog.Logger
	poke  chan struct{}
	done  chan struct{}

	mu     sync.Mutex
	leases map[string]*Lease
	conn   *sql.Conn    // the keeper goroutine's
	pid    atomic.Int64 // its server process, for tests

	runID   int64       // this process's run: never 0
	runHeld atomic.Bool // conn holds the run's lock
}

func newLeaseKeeper(pool *sql.DB, every time.Duration, log *slog.Logger) *leaseKeeper {
	if every <= 0 {
		every = defaultLeaseEvery
	}
	return &leaseKeeper{pool: pool, every: every, log: log, poke: make(chan struct{}, 1),
		done: make(chan struct{}), leases: map[string]*Lease{}, runID: 1 + rand.Int64N(math.MaxInt64)}
}

func (k *leaseKeeper) lease(job string) *Lease {
	k.mu.Lock()
	l := k.leases[job]
	if l == nil {
		l = &Lease{job: job, gained: make(chan struct{}, 1)}
		k.leases[job] = l
	}
	k.mu.Unlock()
	select {
	case k.poke <- struct{}{}:
	default:
	}
	return l
}

// start takes the run's lock, before the process claims anything in its
// name, and keeps the leases and the run from then on, until stop closes.
func (k *leaseKeeper) start(stop <-chan struct{}) error {
	k.check(nil)
	if !k.runHeld.Load() {
		k.drop()
		k.pool.Close()
		close(k.done)
		return errors.New("cannot take the advisory lock that tells other processes this one is running")
	}
	go k.run(stop)
	return nil
}

// run keeps the leases until stop closes, then lets them go.
func (k *leaseKeeper) run(stop <-chan struct{}) {
	defer close(k.done)
	t := time.NewTicker(k.every)
	defer t.Stop()
	for {
		k.check(stop)
		select {
		case <-stop:
			k.drop()
			k.pool.Close()
			return
		case <-t.C:
		case <-k.poke:
		}
	}
}

// check makes sure the leases held, and the run, are still held (their
// connection is alive), takes the run's lock again when it was lost, and
// tries to take the jobs not held.
func (k *leaseKeeper) check(stop <-chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), max(k.every, 5*time.Second))
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if k.conn != nil {
		if _, err := k.conn.ExecContext(ctx, `SELECT 1`); err != nil {
			k.log.Warn("the connection holding the leases was lost: other processes may take their jobs, "+
				"and a process starting before it is back may send again the replies this one is sending", "err", err)
			k.drop()
		}
	}
	if k.conn == nil {
		c, err := k.pool.Conn(ctx)
		if err != nil {
			return
		}
		k.conn = c
		var pid int64
		if err := c.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err == nil {
			k.pid.Store(pid)
		}
	}
	if !k.runHeld.Load() {
		var ok bool
		if err := k.conn.QueryRowContext(ctx, runLockSQL, k.runID).Scan(&ok); err != nil {
			return // the next check finds the connection lost, or tries again
		}
		if !ok {
			// Another process takes it for a moment, as it takes back
			// what it believes this process left; the next check tries
			// again.
			k.log.Warn("this process's run is held by another for now", "run", k.runID)
		}
		k.runHeld.Store(ok)
	}
	k.mu.Lock()
	var want []*Lease
	for _, l := range k.leases {
		if !l.Held() {
			want = append(want, l)
		}
	}
	k.mu.Unlock()
	for _, l := range want {
		var ok bool
		if err := k.conn.QueryRowContext(ctx, leaseLockSQL, l.job).Scan(&ok); err != nil {
			return // the next check finds the connection lost, or tries again
		}
		if ok {
			k.log.Info("this process now runs a job", "job", l.job)
			l.gain()
		}
	}
}

// drop lets every lease, and the run, go: the connection is closed,
// which releases its locks in the database.
func (k *leaseKeeper) drop() {
	k.runHeld.Store(false)
	k.mu.Lock()
	for _, l := range k.leases {
		l.held.Store(false)
	}
	k.mu.Unlock()
	if k.conn == nil {
		return
	}
	// Discarded, not returned to the pool: its session ends, and with it
	// every lock it held.
	k.conn.Raw(func(any) error { return driver.ErrBadConn })
	k.conn.Close()
	k.conn = nil
}
