package store

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"switchboard/inbox"
)

// fourCards is a message sharing four contact cards, the last with three
// numbers and an email address.
func fourCards() *inbox.Content {
	return &inbox.Content{Contacts: []inbox.ContactCard{
		{Name: "Ana Alves", Phones: []inbox.ContactPhone{{Phone: "+15550101"}}},
		{Name: "Ben Brook", Phones: []inbox.ContactPhone{{Phone: "+15550202"}}},
		{Name: "Cleo Cruz", Phones: []inbox.ContactPhone{{Phone: "+15550303"}}},
		{Name: "Dora Dunn", Phones: []inbox.ContactPhone{{Phone: "+15550401"}, {Phone: "+15550402"}, {Phone: "+15550403"}},
			Emails: []inbox.ContactEmail{{Email: "dora.dunn@example.org"}}},
	}}
}

// Search finds every shared contact card's name, numbers and email
// addresses, not only the first three cards' names and first two
// numbers.
func TestSearchFindsEveryContactCard(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Jürgen", inbox.WhatsApp)
	card := f.msg(c, "", fourCards())
	for _, q := range []string{"Ana Alves", "5550101", "Dora", "5550401", "5550403", "dora.dunn@example.org", "example.org"} {
		if got := f.ids(q); !slices.Equal(got, []int64{card}) {
			t.Errorf("search %q gives messages %v, want [%d]", q, got, card)
		}
	}
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error { return w.DeleteMessage(ctx, card) })
	if got := f.ids("dora.dunn"); len(got) != 0 {
		t.Errorf("after the delete, dora.dunn gives %v", got)
	}
	checkSearchIndexes(t, f.db)
}

