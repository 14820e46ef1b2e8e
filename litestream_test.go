package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/inbox/zavu"
	"switchboard/store"
)

// litestreamBinary is the litestream program the replication test runs:
// $LITESTREAM, or litestream on the PATH.
func litestreamBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LITESTREAM"); p != "" {
		return p
	}
	p, err := exec.LookPath("litestream")
	if err != nil {
		t.Skip("litestream is not installed (not on PATH, LITESTREAM unset): the replication test needs it; " +
			"npm install -g @flydotio/litestream-linux-x64 puts one in npm's global node_modules")
	}
	return p
}

// TestLitestreamReplicatesEveryAcknowledgedEvent runs Switchboard with
// SWITCHBOARD_CHECKPOINTS=external and Litestream beside it, replicating
// to a file replica, as deploy/litestream.yml sets up. Under a stream of
// webhooks, the database restored from the replica holds every event
// acknowledged before the restore, passes SQLite's integrity check and
// opens as a Switchboard database; Litestream kept one generation, so
// Switchboard never checkpointed behind its back.
func TestLitestreamReplicatesEveryAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary and litestream")
	}
	ls := litestreamBinary(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "data", "switchboard.db")
	replica := filepath.Join(dir, "replica")
	cfgPath := filepath.Join(dir, "litestream.yml")
	// deploy/litestream.yml with the test's paths and shorter intervals.
	conf, err := os.ReadFile("deploy/litestream.yml")
	if err != nil {
		t.Fatal(err)
	}
	conf = []byte(strings.NewReplacer(
		"/var/lib/switchboard/switchboard.db", dbPath,
		"/var/backups/switchboard", replica,
		"sync-interval: 1s", "sync-interval: 100ms",
		"monitor-interval: 1s", "monitor-interval: 100ms",
	).Replace(string(conf)))
	if !strings.Contains(string(conf), dbPath) || !strings.Contains(string(conf), replica) {
		t.Fatalf("deploy/litestream.yml does not name the paths the test replaces:\n%s", conf)
	}
	if err := os.WriteFile(cfgPath, conf, 0o600); err != nil {
		t.Fatal(err)
	}

	c := startChild(t, bin, dbPath, "SWITCHBOARD_CHECKPOINTS="+checkpointMode)
	defer c.cmd.Process.Kill()
	lsLog := &syncBuf{}
	lsCmd := exec.Command(ls, "replicate", "-config", cfgPath)
	lsCmd.Stdout, lsCmd.Stderr = lsLog, lsLog
	if err := lsCmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		lsCmd.Process.Signal(syscall.SIGTERM)
		lsCmd.Wait()
	}()

	// A bounded stream of webhooks from 16 senders.
	sim := zavu.NewSimulator(5, "snd_ls", "+13125559876", time.Now)
	client := &http.Client{Timeout: 10 * time.Second}
	var mu sync.Mutex
	var acked []string
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
	const total = 3000
	for sent := 0; sent < total; {
		for _, ev := range sim.Next() {
			queue <- ev
			sent++
		}
	}
	close(queue)
	wg.Wait()
	if len(acked) < total/2 {
		t.Fatalf("only %d of %d webhooks acknowledged:\n%s", len(acked), total, c.logText())
	}

	// Restore from the replica until it has caught up.
	var restored string
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; ; i++ {
		restored = filepath.Join(dir, fmt.Sprintf("restored-%d.db", i))
		out, err := exec.Command(ls, "restore", "-config", cfgPath, "-o", restored, dbPath).CombinedOutput()
		if err != nil {
			t.Fatalf("litestream restore: %v\n%s\nlitestream replicate:\n%s", err, out, lsLog.String())
		}
		if missing := missingEvents(t, restored, acked); missing == 0 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the restored database lacks %d of %d acknowledged events after 60 s\n%s", missing, len(acked), lsLog.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if v, err := store.CheckBackup(context.Background(), restored); err != nil || v != store.SchemaVersion() {
		t.Fatalf("the restored database: schema %d, %v", v, err)
	}
	gens, err := os.ReadDir(filepath.Join(replica, "generations"))
	if err != nil || len(gens) != 1 {
		t.Errorf("litestream generations: %d (%v), want 1: a second one means a checkpoint it did not control\n%s", len(gens), err, lsLog.String())
	}
	t.Logf("%d acknowledged events, all in the database restored from the replica", len(acked))

	// Switchboard ran no checkpoint of its own: it logs its WAL upkeep
	// at shutdown only when it did.
	c.cmd.Process.Signal(syscall.SIGTERM)
	if err := c.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	if logs := c.logText(); strings.Contains(logs, "WAL upkeep since start") {
		t.Errorf("Switchboard checkpointed although Litestream runs the checkpoints:\n%s", logs)
	}
}

// checkpointMode is what the replication test sets SWITCHBOARD_CHECKPOINTS
// to; the README's set-up says external.
var checkpointMode = "external"

// missingEvents counts the ids not stored in the database at path.
func missingEvents(t *testing.T, path string, ids []string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	have := map[string]bool{}
	rows, err := db.Query(`SELECT id FROM webhook_events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		have[id] = true
	}
	n := 0
	for _, id := range ids {
		if !have[id] {
			n++
		}
	}
	return n
}

// syncBuf is a buffer a process writes its output to while the test reads
// it.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
