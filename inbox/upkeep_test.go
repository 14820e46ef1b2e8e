package inbox

import (
	"testing"
	"time"
)

func TestBackupScheduleDue(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	s := BackupSchedule{Enabled: true, At: "03:30", Keep: 7, Folder: "/var/backups",
		Since: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	cases := []struct {
		name    string
		lastRun time.Time
		loc     *time.Location
		want    time.Time
	}{
		{"first run: the next 03:30 after saving", time.Time{}, time.UTC, time.Date(2026, 3, 11, 3, 30, 0, 0, time.UTC)},
		{"in the reporting time zone", time.Time{}, paris, time.Date(2026, 3, 11, 3, 30, 0, 0, paris)},
		{"after a run, the next day's", time.Date(2026, 3, 11, 3, 30, 2, 0, time.UTC), time.UTC, time.Date(2026, 3, 12, 3, 30, 0, 0, time.UTC)},
		// Down from the 12th to the 15th: the next run is the 13th's,
		// due at once when the server comes back.
		{"missed while down", time.Date(2026, 3, 12, 3, 30, 0, 0, time.UTC), time.UTC, time.Date(2026, 3, 13, 3, 30, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		if got := s.Due(c.lastRun, c.loc); !got.Equal(c.want) {
			t.Errorf("%s: due %v, want %v", c.name, got, c.want)
		}
	}
	// 02:30 does not exist in Paris on 29 March 2026 (clocks jump from 02:00 to 03:00).
	dst := BackupSchedule{At: "02:30", Since: time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)}
	got := dst.Due(time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), paris)
	if got.Before(time.Date(2026, 3, 29, 0, 0, 0, 0, paris)) || got.After(time.Date(2026, 3, 29, 4, 0, 0, 0, paris)) {
		t.Errorf("a skipped time of day: due %v, want early on 29 March", got.In(paris))
	}
	// In Santiago summer time begins at midnight: on 6 September 2026 the
	// clocks jump from 00:00 to 01:00. A backup at 00:00 runs on the 5th
	// at midnight, on the 6th when the clocks resume, and on the 7th.
	santiago, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	midnight := BackupSchedule{At: "00:00", Since: time.Date(2026, 9, 4, 12, 0, 0, 0, santiago)}
	run := midnight.Since
	for _, want := range []time.Time{
		time.Date(2026, 9, 5, 0, 0, 0, 0, santiago),
		time.Date(2026, 9, 6, 1, 0, 0, 0, santiago),
		time.Date(2026, 9, 7, 0, 0, 0, 0, santiago),
	} {
		if run = midnight.Due(run, santiago); !run.Equal(want) {
			t.Fatalf("midnight backups in Santiago: due %v, want %v", run.In(santiago), want)
		}
	}
}

func TestBackupScheduleValidate(t *testing.T) {
	good := BackupSchedule{At: "3:05", Keep: 7, Folder: "/var/lib/switchboard/backups"}
	if errs := good.Validate(); errs != nil {
		t.Fatalf("a good schedule refused: %v", errs)
	}
	for _, c := range []struct {
		s     BackupSchedule
		field string
	}{
		{BackupSchedule{At: "25:00", Keep: 7, Folder: "/b"}, "at"},
		{BackupSchedule{At: "3pm", Keep: 7, Folder: "/b"}, "at"},
		{BackupSchedule{At: "03:30", Keep: 0, Folder: "/b"}, "keep"},
		{BackupSchedule{At: "03:30", Keep: 1000, Folder: "/b"}, "keep"},
		{BackupSchedule{At: "03:30", Keep: 7, Folder: "backups"}, "folder"},
		{BackupSchedule{At: "03:30", Keep: 7, Folder: " "}, "folder"},
	} {
		if errs := c.s.Validate(); errs[c.field] == "" || len(errs) != 1 {
			t.Errorf("%+v: errors %v, want one on %s", c.s, errs, c.field)
		}
	}
	if errs := (Retention{RawBodyDays: -1, MediaCacheMB: 5}).Validate(); errs["raw_days"] == "" || errs["media_mb"] != "" {
		t.Errorf("retention errors %v", errs)
	}
}
