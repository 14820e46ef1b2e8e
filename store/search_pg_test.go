package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// The highlights PostgreSQL's search computes (wordSnippet,
// trigramSnippet) are those SQLite's FTS5 gives for the same text and
// query, in either index: short and long texts, several sentences,
// phrases, prefixes, repeated and overlapping matches, accents and case.
func TestSnippetsAreFTS5s(t *testing.T) {
	skipOnPostgres(t, "compares with FTS5's snippet()")
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	bodies := []string{
		"The parcel for order W-7781 <script>alert(1)</script> is late",
		"parcel",
		"Where is my parcel? I ordered it on Monday. The parcel number is 7781 and the order W-7781 was paid. Please check the parcel.",
		"Dear team: the invoice-2291.pdf is attached. Order 5512: two boxes. Order 5513: three boxes. Thanks, Jürgen Weiß",
		"aaaa aaaa banana bananas ananas",
		"Crème brûlée à la française, CRÈME fraîche et crème anglaise pour la commande numéro 4410 de Zoë",
		"one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen parcel",
		"parcel one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen",
		"red box. red box. the box was red, the red box arrived; box red box red",
		"   leading spaces and trailing: order   ",
		"order. order. order. order. order. order. order. order. order. order. order. order. order. order. order. order. last",
		"Call me at +1 (312) 555-9876, or 312.555.9876 after six; my old number was 13125559876",
		"Meine Nummer: 0176 12345678 (oder +49 176 12345678)",
	}
	queries := []string{"parcel", "order", "W-7781", "7781", "orde", "arce", "<script", "parcel order", `"red box"`,
		"red box", "box", "aaa", "ana", "banana", "creme", "crème", "fraiche", "CRÈME", "ème", "pr", "o", "or box",
		"jurgen", "weiß", "5512 boxes", "invoice", "last", "sixteen", "one", "ur",
		"13125559876", "+1 (312) 555-9876", "555-9876", "call 312-555-9876", "+4917612345678", "0176/12345678"}
	ids := make([]int64, len(bodies))
	for i, b := range bodies {
		ids[i] = f.msg(c, b, nil)
	}
	f.ids("parcel") // applies what waits to the indexes
	compared := 0
	for _, q := range queries {
		parsed, numbers := f.db.parseSearch(context.Background(), q)
		terms := searchTerms(parsed)
		wordForms, triForms := make([][]string, len(terms)), make([][]string, len(terms))
		for i, t := range terms {
			wordForms[i], triForms[i] = numberForms(t, numbers[t.Digits])
		}
		tri := trigramMatch(terms, triForms)
		prefixes := tri == ""
		word := wordMatch(terms, wordForms, prefixes)
		for i, body := range bodies {
			for _, idx := range []struct {
				table, match string
				size         int
				snippet      func() string
			}{
				{"messages_fts", word, snippetWords, func() string {
					return wordSnippet(body, phrases(terms, wordForms), prefixes, snippetWords)
				}},
				{"messages_tri", tri, snippetChars, func() string { return trigramSnippet(body, phrases(terms, triForms), snippetChars) }},
			} {
				if idx.match == "" {
					continue
				}
				var want string
				err := f.db.reader.QueryRow(`SELECT snippet(`+idx.table+`, 0, char(2), char(3), '…', ?) FROM `+idx.table+`
					WHERE `+idx.table+` MATCH ? AND rowid = ?`, idx.size, idx.match, ids[i]).Scan(&want)
				if errors.Is(err, sql.ErrNoRows) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				compared++
				if got := idx.snippet(); got != want {
					t.Errorf("%s, %q in %q:\n got %q\nwant %q", idx.table, q, body, got, want)
				}
			}
		}
	}
	if compared < 50 {
		t.Errorf("only %d snippets compared", compared)
	}
}

