package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"switchboard/inbox"
)

// Every write goes through one goroutine, the writer, which owns the writer
// connection. Callers queue a job and wait. The writer takes the first job
// plus whatever else is already waiting (up to maxBatch), runs them all in
// ONE transaction, commits once, and only then answers every caller: the
// fsync of the commit is shared by the whole batch (group commit), and no
// caller hears "done" before the commit that holds its write is on disk.
// On SQLite the WAL syncer waits for the disk beside the writer, and a
// batch goes on taking the jobs that arrive until the sync before it is
// answered (walsync.go).
//
// Each job runs in its own savepoint where a failure must not spoil the
// others, so one bad job is undone alone. A failure of the transaction
// itself (a savepoint that cannot be rolled back, the commit) fails every
// job of the batch, and nothing of it is written.

// Job states: a queued job is either taken by the writer or cancelled by
// its caller, never both.
const (
	jobQueued int32 = iota
	jobTaken
	jobCancelled
)

// job is one write waiting for the writer.
type job struct {
	ctx   context.Context
	state atomic.Int32
	// run does the write in w's transaction. Its error is the caller's
	// answer; a failure of the transaction itself is reported through
	// w.fail and ends the batch.
	run func(ctx context.Context, w *writeTx) error
	// appends says run only stores a webhook event (Append): a batch of
	// such jobs changes nothing the search index or the reports follow.
	appends bool
	// event is the event an Append job stores: on PostgreSQL the writer
	// stores those of a batch together (append_pg.go).
	event *appendJob
	err   error         // the answer, set before done is closed
	done  chan struct{} // closed when the answer is final

	// upkeep says run is the store's own work, not a caller's write
	// (search_index.go): Stats leaves it out.
	upkeep bool
}

// Stats says what the writer has done since Open.
type Stats struct {
	Batches    uint64        // write transactions the writer ran
	Writes     uint64        // writes (events, replays, other writes) those held
	MaxBatch   uint64        // the most writes one transaction held
	CommitTime time.Duration // time spent in COMMIT and, for writes, waiting for the disk, all transactions
}

type writerStats struct {
	batches, writes, maxBatch atomic.Uint64
	commitNanos               atomic.Int64
	observer                  atomic.Pointer[func(Commit)]
}

// Stats reports what the writer has done since Open: Writes/Batches is the
// mean number of writes sharing one commit.
func (db *DB) Stats() Stats {
	return Stats{Batches: db.stats.batches.Load(), Writes: db.stats.writes.Load(), MaxBatch: db.stats.maxBatch.Load(),
		CommitTime: time.Duration(db.stats.commitNanos.Load())}
}

func (s *writerStats) record(n int) {
	s.batches.Add(1)
	s.writes.Add(uint64(n))
	for {
		cur := s.maxBatch.Load()
		if uint64(n) <= cur || s.maxBatch.CompareAndSwap(cur, uint64(n)) {
			return
		}
	}
}

// submit queues run for the writer and waits for its answer. If ctx ends
// before the writer takes the job, the job is dropped and ctx's error
// returned; once taken, the job is committed (or fails) whatever ctx does.
func (db *DB) submit(ctx context.Context, run func(ctx context.Context, w *writeTx) error) error {
	return db.submitJob(ctx, &job{ctx: ctx, run: run})
}

// submitJob is submit for a job whose ctx and run are set.
func (db *DB) submitJob(ctx context.Context, j *job) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j.done = make(chan struct{})

	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return inbox.ErrStoreClosed
	}
	select {
	case db.queue <- j:
		db.mu.RUnlock()
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}

	select {
	case <-j.done:
		return j.err
	case <-ctx.Done():
		if j.state.CompareAndSwap(jobQueued, jobCancelled) {
			return ctx.Err() // the writer will skip it
		}
		<-j.done // taken: its fate is sealed, wait for the commit
		return j.err
	}
}

