package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"switchboard/inbox"
)

// The SQL written in SQLite's spelling reads as Postgres's where they
// differ, and nothing else changes: literals stay as they are.
func TestPostgresSpelling(t *testing.T) {
	for _, c := range []struct{ sqlite, postgres string }{
		{`SELECT a FROM t WHERE x = ? AND y = ? LIMIT ?`, `SELECT a FROM t WHERE x = $1 AND y = $2 LIMIT $3`},
		{`VALUES (?1, ?2, ?2, ?3)`, `VALUES ($1, $2, $2, $3)`},
		{`SELECT '?', "a?" FROM t WHERE x = ?`, `SELECT '?', "a?" FROM t WHERE x = $1`},
		{`SELECT 'it''s ?' || ?`, `SELECT 'it''s ?' || $1`},
		{`INSERT OR IGNORE INTO l (a, b) VALUES (?, ?)`, `INSERT INTO l (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING`},
		{`INSERT OR IGNORE INTO l (a) VALUES (?) RETURNING a`, `INSERT INTO l (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING a`},
		{`SELECT group_concat(label_id) FROM l`, `SELECT string_agg((label_id)::text,',') FROM l`},
		{`SELECT group_concat(l.name || char(30) || l.colour, char(31)) FROM l`,
			`SELECT string_agg((l.name || chr(30) || l.colour)::text, chr(31)) FROM l`},
		{`SELECT max(a), min(b), max(0, c - coalesce((SELECT max(d) FROM r), 0)), min(x, y)`,
			`SELECT max(a), min(b), GREATEST(0, c - coalesce((SELECT max(d) FROM r), 0)), LEAST(x, y)`},
		{`ORDER BY name COLLATE NOCASE, id`, `ORDER BY lower(name), id`},
		{`WHERE OLD.a IS NOT NEW.a OR b IS NOT NULL`, `WHERE OLD.a IS DISTINCT FROM NEW.a OR b IS NOT NULL`},
		{`WHERE role = 'admin' AND active`, `WHERE role = 'admin' AND (active <> 0)`},
		{`WHERE user_id = ? OR shared ORDER BY id`, `WHERE user_id = $1 OR (shared <> 0) ORDER BY id`},
		{`WHERE active = 1 AND NOT pending`, `WHERE active = 1 AND NOT (pending <> 0)`},
		{`SELECT iif(pending, 'pending', state) FROM e`, `SELECT (CASE WHEN ((pending <> 0))::int <> 0 THEN 'pending' ELSE state END) FROM e`},
		{`FROM openings INDEXED BY openings_opened WHERE x`, `FROM openings WHERE x`},
		{`FROM conversations c CROSS JOIN conversation_labels cl ON cl.c = c.id`, `FROM conversations c JOIN conversation_labels cl ON cl.c = c.id`},
		{`SELECT count(*) FROM (SELECT 1 FROM t LIMIT 1)`, `SELECT count(*) FROM (SELECT 1 FROM t LIMIT 1) AS _q1`},
		{`SELECT max(r) FROM (SELECT rowid AS r FROM e) WHERE r > 0`, `SELECT max(r) FROM (SELECT seq AS r FROM e) AS _q1 WHERE r > 0`},
		{`SELECT 1 FROM (SELECT 1) x`, `SELECT 1 FROM (SELECT 1) x`},
		{`BEGIN IMMEDIATE`, `BEGIN; ` + writeLockSQL},
		{`DELETE FROM v WHERE id = ? AND (user_id = ? OR (shared AND ?))`, `DELETE FROM v WHERE id = $1 AND (user_id = $2 OR ((shared <> 0) AND $3))`},
		{`SELECT coalesce(active, 0), sum(seen_at IS NULL), sum(n) FROM t`, `SELECT coalesce(active, 0), sum((seen_at IS NULL)::int), sum(n) FROM t`},
	} {
		if got := pgSQL(c.sqlite); got != c.postgres {
			t.Errorf("%s\n got %s\nwant %s", c.sqlite, got, c.postgres)
		}
		if got := sqliteDialect.sql(c.sqlite); got != c.sqlite {
			t.Errorf("SQLite's dialect changed %s into %s", c.sqlite, got)
		}
	}
}

// A postgres:// URL names a database, never a file: opening one that
// cannot be reached fails without showing its password, and nothing is
// created on disk for it (no folder named after the URL, no lock file).
func TestOpenUnreachablePostgresFailsWithoutItsPassword(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, url := range []string{"postgres://switchboard@127.0.0.1:1/switchboard", "postgresql://switchboard:secret@db.invalid/sb"} {
		release, err := LockServing(url)
		if err != nil {
			t.Fatalf("LockServing(%s): %v", url, err)
		}
		release()
		db, err := Open(url)
		if err == nil {
			db.Close()
			t.Fatalf("Open(%s) started a store on a database that cannot be reached", url)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%s) = %q, which shows the password", url, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("opening a postgres:// URL left %s in the working folder", entries[0].Name())
	}
	if _, err := os.Stat(filepath.Join(dir, "postgres:")); err == nil {
		t.Error("a folder named postgres: was created")
	}
}

