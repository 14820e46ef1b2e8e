package inbox

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPercentileEqualsSortedRank checks the selection against the value at
// the nearest rank of a sorted copy, on random durations with few and many
// repeats (business-hours durations are often 0), sorted and reversed
// inputs, and sizes around the cut-over to sorting.
func TestPercentileEqualsSortedRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 3000 {
		n := rng.IntN(400)
		if trial%100 == 0 {
			n = 20_000 + rng.IntN(1000)
		}
		distinct := 1 + rng.IntN(max(1, n))
		if trial%3 == 0 {
			distinct = 1 + rng.IntN(4)
		}
		values := make([]float64, n)
		for i := range values {
			values[i] = float64(rng.IntN(distinct)) / 1000
		}
		switch trial % 5 {
		case 1:
			slices.Sort(values)
		case 2:
			slices.Sort(values)
			slices.Reverse(values)
		}
		sorted := slices.Sorted(slices.Values(values))
		for _, p := range []float64{0.5, 0.9, 0.01, 1} {
			var want float64
			if n > 0 {
				want = sorted[min(max(int(math.Ceil(p*float64(n)))-1, 0), n-1)]
			}
			if got := Percentile(slices.Clone(values), p); got != want {
				t.Fatalf("trial %d: percentile %v of %d values = %v, want %v", trial, p, n, got, want)
			}
		}
		s := SpreadOf(slices.Clone(values))
		if n > 0 && (s.P50 != sorted[int(math.Ceil(0.5*float64(n)))-1] || s.P90 != sorted[int(math.Ceil(0.9*float64(n)))-1] || s.Count != n) {
			t.Fatalf("trial %d: spread %+v of %d values", trial, s, n)
		}
	}
}
