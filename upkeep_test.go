package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/store"
)

func openUpkeep(t *testing.T, dbPath string) *upkeep {
	t.Helper()
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newUpkeep(db, filepath.Join(filepath.Dir(dbPath), "media"), slog.New(slog.DiscardHandler))
}

// runUpkeep runs u's loop until the test ends.
func runUpkeep(t *testing.T, u *upkeep) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.run(ctx); close(done) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// waitBackup waits until the last backup's result is newer than after.
func waitBackup(t *testing.T, u *upkeep, after time.Time) inbox.BackupResult {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, ok, err := u.LastBackup(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ok && r.Started.After(after) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("no backup after %v (last: %+v)", after, r)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestScheduledBackupRunsKeepsAndSurvivesRestarts saves a daily schedule
// whose time passed while the server was down: the server backs up at
// once, deletes the oldest backups beyond the number to keep (and nothing
// else in the folder), records the result, and after a restart waits for
// the next day's time instead of backing up again.
func TestScheduledBackupRunsKeepsAndSurvivesRestarts(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "data", "switchboard.db")
	u := openUpkeep(t, dbPath)
	ctx := context.Background()
	folder := filepath.Join(dir, "backups")
	if errs, err := u.SaveBackupSchedule(ctx, inbox.BackupSchedule{Enabled: true, At: "3:30", Keep: 2, Folder: folder}); err != nil || errs != nil {
		t.Fatalf("save: %v %v", errs, err)
	}
	for _, old := range []string{"switchboard-20200101T033000Z.db", "switchboard-20200102T033000Z.db", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(folder, old), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Saved two days ago: a 03:30 has passed since.
	s, _, _ := u.BackupSchedule(ctx)
	s.Since = time.Now().Add(-48 * time.Hour)
	if err := setJSON(ctx, u.db, inbox.SettingBackupSchedule, s, time.Now()); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	stop := runUpkeep(t, u)
	r := waitBackup(t, u, started.Add(-time.Second))
	if !r.OK() || r.Manual {
		t.Fatalf("scheduled backup: %+v", r)
	}
	if v, err := store.CheckBackup(ctx, r.File); err != nil || v != store.SchemaVersion() {
		t.Fatalf("the backup %s does not check: %d, %v", r.File, v, err)
	}
	names, _ := backupFiles(folder)
	if len(names) != 2 || names[0] != "switchboard-20200102T033000Z.db" || filepath.Join(folder, names[1]) != r.File {
		t.Errorf("backups kept: %v, want the newest old one and the new one", names)
	}
	if _, err := os.Stat(filepath.Join(folder, "notes.txt")); err != nil {
		t.Error("a file that is not a backup was deleted from the folder")
	}
	if last, ok := u.LatestBackup(); !ok || !last.LastGood.Equal(r.Started) {
		t.Errorf("the metrics' last backup: %+v", last)
	}
	stop()

	// After a restart, the next backup is tomorrow's.
	u2 := newUpkeep(u.db, "", u.log)
	if next := u2.NextBackup(ctx); !next.After(time.Now()) || next.Sub(time.Now()) > 25*time.Hour {
		t.Errorf("after a restart the next backup is at %v", next)
	}
	// Down through a day's backup time: due at once on start.
	if err := setJSON(ctx, u.db, settingBackupLastScheduled, time.Now().Add(-30*time.Hour), time.Now()); err != nil {
		t.Fatal(err)
	}
	if next := u2.NextBackup(ctx); next.After(time.Now()) {
		t.Errorf("a backup time missed while down is due at %v, want now", next)
	}
}

// TestBackupFailuresAreShown: a schedule whose folder cannot be written is
// refused, and a backup that fails is recorded with its reason beside the
// latest good one.
func TestBackupFailuresAreShown(t *testing.T) {
	dir := t.TempDir()
	u := openUpkeep(t, filepath.Join(dir, "data", "switchboard.db"))
	ctx := context.Background()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	errs, err := u.SaveBackupSchedule(ctx, inbox.BackupSchedule{Enabled: true, At: "03:30", Keep: 3, Folder: filepath.Join(file, "backups")})
	if err != nil || errs["folder"] == "" {
		t.Fatalf("a folder under a file: %v, %v; want it refused", errs, err)
	}
	if _, ok, _ := u.BackupSchedule(ctx); ok {
		t.Fatal("a refused schedule was saved")
	}

	folder := filepath.Join(dir, "backups")
	if errs, err := u.SaveBackupSchedule(ctx, inbox.BackupSchedule{At: "03:30", Keep: 3, Folder: folder}); err != nil || errs != nil {
		t.Fatal(errs, err)
	}
	runUpkeep(t, u)
	good, err := u.BackupNow(ctx)
	if err != nil || !good.OK() || !good.Manual {
		t.Fatalf("backup now: %+v, %v", good, err)
	}
	// The folder goes away and a file takes its name.
	if err := os.RemoveAll(folder); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(folder, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bad, err := u.BackupNow(ctx)
	if err != nil || bad.OK() || bad.Error == "" {
		t.Fatalf("a backup into a file: %+v, %v; want it failed", bad, err)
	}
	if !bad.LastGood.Equal(good.Started) {
		t.Errorf("the failed backup's latest good one is %v, want %v", bad.LastGood, good.Started)
	}
	if last, ok, _ := u.LastBackup(ctx); !ok || last.Error != bad.Error {
		t.Errorf("recorded: %+v", last)
	}
}

// TestRetentionRunsWhenSaved: saving retention settings runs retention at
// once on the upkeep goroutine: the media cache is trimmed to its cap and
// the run's result recorded for the admin home page.
func TestRetentionRunsWhenSaved(t *testing.T) {
	dir := t.TempDir()
	u := openUpkeep(t, filepath.Join(dir, "data", "switchboard.db"))
	if err := os.MkdirAll(u.mediaDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := os.WriteFile(filepath.Join(u.mediaDir, fmt.Sprintf("m%d", i)), make([]byte, 700<<10), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	runUpkeep(t, u)
	ctx := context.Background()
	saved := time.Now()
	if errs, err := u.SaveRetention(ctx, inbox.Retention{RawBodyDays: 30, MediaCacheMB: 1}); err != nil || errs != nil {
		t.Fatal(errs, err)
	}
	// The run at start (once the upkeep lease is held) may come after
	// the save, and then runs once more: the files are trimmed by the
	// first run, and the record is the last run's.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, ok, err := u.LastRetention(ctx)
		if err != nil {
			t.Fatal(err)
		}
		left, _ := os.ReadDir(u.mediaDir)
		if ok && !r.At.Before(saved.Truncate(time.Millisecond)) && len(left) == 1 {
			if (r.MediaFiles != 2 || r.MediaBytes != 2*700<<10) && r.MediaFiles != 0 || r.Error != "" {
				t.Errorf("retention result %+v, want 2 files trimmed (or none, by a run after the one that did)", r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retention run recorded since the save (%+v), or %d media files left, want 1", r, len(left))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if errs, _ := u.SaveRetention(ctx, inbox.Retention{RawBodyDays: -1}); errs["raw_days"] == "" {
		t.Errorf("a negative number of days: %v", errs)
	}
}
