package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// TestContactNameFollowsTheNewestEvent: a profile name comes from the
// newest event that carries one, whatever order events arrive in, and a
// repeated name moves its time forward.
func TestContactNameFollowsTheNewestEvent(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		name string
		min  int
		want string
	}{
		{"Ana", 0, "Ana"},
		{"Ana", 10, "Ana"}, // the same name, newer: its time moves to 10
		{"Liam", 5, "Ana"}, // older than 10: ignored
		{"", 20, "Ana"},    // no name: nothing changes
		{"Zoe", 30, "Zoe"},
		{"Bea", 30, "Zoe"}, // the same time: the greater name wins
		{"Zya", 30, "Zya"},
	}
	db := openTest(t)
	for i, s := range steps {
		var got inbox.Contact
		inTx(t, db, func(ctx context.Context, w *writeTx) error {
			var err error
			got, err = w.UpsertContact(ctx, "+14155550000", s.name, t0.Add(time.Duration(s.min)*time.Minute))
			return err
		})
		if got.Name != s.want {
			t.Fatalf("step %d (%q at %d min): name = %q, want %q", i, s.name, s.min, got.Name, s.want)
		}
	}
}

// An agent's name and notes are what the team sees and searches: the
// search finds the contact by its new name and by its notes (not by the
// old ones), a later profile name does not replace the agent's, and an
// empty name lets the profile name back in.
func TestEditContactReachesSearchAndStays(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	wa := f.conv("+4917612345678", "gretchen99", inbox.WhatsApp)
	sms := f.conv("+4917612345678", "", inbox.SMS)
	other := f.conv("+14155550100", "Otto", inbox.WhatsApp)
	f.msg(wa, "hello", nil)
	f.msg(other, "hi", nil)
	name, notes := "Greta Müller", "VIP since 2019; prefers calls after 17:00. Invoice W-55123 disputed."
	d, err := f.db.EditContact(ctx, wa.Contact.ID, inbox.ContactEdit{Name: &name, Notes: &notes, By: 7, At: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != name || d.Notes != notes || d.NotesBy != 7 || !d.NameByAgent || len(d.Conversations) != 2 {
		t.Fatalf("details after the edit: %+v", d)
	}
	if d.Conversations[0].ID != wa.ID && d.Conversations[0].ID != sms.ID {
		t.Errorf("conversations %+v", d.Conversations)
	}
	contactHits := func(q string) []int64 {
		hits, _ := f.search(inbox.SearchFilter{Query: q})
		var out []int64
		for _, h := range hits {
			if h.MessageID == 0 {
				out = append(out, h.Contact.ID)
			}
		}
		return out
	}
	for _, q := range []string{"muller", "Greta", "W-55123", "5512", "prefers calls"} {
		if got := contactHits(q); len(got) != 2 || got[0] != wa.Contact.ID {
			t.Errorf("search %q: contacts %v, want the edited contact in its two conversations", q, got)
		}
	}
	if got := contactHits("gretchen99"); len(got) != 0 {
		t.Errorf("the old name still finds the contact: %v", got)
	}
	hits, _ := f.search(inbox.SearchFilter{Query: "invoice"})
	if len(hits) == 0 || !strings.Contains(hits[0].Snippet, "\x02Invoice\x03") {
		t.Errorf("notes snippet: %+v", hits)
	}

	// A newer profile name does not replace the agent's.
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		_, err := w.UpsertContact(ctx, "+4917612345678", "gretchen2000", t0.Add(48*time.Hour))
		return err
	})
	if d, _ := f.db.ContactDetails(ctx, wa.Contact.ID); d.Name != name {
		t.Errorf("after a profile name arrived, name = %q, want the agent's %q", d.Name, name)
	}
	// An empty name gives it back to the profile.
	empty := ""
	if _, err := f.db.EditContact(ctx, wa.Contact.ID, inbox.ContactEdit{Name: &empty, At: t0.Add(49 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		_, err := w.UpsertContact(ctx, "+4917612345678", "gretchen2000", t0.Add(50*time.Hour))
		return err
	})
	if d, _ := f.db.ContactDetails(ctx, wa.Contact.ID); d.Name != "gretchen2000" || d.NameByAgent {
		t.Errorf("after clearing, name = %q (agent %v), want the profile's", d.Name, d.NameByAgent)
	}
	if got := contactHits("gretchen2000"); len(got) != 2 {
		t.Errorf("the profile name is not searchable: %v", got)
	}

	long := strings.Repeat("x", inbox.MaxContactNotes+1)
	if _, err := f.db.EditContact(ctx, wa.Contact.ID, inbox.ContactEdit{Notes: &long}); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("notes too long: %v, want ErrInvalid", err)
	}
	if _, err := f.db.EditContact(ctx, 9999, inbox.ContactEdit{Notes: &notes}); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("unknown contact: %v, want ErrNotFound", err)
	}
}

