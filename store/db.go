// Package store is Switchboard's SQLite storage: it implements inbox.Store
// and inbox.Tx, and a session store for alexedwards/scs.
//
// One writer connection does every write. A single goroutine owns it and
// commits concurrent writes together (group commit, see writer.go); reads
// use a separate pool of read-only connections, which WAL lets run beside
// the writer.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"switchboard/inbox"
)

// DB is Switchboard's database. It is safe for concurrent use.
type DB struct {
	path    string
	version string  // recorded with the events it fails to apply
	writer  *sql.DB // one connection: migrations at Open, then the writer goroutine's
	log     *slog.Logger
	now     func() time.Time

	// The read-only pool, seen through dialect, the engine's SQL spelling
	// (dialect.go).
	reader  readPool
	dialect *dialect

	// The writer goroutine's own: its connection, held for good, and the
	// statements prepared on it.
	wconn *dbConn
	stmts [numWriterStmts]*sql.Stmt

	queue    chan *job // writes waiting for the writer goroutine
	maxBatch int

	mu     sync.RWMutex // held for reading while enqueueing, for writing by Close
	closed bool

	writerDone  chan struct{} // closed when the writer goroutine has stopped
	stopCleanup chan struct{} // closed by Close to stop the background goroutines
	cleanupDone chan struct{}
	packDone    chan struct{}   // packHours has stopped
	staleDone   chan struct{}   // drainStaleOpenings, then redoCardSearch, has stopped
	staleHold   <-chan struct{} // drainStaleOpenings waits for it to close (tests)

	checkpointer   *sql.DB // one connection that copies the WAL into the database
	checkpointDone chan struct{}
	wal            walKeeper // see checkpoint.go
	walSync        *walSync  // SQLite's: answers batches of writes once on disk (walsync.go)
	health         health    // see health.go
	closeErr       error

	stats writerStats

	searchIdle searchIdle // see search_index.go

	proj        *projector             // the writer goroutine's: stored events waiting to be applied
	projectWith chan *inbox.Projection // to the writer goroutine, from Project

	// The jobs this process runs for every process (leases.go): kept by
	// leases on PostgreSQL, all held (soleLeases) on SQLite.
	leases     *leaseKeeper
	leaseMu    sync.Mutex
	soleLeases map[string]*Lease

	secrets     secretCache    // per-sender webhook secrets, between changes
	autoReplies autoReplyCache // the decoded auto-reply settings, between saves
}

var _ inbox.Store = (*DB)(nil)

// Option changes how Open sets up the database.
type Option func(*options)

type options struct {
	readConns       int
	maxBatch        int
	queueLen        int
	sessionCleanup  time.Duration
	packEvery       time.Duration
	checkpointEvery time.Duration
	syncWAL         func(path string) error   // see walsync.go; nil: fsync
	commitWait      func(n int) time.Duration // see walsync.go; nil: commitWait
	walLimit        int64
	noCheckpoints   bool
	noWALSize       bool
	version         string
	freeSpace       func(dir string) (uint64, error)
	log             *slog.Logger
	now             func() time.Time
	migrationSource migrationSource
	searchIdle      *time.Duration  // see WithSearchIdle
	leaseEvery      time.Duration   // see WithLeaseCheck
	pgTracer        pgx.QueryTracer // see withPgTracer
	staleHold       <-chan struct{} // see withStaleOpeningsHeld
}

// WithReadConns sets the size of the read pool (default 4).
func WithReadConns(n int) Option { return func(o *options) { o.readConns = n } }

// WithMaxBatch sets how many writes at most one transaction commits
// together (default 128). 1 turns group commit off.
func WithMaxBatch(n int) Option { return func(o *options) { o.maxBatch = n } }

// WithWALLimit sets the size past which the writer checkpoints the WAL
// and starts it over between two batches (default 16 MiB).
func WithWALLimit(bytes int64) Option { return func(o *options) { o.walLimit = bytes } }

// ForOneCommand opens the database for a command that closes it again
// soon (token create, say): its WAL is not given its size (walalloc.go),
// which serves a process that writes for long.
func ForOneCommand() Option { return func(o *options) { o.noWALSize = true } }

// WithVersion sets the Switchboard version this process runs, recorded
// with each webhook event it fails to apply (default "dev").
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// WithExternalCheckpoints leaves the WAL's checkpoints to another
// process, such as Litestream, which must control them to copy every
// frame before the WAL starts over: Switchboard then runs none of its own
// (checkpoint.go), and that process keeps the WAL bounded.
func WithExternalCheckpoints() Option { return func(o *options) { o.noCheckpoints = true } }

