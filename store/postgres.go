package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"switchboard/inbox"
	"switchboard/migrations"
)

// On PostgreSQL the store is the same code as on SQLite, through the
// dialect (dialect.go): one writer goroutine commits the writes in groups,
// on one connection it holds, and reads run on a pool beside it. Several
// Switchboard processes may share one database: each write transaction
// first takes a transaction-level advisory lock, so their read-modify-write
// rules run one transaction at a time, as SQLite's single writer does;
// reads never wait for it. synchronous_commit stays on: an acknowledged
// webhook survives a crash.

// IsPostgresURL reports whether dsn names a PostgreSQL database
// (postgres:// or postgresql://) rather than a SQLite file.
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// writeLockKey is the advisory lock every write transaction holds: one
// number, the same in every process ("sw" "bd" in ASCII).
const writeLockKey = 0x7377_6264

// writeLockSQL takes it; it is released when the transaction ends.
var writeLockSQL = `SELECT pg_advisory_xact_lock(` + fmt.Sprint(writeLockKey) + `)`

// withPgTracer has every statement sent to PostgreSQL traced by t, for
// the store's tests of what it sends.
func withPgTracer(t pgx.QueryTracer) Option { return func(o *options) { o.pgTracer = t } }

// postgresMigrations is the PostgreSQL schema, numbered on its own.
var postgresMigrations = func() migrationSource {
	sub, err := fs.Sub(migrations.Postgres, "postgres")
	if err != nil {
		panic(err)
	}
	return sub
}()

func init() {
	// A write transaction takes the write lock as it begins, in one round
	// trip: the two statements go as one simple query.
	pgOverride(writerSQL[stBegin], `BEGIN; `+writeLockSQL)
	// Outbox entries are claimed in the writer's transaction, which holds
	// the write lock; SKIP LOCKED also keeps a claim from waiting on rows
	// any other transaction holds.
	pgOverride(writerSQL[stDueOutbox], writerSQL[stDueOutbox]+` FOR UPDATE OF o SKIP LOCKED`)
	// A claim records the run of the process claiming (leases.go), which
	// ClaimOutbox gives as a fourth argument.
	pgOverride(writerSQL[stClaimOutbox], `UPDATE outbox SET state = 'sending', attempts = attempts + 1,
		attempt_due_at = next_attempt_at, next_attempt_at = ?1, updated_at = ?2, claimed_by = ?4 WHERE id = ?3 RETURNING attempts`)
}

// pgApplying are the settings of a transaction that applies stored
// events: plans made once and kept. Applying an event runs a dozen short
// statements, each finding a few rows by their key, and planning each
// afresh (plan_cache_mode, see openPostgres) cost the server more than
// running them. A plan kept must not be one made for a table that was
// nearly empty then: with sequential scans off, a kept plan finds rows by
// an index wherever one serves, at any size of the tables. A statement
// that has no index to use (DELETE FROM openings_dirty) still scans, at
// the cost that setting gives a scan it does not want, far past
// jit_above_cost: without jit off, PostgreSQL compiles it with LLVM at
// every run, about 50 ms a transaction, which made applying a burst
// slower than planning every statement did. The settings end with the
// transaction; the other transactions still plan each statement for its
// arguments.
const pgApplying = `SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_seqscan = off; SET LOCAL jit = off`

// pgBeginApplying begins a transaction that applies stored events: with
// the write lock, as stBegin, and pgApplying, in one round trip.
var pgBeginApplying = `BEGIN; ` + writeLockSQL + `; ` + pgApplying

// begin begins a write transaction; durable is transaction's (on
// PostgreSQL, durable false is a transaction that applies stored events).
func (db *DB) begin(ctx context.Context, durable bool) error {
	if db.dialect.postgres && !durable {
		_, err := db.wconn.Conn.ExecContext(ctx, pgBeginApplying)
		return err
	}
	_, err := db.stmtExec(ctx, stBegin)
	return err
}

// pgLullScale is how much longer a projection transaction in a lull runs
// on PostgreSQL than on SQLite: each statement there is a round trip,
// so an event takes several times longer to apply, and the transaction's
// fixed costs (BEGIN and the write lock, the search and report upkeep,
// COMMIT) are shared by as many events only in a longer one. A write
// that arrives still ends it after the event being applied.
const pgLullScale = 4

