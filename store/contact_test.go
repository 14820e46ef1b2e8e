package store

import (
	"context"
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