// writeLoop is the writer goroutine. Between batches of writes it applies
// stored webhook events (see project.go): in a lull, when no write came
// for writerLull after a batch, ending early for writes that come
// meanwhile; and a share of its time (busyShare) while writes keep
// coming. It stops when Close has closed the queue, every job in it is
// answered, and every stored event is applied.
func (db *DB) writeLoop() {
	defer close(db.writerDone)
	if db.walSync != nil {
		go db.walSync.run(db)
		defer db.walSync.stop() // every batch answered before the writer is done
	}
	batch := make([]*job, 0, db.maxBatch)
	var retry *time.Timer
	lull := time.NewTimer(time.Hour)
	lull.Stop()
	busy := false // the last round committed writes
	for {
		var j *job
		ok := true
		if db.proj.due(time.Now()) {
			select {
			case j, ok = <-db.queue:
			case p := <-db.projectWith:
				db.proj.p = p
				continue
			default:
				if busy {
					// The callers just answered are sending their next
					// writes: an empty queue right after a batch is not
					// a lull yet. Wait for one a moment first.
					busy = false
					lull.Reset(db.proj.lull(time.Now()))
					select {
					case j, ok = <-db.queue:
						lull.Stop()
					case p := <-db.projectWith:
						lull.Stop()
						db.proj.p = p
						continue
					case <-lull.C:
						continue
					}
					break
				}
				db.project(projectIdle, db.lullBudget(), true)
				db.afterBatch()
				continue
			}
		} else {
			var wait <-chan time.Time
			if db.proj.p != nil && (len(db.proj.queue) > 0 || db.proj.inDB) {
				// Waiting out a failure.
				if retry == nil {
					retry = time.NewTimer(time.Until(db.proj.waitUntil))
				} else {
					retry.Reset(time.Until(db.proj.waitUntil))
				}
				wait = retry.C
			}
			select {
			case j, ok = <-db.queue:
			case p := <-db.projectWith:
				db.proj.p = p
				continue
			case <-wait:
				continue
			}
		}
		if !ok {
			db.drainProjection()
			return
		}
		// With the WAL syncer, the batch is committed in the turn the
		// syncer gives once it has answered the batch before: if that
		// one is still being synced, the batch goes on taking the jobs
		// that arrive meanwhile, and runs each as it comes.
		turn := db.walSync == nil || db.walSync.tryReserve()
		batch = db.runBatch(db.gather(append(batch[:0], j), db.maxBatch), turn)
		db.proj.arrived(time.Now(), len(batch))
		clear(batch) // let the jobs be collected
		busy = true
		if now := time.Now(); db.proj.due(now) {
			if budget, ok := db.proj.busyShare(now); ok {
				db.project(projectIdle, budget, false)
			}
		}
		// Between batches the writer holds no transaction: the moment
		// to keep the WAL bounded (checkpoint.go).
		db.afterBatch()
	}
}

// drainProjection applies what is still pending as the database closes,
// for up to closeDrain, unless applying fails; whatever is left is applied
// at the next start.
func (db *DB) drainProjection() {
	deadline := time.Now().Add(closeDrain)
	for db.proj.due(time.Now()) {
		if time.Now().After(deadline) {
			db.log.Info("stored webhook events left for the next start", "pending", db.Pending())
			return
		}
		db.project(projectIdle, projectBudget, false)
	}
}

// writerLull is how long the queue must stay empty after a batch before
// the writer takes it for a lull and applies stored events at length: a
// caller just answered needs about this long to send its next write.
const writerLull = 300 * time.Microsecond

// burstLull is writerLull in a burst (see projector.lull): writes come
// every fraction of a millisecond, so a gap this long means the burst has
// ended, while a shorter one is only the senders waiting for a core.
const burstLull = 20 * time.Millisecond

// closeDrain bounds how long Close goes on applying stored events: a long
// backlog must not hold up a restart, and what is left is applied at the
// next start.
const closeDrain = 3 * time.Second

