package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"switchboard/inbox"
	"switchboard/migrations"
)

// searchFixture writes conversations and messages through the writer's
// transaction, as ingestion and replies do.
type searchFixture struct {
	t  *testing.T
	db *DB
	n  int
}

func newSearchFixture(t *testing.T) *searchFixture {
	return &searchFixture{t: t, db: openTest(t)}
}

// conv makes (or finds) the conversation of phone on channel.
func (f *searchFixture) conv(phone, name string, ch inbox.Channel) inbox.Conversation {
	f.t.Helper()
	var c inbox.Conversation
	inTx(f.t, f.db, func(ctx context.Context, w *writeTx) error {
		if err := w.UpsertSender(ctx, "snd_1", "+493012345678"); err != nil {
			return err
		}
		ct, err := w.UpsertContact(ctx, phone, name, t0)
		if err != nil {
			return err
		}
		c, err = w.EnsureConversation(ctx, inbox.ConversationKey{SenderID: "snd_1", Channel: ch, ContactID: ct.ID}, t0)
		return err
	})
	return c
}

// msg adds a message to conversation c at t0 plus its number of minutes.
func (f *searchFixture) msg(c inbox.Conversation, text string, content *inbox.Content) int64 {
	f.t.Helper()
	f.n++
	m := &inbox.Message{ZavuID: fmt.Sprintf("msg_%d", f.n), ConversationID: c.ID, Direction: inbox.Inbound,
		Channel: c.Channel, Type: inbox.TypeText, Text: text, Content: content, Status: inbox.StatusReceived,
		Source: inbox.SourceCustomer, CreatedAt: t0.Add(time.Duration(f.n) * time.Minute), UpdatedAt: t0}
	inTx(f.t, f.db, func(ctx context.Context, w *writeTx) error { return w.InsertMessage(ctx, m) })
	return m.ID
}

func (f *searchFixture) search(sf inbox.SearchFilter) ([]inbox.SearchHit, string) {
	f.t.Helper()
	hits, next, err := f.db.Search(context.Background(), sf)
	if err != nil {
		f.t.Fatalf("search %+v: %v", sf, err)
	}
	return hits, next
}

// ids are the message ids of a search for q, in order (0 for a contact).
func (f *searchFixture) ids(q string) []int64 {
	f.t.Helper()
	hits, _ := f.search(inbox.SearchFilter{Query: q, Limit: 200})
	var out []int64
	for _, h := range hits {
		out = append(out, h.MessageID)
	}
	return out
}

func TestSearchFindsEveryIndexedField(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Jürgen Weiß", inbox.WhatsApp)
	lat, lng := 52.5, 13.4
	text := f.msg(c, "Where is order W-7781? It was due Tuesday", nil)
	caption := f.msg(c, "Photo of the dented parcel", &inbox.Content{MediaID: "m1", MimeType: "image/jpeg"})
	file := f.msg(c, "", &inbox.Content{MediaID: "m2", Filename: "invoice-2291.pdf"})
	place := f.msg(c, "", &inbox.Content{Latitude: &lat, Longitude: &lng, Name: "Brandenburger Tor", Address: "Pariser Platz"})
	card := f.msg(c, "", &inbox.Content{Contacts: []inbox.ContactCard{{Name: "Henrietta Lacks",
		Phones: []inbox.ContactPhone{{Phone: "+1 555 0199"}}}}})
	button := f.msg(c, "", &inbox.Content{InteractiveReply: &inbox.InteractiveReply{Type: "button_reply", ID: "b1", Title: "Reschedule delivery"}})
	for _, tc := range []struct {
		q    string
		want int64
	}{
		{"Tuesday", text}, {"tues", text}, {"W-7781", text}, {"7781", text}, {"-778", text},
		{"dented", caption}, {"parcel", caption},
		{"invoice", file}, {"2291", file}, {"invoice-2291.pdf", file},
		{"Brandenburger", place}, {"Pariser", place},
		{"Henrietta", card}, {"0199", card},
		{"Reschedule", button},
	} {
		if got := f.ids(tc.q); !slices.Contains(got, tc.want) {
			t.Errorf("search %q gives messages %v, want %d among them", tc.q, got, tc.want)
		}
	}
	// The contact is found by name and by number, as a contact result.
	for _, q := range []string{"Jürgen", "jurgen", "Weiß", "weiß", "+49 176 1234", "0176-1234", "1761234", "0049 176 12345678"} {
		hits, _ := f.search(inbox.SearchFilter{Query: q})
		if len(hits) == 0 || hits[0].MessageID != 0 || hits[0].Contact.ID != c.Contact.ID || hits[0].ConversationID != c.ID {
			t.Errorf("search %q gives %+v, want the contact first", q, hits)
		}
	}
}

func TestSearchSnippetMarksMatch(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	f.msg(c, "The parcel for order W-7781 <script>alert(1)</script> is late", nil)
	for q, want := range map[string]string{
		"parcel":  "The \x02parcel\x03 for",
		"W-7781":  "order \x02W-7781\x03",
		"7781":    "W-\x02",
		"orde":    "\x02orde\x03r W",
		"<script": "<\x02script\x03>alert(1)", // raw text: the page escapes it
	} {
		hits, _ := f.search(inbox.SearchFilter{Query: q})
		if len(hits) != 1 || !strings.Contains(hits[0].Snippet, want) {
			t.Errorf("search %q: snippets %+v, want one holding %q", q, hits, want)
		}
	}
	hits, _ := f.search(inbox.SearchFilter{Query: "1761234"})
	if len(hits) != 1 || hits[0].Snippet != "Ana · +49\x02176123\x034\x025678" && !strings.Contains(hits[0].Snippet, "\x021761234\x03") {
		t.Errorf("phone search snippet %+v", hits)
	}
}

