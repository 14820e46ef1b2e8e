package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"switchboard/inbox"
)

// Backups and restores work on the database file from outside: they never
// open the store (no migrations, no writer), so a running server goes on
// taking webhooks meanwhile, and a backup or restore that is killed halfway
// leaves nothing at the path it was writing.

// Backup writes a consistent copy of the database at path to the file
// dest, which must not exist yet. It reads from one read transaction on a
// read-only connection, which WAL lets run beside the server's writer,
// into a temporary file next to dest; checks the copy's integrity, syncs
// it to disk and only then gives it its name (0600, readable by this user
// only). An interrupted backup leaves no file at dest.
func Backup(ctx context.Context, path, dest string) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("backup to %s: %w", dest, err)
		}
	}()
	if fi, err := os.Lstat(dest); err == nil {
		if fi.IsDir() {
			return coded(inbox.ErrInvalid, "that is a folder; name a new file in it")
		}
		return errBackupExists
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database to copy: %w", err)
	}
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	tmp, err := tempFileIn(dir, filepath.Base(dest))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()

	src, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return err
	}
	defer src.Close()
	src.SetMaxOpenConns(1)
	// VACUUM INTO writes the copy from one read transaction into the
	// empty temporary file, which keeps its mode.
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if _, err := CheckBackup(ctx, tmp); err != nil {
		return fmt.Errorf("the copy is not sound: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	// A link gives the copy its name only if nothing took it meanwhile.
	if err := os.Link(tmp, dest); err != nil {
		if errors.Is(err, os.ErrExist) {
			return errBackupExists
		}
		return fmt.Errorf("name the copy: %w", err)
	}
	os.Remove(tmp)
	return syncDir(dir)
}

// errBackupExists refuses a backup onto a file: it is never replaced.
var errBackupExists = coded(inbox.ErrConflict, "the file exists already; name a new file")

// Backup writes a consistent copy of the live database to dest (see the
// function Backup).
func (db *DB) Backup(ctx context.Context, dest string) error {
	if db.dialect.postgres {
		return coded(inbox.ErrInvalid, "backup to %s: Switchboard backs up SQLite files only: "+
			"a PostgreSQL database is backed up with pg_dump, scheduled beside it (README, More than one machine)", dest)
	}
	return Backup(ctx, db.path, dest)
}

// CheckBackup checks that the file at path is a sound Switchboard database
// this binary can open: SQLite's integrity check passes and its schema
// version is one this binary knows (an older one is upgraded on start). It
// returns that version.
func CheckBackup(ctx context.Context, path string) (version int, err error) {
	fc, err := CheckFile(ctx, path, false)
	switch {
	case errors.Is(err, ErrNotSwitchboard):
		return 0, coded(inbox.ErrInvalid, "%s is not a Switchboard database (no schema version)", path)
	case errors.Is(err, inbox.ErrInvalid):
		return 0, coded(inbox.ErrInvalid, "%s is not a SQLite database", path)
	case err != nil:
		return 0, err
	case len(fc.Problems) > 0:
		more := ""
		if n := len(fc.Problems) - 1; n > 0 {
			more = fmt.Sprintf(", and %d more", n)
		}
		return 0, coded(inbox.ErrInvalid, "%s fails the integrity check: %s%s", path, fc.Problems[0], more)
	case fc.SchemaVersion > SchemaVersion():
		return 0, coded(inbox.ErrInvalid, "%s has schema version %d but this binary knows only up to %d: restore it with the Switchboard that wrote it",
			path, fc.SchemaVersion, SchemaVersion())
	}
	return fc.SchemaVersion, nil
}

// CheckRestore checks that src is a backup Restore can put in place of
// the database at path: a file, not that database itself, and sound
// (CheckBackup). It changes nothing.
func CheckRestore(ctx context.Context, src, path string) error {
	fi, err := os.Stat(src)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return coded(inbox.ErrNotFound, "there is no such file")
	case err == nil && fi.IsDir():
		return coded(inbox.ErrInvalid, "that is a folder, not a backup")
	}
	if db, derr := os.Stat(path); err == nil && derr == nil && os.SameFile(fi, db) {
		return coded(inbox.ErrInvalid, "that is the database itself; name a backup of it")
	}
	_, err = CheckBackup(ctx, src)
	return err
}

