package inbox

import (
	"errors"
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no time zone %s here: %v", name, err)
	}
	return loc
}

// Presets are wall-clock times in the agent's zone, right across daylight
// saving changes; "1 hour" is an hour of real time.
func TestSnoozePresetsInTheAgentsZone(t *testing.T) {
	berlin, newYork, kolkata := zone(t, "Europe/Berlin"), zone(t, "America/New_York"), zone(t, "Asia/Kolkata")
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name string
		now  string
		loc  *time.Location
		want map[string]string // preset key -> UTC time; a missing key is not offered
	}{
		{
			// Saturday evening before clocks go forward (02:00 -> 03:00 on
			// Sunday 29 March): tomorrow 09:00 is CEST, UTC+2.
			name: "Berlin, spring forward", now: "2026-03-28T19:00:00Z", loc: berlin,
			want: map[string]string{"1h": "2026-03-28T20:00:00Z", "tomorrow": "2026-03-29T07:00:00Z", "monday": "2026-03-30T07:00:00Z"},
		},
		{
			// Saturday morning before clocks go back (Sunday 1 November):
			// this evening is EDT, tomorrow and Monday are EST.
			name: "New York, fall back", now: "2026-10-31T14:00:00Z", loc: newYork,
			want: map[string]string{"1h": "2026-10-31T15:00:00Z", "evening": "2026-10-31T22:00:00Z",
				"tomorrow": "2026-11-01T14:00:00Z", "monday": "2026-11-02T14:00:00Z"},
		},
		{
			// Monday morning: next Monday is a week away; a half-hour zone.
			name: "Kolkata, Monday", now: "2026-11-23T04:00:00Z", loc: kolkata,
			want: map[string]string{"1h": "2026-11-23T05:00:00Z", "evening": "2026-11-23T12:30:00Z",
				"tomorrow": "2026-11-24T03:30:00Z", "monday": "2026-11-30T03:30:00Z"},
		},
		{
			// 23:30 on Sunday in Berlin: tomorrow and next Monday are the
			// same morning.
			name: "Berlin, late Sunday", now: "2026-11-29T22:30:00Z", loc: berlin,
			want: map[string]string{"1h": "2026-11-29T23:30:00Z", "tomorrow": "2026-11-30T08:00:00Z", "monday": "2026-11-30T08:00:00Z"},
		},
	} {
		got := map[string]time.Time{}
		for _, p := range SnoozePresets(utc(tc.now), tc.loc) {
			got[p.Key] = p.Until
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: presets %v, want %v", tc.name, got, tc.want)
		}
		for k, w := range tc.want {
			if !got[k].Equal(utc(w)) {
				t.Errorf("%s: %s is %v, want %s", tc.name, k, got[k].UTC(), w)
			}
			u, err := SnoozeUntil(k, "", utc(tc.now), tc.loc)
			if err != nil || !u.Equal(utc(w)) {
				t.Errorf("%s: SnoozeUntil(%s) = %v, %v", tc.name, k, u, err)
			}
		}
	}
}

func TestSnoozeUntilCustom(t *testing.T) {
	newYork := zone(t, "America/New_York")
	now := time.Date(2026, 10, 31, 14, 0, 0, 0, time.UTC)
	u, err := SnoozeUntil("custom", "2026-11-02T08:15", now, newYork)
	if want := time.Date(2026, 11, 2, 13, 15, 0, 0, time.UTC); err != nil || !u.Equal(want) {
		t.Errorf("custom: %v, %v, want %v", u, err, want)
	}
	if u, err := SnoozeUntil("custom", "2027-10-31T10:00", now, newYork); err != nil || !u.Equal(now.AddDate(1, 0, 0)) {
		t.Errorf("a year ahead: %v, %v", u, err)
	}
	for _, bad := range []struct{ choice, custom string }{
		{"custom", "2026-10-31T09:59"}, // 13:59 UTC: past
		{"custom", "tomorrow"},
		{"fortnight", ""},
		{"custom", "9999-12-31T23:59"}, // a year typed with too many nines
		{"custom", "2027-10-31T10:01"}, // a year and a minute ahead
	} {
		_, err := SnoozeUntil(bad.choice, bad.custom, now, newYork)
		var ie *InvalidError
		if !errors.As(err, &ie) || ie.Code != "invalid_snooze" || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q %q: %v", bad.choice, bad.custom, err)
		}
	}
}
