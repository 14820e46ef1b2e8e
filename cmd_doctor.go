package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
	"switchboard/web"
)

// finding is one line of the doctor's report.
type finding struct {
	level string // ok, warn or FAIL
	what  string
	fix   string
}

// doctor checks what a server needs to run well and prints what to fix:
// the configuration, the database's integrity and schema, the disk, the
// data files' modes, and whether each sender's webhook in Zavu points
// here. It changes nothing. It fails when something must be fixed.
func (e env) doctor(ctx context.Context, args []string) error {
	fs := e.newFlags("doctor")
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	var out []finding
	add := func(level, what, fix string) { out = append(out, finding{level, what, fix}) }

	cfg, cfgErr := e.config()
	if cfgErr != nil {
		for _, line := range strings.Split(cfgErr.Error(), "\n") {
			add("FAIL", "configuration: "+line, "correct the variable; the server refuses to start until then")
		}
		if cfg.DBPath == "" {
			cfg.DBPath = "./data/switchboard.db"
		}
	} else {
		add("ok", "configuration is valid", "")
		doctorConfig(cfg, add)
	}
	defer store.LeaveAsFound(cfg.DBPath)()
	schema := doctorDatabase(ctx, cfg.DBPath, add)
	doctorClock(ctx, cfg.DBPath, add)
	if schema == store.SchemaVersion() {
		doctorBacklog(ctx, cfg.DBPath, time.Now(), add)
	}
	if cfgErr != nil || !cfg.ExternalCheckpoints {
		doctorWAL(cfg.DBPath, add)
	}
	doctorBackups(ctx, cfg.DBPath, time.Now(), add)
	if cfgErr == nil && cfg.ExternalCheckpoints {
		doctorLitestream(cfg.DBPath, add)
	}
	doctorFiles(ctx, cfg.DBPath, add)
	doctorReplaced(cfg.DBPath, add)
	doctorDisk(filepath.Dir(cfg.DBPath), add)
	if cfgErr == nil {
		doctorSenders(ctx, cfg, add)
	}

	failed := 0
	for _, f := range out {
		fmt.Fprintf(e.stdout, "%-4s  %s\n", f.level, f.what)
		if f.fix != "" {
			fmt.Fprintf(e.stdout, "      fix: %s\n", f.fix)
		}
		if f.level == "FAIL" {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("doctor: %d problem(s) to fix", failed)
	}
	fmt.Fprintln(e.stdout, "nothing to fix")
	return nil
}

func doctorConfig(cfg Config, add func(level, what, fix string)) {
	if cfg.Sandbox() {
		add("warn", "no ZAVU_API_KEY: sandbox mode, nothing reaches Zavu", "set ZAVU_API_KEY to the project's zv_live_ key")
	} else if len(cfg.WebhookSecrets) == 0 {
		add("warn", "no ZAVU_WEBHOOK_SECRET: webhooks are refused unless a secret is entered per sender under Admin, Senders",
			"set ZAVU_WEBHOOK_SECRET to the whsec_ secret Zavu showed for the webhook")
	}
	if cfg.BaseURL.Scheme != "https" && !isLocalHost(cfg.BaseURL.Hostname()) {
		add("warn", "SWITCHBOARD_BASE_URL is not https: cookies are not Secure and Zavu should not send webhooks over plain HTTP",
			"serve it over HTTPS (deploy/Caddyfile) and set SWITCHBOARD_BASE_URL=https://...")
	}
	if cfg.MetricsToken == "" {
		add("warn", "no SWITCHBOARD_METRICS_TOKEN: /metrics is off", "set it to a random secret (openssl rand -hex 32) to scrape /metrics")
	}
}

func isLocalHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// doctorDatabase checks the database file and returns its schema version
// when it is sound (0 otherwise).
func doctorDatabase(ctx context.Context, path string, add func(level, what, fix string)) (schema int) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		add("warn", "no database at "+path+" yet", "start the server once: it creates the database")
		return 0
	}
	if refuseEmptied(path) != nil {
		add("FAIL", "database "+path+" is empty, yet a server has run here (files.key is beside it): it was truncated or overwritten",
			"stop the server and put the latest backup in its place: switchboard restore FILE")
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	fc, err := store.CheckFile(ctx, path, true)
	switch {
	case errors.Is(err, store.ErrNotSwitchboard):
		add("FAIL", path+" is not a Switchboard database", "point SWITCHBOARD_DB at Switchboard's database")
	case err != nil:
		add("FAIL", "database "+path+" cannot be checked: "+err.Error(), "stop the server and restore the latest backup: switchboard restore FILE")
	case len(fc.Problems) > 0:
		add("FAIL", fmt.Sprintf("database %s fails SQLite's quick check: %s", path, fc.Problems[0]),
			"stop the server and restore the latest backup: switchboard restore FILE")
	case fc.SchemaVersion > store.SchemaVersion():
		add("FAIL", fmt.Sprintf("database %s has schema %d, newer than this binary's %d", path, fc.SchemaVersion, store.SchemaVersion()),
			"run the newer Switchboard that wrote it")
	case fc.SchemaVersion < store.SchemaVersion():
		add("ok", fmt.Sprintf("database %s passes SQLite's quick check (schema %d; the server upgrades it to %d when it starts)",
			path, fc.SchemaVersion, store.SchemaVersion()), "")
		return fc.SchemaVersion
	default:
		add("ok", fmt.Sprintf("database %s passes SQLite's quick check (schema %d)", path, fc.SchemaVersion), "")
		return fc.SchemaVersion
	}
	return 0
}