// runBatch takes the jobs of batch that are still wanted, runs them in one
// transaction and answers them: on SQLite through the WAL syncer
// (walsync.go), once the commit is on disk. turn says whether the writer
// holds the syncer's turn (always, without a syncer); with a syncer, the
// transaction goes on taking jobs until it is time to commit (awaitTurn).
// It returns the jobs the batch took.
func (db *DB) runBatch(batch []*job, turn bool) []*job {
	s := db.walSync
	taken := takeJobs(batch[:0], batch)
	if len(taken) == 0 {
		if turn && s != nil {
			s.release()
		}
		return taken
	}
	ctx := context.Background() // taken jobs are written whatever their callers do
	writes := 0                 // the callers' writes among taken (upkeep excluded)
	commit, err := db.transaction(ctx, true, func(w *writeTx) error {
		w.runJobs(taken)
		if s != nil && w.fatal == nil {
			taken, turn = db.awaitTurn(w, taken, turn)
		}
		writes = len(taken) - countUpkeep(taken)
		w.kind, w.size = CommitWrites, writes
		w.appendsOnly = !slices.ContainsFunc(taken, func(j *job) bool { return !j.appends })
		return w.fatal
	})
	if s == nil {
		db.answer(taken, err, writes, commit)
		return taken
	}
	if err != nil {
		s.handed(0) // its callers, told it failed, may not write again
		if turn {
			s.release()
		}
		db.answer(taken, err, writes, commit)
		return taken
	}
	s.handed(len(taken))
	s.hand(syncBatch{jobs: slices.Clone(taken), writes: writes, commit: commit, start: time.Now()})
	return taken
}

// gather adds to batch the jobs already queued, up to max in all.
func (db *DB) gather(batch []*job, max int) []*job {
	for len(batch) < max {
		select {
		case j, ok := <-db.queue:
			if !ok {
				return batch
			}
			batch = append(batch, j)
		default:
			return batch
		}
	}
	return batch
}

// takeJobs appends to taken the jobs of batch still wanted, marking them
// taken, and answers those whose callers gave up while they waited: they
// are not written. taken may share batch's array.
func takeJobs(taken, batch []*job) []*job {
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			if j.state.CompareAndSwap(jobQueued, jobCancelled) {
				j.err = err
				close(j.done)
			}
			continue
		}
		if j.state.CompareAndSwap(jobQueued, jobTaken) {
			taken = append(taken, j)
		}
	}
	return taken
}

// awaitTurn completes a batch, in w's open transaction, on SQLite: it
// returns once the writer holds the syncer's turn (turn says whether it
// does already) and it is time to commit. While the batch before is being
// synced, it runs each job that arrives as it comes, so that once the
// turn comes little is left to do but the commit. And it waits, for at
// most commitWait (see walsync.go), until the batch holds as many jobs as
// the last batch answered: their callers are sending their next writes,
// which this batch gathers. It returns taken with the jobs it took, up to
// maxBatch in all, and whether it holds the turn: it does, unless the
// transaction failed (w.fatal).
func (db *DB) awaitTurn(w *writeTx, taken []*job, turn bool) ([]*job, bool) {
	s := db.walSync
	want := s.answered(turn)
	queue := db.queue
	var waited <-chan time.Time
	defer func() {
		if waited != nil {
			s.timer.Stop()
		}
	}()
	for w.fatal == nil {
		if len(taken) >= db.maxBatch {
			queue = nil // full
		}
		var turnCh chan struct{}
		switch {
		case !turn:
			turnCh = s.turn
		case queue == nil || len(taken) >= want:
			return taken, true
		case waited == nil:
			s.timer.Reset(s.wait(want))
			waited = s.timer.C
		}
		var more []*job
		var one [1]*job
		select {
		case turnCh <- struct{}{}:
			turn = true
			more = db.gather(nil, db.maxBatch-len(taken)) // what came meanwhile
		case j, ok := <-queue:
			if !ok {
				queue = nil // closing: this batch is committed, then the writer stops
				continue
			}
			one[0] = j
			more = one[:]
		case <-waited:
			return taken, true
		}
		n := len(taken)
		if taken = takeJobs(taken, more); len(taken) > n {
			w.runJobs(taken[n:])
		}
	}
	return taken, turn
}

// answer ends a batch of jobs, once it is committed and on disk or has
// failed with err, which is then every job's answer. Health notes it (for
// Ping, health.go); a batch that is written counts in Stats and goes to
// the commit observer, c describing its commit and writes how many of
// jobs are callers' writes.
func (db *DB) answer(jobs []*job, err error, writes int, c Commit) {
	db.noteBatch(err, jobs)
	if err == nil {
		if writes > 0 {
			db.stats.record(writes)
		}
		db.stats.committed(c)
	}
	for _, j := range jobs {
		if err != nil {
			j.err = err
		}
		close(j.done)
	}
}

