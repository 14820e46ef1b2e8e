package main

import (
	"testing"
	"time"
)

// A row that enters an agent's "mine" list because a conversation was
// given to them counts as late only from that assignment, not from the
// conversation's last message, seconds before; a row the page should
// have shown at once counts from its message.
func TestTeamBenchTimesNewlyMineRowsFromTheAssignment(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	const conv, ann, bob = 7, 1, 2
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	for _, tc := range []struct {
		name    string
		history []teamAssign
		seen    time.Time
		want    time.Time
	}{
		{"given to ann after the message", []teamAssign{{conv, ann, at(5000)}}, at(5010), at(5000)},
		{"ann's already", []teamAssign{{conv, ann, at(-100)}}, at(900), at(0)},
		{"given to ann after it was seen", []teamAssign{{conv, ann, at(5000)}}, at(40), at(0)},
		{"given to bob", []teamAssign{{conv, bob, at(5000)}}, at(5010), at(0)},
		{"from bob to ann", []teamAssign{{conv, bob, at(-100)}, {conv, ann, at(3000)}}, at(3020), at(3000)},
	} {
		if got := shownFrom(at(0), tc.seen, ann, tc.history); !got.Equal(tc.want) {
			t.Errorf("%s: shown from %v, want %v", tc.name, got.Sub(t0), tc.want.Sub(t0))
		}
	}
}