// doctorFiles checks that the data is readable by its owner only: the
// database holds every customer's messages, files.key signs attachment
// links; media, uploads and scheduled backups hold customers' words and
// pictures too.
func doctorFiles(ctx context.Context, path string, add func(level, what, fix string)) {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err == nil {
		if fi.Mode().Perm()&0o077 != 0 {
			add("FAIL", fmt.Sprintf("data folder %s is open to other users (mode %04o)", dir, fi.Mode().Perm()), "chmod 700 "+dir)
		} else {
			add("ok", fmt.Sprintf("data folder %s is private (mode %04o)", dir, fi.Mode().Perm()), "")
		}
	}
	open := 0
	for _, f := range []string{path, path + "-wal", path + "-shm", filepath.Join(dir, "files.key")} {
		fi, err := os.Stat(f)
		if err != nil {
			continue
		}
		if fi.Mode().Perm()&0o077 != 0 {
			open++
			add("FAIL", fmt.Sprintf("%s is readable by other users (mode %04o)", f, fi.Mode().Perm()), "chmod 600 "+f+", or start the server: it does so for its files")
		}
	}
	if !store.IsPostgresURL(path) {
		p := dataFiles(path, dir, doctorBackupFolder(ctx, path))
		found, _ := findOpen(privateFiles{folders: p.folders, backupFolders: p.backupFolders}, false)
		for _, f := range found {
			open++
			if f.backups {
				add("FAIL", fmt.Sprintf("%d scheduled backup(s) in %s are readable by other users", f.count, f.path),
					"chmod 600 "+filepath.Join(f.path, backupPrefix+"*"+backupSuffix)+", or start the server: it does so for its files")
				continue
			}
			add("FAIL", fmt.Sprintf("%d file(s) or folder(s) in %s are readable by other users", f.count, f.path),
				"chmod -R go-rwx "+f.path+", or start the server: it does so for its files")
		}
	}
	if open == 0 {
		add("ok", "data files are readable by their owner only", "")
	}
}

// doctorReplaced names the databases restore set aside beside the
// database (its name, .replaced-<time>): each is a whole database,
// kept in case the restored one is not the right one, and they add up.
func doctorReplaced(path string, add func(level, what, fix string)) {
	if store.IsPostgresURL(path) {
		return
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), filepath.Base(path)+".replaced-") {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		f := filepath.Join(filepath.Dir(path), e.Name())
		add("warn", fmt.Sprintf("%s (%s) is the database a restore replaced, kept in case the restored one is not right", f, bytesIEC(uint64(fi.Size()))),
			"once the restored database is confirmed good, delete it: rm "+f)
	}
}

func doctorDisk(dir string, add func(level, what, fix string)) {
	free, total, err := diskSpace(dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			add("warn", "free disk space unknown: "+err.Error(), "")
		}
		return
	}
	what := fmt.Sprintf("%s free of %s on the data folder's disk", bytesIEC(free), bytesIEC(total))
	switch {
	case free < 256<<20:
		add("FAIL", what, "free space: webhooks are refused (and retried by Zavu) when the disk is full")
	case free < 1<<30 || free < total/20:
		add("warn", what, "free space soon: webhooks are refused (and retried by Zavu) when the disk is full")
	default:
		add("ok", what, "")
	}
}