// transaction runs fn in one write transaction and commits it; an error
// means nothing of it was written. Events appended in it are handed to the
// projection once it is committed. On SQLite, COMMIT does not wait for the
// disk (synchronous=NORMAL): a batch of writes waits for the WAL syncer
// (runBatch), while a transaction that applies stored events does not
// wait at all. That one may be lost to a power cut, never half-written:
// the events stay pending until it is on disk, and are applied again
// after a cut that loses it; the next sync makes it durable with
// everything before it. durable is false for those (on PostgreSQL they
// begin differently, postgres.go). The Commit returned describes the
// commit, for the commit observer.
func (db *DB) transaction(ctx context.Context, durable bool, fn func(w *writeTx) error) (Commit, error) {
	if err := db.openWriterConn(ctx); err != nil {
		return Commit{}, err
	}
	if err := db.begin(ctx, durable); err != nil {
		db.recoverWriterConn(ctx)
		return Commit{}, fmt.Errorf("begin write transaction: %w", err)
	}
	w := &writeTx{db: db}
	if err := fn(w); err != nil {
		db.recoverWriterConn(ctx)
		return Commit{}, err
	}
	// The search index and reports' rollups follow what the transaction
	// changed (search_index.go, reports.go); storing webhook events
	// changes nothing they follow.
	if !w.appendsOnly {
		if err := w.flushSearch(ctx); err != nil {
			db.recoverWriterConn(ctx)
			return Commit{}, err
		}
		if err := w.refreshOpenings(ctx); err != nil {
			db.recoverWriterConn(ctx)
			return Commit{}, err
		}
	}
	start := time.Now()
	if _, err := db.stmtExec(ctx, stCommit); err != nil {
		db.recoverWriterConn(ctx)
		return Commit{}, fmt.Errorf("commit write transaction: %w", err)
	}
	c := Commit{Kind: w.kind, Size: w.size, Derived: w.derived, Took: time.Since(start)}
	db.proj.committed(w.appended)
	return c, nil
}

// The writer runs its transactions itself, on a connection it holds for
// good: database/sql's Tx would add a goroutine and a context to every
// query, and rebind every prepared statement to each transaction.
var (
	// On PostgreSQL, BEGIN also takes the write lock (postgres.go).
	stBegin    = writerStatement(`BEGIN IMMEDIATE`)
	stCommit   = writerStatement(`COMMIT`)
	stRollback = writerStatement(`ROLLBACK`)
)

// openWriterConn takes the writer connection from the writer pool and
// prepares the writer's statements on it, unless that is done.
func (db *DB) openWriterConn(ctx context.Context) error {
	if db.wconn != nil {
		return nil
	}
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return fmt.Errorf("writer connection: %w", err)
	}
	for i, q := range writerSQL {
		if db.dialect.postgres {
			break // pgx prepares and keeps each statement at its first use
		}
		st, err := conn.PrepareContext(ctx, q)
		if err != nil {
			db.closeWriterConn()
			conn.Close()
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		db.stmts[i] = st
	}
	if db.walSync != nil {
		// The WAL syncer waits for the disk (walsync.go), not COMMIT.
		if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
			db.closeWriterConn()
			conn.Close()
			return fmt.Errorf("writer connection: %w", err)
		}
	}
	db.wconn = &dbConn{conn, db.dialect}
	return nil
}

// recoverWriterConn ends a failed transaction. SQLite may have rolled it
// back already (then ROLLBACK fails, which is fine), or may still hold it
// open, as after a failed COMMIT. A connection that no longer answers is
// dropped; the next batch opens another.
func (db *DB) recoverWriterConn(ctx context.Context) {
	_, _ = db.stmtExec(ctx, stRollback)
	if err := db.wconn.PingContext(ctx); err != nil {
		db.log.Error("the writer connection failed; opening another", "err", err)
		db.closeWriterConn()
	}
}

// closeWriterConn closes the writer's statements and connection.
func (db *DB) closeWriterConn() error {
	var errs []error
	for i, st := range db.stmts {
		if st != nil {
			errs = append(errs, st.Close())
			db.stmts[i] = nil
		}
	}
	if db.wconn != nil {
		errs = append(errs, db.wconn.Close())
		db.wconn = nil
	}
	return errors.Join(errs...)
}

