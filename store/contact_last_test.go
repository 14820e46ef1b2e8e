package store

import (
	"context"
	"database/sql"
	"errors"
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

// The contacts list shows the contact last in touch first: a message from
// the customer or a reply to them counts, a note or an activity line does
// not; contacts with no message yet come last, newest first. Paging keeps
// that order, and a contact's details say the same latest contact.
func TestContactsListLatestInContactFirst(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	ana := f.conv("+14155550101", "Ana", inbox.WhatsApp)
	ben := f.conv("+14155550102", "Ben", inbox.WhatsApp)
	cleo := f.conv("+14155550103", "Cleo", inbox.SMS)
	nobody := f.conv("+14155550104", "Dora", inbox.WhatsApp) // never written to
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	add := func(c inbox.Conversation, dir inbox.Direction, typ inbox.MessageType, min int) {
		t.Helper()
		f.n++
		m := &inbox.Message{ZavuID: "msg_last_" + strconv.Itoa(f.n), ConversationID: c.ID, Direction: dir, Channel: c.Channel,
			Type: typ, Text: "hello", Status: inbox.StatusReceived, Source: inbox.SourceCustomer, CreatedAt: at(min), UpdatedAt: at(min)}
		if dir != inbox.Inbound {
			m.Status, m.Source, m.ZavuID = inbox.StatusSent, inbox.SourceAgent, m.ZavuID+"_out"
		}
		if dir == inbox.Internal {
			m.ZavuID = ""
		}
		inTx(t, f.db, func(ctx context.Context, w *writeTx) error { return w.InsertMessage(ctx, m) })
	}
	add(ana, inbox.Inbound, inbox.TypeText, 1)
	add(ben, inbox.Inbound, inbox.TypeText, 2)
	add(cleo, inbox.Inbound, inbox.TypeText, 3)
	add(ana, inbox.Outbound, inbox.TypeText, 4)  // a reply to Ana: she is the latest in touch
	add(ben, inbox.Internal, inbox.TypeNote, 5)  // a note on Ben's: not a contact
	add(cleo, inbox.Inbound, inbox.TypeText, -1) // an older message, stored late, changes nothing

	want := []int64{ana.Contact.ID, cleo.Contact.ID, ben.Contact.ID, nobody.Contact.ID}
	all, _, err := f.db.Contacts(ctx, inbox.ContactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := contactIDs(all); !slices.Equal(got, want) {
		t.Fatalf("contacts %v, want %v (Ana, Cleo, Ben, then Dora who has no message)", got, want)
	}
	if !all[0].LastContactAt.Equal(at(4)) || !all[1].LastContactAt.Equal(at(3)) || !all[2].LastContactAt.Equal(at(2)) || !all[3].LastContactAt.IsZero() {
		t.Errorf("latest contacts %v, %v, %v, %v: want minutes 4, 3, 2 and none",
			all[0].LastContactAt, all[1].LastContactAt, all[2].LastContactAt, all[3].LastContactAt)
	}
	var paged []inbox.ContactSummary
	cursor := ""
	for range 10 {
		page, next, err := f.db.Contacts(ctx, inbox.ContactFilter{Limit: 1, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page...)
		if cursor = next; cursor == "" {
			break
		}
	}
	if got := contactIDs(paged); !slices.Equal(got, want) {
		t.Errorf("by pages of 1: %v, want %v", got, want)
	}
	d, err := f.db.ContactDetails(ctx, ben.Contact.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !d.LastContactAt.Equal(at(2)) {
		t.Errorf("Ben's details: latest contact %v, want %v (the note after it is not a contact)", d.LastContactAt, at(2))
	}

	// A cursor of the search does not page the whole list, nor the other
	// way round.
	_, searchNext, err := f.db.Contacts(ctx, inbox.ContactFilter{Query: "+1415555", Limit: 1})
	if err != nil || searchNext == "" {
		t.Fatalf("search: next %q, %v", searchNext, err)
	}
	_, listNext, _ := f.db.Contacts(ctx, inbox.ContactFilter{Limit: 1})
	for _, tc := range []inbox.ContactFilter{{Cursor: searchNext}, {Query: "+1415555", Cursor: listNext}} {
		if _, _, err := f.db.Contacts(ctx, tc); !errors.Is(err, inbox.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", tc, err)
		}
	}
}

func contactIDs(cs []inbox.ContactSummary) []int64 {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// Migration 0031 gives the contacts of an existing database their latest
// contact from the messages already stored.
func TestMigrationGivesContactsTheirLatestContact(t *testing.T) {
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
		if v, _ := strconv.Atoi(strings.SplitN(name, "_", 2)[0]); v <= 30 {
			b, _ := fs.ReadFile(embeddedMigrations, name)
			before[name] = &fstest.MapFile{Data: b}
		}
	}
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := sql.Open("sqlite", DSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db, before, time.Now); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO senders (id, phone, created_at, updated_at) VALUES ('snd_1', '+13125550000', 0, 0)`,
		`INSERT INTO contacts (id, phone, created_at, updated_at) VALUES (1, '+14155550101', 0, 0), (2, '+14155550102', 0, 0)`,
		`INSERT INTO conversations (id, sender_id, channel, contact_id, status, last_message_at, created_at, updated_at)
			VALUES (1, 'snd_1', 'whatsapp', 1, 'open', 0, 0, 0), (2, 'snd_1', 'sms', 1, 'open', 0, 0, 0)`,
		`INSERT INTO messages (zavu_id, conversation_id, direction, channel, type, text, status, source, created_at, updated_at) VALUES
			('m1', 1, 'inbound', 'whatsapp', 'text', 'hi', 'received', 'customer', 1000, 1000),
			('m2', 2, 'outbound', 'sms', 'text', 'hello', 'sent', 'agent', 3000, 3000),
			(NULL, 2, 'internal', 'sms', 'note', 'a note', 'sent', 'agent', 9000, 9000)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := migrate(ctx, db, embeddedMigrations, time.Now); err != nil {
		t.Fatal(err)
	}
	var one, two int64
	if err := db.QueryRowContext(ctx, `SELECT (SELECT last_contact_at FROM contacts WHERE id = 1), (SELECT last_contact_at FROM contacts WHERE id = 2)`).
		Scan(&one, &two); err != nil {
		t.Fatal(err)
	}
	if one != 3000 || two != 0 {
		t.Errorf("latest contacts %d and %d, want 3000 (the reply, not the later note) and 0 (no message)", one, two)
	}
}

// A contact's latest contact is the time of the latest message with them,
// whatever order Zavu's copies and reports came in: a late copy of a
// customer's message delivered first, or a delivery report that left a
// placeholder before the earlier report came, puts it no later than the
// message's own time once the earlier copy is here.
func TestAContactsLatestContactFollowsItsMessagesTimes(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	ana, ben, cleo := "+14155550101", "+14155550102", "+14155550103"
	report := func(id, zavuID, phone string, s inbox.Status, min int) *inbox.Event {
		ev := statusEvent(id, zavuID, s, at(min))
		ev.Status.To = phone
		return ev
	}
	mustIngest(t, db,
		inboundEvent("evt_ana_late", ana, "msg_ana", "Hello", at(10)), // a copy delivered late, first
		inboundEvent("evt_ana", ana, "msg_ana", "Hello", at(1)),
		report("evt_ben_delivered", "msg_ben", ben, inbox.StatusDelivered, 9), // another system's message to Ben
		report("evt_ben_sent", "msg_ben", ben, inbox.StatusSent, 2),
		inboundEvent("evt_cleo", cleo, "msg_cleo", "Hi", at(5)),
	)
	all, _, err := db.Contacts(ctx, inbox.ContactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Time{}
	var order []string
	for _, c := range all {
		got[c.Phone], order = c.LastContactAt, append(order, c.Phone)
	}
	if want := []string{cleo, ben, ana}; !slices.Equal(order, want) {
		t.Errorf("contacts %v, want %v (the latest in touch first)", order, want)
	}
	for phone, min := range map[string]int{ana: 1, ben: 2, cleo: 5} {
		if !got[phone].Equal(at(min)) {
			t.Errorf("%s: latest contact %v, want %v", phone, got[phone], at(min))
		}
	}
	id := all[slices.Index(order, ana)].ID
	d, err := db.ContactDetails(ctx, id)
	if err != nil || !d.LastContactAt.Equal(at(1)) {
		t.Errorf("Ana's details: latest contact %v (%v), want %v", d.LastContactAt, err, at(1))
	}
}
