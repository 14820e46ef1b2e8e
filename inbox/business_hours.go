package inbox

import (
	"time"
)

// Reports measure first response and resolution within business hours as
// well as in wall-clock time: the part of a span that passes while the
// team is open, by the same business hours the out-of-office auto-reply
// uses (their time zone, spans per weekday, holidays). Time is counted as
// it really elapses, so a span of 00:00-24:00 lasts 23 hours on the day
// clocks go forward, and an opening time skipped by the change is the
// instant clocks reach after it (as for OpenAt).

// BusinessClock measures time within business hours. It remembers each
// day's open intervals, so one clock serves a whole report. It is not safe
// for concurrent use.
type BusinessClock struct {
	hours BusinessHours
	loc   *time.Location
	days  map[int64]*openDay // by local date, as days since 1970-01-01
	last  *openDay
}

// openDay is one local day: the instants it and the next start, and its
// open intervals in order, all in Unix milliseconds.
type openDay struct {
	start, next int64
	open        [][2]int64
}

// NewBusinessClock returns a clock for h; nil when h has no open spans,
// so reports give wall-clock times only.
func NewBusinessClock(h BusinessHours) *BusinessClock {
	if !h.hasSpans() {
		return nil
	}
	return &BusinessClock{hours: h, loc: h.Location(), days: map[int64]*openDay{}}
}

// day returns the local day that holds the instant ms.
func (c *BusinessClock) day(ms int64) *openDay {
	if d := c.last; d != nil && ms >= d.start && ms < d.next {
		return d
	}
	y, m, dd := time.UnixMilli(ms).In(c.loc).Date()
	key := time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Unix() / 86400
	if d, ok := c.days[key]; ok && ms >= d.start && ms < d.next {
		c.last = d
		return d
	}
	noon := time.Date(y, m, dd, 12, 0, 0, 0, c.loc)
	d := &openDay{start: wallAt(noon, 0, c.loc).UnixMilli(), next: wallAt(noon, 24*60, c.loc).UnixMilli()}
	d.start = min(d.start, ms)
	if d.next <= ms { // a zone whose midnight comes twice: move on an hour
		d.next = ms + time.Hour.Milliseconds()
	}
	if !c.hours.holiday(noon) {
		for _, s := range c.hours.Days[noon.Weekday()] {
			from, to := wallAt(noon, s.Open, c.loc).UnixMilli(), wallAt(noon, s.Close, c.loc).UnixMilli()
			if to > from {
				d.open = append(d.open, [2]int64{from, to})
			}
		}
	}
	c.days[key] = d
	c.last = d
	return d
}

// Between returns how much of [from, to) falls within business hours; 0
// when to is not after from.
func (c *BusinessClock) Between(from, to time.Time) time.Duration {
	return time.Duration(c.BetweenMS(from.UnixMilli(), to.UnixMilli())) * time.Millisecond
}

// BetweenMS is Between for instants in Unix milliseconds, in
// milliseconds.
func (c *BusinessClock) BetweenMS(a, b int64) int64 {
	var total int64
	for t := a; t < b; {
		d := c.day(t)
		for _, s := range d.open {
			if lo, hi := max(s[0], a), min(s[1], b); hi > lo {
				total += hi - lo
			}
		}
		t = d.next
	}
	return total
}

// BusinessFirstResponse is the opening's first response within business
// hours; ok is false when there has been none.
func (c *BusinessClock) BusinessFirstResponse(o Opening) (time.Duration, bool) {
	if o.FirstResponseAt.IsZero() {
		return 0, false
	}
	return c.Between(o.OpenedAt, o.FirstResponseAt), true
}

// BusinessResolution is the opening's resolution within business hours;
// ok is false while it is unresolved.
func (c *BusinessClock) BusinessResolution(o Opening) (time.Duration, bool) {
	if o.ResolvedAt.IsZero() {
		return 0, false
	}
	return c.Between(o.OpenedAt, o.ResolvedAt), true
}
