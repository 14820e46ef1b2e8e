package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"switchboard/inbox"
)

// SchemaVersion is the highest schema version (migration) this binary
// knows. It reads only the embedded file names.
func SchemaVersion() int {
	names, _ := fs.Glob(embeddedMigrations, "*.sql")
	latest := 0
	for _, name := range names {
		num, _, _ := strings.Cut(path.Base(name), "_")
		if v, err := strconv.Atoi(num); err == nil && v > latest {
			latest = v
		}
	}
	return latest
}

// ErrNotSwitchboard is returned for a SQLite file that holds no
// Switchboard schema.
var ErrNotSwitchboard = errors.New("not a Switchboard database")

// openExisting opens the existing SQLite file at path read-only: it is
// neither created nor changed.
func openExisting(ctx context.Context, path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// FileSchemaVersion reads the schema version of the database file at
// path without changing it. A missing file is an error wrapping
// fs.ErrNotExist; a SQLite file without Switchboard's schema one wrapping
// ErrNotSwitchboard.
func FileSchemaVersion(ctx context.Context, path string) (int, error) {
	db, err := openExisting(ctx, path)
	if err != nil {
		return 0, fmt.Errorf("read schema version of %s: %w", path, err)
	}
	defer db.Close()
	return schemaVersionOf(ctx, db, path)
}

func schemaVersionOf(ctx context.Context, db *sql.DB, path string) (int, error) {
	var v sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	switch {
	case err != nil && strings.Contains(err.Error(), "no such table"):
		return 0, fmt.Errorf("%s: %w", path, ErrNotSwitchboard)
	case err != nil:
		return 0, fmt.Errorf("read schema version of %s: %w", path, err)
	case !v.Valid:
		return 0, fmt.Errorf("%s: no migration recorded: %w", path, ErrNotSwitchboard)
	}
	return int(v.Int64), nil
}

// FileCheck is what CheckFile found in a database file.
type FileCheck struct {
	SchemaVersion int
	// Problems are SQLite's integrity check messages; none when the file
	// is sound.
	Problems []string
}

// CheckFile checks the database file at path without changing it: SQLite's
// integrity_check (quick_check when quick, which skips comparing indexes
// to their tables), and its schema version. A file that is not a SQLite
// database at all is an error wrapping inbox.ErrInvalid.
func CheckFile(ctx context.Context, path string, quick bool) (FileCheck, error) {
	db, err := openExisting(ctx, path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return FileCheck{}, fmt.Errorf("check %s: %w", path, err)
		}
		return FileCheck{}, fmt.Errorf("check %s: not a readable SQLite database (%v): %w", path, err, inbox.ErrInvalid)
	}
	defer db.Close()
	pragma := `PRAGMA integrity_check(20)`
	if quick {
		pragma = `PRAGMA quick_check(20)`
	}
	rows, err := db.QueryContext(ctx, pragma)
	if err != nil {
		return FileCheck{}, fmt.Errorf("check %s: not a readable SQLite database (%v): %w", path, err, inbox.ErrInvalid)
	}
	var fc FileCheck
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return FileCheck{}, fmt.Errorf("check %s: %w", path, err)
		}
		for _, l := range strings.Split(line, "\n") {
			if l = strings.TrimSpace(l); l != "ok" && l != "" && !strings.HasPrefix(l, "*** ") {
				fc.Problems = append(fc.Problems, l)
			}
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return FileCheck{}, fmt.Errorf("check %s: not a readable SQLite database (%v): %w", path, err, inbox.ErrInvalid)
	}
	rows.Close()
	if len(fc.Problems) > 0 {
		return fc, nil
	}
	fc.SchemaVersion, err = schemaVersionOf(ctx, db, path)
	return fc, err
}

// codedError reads as its message and matches its code with errors.Is.
type codedError struct {
	msg  string
	code error
}

func (e *codedError) Error() string { return e.msg }
func (e *codedError) Unwrap() error { return e.code }

func coded(code error, format string, a ...any) error {
	return &codedError{msg: fmt.Sprintf(format, a...), code: code}
}

// refuseForeign refuses the SQLite file at path when it holds tables but
// no schema_migrations: another application's database (SWITCHBOARD_DB
// mistyped, or the wrong folder), which migrating would fill with
// Switchboard's tables. It reads through a connection without pragmas,
// which changes neither the file nor its journal mode. Litestream's own
// tables, which it adds to a database it replicates, do not count. A file it cannot
// read is left to the caller's own open, which says why.
func refuseForeign(ctx context.Context, path string) error {
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return nil
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout("+strconv.Itoa(busyTimeoutMs)+")")
	if err != nil {
		return nil
	}
	defer db.Close()
	var ours int
	var other sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'),
		(SELECT min(name) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'
			AND name NOT LIKE '\_litestream%' ESCAPE '\')`).Scan(&ours, &other); err != nil {
		return nil
	}
	if ours == 0 && other.Valid {
		return fmt.Errorf("it holds another application's tables (%s, ...) and no Switchboard schema, and is left as it is; "+
			"point SWITCHBOARD_DB at Switchboard's database or a new file: %w", other.String, ErrNotSwitchboard)
	}
	return nil
}

// explainOpen says what to do about SQLite's refusal of the database file
// at path, for the refusals an admin meets at start: a folder or a file
// this user cannot write, a damaged file, a lock another program holds.
// SQLite's own words stay at the end.
func explainOpen(path string, err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	if se.Code() == sqlite3.SQLITE_READONLY_DIRECTORY {
		return fmt.Errorf("its folder %s cannot be written by this user, and SQLite keeps %s-wal and -shm there; "+
			"give the folder to the user the server runs as: %w", filepath.Dir(path), filepath.Base(path), err)
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_READONLY:
		return fmt.Errorf("the file cannot be written by this user; give it (and its folder) to the user the server runs as: %w", err)
	case sqlite3.SQLITE_BUSY:
		return fmt.Errorf("another program holds the database's write lock and did not let go within %d s "+
			"(a sqlite3 shell or a tool left in a transaction?); close it and start again: %w", busyTimeoutMs/1000, err)
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("the file is damaged, or not a SQLite database; "+
			"put the latest backup in its place with switchboard restore FILE (switchboard doctor says more): %w", err)
	}
	return err
}

// LeaveAsFound notes whether the SQLite file at path has its -wal and -shm
// beside it and returns a function to call once done reading it: a
// read-only connection to a database in WAL mode makes both files and,
// as it cannot fold the WAL back, leaves them when it closes. When they
// were not there before and are now, the function opens the file once
// more and closes it as a server does: being the last connection, SQLite
// folds the (empty) WAL back and deletes both. A server that runs
// meanwhile keeps them, as its connections are still open.
func LeaveAsFound(path string) (done func()) {
	absent := func() bool {
		_, errWAL := os.Stat(path + "-wal")
		_, errSHM := os.Stat(path + "-shm")
		return errors.Is(errWAL, fs.ErrNotExist) && errors.Is(errSHM, fs.ErrNotExist)
	}
	if IsPostgresURL(path) || !absent() {
		return func() {}
	}
	return func() {
		if absent() {
			return
		}
		db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)")
		if err != nil {
			return
		}
		var v int
		db.QueryRow(`PRAGMA schema_version`).Scan(&v)
		db.Close()
	}
}
