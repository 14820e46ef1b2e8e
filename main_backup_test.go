package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox/zavu"
	"switchboard/store"
)

// TestBackupCommandDuringSustainedWrites runs "switchboard backup" while
// a server takes a steady stream of webhooks: the backup succeeds (it used
// to open the store and wait for the writer's lock, "database is locked")
// and holds every delivery acknowledged before it started.
func TestBackupCommandDuringSustainedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	c := startChild(t, bin, dbPath)
	defer func() {
		c.cmd.Process.Kill()
		c.wait()
	}()
	sim := zavu.NewSimulator(7, "snd_backup", "+13125559876", time.Now)
	client := &http.Client{Timeout: 10 * time.Second}

	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	queue := make(chan zavu.SimEvent)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for ev := range queue {
				status, err := postSigned(context.Background(), client, c.url+"/webhooks/zavu", childSecret, ev.Body)
				if err == nil && status == http.StatusOK {
					mu.Lock()
					acked = append(acked, ev.ID)
					mu.Unlock()
				}
			}
		})
	}
	go func() {
		defer close(queue)
		for {
			for _, ev := range sim.Next() {
				select {
				case queue <- ev:
				case <-stop:
					return
				}
			}
		}
	}()
	ackedNow := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), acked...)
	}
	for len(ackedNow()) < 500 {
		time.Sleep(5 * time.Millisecond)
	}
	before := ackedNow()
	dest := filepath.Join(t.TempDir(), "sb-copy.db")
	code, out, errOut := runCmd(t, map[string]string{"SWITCHBOARD_DB": dbPath}, "", "backup", dest)
	during := len(ackedNow()) - len(before)
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup under load: exit %d: %s%s", code, out, errOut)
	}
	if during == 0 {
		t.Error("no delivery was acknowledged while the backup ran: the test proves nothing")
	}
	t.Logf("%d deliveries acknowledged before the backup, %d while it ran", len(before), during)

	cp, err := sql.Open("sqlite", "file:"+dest+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	for _, id := range before {
		var n int
		if err := cp.QueryRow(`SELECT count(*) FROM webhook_events WHERE id = ?`, id).Scan(&n); err != nil || n != 1 {
			t.Fatalf("delivery %s, acknowledged before the backup started, is not in it (%d, %v)", id, n, err)
		}
	}
}

// TestKilledBackupLeavesNoFile kills "switchboard backup" (SIGKILL) while
// it copies: nothing is left at the path it was writing, and the next
// backup to that path succeeds.
func TestKilledBackupLeavesNoFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// A database large enough that copying it takes a while.
	raw, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE filler (b BLOB);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 800)
		INSERT INTO filler SELECT randomblob(32768) FROM n`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	dir := t.TempDir()
	dest := filepath.Join(dir, "sb-copy.db")
	cmd := exec.Command(bin, "backup", dest)
	cmd.Env = append(os.Environ(), "SWITCHBOARD_DB="+dbPath)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it as soon as its temporary file exists: it is copying.
	deadline := time.Now().Add(30 * time.Second)
	for !hasPartial(dir) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the backup never started writing")
		}
		time.Sleep(200 * time.Microsecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatalf("a killed backup left a file at its path (%v)", err)
	}

	code, out, errOut := runCmd(t, map[string]string{"SWITCHBOARD_DB": dbPath}, "", "backup", dest)
	if code != 0 {
		t.Fatalf("the next backup: exit %d: %s%s", code, out, errOut)
	}
	if _, err := store.CheckBackup(context.Background(), dest); err != nil {
		t.Error(err)
	}
}

func hasPartial(dir string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".partial-") {
			return true
		}
	}
	return false
}

// TestRestoreCommand: refused while a server runs; once it is stopped,
// the backup is back in place and the replaced database kept aside.
func TestRestoreCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "sb.db")
	vars := map[string]string{"SWITCHBOARD_DB": dbPath}
	c := startChild(t, bin, dbPath)
	backup := filepath.Join(dir, "backup.db")
	if code, out, errOut := runCmd(t, vars, "", "backup", backup); code != 0 {
		t.Fatalf("backup: %d %s%s", code, out, errOut)
	}
	code, _, errOut := runCmd(t, vars, "", "restore", backup)
	if code == 0 || !strings.Contains(errOut, "in use") {
		t.Errorf("restore while the server runs: exit %d: %s", code, errOut)
	}
	c.cmd.Process.Signal(os.Interrupt)
	if err := c.wait(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, vars, "", "restore", backup)
	if code != 0 || !strings.Contains(out, "replaced-") {
		t.Fatalf("restore: exit %d: %s%s", code, out, errOut)
	}
	if _, err := store.CheckBackup(context.Background(), dbPath); err != nil {
		t.Error(err)
	}
}

// TestBackupWithoutADatabaseSaysWhichPathAndWhatToDo: backup with
// SWITCHBOARD_DB naming no file (unset in the shell, a typo) prints one
// line naming the path and what to do, not the stat error alone, and
// writes nothing.
func TestBackupWithoutADatabaseSaysWhichPathAndWhatToDo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "sb.db")
	dest := filepath.Join(dir, "backup.db")
	var out, stderr bytes.Buffer
	code := run(context.Background(), []string{"backup", dest}, strings.NewReader(""), &out, &stderr,
		envFrom(map[string]string{"SWITCHBOARD_DB": path}))
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "switchboard: SWITCHBOARD_DB="+path+": no database there") ||
		!strings.Contains(lines[0], "set SWITCHBOARD_DB") || strings.Contains(lines[0], "stat ") {
		t.Errorf("backup without a database: exit %d, stderr %q; want 1 and one line naming %s and what to do", code, stderr.String(), path)
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a backup file was written: %v", err)
	}
}
