package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"switchboard/inbox"
	"switchboard/store"
	"switchboard/web"
)

// upkeep runs the server's scheduled work on one goroutine: the daily
// backup the admins set up, and retention. Its schedule lives in the
// database (settings), so a restart picks it up where it was: a backup
// time that passed while the server was down runs at start. One goroutine
// runs every backup, scheduled or asked for, so two never run at once.
type upkeep struct {
	db       *store.DB
	mediaDir string
	log      *slog.Logger
	now      func() time.Time

	wake   chan struct{}                // the settings changed
	manual chan chan inbox.BackupResult // an admin asked for a backup now
	prune  chan struct{}                // run retention now

	mu   sync.Mutex
	last inbox.BackupResult // the last backup's result, for /metrics
	has  bool
}

// retentionEvery is how often retention runs; it does little when
// nothing is due.
const retentionEvery = time.Hour

// backupPrefix and backupSuffix frame the names of scheduled backups:
// switchboard-20260102T030000Z.db. Only files so named are ever deleted
// to keep the number asked for.
const (
	backupPrefix = "switchboard-"
	backupSuffix = ".db"
)

func newUpkeep(db *store.DB, mediaDir string, log *slog.Logger) *upkeep {
	return &upkeep{db: db, mediaDir: mediaDir, log: log, now: time.Now,
		wake: make(chan struct{}, 1), manual: make(chan chan inbox.BackupResult), prune: make(chan struct{}, 1)}
}

var _ web.Upkeep = (*upkeep)(nil)

// run does the upkeep until ctx ends. When several processes share the
// database, scheduled backups and the database's retention run in the
// one that holds the upkeep lease (store.JobUpkeep); every process trims
// its own media cache. What an admin asks for (a backup now, retention
// after saving its settings) runs in the process asked.
func (u *upkeep) run(ctx context.Context) {
	if r, ok, err := u.LastBackup(ctx); err == nil && ok {
		u.remember(r)
	}
	lease := u.db.Lease(store.JobUpkeep)
	retention := time.NewTicker(retentionEvery)
	defer retention.Stop()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		due, ok := u.nextBackup(ctx)
		if ok && lease.Held() {
			timer.Reset(max(0, due.Sub(u.now())))
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			return
		case <-u.wake:
		case reply := <-u.manual:
			reply <- u.backup(ctx, true)
		case <-timer.C:
			if due, ok := u.nextBackup(ctx); ok && !due.After(u.now()) && lease.Held() {
				u.backup(ctx, false)
			}
		case <-lease.Gained():
			// At start, or on taking over from a leader that stopped: a
			// backup due is looked at again above.
			u.retain(ctx, true)
		case <-u.prune:
			u.retain(ctx, true)
		case <-retention.C:
			u.retain(ctx, lease.Held())
		}
	}
}

// nextBackup is when the schedule wants the next backup; ok is false
// when no backup is scheduled.
func (u *upkeep) nextBackup(ctx context.Context) (time.Time, bool) {
	s, ok, err := u.BackupSchedule(ctx)
	if err != nil {
		u.log.Warn("backup schedule not read", "err", err)
		return time.Time{}, false
	}
	if !ok || !s.Enabled {
		return time.Time{}, false
	}
	var lastRun time.Time
	if r, ok, err := u.lastScheduled(ctx); err == nil && ok {
		lastRun = r
	}
	return s.Due(lastRun, u.location(ctx)), true
}

// location is the reporting time zone, which the backup's time of day is
// in.
func (u *upkeep) location(ctx context.Context) *time.Location {
	v, _, err := u.db.Setting(ctx, inbox.SettingReportTimeZone)
	if err != nil {
		return time.UTC
	}
	return inbox.ReportLocation(v)
}

// NextBackup is when the next scheduled backup runs; zero when none is
// scheduled.
func (u *upkeep) NextBackup(ctx context.Context) time.Time {
	t, _ := u.nextBackup(ctx)
	return t
}

func getJSON(ctx context.Context, db *store.DB, key string, v any) (bool, error) {
	raw, ok, err := db.Setting(ctx, key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return false, fmt.Errorf("setting %s: %w", key, err)
	}
	return true, nil
}

func setJSON(ctx context.Context, db *store.DB, key string, v any, at time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return db.SetSetting(ctx, key, string(b), at)
}

// BackupSchedule is the schedule as saved; ok is false when none was.
func (u *upkeep) BackupSchedule(ctx context.Context) (inbox.BackupSchedule, bool, error) {
	var s inbox.BackupSchedule
	ok, err := getJSON(ctx, u.db, inbox.SettingBackupSchedule, &s)
	return s, ok, err
}

