package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// On PostgreSQL an event's contact is found, created or renamed in one
// round trip, and a contact the event brings nothing new for is not
// written (its row version stays): a new contact, a rename and a repeat
// each send one statement about contacts, and the contact comes back as
// stored.
func TestPostgresContactUpsertIsOneRoundTrip(t *testing.T) {
	db, log := openTracedPostgres(t)
	const phone = "+14155550000"
	version := func() string {
		var v string
		if err := db.reader.QueryRow(`SELECT xmin::text FROM contacts WHERE phone = $1`, phone).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	steps := []struct {
		name   string
		min    int
		want   string
		writes bool
	}{
		{"Ana", 0, "Ana", true},   // new
		{"Ana", 0, "Ana", false},  // the same name at the same time
		{"Liam", 0, "Liam", true}, // the same time, a greater name
		{"Bea", -5, "Liam", false},
		{"", 20, "Liam", false},
		{"Zoe", 30, "Zoe", true},
	}
	var id int64
	for i, s := range steps {
		before := ""
		if i > 0 {
			before = version()
		}
		log.take()
		var got inbox.Contact
		inTx(t, db, func(ctx context.Context, w *writeTx) error {
			var err error
			got, err = w.UpsertContact(ctx, phone, s.name, t0.Add(time.Duration(s.min)*time.Minute))
			return err
		})
		var sent []string
		for _, q := range log.take() {
			if strings.Contains(q, "contacts") {
				sent = append(sent, q)
			}
		}
		if len(sent) != 1 {
			t.Errorf("step %d: %d statements sent, want 1:\n%s", i, len(sent), strings.Join(sent, "\n"))
		}
		if i == 0 {
			id = got.ID
		}
		if got.Name != s.want || got.ID != id || got.Phone != phone {
			t.Errorf("step %d (%q at %d min): contact %+v, want %q, id %d", i, s.name, s.min, got, s.want, id)
		}
		if i > 0 && (version() != before) != s.writes {
			t.Errorf("step %d (%q at %d min): written %v, want %v", i, s.name, s.min, version() != before, s.writes)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM contacts`); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}
}
