package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/store"
)

// tokenNames opens the database at path and lists its API tokens' names.
func tokenNames(t *testing.T, path string) []string {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ts, err := db.APITokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tok := range ts {
		names = append(names, tok.Name)
	}
	slices.Sort(names)
	return names
}

func addToken(t *testing.T, db *store.DB, name string) {
	t.Helper()
	if err := db.CreateAPIToken(context.Background(), &inbox.APIToken{Name: name, Hash: "hash-" + name, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// backedUp makes a database holding the token "before", backs it up to
// the returned file, then adds "after" to the database and leaves it open
// (so its write-ahead log holds the latest commit) until the test ends.
func backedUp(t *testing.T, dbPath string) string {
	t.Helper()
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	addToken(t, db, "before")
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	addToken(t, db, "after")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return backup
}

// TestRestoreMovesAStaleLogAside: a log left beside the old database (its
// server died) goes with the replaced file, never onto the restored one.
func TestRestoreMovesAStaleLogAside(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	backup := backedUp(t, dbPath)
	// What a killed server leaves: a log with the last commits in it.
	// Here it is fabricated by copying a live log before a clean close.
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	addToken(t, db, "in-log")
	wal, err := os.ReadFile(dbPath + "-wal")
	if err != nil || len(wal) == 0 {
		t.Fatalf("no log while the database is open: %v", err)
	}
	main, _ := os.ReadFile(dbPath)
	db.Close()
	// Put back the file and log as they were before the close.
	os.WriteFile(dbPath, main, 0o600)
	os.WriteFile(dbPath+"-wal", wal, 0o600)

	if code, out, errOut := runCmd(t, map[string]string{"SWITCHBOARD_DB": dbPath}, "", "restore", backup); code != 0 {
		t.Fatalf("restore = %d %q %q", code, out, errOut)
	}
	if got := tokenNames(t, dbPath); strings.Join(got, ",") != "before" {
		t.Errorf("restored database has tokens %v, want [before]", got)
	}
	asides, _ := filepath.Glob(dbPath + ".replaced-*")
	for _, a := range asides {
		if strings.HasSuffix(a, "-wal") || strings.HasSuffix(a, "-shm") {
			continue
		}
		if got := tokenNames(t, a); strings.Join(got, ",") != "after,before,in-log" {
			t.Errorf("the replaced file has tokens %v, want its log's commit too", got)
		}
	}
}

func TestRestoreRefusals(t *testing.T) {
	t.Run("running server", func(t *testing.T) {
		dbPath := filepath.Join(t.TempDir(), "sb.db")
		backup := backedUp(t, dbPath)
		junk := filepath.Join(t.TempDir(), "junk.db")
		os.WriteFile(junk, []byte(strings.Repeat("not sqlite\n", 1000)), 0o600)
		missing := filepath.Join(t.TempDir(), "missing.db")
		c := startChild(t, buildBinary(t), dbPath)
		code, _, errOut := runCmd(t, map[string]string{"SWITCHBOARD_DB": dbPath}, "", "restore", backup)
		// A backup that would not restore says so first: the server is
		// not stopped for nothing.
		var refusals []string
		for _, bad := range []string{junk, missing} {
			_, _, badOut := runCmd(t, map[string]string{"SWITCHBOARD_DB": dbPath}, "", "restore", bad)
			refusals = append(refusals, badOut)
		}
		c.cmd.Process.Signal(syscall.SIGTERM)
		c.wait()
		if code != 1 || !strings.Contains(errOut, "the database "+dbPath+" is in use by a Switchboard server") || strings.Count(errOut, "\n") != 1 ||
			!strings.Contains(errOut, "stop it first (the backup "+backup+" passes the checks)") {
			t.Errorf("restore under a server = %d %q", code, errOut)
		}
		for i, want := range []string{"switchboard: restore " + junk + ": " + junk + " is not a SQLite database\n",
			"switchboard: restore " + missing + ": there is no such file\n"} {
			if refusals[i] != want {
				t.Errorf("restore of a bad backup under a server: %q, want %q", refusals[i], want)
			}
		}
		if got := tokenNames(t, dbPath); strings.Join(got, ",") != "after,before" {
			t.Errorf("database changed: %v", got)
		}
	})
	t.Run("second server", func(t *testing.T) {
		dbPath := filepath.Join(t.TempDir(), "sb.db")
		c := startChild(t, buildBinary(t), dbPath)
		defer func() {
			c.cmd.Process.Signal(syscall.SIGTERM)
			c.wait()
		}()
		code, _, errOut := runCmd(t, map[string]string{"SWITCHBOARD_DB": dbPath, "SWITCHBOARD_ADDR": "127.0.0.1:0"}, "", "serve")
		if code != 1 || !strings.Contains(errOut, "is in use by a Switchboard server") {
			t.Errorf("second server = %d %q", code, errOut)
		}
	})
	cases := []struct {
		name string
		make func(t *testing.T, backup string)
		want string
	}{
		{"newer schema", func(t *testing.T, backup string) {
			db, err := sql.Open("sqlite", backup)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, store.SchemaVersion()+1); err != nil {
				t.Fatal(err)
			}
		}, "but this binary knows only up to"},
		{"damaged table", func(t *testing.T, backup string) {
			db, err := sql.Open("sqlite", backup)
			if err != nil {
				t.Fatal(err)
			}
			var root int
			err = db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = 'api_tokens'`).Scan(&root)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(backup)
			if err != nil {
				t.Fatal(err)
			}
			// The schema still reads; the tokens' page claims cells it
			// does not have.
			page := (root - 1) * 4096
			b[page+3], b[page+4] = 0x00, 0x40
			os.WriteFile(backup, b, 0o600)
		}, "fails the integrity check: Tree "},
		{"not a database", func(t *testing.T, backup string) {
			os.WriteFile(backup, []byte(strings.Repeat("not sqlite\n", 1000)), 0o600)
		}, "is not a SQLite database"},
		{"another SQLite file", func(t *testing.T, backup string) {
			os.Remove(backup)
			db, err := sql.Open("sqlite", backup)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE notes (x)`); err != nil {
				t.Fatal(err)
			}
		}, "is not a Switchboard database"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dbPath := filepath.Join(t.TempDir(), "sb.db")
			backup := backedUp(t, dbPath)
			tc.make(t, backup)
			before, _ := os.ReadFile(dbPath)
			code, out, errOut := runCmd(t, map[string]string{"SWITCHBOARD_DB": dbPath}, "", "restore", backup)
			if code != 1 || !strings.HasPrefix(errOut, "switchboard: restore "+backup+": ") || !strings.Contains(errOut, tc.want) ||
				strings.Count(errOut, "\n") != 1 {
				t.Errorf("restore = %d %q %q, want one line saying %q", code, out, errOut, tc.want)
			}
			if after, _ := os.ReadFile(dbPath); string(after) != string(before) {
				t.Error("the database changed")
			}
			if left, _ := filepath.Glob(dbPath + ".re*"); len(left) != 0 {
				t.Errorf("files left: %v", left)
			}
		})
	}
}

