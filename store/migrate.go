package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"switchboard/migrations"
)

// migrationSource is a folder of NNNN_name.sql files.
type migrationSource = fs.FS

var embeddedMigrations migrationSource = migrations.FS

// withMigrations replaces the embedded migrations, for tests.
func withMigrations(src migrationSource) Option { return func(o *options) { o.migrationSource = src } }

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the NNNN_name.sql files of src in order of NNNN.
func loadMigrations(src migrationSource) ([]migration, error) {
	names, err := fs.Glob(src, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var out []migration
	for _, name := range names {
		num, _, ok := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: the name must start with a version number and '_'", name)
		}
		body, err := fs.ReadFile(src, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// migrate applies the migrations of src that db lacks, in order, each in
// one transaction recorded in schema_migrations; a database that lacks
// none is only read. It refuses a database that
// has a version this binary does not know: it was written by a newer
// Switchboard, and an older one could damage it.
func migrate(ctx context.Context, db *sql.DB, src migrationSource, now func() time.Time) error {
	return migrateLogged(ctx, db, src, now, slog.New(slog.DiscardHandler))
}

// migrateLogged is migrate, reporting long steps to log.
func migrateLogged(ctx context.Context, db *sql.DB, src migrationSource, now func() time.Time, log *slog.Logger) error {
	ms, err := loadMigrations(src)
	if err != nil {
		return err
	}
	applied, newest, err := appliedMigrations(ctx, db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
	if err != nil {
		return err
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	if newest > latest {
		return fmt.Errorf("the database has schema version %d but this binary knows only up to %d: "+
			"it was written by a newer Switchboard; run that version or restore a backup", newest, latest)
	}
	missing := slices.DeleteFunc(ms, func(m migration) bool { return applied[m.version] })
	if len(missing) == 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range missing {
		if err := applyMigration(ctx, db, m, now, log); err != nil {
			return err
		}
	}
	return nil
}

// appliedMigrations reads, without a write lock, the versions recorded in
// schema_migrations and the newest of them; none when exists (a query
// naming the table when it is there) finds no table. A database that is
// up to date is then opened without a write transaction; each missing
// migration is checked again inside its own.
func appliedMigrations(ctx context.Context, db *sql.DB, exists string) (map[int]bool, int, error) {
	applied := map[int]bool{}
	var name sql.NullString
	if err := db.QueryRowContext(ctx, exists).Scan(&name); errors.Is(err, sql.ErrNoRows) || err == nil && !name.Valid {
		return applied, 0, nil
	} else if err != nil {
		return nil, 0, fmt.Errorf("read schema version: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, 0, fmt.Errorf("read schema version: %w", err)
	}
	defer rows.Close()
	newest := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, 0, fmt.Errorf("read schema version: %w", err)
		}
		applied[v] = true
		newest = max(newest, v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read schema version: %w", err)
	}
	return applied, newest, nil
}

// applyMigration applies m unless it is recorded already. The check runs
// again inside the write transaction, so two processes opening the same
// file at once, both having found m missing, apply it once.
func applyMigration(ctx context.Context, db *sql.DB, m migration, now func() time.Time, log *slog.Logger) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: begin: %w", m.name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if step := migrationSteps[m.name]; step != nil {
		if err := step(ctx, tx, log); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, now().UnixMilli()); err != nil {
		return fmt.Errorf("migration %s: record: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return nil
}

// migrationSteps is work a migration's SQL leaves to Go, by file name,
// done in the migration's transaction after its SQL: filling a new index
// over what is stored, which on a large database takes minutes and so
// reports its progress.
var migrationSteps = map[string]func(ctx context.Context, tx *sql.Tx, log *slog.Logger) error{
	"0015_search.sql": func(ctx context.Context, tx *sql.Tx, log *slog.Logger) error {
		for _, ix := range []searchFill{
			{"messages_fts", "search_message_docs", "body"},
			{"messages_tri", "search_message_docs", "body"},
			{"contacts_fts", "search_contact_docs", "name, phone"},
			{"contacts_tri", "search_contact_docs", "name, phone"},
		} {
			if err := ix.fill(ctx, tx, log); err != nil {
				return err
			}
		}
		return nil
	},
	"0025_opening_hours.sql": packAllOpeningHours,
	"0020_contacts.sql": func(ctx context.Context, tx *sql.Tx, log *slog.Logger) error {
		for _, ix := range []searchFill{
			{"contacts_fts", "search_contact_docs", "name, phone, notes"},
			{"contacts_tri", "search_contact_docs", "name, phone, notes"},
		} {
			if err := ix.fill(ctx, tx, log); err != nil {
				return err
			}
		}
		return nil
	},
}

// searchFillBatch is how many rows a search index takes in one statement
// while it is filled; searchFillReport, how often the log hears of it.
var (
	searchFillBatch  int64 = 50_000
	searchFillReport       = 2 * time.Second
)

// searchFill is an FTS5 index to fill from its content view.
type searchFill struct {
	table, view, cols string
}

// fill indexes every row of the view, a batch of ids at a time, and logs
// how far it is: at the start, every searchFillReport, and at the end.
func (f searchFill) fill(ctx context.Context, tx *sql.Tx, log *slog.Logger) error {
	var lo, hi, total sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT min(id), max(id), count(*) FROM `+f.view).Scan(&lo, &hi, &total); err != nil {
		return fmt.Errorf("index %s: %w", f.table, err)
	}
	if total.Int64 == 0 {
		return nil
	}
	start := time.Now()
	last := start
	log.Info("search index: building", "index", f.table, "rows", total.Int64)
	done := int64(0)
	for from := lo.Int64; from <= hi.Int64; from += searchFillBatch {
		res, err := tx.ExecContext(ctx, `INSERT INTO `+f.table+` (rowid, `+f.cols+`)
			SELECT id, `+f.cols+` FROM `+f.view+` WHERE id >= ? AND id < ?`, from, from+searchFillBatch)
		if err != nil {
			return fmt.Errorf("index %s: %w", f.table, err)
		}
		n, _ := res.RowsAffected()
		done += n
		if time.Since(last) >= searchFillReport {
			last = time.Now()
			log.Info("search index: building", "index", f.table, "rows_done", done, "rows", total.Int64,
				"percent", done*100/total.Int64)
		}
	}
	log.Info("search index: built", "index", f.table, "rows", done, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}
