package web

import (
	"slices"
	"testing"
	"time"

	"switchboard/inbox"
)

// relayedHub is a presenceHub whose notes to other processes the test
// takes.
func relayedHub(t *testing.T) (*presenceHub, chan inbox.LiveNote) {
	p := newPresenceHub(t)
	notes := make(chan inbox.LiveNote, 64)
	relay := func(n inbox.LiveNote) { notes <- n }
	p.h.relay.Store(&relay)
	return p, notes
}

// noteOf is the next presence note the hub sent, or fails; notes of the
// users with live pages (pages_relay.go) are passed over.
func noteOf(t *testing.T, notes chan inbox.LiveNote) []int64 {
	t.Helper()
	for {
		select {
		case n := <-notes:
			if n.Kind == relayPagesKind {
				continue
			}
			if n.Kind != relayPresenceKind {
				t.Fatalf("note %+v, not presence", n)
			}
			return n.IDs
		case <-time.After(5 * time.Second): // a guard against a hang only
			t.Fatal("no presence note was sent")
			return nil
		}
	}
}

func TestPresenceCrossesProcesses(t *testing.T) {
	team := people{1: {ID: 1, Name: "Ana"}, 2: {ID: 2, Name: "Ben"}}
	a, toB := relayedHub(t)
	b, _ := relayedHub(t)
	hear := func(ids []int64) {
		t.Helper()
		e, ok := presenceNote(ids, team)
		if !ok {
			t.Fatalf("presence note %v not read", ids)
		}
		b.h.elsewhere <- e
	}
	ana := a.page(1, "Ana")
	ben := b.page(2, "Ben")
	b.open(ben, 7)
	expect(t, b.next(ben), "7: 2=")

	// Ana opens the thread on a: a tells b at its next sweep, and Ben's
	// page on b shows her beside him.
	a.open(ana, 7)
	expect(t, a.next(ana), "7: 1=")
	a.pass(presenceSweep)
	note := noteOf(t, toB)
	if len(note) != 4 || note[1] != 7 || note[2] != 1 || note[3] != 0 {
		t.Fatalf("presence note %v, want Ana viewing 7", note)
	}
	hear(note)
	expect(t, b.next(ben), "7: 1= 2=")

	// She types: the next sweep tells it; a sweep with nothing new tells
	// nothing until the beat, which tells it again.
	a.say(ana, 7, typingReply)
	expect(t, a.next(ana), "7: 1=reply")
	a.pass(presenceSweep)
	hear(noteOf(t, toB))
	expect(t, b.next(ben), "7: 1=reply 2=")
	a.say(ana, 7, typingReply)
	a.pass(presenceSweep)
	a.tick <- a.now() // once taken, the hub is done with the sweep before
	if len(toB) != 0 {
		t.Fatalf("%d notes sent with nothing new", len(toB))
	}
	a.say(ana, 7, typingReply)
	a.pass(presenceBeat)
	beat := noteOf(t, toB)
	if !slices.Equal(beat, []int64{note[0], 7, 1, 1}) {
		t.Fatalf("beat %v", beat)
	}

	// She leaves the thread: b hears that no one views it on a.
	a.open(ana, 8)
	expect(t, a.next(ana), "8: 1=")
	a.pass(presenceSweep)
	var left []int64
	for left == nil {
		if n := noteOf(t, toB); n[1] == 7 {
			left = n
		}
	}
	if !slices.Equal(left, []int64{note[0], 7}) {
		t.Fatalf("note on leaving %v", left)
	}
	hear(left)
	expect(t, b.next(ben), "7: 2=")

	// A process that stops telling (it crashed) stops counting after
	// presenceTTL, as a quiet page does.
	hear([]int64{99, 7, 1, 2})
	expect(t, b.next(ben), "7: 1=note 2=")
	b.say(ben, 7, "")
	b.pass(presenceTTL - time.Millisecond)
	b.say(ben, 7, "")
	b.pass(2 * time.Millisecond)
	expect(t, b.next(ben), "7: 2=")
}