// The contacts list pages newest first, and a search finds contacts by
// name, a number in any format and notes, best match first, with paging.
// Two agents edit a contact's notes from forms that showed the same
// notes: the second save is refused with the first one's notes, and goes
// through once its form counts from them. A form whose notes were left as
// they were changes only the name, whatever a teammate saved meanwhile.
func TestEditContactKeepsATeammatesNotes(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	wa := f.conv("+4917612345678", "gretchen99", inbox.WhatsApp)
	id := wa.Contact.ID
	shown := inbox.TextVersion("")
	ana, ben := "Prefers calls after 17:00.", "Invoice W-55123 disputed."
	if _, err := f.db.EditContact(ctx, id, inbox.ContactEdit{Notes: &ben, NotesWas: &shown, By: 2, At: t0}); err != nil {
		t.Fatal(err)
	}
	_, err := f.db.EditContact(ctx, id, inbox.ContactEdit{Notes: &ana, NotesWas: &shown, By: 1, At: t0.Add(time.Minute)})
	var theirs *inbox.NotesChangedMeanwhile
	if !errors.As(err, &theirs) || !errors.Is(err, inbox.ErrConflict) || theirs.Notes != ben || theirs.By != 2 || !theirs.At.Equal(t0) {
		t.Fatalf("saving over a teammate's notes: %v (%+v), want NotesChangedMeanwhile with Ben's notes", err, theirs)
	}
	if d, _ := f.db.ContactDetails(ctx, id); d.Notes != ben || d.NotesBy != 2 {
		t.Errorf("after the refused save the notes are %q by %d, want Ben's", d.Notes, d.NotesBy)
	}
	// The same notes as the teammate's are no conflict.
	if _, err := f.db.EditContact(ctx, id, inbox.ContactEdit{Notes: &ben, NotesWas: &shown, By: 1, At: t0.Add(time.Minute)}); err != nil {
		t.Errorf("saving the notes the teammate saved: %v", err)
	}
	now := inbox.TextVersion(ben)
	if _, err := f.db.EditContact(ctx, id, inbox.ContactEdit{Notes: &ana, NotesWas: &now, By: 1, At: t0.Add(2 * time.Minute)}); err != nil {
		t.Fatalf("saving again from Ben's notes: %v", err)
	}
	if d, _ := f.db.ContactDetails(ctx, id); d.Notes != ana || d.NotesBy != 1 {
		t.Errorf("after saving again the notes are %q by %d, want Ana's", d.Notes, d.NotesBy)
	}

	// Ben's form still shows his notes; he changes only the name.
	name, old := "Greta Müller", ben
	d, err := f.db.EditContact(ctx, id, inbox.ContactEdit{Name: &name, Notes: &old, NameWas: &shown, NotesWas: &now, By: 2, At: t0.Add(3 * time.Minute)})
	if err != nil || d.Name != name || d.Notes != ana || d.NotesBy != 1 {
		t.Errorf("a new name from a form with the notes left as shown: %q, notes %q by %d (%v); want the name, Ana's notes", d.Name, d.Notes, d.NotesBy, err)
	}
	// A name left as shown stays as the contact has it.
	other, was := "Greta M.", inbox.TextVersion("gretchen99")
	if _, err := f.db.EditContact(ctx, id, inbox.ContactEdit{Name: &other, NameWas: &was, At: t0.Add(4 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	unchanged := "gretchen99"
	if d, err := f.db.EditContact(ctx, id, inbox.ContactEdit{Name: &unchanged, NameWas: &was, At: t0.Add(5 * time.Minute)}); err != nil || d.Name != other {
		t.Errorf("a name left as the form showed it: %q (%v), want %q kept", d.Name, err, other)
	}
}

func TestContactsListAndSearch(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	var ids []int64
	for i := range 5 {
		c := f.conv(fmt.Sprintf("+491761234%04d", i), fmt.Sprintf("Kunde %d", i), inbox.WhatsApp)
		ids = append(ids, c.Contact.ID)
	}
	f.conv("+14155550100", "Otto", inbox.SMS)
	var all []int64
	cursor := ""
	for range 10 {
		page, next, err := f.db.Contacts(ctx, inbox.ContactFilter{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			all = append(all, c.ID)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if len(all) != 6 || !slices.IsSortedFunc(all, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("all contacts by pages of 2: %v, want 6 newest first", all)
	}
	for _, q := range []string{"0176 1234", "+49 176 1234", "kunde"} {
		var found []int64
		cursor = ""
		for range 10 {
			page, next, err := f.db.Contacts(ctx, inbox.ContactFilter{Query: q, Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page {
				found = append(found, c.ID)
				if c.Conversations != 1 || c.Snippet == "" {
					t.Errorf("%q: %+v", q, c)
				}
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		slices.Sort(found)
		if !slices.Equal(found, ids) {
			t.Errorf("search %q: %v, want %v", q, found, ids)
		}
	}
	if _, _, err := f.db.Contacts(ctx, inbox.ContactFilter{Cursor: "!!"}); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("bad cursor: %v", err)
	}
}

// Paging through the contacts a search finds gives each once, though new
// customers who match arrive between two pages: later pages are those of
// the first; the newcomers come in a new search.
func TestContactSearchPagesStayPutAsCustomersArrive(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	var ids []int64
	for i := range 5 {
		ids = append(ids, f.conv(fmt.Sprintf("+491761234%04d", i), "Kunde", inbox.WhatsApp).Contact.ID)
	}
	seen := map[int64]int{}
	cursor := ""
	for page := range 10 {
		items, next, err := f.db.Contacts(ctx, inbox.ContactFilter{Query: "kunde", Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range items {
			seen[c.ID]++
		}
		if page < 2 {
			f.conv(fmt.Sprintf("+491761235%04d", page), "Kunde", inbox.WhatsApp)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("contact %d came %d times, want once (all: %v)", id, seen[id], seen)
		}
	}
}
