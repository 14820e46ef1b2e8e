package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

// TestBackupDuringSustainedWrites copies the database while callers keep
// writing: the backup succeeds, holds every event acknowledged before it
// started, and is readable by this user only.
func TestBackupDuringSustainedWrites(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ev := benchEvent(c*1_000_000 + i)
				if _, err := db.Ingest(ctx, ev, applyInbound); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, ev.ID)
				mu.Unlock()
			}
		})
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()

	dest := filepath.Join(t.TempDir(), "backups", "copy.db")
	err := Backup(ctx, db.path, dest)
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d events acknowledged before the backup, %d while it ran", len(before), during)

	fi, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the backup has mode %o, want 600", fi.Mode().Perm())
	}
	cp, err := sql.Open("sqlite", readOnlyDSN(dest))
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	for _, id := range before {
		var n int
		if err := cp.QueryRow(`SELECT count(*) FROM webhook_events WHERE id = ?`, id).Scan(&n); err != nil || n != 1 {
			t.Fatalf("event %s, acknowledged before the backup started, is not in it (%d, %v)", id, n, err)
		}
	}
	if err := Backup(ctx, db.path, dest); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("backup over an existing file: %v, want ErrConflict", err)
	}
}

// TestInterruptedBackupLeavesNoFile: a backup that stops halfway (here
// cancelled; see also the test that kills the process) leaves nothing at
// its path, nor a temporary file, and the next one succeeds.
func TestInterruptedBackupLeavesNoFile(t *testing.T) {
	db := openTest(t)
	dir := filepath.Join(t.TempDir(), "backups")
	dest := filepath.Join(dir, "copy.db")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Backup(ctx, db.path, dest); err == nil {
		t.Fatal("a cancelled backup succeeded")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("an interrupted backup left %s", e.Name())
	}
	if err := Backup(context.Background(), db.path, dest); err != nil {
		t.Fatalf("the next backup: %v", err)
	}
	if _, err := CheckBackup(context.Background(), dest); err != nil {
		t.Error(err)
	}
}

// TestRestore: a restore is refused while the database is open, and for a
// file that is not a sound Switchboard database; otherwise the backup
// takes the database's place and the replaced database, with what its WAL
// held, is kept aside.
func TestRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "switchboard.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ingest := func(i int) {
		t.Helper()
		if _, err := db.Ingest(ctx, inboundEvent(fmtID("evt", i), "+15550001", fmtID("msg", i), "hi", t0), applyInbound); err != nil {
			t.Fatal(err)
		}
	}
	ingest(1)
	backup := filepath.Join(dir, "backup.db")
	if err := Backup(ctx, path, backup); err != nil {
		t.Fatal(err)
	}
	ingest(2) // after the backup

	if _, err := Restore(ctx, backup, path, time.Now()); !errors.Is(err, inbox.ErrConflict) {
		t.Fatalf("restore while the database is open: %v, want ErrConflict", err)
	}
	db.Close()

	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not a database ", 500)), 0o600)
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	for _, bad := range []string{junk, empty, filepath.Join(dir, "missing.db")} {
		if _, err := Restore(ctx, bad, path, time.Now()); err == nil {
			t.Errorf("restore of %s succeeded", filepath.Base(bad))
		}
	}

	aside, err := Restore(ctx, backup, path, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	restored, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if n := count(t, restored, `SELECT count(*) FROM messages`); n != 1 {
		t.Errorf("the restored database has %d messages, want the backup's 1", n)
	}
	old, err := Open(aside)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if n := count(t, old, `SELECT count(*) FROM messages`); n != 2 {
		t.Errorf("the database set aside has %d messages, want 2", n)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the restored database: %v %v", fi.Mode(), err)
	}
}
