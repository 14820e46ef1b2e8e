package inbox

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Upkeep: what the server does by itself, on the admins' settings, to keep
// running for years: a backup every day, and deleting what the team
// chose not to keep.

// Settings that hold the upkeep's configuration and its last results, as
// JSON.
const (
	SettingBackupSchedule = "backup_schedule"
	SettingBackupLast     = "backup_last"
	SettingRetention      = "retention"
	SettingRetentionLast  = "retention_last"
)

// BackupSchedule is a daily backup of the database into a folder, keeping
// the newest Keep files there.
type BackupSchedule struct {
	Enabled bool   `json:"enabled"`
	At      string `json:"at"` // "HH:MM", in the reporting time zone
	Keep    int    `json:"keep"`
	Folder  string `json:"folder"` // absolute
	// Since is when the schedule was saved: the first backup is the
	// first time of day after it.
	Since time.Time `json:"since"`
}

// MaxBackupsKept bounds BackupSchedule.Keep.
const MaxBackupsKept = 365

// Validate says what is wrong with a schedule, field by field ("at",
// "keep", "folder"); nil when nothing is.
func (s BackupSchedule) Validate() map[string]string {
	errs := map[string]string{}
	if _, _, ok := ParseTimeOfDay(s.At); !ok {
		errs["at"] = "Enter a time of day as HH:MM, such as 03:30."
	}
	if s.Keep < 1 || s.Keep > MaxBackupsKept {
		errs["keep"] = fmt.Sprintf("Keep between 1 and %d backups.", MaxBackupsKept)
	}
	switch {
	case strings.TrimSpace(s.Folder) == "":
		errs["folder"] = "Enter the folder backups are written to."
	case !filepath.IsAbs(s.Folder):
		errs["folder"] = "Enter a full path, starting with /."
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// ParseTimeOfDay reads "HH:MM" (24-hour clock).
func ParseTimeOfDay(v string) (hour, minute int, ok bool) {
	h, m, found := strings.Cut(strings.TrimSpace(v), ":")
	if !found || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, 0, false
	}
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, 0, false
	}
	return hour, minute, true
}

// NextAfter is the first time of day At, in loc, strictly after t. A time
// of day that a daylight-saving change skips runs at the instant the
// clocks jump to.
func (s BackupSchedule) NextAfter(t time.Time, loc *time.Location) time.Time {
	hour, minute, ok := ParseTimeOfDay(s.At)
	if !ok {
		return time.Time{}
	}
	// Day by day from t's, each day's time as the clocks show it (one they
	// skip is when they resume: 01:00 on a day summer time begins at
	// midnight, where Go's time.Date gives 23:00 the day before).
	for i := 0; ; i++ {
		if next := wallAt(localDay(t, -i, loc), hour*60+minute, loc); next.After(t) {
			return next
		}
	}
}

// Due is when the next scheduled backup should run, given the start of
// the last one (zero: none yet): the first time of day after the later of
// the last run and the moment the schedule was saved. A time that passed
// while the server was down is due at once.
func (s BackupSchedule) Due(lastRun time.Time, loc *time.Location) time.Time {
	from := s.Since
	if lastRun.After(from) {
		from = lastRun
	}
	return s.NextAfter(from, loc)
}

// BackupResult is how a backup ended.
type BackupResult struct {
	Started  time.Time     `json:"started"`
	Took     time.Duration `json:"took"`
	File     string        `json:"file,omitempty"` // where it was written
	Size     int64         `json:"size,omitempty"` // bytes
	Error    string        `json:"error,omitempty"`
	Removed  int           `json:"removed,omitempty"` // older backups deleted to keep Keep
	Manual   bool          `json:"manual,omitempty"`  // asked for by an admin, not the schedule
	LastGood time.Time     `json:"lastGood"`          // the latest backup that succeeded, this one or earlier
}

// OK reports whether the backup succeeded.
func (r BackupResult) OK() bool { return r.Error == "" && !r.Started.IsZero() }

// Retention says what Switchboard deletes as it ages; zero keeps it for
// good.
type Retention struct {
	// RawBodyDays: webhook bodies of applied events older than this many
	// days are deleted; the log row and what the event did stay.
	RawBodyDays int `json:"rawBodyDays"`
	// MediaCacheMB caps the cache of media fetched from Zavu; the least
	// recently viewed files go first, and are fetched again when viewed.
	MediaCacheMB int `json:"mediaCacheMB"`
}

// Bounds of the retention settings.
const (
	MaxRawBodyDays  = 3650
	MaxMediaCacheMB = 1 << 20 // 1 TiB
)

// Validate says what is wrong, field by field ("raw_days", "media_mb");
// nil when nothing is.
func (r Retention) Validate() map[string]string {
	errs := map[string]string{}
	if r.RawBodyDays < 0 || r.RawBodyDays > MaxRawBodyDays {
		errs["raw_days"] = fmt.Sprintf("Enter 0 (keep for good) or a number of days up to %d.", MaxRawBodyDays)
	}
	if r.MediaCacheMB < 0 || r.MediaCacheMB > MaxMediaCacheMB {
		errs["media_mb"] = fmt.Sprintf("Enter 0 (no cap) or a size in MB up to %d.", MaxMediaCacheMB)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// RawBefore is the cut-off for deleting webhook bodies at now; zero when
// they are kept.
func (r Retention) RawBefore(now time.Time) time.Time {
	if r.RawBodyDays <= 0 {
		return time.Time{}
	}
	return now.AddDate(0, 0, -r.RawBodyDays)
}

// RetentionResult is what the last retention run deleted.
type RetentionResult struct {
	At          time.Time     `json:"at"`
	RawBodies   int64         `json:"rawBodies"`
	MediaFiles  int           `json:"mediaFiles"`
	MediaBytes  int64         `json:"mediaBytes"`
	LongestHold time.Duration `json:"longestHold"` // the longest a deleting transaction held the writer
	Error       string        `json:"error,omitempty"`
}
