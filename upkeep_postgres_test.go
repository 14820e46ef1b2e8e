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
	"switchboard/store/pgtest"
)

// Two servers on one PostgreSQL database, each with a media cache of its
// own: the database's retention runs at start in one of them only, which
// records it; when that one stops, the other takes the upkeep over and
// runs it.
func TestPostgresUpkeepRunsInOneProcess(t *testing.T) {
	url := pgtest.Schema(t)
	ctx := context.Background()
	var ups [2]*upkeep
	var stops [2]func()
	for i := range ups {
		db, err := store.Open(url, store.WithLeaseCheck(10*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		media := filepath.Join(t.TempDir(), "media")
		if err := os.MkdirAll(media, 0o700); err != nil {
			t.Fatal(err)
		}
		for f := range 3 {
			if err := os.WriteFile(filepath.Join(media, fmt.Sprintf("m%d", f)), make([]byte, 700<<10), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		ups[i] = newUpkeep(db, media, slog.New(slog.DiscardHandler))
		if i == 0 {
			if err := setJSON(ctx, db, inbox.SettingRetention, inbox.Retention{RawBodyDays: 30, MediaCacheMB: 1}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	left := func(i int) int {
		ents, err := os.ReadDir(ups[i].mediaDir)
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	for i := range ups {
		stops[i] = runUpkeep(t, ups[i])
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, ok, err := ups[0].LastRetention(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok && r.MediaFiles > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no retention run recorded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	leader := 0
	if left(1) == 1 {
		leader = 1
	}
	if left(leader) != 1 || left(1-leader) != 3 {
		t.Fatalf("media files left after retention at start: %d and %d, want 1 in the leader's cache and 3 in the other", left(0), left(1))
	}
	stops[leader]()
	ups[leader].db.Close()
	deadline = time.Now().Add(20 * time.Second)
	for left(1-leader) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the other server did not take retention over: %d media files left", left(1-leader))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
