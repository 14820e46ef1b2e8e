package inbox

import (
	"testing"
	"time"
)

func TestBusinessClockCountsOnlyOpenTime(t *testing.T) {
	const tz = "Europe/Berlin"
	h := weekdays9to17(tz, "2026-12-25") // Christmas Day is a Friday
	everyDay := BusinessHours{TimeZone: tz}
	night := BusinessHours{TimeZone: tz} // Sundays 01:00-04:00, across the DST hour
	for d := range everyDay.Days {
		everyDay.Days[d] = []Span{{Open: 0, Close: 24 * 60}}
	}
	night.Days[time.Sunday] = []Span{{Open: 60, Close: 4 * 60}}
	cases := []struct {
		name     string
		hours    BusinessHours
		from, to string // in tz
		want     time.Duration
	}{
		{"within a day", h, "2026-03-02 10:00", "2026-03-02 11:30", 90 * time.Minute},
		{"before opening to after closing", h, "2026-03-02 07:00", "2026-03-02 20:00", 8 * time.Hour},
		{"across a night", h, "2026-03-02 16:00", "2026-03-03 10:00", 2 * time.Hour},
		{"wholly at night", h, "2026-03-02 18:00", "2026-03-03 08:59", 0},
		{"across a weekend", h, "2026-03-06 16:30", "2026-03-09 09:15", 45 * time.Minute},
		{"written on a Saturday", h, "2026-03-07 11:00", "2026-03-09 09:30", 30 * time.Minute},
		{"across a holiday", h, "2026-12-24 16:00", "2026-12-28 10:00", 2 * time.Hour},
		{"on a holiday", h, "2026-12-25 09:00", "2026-12-25 17:00", 0},
		{"a week", h, "2026-03-02 00:00", "2026-03-09 00:00", 40 * time.Hour},
		{"weekend of spring DST", h, "2026-03-27 12:00", "2026-03-30 12:00", 8 * time.Hour},
		{"spring DST day lasts 23 h", everyDay, "2026-03-29 00:00", "2026-03-30 00:00", 23 * time.Hour},
		{"autumn DST day lasts 25 h", everyDay, "2026-10-25 00:00", "2026-10-26 00:00", 25 * time.Hour},
		{"spring DST skips an open hour", night, "2026-03-28 12:00", "2026-03-30 12:00", 2 * time.Hour},
		{"autumn DST repeats an open hour", night, "2026-10-24 12:00", "2026-10-26 12:00", 4 * time.Hour},
		{"ends before it starts", h, "2026-03-02 12:00", "2026-03-02 11:00", 0},
	}
	for _, c := range cases {
		clock := NewBusinessClock(c.hours)
		from, to := mustTime(t, tz, c.from), mustTime(t, tz, c.to)
		if got := clock.Between(from, to); got != c.want {
			t.Errorf("%s: %s to %s is %v within business hours, want %v", c.name, c.from, c.to, got, c.want)
		}
		// A clock that has seen other days answers the same.
		if got := clock.Between(from, to); got != c.want {
			t.Errorf("%s, asked again: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestBusinessClockInAnotherZoneThanTheInstants(t *testing.T) {
	h := weekdays9to17("America/New_York")
	clock := NewBusinessClock(h)
	// 13:00-23:00 UTC on a Monday in March 2026 (EDT, UTC-4) is 09:00-19:00 in New York.
	from, to := mustTime(t, "UTC", "2026-03-16 13:00"), mustTime(t, "UTC", "2026-03-16 23:00")
	if got := clock.Between(from, to); got != 8*time.Hour {
		t.Errorf("got %v, want 8h", got)
	}
}

func TestBusinessClockOfOpenings(t *testing.T) {
	if NewBusinessClock(BusinessHours{TimeZone: "UTC", Holidays: []string{"2026-01-01"}}) != nil {
		t.Fatal("hours with no open spans give a clock; reports would show business times of zero")
	}
	clock := NewBusinessClock(weekdays9to17("UTC"))
	o := Opening{OpenedAt: mustTime(t, "UTC", "2026-03-06 16:00")} // a Friday
	if _, ok := clock.BusinessFirstResponse(o); ok {
		t.Error("an opening with no response has a business first response")
	}
	if _, ok := clock.BusinessResolution(o); ok {
		t.Error("an unresolved opening has a business resolution")
	}
	o.FirstResponseAt = mustTime(t, "UTC", "2026-03-09 09:20")
	o.ResolvedAt = mustTime(t, "UTC", "2026-03-10 09:00")
	if d, ok := clock.BusinessFirstResponse(o); !ok || d != 80*time.Minute {
		t.Errorf("business first response %v %v, want 1h20m", d, ok)
	}
	if d, ok := clock.BusinessResolution(o); !ok || d != 9*time.Hour {
		t.Errorf("business resolution %v %v, want 9h", d, ok)
	}
}
