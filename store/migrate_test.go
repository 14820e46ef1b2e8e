package store

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"switchboard/migrations"
)

// TestMigrationsOfAnUpToDateDatabaseTakeNoWriteLock: migrating a database
// whose migrations are all applied only reads which are: it opens no
// write transaction, one per migration, and does not wait for another
// program's write nor fail naming a migration it does not apply (Open
// then tries the write lock once, and says who holds it).
func TestMigrationsOfAnUpToDateDatabaseTakeNoWriteLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	holder, err := sql.Open("sqlite", DSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	holder.SetMaxOpenConns(1)
	tx, err := holder.Begin() // IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()

	starter, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(200)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer starter.Close()
	starter.SetMaxOpenConns(1)
	start := time.Now()
	if err := migrate(context.Background(), starter, migrations.FS, time.Now); err != nil {
		t.Errorf("migrating an up-to-date database beside a write: %v; want nothing to do", err)
	}
	if took := time.Since(start); took > 150*time.Millisecond {
		t.Errorf("migrating an up-to-date database took %s; want no wait for the write lock", took)
	}

}

// TestMigrationsApplyOnceWhenTwoProcessesStartTogether: two servers (or
// a server and a one-off command) opening a new database at once both
// find every migration missing; each is applied once, and both open.
func TestMigrationsApplyOnceWhenTwoProcessesStartTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	ms, err := loadMigrations(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(path)
			if err == nil {
				err = db.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i+1, err)
		}
	}
	db, err := sql.Open("sqlite", DSN(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
		t.Errorf("%d migrations recorded (%v); want %d, each once", n, err, len(ms))
	}
}

// TestPostgresMigrationsOfAnUpToDateDatabaseTakeNoLock: on PostgreSQL, a
// start beside a running server's write (which holds the lock the
// migrations take) opens an up-to-date database without waiting for it.
func TestPostgresMigrationsOfAnUpToDateDatabaseTakeNoLock(t *testing.T) {
	if !onPostgres(t) {
		t.Skip("PostgreSQL's migrations: runs under TestPostgres")
	}
	db := openTest(t)
	u, _ := pgTestURLs.Load(db.path)
	url := u.(string)
	holder, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(writeLockSQL); err != nil {
		t.Fatal(err)
	}
	starter, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer starter.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := migratePostgres(ctx, starter, postgresMigrations, time.Now, slog.New(slog.DiscardHandler)); err != nil {
		t.Errorf("migrating an up-to-date database beside a write: %v; want nothing to do", err)
	}
}
