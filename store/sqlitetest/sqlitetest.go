// Package sqlitetest gives tests a migrated SQLite database quickly.
//
// Every test of the store and the web server starts from a new database.
// Migrating one runs every migration through SQLite, which the race
// detector makes take seconds; a copy of one migrated at the start of the
// test process is the same file, in a fraction of that time. The store's
// own migration tests open new files themselves.
package sqlitetest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var template struct {
	once  sync.Once
	bytes []byte
	err   error
}

// Migrated writes at path the database that migrate makes of a new file,
// which it opens, migrates and closes. migrate runs once in the process,
// for the first call; every call gets a copy of that database.
func Migrated(t testing.TB, path string, migrate func(path string) error) {
	t.Helper()
	template.once.Do(func() { template.bytes, template.err = makeTemplate(migrate) })
	if template.err != nil {
		t.Fatalf("the migrated database to copy: %v", template.err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, template.bytes, 0o600); err != nil {
		t.Fatal(err)
	}
}

func makeTemplate(migrate func(path string) error) ([]byte, error) {
	dir, err := os.MkdirTemp("", "sqlitetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	if err := migrate(path); err != nil {
		return nil, err
	}
	// Closed, the database is whole in its file: a WAL or journal left
	// beside it would hold part of it.
	for _, side := range []string{"-wal", "-journal"} {
		if st, err := os.Stat(path + side); err == nil && st.Size() > 0 {
			return nil, fmt.Errorf("%s is left with %d bytes after closing", filepath.Base(path+side), st.Size())
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return os.ReadFile(path)
}