// A contact found by a name typed without its accents or in another case
// ("jurgen" for Jürgen) has the part of the name marked, as a message
// found so has, in search and in the contacts list; so has the part of
// the notes.
func TestSearchMarksNamesFoundWithoutAccents(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	c := f.conv("+4917612345678", "Jürgen Weiß", inbox.WhatsApp)
	notes := "Bestellt für Frau Müller-Lüdenscheidt"
	if _, err := f.db.EditContact(ctx, c.Contact.ID, inbox.ContactEdit{Notes: &notes, At: t0}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{
		"jurgen":  "\x02Jürgen\x03 Weiß",
		"JÜRGEN":  "\x02Jürgen\x03 Weiß",
		"weiß":    "Jürgen \x02Weiß\x03",
		"muller":  "Frau \x02Müller\x03-Lüdenscheidt",
		"ludensc": "Müller-\x02Lüdensc\x03heidt",
	} {
		hits, _ := f.search(inbox.SearchFilter{Query: q})
		if len(hits) == 0 || !strings.Contains(hits[0].Snippet, want) {
			t.Errorf("search %q: %+v, want the snippet to hold %q", q, hits, want)
		}
		list, _, err := f.db.Contacts(ctx, inbox.ContactFilter{Query: q})
		if err != nil || len(list) != 1 || !strings.Contains(list[0].Snippet, want) {
			t.Errorf("contacts %q: %+v %v, want the snippet to hold %q", q, list, err, want)
		}
	}
}

func TestSearchFollowsEditsPlaceholdersAndDeletes(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	id := f.msg(c, "sending…", nil)
	if got := f.ids("tracking"); len(got) != 0 {
		t.Fatalf("before the edit: %v", got)
	}
	// The placeholder of a reply is filled in with the text Zavu took.
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		m, err := w.MessageByID(ctx, id)
		if err != nil {
			return err
		}
		m.Text = "Your tracking code is ZX-99821"
		m.Status = inbox.StatusSent
		return w.UpdateMessage(ctx, &m)
	})
	if got := f.ids("tracking"); !slices.Equal(got, []int64{id}) {
		t.Errorf("after the edit, tracking gives %v, want [%d]", got, id)
	}
	if got := f.ids("sending"); len(got) != 0 {
		t.Errorf("after the edit, the old text still matches: %v", got)
	}
	if got := f.ids("99821"); !slices.Equal(got, []int64{id}) {
		t.Errorf("after the edit, 99821 gives %v", got)
	}
	// A status change keeps the message findable.
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		m, err := w.MessageByID(ctx, id)
		if err != nil {
			return err
		}
		m.Status = inbox.StatusDelivered
		return w.UpdateMessage(ctx, &m)
	})
	if got := f.ids("tracking"); !slices.Equal(got, []int64{id}) {
		t.Errorf("after a status change, tracking gives %v", got)
	}
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error { return w.DeleteMessage(ctx, id) })
	if got := f.ids("tracking"); len(got) != 0 {
		t.Errorf("after the delete, tracking gives %v", got)
	}
	if got := f.ids("99821"); len(got) != 0 {
		t.Errorf("after the delete, 99821 gives %v", got)
	}
	checkSearchIndexes(t, f.db)
}

func TestSearchContactRename(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Old Name", inbox.WhatsApp)
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		_, err := w.UpsertContact(ctx, "+4917612345678", "Gwendolyn", t0.Add(time.Hour))
		return err
	})
	if hits, _ := f.search(inbox.SearchFilter{Query: "gwendolyn"}); len(hits) != 1 || hits[0].Contact.ID != c.Contact.ID {
		t.Errorf("renamed contact: %+v", hits)
	}
	if hits, _ := f.search(inbox.SearchFilter{Query: "Old Name"}); len(hits) != 0 {
		t.Errorf("old name still matches: %+v", hits)
	}
}

func TestSearchUnicode(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "", inbox.WhatsApp)
	accent := f.msg(c, "Crème brûlée à la française", nil)
	emoji := f.msg(c, "Danke 🙏 für die Lieferung 📦", nil)
	rtl := f.msg(c, "שלום, ההזמנה שלי לא הגיעה", nil)
	arabic := f.msg(c, "مرحبا، أين طلبي", nil)
	for _, tc := range []struct {
		q    string
		want int64
	}{
		{"creme", accent}, {"brulee", accent}, {"Crème", accent}, {"franç", accent}, {"rûlé", accent},
		{"Lieferung", emoji}, {"für", emoji}, {"fur", emoji},
		{"ההזמנה", rtl}, {"הזמנ", rtl}, {"طلبي", arabic},
	} {
		if got := f.ids(tc.q); !slices.Equal(got, []int64{tc.want}) {
			t.Errorf("search %q gives %v, want [%d]", tc.q, got, tc.want)
		}
	}
}

