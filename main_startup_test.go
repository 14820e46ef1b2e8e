package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/store"
)

// sqliteTables lists the tables of the SQLite file at path and its
// journal mode, through a plain connection that changes neither.
func sqliteTables(t *testing.T, path string) (tables []string, journal string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&journal); err != nil {
		t.Fatal(err)
	}
	return tables, journal
}

// TestCommandsRefuseAnotherApplicationsDatabase: SWITCHBOARD_DB naming a
// SQLite file of another application (a typo, a wrong folder) stops
// serve and the one-off commands with one line, and leaves that file as
// it was: no Switchboard table is added to it, its journal mode is kept.
func TestCommandsRefuseAnotherApplicationsDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grafana.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE dashboard (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO dashboard (title) VALUES ('home')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	vars := map[string]string{"SWITCHBOARD_DB": path, "SWITCHBOARD_ADDR": "127.0.0.1:0"}
	for _, args := range [][]string{{"serve"}, {"token", "list"}, {"user", "add", "--email", "ana@example.com", "--name", "Ana"}} {
		// A serve that wrongly starts stops after a while instead of
		// holding the test up.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var out, stderr bytes.Buffer
		code := run(ctx, args, strings.NewReader("correct horse battery\n"), &out, &stderr, envFrom(vars))
		cancel()
		errOut := stderr.String()
		if i := strings.LastIndex(errOut, "\n{"); i >= 0 { // a started server's log
			errOut = "(log lines)" + errOut[strings.LastIndex(errOut, "}\n")+2:]
		}
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "switchboard: SWITCHBOARD_DB="+path+": ") ||
			!strings.Contains(lines[0], "not a Switchboard database") {
			t.Errorf("%q: exit %d, stderr %q; want 1 and one line saying it is not a Switchboard database", args, code, errOut)
		}
	}
	if tables, journal := sqliteTables(t, path); !slices.Equal(tables, []string{"dashboard"}) || journal != "delete" {
		t.Errorf("the other application's database now has tables %q, journal mode %s; want only [dashboard], delete", tables, journal)
	}
}

// TestDamagedOrReadOnlyDatabaseSaysWhatToDo: a database file cut short (a
// disk that failed, a copy that did not finish), a folder this user
// cannot write, or a write lock another program keeps stops serve and the
// one-off commands with one line that says what is wrong and what to do,
// not SQLite's code alone.
func TestDamagedOrReadOnlyDatabaseSaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sb.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	addToken(t, db, "kept")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, want ...string) {
		t.Helper()
		vars := map[string]string{"SWITCHBOARD_DB": path, "SWITCHBOARD_ADDR": "127.0.0.1:0"}
		for _, args := range [][]string{{"serve"}, {"token", "list"}} {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			var out, stderr bytes.Buffer
			code := run(ctx, args, strings.NewReader(""), &out, &stderr, envFrom(vars))
			cancel()
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			ok := code == 1 && len(lines) == 1 && strings.HasPrefix(lines[0], "switchboard: SWITCHBOARD_DB="+path+": ")
			for _, w := range want {
				ok = ok && strings.Contains(lines[0], w)
			}
			if !ok {
				t.Errorf("%s, %q: exit %d, stderr %q; want 1 and one line saying %q", name, args, code, stderr.String(), want)
			}
		}
	}

	// Another program in a write transaction (a sqlite3 shell left
	// open) past the busy timeout.
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	other.SetMaxOpenConns(1)
	if _, err := other.Exec(`BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	check("locked by another program", "another program holds the database's write lock", "close it")
	other.Close()

	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	check("cut in half", "is damaged", "switchboard restore")

	if os.Geteuid() == 0 {
		t.Log("running as root, who writes any folder: the read-only folder is not tried")
		return
	}
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path+".lock", nil, 0o600) // serve's lock, left by an earlier run
	chmod(t, dir, 0o500)
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	check("read-only folder", "folder "+dir+" cannot be written")
}

// TestEmptiedDatabaseIsRefused: a database file cut to nothing (truncate,
// "> switchboard.db", a copy that failed) where a server has run (its
// files.key is beside it) stops serve and the one-off commands with one
// line saying so, instead of starting afresh on an empty inbox whose
// sign-up page makes its first visitor the admin. An empty file where no
// server ran yet (a first start that failed) is still a new database.
func TestEmptiedDatabaseIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sb.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	addToken(t, db, "kept")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "files.key"), make([]byte, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"SWITCHBOARD_DB": path, "SWITCHBOARD_ADDR": "127.0.0.1:0"}
	for _, args := range [][]string{{"serve"}, {"token", "list"}, {"user", "add", "--email", "ana@example.com", "--name", "Ana", "--admin"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var out, stderr bytes.Buffer
		code := run(ctx, args, strings.NewReader("correct horse battery\n"), &out, &stderr, envFrom(vars))
		cancel()
		lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
		if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "switchboard: SWITCHBOARD_DB="+path+": ") ||
			!strings.Contains(lines[0], "is empty") || !strings.Contains(lines[0], "switchboard restore") {
			if len(stderr.String()) > 600 {
				stderr.Truncate(600)
			}
			t.Errorf("%q: exit %d, stderr %q; want 1 and one line saying the database is empty and how to restore it", args, code, stderr.String())
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Errorf("the emptied file was written to (%v): a restore would have to set aside a new database", err)
	}
	if code, out, _ := runCmd(t, vars, "", "doctor"); code != 1 || !strings.Contains(out, "FAIL  database "+path+" is empty") {
		t.Errorf("doctor = %d; want 1 and the database named empty:\n%s", code, out)
	}

	// No server has run here: an empty file is a database to create.
	os.Remove(filepath.Join(dir, "files.key"))
	if code, _, errOut := runCmd(t, vars, "", "token", "list"); code != 0 {
		t.Errorf("token list on an empty file where no server ran: exit %d, %s", code, errOut)
	}
}

// TestServeOnAPortInUseStopsBeforeTheDatabase: serve started on a port
// another program holds (a server already running) stops at once with
// one line saying so and what to do, before it creates, opens or
// migrates the database.
func TestServeOnAPortInUseStopsBeforeTheDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	_, port, _ := net.SplitHostPort(held.Addr().String())
	dataDir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Env = append(os.Environ(), "SWITCHBOARD_ADDR="+held.Addr().String(), "SWITCHBOARD_DB="+filepath.Join(dataDir, "sb.db"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 || len(lines) != 1 ||
		!strings.HasPrefix(lines[0], "switchboard: port "+port+" is in use: ") || !strings.Contains(lines[0], "SWITCHBOARD_ADDR") {
		t.Errorf("serve on a port in use: %v, stderr:\n%s\nwant exit 1 and one line \"switchboard: port %s is in use: ...\" saying what to do", err, stderr.String(), port)
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the data folder %s was created (%v): the database was touched before the port was tried", dataDir, err)
	}
}