// Restore puts the backup at src in place of the database at path, which
// no process may have open: it is refused while a server (or any other
// connection) uses it. The database it replaces, with everything its WAL
// held, is kept beside it as path.replaced-<time>; that name is returned
// ("" when there was no database). src is checked first (CheckBackup) and
// copied, so it stays as it was.
func Restore(ctx context.Context, src, path string, now time.Time) (aside string, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("restore %s: %w", src, err)
		}
	}()
	if err := CheckRestore(ctx, src, path); err != nil {
		return "", err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create folder: %w", err)
	}
	tmp, err := tempFileIn(dir, filepath.Base(path))
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := copyInto(ctx, src, tmp); err != nil {
		return "", err
	}

	if _, err := os.Stat(path); err == nil {
		// Lock the database for this connection alone: it fails at once
		// if any other connection has it open. Holding the lock, fold
		// the WAL into the file and leave WAL mode, so that the file set
		// aside is whole by itself.
		live, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)&_pragma=locking_mode(EXCLUSIVE)")
		if err != nil {
			return "", err
		}
		defer live.Close()
		live.SetMaxOpenConns(1)
		var mode string
		if err := live.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode); err != nil {
			if strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "busy") {
				return "", fmt.Errorf("the database %s is in use (is Switchboard running?): stop it first: %w", path, inbox.ErrConflict)
			}
			return "", fmt.Errorf("lock the database: %w", err)
		}
		if mode != "delete" {
			return "", fmt.Errorf("the database %s is in use (is Switchboard running?): stop it first: %w", path, inbox.ErrConflict)
		}
		aside = asideName(path, now)
		if err := os.Rename(path, aside); err != nil {
			return "", fmt.Errorf("set the database aside: %w", err)
		}
		os.Remove(path + "-shm") // left by the last server; we hold the only lock
	}
	if err := os.Rename(tmp, path); err != nil {
		return aside, fmt.Errorf("put the backup in place: %w", err)
	}
	return aside, syncDir(dir)
}

// asideName is the name the database at path is kept under when a
// restore replaces it: path.replaced-<time>, with -2, -3... after it when
// an earlier restore within the same second took that name.
func asideName(path string, now time.Time) string {
	base := path + ".replaced-" + now.UTC().Format("20060102T150405Z")
	name := base
	for n := 2; ; n++ {
		if _, err := os.Lstat(name); errors.Is(err, os.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, n)
	}
}

// copyInto writes a copy of the database at src into the empty file dst
// and syncs it.
func copyInto(ctx context.Context, src, dst string) error {
	db, err := sql.Open("sqlite", readOnlyDSN(src))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	return syncFile(dst)
}

// readOnlyDSN opens the database at path for reading only; it never
// creates or changes it.
func readOnlyDSN(path string) string {
	return "file:" + path + "?mode=ro&_pragma=busy_timeout(" + fmt.Sprint(busyTimeoutMs) + ")"
}

// tempFileIn creates an empty file (0600) in dir whose name says what it
// will become, and returns its path.
func tempFileIn(dir, base string) (string, error) {
	f, err := os.CreateTemp(dir, "."+base+".partial-*")
	if err != nil {
		return "", fmt.Errorf("create temporary file: %w", err)
	}
	name := f.Name()
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// syncFile flushes the file at path to the disk.
func syncFile(path string) error { return syncPath(path, (*os.File).Sync) }

// syncPath opens the file at path and flushes it to the disk with sync.
func syncPath(path string, sync func(*os.File) error) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := sync(f); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

// syncDir flushes dir's entries (a new name) to the disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}
