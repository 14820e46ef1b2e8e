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
		c := startChild(t, buildBinary(t), dbPath)
		code, _, errOut := runCmd(t, map[string]string{"SWITCHBOARD_DB": dbPath}, "", "restore", backup)
		c.cmd.Process.Signal(syscall.SIGTERM)
		c.wait()
		if code != 1 || !strings.Contains(errOut, "the database "+dbPath+" is in use by a Switchboard server") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("restore under a server = %d %q", code, errOut)
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
