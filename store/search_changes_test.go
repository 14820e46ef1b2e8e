package store

import (
	"context"
	"slices"
	"testing"

	"switchboard/inbox"
)

// Within one write transaction a message or contact may change several
// times (stored, its content filled in, edited, removed): the indexes
// end with its last text only and agree with their content. A message
// with no text, and a status change, write nothing to them.
func TestSearchChangesInATransaction(t *testing.T) {
	f := newSearchFixture(t)
	c := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	indexRows := func() string { return searchIndexState(t, f.db) }
	edit := func(ctx context.Context, w *writeTx, id int64, change func(*inbox.Message)) error {
		m, err := w.MessageByID(ctx, id)
		if err != nil {
			return err
		}
		change(&m)
		return w.UpdateMessage(ctx, &m)
	}

	// Stored, edited twice and edited back in one transaction; another
	// stored and removed.
	var kept, gone int64
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		m := &inbox.Message{ZavuID: "msg_a", ConversationID: c.ID, Direction: inbox.Inbound, Channel: c.Channel,
			Type: inbox.TypeText, Text: "parcel W-55120 arrived", Status: inbox.StatusReceived,
			Source: inbox.SourceCustomer, CreatedAt: t0, UpdatedAt: t0}
		if err := w.InsertMessage(ctx, m); err != nil {
			return err
		}
		kept = m.ID
		for _, text := range []string{"refund for W-55120", "parcel lost", "parcel W-77341 arrived"} {
			if err := edit(ctx, w, kept, func(m *inbox.Message) { m.Text = text }); err != nil {
				return err
			}
		}
		o := &inbox.Message{ZavuID: "msg_b", ConversationID: c.ID, Direction: inbox.Inbound, Channel: c.Channel,
			Type: inbox.TypeText, Text: "parcel W-99999", Status: inbox.StatusReceived,
			Source: inbox.SourceCustomer, CreatedAt: t0, UpdatedAt: t0}
		if err := w.InsertMessage(ctx, o); err != nil {
			return err
		}
		gone = o.ID
		return w.DeleteMessage(ctx, gone)
	})
	for q, want := range map[string][]int64{"parcel": {kept}, "W-77341": {kept}, "7734": {kept},
		"refund": nil, "55120": nil, "lost": nil, "99999": nil} {
		if got := f.ids(q); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}

	// Edited away and back in one transaction: found as before.
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		if err := edit(ctx, w, kept, func(m *inbox.Message) { m.Text = "something else" }); err != nil {
			return err
		}
		return edit(ctx, w, kept, func(m *inbox.Message) { m.Text = "parcel W-77341 arrived" })
	})
	// A status change, and a message with no text yet (media whose
	// caption is empty): the indexes untouched.
	before := indexRows()
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		return edit(ctx, w, kept, func(m *inbox.Message) { m.Status = inbox.StatusRead })
	})
	empty := f.msg(c, "", nil)
	if after := indexRows(); after != before {
		t.Errorf("the index rows went from %s to %s for a status change and a message without text", before, after)
	}
	if got := f.ids("parcel"); !slices.Equal(got, []int64{kept}) {
		t.Errorf("parcel after an edit back: %v", got)
	}
	// The empty message gets its text later: found; then removed: gone.
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		return edit(ctx, w, empty, func(m *inbox.Message) { m.Text = "late caption Q-4410" })
	})
	if got := f.ids("4410"); !slices.Equal(got, []int64{empty}) {
		t.Errorf("a filled-in text: %v", got)
	}
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error { return w.DeleteMessage(ctx, empty) })
	if got := f.ids("4410"); len(got) != 0 {
		t.Errorf("a removed text: %v", got)
	}

	// A contact named and renamed in one transaction.
	inTx(t, f.db, func(ctx context.Context, w *writeTx) error {
		for _, name := range []string{"Zed Quill", "Ana Müller"} {
			if _, err := w.UpsertContact(ctx, "+4917612345678", name, t0); err != nil {
				return err
			}
		}
		_, err := w.execSQL(ctx, `UPDATE contacts SET name = 'Ana Maria' WHERE phone = '+4917612345678'`)
		return err
	})
	hits, _ := f.search(inbox.SearchFilter{Query: "quill"})
	if len(hits) != 0 {
		t.Errorf("an intermediate name is found: %+v", hits)
	}
	if hits, _ := f.search(inbox.SearchFilter{Query: "maria"}); len(hits) != 1 || hits[0].MessageID != 0 {
		t.Errorf("the last name: %+v", hits)
	}

	checkSearchIndexes(t, f.db)
}