// Chinese and Japanese run their words together, and most of their words
// are two characters: 订单 (order) is found inside 我的订单在哪里 (where is
// my order), with the word marked, as a word of a language with spaces
// is; a short word of such a language still finds nothing it is not in.
func TestSearchFindsShortWordsOfChineseAndJapanese(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+8613812345678", "王小明", inbox.WhatsApp)
	order := f.msg(c, "你好，我的订单在哪里？已经三天了", nil)
	refund := f.msg(c, "请问退款什么时候到账", nil)
	japanese := f.msg(c, "ご注文の商品がまだ届きません", nil)
	f.msg(c, "Where is my order?", nil)
	for _, tc := range []struct {
		q    string
		want []int64
		mark string
	}{
		{"订单", []int64{order}, "我的\x02订单\x03在哪里"},
		{"哪里", []int64{order}, "订单在\x02哪里\x03"},
		{"退款", []int64{refund}, "请问\x02退款\x03什么"},
		{"商品", []int64{japanese}, "\x02商品\x03がまだ"},
		{"届き", []int64{japanese}, "\x02届き\x03ません"},
		{"订单 三天", []int64{order}, "\x02订单\x03"},
		{"发货", nil, ""},
	} {
		hits, _ := f.search(inbox.SearchFilter{Query: tc.q, Limit: 50})
		var got []int64
		for _, h := range hits {
			if h.MessageID != 0 {
				got = append(got, h.MessageID)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("search %q gives %v, want %v", tc.q, got, tc.want)
			continue
		}
		if len(hits) > 0 && !strings.Contains(hits[len(hits)-1].Snippet, tc.mark) {
			t.Errorf("search %q: snippet %q, want it to hold %q", tc.q, hits[len(hits)-1].Snippet, tc.mark)
		}
	}
}

// A contact whose name is Chinese or Japanese is found by a part of two
// characters or fewer, as a given name 小明 in 王小明: in search, from:
// and the contacts list.
func TestSearchFindsContactsByShortPartsOfChineseNames(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	ming := f.conv("+8613812345678", "王小明", inbox.WhatsApp)
	hong := f.conv("+8613812345679", "李小红", inbox.WhatsApp)
	m := f.msg(ming, "你好", nil)
	f.msg(hong, "你好", nil)
	for _, q := range []string{"小明", "明", "王小明"} {
		if hits, _ := f.search(inbox.SearchFilter{Query: q}); len(hits) == 0 || hits[0].MessageID != 0 || hits[0].Contact.ID != ming.Contact.ID ||
			!strings.Contains(hits[0].Snippet, "\x02") {
			t.Errorf("search %q gives %+v, want 王小明 first, marked", q, hits)
		}
		list, _, err := f.db.Contacts(ctx, inbox.ContactFilter{Query: q})
		if err != nil || len(list) != 1 || list[0].ID != ming.Contact.ID {
			t.Errorf("contacts %q: %+v %v, want 王小明", q, list, err)
		}
	}
	if got := f.ids("你好 from:小明"); !slices.Equal(got, []int64{m}) {
		t.Errorf("你好 from:小明 gives %v, want [%d]", got, m)
	}
}

// An emoji is something to find like a word: 🙏 finds the messages that
// hold it, 👍 finds 👍🏽 too, and 🌸 the contact who put it in her name;
// beside a word, both must be there, and -word leaves out those with it.
func TestSearchFindsEmoji(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Anna 🌸", inbox.WhatsApp)
	thanks := f.msg(c, "Danke 🙏 für die Lieferung 📦", nil)
	thumbs := f.msg(c, "Passt 👍🏽", nil)
	heart := f.msg(c, "❤️ love it", nil)
	f.msg(c, "Danke schön", nil)
	please := f.msg(c, "Bitte 🙏", nil)
	for _, tc := range []struct {
		q    string
		want []int64
	}{
		{"🙏", []int64{please, thanks}},
		{"🙏 -Lieferung", []int64{please}},
		{"📦", []int64{thanks}},
		{"Danke 🙏", []int64{thanks}},
		{"👍", []int64{thumbs}},
		{"❤️", []int64{heart}},
		{"🎉", nil},
	} {
		if got := f.ids(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("search %q gives %v, want %v", tc.q, got, tc.want)
		}
	}
	if hits, _ := f.search(inbox.SearchFilter{Query: "🌸"}); len(hits) != 1 || hits[0].MessageID != 0 || hits[0].Contact.ID != c.Contact.ID {
		t.Errorf("search 🌸 gives %+v, want the contact", hits)
	}
}

func TestSearchRanksWordsBeforeSubstringsAndNewerOnTies(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "", inbox.WhatsApp)
	sub := f.msg(c, "the border was closed", nil) // "order" only inside a word
	older := f.msg(c, "order arrived", nil)       // the word
	newer := f.msg(c, "order arrived", nil)       // the same, newer
	long := f.msg(c, "my order "+strings.Repeat("and then some more words ", 10), nil)
	got := f.ids("order")
	want := []int64{newer, older, long, sub}
	if !slices.Equal(got, want) {
		t.Errorf("order ranks %v, want %v (newer, older, long, substring)", got, want)
	}
}

func TestSearchPhraseAndOperators(t *testing.T) {
	f := newSearchFixture(t)
	a := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	b := f.conv("+13125550100", "Ben", inbox.SMS)
	inOrder := f.msg(a, "the red box arrived", nil)
	reversed := f.msg(a, "the box was red", nil)
	fromB := f.msg(b, "the red box vanished", nil)
	if got := f.ids(`"red box"`); !slices.Equal(got, []int64{fromB, inOrder}) {
		t.Errorf(`"red box" gives %v, want [%d %d]`, got, fromB, inOrder)
	}
	if got := f.ids(`red box`); len(got) != 3 || !slices.Contains(got, reversed) {
		t.Errorf(`red box gives %v, want all three`, got)
	}
	if got := f.ids(`box from:+49176`); !slices.Equal(got, []int64{reversed, inOrder}) {
		t.Errorf(`box from:+49176 gives %v, want [%d %d]`, got, reversed, inOrder)
	}
	if got := f.ids(`box from:ben`); !slices.Equal(got, []int64{fromB}) {
		t.Errorf(`box from:ben gives %v`, got)
	}
	// from: alone lists the contact.
	if hits, _ := f.search(inbox.SearchFilter{Query: "from:0176"}); len(hits) != 1 || hits[0].Contact.ID != a.Contact.ID {
		t.Errorf("from:0176 gives %+v", hits)
	}
	// Syntax of FTS5 typed by a user is text.
	for _, q := range []string{`red AND`, `"`, `box*`, `NEAR(red box)`, `red OR -box`, `col:red`, `(((`, `^red`, `''`} {
		if _, _, err := f.db.Search(context.Background(), inbox.SearchFilter{Query: q}); err != nil {
			t.Errorf("search %q: %v", q, err)
		}
	}
	// in:mine needs a user, and keeps their conversations.
	if _, _, err := f.db.Search(context.Background(), inbox.SearchFilter{Query: "box in:mine"}); err == nil {
		t.Error("in:mine with no user: no error")
	}
	var agent int64
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		if err := w.queryRowSQL(ctx, `INSERT INTO users (email, name, role, created_at) VALUES ('a@x', 'A', 'agent', 0)
			RETURNING id`).Scan(&agent); err != nil {
			return err
		}
		_, err := w.execSQL(ctx, `UPDATE conversations SET assignee_id = ? WHERE id = ?`, agent, b.ID)
		return err
	})
	if hits, _ := f.search(inbox.SearchFilter{Query: "box in:mine", UserID: agent}); len(hits) != 1 || hits[0].MessageID != fromB {
		t.Errorf("box in:mine gives %+v", hits)
	}
}

