package zavu

import (
	"encoding/json"
	"testing"
	"time"
)

// TestSimulatedStoriesTellNoTimeToCome: by default each story has already
// happened when it is made, so a stream delivered at once (switchboard
// simulate, the bench, the tests) never stamps an event later than the
// clock; a paced story (the sandbox's) starts at the clock and steps
// forward at its pace. Each event's body carries the timestamp At says.
func TestSimulatedStoriesTellNoTimeToCome(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	check := func(name string, evs []SimEvent, from, to time.Time) {
		t.Helper()
		for _, ev := range evs {
			var env struct {
				Timestamp int64 `json:"timestamp"`
			}
			if err := json.Unmarshal(ev.Body, &env); err != nil {
				t.Fatal(err)
			}
			if env.Timestamp != ev.At.UnixMilli() {
				t.Fatalf("%s: %s says %d, At %d", name, ev.ID, env.Timestamp, ev.At.UnixMilli())
			}
			if ev.At.Before(from) || ev.At.After(to) {
				t.Errorf("%s: %s %s at %s, want within %s to %s", name, ev.Type, ev.ID, ev.At.Format(time.TimeOnly),
					from.Format(time.TimeOnly), to.Format(time.TimeOnly))
			}
		}
	}
	check("a stream", NewSimulator(1, "snd_1", "+13125559876", clock).Stream(5000), now.Add(-storyLead-30*time.Second), now)

	paced := NewSimulator(1, "snd_1", "+13125559876", clock)
	paced.Paced(300*time.Millisecond, 1500*time.Millisecond)
	// At most 13 steps a story, each 0.3 to 1.5 s after the one before.
	check("paced", paced.Stream(5000), now.Add(300*time.Millisecond), now.Add(13*1500*time.Millisecond))
}
