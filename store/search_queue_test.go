package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// inIndex is how many rows of the index table match the FTS5 query q:
// what the index holds, read directly, without a search catching up first.
func inIndex(t *testing.T, db *DB, table, q string) int {
	t.Helper()
	return count(t, db, `SELECT count(*) FROM `+table+` WHERE `+table+` MATCH ?`, q)
}

// searchIndexState tells what the message indexes hold, and which write
// made each of their rows: it changes whenever a row is written to them.
// On SQLite it counts the rows of the FTS5 tables, on PostgreSQL it lists
// the rows of message_search with the transaction that wrote each.
func searchIndexState(t *testing.T, db *DB) string {
	t.Helper()
	q := `SELECT (SELECT count(*) FROM messages_fts_data) + (SELECT count(*) FROM messages_tri_data)
		+ (SELECT count(*) FROM messages_fts_docsize) + (SELECT count(*) FROM messages_tri_docsize)`
	if onPostgres(t) {
		q = `SELECT coalesce(string_agg(id || '@' || xmin::text, ' ' ORDER BY id), '') FROM message_search`
	}
	var s string
	if err := db.reader.QueryRow(q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

// checkSearchIndexes checks that the indexes agree with what they index:
// FTS5's integrity check on SQLite; on PostgreSQL, that every message
// with searchable text and every contact has its row, with that text.
func checkSearchIndexes(t *testing.T, db *DB) {
	t.Helper()
	if onPostgres(t) {
		if n := count(t, db, `SELECT count(*) FROM messages m FULL JOIN message_search s ON s.id = m.id
			WHERE s.id IS NULL AND coalesce(search_message_body(m.text, m.content), '') <> ''
			OR m.id IS NULL OR s.body IS DISTINCT FROM search_message_body(m.text, m.content)`); n != 0 {
			t.Errorf("%d messages whose row in message_search is missing, left over or stale", n)
		}
		if n := count(t, db, `SELECT count(*) FROM contacts ct FULL JOIN contact_search cs ON cs.id = ct.id
			WHERE ct.id IS NULL OR cs.id IS NULL OR cs.name_folded <> search_fold(ct.name)
			OR cs.notes_folded <> search_fold(ct.notes)`); n != 0 {
			t.Errorf("%d contacts whose row in contact_search is missing, left over or stale", n)
		}
		return
	}
	if n := count(t, db, `SELECT count(*) FROM search_queue`); n != 0 {
		t.Errorf("%d changes left in the search queue", n)
	}
	for _, table := range []string{"messages_fts", "messages_tri", "contacts_fts", "contacts_tri"} {
		inTx(t, db, func(ctx context.Context, w *writeTx) error {
			_, err := w.execSQL(ctx, `INSERT INTO `+table+` (`+table+`, rank) VALUES ('integrity-check', 1)`)
			return err
		})
	}
}

// queueFixture is a search fixture whose writer applies the changes that
// wait for the indexes only in batches and for searches, never when idle:
// what waits stays waiting until the test looks.
func queueFixture(t *testing.T) *searchFixture {
	return &searchFixture{t: t, db: openTest(t, WithSearchIdle(0))}
}

// A message stored while fewer than searchBatch changes wait is not in the
// indexes yet, and a search finds it all the same, by word, prefix,
// substring and number, with its highlight; the search leaves the indexes
// up to date.
func TestSearchFindsWhatWaitsToBeIndexed(t *testing.T) {
	f := queueFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	id := f.msg(c, "parcel W-7781 left the depot, tracking 5512", nil)
	// On PostgreSQL nothing waits: the message is indexed as it is stored.
	if !onPostgres(t) {
		if n := count(t, f.db, `SELECT count(*) FROM search_queue`); n == 0 {
			t.Fatal("nothing waits in the search queue: the test needs changes not yet applied")
		}
		if n := inIndex(t, f.db, "messages_tri", `"7781"`); n != 0 {
			t.Fatalf("the trigram index holds the message already (%d)", n)
		}
	}
	for _, q := range []string{"parcel", "depo", "W-7781", "7781", "5512", "rack"} {
		if got := f.ids(q); !slices.Equal(got, []int64{id}) {
			t.Errorf("search %q gives %v, want [%d]", q, got, id)
		}
	}
	hits, _ := f.search(inbox.SearchFilter{Query: "7781"})
	if len(hits) != 1 || !strings.Contains(hits[0].Snippet, "\x027781\x03") {
		t.Errorf("7781: %+v, want the number highlighted", hits)
	}
	if onPostgres(t) {
		return
	}
	if n := count(t, f.db, `SELECT count(*) FROM search_queue`); n != 0 {
		t.Errorf("%d changes still wait after a search", n)
	}
	if n := inIndex(t, f.db, "messages_tri", `"7781"`); n != 1 {
		t.Errorf("after a search the trigram index holds %d rows for 7781, want 1", n)
	}
}

// Messages edited and removed while their changes wait: a search finds
// each message by its last text only, never by one it had before, and
// the indexes agree with their content once the changes are applied.
func TestSearchEditsAndDeletesWhileQueued(t *testing.T) {
	f := queueFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	edit := func(id int64, text string) {
		t.Helper()
		inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
			m, err := w.MessageByID(ctx, id)
			if err != nil {
				return err
			}
			m.Text = text
			return w.UpdateMessage(ctx, &m)
		})
	}
	// indexed: in the indexes before it changes (a search applied it).
	indexed := f.msg(c, "invoice K-40417 attached", nil)
	if got := f.ids("40417"); !slices.Equal(got, []int64{indexed}) {
		t.Fatalf("40417 gives %v", got)
	}
	edit(indexed, "invoice K-62288 attached")
	// queued: stored and edited twice, never applied in between.
	queued := f.msg(c, "voucher Q-31337 expired", nil)
	edit(queued, "voucher Q-31338 expired")
	edit(queued, "voucher Q-73310 renewed")
	// gone: one indexed, one only queued, both removed while queued.
	goneIndexed := f.msg(c, "spare part X-11111", nil)
	f.ids("11111")
	goneQueued := f.msg(c, "spare part X-22222", nil)
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		if err := w.DeleteMessage(ctx, goneIndexed); err != nil {
			return err
		}
		return w.DeleteMessage(ctx, goneQueued)
	})
	if n := count(t, f.db, `SELECT count(*) FROM search_queue`); n == 0 && !onPostgres(t) {
		t.Fatal("nothing waits in the search queue")
	}
	for q, want := range map[string][]int64{
		"62288": {indexed}, "40417": nil,
		"73310": {queued}, "renewed": {queued}, "31337": nil, "31338": nil, "expired": nil,
		"spare": nil, "11111": nil, "22222": nil,
	} {
		if got := f.ids(q); !slices.Equal(got, want) {
			t.Errorf("search %q gives %v, want %v", q, got, want)
		}
	}
	checkSearchIndexes(t, f.db)
}

