package web

import (
	"testing"
	"time"
)

// The pages of one session share a recent check; another session, or an
// answer too old, is looked up.
func TestSessionChecksShareARecentAnswer(t *testing.T) {
	var sc sessionChecks
	looked := map[string]int{}
	check := func(token string) bool { looked[token]++; return token != "gone" }
	for range 10 {
		if !sc.holdsRecently("tok", time.Hour, check) {
			t.Fatal("a holding session was taken for signed out")
		}
	}
	if sc.holdsRecently("gone", time.Hour, check) || sc.holdsRecently("gone", time.Hour, check) {
		t.Fatal("a signed-out session was taken for holding")
	}
	if looked["tok"] != 1 || looked["gone"] != 1 {
		t.Errorf("looked up %v, want each session once", looked)
	}
	sc.holdsRecently("tok", 0, check) // no answer is recent enough
	if looked["tok"] != 2 {
		t.Errorf("an old answer was reused: %v", looked)
	}
}
