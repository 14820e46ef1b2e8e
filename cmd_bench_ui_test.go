package main

import (
	"context"
	"path/filepath"
	"testing"

	"switchboard/store"
)

// The presence bench counts a page as told a round's state once the page
// shows it, as a browser would, including when the message that tells it
// also carries the state before (the teammate's arrival and their first
// keystrokes, waiting for the same write): every page is told every
// round.
func TestBenchPresenceTellsEveryPageEveryRound(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "ui.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := startUIServer(ctx, db)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	defer s.close()
	const pages, rounds = 100, 6
	lat, missed, err := s.presence(ctx, pages, rounds)
	if err != nil {
		t.Fatal(err)
	}
	if missed != 0 || len(lat) != pages*rounds {
		t.Errorf("%d of %d updates not delivered (%d measured)", missed, pages*rounds, len(lat))
	}
}

func TestPresenceShownIsTheThreadsLastPresenceInAMessage(t *testing.T) {
	const (
		marker    = `<i data-live="seq" data-seq="4" hidden></i>`
		arrives   = `<div data-live="presence" data-conversation="7" hidden><i data-user="1" data-name="Ana" data-typing=""></i><i data-user="2" data-name="Tia &#34;T&#34;" data-typing=""></i></div>`
		types     = `<div data-live="presence" data-conversation="7" hidden><i data-user="1" data-name="Ana" data-typing=""></i><i data-user="2" data-name="Tia &#34;T&#34;" data-typing="reply"></i></div>`
		leaves    = `<div data-live="presence" data-conversation="7" hidden><i data-user="1" data-name="Ana" data-typing=""></i></div>`
		elsewhere = `<div data-live="presence" data-conversation="8" hidden><i data-user="2" data-name="Tia" data-typing=""></i></div>`
	)
	for _, tc := range []struct {
		name, msg string
		typing    string
		here      bool
	}{
		{"arrives", arrives, "", true},
		{"types", marker + types, "reply", true},
		{"arrives then types, in one message", arrives + types, "reply", true},
		{"types then stops, in one message", types + arrives, "", true},
		{"types, then another thread's presence", types + elsewhere, "reply", true},
		{"types then leaves", types + leaves, "", false},
		{"no presence", marker, "", false},
		{"another thread only", elsewhere, "", false},
	} {
		typing, here := presenceShown([]byte(tc.msg), 7, 2)
		if typing != tc.typing || here != tc.here {
			t.Errorf("%s: shown (%q, %v), want (%q, %v)", tc.name, typing, here, tc.typing, tc.here)
		}
	}
}