// Two Switchboard processes on one PostgreSQL database apply the model's
// read-modify-write rules one transaction at a time, as SQLite's single
// writer does: every message from both counts, and the contact and its
// conversation are created once.
func TestPostgresProcessesShareTheWriteLock(t *testing.T) {
	pgTestURL(t)
	path := filepath.Join(t.TempDir(), "shared")
	var dbs [2]*DB
	for i := range dbs {
		db, err := testOpenPostgres(t, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	const perWorker, workers = 40, 4
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, workers*2)
	for p, db := range dbs {
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					id := fmt.Sprintf("evt_p%d_w%d_%d", p, w, i)
					res, err := db.Ingest(ctx, inboundEvent(id, "+15550001", "m_"+id, "hi", t0), applyInbound)
					if err == nil && res.State != inbox.EventApplied {
						err = fmt.Errorf("%s: %s", id, res.Error)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// A rule that reads a value and writes what it computed from it, with
	// no row lock between: from both processes at once, no update is lost.
	for p, db := range dbs {
		for range workers {
			wg.Go(func() {
				for range perWorker {
					err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
						var n int64
						if err := w.queryRowSQL(ctx, `SELECT inbound_count FROM conversations`).Scan(&n); err != nil {
							return err
						}
						_, err := w.execSQL(ctx, `UPDATE conversations SET inbound_count = ?`, n+1)
						return err
					})
					if err != nil {
						t.Errorf("process %d: %v", p, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	want := 2 * workers * perWorker * 2
	if n := count(t, dbs[0], `SELECT count(*) FROM messages`); n != want/2 {
		t.Errorf("%d messages stored, want %d", n, want/2)
	}
	if n := count(t, dbs[1], `SELECT count(*) FROM conversations`); n != 1 {
		t.Errorf("%d conversations, want 1", n)
	}
	if n := count(t, dbs[1], `SELECT inbound_count FROM conversations`); n != want {
		t.Errorf("the conversation's count is %d, want %d: updates were lost", n, want)
	}
}

// testOpenPostgres opens the PostgreSQL schema path stands for, outside
// TestPostgres.
func testOpenPostgres(t testing.TB, path string) (*DB, error) {
	t.Helper()
	u, ok := pgTestURLs.Load(path)
	if !ok {
		u = pgTestSchema(t)
		pgTestURLs.Store(path, u)
	}
	return Open(u.(string), WithReportPacking(0))
}

// What SWITCHBOARD_DB shows in messages and logs never holds a password.
func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"./data/switchboard.db":                           "./data/switchboard.db",
		"/var/lib/switch:board/x.db":                      "/var/lib/switch:board/x.db",
		"postgres://sb:s3cret@db:5432/sb?sslmode=require": "postgres://sb@db:5432/sb?sslmode=require",
		"postgresql://sb:p@ss@db/sb":                      "postgresql://sb@db/sb",
		"postgres://db/sb":                                "postgres://db/sb",
		// libpq also takes the password as a query parameter.
		"postgres://sb@db/sb?sslmode=require&password=s3cret":      "postgres://sb@db/sb?sslmode=require",
		"postgres://sb@db/sb?password=s3cret&sslmode=require":      "postgres://sb@db/sb?sslmode=require",
		"postgres://db/sb?password=p@ss":                           "postgres://db/sb",
		"postgresql://sb:one@db/sb?password=two&connect_timeout=5": "postgresql://sb@db/sb?connect_timeout=5",
	} {
		if got := RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every connection plans each statement for its own arguments (the
// writer's and the read pool's are made alike), so that a
// plan made while a new database was empty never outlives its tables'
// growth; a URL may still choose otherwise.
func TestPostgresPlansEachStatementAfresh(t *testing.T) {
	ctx := context.Background()
	mode := func(db *DB) string {
		t.Helper()
		var m string
		if err := db.reader.QueryRowContext(ctx, `SHOW plan_cache_mode`).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := mode(openPostgresTest(t)); m != "force_custom_plan" {
		t.Errorf("plan_cache_mode is %q", m)
	}
	chosen, err := Open(pgTestSchema(t)+"&plan_cache_mode=auto", WithReportPacking(0))
	if err != nil {
		t.Fatal(err)
	}
	defer chosen.Close()
	if m := mode(chosen); m != "auto" {
		t.Errorf("a URL's own plan_cache_mode became %q", m)
	}
}
