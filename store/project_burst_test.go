package store

import (
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
		if _, ok := pr.busyShare(); ok {
			t.Fatalf("batch %d: the writer applies a backlog of %d in a burst of 4 s at 10,000/s", i, pr.pendingCount())
		}
	}
	pr.addPending(projectLagFree - 40_000)
	for i := range 1000 {
		if _, ok := pr.busyShare(); ok {
			t.Fatalf("batch %d: the writer applies a backlog of %d in a burst, want none below %d", i, pr.pendingCount(), projectLagFree)
		}
	}
	pr.addPending(40_000)
	applied := 0
	for range 100 {
		if budget, ok := pr.busyShare(); ok {
			if budget > projectBudget {
				t.Fatalf("a share of %v, want at most %v", budget, projectBudget)
			}
			applied++
		}
	}
	if applied == 0 {
		t.Fatalf("a backlog of %d gets no share of the writer", pr.pendingCount())
	}

	// The burst ends: after a quiet window the gaps are lulls again.
	now = now.Add(2 * burstWindow)
	if got := pr.lull(now); got != writerLull {
		t.Fatalf("after the burst the writer waits %v for a lull, want %v", got, writerLull)
	}
}