// Punctuation typed around a word, as agents do out of habit from other
// search boxes (a trailing * for "starts with", a word in brackets or
// quotes, a comma), does not stop it from being found as a word, a
// prefix or a part of one.
func TestSearchIgnoresPunctuationAroundAWord(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	refund := f.msg(c, "Can I have a refund for order W-7781?", nil)
	for _, q := range []string{"refu*", "refund*", "(refu", "refu)", "refu?", "«refun»", "refu,", "W-778*", "*7781", "refu* W-77*"} {
		if got := f.ids(q); !slices.Equal(got, []int64{refund}) {
			t.Errorf("search %q gives %v, want [%d]", q, got, refund)
		}
	}
	// The contacts too.
	for _, q := range []string{"An*", "(Ana)"} {
		if hits, _ := f.search(inbox.SearchFilter{Query: q}); len(hits) == 0 || hits[0].MessageID != 0 || hits[0].Contact.ID != c.Contact.ID {
			t.Errorf("search %q gives %+v, want the contact first", q, hits)
		}
	}
}

// A whole message pasted into the search box (over 5,000 characters, its
// words many times over) finds that message, and is searched as its distinct
// words, each once: every repeat was one more pass over the index, a
// second and more for one search on a large inbox.
func TestSearchPastedMessage(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	text := "Hallo, meine Bestellung ist nicht angekommen und ich warte schon seit Tagen auf das Paket."
	pasted := f.msg(c, strings.Repeat(text+" ", 60), nil)
	f.msg(c, "Hallo, meine Bestellung ist angekommen", nil)
	q := strings.Repeat(text+" ", 56) // 5,040 characters
	if got := f.ids(q); !slices.Equal(got, []int64{pasted}) {
		t.Errorf("the pasted message finds %v, want [%d]", got, pasted)
	}
	distinct := map[string]bool{}
	for _, w := range strings.Fields(strings.ToLower(text)) {
		distinct[strings.Trim(w, ",.")] = true
	}
	if got := searchTerms(inbox.ParseSearch(q)); len(got) != len(distinct) {
		t.Errorf("a pasted message of %d characters is searched as %d terms, want its %d distinct words", len(q), len(got), len(distinct))
	}
}

// from: takes a name or a number in quotes, as label: does: from:"Anna
// Maria" is the contact of that name, from:"+49 176 1234" the number
// written with spaces; the words beside it are what to find.
func TestSearchFromAQuotedNameOrNumber(t *testing.T) {
	f := newSearchFixture(t)
	annaMaria := f.conv("+4917612345678", "Anna Maria Schulz", inbox.WhatsApp)
	anna := f.conv("+4915112345678", "Anna Berg", inbox.WhatsApp)
	maria := f.conv("+4916012345678", "Maria Anna Roth", inbox.WhatsApp)
	want := f.msg(annaMaria, "refund please", nil)
	f.msg(anna, "refund please", nil)
	f.msg(maria, "refund please", nil)
	for _, q := range []string{`refund from:"Anna Maria"`, `from:"anna maria" refund`, `refund from:"+49 176 1234"`, `refund from:"0176 12345678"`} {
		if got := f.ids(q); !slices.Equal(got, []int64{want}) {
			t.Errorf("search %s gives %v, want [%d]", q, got, want)
		}
	}
	// Alone, it lists the contact's conversations.
	if hits, _ := f.search(inbox.SearchFilter{Query: `from:"Anna Maria"`}); len(hits) != 1 || hits[0].ConversationID != annaMaria.ID {
		t.Errorf(`from:"Anna Maria" gives %+v, want the contact`, hits)
	}
}

// AND between two words, as typed in other search boxes, asks for both,
// which every word of a search must be anyway: it is not a word the
// message must hold. Alone, or in quotes, it is a word.
func TestSearchAndBetweenWords(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	late := f.msg(c, "my order is late", nil)
	and := f.msg(c, "salt AND pepper", nil)
	for _, tc := range []struct {
		q    string
		want []int64
	}{
		{"order AND late", []int64{late}},
		{"order AND late AND my", []int64{late}},
		{"AND", []int64{and}},
		{`salt "AND" pepper`, []int64{and}},
		{"order and late", nil}, // a word in lower case is a word
	} {
		if got := f.ids(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("search %q gives %v, want %v", tc.q, got, tc.want)
		}
	}
}

// A word with a minus before it, as other search boxes take it, leaves
// out the messages that hold it: "order -late" finds the orders that are
// not late, where it found only the late ones. A minus before a number
// is still part of it (-778 of W-7781).
func TestSearchMinusLeavesAWordOut(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	late := f.msg(c, "my order is late", nil)
	arrived := f.msg(c, "my order arrived, thanks", nil)
	broken := f.msg(c, "order W-7781 arrived broken", nil)
	for _, tc := range []struct {
		q    string
		want []int64
	}{
		{"order -late", []int64{broken, arrived}},
		{"order -LATE -broken", []int64{arrived}},
		{"ord -late", []int64{broken, arrived}},
		{"arrived -778", []int64{broken}},
		{"order -broken", []int64{arrived, late}},
		{"order -arr", []int64{broken, arrived, late}}, // a whole word, not the start of one
	} {
		got := f.ids(tc.q)
		slices.Sort(got)
		if slices.Sort(tc.want); !slices.Equal(got, tc.want) {
			t.Errorf("search %q gives %v, want %v (in any order)", tc.q, got, tc.want)
		}
	}
}

