package inbox

import "time"

// OutboxBacklog is what waits in the outbox: entries queued or being sent.
type OutboxBacklog struct {
	Depth         int       // entries not yet sent or failed
	OldestCreated time.Time // when the oldest of them was written; zero when none
	NextDue       time.Time // the earliest next attempt (or lease end); zero when none
}

// Overdue is how long the earliest entry has been due at now: a worker
// that keeps up leaves it near zero.
func (b OutboxBacklog) Overdue(now time.Time) time.Duration {
	if b.Depth == 0 || b.NextDue.IsZero() || !now.After(b.NextDue) {
		return 0
	}
	return now.Sub(b.NextDue)
}

// OldestAge is how long the oldest unsent entry has waited at now.
func (b OutboxBacklog) OldestAge(now time.Time) time.Duration {
	if b.Depth == 0 || b.OldestCreated.IsZero() || !now.After(b.OldestCreated) {
		return 0
	}
	return now.Sub(b.OldestCreated)
}