// Without any search, the writer applies the waiting changes itself once
// searchBatch of them have gathered: the queue never grows past a batch,
// so what a search has to apply first stays bounded.
func TestSearchQueueAppliedInBatches(t *testing.T) {
	skipOnPostgres(t, "the queue that batches changes for FTS5; PostgreSQL indexes in the writing transaction")
	f := queueFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	const perTx = 10
	const total = 3 * searchBatch / perTx * perTx
	most := 0
	for i := 0; i < total; i += perTx {
		inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
			for j := range perTx {
				m := &inbox.Message{ZavuID: fmt.Sprintf("msg_b%d", i+j), ConversationID: c.ID, Direction: inbox.Inbound,
					Channel: c.Channel, Type: inbox.TypeText, Text: fmt.Sprintf("batch note R-%05d", i+j),
					Status: inbox.StatusReceived, Source: inbox.SourceCustomer, CreatedAt: t0, UpdatedAt: t0}
				if err := w.InsertMessage(ctx, m); err != nil {
					return err
				}
			}
			return nil
		})
		most = max(most, count(t, f.db, `SELECT count(*) FROM search_queue`))
	}
	if most >= searchBatch {
		t.Errorf("%d changes waited after a commit, want fewer than %d", most, searchBatch)
	}
	applied := inIndex(t, f.db, "messages_fts", `"batch"`)
	if applied < total-searchBatch {
		t.Errorf("the word index holds %d of the %d messages before any search, want at least %d",
			applied, total, total-searchBatch)
	}
	// What is left is found by the next search.
	if got := f.ids(fmt.Sprintf("R-%05d", total-1)); len(got) != 1 {
		t.Errorf("the last message: %v", got)
	}
	if n := inIndex(t, f.db, "messages_tri", `"R-00"`); n != total {
		t.Errorf("after a search the trigram index holds %d, want %d", n, total)
	}
}