func TestSearchFilters(t *testing.T) {
	f := newSearchFixture(t)
	wa := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	sms := f.conv("+13125550100", "Ben", inbox.SMS)
	m1 := f.msg(wa, "refund please", nil)
	m2 := f.msg(sms, "refund please", nil)
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `UPDATE conversations SET status = 'resolved' WHERE id = ?`, sms.ID)
		return err
	})
	zero := int64(0)
	for _, tc := range []struct {
		name string
		f    inbox.SearchFilter
		want []int64
	}{
		{"channel", inbox.SearchFilter{Channel: inbox.SMS}, []int64{m2}},
		{"status", inbox.SearchFilter{Status: inbox.Open}, []int64{m1}},
		{"unassigned", inbox.SearchFilter{AssigneeID: &zero}, []int64{m2, m1}},
		{"sender", inbox.SearchFilter{SenderID: "snd_other"}, nil},
		{"an unknown label", inbox.SearchFilter{Label: "vip"}, nil},
		{"from", inbox.SearchFilter{From: t0.Add(2 * time.Minute)}, []int64{m2}},
		{"to", inbox.SearchFilter{To: t0.Add(2 * time.Minute)}, []int64{m1}},
	} {
		tc.f.Query = "refund"
		hits, _ := f.search(tc.f)
		var got []int64
		for _, h := range hits {
			got = append(got, h.MessageID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSearchPaging(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	// More matches than a window, so paging crosses windows.
	total := searchWindow + 150
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO messages (conversation_id, direction, channel, type, text, status, created_at, updated_at)
			SELECT ?, 'inbound', 'whatsapp', 'text', 'parcel number ' || i || CASE WHEN i % 7 = 0 THEN ' parcel' ELSE '' END,
				'received', i, i FROM n`, total, c.ID)
		return err
	})
	seen := map[int64]bool{}
	cursor := ""
	pages := 0
	var late int64
	for {
		hits, next := f.search(inbox.SearchFilter{Query: "parcel", Limit: 200, Cursor: cursor})
		pages++
		if len(hits) > 200 {
			t.Fatalf("page of %d", len(hits))
		}
		if want := int64(total - total%7); pages == 1 && hits[0].MessageID != want {
			// More matches than a window: ranked by term frequency and
			// length, newer first on ties. "parcel number N parcel", N the
			// highest multiple of 7, is the newest with the word twice.
			t.Errorf("first hit %d, want %d", hits[0].MessageID, want)
		}
		for _, h := range hits {
			if seen[h.MessageID] {
				t.Fatalf("message %d twice", h.MessageID)
			}
			seen[h.MessageID] = true
		}
		if next == "" {
			break
		}
		cursor = next
		if pages == 1 {
			// A match stored between two pages does not shift them.
			late = f.msg(c, "parcel arrived late", nil)
		}
	}
	if seen[late] {
		t.Errorf("message %d, stored after the first page, came on a later one", late)
	}
	if len(seen) != total || pages != (total+199)/200 {
		t.Errorf("%d messages in %d pages, want %d in %d", len(seen), pages, total, (total+199)/200)
	}
	if _, _, err := f.db.Search(context.Background(), inbox.SearchFilter{Query: "parcel", Cursor: "bm90IG91cnM"}); err == nil {
		t.Error("a cursor not given out: no error")
	}
}

// Paging through the contacts a search finds (customers sharing a
// surname, or the start of a number) gives each conversation once, though
// customers write between two pages and so move up: later pages keep the
// order of the first; what arrives meanwhile comes in a new search.
func TestSearchContactPagesStayPutAsCustomersWrite(t *testing.T) {
	db := openTest(t)
	n := 0
	write := func(phone string) int64 {
		t.Helper()
		n++
		var ch inbox.Change
		inTx(t, db, func(ctx context.Context, w *writeTx) error {
			var err error
			ch, err = applyInbound(ctx, w, inboundEvent(fmtID("evt", n), phone, fmtID("msg", n), "hallo", t0.Add(timeMinutes(n))))
			return err
		})
		return ch.ConversationIDs[0]
	}
	var convs []int64
	for i := range 5 {
		convs = append(convs, write(fmt.Sprintf("+49176123450%02d", i)))
	}
	seen := map[int64]int{}
	cursor := ""
	for page := 0; page < 10; page++ {
		hits, next, err := db.Search(context.Background(), inbox.SearchFilter{Query: "Customer", Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			seen[h.ConversationID]++
		}
		switch page {
		case 0:
			// The two at the bottom write: they are the latest now.
			write("+4917612345000")
			write("+4917612345001")
		case 1:
			// And a new customer.
			write("+4917612345099")
		}
		if next == "" {
			break
		}
		cursor = next
	}
	for _, c := range convs {
		if seen[c] != 1 {
			t.Errorf("conversation %d came %d times, want once (all: %v)", c, seen[c], seen)
		}
	}
	if len(seen) > len(convs)+1 {
		t.Errorf("conversations %v", seen)
	}
}

func TestSearchQueryPlanUsesIndexes(t *testing.T) {
	skipOnPostgres(t, "reads SQLite's query plan of an FTS5 table")
	f := newSearchFixture(t)
	rows, err := f.db.reader.Query(`EXPLAIN QUERY PLAN SELECT messages_tri.rowid, m.created_at, bm25(messages_tri) FROM messages_tri
		JOIN messages m ON m.id = messages_tri.rowid JOIN conversations c ON c.id = m.conversation_id
		WHERE messages_tri MATCH '"abc"' AND messages_tri.rowid < 10 AND c.status = 'open'
		ORDER BY messages_tri.rowid DESC LIMIT 10`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	joined := strings.Join(plan, "\n")
	if !strings.Contains(plan[0], "VIRTUAL TABLE INDEX") || strings.Contains(joined, "TEMP B-TREE") ||
		!strings.Contains(joined, "m USING INTEGER PRIMARY KEY") || !strings.Contains(joined, "c USING INTEGER PRIMARY KEY") {
		t.Errorf("plan:\n%s\nwant the trigram index first, then lookups by primary key, and no sort", joined)
	}
}

// Phone numbers typed in any common format become the digits the index
// keeps, read by the rules of the business's country.
func TestParsePhoneQueries(t *testing.T) {
	for _, c := range []struct{ region, q, want string }{
		{"DE", "+49 176 1234", "491761234"},
		{"DE", "0176-1234", "1761234"},
		{"DE", "1761234", "1761234"},
		{"DE", "0049 176", "49176"},
		{"DE", "(0176) 12.34", "1761234"},
		{"DE", "+49 (0)176 1234", "491761234"},
		{"DE", "0176", "176"},
		{"DE", "+1 (312) 555", "1312555"},
		{"US", "011 49 176 1234", "491761234"},
		{"US", "(312) 555-0100", "3125550100"},
		{"FR", "06 12 34 56 78", "612345678"},
		{"IT", "02 1234 5678", "0212345678"}, // Italy keeps its leading 0 in international numbers
		{"ZZ", "5512", "5512"},
		{"DE", "12", ""},
		{"DE", "abc", ""},
	} {
		sq := inbox.ParseSearch(c.q)
		got := ""
		if len(sq.Terms) == 1 {
			got = phoneFragment(sq.Terms[0], c.region)
		}
		if got != c.want {
			t.Errorf("%q in %s: digits %q, want %q", c.q, c.region, got, c.want)
		}
	}
}

// A database from before search gets its messages and contacts indexed by
// the migration that adds the indexes, which tells the log how far it is.
func TestSearchMigrationIndexesExistingData(t *testing.T) {
	old := fstest.MapFS{}
	entries, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range entries {
		if name >= "0015_" {
			continue
		}
		body, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		old[name] = &fstest.MapFile{Data: body}
	}
	path := filepath.Join(t.TempDir(), "switchboard.db")
	raw, err := sql.Open("sqlite", DSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(context.Background(), raw, old, time.Now); err != nil {
		t.Fatal(err)
	}
	var id int64
	for _, q := range []string{
		`INSERT INTO contacts (id, phone, name, created_at, updated_at) VALUES (1, '+4917612345678', 'Wilhelmina', 0, 0)`,
		`INSERT INTO conversations (id, sender_id, channel, contact_id, last_message_at, created_at, updated_at)
			VALUES (1, 'snd_1', 'whatsapp', 1, 0, 0, 0)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := raw.QueryRow(`INSERT INTO messages (conversation_id, direction, channel, type, text, content, status, created_at, updated_at)
		VALUES (1, 'inbound', 'whatsapp', 'document', 'the parcel W-7781 is here', '{"filename":"receipt-5512.pdf"}', 'received', 0, 0)
		RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	// More messages than a batch, so that the log hears of progress.
	for i := range 5 {
		if _, err := raw.Exec(`INSERT INTO messages (conversation_id, direction, channel, type, text, status, created_at, updated_at)
			VALUES (1, 'inbound', 'whatsapp', 'text', ?, 'received', 0, 0)`, fmt.Sprintf("filler %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	batch, report := searchFillBatch, searchFillReport
	searchFillBatch, searchFillReport = 2, 0
	t.Cleanup(func() { searchFillBatch, searchFillReport = batch, report })
	var logged logBuffer
	f := &searchFixture{t: t}
	db, err := Open(path, WithLogger(slog.New(slog.NewJSONHandler(&logged, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	var progress, built int
	for _, line := range strings.Split(strings.TrimSpace(logged.String()), "\n") {
		var rec struct {
			Msg      string `json:"msg"`
			Index    string `json:"index"`
			RowsDone int64  `json:"rows_done"`
			Rows     int64  `json:"rows"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch {
		case rec.Msg == "search index: building" && rec.Index == "messages_tri" && rec.RowsDone > 0:
			progress++
			if rec.Rows != 6 || rec.RowsDone > 6 {
				t.Errorf("progress %+v: want a count of 6 messages", rec)
			}
		case rec.Msg == "search index: built" && rec.Index == "messages_tri":
			built++
			if rec.Rows != 6 {
				t.Errorf("built %+v: want 6 messages", rec)
			}
		}
	}
	if progress < 2 || built != 1 {
		t.Errorf("the log told %d steps of progress and %d ends for messages_tri, want several and one:\n%s", progress, built, logged.String())
	}
	if got := f.ids("7781"); !slices.Equal(got, []int64{id}) {
		t.Errorf("7781 after the migration: %v", got)
	}
	if got := f.ids("5512"); !slices.Equal(got, []int64{id}) {
		t.Errorf("5512 after the migration: %v", got)
	}
	if hits, _ := f.search(inbox.SearchFilter{Query: "wilhel"}); len(hits) != 1 || hits[0].MessageID != 0 {
		t.Errorf("contact after the migration: %+v", hits)
	}
}

func openAt(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A search of a thousand words (a long paste, or a script's query) is
// answered: each distinct word was one more condition of one SQL
// expression, and past some hundreds of words in Chinese or Japanese the
// database refused it ("Expression tree is too large"), so the search box,
// the contacts list and the API answered 500. The first maxSearchTerms
// distinct words are searched; the message they came from is found.
func TestSearchOfManyWordsAnswers(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "王小明", inbox.WhatsApp)
	var words []string
	for i := range 1000 {
		words = append(words, string([]rune{rune(0x4e00 + 2*i), rune(0x4e01 + 2*i)}))
	}
	text := strings.Join(words, " ")
	pasted := f.msg(c, text, nil)
	f.msg(c, strings.Join(words[:50], " "), nil)
	hits, _, err := f.db.Search(context.Background(), inbox.SearchFilter{Query: text, Limit: 50})
	if err != nil {
		t.Fatalf("a search of %d words: %v", len(words), err)
	}
	if len(hits) != 1 || hits[0].MessageID != pasted {
		t.Errorf("a search of the %d words of a message finds %+v, want the message %d", len(words), hits, pasted)
	}
	if _, _, err := f.db.Contacts(context.Background(), inbox.ContactFilter{Query: text, Limit: 50}); err != nil {
		t.Errorf("a contacts search of %d words: %v", len(words), err)
	}
}

// A long message that holds the searched part many times over (a
// customer's "aaaa…", "hahaha…", or a file name of megabytes stored
// before names were cut) is found at once with a marked snippet: FTS5's
// snippet() weighs every place the term is found against every other,
// so a message of 8,000 such characters took a second and one of 2 MB
// held a search, its reader and a core for hours, growing to gigabytes.
func TestSearchLongRepetitiveMessage(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	long := f.msg(c, "Hallo "+strings.Repeat("a", 64<<10), nil)
	done := make(chan struct{})
	var hits []inbox.SearchHit
	go func() {
		defer close(done)
		hits, _ = f.search(inbox.SearchFilter{Query: "aaaaa", Limit: 50})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a search of a 64 KiB message of one letter takes more than 10 s")
	}
	if len(hits) != 1 || hits[0].MessageID != long || !strings.Contains(hits[0].Snippet, inbox.SnippetMarkOpen+"aaaaa") ||
		utf8.RuneCountInString(hits[0].Snippet) > 200 {
		t.Errorf("the search finds %+v, want message %d with a short marked snippet", hits, long)
	}
}

// A search of one very long term (a pasted run of one letter, a quoted
// paragraph) costs what a search of a word does: matching it cost its
// length times the places its parts are found, 3.5 s for 1,000 letters
// against 21 messages of 4,096, and against a message of 64 KiB SQLite
// ran out of memory. A term is searched by its first maxTermLength
// characters, and still finds what holds it.
func TestSearchOfALongTermAnswers(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	for range 20 {
		f.msg(c, strings.Repeat("a", 4096), nil)
	}
	f.msg(c, "Hallo "+strings.Repeat("a", 64<<10), nil)
	long := strings.Repeat("ä", 3000)
	if got := searchTerms(inbox.SearchQuery{Terms: []inbox.SearchTerm{{Text: long}}}); len(got) != 1 || got[0].Text != long[:2*maxTermLength] {
		t.Errorf("a term of 3,000 letters is searched as %d terms, the first of %d letters, want one of %d", len(got), utf8.RuneCountInString(got[0].Text), maxTermLength)
	}
	hits, _, err := f.db.Search(context.Background(), inbox.SearchFilter{Query: strings.Repeat("a", 3000), Limit: 50})
	if err != nil {
		t.Fatalf("a search of 3,000 letters: %v", err)
	}
	if len(hits) != 21 {
		t.Errorf("a search of 3,000 letters finds %d messages, want the 21 that hold it", len(hits))
	}
}

// A name is found whichever way its apostrophe is written: O’Brien as a
// phone sets it (’) by O'Brien typed at a desk, and the other way round,
// in the search, its from: and the Contacts page; a part of a word
// shorter than three characters (O'B) too.
func TestSearchContactNamesWhateverTheApostrophe(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	curly := f.conv("+14155550101", "Dan O’Connor", inbox.WhatsApp)
	straight := f.conv("+14155550102", "Kate O'Brien", inbox.WhatsApp)
	f.conv("+14155550103", "Otto Brien", inbox.WhatsApp)
	f.msg(curly, "Where is my parcel?", nil)
	f.msg(straight, "Where is my parcel?", nil)
	for _, c := range []struct {
		q    string
		want inbox.Conversation
	}{
		{"O'Connor", curly}, {"o'connor", curly}, {"O’Connor", curly}, {"Oʼconnor", curly}, {"dan o'c", curly},
		{"O’Brien", straight}, {"O'Brien", straight}, {"o‘brien", straight}, {"kate o’b", straight},
	} {
		hits, _ := f.search(inbox.SearchFilter{Query: c.q})
		var contacts []int64
		for _, h := range hits {
			if h.MessageID == 0 {
				contacts = append(contacts, h.ConversationID)
			}
		}
		if !slices.Equal(contacts, []int64{c.want.ID}) {
			t.Errorf("search %q: contacts' conversations %v, want %d (%s)", c.q, contacts, c.want.ID, c.want.Contact.Name)
		}
		page, _, err := f.db.Contacts(ctx, inbox.ContactFilter{Query: c.q})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 1 || page[0].ID != c.want.Contact.ID {
			t.Errorf("Contacts page, %q: %+v, want %s alone", c.q, page, c.want.Contact.Name)
		}
		from := strings.Fields(c.q)
		hits, _ = f.search(inbox.SearchFilter{Query: "parcel from:" + from[len(from)-1]})
		if len(hits) != 1 || hits[0].ConversationID != c.want.ID {
			t.Errorf("search parcel from:%s: %+v, want the message of %s", from[len(from)-1], hits, c.want.Contact.Name)
		}
	}
}

// A phone number in a message is found however the search writes it and
// however the customer wrote it: "13125559876" finds "+1 (312)
// 555-9876" and "312.555.9876", and back; in the business's country
// (here Germany), "0176 12345678" finds "+49 176 12345678"; a part of a
// number ("555-9876") finds it written with or without its separators.
func TestSearchFindsPhoneNumbersHoweverWritten(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+447700900123", "Ann", inbox.WhatsApp)
	us := []int64{
		f.msg(c, "Call me at +1 (312) 555-9876 please", nil),
		f.msg(c, "my number is 13125559876", nil),
		f.msg(c, "ring 312.555.9876 after six", nil),
	}
	de := []int64{
		f.msg(c, "Meine Nummer: 0176 12345678", nil),
		f.msg(c, "oder +49 176 12345678", nil),
		f.msg(c, "4917612345678 geht auch", nil),
	}
	f.msg(c, "order 5559 of 876 boxes, ref 12345", nil)
	for _, c := range []struct {
		q    string
		want []int64
	}{
		{"13125559876", us}, {"+13125559876", us}, {"+1 (312) 555-9876", us}, {"+1 312 555 9876", us},
		{"1-312-555-9876", us}, {"555-9876", us},
		{"+4917612345678", de}, {"0176 12345678", de}, {"017612345678", de}, {"+49 176 12345678", de},
	} {
		got := f.ids(c.q)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("search %q: messages %v, want %v", c.q, got, c.want)
		}
	}
}

// A query holding a control character (a NUL pasted with the text) or a
// byte that is no UTF-8, as a script may send, is searched with it as a
// space between words: the search, its from: and -word, and the
// Contacts page answer instead of failing.
func TestSearchQueryWithControlCharacters(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	c := f.conv("+14155550101", "Ann Lee", inbox.WhatsApp)
	id := f.msg(c, "hello world, where is my parcel?", nil)
	for _, q := range []string{"hello\x00world", "parcel\x00", "hello world\x01", "from:Ann\x00parcel", "-late\x00parcel",
		"hel\xfflo", "\xff\xfe parcel", "\x00"} {
		hits, _, err := f.db.Search(ctx, inbox.SearchFilter{Query: q})
		if err != nil {
			t.Errorf("search %q: %v", q, err)
			continue
		}
		if q == "hel\xfflo" || q == "\x00" {
			continue // no word left to find
		}
		if len(hits) != 1 || hits[0].MessageID != id {
			t.Errorf("search %q: %+v, want the message %d", q, hits, id)
		}
	}
	for _, q := range []string{"Ann\x00", "Lee\xff"} {
		page, _, err := f.db.Contacts(ctx, inbox.ContactFilter{Query: q})
		if err != nil {
			t.Errorf("contacts %q: %v", q, err)
		} else if len(page) != 1 || page[0].ID != c.Contact.ID {
			t.Errorf("contacts %q: %+v, want Ann Lee", q, page)
		}
	}
}

// Greek and Russian words are found whatever their accents, on SQLite as
// on PostgreSQL: Greek leaves the stress mark out in capitals and often
// when typing (ΑΘΗΝΑ, αθηνα for Αθήνα), and Russian mostly writes ё as е
// (елка for ёлка); in messages, the start of a word, and contact names,
// on the Contacts page too.
func TestSearchGreekAndRussianWhateverTheAccents(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	kostas := f.conv("+306912345678", "Κώστας Παπαδόπουλος", inbox.WhatsApp)
	olga := f.conv("+79161234567", "Ольга", inbox.WhatsApp)
	athens := f.msg(kostas, "Θα είμαι στην Αθήνα αύριο", nil)
	capitals := f.msg(kostas, "ΤΟ ΔΕΜΑ ΕΙΝΑΙ ΣΤΗΝ ΑΘΗΝΑ", nil)
	tree := f.msg(olga, "Где моя ёлка?", nil)
	plain := f.msg(olga, "Елка пришла, спасибо", nil)
	for _, c := range []struct {
		q    string
		want []int64
	}{
		{"αθηνα", []int64{athens, capitals}}, {"ΑΘΗΝΑ", []int64{athens, capitals}}, {"Αθήνα", []int64{athens, capitals}},
		{"αυριο", []int64{athens}}, {"Αθην", []int64{athens, capitals}}, {"είναι", []int64{capitals}},
		{"елка", []int64{tree, plain}}, {"ёлка", []int64{tree, plain}}, {"ЁЛКА", []int64{tree, plain}},
	} {
		var got []int64
		for _, id := range f.ids(c.q) {
			if id != 0 {
				got = append(got, id)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("search %q: messages %v, want %v", c.q, got, c.want)
		}
	}
	for _, c := range []struct {
		q    string
		want inbox.Conversation
	}{{"κωστας", kostas}, {"ΠΑΠΑΔΟΠΟΥΛΟΣ", kostas}, {"Κωστα", kostas}, {"ольга", olga}} {
		hits, _ := f.search(inbox.SearchFilter{Query: c.q})
		if len(hits) == 0 || hits[0].MessageID != 0 || hits[0].ConversationID != c.want.ID {
			t.Errorf("search %q: %+v, want %s first", c.q, hits, c.want.Contact.Name)
		}
		page, _, err := f.db.Contacts(ctx, inbox.ContactFilter{Query: c.q})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 1 || page[0].ID != c.want.Contact.ID {
			t.Errorf("Contacts page, %q: %+v, want %s", c.q, page, c.want.Contact.Name)
		}
	}
}

// Quotes as a phone types them (“…”, and „…“ in German) quote as "…"
// do, as iOS puts them in the search box: a phrase is found as a phrase,
// from:“Ann Lee” is the contact of two words and label:“Billing issue”
// the label.
func TestSearchTypographicQuotes(t *testing.T) {
	ctx := context.Background()
	f := newSearchFixture(t)
	ann := f.conv("+14155550101", "Ann Lee", inbox.WhatsApp)
	bob := f.conv("+14155550102", "Bob Lee", inbox.WhatsApp)
	phrase := f.msg(ann, "where is my parcel today", nil)
	apart := f.msg(bob, "my parcel is where today", nil)
	billing := &inbox.Label{Name: "Billing issue", Colour: "blue"}
	if err := f.db.CreateLabel(ctx, billing); err != nil {
		t.Fatal(err)
	}
	update(t, f.db, []int64{ann.ID}, inbox.ConversationUpdate{AddLabels: []string{"Billing issue"}}, t0)
	for _, c := range []struct {
		q    string
		want []int64
	}{
		{`"where is"`, []int64{phrase}}, {`“where is”`, []int64{phrase}}, {`„where is“`, []int64{phrase}},
		{`parcel from:“Ann Lee”`, []int64{phrase}}, {`parcel label:“Billing issue”`, []int64{phrase}},
		{`parcel`, []int64{apart, phrase}},
	} {
		if got := f.ids(c.q); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.q, got, c.want)
		}
	}
}

// A contact whose name has a letter of its own that a keyboard without it
// spells otherwise (Michał, Søren, Đức, Weiß) is found as it is typed
// there (michal, soren, duc, weiss), in the search, its from: and on the
// Contacts page; and by the letter itself.
func TestSearchContactNamesTypedWithoutTheirLetters(t *testing.T) {
	ctx := context.Background()
	f := newSearchFixture(t)
	michal := f.conv("+48601234567", "Michał Władysław", inbox.WhatsApp)
	soren := f.conv("+4520123456", "Søren Ærø", inbox.WhatsApp)
	duc := f.conv("+84912345678", "Nguyễn Đức", inbox.WhatsApp)
	weiss := f.conv("+4915112345678", "Jürgen Weiß", inbox.WhatsApp)
	for _, c := range []inbox.Conversation{michal, soren, duc, weiss} {
		f.msg(c, "Where is my parcel?", nil)
	}
	for _, c := range []struct {
		q    string
		want inbox.Conversation
	}{
		{"michal", michal}, {"MICHAL", michal}, {"Michał", michal}, {"wladyslaw", michal}, {"michal wladys", michal},
		{"soren", soren}, {"aero", soren}, {"Søren", soren}, {"duc", duc}, {"nguyen duc", duc}, {"weiss", weiss}, {"Weiß", weiss},
	} {
		hits, _ := f.search(inbox.SearchFilter{Query: c.q})
		if len(hits) == 0 || hits[0].MessageID != 0 || hits[0].ConversationID != c.want.ID {
			t.Errorf("search %q: %+v, want %s first", c.q, hits, c.want.Contact.Name)
		}
		page, _, err := f.db.Contacts(ctx, inbox.ContactFilter{Query: c.q})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 1 || page[0].ID != c.want.Contact.ID {
			t.Errorf("Contacts page, %q: %+v, want %s alone", c.q, page, c.want.Contact.Name)
		}
	}
	hits, _ := f.search(inbox.SearchFilter{Query: "parcel from:michal"})
	if len(hits) != 1 || hits[0].ConversationID != michal.ID {
		t.Errorf("parcel from:michal: %+v, want Michał's message", hits)
	}
}