// DefaultBackupFolder is where backups go unless the admins say
// otherwise: beside the database, inside the folder a sandboxed service
// may write to.
func (u *upkeep) DefaultBackupFolder() string {
	return filepath.Join(filepath.Dir(absPath(u.db.Path())), "backups")
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// SaveBackupSchedule checks s, and that its folder can be written, and
// stores it. fieldErrs says what is wrong, by field, when it is refused.
func (u *upkeep) SaveBackupSchedule(ctx context.Context, s inbox.BackupSchedule) (fieldErrs map[string]string, err error) {
	s.Folder = filepath.Clean(strings.TrimSpace(s.Folder))
	s.At = strings.TrimSpace(s.At)
	if errs := s.Validate(); errs != nil {
		return errs, nil
	}
	if msg := writableFolder(s.Folder); msg != "" {
		return map[string]string{"folder": msg}, nil
	}
	if h, m, ok := inbox.ParseTimeOfDay(s.At); ok {
		s.At = fmt.Sprintf("%02d:%02d", h, m)
	}
	s.Since = u.now().UTC()
	if err := setJSON(ctx, u.db, inbox.SettingBackupSchedule, s, u.now()); err != nil {
		return nil, err
	}
	u.poke(u.wake)
	return nil, nil
}

// writableFolder creates folder (0700) unless it exists and checks that a
// file can be written in it; it returns what is wrong, in a sentence.
func writableFolder(folder string) string {
	if err := os.MkdirAll(folder, 0o700); err != nil {
		return "Switchboard cannot create this folder: " + plainError(err) + "."
	}
	f, err := os.CreateTemp(folder, ".switchboard-check-*")
	if err != nil {
		return "Switchboard cannot write in this folder: " + plainError(err) + "."
	}
	f.Close()
	os.Remove(f.Name())
	return ""
}

// plainError is the reason of a file system error, without the path.
func plainError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func (u *upkeep) poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// LastBackup is the last backup's result, scheduled or asked for.
func (u *upkeep) LastBackup(ctx context.Context) (inbox.BackupResult, bool, error) {
	var r inbox.BackupResult
	ok, err := getJSON(ctx, u.db, inbox.SettingBackupLast, &r)
	return r, ok, err
}

// lastScheduled is when the last scheduled backup started.
func (u *upkeep) lastScheduled(ctx context.Context) (time.Time, bool, error) {
	var t time.Time
	ok, err := getJSON(ctx, u.db, settingBackupLastScheduled, &t)
	return t, ok, err
}

const settingBackupLastScheduled = "backup_last_scheduled"

// LatestBackup is the last backup's result as /metrics shows it.
func (u *upkeep) LatestBackup() (inbox.BackupResult, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last, u.has
}

func (u *upkeep) remember(r inbox.BackupResult) {
	u.mu.Lock()
	u.last, u.has = r, true
	u.mu.Unlock()
}

// BackupNow runs a backup on the upkeep goroutine (so never beside a
// scheduled one) into the schedule's folder, or the default one, and
// returns its result.
func (u *upkeep) BackupNow(ctx context.Context) (inbox.BackupResult, error) {
	reply := make(chan inbox.BackupResult, 1)
	select {
	case u.manual <- reply:
	case <-ctx.Done():
		return inbox.BackupResult{}, ctx.Err()
	}
	select {
	case r := <-reply:
		return r, nil
	case <-ctx.Done():
		return inbox.BackupResult{}, ctx.Err()
	}
}

// backup writes one backup, deletes the oldest beyond the number to keep,
// and records the result. It runs on the upkeep goroutine only.
func (u *upkeep) backup(ctx context.Context, manual bool) inbox.BackupResult {
	start := u.now().UTC()
	s, ok, err := u.BackupSchedule(ctx)
	if err != nil || !ok {
		s = inbox.BackupSchedule{Folder: u.DefaultBackupFolder()}
	}
	if !manual {
		// Recorded first: a backup that fails is not tried again and
		// again, but at the next time of day.
		if err := setJSON(ctx, u.db, settingBackupLastScheduled, start, start); err != nil {
			u.log.Error("backup not started: the schedule could not be updated", "err", err)
			return inbox.BackupResult{Started: start, Error: "the schedule could not be updated"}
		}
	}
	r := inbox.BackupResult{Started: start, Manual: manual}
	prev, _, _ := u.LastBackup(ctx)
	r.LastGood = prev.LastGood
	dest := filepath.Join(s.Folder, backupPrefix+start.Format("20060102T150405Z")+backupSuffix)
	err = u.db.Backup(ctx, dest)
	r.Took = u.now().Sub(start)
	if err != nil {
		r.Error = backupErrorSentence(err)
		u.log.Error("backup failed", "file", dest, "err", err, "manual", manual)
	} else {
		r.File = dest
		if fi, err := os.Stat(dest); err == nil {
			r.Size = fi.Size()
		}
		r.LastGood = start
		if s.Keep > 0 {
			r.Removed = u.removeOldBackups(s.Folder, s.Keep)
		}
		u.log.Info("backup written", "file", dest, "bytes", r.Size, "took", r.Took, "removed", r.Removed, "manual", manual)
	}
	// /metrics has it before the admin page can: whoever read the record
	// and then the metrics saw them agree.
	u.remember(r)
	if err := setJSON(ctx, u.db, inbox.SettingBackupLast, r, u.now()); err != nil {
		u.log.Error("backup result not recorded", "err", err)
	}
	return r
}

// backupErrorSentence says why a backup failed, for the admin page.
func backupErrorSentence(err error) string {
	var pe *os.PathError
	switch {
	case errors.As(err, &pe) && errors.Is(pe.Err, os.ErrPermission):
		return "Switchboard may not write in the backup folder."
	case errors.Is(err, inbox.ErrConflict):
		return "A file of that name exists already."
	case strings.Contains(err.Error(), "no space left") || strings.Contains(err.Error(), "disk is full"):
		return "The backup folder's disk is full."
	}
	return "The backup could not be written; the server log says why."
}

// removeOldBackups deletes the oldest scheduled backups in folder beyond
// keep, and returns how many it deleted.
func (u *upkeep) removeOldBackups(folder string, keep int) int {
	names, err := backupFiles(folder)
	if err != nil {
		u.log.Warn("old backups not listed", "folder", folder, "err", err)
		return 0
	}
	removed := 0
	for len(names) > keep {
		if err := os.Remove(filepath.Join(folder, names[0])); err != nil {
			u.log.Warn("old backup not deleted", "file", names[0], "err", err)
		} else {
			removed++
		}
		names = names[1:]
	}
	return removed
}

// backupFiles lists the scheduled backups in folder, oldest first (their
// names sort by time).
func backupFiles(folder string) ([]string, error) {
	ents, err := os.ReadDir(folder)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, backupSuffix) {
			if _, err := time.Parse("20060102T150405Z", strings.TrimSuffix(strings.TrimPrefix(n, backupPrefix), backupSuffix)); err == nil {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names, nil
}

// Retention is the retention settings as saved (all zero: keep
// everything).
func (u *upkeep) Retention(ctx context.Context) (inbox.Retention, error) {
	var r inbox.Retention
	_, err := getJSON(ctx, u.db, inbox.SettingRetention, &r)
	return r, err
}

// SaveRetention checks and stores r, and runs retention at once.
func (u *upkeep) SaveRetention(ctx context.Context, r inbox.Retention) (map[string]string, error) {
	if errs := r.Validate(); errs != nil {
		return errs, nil
	}
	if err := setJSON(ctx, u.db, inbox.SettingRetention, r, u.now()); err != nil {
		return nil, err
	}
	u.poke(u.prune)
	return nil, nil
}

// LastRetention is what the last retention run deleted.
func (u *upkeep) LastRetention(ctx context.Context) (inbox.RetentionResult, bool, error) {
	var r inbox.RetentionResult
	ok, err := getJSON(ctx, u.db, inbox.SettingRetentionLast, &r)
	return r, ok, err
}

// retain deletes what the retention settings say is past keeping: with
// all false, only this process's media cache is trimmed, and the run is
// not recorded (the leader's is). It runs on the upkeep goroutine only.
func (u *upkeep) retain(ctx context.Context, all bool) {
	r, err := u.Retention(ctx)
	if err != nil {
		u.log.Warn("retention settings not read", "err", err)
		return
	}
	if r == (inbox.Retention{}) {
		return
	}
	now := u.now()
	res := inbox.RetentionResult{At: now.UTC()}
	var errs []error
	if before := r.RawBefore(now); !before.IsZero() && all {
		st, err := u.db.PruneRawBodies(ctx, before)
		res.RawBodies, res.LongestHold = st.Rows, st.LongestHold
		if err != nil {
			errs = append(errs, err)
		}
	}
	if r.MediaCacheMB > 0 && u.mediaDir != "" {
		n, freed, err := web.TrimMediaCache(u.mediaDir, int64(r.MediaCacheMB)<<20)
		res.MediaFiles, res.MediaBytes = n, freed
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		if ctx.Err() != nil {
			return // stopping: the next start carries on
		}
		res.Error = "Part of the retention run failed; the server log says why."
		u.log.Error("retention failed", "err", err)
	}
	if res.RawBodies+int64(res.MediaFiles) > 0 || res.Error != "" {
		u.log.Info("retention", "webhook_bodies_deleted", res.RawBodies, "media_files_deleted", res.MediaFiles,
			"media_bytes_freed", res.MediaBytes, "longest_hold", res.LongestHold)
	}
	if !all {
		return
	}
	if err := setJSON(ctx, u.db, inbox.SettingRetentionLast, res, now); err != nil {
		u.log.Warn("retention result not recorded", "err", err)
	}
}