func bytesIEC(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// doctorSenders asks Zavu for the project's senders and says, for each,
// what is wrong with its webhook.
func doctorSenders(ctx context.Context, cfg Config, add func(level, what, fix string)) {
	if cfg.Sandbox() {
		return
	}
	ours := cfg.BaseURL.String() + "/webhooks/zavu"
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ss, err := zavu.NewClient(cfg.ZavuAPIURL.String(), cfg.ZavuAPIKey).Senders(ctx)
	if err != nil {
		add("FAIL", "Zavu did not list the senders with ZAVU_API_KEY: "+err.Error(),
			"check ZAVU_API_KEY and that this machine reaches "+cfg.ZavuAPIURL.Host)
		return
	}
	if len(ss) == 0 {
		add("warn", "Zavu lists no sender for this project", "add a sender (a phone number) in the Zavu dashboard")
		return
	}
	now := time.Now()
	for _, s := range ss {
		x := inbox.Sender{ID: s.ID, Name: s.Name, Phone: s.PhoneNumber, SyncedAt: now}
		if s.Webhook != nil && s.Webhook.URL != "" {
			x.Webhook = &inbox.SenderWebhook{URL: s.Webhook.URL, Events: s.Webhook.Events, Active: s.Webhook.Active}
		}
		name := strings.TrimSpace(s.Name + " " + s.PhoneNumber)
		if name == "" {
			name = s.ID
		}
		problems := x.WebhookProblems(ours)
		for _, p := range problems {
			add("FAIL", "sender "+name+": "+p, "edit the sender's webhook in the Zavu dashboard: URL "+ours+", every event, active")
		}
		if len(problems) == 0 {
			add("ok", "sender "+name+": its webhook points here with every event", "")
		}
	}
}

// doctorClock compares this machine's clock with Zavu's: each stored
// webhook event carries Zavu's timestamp, signed with its body, beside
// the time Switchboard received it. A retried delivery arrives late, so
// the smallest difference among the newest events is the skew (plus the
// network's delay). The simulator's events (switchboard simulate, the
// sandbox's customers) are left out: their timestamps are a simulating
// machine's clock, set back by minutes for a story that has already
// happened. Zavu's signatures are refused when older than 300 s or more
// than 60 s ahead of this clock.
func doctorClock(ctx context.Context, path string, add func(level, what, fix string)) {
	if _, err := os.Stat(path); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	clocks, err := store.RecentEventClocks(ctx, path, 20, zavu.SimulatedEventIDs)
	if err != nil {
		add("warn", "clock skew unknown: "+err.Error(), "")
		return
	}
	if len(clocks) == 0 {
		add("ok", "clock skew unknown: no signed webhook stored yet from Zavu to compare with (simulated ones carry the simulating machine's time)", "")
		return
	}
	skew := clocks[0].Received.Sub(clocks[0].Timestamp)
	for _, c := range clocks[1:] {
		if d := c.Received.Sub(c.Timestamp); d.Abs() < skew.Abs() {
			skew = d
		}
	}
	what := fmt.Sprintf("this clock is %s %s Zavu's (the newest webhooks' signed timestamps)", skew.Abs().Round(time.Second), aheadBehind(skew))
	fix := "synchronise the clock (timedatectl set-ntp true, or install chrony)"
	switch {
	case skew > 4*time.Minute || skew < -45*time.Second:
		add("FAIL", what, fix+": Zavu's signatures are refused as stale past 300 s behind or 60 s ahead")
	case skew.Abs() > 30*time.Second:
		add("warn", what, fix)
	default:
		add("ok", what, "")
	}
}

func aheadBehind(d time.Duration) string {
	if d < 0 {
		return "behind"
	}
	return "ahead of"
}

// doctorBackups says whether scheduled backups are set up and how the last
// one went.
func doctorBackups(ctx context.Context, path string, now time.Time, add func(level, what, fix string)) {
	if _, err := os.Stat(path); err != nil {
		return
	}
	read := func(key string, v any) bool {
		raw, ok, err := store.SettingIn(ctx, path, key)
		return err == nil && ok && json.Unmarshal([]byte(raw), v) == nil
	}
	var sched inbox.BackupSchedule
	if !read(inbox.SettingBackupSchedule, &sched) || !sched.Enabled {
		add("warn", "no scheduled backup", "set one under Admin, Backups, or replicate with Litestream (README)")
		return
	}
	var last inbox.BackupResult
	switch {
	case !read(inbox.SettingBackupLast, &last):
		add("ok", "daily backup at "+sched.At+" into "+sched.Folder+"; none has run yet", "")
	case !last.OK():
		add("FAIL", fmt.Sprintf("the last backup (%s) failed: %s", last.Started.Format(time.RFC3339), last.Error),
			"see the server log (journalctl -u switchboard) and the folder "+sched.Folder)
	case now.Sub(last.LastGood) > 49*time.Hour:
		add("FAIL", fmt.Sprintf("the latest backup is from %s, more than two days ago", last.LastGood.Format(time.RFC3339)),
			"is the server running? see journalctl -u switchboard")
	default:
		add("ok", fmt.Sprintf("the last backup (%s) is %s, %s", last.Started.Format(time.RFC3339), last.File, bytesIEC(uint64(last.Size))), "")
	}
}

// doctorLitestream checks what SWITCHBOARD_CHECKPOINTS=external relies
// on: Litestream replicating the database (it keeps its shadow WAL in
// .<name>-litestream beside it) and checkpointing, so that the WAL stays
// bounded.
func doctorLitestream(path string, add func(level, what, fix string)) {
	shadow := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"-litestream")
	if _, err := os.Stat(shadow); err != nil {
		add("FAIL", "SWITCHBOARD_CHECKPOINTS=external, but Litestream has not replicated "+path+" (no "+shadow+"): nothing checkpoints the WAL",
			"start Litestream (deploy/litestream.service), or unset SWITCHBOARD_CHECKPOINTS")
		return
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 256<<20 {
		add("warn", fmt.Sprintf("the WAL is %s: is Litestream running and checkpointing?", bytesIEC(uint64(fi.Size()))),
			"systemctl status litestream")
		return
	}
	add("ok", "Litestream replicates the database and runs its checkpoints", "")
}

// doctorBacklog says what waits in the database: webhook events
// acknowledged to Zavu and not yet applied (agents do not see them),
// events that could not be applied, and replies not yet sent. A running
// server keeps the first and the last near empty; /readyz fails past
// web.OutboxOverdueLimit, and so does this.
func doctorBacklog(ctx context.Context, path string, now time.Time, add func(level, what, fix string)) {
	if _, err := os.Stat(path); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	b, err := store.BacklogIn(ctx, path)
	if err != nil {
		add("warn", "what waits in the database is unknown: "+err.Error(), "")
		return
	}
	ago := func(t time.Time) string { return now.Sub(t).Round(time.Second).String() + " ago" }
	const stale = web.OutboxOverdueLimit
	switch {
	case b.PendingEvents == 0:
		add("ok", "no stored webhook event waits to be applied", "")
	case now.Sub(b.OldestPending) <= stale:
		add("ok", fmt.Sprintf("%d stored webhook event(s) being applied, the oldest received %s", b.PendingEvents, ago(b.OldestPending)), "")
	default:
		add("FAIL", fmt.Sprintf("%d stored webhook event(s) wait to be applied, the oldest received %s: agents do not see them yet", b.PendingEvents, ago(b.OldestPending)),
			"start the server, which applies them first; if it runs, see its log (journalctl -u switchboard)")
	}
	if b.FailedEvents > 0 {
		add("warn", fmt.Sprintf("%d webhook event(s) could not be applied, the newest received %s", b.FailedEvents, ago(b.NewestFailed)),
			"see Admin, Webhook log: each says why; replay them there after an upgrade that handles them")
	} else {
		add("ok", "no webhook event failed to apply", "")
	}
	switch over := b.Outbox.Overdue(now); {
	case b.Outbox.Depth == 0:
		add("ok", "no reply waits to be sent", "")
	case over <= stale:
		add("ok", fmt.Sprintf("%d reply(ies) being sent", b.Outbox.Depth), "")
	default:
		add("FAIL", fmt.Sprintf("%d reply(ies) wait to be sent, the earliest due %s ago", b.Outbox.Depth, over.Round(time.Second)),
			"start the server; if it runs, see /readyz and its log (journalctl -u switchboard): is Zavu reachable with ZAVU_API_KEY?")
	}
}

// doctorWAL checks that the write-ahead log stays bounded: the server
// starts it over between batches and cuts the file back to
// store.DefaultWALLimit; a file many times that says checkpoints cannot
// finish (a long read holds them), and every read pays for it.
func doctorWAL(path string, add func(level, what, fix string)) {
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		return
	}
	what := fmt.Sprintf("the WAL (%s-wal) is %s", path, bytesIEC(uint64(fi.Size())))
	if fi.Size() > 4*store.DefaultWALLimit {
		add("warn", what+": checkpoints are not keeping up",
			"see the server log for \"WAL upkeep\" lines; a backup or a long read may be holding checkpoints back")
		return
	}
	add("ok", what, "")
}
