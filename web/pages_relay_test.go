package web

import (
	"slices"
	"testing"
	"time"

	"switchboard/inbox"
)

// pagesNotes takes the live pages notes the hub sent at its last sweep
// (the test passed another tick since, so they are all there), passing
// over presence notes.
func pagesNotes(notes chan inbox.LiveNote) [][]int64 {
	var out [][]int64
	for {
		select {
		case n := <-notes:
			if n.Kind == relayPagesKind {
				out = append(out, n.IDs)
			}
		default:
			slices.SortFunc(out, func(a, b []int64) int { return int(a[1] - b[1]) })
			return out
		}
	}
}

func TestLivePagesCrossProcesses(t *testing.T) {
	a, toB := relayedHub(t)
	b, _ := relayedHub(t)
	told := func(want ...[]int64) [][]int64 {
		t.Helper()
		a.tick <- a.now() // once taken, the hub is done with the sweep before
		got := pagesNotes(toB)
		for _, n := range got {
			if len(n) < 2 {
				t.Fatalf("pages note %v", n)
			}
			b.h.heardPages(n)
		}
		if len(got) != len(want) {
			t.Fatalf("pages notes %v, want %v", got, want)
		}
		for i := range want {
			if !slices.Equal(got[i][1:], want[i]) {
				t.Fatalf("pages notes %v, want (after the process) %v", got, want)
			}
		}
		return got
	}
	online := func(user int64, want bool) {
		t.Helper()
		if got := b.h.pageElsewhere(user); got != want {
			t.Fatalf("user %d online elsewhere: %v, want %v", user, got, want)
		}
	}

	// Ana (1) opens a page on a: a tells b at its next sweep.
	online(1, false)
	ana := a.page(1, "Ana")
	a.pass(presenceSweep)
	first := told([]int64{0, 1})
	online(1, true)
	online(2, false)

	// A second page of hers changes nothing to tell; Ben (300) is in
	// another block, told on its own.
	ana2 := a.page(1, "Ana")
	a.page(300, "Ben")
	a.pass(presenceSweep)
	told([]int64{1, 300})
	online(1, true)
	online(300, true)

	// Her pages close one by one: the last one tells b she has none.
	a.h.unregister <- ana
	a.pass(presenceSweep)
	told()
	online(1, true)
	a.h.unregister <- ana2
	a.pass(presenceSweep)
	told([]int64{0})
	online(1, false)
	online(300, true)

	// The beat tells again the blocks with pages, and only those.
	a.pass(presenceBeat)
	beat := told([]int64{1, 300})
	if beat[0][0] != first[0][0] {
		t.Fatalf("the process is %d, then %d", first[0][0], beat[0][0])
	}

	// A process that stops telling (it crashed) stops counting after
	// presenceTTL from its last note, and is forgotten at b's next beat.
	b.pass(presenceTTL - time.Millisecond)
	online(300, true)
	b.pass(time.Millisecond)
	online(300, false)
	b.pass(presenceBeat)
	b.tick <- b.now()
	b.h.online.mu.Lock()
	left := len(b.h.online.byBlock)
	b.h.online.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d blocks kept of processes that stopped", left)
	}

	// Heard again, then a stops in order: it says it has no pages left.
	a.pass(presenceBeat)
	told([]int64{1, 300})
	online(300, true)
	a.h.Close()
	bye := pagesNotes(toB)
	if len(bye) != 1 || !slices.Equal(bye[0][1:], []int64{1}) {
		t.Fatalf("notes on stopping %v", bye)
	}
	b.h.heardPages(bye[0])
	online(300, false)

	// Notes that are not ones are ignored: a user outside the block, too
	// many ids.
	b.h.heardPages([]int64{5, 0, 256})
	online(256, false)
	many := []int64{5, 0}
	for range pagesBlock + 1 {
		many = append(many, 1)
	}
	b.h.heardPages(many)
	online(1, false)
}

// The single-process path reads nothing of other processes.
func TestLivePagesWithoutABus(t *testing.T) {
	p := newPresenceHub(t)
	p.h.heardPages([]int64{5, 0, 1})
	if p.h.pageElsewhere(1) {
		t.Fatal("with no live bus, a page elsewhere counted")
	}
}

// A process that joins the bus says hello; the others answer at their
// next sweep with all they tell at a beat (who views which thread, who
// has pages open), not up to presenceBeat later.
func TestAHelloIsAnsweredAtTheNextSweep(t *testing.T) {
	a, toOthers := relayedHub(t)
	ana := a.page(1, "Ana")
	a.open(ana, 7)
	expect(t, a.next(ana), "7: 1=")
	// sweep passes a presence sweep and takes the kinds of the notes it
	// sent.
	sweep := func() map[string]int {
		a.pass(presenceSweep)
		a.tick <- a.now() // once taken, the hub is done with the sweep before
		got := map[string]int{}
		for len(toOthers) > 0 {
			got[(<-toOthers).Kind]++
		}
		return got
	}
	if got := sweep(); got[relayPresenceKind] != 1 || got[relayPagesKind] != 1 {
		t.Fatalf("notes on the first sweep: %v", got)
	}
	if got := sweep(); len(got) != 0 {
		t.Fatalf("notes with nothing new before the beat: %v", got)
	}

	a.h.askedAgain.Store(true) // what hearing a hello does
	if got := sweep(); got[relayPresenceKind] != 1 || got[relayPagesKind] != 1 {
		t.Fatalf("notes at the sweep after a hello: %v, want presence and pages told again", got)
	}
	if got := sweep(); len(got) != 0 {
		t.Fatalf("notes at the sweep after that: %v", got)
	}
}