// lullBudget is how long a projection transaction runs for in a lull.
func (db *DB) lullBudget() time.Duration {
	if db.dialect.postgres {
		return pgLullScale * projectLullBudget
	}
	return projectLullBudget
}

// pgDialect is the dialect of every PostgreSQL database.
var pgDialect = &dialect{postgres: true}

// openPostgres is Open for a postgres:// URL.
func openPostgres(url string, o options) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open database: %s: %w", redactURL(url), inbox.ErrInvalid)
	}
	where := redactURL(url)
	// Every statement is planned for its own arguments and the tables as
	// they are now. The connections keep their statements prepared for
	// hours, and PostgreSQL would otherwise settle on one generic plan
	// after five runs: made while a new database's tables are nearly
	// empty, that plan scans a whole table and stays as the table grows
	// (an UPDATE of 8 webhook events by id: 0.3 ms planned, 17 ms
	// generic at 12,000 rows). Applying stored events keeps its plans,
	// made otherwise (pgBeginApplying).
	if _, set := cfg.RuntimeParams["plan_cache_mode"]; !set {
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	if o.pgTracer != nil {
		cfg.Tracer = o.pgTracer
	}
	open := func(conns int) *sql.DB {
		db := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(registerIntBools))
		db.SetMaxOpenConns(conns)
		db.SetMaxIdleConns(conns)
		return db
	}
	ctx := context.Background()
	writer := open(1)
	if err := migratePostgres(ctx, writer, postgresMigrations, o.now, o.log); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open database %s: %w", where, err)
	}
	reader := open(o.readConns)
	if err := reader.PingContext(ctx); err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("open database %s: read pool: %w", where, err)
	}
	db := &DB{
		path: where, version: o.version, writer: writer, reader: newReadPool(reader, pgDialect), dialect: pgDialect,
		log: o.log, now: o.now,
		queue: make(chan *job, o.queueLen), maxBatch: o.maxBatch,
		writerDone: make(chan struct{}), stopCleanup: make(chan struct{}), cleanupDone: make(chan struct{}),
		packDone: make(chan struct{}), staleDone: make(chan struct{}),
		// No WAL to keep: the checkpointer pool is never connected.
		checkpointer: open(1), checkpointDone: make(chan struct{}),
		proj: newProjector(), projectWith: make(chan *inbox.Projection),
		wal:    walKeeper{external: true},
		health: health{dir: "", freeSpace: func(string) (uint64, error) { return 1 << 62, nil }},
	}
	close(db.checkpointDone)
	db.searchIdle = newSearchIdle(o.searchIdle)
	if n, err := CountPending(ctx, writer); err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("open database %s: %w", where, err)
	} else {
		db.proj.addPending(n)
	}
	if err := db.openWriterConn(ctx); err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("open database %s: %w", where, err)
	}
	go db.writeLoop()
	db.leases = newLeaseKeeper(open(1), o.leaseEvery, o.log)
	if err := db.leases.start(db.stopCleanup); err != nil {
		close(db.cleanupDone) // nothing background runs yet
		close(db.packDone)
		close(db.staleDone)
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", where, err)
	}
	return db.startBackground(ctx, o, where)
}

// RedactDSN is what SWITCHBOARD_DB may show in messages and logs: a
// SQLite path as it is, a postgres:// URL without its password.
func RedactDSN(dsn string) string {
	if !IsPostgresURL(dsn) {
		return dsn
	}
	return redactURL(dsn)
}

// redactURL is url without its password, for messages and logs: the
// one in its user part, and a password=... parameter, which libpq takes
// too.
func redactURL(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return "postgres://"
	}
	rest = dropPasswordParam(rest)
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return scheme + "://" + rest
	}
	user, _, _ := strings.Cut(rest[:at], ":")
	return scheme + "://" + user + "@" + rest[at+1:]
}