// Contacts that match come best match first, then by their latest
// activity, newest first: a contact whose name is the term before one
// whose longer name holds it, and of two that match alike, the one
// written to last.
func TestSearchContactsBestMatchFirst(t *testing.T) {
	f := newSearchFixture(t)
	best := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	worse := f.conv("+4917612345679", "Ana Maria Lopez Garcia de la Fuente", inbox.WhatsApp)
	older := f.conv("+4917612345680", "Kim", inbox.WhatsApp)
	newer := f.conv("+4917612345681", "Kim", inbox.WhatsApp)
	bob := f.conv("+4917612345682", "Bob", inbox.WhatsApp)
	bobLater := f.conv("+4917612345683", "Bob Robert Roberts Junior the Third", inbox.WhatsApp)
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		for at, c := range map[time.Duration]inbox.Conversation{4: best, 1: worse, 2: older, 3: newer, 5: bob, 6: bobLater} {
			if _, err := w.execSQL(ctx, `UPDATE conversations SET last_message_at = ? WHERE id = ?`,
				t0.Add(at*time.Hour).UnixMilli(), c.ID); err != nil {
				return err
			}
		}
		return nil
	})
	for q, want := range map[string][]int64{"ana": {best.ID, worse.ID}, "kim": {newer.ID, older.ID},
		"bob": {bob.ID, bobLater.ID}} {
		hits, _ := f.search(inbox.SearchFilter{Query: q})
		var got []int64
		for _, h := range hits {
			got = append(got, h.ConversationID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: conversations %v, want %v", q, got, want)
		}
		contacts, _, err := f.db.Contacts(context.Background(), inbox.ContactFilter{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		if q == "ana" && (len(contacts) != 2 || contacts[0].ID != best.Contact.ID) {
			t.Errorf("contacts page, %s: %+v, want %d first", q, contacts, best.Contact.ID)
		}
	}
}

// Contacts that match a search equally (the same name, numbers as long)
// come latest activity first on both engines, whatever their digits: a
// number of repeated digits (+14155555580) is no better a match for
// "Chloé" or "4155" than another (+14155556288).
func TestSearchEqualContactsLatestActivityFirst(t *testing.T) {
	f := newSearchFixture(t)
	var convs []inbox.Conversation
	for _, phone := range []string{"+14155555580", "+14155556288", "+14155557391"} {
		convs = append(convs, f.conv(phone, "Chloé Dubois", inbox.WhatsApp))
	}
	// The repetitive number is the oldest, the plainest the newest.
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		for i, c := range convs {
			if _, err := w.execSQL(ctx, `UPDATE conversations SET last_message_at = ? WHERE id = ?`,
				t0.Add(time.Duration(i)*time.Hour).UnixMilli(), c.ID); err != nil {
				return err
			}
		}
		return nil
	})
	want := []int64{convs[2].ID, convs[1].ID, convs[0].ID}
	for _, q := range []string{"Chloé", "chloe", "4155", "Dubois"} {
		hits, _ := f.search(inbox.SearchFilter{Query: q})
		var got []int64
		for _, h := range hits {
			got = append(got, h.ConversationID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: conversations %v, want %v (latest activity first)", q, got, want)
		}
	}
}

// The same messages and contacts stored in SQLite and in PostgreSQL give
// the same search results: the same contacts in the same order, then the
// same messages with the same highlights, in as many pages; and the same
// contacts on the Contacts page. Messages are ranked by the same bm25
// where a window is full; where it holds every match, SQLite's bm25 also
// weighs how common each term is in the whole index and the average
// length of all its texts, which PostgreSQL does not read (it would cost
// a count over the whole history): both rank best match first, and may
// order two close matches differently.
func TestSearchSameResultsOnBothEngines(t *testing.T) {
	if !onPostgres(t) {
		t.Skip("compares PostgreSQL's search with SQLite's: runs under TestPostgres")
	}
	lite, err := Open(filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	engines := []*searchFixture{{t: t, db: openTest(t)}, {t: t, db: lite}}
	people := []struct{ phone, name string }{
		{"+4917612345678", "Jürgen Weiß"}, {"+13125550100", "Ben Order"}, {"+447700900123", "Zoë"},
		{"+4917699887766", "Anna-Lena Müller"}, {"+33612345678", ""},
	}
	base := []string{
		"Where is order W-7781? It was due Tuesday",
		"the border was closed", "order arrived", "order arrived",
		"my order and then some more words and then some more words and then some more words",
		"Crème brûlée à la française", "Danke 🙏 für die Lieferung 📦", "שלום, ההזמנה שלי לא הגיעה",
		"the red box arrived", "the box was red", "the red box vanished",
		"Dear team: the invoice-2291.pdf is attached. Order 5512: two boxes. Order 5513: three boxes.",
		"parcel 5512 and parcel 5513 left the depot", "call me on 0176 1234 5678 please",
		"refund please", "REFUND! refund? Refund.", "re-fund", "prefunded order",
	}
	for _, f := range engines {
		texts := slices.Clone(base)
		var convs []inbox.Conversation
		for i, p := range people {
			convs = append(convs, f.conv(p.phone, p.name, []inbox.Channel{inbox.WhatsApp, inbox.SMS}[i%2]))
		}
		for i := range 45 {
			texts = append(texts, strings.Repeat("parcel ", 1+i%3)+"number "+strconv.Itoa(i))
		}
		// In one transaction, as a burst of webhooks is stored.
		inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
			for i, text := range texts {
				c := convs[i%len(convs)]
				m := &inbox.Message{ZavuID: fmt.Sprintf("msg_burst_%d", i), ConversationID: c.ID, Direction: inbox.Inbound,
					Channel: c.Channel, Type: inbox.TypeText, Text: text, Status: inbox.StatusReceived,
					Source: inbox.SourceCustomer, CreatedAt: t0.Add(time.Duration(i) * time.Minute), UpdatedAt: t0}
				if err := w.InsertMessage(ctx, m); err != nil {
					return err
				}
			}
			return nil
		})
		f.msg(convs[0], "", &inbox.Content{MediaID: "m2", Filename: "invoice-2291.pdf"})
	}
	queries := []string{"order", "orde", "or", "W-7781", "-778", `"red box"`, "box red", "creme", "für", "הזמנ",
		"parcel", "number 1", "fund", "jurgen", "anna-lena", "+49 176 1234", "order from:zoë", "b"}
	for _, q := range queries {
		var contactHits, messageHits [2][]string
		var pages [2]int
		for e, f := range engines {
			cursor := ""
			for range 10 {
				hits, next := f.search(inbox.SearchFilter{Query: q, Limit: 20, Cursor: cursor})
				pages[e]++
				for _, h := range hits {
					hit := fmt.Sprintf("m%d c%d ct%d %q", h.MessageID, h.ConversationID, h.Contact.ID, h.Snippet)
					if h.MessageID == 0 {
						contactHits[e] = append(contactHits[e], hit)
					} else {
						messageHits[e] = append(messageHits[e], hit)
					}
				}
				if cursor = next; cursor == "" {
					break
				}
			}
			slices.Sort(messageHits[e])
		}
		if !slices.Equal(contactHits[0], contactHits[1]) || !slices.Equal(messageHits[0], messageHits[1]) || pages[0] != pages[1] {
			t.Errorf("search %q:\nPostgreSQL %q\n%q\n(%d pages)\n    SQLite %q\n%q\n(%d pages)", q,
				contactHits[0], messageHits[0], pages[0], contactHits[1], messageHits[1], pages[1])
		}
		var contacts [2][]int64
		for e, f := range engines {
			page, _, err := f.db.Contacts(context.Background(), inbox.ContactFilter{Query: q, Limit: 50})
			if err != nil && !errors.Is(err, inbox.ErrInvalid) {
				t.Fatal(err)
			}
			for _, c := range page {
				contacts[e] = append(contacts[e], c.ID)
			}
		}
		if !slices.Equal(contacts[0], contacts[1]) {
			t.Errorf("contacts %q: PostgreSQL %v, SQLite %v", q, contacts[0], contacts[1])
		}
	}
}

