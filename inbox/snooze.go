package inbox

import (
	"context"
	"log/slog"
	"time"
)

// SnoozePreset is one of the snooze menu's choices, with the time it
// stands for.
type SnoozePreset struct {
	Key   string // "1h", "evening", "tomorrow", "monday"
	Label string // "1 hour", "This evening", "Tomorrow", "Next Monday"
	Until time.Time
}

// Snooze times, in the agent's time zone.
const (
	snoozeEveningHour = 18
	snoozeMorningHour = 9
)

// SnoozePresets are the snooze menu's choices at now, computed in the
// agent's time zone loc: in an hour, this evening at 18:00 (while that is
// more than an hour away), tomorrow at 09:00 and next Monday at 09:00.
// Calendar times are wall-clock times in loc, so they stay right across a
// daylight saving change.
func SnoozePresets(now time.Time, loc *time.Location) []SnoozePreset {
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	y, m, d := local.Date()
	ps := []SnoozePreset{{Key: "1h", Label: "1 hour", Until: now.Add(time.Hour)}}
	if evening := time.Date(y, m, d, snoozeEveningHour, 0, 0, 0, loc); evening.Sub(now) > time.Hour {
		ps = append(ps, SnoozePreset{Key: "evening", Label: "This evening", Until: evening})
	}
	ps = append(ps, SnoozePreset{Key: "tomorrow", Label: "Tomorrow", Until: time.Date(y, m, d+1, snoozeMorningHour, 0, 0, 0, loc)})
	days := (int(time.Monday) - int(local.Weekday()) + 7) % 7
	if days == 0 {
		days = 7
	}
	ps = append(ps, SnoozePreset{Key: "monday", Label: "Next Monday", Until: time.Date(y, m, d+days, snoozeMorningHour, 0, 0, 0, loc)})
	return ps
}

// SnoozeLimit is the latest a snooze made at now may end: a year ahead.
// A snooze is a reminder to come back to a conversation; a later time is
// a mistyped year that would hide the conversation for good.
func SnoozeLimit(now time.Time) time.Time { return now.AddDate(1, 0, 0) }

// SnoozeUntil is the time a snooze choice stands for: a preset's key, or
// "custom" with a local date and time ("2026-03-29T09:30", as a
// datetime-local input sends it) read in loc. A time that does not come
// after now, or comes after SnoozeLimit, is an *InvalidError.
func SnoozeUntil(choice, custom string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	if choice == "custom" {
		t, err := time.ParseInLocation("2006-01-02T15:04", custom, loc)
		if err != nil {
			return time.Time{}, invalid("invalid_snooze", "Pick a date and a time to snooze until.")
		}
		if !t.After(now) {
			return time.Time{}, invalid("invalid_snooze", "Pick a time in the future.")
		}
		if t.After(SnoozeLimit(now)) {
			return time.Time{}, invalid("invalid_snooze", "Pick a time within a year from now.")
		}
		return t, nil
	}
	for _, p := range SnoozePresets(now, loc) {
		if p.Key == choice {
			return p.Until, nil
		}
	}
	return time.Time{}, invalid("invalid_snooze", "Pick when the conversation should come back.")
}

// SnoozeStore is what the snooze timer needs from storage.
type SnoozeStore interface {
	// NextSnoozeEnd is the earliest time a snoozed conversation is due
	// back; ok is false when none is snoozed until a time.
	NextSnoozeEnd(ctx context.Context) (at time.Time, ok bool, err error)
	// EndSnoozes opens every conversation whose snooze ended by now, with
	// a "Snooze ended" line in each thread, and returns what changed.
	EndSnoozes(ctx context.Context, now time.Time) (Change, error)
}

// SnoozeTimer brings snoozed conversations back when their time comes,
// reading the earliest due time from the store (see dueTimer); Wake says
// the snoozes changed.
type SnoozeTimer struct{ dueTimer }

// NewSnoozeTimer makes a timer that tells publish of each conversation it
// brings back. now may be nil for time.Now, log nil for none.
func NewSnoozeTimer(store SnoozeStore, publish func(Change), now func() time.Time, log *slog.Logger) *SnoozeTimer {
	t := &SnoozeTimer{newDueTimer("snoozes ended", now, log)}
	t.do, t.tell = store.EndSnoozes, publish
	t.next = func(ctx context.Context, _ time.Time) (time.Time, bool, error) { return store.NextSnoozeEnd(ctx) }
	return t
}
