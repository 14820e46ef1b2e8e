package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/store/pgtest"
)

// pgEmptySchema makes a new schema with nothing in it, dropped when t
// ends, and returns the URL whose connections use it (the schemas the
// contract tests share are emptied, not new).
func pgEmptySchema(t *testing.T) string { return pgtest.NewSchema(t) }

// pgTables lists the tables of the schema the URL u uses.
func pgTables(t *testing.T, u string) []string {
	t.Helper()
	db := pgAdmin(t, u)
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := scanStrings(rows)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// copyFixture is a SQLite database a team has used: two agents, customers'
// messages through the real rules, replies in the outbox (one sent, one
// queued), a note that mentions an agent, labels, a resolved conversation,
// a session, an API token, a setting and an audit line.
type copyFixture struct {
	path     string
	ana, ben int64
	token    string
	view     storeView // what the store showed of it, before it was closed
	queued   int64     // the queued reply's message
}

func makeCopyFixture(t *testing.T) copyFixture {
	t.Helper()
	ctx := context.Background()
	f := copyFixture{path: filepath.Join(t.TempDir(), "data", "switchboard.db"), token: "q8Zt3mV1xR5nB0cL7wK2pJ9sD4fG6hA1eYuTiOoPlMn"}
	db, err := Open(f.path, WithReportPacking(0))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f.ana, f.ben = notesTeam(t, db)
	c1 := conversationWith(t, db, customerPhone, t0)
	c2 := conversationWith(t, db, "+14155550199", t0.Add(time.Minute))
	c3 := conversationWith(t, db, "+447700900123", t0.Add(2*time.Minute))
	if _, err := db.Ingest(ctx, inboundEvent("evt_2", customerPhone, "msg_2", "Is my order on its way?", t0.Add(3*time.Minute)), inbox.Apply); err != nil {
		t.Fatal(err)
	}

	r := reply(c1, "It left this morning", "k1", t0.Add(4*time.Minute))
	r.AuthorID = &f.ana
	mustQueue(t, db, r)
	claimed, err := db.ClaimOutbox(ctx, t0.Add(4*time.Minute), time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %+v, %v", claimed, err)
	}
	if _, err := db.OutboxSent(ctx, claimed[0].ID, inbox.SendResult{ZavuID: "zv_1", Status: inbox.StatusSent}, t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	r2 := reply(c2, "We will call you", "k2", t0.Add(6*time.Minute))
	r2.AuthorID = &f.ben
	f.queued = mustQueue(t, db, r2).ID

	if _, _, _, err := db.AddNote(ctx, inbox.Note{ConversationID: c1, AuthorID: &f.ana,
		Text: "Refund approved, @Ben Okafor please confirm", At: t0.Add(7 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []*inbox.Label{{Name: "VIP", Colour: "red"}, {Name: "Refund", Colour: "blue"}} {
		if err := db.CreateLabel(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	labels := []string{"vip", "Refund"}
	if _, _, err := db.UpdateConversations(ctx, []int64{c1, c2}, inbox.ConversationUpdate{Labels: &labels, By: f.ana}, t0.Add(8*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Assign(ctx, c2, &f.ben, t0.Add(9*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(ctx, c3, inbox.Resolved, t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkRead(ctx, c1, f.ben, t0.Add(11*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.Sessions().Commit(f.token, []byte("agent session"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAPIToken(ctx, &inbox.APIToken{Name: "CRM", Hash: "h_crm", Scope: inbox.ScopeRead, CreatedAt: t0, CreatedBy: &f.ana}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSetting(ctx, "business_name", "Okafor & Sons", t0); err != nil {
		t.Fatal(err)
	}
	if err := db.AddAudit(ctx, inbox.AuditEntry{At: t0, UserID: &f.ana, Action: "settings.update", Detail: "business name"}); err != nil {
		t.Fatal(err)
	}
	f.view = viewStore(t, db, f)
	return f
}

// storeView is what the store's API shows of a database.
type storeView struct {
	Conversations []inbox.Conversation
	Threads       map[int64][]inbox.Message
	ForBen        []inbox.Conversation
	Users         []inbox.User
	Labels        []inbox.Label
	Events        []inbox.StoredEvent
	Tokens        []inbox.APIToken
	Audit         []inbox.AuditEntry
	Activities    []inbox.Activity
	Session       string
	Setting       string
	Backlog       int
	// Search's hits for a few queries, once search runs on PostgreSQL:
	// its indexes are built from the copied rows.
	Search map[string][]inbox.SearchHit
}

func viewStore(t *testing.T, db *DB, f copyFixture) storeView {
	t.Helper()
	ctx := context.Background()
	var v storeView
	var err error
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	v.Conversations, _, err = db.Conversations(ctx, inbox.ConversationFilter{Limit: 100})
	check(err)
	v.ForBen, _, err = db.Conversations(ctx, inbox.ConversationFilter{Limit: 100, ViewerID: f.ben, Label: "vip"})
	check(err)
	v.Threads = map[int64][]inbox.Message{}
	for _, c := range v.Conversations {
		v.Threads[c.ID], _, err = db.Messages(ctx, c.ID, inbox.MessageFilter{Limit: 100})
		check(err)
	}
	v.Users, err = db.Users(ctx)
	check(err)
	v.Labels, err = db.Labels(ctx)
	check(err)
	v.Events, _, err = db.Events(ctx, inbox.EventFilter{Limit: 100})
	check(err)
	v.Tokens, err = db.APITokens(ctx)
	check(err)
	v.Audit, err = db.Audit(ctx, 100)
	check(err)
	v.Activities, err = db.Activities(ctx, 100)
	check(err)
	data, found, err := db.Sessions().Find(f.token)
	check(err)
	if found {
		v.Session = string(data)
	}
	v.Setting, _, err = db.Setting(ctx, "business_name")
	check(err)
	v.Backlog = count(t, db, `SELECT count(*) FROM outbox WHERE state = 'queued'`)
	v.Search = map[string][]inbox.SearchHit{}
	for _, q := range []string{"order", "call you", "refund", "5550199", "Customer"} {
		v.Search[q], _, err = db.Search(ctx, inbox.SearchFilter{Query: q, Limit: 20})
		check(err)
	}
	return v
}

// A team's SQLite database copied to PostgreSQL reads back the same
// through the store: conversations, threads, unread counts, labels,
// users, the session, the webhook log, the queued reply. The
// SQLite file is left as it was, and the copy goes on working: new rows
// get new ids and the queued reply is sent from PostgreSQL.
func copyReadsBackTheSame(t *testing.T, f copyFixture) {
	to := pgEmptySchema(t)
	ctx := context.Background()
	want := f.view
	if len(want.Conversations) != 3 || want.Session == "" || len(want.Labels) != 2 || want.Backlog != 1 {
		t.Fatalf("the fixture is not what the test expects: %+v", want)
	}
	before := fileBytes(t, f.path)

	var progress []string
	rep, err := CopyToPostgres(ctx, f.path, to, CopyOptions{BatchRows: 2, Progress: func(table string, rows int64) {
		progress = append(progress, table)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, fileBytes(t, f.path)) {
		t.Error("the copy changed the SQLite file")
	}
	if _, err := os.Stat(f.path + "-wal"); err == nil {
		if b := fileBytes(t, f.path+"-wal"); len(b) > 0 {
			t.Errorf("the copy left a WAL of %d bytes beside the SQLite file", len(b))
		}
	}
	rows := map[string]int64{}
	for _, tc := range rep.Tables {
		rows[tc.Name] = tc.Rows
	}
	for table, n := range map[string]int64{"users": 2, "conversations": 3, "messages": 11, "outbox": 2, "labels": 2,
		"conversation_labels": 4, "sessions": 1, "mentions": 1, "webhook_events": 4, "conversation_resolves": 1} {
		if rows[table] != n {
			t.Errorf("copied %d rows of %s, want %d (report %+v)", rows[table], table, n, rep.Tables)
		}
	}
	if len(progress) != len(rep.Tables) {
		t.Errorf("progress heard of %d tables, the report lists %d", len(progress), len(rep.Tables))
	}
	for _, s := range []string{"search_queue", "messages_fts", "messages_fts_data", "schema_migrations"} {
		if !strings.Contains(strings.Join(rep.Skipped, " "), s) {
			t.Errorf("%s was not left out: skipped %v", s, rep.Skipped)
		}
	}
	// Users before conversations (assignees), conversations before
	// messages, messages before the outbox.
	pos := map[string]int{}
	for i, tc := range rep.Tables {
		pos[tc.Name] = i
	}
	if !(pos["users"] < pos["conversations"] && pos["contacts"] < pos["conversations"] &&
		pos["conversations"] < pos["messages"] && pos["messages"] < pos["outbox"] && pos["labels"] < pos["conversation_labels"]) {
		t.Errorf("tables copied out of their foreign keys' order: %v", progress)
	}

	db, err := Open(to, WithReportPacking(0), WithSessionCleanup(0))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := viewStore(t, db, f)
	if !reflect.DeepEqual(got, want) {
		gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
		for i := 0; i < gv.NumField(); i++ {
			if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
				t.Errorf("%s on PostgreSQL:\n%+v\non SQLite:\n%+v", gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
			}
		}
	}
	// The queued reply is sent from PostgreSQL.
	gotClaim, err := db.ClaimOutbox(ctx, t0.Add(time.Hour), time.Minute, 10)
	if err != nil || len(gotClaim) != 1 || gotClaim[0].MessageID != f.queued || gotClaim[0].Message.IdempotencyKey != "k2" ||
		gotClaim[0].Message.Text != "We will call you" || gotClaim[0].Message.To != "+14155550199" || gotClaim[0].Attempts != 1 {
		t.Errorf("claim on PostgreSQL: %+v %v, want the reply k2 to +14155550199, first attempt", gotClaim, err)
	}

	// New rows are numbered past the copied ones.
	carla := inbox.User{Email: "carla@example.com", Name: "Carla", Role: inbox.RoleAgent, Active: true}
	if err := db.CreateUser(ctx, &carla); err != nil {
		t.Fatalf("a new user after the copy: %v", err)
	}
	if carla.ID <= f.ben {
		t.Errorf("the new user got id %d, not past the copied %d", carla.ID, f.ben)
	}
	c4 := conversationWith(t, db, "+33612345678", t0.Add(time.Hour))
	for _, c := range want.Conversations {
		if c.ID >= c4 {
			t.Errorf("the new conversation got id %d, not past the copied %d", c4, c.ID)
		}
	}
	if _, err := db.Ingest(ctx, inboundEvent("evt_new", customerPhone, "msg_new", "Thanks!", t0.Add(2*time.Hour)), inbox.Apply); err != nil {
		t.Fatalf("a webhook after the copy: %v", err)
	}
	evs, _, err := db.Events(ctx, inbox.EventFilter{Limit: 1})
	if err != nil || len(evs) != 1 || evs[0].ID != "evt_new" {
		t.Errorf("the newest event after the copy is %+v (%v), want evt_new", evs, err)
	}
}

func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// One SQLite file (opening one costs seconds under -race) is copied, then
// put through the copies that must not happen: into a database that holds
// anything (a table of its own, or a copy made already), a copy that fails
// halfway, and a SQLite file of an older schema. Each of those leaves the
// PostgreSQL database as it was and the SQLite file unchanged.
func TestCopyToPostgres(t *testing.T) {
	f := makeCopyFixture(t)
	ctx := context.Background()

	t.Run("reads back the same", func(t *testing.T) { copyReadsBackTheSame(t, f) })

	t.Run("a database with a table of its own", func(t *testing.T) {
		to := pgEmptySchema(t)
		admin := pgAdmin(t, to)
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, `CREATE TABLE crm_contacts (id BIGINT)`); err != nil {
			t.Fatal(err)
		}
		_, err := CopyToPostgres(ctx, f.path, to, CopyOptions{})
		if !errors.Is(err, inbox.ErrConflict) || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "crm_contacts") {
			t.Fatalf("copy into a database with a table: %v", err)
		}
		if got := pgTables(t, to); !reflect.DeepEqual(got, []string{"crm_contacts"}) {
			t.Errorf("the refused copy left tables %v", got)
		}
	})

	t.Run("a database copied into already", func(t *testing.T) {
		again := pgEmptySchema(t)
		if _, err := CopyToPostgres(ctx, f.path, again, CopyOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err := CopyToPostgres(ctx, f.path, again, CopyOptions{})
		if !errors.Is(err, inbox.ErrConflict) || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("a second copy into the same database: %v", err)
		}
		db := pgAdmin(t, again)
		defer db.Close()
		var users int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil || users != 2 {
			t.Errorf("after the refused second copy the database holds %d users (%v), want the first copy's 2", users, err)
		}
	})

	// A subscription of a user who does not exist, as a file written
	// without foreign keys might hold: PostgreSQL refuses it after many
	// tables went in.
	t.Run("a copy that fails halfway", func(t *testing.T) {
		raw, err := sql.Open("sqlite", f.path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.ExecContext(ctx, `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, session_hash, created_at)
			VALUES (999, 'https://push.example.com/1', 'k', 'a', 'h', 0)`); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		to := pgEmptySchema(t)
		var copied []string
		_, err = CopyToPostgres(ctx, f.path, to, CopyOptions{BatchRows: 2, Progress: func(table string, _ int64) { copied = append(copied, table) }})
		if err == nil || !strings.Contains(err.Error(), "push_subscriptions") {
			t.Fatalf("copy of a row PostgreSQL refuses: %v", err)
		}
		if len(copied) < 10 {
			t.Errorf("the copy failed after %d tables (%v): the test wants it to fail halfway", len(copied), copied)
		}
		if got := pgTables(t, to); len(got) != 0 {
			t.Errorf("the failed copy left tables %v", got)
		}
	})

	// Refused before anything is read: start this Switchboard on it once.
	t.Run("an older SQLite schema", func(t *testing.T) {
		raw, err := sql.Open("sqlite", f.path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		before := fileBytes(t, f.path)
		to := pgEmptySchema(t)
		_, err = CopyToPostgres(ctx, f.path, to, CopyOptions{})
		if !errors.Is(err, inbox.ErrInvalid) || !strings.Contains(err.Error(), "start this Switchboard once on it") {
			t.Fatalf("copy of an older schema: %v", err)
		}
		if v, err := FileSchemaVersion(ctx, f.path); err != nil || v != SchemaVersion()-lastStep(t) {
			t.Errorf("the file's schema version is %d (%v) after the refused copy", v, err)
		}
		if !bytes.Equal(before, fileBytes(t, f.path)) {
			t.Error("the refused copy changed the SQLite file")
		}
		if got := pgTables(t, to); len(got) != 0 {
			t.Errorf("the refused copy left tables %v", got)
		}
	})
}

// lastStep is how far the newest migration's number is past the one
// before it.
func lastStep(t *testing.T) int {
	ms, err := loadMigrations(embeddedMigrations)
	if err != nil || len(ms) < 2 {
		t.Fatal(err)
	}
	return ms[len(ms)-1].version - ms[len(ms)-2].version
}

// A backup the admins scheduled, carried over by the copy, says on
// PostgreSQL to use pg_dump, and writes no file.
func TestBackupOnPostgresSaysToUsePgDump(t *testing.T) {
	db := openPostgresTest(t)
	dest := filepath.Join(t.TempDir(), "switchboard-20260102T030000Z.db")
	err := db.Backup(context.Background(), dest)
	if !errors.Is(err, inbox.ErrInvalid) || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup on PostgreSQL: %v", err)
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("backup on PostgreSQL left a file: %v", err)
	}
}

// A SQLite database holding a customer's message and name with a U+0000
// (SQLite's text holds one, PostgreSQL's cannot) is copied, the
// character left out, as the store leaves it out of what it writes to
// PostgreSQL: the copy stopped at that row, "invalid byte sequence for
// encoding UTF8: 0x00", and the team could not move.
func TestCopyToPostgresLeavesOutNulCharacters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ev := inboundEvent("evt_1", customerPhone, "msg_1", "order\x00 W-7781", t0)
	if _, err := db.Ingest(ctx, ev, inbox.Apply); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	to := pgEmptySchema(t)
	if _, err := CopyToPostgres(ctx, path, to, CopyOptions{}); err != nil {
		t.Fatalf("copy: %v", err)
	}
	pg := pgAdmin(t, to)
	defer pg.Close()
	var text string
	if err := pg.QueryRowContext(ctx, `SELECT text FROM messages WHERE zavu_id = 'msg_1'`).Scan(&text); err != nil || text != "order W-7781" {
		t.Errorf("the message on PostgreSQL: %q (%v), want %q", text, err, "order W-7781")
	}
}