// writeTx is the writer's open transaction, shared by the jobs of a batch.
// It implements inbox.Tx (see tx.go).
type writeTx struct {
	db       *DB
	fatal    error          // the transaction is broken: the batch must not commit
	appended []pendingEvent // events Append stored in it, for the projection
	kind     CommitKind     // what the transaction does, for the commit observer
	size     int            // how many writes or events it holds
	derived  int            // conversations whose openings it derived again (refreshOpenings)
	// appendsOnly: the transaction only stores webhook events (see job).
	appendsOnly bool
	// senders, in a transaction that applies stored events on PostgreSQL,
	// are the senders upserted in it and kept, with their number: the
	// same upsert again changes nothing (UpsertSender).
	senders map[string]string
}

// fail records that the transaction itself failed, and returns err.
func (w *writeTx) fail(err error) error {
	if w.fatal == nil {
		w.fatal = err
	}
	return err
}

// exec runs a prepared writer statement.
func (w *writeTx) exec(ctx context.Context, id stmtID, args ...any) (sql.Result, error) {
	return w.db.stmtExec(ctx, id, args...)
}

// queryRow runs a prepared writer statement that returns at most one row.
func (w *writeTx) queryRow(ctx context.Context, id stmtID, args ...any) *sql.Row {
	return w.db.stmtQueryRow(ctx, id, args...)
}

// query runs a prepared writer statement that returns rows.
func (w *writeTx) query(ctx context.Context, id stmtID, args ...any) (*sql.Rows, error) {
	return w.db.stmtQuery(ctx, id, args...)
}

// execSQL runs a statement that is not worth preparing: a rare write.
func (w *writeTx) execSQL(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return w.db.wconn.ExecContext(ctx, query, args...)
}

// queryRowSQL is execSQL for a statement that returns a row.
func (w *writeTx) queryRowSQL(ctx context.Context, query string, args ...any) *sql.Row {
	return w.db.wconn.QueryRowContext(ctx, query, args...)
}

// querySQL is execSQL for a statement that returns rows.
func (w *writeTx) querySQL(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return w.db.wconn.QueryContext(ctx, query, args...)
}

var (
	stSavepoint  = writerStatement(`SAVEPOINT job`)
	stRollbackTo = writerStatement(`ROLLBACK TO job`)
	stRelease    = writerStatement(`RELEASE job`)
)

// inSavepoint runs fn in a savepoint. If fn fails, its writes are undone
// and its error returned, and the rest of the batch goes on. If the
// savepoint itself fails, the whole transaction is marked failed.
func (w *writeTx) inSavepoint(ctx context.Context, fn func() error) error {
	if _, err := w.exec(ctx, stSavepoint); err != nil {
		return w.fail(fmt.Errorf("savepoint: %w", err))
	}
	ferr := fn()
	if ferr != nil {
		if _, err := w.exec(ctx, stRollbackTo); err != nil {
			return w.fail(errors.Join(ferr, fmt.Errorf("roll back to savepoint: %w", err)))
		}
		clear(w.senders) // their upserts may be undone
	}
	if _, err := w.exec(ctx, stRelease); err != nil {
		return w.fail(errors.Join(ferr, fmt.Errorf("release savepoint: %w", err)))
	}
	return ferr
}

// write runs fn in the writer's next transaction, in a savepoint of its
// own: if fn fails, its writes are undone and its error returned.
func (db *DB) write(ctx context.Context, fn func(ctx context.Context, w *writeTx) error) error {
	return db.submit(ctx, func(ctx context.Context, w *writeTx) error {
		return w.inSavepoint(ctx, func() error { return fn(ctx, w) })
	})
}

// The writer's statements are prepared once, on the writer connection: a
// batch runs thousands of them, and compiling SQL each time would cost more
// than running it. Each file declares its own with writerStatement, next
// to the code that uses them.

type stmtID int

// numWriterStmts bounds the statements declared with writerStatement.
const numWriterStmts = 96

var writerSQL []string

// writerStatement declares a statement for the writer and returns its id.
// Call it only to initialise a package-level variable.
func writerStatement(query string) stmtID {
	writerSQL = append(writerSQL, query)
	if len(writerSQL) > numWriterStmts {
		panic("store: more writer statements than numWriterStmts")
	}
	return stmtID(len(writerSQL) - 1)
}
