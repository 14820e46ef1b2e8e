// Package pgtest gives tests a PostgreSQL schema of their own, on the
// database SWITCHBOARD_TEST_POSTGRES names.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Env names the PostgreSQL database tests may use.
const Env = "SWITCHBOARD_TEST_POSTGRES"

// URL is the test database's URL. Without one the test is skipped, saying
// how to start one, unless CI=true, where that is a failure.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		msg := Env + " is not set: start a throwaway cluster with " +
			"`export " + Env + "=$(.ci/postgres start /tmp/sb-postgres)` (stop it with `.ci/postgres stop /tmp/sb-postgres`)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return u
}

// free holds the schemas of finished tests, emptied for the next.
var free struct {
	sync.Mutex
	schemas []string
}

// release empties schema's tables (all but schema_migrations), setting
// their ids back to 1, and keeps it for another test; a schema that cannot
// be emptied is dropped.
func release(t testing.TB, schema string) {
	ctx := context.Background()
	admin := Admin(t)
	defer admin.Close()
	var tables string
	err := admin.QueryRowContext(ctx, `SELECT coalesce(string_agg(quote_ident(schemaname) || '.' || quote_ident(tablename), ', '), '')
		FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations'`, schema).Scan(&tables)
	if err == nil && tables != "" {
		_, err = admin.ExecContext(ctx, `TRUNCATE `+tables+` RESTART IDENTITY CASCADE`)
	}
	if err != nil || tables == "" {
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		return
	}
	free.Lock()
	free.schemas = append(free.schemas, schema)
	free.Unlock()
}

var (
	setup    sync.Once
	setupErr error
	seq      atomic.Int64
)

// Admin opens the test database itself, outside any test's schema.
func Admin(t testing.TB) *sql.DB {
	t.Helper()
	return Conn(t, URL(t))
}

// Conn opens one connection to the database u names, for a test to look
// at or prepare it with SQL of its own.
func Conn(t testing.TB, u string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(1)
	return db
}

// Extensions are what the Switchboard schema needs beyond PostgreSQL's
// core. Made once in public, beside every test's schema, before any
// test migrates: a migration's CREATE EXTENSION would otherwise put one in
// the first test's schema, where no other test's search_path finds it.
var Extensions = []string{"citext", "pg_trgm"}

// prepare makes the Extensions in public, once a process.
func prepare(t testing.TB, admin *sql.DB) {
	t.Helper()
	setup.Do(func() {
		for _, ext := range Extensions {
			if _, setupErr = admin.ExecContext(context.Background(), `CREATE EXTENSION IF NOT EXISTS `+ext+` SCHEMA public`); setupErr != nil {
				return
			}
		}
	})
	if setupErr != nil {
		t.Fatalf("prepare the test database: %v", setupErr)
	}
}

// withSchema is the test database's URL with connections that use
// schema (and public, where the Extensions are).
func withSchema(t testing.TB, schema string) string {
	t.Helper()
	u, err := url.Parse(URL(t))
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// NewSchema makes a new schema with nothing in it, not even Switchboard's
// tables, dropped when t ends, and returns the URL whose connections use
// it: a database for a test of what is done to an empty one.
func NewSchema(t testing.TB) string {
	t.Helper()
	admin := Admin(t)
	defer admin.Close()
	prepare(t, admin)
	schema := fmt.Sprintf("sb_new_%d_%d", os.Getpid(), seq.Add(1))
	if _, err := admin.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin := Admin(t)
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSchema(t, schema)
}

// Schema makes an empty schema for t, emptied when t ends for another
// test to use, and returns the URL whose connections use it: a
// Switchboard database of the test's own.
func Schema(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	admin := Admin(t)
	defer admin.Close()
	prepare(t, admin)
	// A schema a finished test emptied is taken again: migrating a new one
	// takes far longer than emptying its tables.
	free.Lock()
	var schema string
	if n := len(free.schemas); n > 0 {
		schema, free.schemas = free.schemas[n-1], free.schemas[:n-1]
	}
	free.Unlock()
	if schema == "" {
		schema = fmt.Sprintf("sb_test_%d_%d", os.Getpid(), seq.Add(1))
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
			t.Fatalf("create schema: %v", err)
		}
	}
	t.Cleanup(func() { release(t, schema) })
	return withSchema(t, schema)
}
