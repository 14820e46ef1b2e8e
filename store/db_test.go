package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"switchboard/inbox"
	"switchboard/migrations"
)

func TestMigrationsApplyToEmptyFileAndReopenIsNoop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "folder", "switchboard.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	ms, err := loadMigrations(migrations.FS)
	if err != nil || len(ms) == 0 {
		t.Fatalf("embedded migrations: %v, %d files", err, len(ms))
	}
	if n := count(t, db, `SELECT count(*) FROM schema_migrations`); n != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
	}
	for _, table := range []string{"senders", "contacts", "users", "conversations", "messages", "reactions",
		"templates", "activities", "webhook_events", "api_tokens", "conversation_reads", "sessions"} {
		if n := count(t, db, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table); n != 1 {
			t.Errorf("table %s missing", table)
		}
	}
	var appliedAt int64
	if err := db.reader.QueryRow(`SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&appliedAt); err != nil || appliedAt == 0 {
		t.Errorf("applied_at = %d, %v", appliedAt, err)
	}
	ctx := context.Background()
	if _, err := db.Ingest(ctx, inboundEvent("evt_1", "+15550001", "msg_1", "hi", t0), applyInbound); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if n := count(t, db, `SELECT count(*) FROM schema_migrations`); n != len(ms) {
		t.Errorf("after reopen schema_migrations has %d rows, want %d", n, len(ms))
	}
	if _, err := db.MessageByZavuID(ctx, "msg_1"); err != nil {
		t.Errorf("data lost on reopen: %v", err)
	}
}

func TestMigrationsUpgradeOlderAndRefuseNewerDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	v1 := fstest.MapFS{"0001_init.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)}}
	v2 := fstest.MapFS{
		"0001_init.sql":  v1["0001_init.sql"],
		"0002_more.sql":  {Data: []byte(`CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (7);`)},
		"0003_again.sql": {Data: []byte(`ALTER TABLE a ADD COLUMN z TEXT NOT NULL DEFAULT '';`)},
	}
	// Open prepares the writer's statements, which need the real schema,
	// so these schemas are applied with migrate alone.
	open := func(src migrationSource) (*sql.DB, error) {
		db, err := sql.Open("sqlite", DSN(path, true))
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		return db, migrate(context.Background(), db, src, func() time.Time { return t0 })
	}

	db, err := open(v1)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = open(v2)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	var y, versions int
	if err := db.QueryRow(`SELECT y FROM b`).Scan(&y); err != nil || y != 7 {
		t.Errorf("migration 2 not applied: %d, %v", y, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil || versions != 3 {
		t.Errorf("%d versions recorded, want 3 (%v)", versions, err)
	}
	db.Close()

	// The v1 binary must refuse the v3 database.
	db, err = open(v1)
	db.Close()
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("old binary opening a newer database: err = %v, want a refusal", err)
	}
	// And through Open too.
	if _, err := Open(path, withMigrations(v1)); err == nil || !strings.Contains(err.Error(), "schema version 3") {
		t.Errorf("Open: err = %v, want a refusal naming the version", err)
	}
}

func TestMigrationFailureLeavesNothingHalfDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	bad := fstest.MapFS{"0001_bad.sql": {Data: []byte(`CREATE TABLE ok (x); CREATE TABLE broken (;`)}}
	if _, err := Open(path, withMigrations(bad)); err == nil || !strings.Contains(err.Error(), "0001_bad.sql") {
		t.Fatalf("err = %v, want the failing migration named", err)
	}
	db, err := sql.Open("sqlite", DSN(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'ok'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("a failed migration left table ok behind (%d, %v)", n, err)
	}
}

func TestPragmasOnBothPools(t *testing.T) {
	db := openTest(t, WithReadConns(2))
	type pragmas struct {
		mode                      string
		sync, fk, busy, tempStore int
	}
	read := func(q func(query string) *sql.Row) (p pragmas, err error) {
		for query, dst := range map[string]any{
			`PRAGMA journal_mode`: &p.mode, `PRAGMA synchronous`: &p.sync, `PRAGMA foreign_keys`: &p.fk,
			`PRAGMA busy_timeout`: &p.busy, `PRAGMA temp_store`: &p.tempStore,
		} {
			if err := q(query).Scan(dst); err != nil {
				return p, fmt.Errorf("%s: %w", query, err)
			}
		}
		return p, nil
	}
	var onWriter pragmas
	err := db.write(context.Background(), func(ctx context.Context, w *writeTx) (err error) {
		onWriter, err = read(func(q string) *sql.Row { return w.queryRowSQL(ctx, q) })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every connection of the read pool, not just the first.
	conns := make([]*sql.Conn, 2)
	for i := range conns {
		if conns[i], err = db.reader.Conn(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	all := map[string]pragmas{"writer": onWriter}
	for i, c := range conns {
		p, err := read(func(q string) *sql.Row { return c.QueryRowContext(context.Background(), q) })
		if err != nil {
			t.Fatal(err)
		}
		all[fmt.Sprintf("reader %d", i)] = p
		c.Close()
	}
	want := pragmas{mode: "wal", sync: 2, fk: 1, busy: 5000, tempStore: 2}
	for name, p := range all {
		want := want
		if name == "writer" {
			want.sync = 1 // NORMAL: the WAL syncer waits for the disk (walsync.go)
		}
		if p != want {
			t.Errorf("%s: %+v, want %+v (synchronous 2 = FULL, 1 = NORMAL, temp_store 2 = MEMORY)", name, p, want)
		}
	}
	if _, err := db.reader.Exec(`INSERT INTO senders (id, created_at, updated_at) VALUES ('x', 0, 0)`); err == nil {
		t.Error("the read pool accepted a write")
	}
	if got := db.writer.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer allows %d connections, want 1", got)
	}
	// Foreign keys are enforced on the writer.
	err = db.write(context.Background(), func(ctx context.Context, w *writeTx) error {
		_, err := w.EnsureConversation(ctx, inbox.ConversationKey{SenderID: "s", Channel: inbox.SMS, ContactID: 999}, t0)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("conversation for a missing contact: err = %v, want a foreign key failure", err)
	}
}

// TestListsUseIndexes fails when a list the inbox shows would scan a table
// or sort in a temporary b-tree instead of walking an index.
func TestListsUseIndexes(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	// Some rows, and fresh statistics, so that the planner decides as it
	// would on a real database.
	for i := range 30 {
		ev := inboundEvent(fmtID("evt", i), fmtID("+1555", i%10), fmtID("msg", i), "hello", t0.Add(timeMinutes(i)))
		if _, err := db.Ingest(ctx, ev, applyInbound); err != nil {
			t.Fatal(err)
		}
	}
	inTx(t, db, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `ANALYZE`)
		return err
	})
	cursor := encodeIDCursor(t0.UnixMilli(), 5)
	one := int64(1)
	zero := int64(0)
	type list struct {
		name, query string
		args        []any
	}
	var lists []list
	addConv := func(name string, f inbox.ConversationFilter) {
		q, args, err := conversationsQuery(f)
		if err != nil {
			t.Fatal(err)
		}
		lists = append(lists, list{name, q, args})
	}
	addConv("all conversations", inbox.ConversationFilter{})
	addConv("all conversations, page 2", inbox.ConversationFilter{Cursor: cursor})
	addConv("open", inbox.ConversationFilter{Status: inbox.Open})
	addConv("resolved, page 2", inbox.ConversationFilter{Status: inbox.Resolved, Cursor: cursor})
	addConv("mine, open", inbox.ConversationFilter{Status: inbox.Open, AssigneeID: &one})
	addConv("mine, open, page 2", inbox.ConversationFilter{Status: inbox.Open, AssigneeID: &one, Cursor: cursor})
	addConv("unassigned, open", inbox.ConversationFilter{Status: inbox.Open, AssigneeID: &zero})
	addConv("sender, open", inbox.ConversationFilter{Status: inbox.Open, SenderID: "snd_1"})
	addConv("sender, open, page 2", inbox.ConversationFilter{Status: inbox.Open, SenderID: "snd_1", Cursor: cursor})
	addConv("channel, open", inbox.ConversationFilter{Status: inbox.Open, Channel: inbox.SMS})
	steady := convCursor{at: t0.UnixMilli(), id: 5, top: 20, convTop: 8}.encode()
	addConv("all conversations, steady page 2", inbox.ConversationFilter{Cursor: steady, Steady: true})
	addConv("open, steady page 2", inbox.ConversationFilter{Status: inbox.Open, Cursor: steady, Steady: true})
	lists = append(lists, list{"messages since a steady list's first page", steadySinceQuery, []any{20, 100}})
	for name, f := range map[string]inbox.MessageFilter{"thread": {}, "thread, older page": {Before: cursor}} {
		q, args, err := messagesQuery(1, f)
		if err != nil {
			t.Fatal(err)
		}
		lists = append(lists, list{name, q, args})
	}
	for name, f := range map[string]inbox.EventFilter{
		"webhook log": {}, "webhook log, page 2": {Cursor: encodeCursor(t0.UnixMilli(), "evt_5")},
		"failed events": {State: inbox.EventFailed}, "failed events, page 2": {State: inbox.EventFailed, Cursor: encodeCursor(t0.UnixMilli(), "evt_5")},
	} {
		q, args, err := eventsQuery(f)
		if err != nil {
			t.Fatal(err)
		}
		lists = append(lists, list{name, q, args})
	}
	for _, l := range lists {
		plan := explain(t, db, l.query, l.args...)
		t.Logf("%s:\n%s", l.name, plan)
		if bad := badStep(plan); bad != "" {
			t.Errorf("%s: the plan has %q:\n%s\n%s", l.name, bad, l.query, plan)
		}
	}
	// Point lookups used on every event.
	for _, q := range []string{
		`SELECT 1 FROM messages WHERE zavu_id = 'x'`,
		`SELECT 1 FROM reactions WHERE message_zavu_id = 'x'`,
		`SELECT 1 FROM conversations WHERE sender_id = 's' AND channel = 'sms' AND contact_id = 1`,
		`SELECT 1 FROM contacts WHERE phone = 'x'`,
		`SELECT 1 FROM users WHERE email = 'A@b.c'`,
		`SELECT 1 FROM api_tokens WHERE hash = 'x'`,
		`DELETE FROM sessions WHERE expiry <= 5`,
	} {
		if plan := explain(t, db, q); badStep(plan) != "" {
			t.Errorf("%s scans:\n%s", q, plan)
		}
	}
}

// badStep returns the first step of plan that reads a whole table (a SCAN
// not walking an index in the order wanted) or sorts in a temporary
// b-tree, or "" if there is none.
func badStep(plan string) string {
	for _, step := range strings.Split(plan, "\n") {
		switch {
		case strings.Contains(step, "USE TEMP B-TREE"):
			return step
		case strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "USING INDEX") && !strings.Contains(step, "USING COVERING INDEX"):
			return step
		}
	}
	return ""
}

// explain returns the EXPLAIN QUERY PLAN of q, one step a line.
func explain(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.reader.Query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}

func TestBackupIsAConsistentCopy(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for i := range 5 {
		if _, err := db.Ingest(ctx, inboundEvent(fmtID("evt", i), "+15550001", fmtID("msg", i), "hi", t0), applyInbound); err != nil {
			t.Fatal(err)
		}
	}
	dest := filepath.Join(t.TempDir(), "backups", "copy.db")
	if err := db.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, dest); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("backup over an existing file: %v, want ErrConflict", err)
	}
	cp, err := Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if n := count(t, cp, `SELECT count(*) FROM messages`); n != 5 {
		t.Errorf("the copy has %d messages, want 5", n)
	}
}

func TestOpenRefusesMemoryDatabase(t *testing.T) {
	if _, err := Open(":memory:"); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("Open(:memory:) = %v, want ErrInvalid", err)
	}
}

func TestPingAndCloseTwice(t *testing.T) {
	db, err := testOpen(t, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := db.Ping(context.Background()); err == nil {
		t.Error("Ping after Close succeeded")
	}
}

// TestDatabaseFilesArePrivate: the database holds customers' messages and
// session tokens; other users of the machine may not read it, its WAL or
// the folder it creates.
func TestDatabaseFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "switchboard.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Ingest(context.Background(), inboundEvent("evt_1", "+15550001", "msg_1", "hi", t0), applyInbound); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600}
	for name, mode := range want {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != mode {
			t.Errorf("%s has mode %o, want %o", filepath.Base(name), got, mode)
		}
	}
}
