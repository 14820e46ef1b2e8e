package main

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"switchboard/inbox"
	"switchboard/store"
	"switchboard/store/pgtest"
)

// postgresSchemaURL makes a new, empty schema in the PostgreSQL database
// SWITCHBOARD_TEST_POSTGRES names, dropped when t ends, and returns the URL
// whose connections use it, with password as its password (the test
// cluster trusts local connections and ignores it). Without the variable
// the test is skipped, unless CI=true.
func postgresSchemaURL(t *testing.T, password string) string {
	t.Helper()
	u, err := url.Parse(pgtest.NewSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

func pgTestDB(t *testing.T, u string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	return stdlib.OpenDB(*cfg)
}

// migrate-to-postgres copies a team's SQLite file into an empty
// PostgreSQL database, lists what it copied and says how to switch,
// without ever showing the URL's password; a second run into the same
// database is refused, as is a copy while a server uses the file.
func TestMigrateToPostgresCommand(t *testing.T) {
	const password = "pw-Zq81xLm"
	to := postgresSchemaURL(t, password)
	from := filepath.Join(t.TempDir(), "sb.db")
	db, err := store.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.CreateUser(ctx, &inbox.User{Email: "ana@example.com", Name: "Ana", Role: inbox.RoleAdmin, Active: true}); err != nil {
		t.Fatal(err)
	}
	addToken(t, db, "crm")
	db.Close()

	code, out, errOut := runCmd(t, nil, "", "migrate-to-postgres", "--from", from, "--to", to)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{"users", "api_tokens", "SWITCHBOARD_DB=" + store.RedactDSN(to), "Keep " + from + " as a backup"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, password) {
		t.Errorf("the output shows the password:\n%s%s", out, errOut)
	}
	check := pgTestDB(t, to)
	defer check.Close()
	var email string
	if err := check.QueryRowContext(ctx, `SELECT email FROM users`).Scan(&email); err != nil || email != "ana@example.com" {
		t.Errorf("PostgreSQL holds user %q (%v)", email, err)
	}

	code, _, errOut = runCmd(t, nil, "", "migrate-to-postgres", "--from", from, "--to", to)
	if code != 1 || !strings.Contains(errOut, "is not empty") || strings.Contains(errOut, password) {
		t.Errorf("a second copy into the same database: exit %d, stderr %s", code, errOut)
	}

	release, err := store.LockServing(from)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	code, _, errOut = runCmd(t, nil, "", "migrate-to-postgres", "--from", from, "--to", postgresSchemaURL(t, password))
	if code != 1 || !strings.Contains(errOut, "in use by a Switchboard server") {
		t.Errorf("a copy while a server uses the file: exit %d, stderr %s", code, errOut)
	}

	missing := filepath.Join(t.TempDir(), "typo", "sb.db")
	if code, _, errOut := runCmd(t, nil, "", "migrate-to-postgres", "--from", missing, "--to", to); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("--from a file that does not exist: exit %d, stderr %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("--from a file that does not exist made its folder: %v", err)
	}
	if code, _, _ := runCmd(t, nil, "", "migrate-to-postgres", "--from", from, "--to", from); code != 2 {
		t.Errorf("--to a file path: exit %d, want 2", code)
	}
}

// backup and restore on a PostgreSQL database say to use pg_dump and
// pg_restore, with the command lines for that database (password left
// out), and write nothing.
func TestBackupOnPostgresNamesPgDump(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	dsn := "postgres://switchboard:pw-Zq81xLm@db.internal:5433/switchboard?sslmode=require&search_path=team1"
	vars := map[string]string{"SWITCHBOARD_DB": dsn}
	code, out, errOut := runCmd(t, vars, "", "backup", "nightly.dump")
	want := "pg_dump --format=custom --file=nightly.dump --schema=team1 --dbname='postgres://switchboard@db.internal:5433/switchboard?sslmode=require'"
	if code != 1 || !strings.Contains(errOut, want) || strings.Contains(out+errOut, "pw-Zq81xLm") || strings.Contains(errOut, "SQLite error") {
		t.Errorf("backup on PostgreSQL: exit %d, stdout %q, stderr:\n%s\nwant it to name: %s", code, out, errOut, want)
	}
	code, _, errOut = runCmd(t, vars, "", "restore", "nightly.dump")
	if code != 1 || !strings.Contains(errOut, "pg_restore --exit-on-error --single-transaction --dbname='postgres://switchboard@db.internal:5433/switchboard?sslmode=require' nightly.dump") ||
		strings.Contains(errOut, "pw-Zq81xLm") {
		t.Errorf("restore on PostgreSQL: exit %d, stderr:\n%s", code, errOut)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("backup and restore on PostgreSQL left %d files in the folder (%s ...)", len(entries), entries[0].Name())
	}
}

// A server on PostgreSQL keeps its files (the attachments key, media) in
// ./data or systemd's state folder, never in a folder named after the
// database's URL.
func TestLocalDataDirOnPostgres(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	got, err := localDataDir("postgres://sb:pw@db.internal:5432/switchboard", envFrom(nil))
	if err != nil || got != "data" {
		t.Fatalf("localDataDir = %q, %v", got, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "data")); err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
		t.Errorf("./data: %v %v", st, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the working folder holds %d entries, want data only", len(entries))
	}
	if got, _ := localDataDir("/var/lib/switchboard/switchboard.db", envFrom(nil)); got != "/var/lib/switchboard" {
		t.Errorf("SQLite's data folder = %q", got)
	}
	// Under systemd, the service's state folder.
	state := filepath.Join(dir, "state")
	if got, err := localDataDir("postgres://db.internal/switchboard", envFrom(map[string]string{"STATE_DIRECTORY": state})); err != nil || got != state {
		t.Errorf("with STATE_DIRECTORY: %q, %v", got, err)
	}
}

// migrate-to-postgres --from a folder (the data folder, not its file)
// says so in one line naming the flag, and leaves nothing beside it.
func TestMigrateToPostgresFromAFolder(t *testing.T) {
	parent := t.TempDir()
	folder := filepath.Join(parent, "data")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, nil, "", "migrate-to-postgres", "--from", folder, "--to", "postgres://sb@127.0.0.1:1/sb")
	if code != 1 || !strings.Contains(errOut, "--from "+folder+" is a folder") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("--from a folder: exit %d, stderr %q", code, errOut)
	}
	for _, dir := range []string{parent, folder} {
		if names, _ := os.ReadDir(dir); len(names) != map[string]int{parent: 1, folder: 0}[dir] {
			t.Errorf("%s holds %v after the refusal", dir, names)
		}
	}
	// A file that is not a database (a backup's log, a config file) too.
	notes := filepath.Join(folder, "notes.txt")
	if err := os.WriteFile(notes, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCmd(t, nil, "", "migrate-to-postgres", "--from", notes, "--to", "postgres://sb@127.0.0.1:1/sb")
	if code != 1 || !strings.Contains(errOut, "--from "+notes+" is not a SQLite database") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("--from a text file: exit %d, stderr %q", code, errOut)
	}
	if names, _ := os.ReadDir(folder); len(names) != 1 {
		t.Errorf("%s holds %v after the refusal", folder, names)
	}
}