// WithSessionCleanup sets how often expired sessions are deleted (default
// 5 minutes); 0 or less turns the cleanup goroutine off.
func WithSessionCleanup(every time.Duration) Option {
	return func(o *options) { o.sessionCleanup = every }
}

// WithReportPacking sets how often the report hours whose openings
// changed are packed again (default 2 s; reports_hours.go); 0 or less
// turns the packing goroutine off, and summaries read those hours'
// openings themselves.
func WithReportPacking(every time.Duration) Option {
	return func(o *options) { o.packEvery = every }
}

// withStaleOpeningsHeld holds the openings a migration left to derive
// again (drainStaleOpenings) until hold is closed, for the store's tests
// of what is derived when.
func withStaleOpeningsHeld(hold <-chan struct{}) Option {
	return func(o *options) { o.staleHold = hold }
}

// WithLogger sets where the store reports what it cannot return to a
// caller: a panic in apply, a failed session cleanup.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock used for received_at and other times the store
// fills in itself (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// DSN is the data source name for a connection to the SQLite file at path,
// with the pragmas every Switchboard connection uses: busy_timeout first,
// WAL, synchronous=FULL (an acknowledged event must survive power loss; the
// writer's own connection commits with NORMAL and its WAL syncer waits for
// the disk instead, walsync.go) and
// foreign keys; temp_store=MEMORY keeps the journals of savepoints and
// statements (and sorts) off the disk. The writer begins its transactions IMMEDIATE, so that it
// never has to upgrade a read lock; readers are query_only.
func DSN(path string, writer bool) string {
	dsn := path +
		"?_pragma=busy_timeout(" + strconv.Itoa(busyTimeoutMs) + ")" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)" +
		"&_pragma=foreign_keys(ON)" +
		"&_pragma=temp_store(MEMORY)"
	if writer {
		return dsn + "&_txlock=immediate"
	}
	return dsn + "&_pragma=query_only(1)"
}

// tryWriteLock takes the write lock of db, whose transactions begin
// IMMEDIATE, and lets it go.
func tryWriteLock(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write lock: %w", err)
	}
	return tx.Rollback()
}

// busyTimeoutMs is how long a connection waits for a lock held by another.
const busyTimeoutMs = 5000

// Open opens the database at path, creating the file and its folder if
// needed, and brings its schema up to date. A database written by a newer
// Switchboard is refused.
func Open(path string, opts ...Option) (*DB, error) {
	o := options{readConns: 4, maxBatch: 128, queueLen: 1024, sessionCleanup: 5 * time.Minute, packEvery: 2 * time.Second, checkpointEvery: 250 * time.Millisecond,
		walLimit: DefaultWALLimit, version: "dev", freeSpace: statfsFree, log: slog.New(slog.DiscardHandler), now: time.Now, migrationSource: embeddedMigrations}
	for _, opt := range opts {
		opt(&o)
	}
	if o.readConns < 1 {
		o.readConns = 1
	}
	if o.maxBatch < 1 {
		o.maxBatch = 1
	}
	if IsPostgresURL(path) {
		return openPostgres(path, o)
	}
	if path == "" || path == ":memory:" || filepath.Base(path) == "" {
		return nil, fmt.Errorf("open database: %q is not a file path: %w", path, inbox.ErrInvalid)
	}
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := refuseForeign(context.Background(), path); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}

	// The writer never checkpoints at commit: copying the WAL back into the
	// database would stall every webhook waiting on that commit. The
	// checkpoint goroutine copies beside the writer, and the writer starts
	// the WAL over between batches (checkpoint.go); journal_size_limit then
	// cuts the file back.
	//
	// Where Litestream runs the checkpoints, the file is never cut: the
	// writer's next commit after one of Litestream's checkpoints may be
	// the one that starts the WAL over, and Litestream then copies the
	// frames committed between its last copy and its checkpoint from the
	// old WAL's end, behind the new frames. Cutting the file there would
	// drop them from the replica, and a database restored from it would
	// miss those pages (a damaged index, a page never used).
	walLimit := "&_pragma=journal_size_limit(" + strconv.FormatInt(o.walLimit, 10) + ")"
	if o.noCheckpoints {
		walLimit = ""
	}
	writer, err := sql.Open("sqlite", DSN(path, true)+"&_pragma=wal_autocheckpoint(0)"+walLimit)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	ctx := context.Background()
	if err := migrateLogged(ctx, writer, o.migrationSource, o.now, o.log); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open database %s: %w", path, explainOpen(path, err))
	}
	// The write lock is tried once, so that a start that could not write
	// (a lock another program keeps, a file this user cannot write) stops
	// and says so, rather than failing each write after.
	if err := tryWriteLock(ctx, writer); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open database %s: %w", path, explainOpen(path, err))
	}

	reader, err := sql.Open("sqlite", DSN(path, false))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open database %s: read pool: %w", path, err)
	}
	reader.SetMaxOpenConns(o.readConns)
	reader.SetMaxIdleConns(o.readConns)
	if err := reader.PingContext(ctx); err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("open database %s: read pool: %w", path, err)
	}

	checkpointer, err := sql.Open("sqlite", path+"?_pragma=busy_timeout("+strconv.Itoa(busyTimeoutMs)+")&_pragma=synchronous(FULL)")
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("open database %s: checkpointer: %w", path, err)
	}
	checkpointer.SetMaxOpenConns(1)

	db := &DB{
		path: path, version: o.version, writer: writer, reader: newReadPool(reader, sqliteDialect), dialect: sqliteDialect, log: o.log, now: o.now,
		queue: make(chan *job, o.queueLen), maxBatch: o.maxBatch,
		writerDone: make(chan struct{}), stopCleanup: make(chan struct{}), cleanupDone: make(chan struct{}),
		packDone: make(chan struct{}), staleDone: make(chan struct{}),
		checkpointer: checkpointer, checkpointDone: make(chan struct{}),
		proj: newProjector(), projectWith: make(chan *inbox.Projection),
		wal:     walKeeper{path: path + "-wal", limit: o.walLimit},
		walSync: newWALSync(path+"-wal", o.syncWAL, o.commitWait),
		health:  health{dir: filepath.Dir(path), freeSpace: o.freeSpace},
	}
	db.wal.noAlloc.Store(o.noWALSize)
	db.searchIdle = newSearchIdle(o.searchIdle)
	if n, err := CountPending(ctx, writer); err != nil {
		writer.Close()
		reader.Close()
		checkpointer.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	} else {
		db.proj.addPending(n)
	}
	if err := db.openWriterConn(ctx); err != nil {
		writer.Close()
		reader.Close()
		checkpointer.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	go db.writeLoop()
	if o.noCheckpoints {
		db.wal.external = true
		close(db.checkpointDone)
	} else {
		go db.checkpointLoop(o.checkpointEvery)
	}
	return db.startBackground(ctx, o, path)
}

