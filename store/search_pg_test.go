package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
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
	}
	queries := []string{"parcel", "order", "W-7781", "7781", "orde", "arce", "<script", "parcel order", `"red box"`,
		"red box", "box", "aaa", "ana", "banana", "creme", "crème", "fraiche", "CRÈME", "ème", "pr", "o", "or box",
		"jurgen", "weiß", "5512 boxes", "invoice", "last", "sixteen", "one", "ur"}
	ids := make([]int64, len(bodies))
	for i, b := range bodies {
		ids[i] = f.msg(c, b, nil)
	}
	f.ids("parcel") // applies what waits to the indexes
	compared := 0
	for _, q := range queries {
		terms := searchTerms(inbox.ParseSearch(q))
		tri := trigramMatch(terms)
		prefixes := tri == ""
		word := wordMatch(terms, prefixes)
		for i, body := range bodies {
			for _, idx := range []struct {
				table, match string
				size         int
				snippet      func() string
			}{
				{"messages_fts", word, snippetWords, func() string { return wordSnippet(body, terms, prefixes, snippetWords) }},
				{"messages_tri", tri, snippetChars, func() string { return trigramSnippet(body, terms, snippetChars) }},
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