// On PostgreSQL a search is planned for its own terms every time: a rare
// word is read from the words index however often it is searched, never
// found by walking every message, as a plan made once for any word (a
// prepared statement's generic plan, after five runs) would.
func TestPostgresSearchPlansForItsTerms(t *testing.T) {
	if !onPostgres(t) {
		t.Skip("PostgreSQL's plans: runs under TestPostgres")
	}
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	rare := f.msg(c, "commande incomplète", nil)
	// Many common texts, straight into the index: enough that walking them
	// costs more than reading a word's entries. Their ids are below every
	// message's, so below the horizon a search fixes on its first page, as
	// a real message's are.
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `INSERT INTO message_search (id, body, folded, words)
			SELECT -i, 'parcel number ' || i, 'parcel number ' || i, search_folded_vector('parcel number ' || i)
			FROM generate_series(1, 5000) i`)
		return err
	})
	ctx := context.Background()
	if _, err := f.db.reader.DB.ExecContext(ctx, `ANALYZE message_search`); err != nil {
		t.Fatal(err)
	}
	scans := func() int {
		return count(t, f.db, `SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelid = 'message_search_words'::regclass`)
	}
	before := scans()
	const searches = 10
	for range searches {
		if got := f.ids("incomplète"); !slices.Equal(got, []int64{rare}) {
			t.Fatalf("incomplète gives %v, want [%d]", got, rare)
		}
	}
	// The server counts index scans in the background: wait for them.
	deadline := time.Now().Add(15 * time.Second)
	for scans()-before < searches {
		if time.Now().After(deadline) {
			t.Fatalf("%d searches for a rare word read the words index %d times", searches, scans()-before)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Migration 0009 of PostgreSQL indexes again what an earlier search_fold
// left decomposed: a kana with its voicing mark (ご, だ) split the word
// there, so 届き, the start of the fourth "word" of ご注文の商品がまだ届きません,
// was found by the word index, unmarked, where SQLite reads one word and
// finds it inside. After it, the index holds SQLite's words.
func TestPostgresMigrationFoldsKanaAsSQLite(t *testing.T) {
	if !onPostgres(t) {
		t.Skip("a migration of PostgreSQL's search: runs under TestPostgres")
	}
	f := newSearchFixture(t)
	c := f.conv("+81312345678", "佐藤だいご", inbox.WhatsApp)
	m := f.msg(c, "ご注文の商品がまだ届きません", nil)
	// As the earlier search_fold indexed them.
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		for _, q := range []string{
			`CREATE OR REPLACE FUNCTION search_fold(s text) RETURNS text
				LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
				RETURN lower(regexp_replace(normalize(s, NFD), '[\u0300-\u036f]', '', 'g') COLLATE "und-x-icu")`,
			`UPDATE message_search SET folded = search_fold(body), words = search_folded_vector(search_fold(body))`,
			`UPDATE contact_search cs SET name_folded = search_fold(ct.name), words = search_vector(ct.name, search_phone(ct.phone), ct.notes)
				FROM contacts ct WHERE ct.id = cs.id`,
		} {
			if _, err := w.execSQL(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	words := func() int { return count(t, f.db, `SELECT length(words) FROM message_search WHERE id = ?`, m) }
	if n := words(); n != 4 {
		t.Fatalf("the earlier fold gives %d words, want 4: the test does not index as it did", n)
	}

	migration, err := fs.ReadFile(postgresMigrations, "0009_search_fold_composed.sql")
	if err != nil {
		t.Fatal(err)
	}
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, string(migration))
		return err
	})
	if n := words(); n != 1 {
		t.Errorf("after the migration the message has %d words, want 1 as on SQLite", n)
	}
	hits, _ := f.search(inbox.SearchFilter{Query: "届き"})
	if len(hits) != 1 || hits[0].MessageID != m || !strings.Contains(hits[0].Snippet, "\x02届き\x03ません") {
		t.Errorf("届き after the migration: %+v, want the message with 届き marked", hits)
	}
	var name string
	if err := f.db.reader.QueryRow(`SELECT name_folded FROM contact_search WHERE id = ?`, c.Contact.ID).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "佐藤だいご" {
		t.Errorf("the contact's folded name is %q (%d bytes), want 佐藤だいご composed", name, len(name))
	}
}
