package web

import (
	"testing"
	"time"
)

// Under a steady stream of changes renders come renderEvery apart while
// rendering and routing them is cheap, further apart when it is costly
// (a team's thousand pages, a machine short of CPU), so that pages get
// fewer messages rather than a backlog, and never more than
// renderEveryMax apart.
func TestRenderGapGrowsWithTheCostOfFanout(t *testing.T) {
	for _, tc := range []struct {
		cost, want time.Duration
	}{
		{0, renderEvery},
		{time.Millisecond, renderEvery},
		{renderEvery / fanoutShare, renderEvery},
		{40 * time.Millisecond, fanoutShare * 40 * time.Millisecond},
		{60 * time.Millisecond, fanoutShare * 60 * time.Millisecond},
		{time.Second, renderEveryMax},
	} {
		if got := renderGap(tc.cost); got != tc.want {
			t.Errorf("renderGap(%v) = %v, want %v", tc.cost, got, tc.want)
		}
	}
	if renderGap(60*time.Millisecond) <= renderGap(40*time.Millisecond) {
		t.Error("a costlier fan-out does not space renders further apart")
	}
}
