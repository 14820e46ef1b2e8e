package inbox

import (
	"testing"
	"time"
)

// TestBusinessClockWhereSummerTimeBeginsAtMidnight: in Santiago, Havana
// and Cairo the clocks jump from 00:00 to 01:00 the day summer time begins
// (Go reads that midnight as 23:00 the day before in the first two), so
// the day begins at 01:00 and lasts 23 hours; the day before lasts its 24.
func TestBusinessClockWhereSummerTimeBeginsAtMidnight(t *testing.T) {
	everyDay := func(tz string) BusinessHours {
		h := BusinessHours{TimeZone: tz}
		for d := range h.Days {
			h.Days[d] = []Span{{Open: 0, Close: 24 * 60}}
		}
		return h
	}
	earlySunday := BusinessHours{TimeZone: "America/Santiago"} // Sundays 00:00-02:00
	earlySunday.Days[time.Sunday] = []Span{{Open: 0, Close: 2 * 60}}
	cases := []struct {
		name     string
		hours    BusinessHours
		from, to string
		want     time.Duration
	}{
		{"Santiago, round the clock", everyDay("America/Santiago"), "2026-09-05 00:00", "2026-09-07 00:00", 47 * time.Hour},
		{"Santiago, the day before", everyDay("America/Santiago"), "2026-09-05 12:00", "2026-09-05 23:59", 11*time.Hour + 59*time.Minute},
		{"Santiago, the short day", everyDay("America/Santiago"), "2026-09-06 12:00", "2026-09-06 23:00", 11 * time.Hour},
		{"Santiago, weekdays over the weekend", weekdays9to17("America/Santiago"), "2026-09-04 16:00", "2026-09-07 10:00", 2 * time.Hour},
		{"Santiago, open from midnight", earlySunday, "2026-09-05 12:00", "2026-09-07 12:00", time.Hour},
		{"Santiago, autumn's 25-hour Saturday", everyDay("America/Santiago"), "2026-04-04 00:00", "2026-04-06 00:00", 49 * time.Hour},
		{"Havana, round the clock", everyDay("America/Havana"), "2026-03-07 00:00", "2026-03-09 00:00", 47 * time.Hour},
		{"Cairo, round the clock", everyDay("Africa/Cairo"), "2026-04-23 00:00", "2026-04-25 00:00", 47 * time.Hour},
	}
	for _, c := range cases {
		clock := NewBusinessClock(c.hours)
		from, to := mustTime(t, c.hours.TimeZone, c.from), mustTime(t, c.hours.TimeZone, c.to)
		if got := clock.Between(from, to); got != c.want {
			t.Errorf("%s: %s to %s is %v within business hours, want %v", c.name, c.from, c.to, got, c.want)
		}
		// Spans measured first after and then before the short day.
		if got := clock.Between(from, to); got != c.want {
			t.Errorf("%s, asked again: %v, want %v", c.name, got, c.want)
		}
	}
	h := everyDay("America/Santiago")
	if at := mustTime(t, "America/Santiago", "2026-09-05 23:30"); !h.OpenAt(at) {
		t.Errorf("a team open round the clock is closed at 23:30 the day before the clocks jump")
	}
	if at := mustTime(t, "America/Santiago", "2026-09-06 01:30"); !earlySunday.OpenAt(at) {
		t.Errorf("a team open from midnight on Sundays is closed at 01:30 the day midnight is skipped")
	}
	if at := mustTime(t, "America/Santiago", "2026-09-13 02:30"); earlySunday.OpenAt(at) {
		t.Errorf("a team open 00:00-02:00 on Sundays is open at 02:30")
	}
}
