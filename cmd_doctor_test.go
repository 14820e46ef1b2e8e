package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
)

// doctorSetup is a data folder with a database, and a fake Zavu listing
// the given senders.
func doctorSetup(t *testing.T, senders []zavu.Sender) (vars map[string]string, dbPath string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	dbPath = filepath.Join(dir, "switchboard.db")
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fake := zavu.NewFake(zavu.FakeOptions{APIKey: "zv_test_doctor"})
	fake.SetSenders(senders)
	srv := httptest.NewServer(fake)
	t.Cleanup(func() {
		srv.Close()
		fake.Close()
	})
	return map[string]string{
		"SWITCHBOARD_DB":            dbPath,
		"SWITCHBOARD_BASE_URL":      "https://inbox.example.com",
		"ZAVU_API_KEY":              "zv_test_doctor",
		"ZAVU_API_URL":              srv.URL,
		"ZAVU_WEBHOOK_SECRET":       "whsec_doctor_0123456789",
		"SWITCHBOARD_METRICS_TOKEN": "metrics-0123456789abcdef",
	}, dbPath
}

func everyEvent() []string {
	var out []string
	for _, e := range inbox.SenderEvents {
		out = append(out, string(e))
	}
	return out
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// TestDoctorFindsNothingOnAGoodSetup: private files, a sound database, a
// sender whose webhook points here with every event.
func TestDoctorFindsNothingOnAGoodSetup(t *testing.T) {
	vars, dbPath := doctorSetup(t, []zavu.Sender{{ID: "snd_1", Name: "Support", PhoneNumber: "+15550001111",
		Webhook: &zavu.SenderWebhook{URL: "https://inbox.example.com/webhooks/zavu", Events: everyEvent(), Active: true}}})
	chmod(t, filepath.Dir(dbPath), 0o700)
	chmod(t, dbPath, 0o600)
	code, out, errOut := runCmd(t, vars, "", "doctor")
	if code != 0 || strings.Contains(out, "FAIL") || !strings.Contains(out, "nothing to fix") {
		t.Fatalf("doctor = %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"ok    configuration is valid", "passes SQLite's quick check", "data folder " + filepath.Dir(dbPath) + " is private",
		"data files are readable by their owner only", "free of", "sender Support +15550001111: its webhook points here"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestDoctorSaysWhatToFix: each problem is a FAIL line with its fix, and
// the exit code says something is wrong.
func TestDoctorSaysWhatToFix(t *testing.T) {
	vars, dbPath := doctorSetup(t, []zavu.Sender{
		{ID: "snd_1", Name: "Support", Webhook: &zavu.SenderWebhook{URL: "https://old.example.com/hook", Events: []string{"message.inbound"}, Active: true}},
		{ID: "snd_2", Name: "Sales"},
	})
	chmod(t, filepath.Dir(dbPath), 0o755)
	chmod(t, dbPath, 0o644)
	// A damaged table.
	raw, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	var root int
	if err := raw.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = 'schema_migrations'`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	b, _ := os.ReadFile(dbPath)
	b[(root-1)*4096+3], b[(root-1)*4096+4] = 0x00, 0x40
	os.WriteFile(dbPath, b, 0o644)

	code, out, errOut := runCmd(t, vars, "", "doctor")
	if code != 1 || !strings.Contains(errOut, "problem(s) to fix") {
		t.Errorf("doctor = %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"FAIL  data folder " + filepath.Dir(dbPath) + " is open to other users (mode 0755)\n      fix: chmod 700 " + filepath.Dir(dbPath),
		"FAIL  " + dbPath + " is readable by other users (mode 0644)\n      fix: chmod 600 " + dbPath,
		"FAIL  database " + dbPath + " fails SQLite's quick check",
		"FAIL  sender Support: Zavu sends this sender's events to https://old.example.com/hook, not to Switchboard (https://inbox.example.com/webhooks/zavu).",
		"FAIL  sender Support: The webhook leaves out events Switchboard needs:",
		"FAIL  sender Sales: Zavu has no webhook for this sender",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	// A wrong API key and a bad variable.
	vars["ZAVU_API_KEY"] = "zv_test_wrong"
	if _, out, _ := runCmd(t, vars, "", "doctor"); !strings.Contains(out, "FAIL  Zavu did not list the senders with ZAVU_API_KEY") {
		t.Errorf("wrong key not reported:\n%s", out)
	}
	vars["SWITCHBOARD_LOG"] = "loud"
	if code, out, _ := runCmd(t, vars, "", "doctor"); code != 1 || !strings.Contains(out, "FAIL  configuration: SWITCHBOARD_LOG=") {
		t.Errorf("bad variable not reported (%d):\n%s", code, out)
	}
}

// TestDoctorMeasuresClockSkew compares the received times of stored
// webhooks with Zavu's signed timestamps: a retried (late) delivery does
// not count as skew, a clock minutes ahead is a FAIL, a few seconds is ok.
func TestDoctorMeasuresClockSkew(t *testing.T) {
	vars, dbPath := doctorSetup(t, nil)
	store := func(lags ...time.Duration) {
		t.Helper()
		os.Remove(dbPath)
		os.Remove(dbPath + "-wal")
		os.Remove(dbPath + "-shm")
		now := time.Now()
		db, err := storeOpenAt(dbPath, now)
		if err != nil {
			t.Fatal(err)
		}
		for i, lag := range lags {
			ev := &inbox.Event{ID: fmt.Sprintf("evt_clock_%d", i), Type: inbox.EventMessageDelivered,
				Timestamp: now.Add(-lag), Raw: []byte(`{}`)}
			if _, err := db.Append(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		lags []time.Duration
		want string
	}{
		{nil, "ok    clock skew unknown: no signed webhook stored yet"},
		{[]time.Duration{3 * time.Second, 20 * time.Minute}, "ok    this clock is 3s ahead of Zavu's"},
		{[]time.Duration{10 * time.Minute, 12 * time.Minute}, "FAIL  this clock is 10m0s ahead of Zavu's"},
		{[]time.Duration{-2 * time.Minute, 5 * time.Minute}, "FAIL  this clock is 2m0s behind Zavu's"},
		{[]time.Duration{-40 * time.Second}, "warn  this clock is 40s behind Zavu's"},
	} {
		store(c.lags...)
		chmod(t, dbPath, 0o600)
		_, out, _ := runCmd(t, vars, "", "doctor")
		if !strings.Contains(out, c.want) {
			t.Errorf("lags %v: report lacks %q:\n%s", c.lags, c.want, out)
		}
	}
}

func storeOpenAt(path string, now time.Time) (*store.DB, error) {
	return store.Open(path, store.WithClock(func() time.Time { return now }))
}

// TestDoctorChecksScheduledBackups: no schedule is a warning; a failed or
// stale last backup is a FAIL with what to look at.
func TestDoctorChecksScheduledBackups(t *testing.T) {
	vars, dbPath := doctorSetup(t, nil)
	set := func(key string, v any) {
		t.Helper()
		db, err := store.Open(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := setJSON(context.Background(), db, key, v, time.Now()); err != nil {
			t.Fatal(err)
		}
		db.Close()
		chmod(t, dbPath, 0o600)
	}
	check := func(want string) {
		t.Helper()
		if _, out, _ := runCmd(t, vars, "", "doctor"); !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	chmod(t, dbPath, 0o600)
	check("warn  no scheduled backup")
	set(inbox.SettingBackupSchedule, inbox.BackupSchedule{Enabled: true, At: "03:30", Keep: 7, Folder: "/srv/b"})
	check("ok    daily backup at 03:30 into /srv/b; none has run yet")
	good := time.Now().Add(-3 * time.Hour)
	set(inbox.SettingBackupLast, inbox.BackupResult{Started: good, File: "/srv/b/x.db", Size: 2048, LastGood: good})
	check("ok    the last backup (" + good.Format(time.RFC3339) + ") is /srv/b/x.db, 2.0 KiB")
	set(inbox.SettingBackupLast, inbox.BackupResult{Started: time.Now(), Error: "The backup folder's disk is full.", LastGood: good})
	check("FAIL  the last backup (")
	check("failed: The backup folder's disk is full.")
	old := time.Now().Add(-72 * time.Hour)
	set(inbox.SettingBackupLast, inbox.BackupResult{Started: old, File: "/srv/b/y.db", LastGood: old})
	check("more than two days ago")
}

// TestDoctorChecksLitestreamRuns: with checkpoints left to Litestream, a
// database Litestream never replicated is a FAIL (its WAL would grow
// without end).
func TestDoctorChecksLitestreamRuns(t *testing.T) {
	vars, dbPath := doctorSetup(t, nil)
	chmod(t, dbPath, 0o600)
	vars["SWITCHBOARD_CHECKPOINTS"] = "external"
	if _, out, _ := runCmd(t, vars, "", "doctor"); !strings.Contains(out, "FAIL  SWITCHBOARD_CHECKPOINTS=external, but Litestream has not replicated") {
		t.Errorf("no Litestream not reported:\n%s", out)
	}
	if err := os.Mkdir(filepath.Join(filepath.Dir(dbPath), ".switchboard.db-litestream"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, out, _ := runCmd(t, vars, "", "doctor"); !strings.Contains(out, "ok    Litestream replicates the database") {
		t.Errorf("Litestream's folder not seen:\n%s", out)
	}
	vars["SWITCHBOARD_CHECKPOINTS"] = "sometimes"
	if _, out, _ := runCmd(t, vars, "", "doctor"); !strings.Contains(out, "FAIL  configuration: SWITCHBOARD_CHECKPOINTS=\"sometimes\"") {
		t.Errorf("a bad value not reported:\n%s", out)
	}
}

// TestDoctorSaysWhatWaits: webhook events acknowledged and not applied,
// events that failed, replies not sent and a WAL that outgrew its bound
// are in the report, each with what to do; a quiet database says so.
func TestDoctorSaysWhatWaits(t *testing.T) {
	vars, dbPath := doctorSetup(t, nil)
	chmod(t, filepath.Dir(dbPath), 0o700)
	chmod(t, dbPath, 0o600)
	_, out, _ := runCmd(t, vars, "", "doctor")
	for _, want := range []string{"ok    no stored webhook event waits to be applied", "ok    no webhook event failed to apply", "ok    no reply waits to be sent"} {
		if !strings.Contains(out, want) {
			t.Errorf("quiet database: report lacks %q:\n%s", want, out)
		}
	}

	// What a server stopped (or stuck) for ten minutes leaves.
	raw, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	then := time.Now().Add(-10 * time.Minute).UnixMilli()
	for _, q := range []string{
		`INSERT INTO webhook_events (id, type, received_at, state, pending) VALUES ('evt_p1', 'message.inbound', ?1, 'applied', 1), ('evt_p2', 'message.inbound', ?1 + 60000, 'applied', 1)`,
		`INSERT INTO webhook_events (id, type, received_at, state, error) VALUES ('evt_f1', 'contact.updated', ?1, 'failed', 'unknown event type')`,
		`INSERT INTO outbox (message_id, idempotency_key, state, next_attempt_at, request, created_at, updated_at) VALUES (1, 'k1', 'queued', ?1, '{}', ?1, ?1), (2, 'k2', 'sending', ?1 + 1000, '{}', ?1, ?1)`,
	} {
		if _, err := raw.Exec(q, then); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	code, out, _ := runCmd(t, vars, "", "doctor")
	if code != 1 {
		t.Errorf("doctor = %d; want 1 for what waits too long", code)
	}
	for _, want := range []string{
		"FAIL  2 stored webhook event(s) wait to be applied, the oldest received 10m",
		"warn  1 webhook event(s) could not be applied, the newest received 10m",
		"fix: see Admin, Webhook log",
		"FAIL  2 reply(ies) wait to be sent, the earliest due 10m",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	// A WAL far past its bound.
	if err := os.WriteFile(dbPath+"-wal", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(dbPath+"-wal", 80<<20); err != nil {
		t.Fatal(err)
	}
	if _, out, _ := runCmd(t, vars, "", "doctor"); !strings.Contains(out, "warn  the WAL ("+dbPath+"-wal) is 80.0 MiB: checkpoints are not keeping up") {
		t.Errorf("report lacks the WAL's size:\n%s", out)
	}
}

// TestDoctorOnAnOlderSchema: a database an older Switchboard wrote (the
// binary was replaced, the server not yet started) is reported as one
// the server upgrades, without a warning about what it cannot read yet.
func TestDoctorOnAnOlderSchema(t *testing.T) {
	vars, dbPath := doctorSetup(t, nil)
	os.Remove(dbPath)
	raw, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
		INSERT INTO schema_migrations VALUES (1, 0);
		CREATE TABLE webhook_events (id TEXT PRIMARY KEY, timestamp INTEGER, received_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, out, _ := runCmd(t, vars, "", "doctor")
	want := fmt.Sprintf("ok    database %s passes SQLite's quick check (schema 1; the server upgrades it to %d when it starts)", dbPath, store.SchemaVersion())
	if !strings.Contains(out, want) || strings.Contains(out, "what waits in the database is unknown") {
		t.Errorf("report lacks %q, or says something is unknown:\n%s", want, out)
	}
}

// folderListing is the names and sizes of the files in dir.
func folderListing(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d", e.Name(), fi.Size()))
	}
	return out
}

// TestDoctorLeavesTheDataFolderAsItFoundIt: doctor says it changes
// nothing, and reading a stopped server's database (in WAL mode) leaves
// no -wal or -shm file behind; beside a running server, whose files they
// are, it leaves them and the server goes on writing.
func TestDoctorLeavesTheDataFolderAsItFoundIt(t *testing.T) {
	vars, dbPath := doctorSetup(t, []zavu.Sender{{ID: "snd_1", Name: "Support", PhoneNumber: "+15550001111",
		Webhook: &zavu.SenderWebhook{URL: "https://inbox.example.com/webhooks/zavu", Events: everyEvent(), Active: true}}})
	dir := filepath.Dir(dbPath)
	before := folderListing(t, dir)
	if code, out, errOut := runCmd(t, vars, "", "doctor"); code != 0 {
		t.Fatalf("doctor = %d\n%s%s", code, out, errOut)
	}
	if after := folderListing(t, dir); strings.Join(after, ", ") != strings.Join(before, ", ") {
		t.Errorf("doctor on a stopped server's database changed its folder:\nbefore %q\nafter  %q", before, after)
	}

	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	addToken(t, db, "before")
	if code, out, errOut := runCmd(t, vars, "", "doctor"); code != 0 {
		t.Fatalf("doctor beside a server = %d\n%s%s", code, out, errOut)
	}
	for _, f := range []string{dbPath + "-wal", dbPath + "-shm"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("the running server's %s: %v", f, err)
		}
	}
	addToken(t, db, "after")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if after := folderListing(t, dir); len(after) != len(before) {
		t.Errorf("after the server stopped the folder holds %q; want %d files as before", after, len(before))
	}
}

// TestDoctorNamesTheDatabasesRestoreSetAside: each database a restore
// set aside is named with its size, and doctor says it can be deleted
// once the restore is confirmed; other files are not.
func TestDoctorNamesTheDatabasesRestoreSetAside(t *testing.T) {
	vars, dbPath := doctorSetup(t, []zavu.Sender{{ID: "snd_1", Name: "Support", PhoneNumber: "+15550001111",
		Webhook: &zavu.SenderWebhook{URL: "https://inbox.example.com/webhooks/zavu", Events: everyEvent(), Active: true}}})
	if _, out, _ := runCmd(t, vars, "", "doctor"); strings.Contains(out, "replaced") {
		t.Errorf("with nothing set aside doctor says:\n%s", out)
	}
	files := map[string]int{
		dbPath + ".replaced-20260101T090000Z":   3 << 20,
		dbPath + ".replaced-20260101T090000Z-2": 1536,
	}
	for f, size := range files {
		if err := os.WriteFile(f, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(dbPath), "notes.replaced-20260101T090000Z"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, vars, "", "doctor")
	if code != 0 {
		t.Fatalf("doctor = %d\n%s%s", code, out, errOut)
	}
	for f, size := range map[string]string{dbPath + ".replaced-20260101T090000Z": "3.0 MiB", dbPath + ".replaced-20260101T090000Z-2": "1.5 KiB"} {
		want := "warn  " + f + " (" + size + ") is the database a restore replaced"
		if !strings.Contains(out, want) || !strings.Contains(out, "once the restored database is confirmed good, delete it: rm "+f+"\n") {
			t.Errorf("report lacks %q and how to delete it:\n%s", want, out)
		}
	}
	if strings.Contains(out, "notes.replaced") {
		t.Errorf("doctor names another file:\n%s", out)
	}
}

// TestDoctorClockLeavesOutSimulatedWebhooks: a sandbox fed by switchboard
// simulate, whose stories have already happened (their events stamped 1
// to 5 minutes back), is not said to have a clock minutes ahead; a
// webhook from Zavu beside them is measured.
func TestDoctorClockLeavesOutSimulatedWebhooks(t *testing.T) {
	vars, dbPath := doctorSetup(t, nil)
	now := time.Now()
	db, err := storeOpenAt(dbPath, now)
	if err != nil {
		t.Fatal(err)
	}
	sim := zavu.NewSimulator(7, "snd_sandbox", "+13125559876", func() time.Time { return now })
	oldest := time.Duration(0)
	for _, se := range sim.Stream(40) {
		ev, err := zavu.Decode(se.Body)
		if err != nil {
			t.Fatal(err)
		}
		ev.Raw = se.Body
		if _, err := db.Append(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		oldest = max(oldest, now.Sub(ev.Timestamp))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if oldest < 3*time.Minute {
		t.Fatalf("the simulated events are at most %s old; the test wants them set minutes back", oldest)
	}
	chmod(t, dbPath, 0o600)
	if _, out, _ := runCmd(t, vars, "", "doctor"); !strings.Contains(out, "ok    clock skew unknown: no signed webhook stored yet from Zavu") {
		t.Errorf("simulated webhooks only: report lacks that the skew is unknown:\n%s", out)
	}

	db, err = storeOpenAt(dbPath, now)
	if err != nil {
		t.Fatal(err)
	}
	ev := &inbox.Event{ID: fmt.Sprintf("evt_%d_abc123", now.Add(-2*time.Second).UnixMilli()), Type: inbox.EventMessageDelivered,
		Timestamp: now.Add(-2 * time.Second), Raw: []byte(`{}`)}
	if _, err := db.Append(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	chmod(t, dbPath, 0o600)
	if _, out, _ := runCmd(t, vars, "", "doctor"); !strings.Contains(out, "ok    this clock is 2s ahead of Zavu's") {
		t.Errorf("a webhook from Zavu beside simulated ones: report lacks its 2s:\n%s", out)
	}
}
