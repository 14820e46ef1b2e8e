package store

import (
	"bytes"
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"switchboard/migrations"
)

func TestSessionsKeepNoTokenInTheDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := db.Sessions()
	const token = "h3m8Yx2KqV0bT5wL9rN4cP7sJ1dF6gA0eZuQiOyWkMn" // as scs makes them
	if err := s.Commit(token, []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("another-token-value-0123456789abcdefghijklm", []byte("other"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	data, found, err := s.Find(token)
	if err != nil || !found || string(data) != "data" {
		t.Fatalf("Find(token) = %q, %v, %v", data, found, err)
	}

	// Neither the database file nor its WAL holds the token.
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(token)) {
			t.Fatalf("%s holds the session token", filepath.Base(f))
		}
	}
	var stored string
	if err := db.reader.QueryRow(`SELECT token_hash FROM sessions WHERE data = ?`, []byte("data")).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != s.Key(token) || !strings.HasPrefix(stored, "sha256:") || len(stored) != len("sha256:")+64 {
		t.Fatalf("stored key %q, want sha256: and the hex of the token's hash", stored)
	}

	// What is stored is no token: Find refuses it.
	if _, found, err := s.Find(stored); err != nil || found {
		t.Fatalf("Find(stored key) found = %v, %v: a key read from the database would sign in", found, err)
	}

	// All lists by key, and Delete takes such a key as well as a token.
	all, err := s.All()
	if err != nil || len(all) != 2 || string(all[stored]) != "data" {
		t.Fatalf("All = %v, %v", all, err)
	}
	if err := s.Delete(stored); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.Find(token); found {
		t.Fatal("the session is still found after Delete by its key")
	}
	if err := s.Delete("another-token-value-0123456789abcdefghijklm"); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.All(); len(all) != 0 {
		t.Fatalf("after deleting both: %d sessions", len(all))
	}
}

func TestUpgradeSignsEveryoneOutOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	// The schema as it was before sessions were kept hashed.
	before := fstest.MapFS{}
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if name >= "0010" {
			continue
		}
		b, _ := fs.ReadFile(migrations.FS, name)
		before[name] = &fstest.MapFile{Data: b}
	}
	old, err := sql.Open("sqlite", DSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(context.Background(), old, before, time.Now); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`INSERT INTO sessions (token, data, expiry) VALUES ('raw-token', x'00', ?)`,
		time.Now().Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db, err := testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.reader.QueryRowContext(context.Background(), `SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("after the upgrade: %d sessions (%v), want the raw tokens gone", n, err)
	}
	if _, found, err := db.Sessions().Find("raw-token"); err != nil || found {
		t.Fatalf("an old session after the upgrade: found %v, %v", found, err)
	}
}
