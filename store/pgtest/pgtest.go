// Package pgtest gives tests outside the store a PostgreSQL schema of
// their own, on the database SWITCHBOARD_TEST_POSTGRES names (the store's
// own tests have theirs in pgtest_test.go).
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

var (
	setup    sync.Once
	setupErr error
	seq      atomic.Int64
)

// Admin opens the test database itself, outside any test's schema.
func Admin(t testing.TB) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(URL(t))
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(1)
	return db
}

// Schema makes an empty schema for t, dropped when t ends, and returns the
// URL whose connections use it: a Switchboard database of the test's own.
func Schema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	ctx := context.Background()
	admin := Admin(t)
	defer admin.Close()
	setup.Do(func() {
		// Extensions live in public, beside every test's schema.
		_, setupErr = admin.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS citext SCHEMA public`)
	})
	if setupErr != nil {
		t.Fatalf("prepare the test database: %v", setupErr)
	}
	schema := fmt.Sprintf("sb_ext_%d_%d", os.Getpid(), seq.Add(1))
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin := Admin(t)
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}
