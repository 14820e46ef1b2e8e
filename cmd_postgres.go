package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"switchboard/store"
)

// migrateToPostgres copies the SQLite database FILE into the empty
// PostgreSQL database URL and says how to switch to it. The SQLite file is
// only read, and no server may be using it meanwhile: what it took after
// the copy began would be lost.
func (e env) migrateToPostgres(ctx context.Context, args []string) error {
	fs := e.newFlags("migrate-to-postgres")
	from := fs.String("from", "", "the SQLite database file to copy (it is only read)")
	to := fs.String("to", "", "the empty PostgreSQL database to copy it into, as a postgres:// URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError("migrate-to-postgres takes no arguments, only --from FILE --to URL")
	case *from == "" || *to == "":
		return usageError("migrate-to-postgres needs --from FILE and --to URL")
	case store.IsPostgresURL(*from):
		return usageError("--from is the SQLite file to copy, not a postgres:// URL")
	case !store.IsPostgresURL(*to):
		return usageError("--to must be a postgres:// URL, not %q", store.RedactDSN(*to))
	}
	where := store.RedactDSN(*to)
	if fi, err := os.Stat(*from); err != nil {
		return fmt.Errorf("migrate-to-postgres: --from %s: %w", *from, err)
	} else if fi.IsDir() {
		return fmt.Errorf("migrate-to-postgres: --from %s is a folder: name the SQLite database file, such as %s",
			*from, filepath.Join(*from, "switchboard.db"))
	}
	if !isSQLiteFile(*from) {
		return fmt.Errorf("migrate-to-postgres: --from %s is not a SQLite database: name the server's database file (its SWITCHBOARD_DB)", *from)
	}
	// No server may take webhooks into the file while it is copied.
	release, err := store.LockServing(*from)
	if err != nil {
		return fmt.Errorf("migrate-to-postgres refused: %w; stop it first", err)
	}
	defer release()

	start := time.Now()
	fmt.Fprintf(e.stdout, "copying %s to %s\n", *from, where)
	rep, err := store.CopyToPostgres(ctx, *from, *to, store.CopyOptions{})
	if err != nil {
		return fmt.Errorf("migrate-to-postgres: %w", err)
	}
	fmt.Fprintf(e.stdout, "%-28s %12s\n", "table", "rows")
	for _, t := range rep.Tables {
		if t.Rows > 0 {
			fmt.Fprintf(e.stdout, "%-28s %12d\n", t.Name, t.Rows)
		}
	}
	fmt.Fprintf(e.stdout, "copied %d tables (%d rows) in %s: each holds as many rows on PostgreSQL as in the SQLite file\n",
		len(rep.Tables), rep.Rows(), time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "not copied: %d SQLite tables of search indexes and schema bookkeeping, which PostgreSQL builds itself\n", len(rep.Skipped))
	fmt.Fprintf(e.stdout, `
To switch:
  1. keep Switchboard stopped,
  2. set SWITCHBOARD_DB=%s (with its password, or give it in PGPASSWORD),
  3. start Switchboard: every process behind your load balancer uses that URL.
Keep %s as a backup: Switchboard no longer writes to it. Back up PostgreSQL with pg_dump from now on.
`, where, *from)
	return nil
}

// postgresBackupError is backup's answer when SWITCHBOARD_DB names a
// PostgreSQL database: PostgreSQL's own tool copies it.
func postgresBackupError(dsn, file string) error {
	return fmt.Errorf("SWITCHBOARD_DB is a PostgreSQL database: switchboard backup copies SQLite files only; "+
		"back PostgreSQL up with pg_dump (the password from PGPASSWORD or ~/.pgpass):\n  %s",
		pgDumpCommand(dsn, file))
}

// postgresRestoreError is restore's answer for a PostgreSQL database.
func postgresRestoreError(dsn, file string) error {
	return fmt.Errorf("SWITCHBOARD_DB is a PostgreSQL database: switchboard restore puts back SQLite files only; "+
		"restore a pg_dump file with pg_restore into an empty database:\n  %s",
		pgRestoreCommand(dsn, file))
}

// pgDumpCommand is the pg_dump command line that writes the database dsn
// to file, in pg_dump's custom format; the password is left out.
func pgDumpCommand(dsn, file string) string {
	conn, schema := libpqURL(dsn)
	cmd := "pg_dump --format=custom --file=" + shellQuote(file)
	if schema != "" {
		cmd += " --schema=" + shellQuote(schema)
	}
	return cmd + " --dbname=" + shellQuote(conn)
}

// pgRestoreCommand is the pg_restore command line that loads file into
// the database dsn; the password is left out.
func pgRestoreCommand(dsn, file string) string {
	conn, _ := libpqURL(dsn)
	return "pg_restore --exit-on-error --single-transaction --dbname=" + shellQuote(conn) + " " + shellQuote(file)
}

// libpqURL is dsn without its password, as PostgreSQL's own tools read it:
// search_path, which only Switchboard's driver takes in the URL, comes
// back apart (its first schema).
func libpqURL(dsn string) (conn, schema string) {
	conn = store.RedactDSN(dsn)
	u, err := url.Parse(conn)
	if err != nil {
		return conn, ""
	}
	q := u.Query()
	if sp := q.Get("search_path"); sp != "" {
		schema, _, _ = strings.Cut(sp, ",")
		schema = strings.TrimSpace(schema)
		q.Del("search_path")
		u.RawQuery = q.Encode()
	}
	return u.String(), schema
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@=,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// localDataDir is the folder of the files a server keeps beside its
// database: the attachments key, media, uploaded files. A SQLite
// database's folder; with PostgreSQL, the state folder systemd gives the
// service ($STATE_DIRECTORY) or else ./data (made here, 0700). Every
// process behind one balancer needs the same attachments key there.
func localDataDir(dsn string, getenv func(string) string) (string, error) {
	if !store.IsPostgresURL(dsn) {
		return filepath.Dir(dsn), nil
	}
	dir := "data"
	if sd, _, _ := strings.Cut(getenv("STATE_DIRECTORY"), ":"); sd != "" {
		dir = sd
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the data folder %s: %w", dir, err)
	}
	return dir, nil
}

// isSQLiteFile reports whether the file at path starts as every SQLite
// database does; one that does not is refused before anything is
// written beside it.
func isSQLiteFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 16)
	if _, err := io.ReadFull(f, head); err != nil {
		return false
	}
	return string(head) == "SQLite format 3\x00"
}