// dropPasswordParam removes each password=... parameter from the query
// in s, with its separator.
func dropPasswordParam(s string) string {
	for {
		i := strings.Index(s, "?password=")
		if j := strings.Index(s, "&password="); i < 0 || (j >= 0 && j < i) {
			i = j
		}
		if i < 0 {
			return s
		}
		end := len(s)
		if k := strings.IndexByte(s[i+1:], '&'); k >= 0 {
			end = i + 1 + k
		}
		switch {
		case s[i] == '?' && end < len(s):
			s = s[:i+1] + s[end+1:] // ?password=x&more: ?more
		default:
			s = s[:i] + s[end:] // &password=x, or ?password=x at the end
		}
	}
}

// registerIntBools lets a Go bool be written to an integer column as 0 or
// 1, as SQLite stores it: Switchboard's flags are 0/1 integers on both
// engines.
func registerIntBools(_ context.Context, c *pgx.Conn) error {
	m := c.TypeMap()
	m.RegisterType(&pgtype.Type{Name: "int8", OID: pgtype.Int8OID, Codec: intBoolCodec{pgtype.Int8Codec{}}})
	m.RegisterType(&pgtype.Type{Name: "int4", OID: pgtype.Int4OID, Codec: intBoolCodec{pgtype.Int4Codec{}}})
	m.RegisterType(&pgtype.Type{Name: "int2", OID: pgtype.Int2OID, Codec: intBoolCodec{pgtype.Int2Codec{}}})
	return nil
}

// intBoolCodec is an integer codec that also encodes a bool, as 0 or 1.
type intBoolCodec struct{ pgtype.Codec }

func (c intBoolCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(bool); ok {
		return boolAsInt{c.Codec.PlanEncode(m, oid, format, int64(0))}
	}
	return c.Codec.PlanEncode(m, oid, format, value)
}

type boolAsInt struct{ next pgtype.EncodePlan }

func (p boolAsInt) Encode(value any, buf []byte) ([]byte, error) {
	var n int64
	if value.(bool) {
		n = 1
	}
	return p.next.Encode(n, buf)
}

// migratePostgres applies the PostgreSQL migrations db lacks, each in one
// transaction that holds the migration lock, so that processes starting
// together apply each once; a database that lacks none is only read. Like migrate, it refuses a database of a newer
// schema.
func migratePostgres(ctx context.Context, db *sql.DB, src migrationSource, now func() time.Time, log *slog.Logger) error {
	ms, err := loadMigrations(src)
	if err != nil {
		return err
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	applied, newest, err := appliedMigrations(ctx, db, `SELECT to_regclass('schema_migrations')::text`)
	if err != nil {
		return err
	}
	if newest > latest {
		return fmt.Errorf("the database has schema version %d but this binary knows only up to %d: "+
			"it was written by a newer Switchboard; run that version or restore a backup", newest, latest)
	}
	for _, m := range slices.DeleteFunc(ms, func(m migration) bool { return applied[m.version] }) {
		done, newest, err := applyPostgresMigration(ctx, db, m, latest, now)
		if err != nil {
			return err
		}
		if newest > latest {
			return fmt.Errorf("the database has schema version %d but this binary knows only up to %d: "+
				"it was written by a newer Switchboard; run that version or restore a backup", newest, latest)
		}
		if done {
			log.Info("database schema migrated", "migration", m.name)
		}
	}
	return nil
}

// applyPostgresMigration applies m unless it is recorded, and says whether
// it did and the newest version recorded.
func applyPostgresMigration(ctx context.Context, db *sql.DB, m migration, latest int, now func() time.Time) (bool, int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, 0, fmt.Errorf("migration %s: begin: %w", m.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLockKey); err != nil {
		return false, 0, fmt.Errorf("migration %s: lock: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return false, 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	var newest sql.NullInt64
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT max(version), count(*) FILTER (WHERE version = $1) FROM schema_migrations`,
		m.version).Scan(&newest, &n); err != nil {
		return false, 0, fmt.Errorf("read schema version: %w", err)
	}
	if n > 0 || int(newest.Int64) > latest {
		return false, int(newest.Int64), nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, 0, fmt.Errorf("migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
		m.version, now().UnixMilli()); err != nil {
		return false, 0, fmt.Errorf("migration %s: record: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, 0, fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return true, int(newest.Int64), nil
}

// pgErrorCode is the SQLSTATE of a PostgreSQL error, or "".
func pgErrorCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