// startBackground starts the goroutines every engine runs beside the
// writer (session cleanup, report packing, openings a migration left to
// derive again) and brings the report hours up to date; on failure the
// database is closed.
func (db *DB) startBackground(ctx context.Context, o options, where string) (*DB, error) {
	if o.sessionCleanup > 0 {
		go db.cleanSessions(o.sessionCleanup)
	} else {
		close(db.cleanupDone)
	}
	if o.packEvery > 0 {
		go db.packHours(o.packEvery)
	} else {
		close(db.packDone)
	}
	db.staleHold = o.staleHold
	go func() {
		defer close(db.staleDone)
		db.drainStaleOpenings()
		db.redoCardSearch()
	}()
	if err := db.refreshAllOpenings(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", where, err)
	}
	return db, nil
}

// createPrivate creates the database's folder (0700) and an empty database
// file (0600) unless they exist: the database holds customers' messages and
// session tokens, so only Switchboard's user may read it. SQLite gives the
// WAL and its index the database file's mode.
func createPrivate(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create folder: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, os.ErrExist):
		return nil
	case err != nil:
		return fmt.Errorf("create file: %w", err)
	}
	return f.Close()
}

// Close stops accepting writes, lets the writer commit everything already
// queued, and closes both pools. Writes after Close fail with
// inbox.ErrStoreClosed. Close is safe to call more than once.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		<-db.writerDone
		return db.closeErr
	}
	db.closed = true
	close(db.queue) // the writer drains what is queued, then stops
	close(db.stopCleanup)
	db.mu.Unlock()

	<-db.writerDone
	<-db.cleanupDone
	<-db.packDone
	<-db.staleDone
	<-db.checkpointDone
	if db.leases != nil {
		<-db.leases.done
	}
	if st := db.WALStats(); st.Restarts+st.Truncates+st.Busy > 0 {
		db.log.Info("WAL upkeep since start", "largest_bytes", st.MaxSize, "restarts", st.Restarts,
			"restart_total", st.RestartTime, "restart_longest", st.RestartMax, "held_up", st.Busy, "emptied_idle", st.Truncates)
	}
	db.wal.close()
	err := errors.Join(db.closeWriterConn(), db.checkpointer.Close(), db.writer.Close(), db.reader.Close())
	if err != nil {
		err = fmt.Errorf("close database: %w", err)
	}
	db.closeErr = err
	return err
}

// background runs fn every period until Close, then closes done.
func (db *DB) background(every time.Duration, done chan struct{}, fn func()) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-db.stopCleanup:
			return
		case <-t.C:
			fn()
		}
	}
}