// The Contacts page's search finds a contact whose name waits to be
// indexed.
func TestContactSearchFindsWhatWaits(t *testing.T) {
	f := queueFixture(t)
	c := f.conv("+4917612345678", "Zebedee Quartermain", inbox.WhatsApp)
	if !onPostgres(t) {
		if n := inIndex(t, f.db, "contacts_fts", `"quartermain"`); n != 0 {
			t.Fatalf("the contact is indexed already (%d)", n)
		}
	}
	for _, q := range []string{"Quartermain", "ebede", "1761234"} {
		got, _, err := f.db.Contacts(context.Background(), inbox.ContactFilter{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != c.Contact.ID {
			t.Errorf("contacts %q: %+v", q, got)
		}
	}
}

// Once the writer has left changes waiting for a while with no write
// after them, it applies them on its own: the next search has nothing
// to apply first.
func TestSearchIdleAppliesWhatWaits(t *testing.T) {
	skipOnPostgres(t, "the writer's idle timer for the FTS5 queue; PostgreSQL indexes in the writing transaction")
	f := &searchFixture{t: t, db: openTest(t, WithSearchIdle(time.Millisecond))}
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	f.msg(c, "pallet P-90210 on its way", nil)
	deadline := time.Now().Add(10 * time.Second)
	for inIndex(t, f.db, "messages_tri", `"90210"`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the waiting changes were not applied without a search")
		}
		time.Sleep(time.Millisecond)
	}
	if n := count(t, f.db, `SELECT count(*) FROM search_queue`); n != 0 {
		t.Errorf("%d changes still wait", n)
	}
	if n := inIndex(t, f.db, "contacts_fts", `"ana"`); n != 1 {
		t.Errorf("the contact: %d in the word index, want 1", n)
	}
}

// A change to a message's content that leaves its searchable text alone
// (a media message gaining its URL) costs the indexes nothing; one that
// changes it (another file name) replaces the text they hold.
func TestSearchContentChangeWithTheSameText(t *testing.T) {
	f := queueFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	id := f.msg(c, "the scan", &inbox.Content{MediaID: "med_1", MimeType: "application/pdf", Filename: "invoice-7781.pdf"})
	f.ids("7781") // applies what waits
	before := searchIndexState(t, f.db)
	setContent := func(content inbox.Content) {
		t.Helper()
		inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
			m, err := w.MessageByID(ctx, id)
			if err != nil {
				return err
			}
			m.Content = &content
			return w.UpdateMessage(ctx, &m)
		})
	}
	setContent(inbox.Content{MediaID: "med_1", MediaURL: "https://files.example/med_1", MimeType: "application/pdf", Filename: "invoice-7781.pdf"})
	if n := count(t, f.db, `SELECT count(*) FROM search_queue`); n != 0 {
		t.Errorf("a new media URL queued %d changes for the indexes, want none", n)
	}
	if after := searchIndexState(t, f.db); after != before {
		t.Errorf("a new media URL rewrote the indexes: %s, then %s", before, after)
	}
	if got := f.ids("invoice-7781"); !slices.Equal(got, []int64{id}) {
		t.Errorf("after the URL: %v", got)
	}
	setContent(inbox.Content{MediaID: "med_1", MediaURL: "https://files.example/med_1", MimeType: "application/pdf", Filename: "receipt-9120.pdf"})
	for q, want := range map[string][]int64{"9120": {id}, "receipt": {id}, "7781": nil, "scan": {id}} {
		if got := f.ids(q); !slices.Equal(got, want) {
			t.Errorf("after the new file name, %q gives %v, want %v", q, got, want)
		}
	}
	checkSearchIndexes(t, f.db)
}