// Migration 0039 indexes again, in the background once the database is
// open, the cards of the messages stored before it; until then, and
// after, the indexes stay whole as messages change and go.
func TestMigrationIndexesStoredCardsAgain(t *testing.T) {
	if onPostgres(t) {
		t.Skip("the SQLite migration")
	}
	ctx := context.Background()
	before := fstest.MapFS{}
	names, err := fs.Glob(embeddedMigrations, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if v, _ := strconv.Atoi(strings.SplitN(name, "_", 2)[0]); v <= 38 {
			b, _ := fs.ReadFile(embeddedMigrations, name)
			before[name] = &fstest.MapFile{Data: b}
		}
	}
	path := filepath.Join(t.TempDir(), "switchboard.db")
	raw, err := sql.Open("sqlite", DSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	if err := migrate(ctx, raw, before, time.Now); err != nil {
		t.Fatal(err)
	}
	content, _ := contentJSON(fourCards())
	for _, q := range []string{
		`INSERT INTO senders (id, phone, created_at, updated_at) VALUES ('snd_1', '+13125550000', 0, 0)`,
		`INSERT INTO contacts (id, phone, created_at, updated_at) VALUES (1, '+14155550101', 0, 0)`,
		`INSERT INTO conversations (id, sender_id, channel, contact_id, status, last_message_at, created_at, updated_at)
			VALUES (1, 'snd_1', 'whatsapp', 1, 'open', 0, 0, 0)`,
		`INSERT INTO messages (id, zavu_id, conversation_id, direction, channel, type, text, status, source, created_at, updated_at) VALUES
			(1, 'm1', 1, 'inbound', 'whatsapp', 'text', 'hello there', 'received', 'customer', 1000, 1000)`,
		`INSERT INTO messages (id, zavu_id, conversation_id, direction, channel, type, text, content, status, source, created_at, updated_at) VALUES
			(2, 'm2', 1, 'inbound', 'whatsapp', 'contact', '', '` + string(content.(string)) + `', 'received', 'customer', 2000, 2000),
			(3, 'm3', 1, 'inbound', 'whatsapp', 'contact', 'cards', '` + string(content.(string)) + `', 'received', 'customer', 3000, 3000)`,
		// Indexed as they were, as the migrations before found them.
		`DELETE FROM search_queue`,
		`INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')`,
		`INSERT INTO messages_tri (messages_tri) VALUES ('rebuild')`,
		`INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild')`,
		`INSERT INTO contacts_tri (contacts_tri) VALUES ('rebuild')`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	hold := make(chan struct{})
	db, err := Open(path, WithReportPacking(0), withStaleOpeningsHeld(hold))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := &searchFixture{t: t, db: db}
	checkSearchIndexes(t, db)
	// Before the pass: the first three cards are found as before, and a
	// message that changes meanwhile is indexed with all its cards.
	if got := f.ids("Cleo Cruz"); !slices.Equal(got, []int64{3, 2}) && !slices.Equal(got, []int64{2, 3}) {
		t.Errorf("before the pass, Cleo Cruz gives messages %v, want 2 and 3", got)
	}
	inTx(t, db, func(ctx context.Context, w *writeTx) error {
		m, err := w.MessageByID(ctx, 3)
		if err != nil {
			return err
		}
		m.Text = "four cards"
		return w.UpdateMessage(ctx, &m)
	})
	if got := f.ids("dora.dunn@example.org"); !slices.Equal(got, []int64{3}) {
		t.Errorf("before the pass, the changed message: dora.dunn@example.org gives %v, want [3]", got)
	}
	checkSearchIndexes(t, db)
	close(hold)
	// The background pass is done once it has taken its range off.
	for deadline := time.Now().Add(time.Minute); count(t, db, `SELECT count(*) FROM search_cards_redo`) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stored cards were never indexed again")
		}
	}
	for _, q := range []string{"dora.dunn@example.org", "5550403", "Ana Alves"} {
		if got := f.ids(q); !slices.Equal(got, []int64{3, 2}) && !slices.Equal(got, []int64{2, 3}) {
			t.Errorf("search %q gives messages %v, want 2 and 3", q, got)
		}
	}
	if got := f.ids("hello"); !slices.Equal(got, []int64{1}) {
		t.Errorf("search hello gives %v, want [1]", got)
	}
	checkSearchIndexes(t, db)
	inTx(t, db, func(ctx context.Context, w *writeTx) error { return w.DeleteMessage(ctx, 3) })
	if got := f.ids("dora.dunn@example.org"); !slices.Equal(got, []int64{2}) {
		t.Errorf("after the delete, dora.dunn@example.org gives %v, want [2]", got)
	}
	checkSearchIndexes(t, db)
}

// On PostgreSQL the pass writes again the row of message_search of each
// message in its range whose text is not what search_message_body gives
// now, as migration 0016 left them.
func TestPostgresIndexesStoredCardsAgain(t *testing.T) {
	if !onPostgres(t) {
		t.Skip("PostgreSQL's pass")
	}
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Jürgen", inbox.WhatsApp)
	card := f.msg(c, "", fourCards())
	ctx := context.Background()
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		// As the function before 0016 had it, then none at all.
		if _, err := w.execSQL(ctx, `UPDATE message_search SET body = 'Ana Alves', folded = 'ana alves', words = search_vector('Ana Alves') WHERE id = ?`, card); err != nil {
			return err
		}
		_, err := w.execSQL(ctx, `INSERT INTO search_cards_redo (next_id, last_id) VALUES (?, ?)`, card, card)
		return err
	})
	if got := f.ids("dora.dunn@example.org"); len(got) != 0 {
		t.Fatalf("before the pass: %v; the test proves less than it should", got)
	}
	if _, more, err := f.db.redoCardChunk(ctx); err != nil || more {
		t.Fatalf("pass: more %v, %v", more, err)
	}
	if got := f.ids("dora.dunn@example.org"); !slices.Equal(got, []int64{card}) {
		t.Errorf("after the pass, dora.dunn@example.org gives %v, want [%d]", got, card)
	}
	checkSearchIndexes(t, f.db)
}
