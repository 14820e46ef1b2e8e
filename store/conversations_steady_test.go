package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"switchboard/inbox"
)

// TestSteadyListShowsEachConversationOnce pages through all conversations
// while customers write: one already shown, one not yet reached (which
// moves above the pages read), and a new customer. Each conversation there
// at the first page is shown exactly once; a cursor made up is refused.
func TestSteadyListShowsEachConversationOnce(t *testing.T) {
	for _, label := range []string{"", "vip"} {
		t.Run("label "+label, func(t *testing.T) { steadyListShowsEachOnce(t, label) })
	}
}

func steadyListShowsEachOnce(t *testing.T, label string) {
	db := openTest(t)
	ctx := context.Background()
	n := 0
	write := func(phone int, at int) int64 {
		t.Helper()
		n++
		ev := inboundEvent(fmtID("evt", n), fmtID("+1555", phone), fmtID("msg", n), "hello", t0.Add(timeMinutes(at)))
		if _, err := db.Ingest(ctx, ev, applyInbound); err != nil {
			t.Fatal(err)
		}
		m, err := db.MessageByZavuID(ctx, fmtID("msg", n))
		if err != nil {
			t.Fatal(err)
		}
		return m.ConversationID
	}
	var ids []int64
	for i := range 10 {
		ids = append(ids, write(i, i)) // conversation of +1555_9 first, +1555_0 last
	}
	if label != "" {
		if err := db.CreateLabel(ctx, &inbox.Label{Name: label, Colour: "red"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.UpdateConversations(ctx, ids, inbox.ConversationUpdate{AddLabels: []string{label}}, t0); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int64]int{}
	cursor := ""
	for page := 0; ; page++ {
		items, next, err := db.Conversations(ctx, inbox.ConversationFilter{Limit: 3, Cursor: cursor, Steady: true, Label: label})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range items {
			seen[c.ID]++
		}
		if page == 0 {
			write(0, 100)  // the last conversation, not reached yet, moves to the top
			write(9, 101)  // one shown already moves up again
			write(42, 102) // a new customer
		}
		if page == 1 {
			write(1, 103)
		}
		if next == "" {
			break
		}
		if page > 10 {
			t.Fatal("the list never ends")
		}
		cursor = next
	}
	if len(seen) != 10 {
		t.Errorf("%d conversations shown, want the 10 there at the first page: %v", len(seen), seen)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("conversation %d shown %d times", id, k)
		}
	}
	// A fresh listing starts from the latest activity.
	items, _, err := db.Conversations(ctx, inbox.ConversationFilter{Limit: 1, Steady: true, Label: label})
	if err != nil || len(items) != 1 || items[0].Contact.Phone != "+1555_1" {
		t.Errorf("a fresh list starts with %+v, %v; want the latest to write", items, err)
	}
	for _, bad := range []string{encodeCursor(5, "1:0:3"), encodeCursor(5, "1:2"), "bm90IG91cnM"} {
		if _, _, err := db.Conversations(ctx, inbox.ConversationFilter{Cursor: bad, Steady: true}); err == nil {
			t.Errorf("cursor %q: no error", bad)
		}
	}
}

// TestContactsPagesShowEachContactOnceAsCustomersWrite pages through all
// contacts, the latest in contact first, while customers write: one not
// reached yet (which moves above the pages read), one shown already, and a
// new customer. Each contact there at the first page is shown exactly once.
func TestContactsPagesShowEachContactOnceAsCustomersWrite(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	n := 0
	write := func(phone int, at int) {
		t.Helper()
		n++
		ev := inboundEvent(fmtID("evt", n), fmtID("+1555", phone), fmtID("msg", n), "hello", t0.Add(timeMinutes(at)))
		if _, err := db.Ingest(ctx, ev, applyInbound); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		write(i, i)
	}
	seen := map[int64]int{}
	cursor := ""
	for page := 0; ; page++ {
		items, next, err := db.Contacts(ctx, inbox.ContactFilter{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range items {
			seen[c.ID]++
		}
		if page == 0 {
			write(0, 100)
			write(9, 101)
			write(42, 102)
		}
		if page == 1 {
			write(1, 103)
		}
		if next == "" {
			break
		}
		if page > 10 {
			t.Fatal("the list never ends")
		}
		cursor = next
	}
	if len(seen) != 10 {
		t.Errorf("%d contacts shown, want the 10 there at the first page: %v", len(seen), seen)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("contact %d shown %d times", id, k)
		}
	}
	items, _, err := db.Contacts(ctx, inbox.ContactFilter{Limit: 1})
	if err != nil || len(items) != 1 || items[0].Phone != "+1555_1" {
		t.Errorf("a fresh list starts with %+v, %v; want the latest to write", items, err)
	}
}

// TestContactsPageWalksItsIndex fails when a page of all contacts would
// scan the table or sort instead of walking contacts_by_last_contact.
func TestContactsPageWalksItsIndex(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for i := range 30 {
		ev := inboundEvent(fmtID("evt", i), fmtID("+1555", i), fmtID("msg", i), "hello", t0.Add(timeMinutes(i)))
		if _, err := db.Ingest(ctx, ev, applyInbound); err != nil {
			t.Fatal(err)
		}
	}
	inTx(t, db, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `ANALYZE`)
		return err
	})
	for _, cur := range []convCursor{{at: t0.UnixMilli(), id: 5}, {at: t0.UnixMilli(), id: 5, top: 20, convTop: 20}} {
		q, args := contactsPageQuery(cur, 50)
		plan := explain(t, db, q, args...)
		if bad := badStep(plan); bad != "" || !strings.Contains(plan, "contacts_by_last_contact") {
			t.Errorf("%+v: the plan has %q:\n%s", cur, bad, plan)
		}
	}
}

// TestSteadyListSaysWhenTooMuchCameMeanwhile: past the messages a page
// looks through since the first, the next page is refused with
// cursor_expired, saying to list again, rather than shown out of order.
func TestSteadyListSaysWhenTooMuchCameMeanwhile(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	was := steadyMovedCap
	steadyMovedCap = 2
	t.Cleanup(func() { steadyMovedCap = was })
	for i := range 6 {
		ev := inboundEvent(fmtID("evt", i), fmtID("+1555", i%3), fmtID("msg", i), "hello", t0.Add(timeMinutes(i)))
		if _, err := db.Ingest(ctx, ev, applyInbound); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			_, next, err := db.Conversations(ctx, inbox.ConversationFilter{Limit: 1, Steady: true})
			if err != nil || next == "" {
				t.Fatal(next, err)
			}
			defer func() {
				_, _, err := db.Conversations(ctx, inbox.ConversationFilter{Limit: 1, Steady: true, Cursor: next})
				var ie *inbox.InvalidError
				if !errors.As(err, &ie) || ie.Code != "cursor_expired" || !errors.Is(err, inbox.ErrInvalid) {
					t.Errorf("a page after 3 messages with room for 2: %v, want cursor_expired", err)
				}
			}()
		}
	}
}