// TestBackupAndRestoreEdgeCases: what an operator gets wrong is refused in
// one plain line, with nothing written; and two restores within a second
// each keep the database they replaced.
func TestBackupAndRestoreEdgeCases(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "sb.db")
	vars := map[string]string{"SWITCHBOARD_DB": dbPath}
	backup := backedUp(t, dbPath)

	folder := filepath.Join(dir, "backups")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"backup", backup}, 1, "switchboard: backup to " + backup + ": the file exists already; name a new file\n"},
		{[]string{"backup", folder}, 1, "switchboard: backup to " + folder + ": that is a folder; name a new file in it\n"},
		{[]string{"backup", filepath.Join(dir, "bakups", "night", "sb.db")}, 1, "switchboard: backup to " + filepath.Join(dir, "bakups", "night", "sb.db") +
			": there is no folder " + filepath.Join(dir, "bakups", "night") + "; create it first, or name a file in a folder that exists\n"},
		{[]string{"backup", ""}, 2, "switchboard backup: backup takes one argument, the file to write"},
		{[]string{"restore", ""}, 2, "switchboard restore: restore takes one argument, the backup to restore"},
		{[]string{"restore", folder}, 1, "switchboard: restore " + folder + ": that is a folder, not a backup\n"},
		{[]string{"restore", filepath.Join(dir, "missing.db")}, 1, "switchboard: restore " + filepath.Join(dir, "missing.db") + ": there is no such file\n"},
		{[]string{"restore", dbPath}, 1, "switchboard: restore " + dbPath + ": that is the database itself; name a backup of it\n"},
	} {
		before, _ := os.ReadFile(backup)
		code, out, errOut := runCmd(t, vars, "", tc.args...)
		if code != tc.code || !strings.HasPrefix(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q = %d %q %q, want %d and one line %q", tc.args, code, out, errOut, tc.code, tc.want)
		}
		if after, _ := os.ReadFile(backup); string(after) != string(before) {
			t.Errorf("%q changed the existing backup", tc.args)
		}
	}
	if left, _ := os.ReadDir(folder); len(left) != 0 {
		t.Errorf("files left in the folder: %v", left)
	}
	if _, err := os.Stat(filepath.Join(dir, "bakups")); !os.IsNotExist(err) {
		t.Errorf("a backup into a folder that does not exist made it: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*partial*")); len(left) != 0 {
		t.Errorf("files left: %v", left)
	}

	// Two restores in a row: the second keeps the first's result aside
	// and the first's replaced database stays where it was.
	for i := range 2 {
		if code, out, errOut := runCmd(t, vars, "", "restore", backup); code != 0 {
			t.Fatalf("restore %d = %d %q %q", i, code, out, errOut)
		}
	}
	asides, _ := filepath.Glob(dbPath + ".replaced-*")
	var kept []string
	for _, a := range asides {
		kept = append(kept, strings.Join(tokenNames(t, a), ","))
	}
	slices.Sort(kept)
	if strings.Join(kept, " ") != "after,before before" {
		t.Errorf("replaced databases kept: %v hold tokens %v, want one with the database before the restores (after,before) and one with the first restore's (before)", asides, kept)
	}
}
