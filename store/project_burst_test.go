package store

import (
	"fmt"
	"testing"
	"time"
)

// In a burst the writer acknowledges first: it waits out the gaps between
// writes instead of applying stored events in them, and gives applying no
// share of its time until the backlog passes projectLagFree; past that the
// share grows, so the backlog stays bounded. At a steady rate that
// applying keeps up with, stored events are applied in the first gap.
func TestABurstIsAcknowledgedFirstAndAppliedAfter(t *testing.T) {
	pr := newProjector()
	now := t0
	// 1,000 writes a second: applied between them.
	for range 30 {
		pr.arrived(now, 10)
		now = now.Add(10 * time.Millisecond)
	}
	if got := pr.lull(now); got != writerLull {
		t.Fatalf("at 1,000 writes/s the writer waits %v for a lull, want %v", got, writerLull)
	}

	// 16,000 writes a second, 16 at a time.
	for range 100 {
		pr.arrived(now, 16)
		now = now.Add(time.Millisecond)
	}
	if got := pr.lull(now); got != burstLull {
		t.Fatalf("in a burst the writer waits %v for a lull, want %v", got, burstLull)
	}
	// Four seconds of webhooks at 10,000 a second are acknowledged
	// without applying any of them meanwhile: applying costs several
	// times what storing does.
	pr.addPending(40_000)
	for i := range 1000 {
		if _, ok := pr.busyShare(now); ok {
			t.Fatalf("batch %d: the writer applies a backlog of %d in a burst of 4 s at 10,000/s", i, pr.pendingCount())
		}
		now = now.Add(4 * time.Millisecond)
	}
	pr.addPending(projectBurstFree - 40_000)
	if _, ok := pr.busyShare(now); ok {
		t.Fatalf("the writer applies a backlog of %d in a burst, want none below %d", pr.pendingCount(), projectBurstFree)
	}
	pr.addPending(40_000)
	if got := applies(pr, now); got == 0 {
		t.Fatalf("a backlog of %d gets no share of the writer", pr.pendingCount())
	}

	// The backlog empties; a new one is a burst again, until it has
	// waited projectBurstGrace: a sustained load's updates must not reach
	// the agents later and later.
	pr.addPending(-pr.pendingCount())
	pr.addPending(projectLagFree + 10_000)
	if got := applies(pr, now); got != 0 {
		t.Fatalf("a new burst's backlog of %d got %d shares, want none", pr.pendingCount(), got)
	}
	now = now.Add(projectBurstGrace - time.Millisecond)
	if got := applies(pr, now); got != 0 {
		t.Fatalf("a backlog of %d that waited under %v got %d shares, want none", pr.pendingCount(), projectBurstGrace, got)
	}
	now = now.Add(time.Millisecond)
	if got := applies(pr, now); got == 0 {
		t.Fatalf("a backlog of %d that waited %v gets no share of the writer", pr.pendingCount(), projectBurstGrace)
	}

	// The burst ends: after a quiet window the gaps are lulls again.
	now = now.Add(2 * burstWindow)
	if got := pr.lull(now); got != writerLull {
		t.Fatalf("after the burst the writer waits %v for a lull, want %v", got, writerLull)
	}
}

// applies asks for a share a hundred times at now and counts the shares
// given; none is over projectBudget.
func applies(pr *projector, now time.Time) int {
	n := 0
	for range 100 {
		if budget, ok := pr.busyShare(now); ok {
			if budget > projectBudget {
				panic(fmt.Sprintf("a share of %v, want at most %v", budget, projectBudget))
			}
			n++
		}
	}
	return n
}
