//go:build linux

package main

import (
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/inbox/zavu"
	"switchboard/store"
)

// smallDisk mounts a tmpfs of size bytes on a new folder and returns it;
// the test is skipped where mounting is not permitted (not root, or in a
// container without the capability).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Skipf("cannot mount a small tmpfs for the disk-full test (%v): it needs root and CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// TestDiskFullRefusesWebhooksAndRecovers runs the server on a small
// filesystem that fills up under a stream of webhooks: a delivery that
// cannot be stored gets a non-200 (so Zavu retries it), never a 200 that
// loses it. Once space returns, the retried deliveries are stored, and
// after a restart every acknowledged event is in a database that passes
// SQLite's integrity check.
func TestDiskFullRefusesWebhooksAndRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	bin := buildBinary(t)
	disk := smallDisk(t, "24m")
	dbPath := filepath.Join(disk, "data", "switchboard.db")
	c := startChild(t, bin, dbPath)
	defer c.cmd.Process.Kill()

	// Fill the disk but for about 1.5 MiB.
	var st syscall.Statfs_t
	if err := syscall.Statfs(disk, &st); err != nil {
		t.Fatal(err)
	}
	ballast := filepath.Join(disk, "ballast")
	free := int64(st.Bavail) * st.Bsize
	if err := os.WriteFile(ballast, make([]byte, free-1536<<10), 0o600); err != nil {
		t.Fatal(err)
	}

	sim := zavu.NewSimulator(3, "snd_full", "+13125559876", time.Now)
	client := &http.Client{Timeout: 10 * time.Second}
	var mu sync.Mutex
	acked := map[string]bool{}
	var refused []zavu.SimEvent
	statuses := map[int]int{}
	post := func(ev zavu.SimEvent) {
		status, err := postSigned(context.Background(), client, c.url+"/webhooks/zavu", childSecret, ev.Body)
		mu.Lock()
		defer mu.Unlock()
		statuses[status]++
		if err == nil && status == http.StatusOK {
			acked[ev.ID] = true
		} else {
			refused = append(refused, ev)
		}
	}
	const maxEvents = 20000
	for sent := 0; sent < maxEvents; {
		batch := sim.Next()
		var wg sync.WaitGroup
		for _, ev := range batch {
			wg.Go(func() { post(ev) })
		}
		wg.Wait()
		sent += len(batch)
		mu.Lock()
		n := len(refused)
		mu.Unlock()
		if n >= 50 {
			break
		}
	}
	if len(refused) == 0 {
		t.Fatalf("%d events stored on a disk of 1.5 MiB free: the disk never filled", len(acked))
	}
	if statuses[http.StatusServiceUnavailable] == 0 {
		t.Errorf("answers on a full disk: %v, want 503 (Zavu retries)", statuses)
	}
	t.Logf("on the full disk: %d acknowledged, %d refused (%v)", len(acked), len(refused), statuses)

	// Space returns; Zavu retries what was refused.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(refused) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still refused 30 s after space returned:\n%s", len(refused), c.logText())
		}
		retry := refused
		refused = nil
		for _, ev := range retry {
			post(ev)
		}
		if len(refused) > 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	resp, err := http.Get(c.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	c.cmd.Process.Signal(syscall.SIGTERM)
	if err := c.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, c.logText())
	}
	fc, err := store.CheckFile(context.Background(), dbPath, false)
	if err != nil || len(fc.Problems) > 0 {
		t.Fatalf("integrity after the disk filled: %+v, %v", fc.Problems, err)
	}
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id := range acked {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM webhook_events WHERE id = ?`, id).Scan(&n); err != nil || n != 1 {
			t.Fatalf("acknowledged event %s stored %d times (%v)", id, n, err)
		}
	}
	t.Logf("%d events acknowledged in all, every one stored", len(acked))
}
