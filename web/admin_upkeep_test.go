package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/web"
)

// memUpkeep keeps the upkeep's settings and results in memory; the real
// one (package main) keeps them in the database and runs them.
type memUpkeep struct {
	mu        sync.Mutex
	sched     *inbox.BackupSchedule
	last      *inbox.BackupResult
	retention inbox.Retention
	retLast   *inbox.RetentionResult
	next      time.Time
}

func (m *memUpkeep) BackupSchedule(context.Context) (inbox.BackupSchedule, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sched == nil {
		return inbox.BackupSchedule{}, false, nil
	}
	return *m.sched, true, nil
}
func (m *memUpkeep) DefaultBackupFolder() string { return "/var/lib/switchboard/backups" }
func (m *memUpkeep) SaveBackupSchedule(_ context.Context, s inbox.BackupSchedule) (map[string]string, error) {
	if errs := s.Validate(); errs != nil {
		return errs, nil
	}
	m.mu.Lock()
	m.sched = &s
	m.mu.Unlock()
	return nil, nil
}
func (m *memUpkeep) LastBackup(context.Context) (inbox.BackupResult, bool, error) {
	r, ok := m.LatestBackup()
	return r, ok, nil
}
func (m *memUpkeep) LatestBackup() (inbox.BackupResult, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		return inbox.BackupResult{}, false
	}
	return *m.last, true
}
func (m *memUpkeep) NextBackup(context.Context) time.Time { return m.next }
func (m *memUpkeep) BackupNow(context.Context) (inbox.BackupResult, error) {
	r := inbox.BackupResult{Started: time.Now(), File: "/b/switchboard-now.db", Size: 4096, Manual: true}
	r.LastGood = r.Started
	m.mu.Lock()
	m.last = &r
	m.mu.Unlock()
	return r, nil
}
func (m *memUpkeep) Retention(context.Context) (inbox.Retention, error) { return m.retention, nil }
func (m *memUpkeep) SaveRetention(_ context.Context, r inbox.Retention) (map[string]string, error) {
	if errs := r.Validate(); errs != nil {
		return errs, nil
	}
	m.retention = r
	return nil, nil
}
func (m *memUpkeep) LastRetention(context.Context) (inbox.RetentionResult, bool, error) {
	if m.retLast == nil {
		return inbox.RetentionResult{}, false, nil
	}
	return *m.retLast, true, nil
}

// TestAdminHomeShowsTheLastBackup: the admin home page says when the last
// backup ran, where and how large, or why it failed, and when the next
// one runs.
func TestAdminHomeShowsTheLastBackup(t *testing.T) {
	up := &memUpkeep{next: time.Date(2026, 5, 2, 3, 30, 0, 0, time.UTC)}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Upkeep = up })
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(admin.Email)

	p := a.get("/admin")
	if p.status != http.StatusOK || p.find("backup-never").Length() != 1 {
		t.Fatalf("admin home before any backup: %d, %q", p.status, p.find("home-backup").Text())
	}
	if got := p.find("backup-next").Text(); !strings.Contains(got, "2 May 2026") {
		t.Errorf("next backup: %q", got)
	}
	good := time.Date(2026, 5, 1, 3, 30, 0, 0, time.UTC)
	up.last = &inbox.BackupResult{Started: good, File: "/b/switchboard-20260501T033000Z.db", Size: 12_300_000, LastGood: good}
	p = a.get("/admin")
	if p.find("backup-file").Text() != up.last.File || p.find("backup-size").Text() != "12.3 MB" {
		t.Errorf("last good backup shown as %q", p.find("backup-ok").Text())
	}
	up.last = &inbox.BackupResult{Started: good.Add(24 * time.Hour), Error: "The backup folder's disk is full.", LastGood: good}
	p = a.get("/admin")
	if got := p.find("backup-failed").Text(); !strings.Contains(got, "disk is full") || !strings.Contains(got, "1 May 2026 03:30") {
		t.Errorf("a failed backup shown as %q", got)
	}

	agentUser := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	b := ts.newAgent()
	b.login(agentUser.Email)
	for _, path := range []string{"/admin", "/admin/backups", "/admin/retention"} {
		if p := b.get(path); p.status != http.StatusForbidden {
			t.Errorf("an agent on %s: %d, want 403", path, p.status)
		}
	}
}

// TestBackupSettingsAreValidated: a bad time, count or folder is refused
// with the reason beside the field and nothing saved; a good schedule is
// saved and audited; Back up now runs one.
func TestBackupSettingsAreValidated(t *testing.T) {
	up := &memUpkeep{}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Upkeep = up })
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(admin.Email)
	p := a.get("/admin/backups")
	if p.find("backup-folder").AttrOr("value", "") != up.DefaultBackupFolder() || p.find("backup-at").AttrOr("value", "") == "" {
		t.Fatalf("the form's defaults: folder %q", p.find("backup-folder").AttrOr("value", ""))
	}
	p = a.submit("/admin/backups", url.Values{"enabled": {"on"}, "at": {"27:00"}, "keep": {"0"}, "folder": {"backups"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad schedule: %d, want 422", p.status)
	}
	for _, id := range []string{"backup-at-error", "backup-keep-error", "backup-folder-error"} {
		if p.find(id).Text() == "" {
			t.Errorf("no %s shown", id)
		}
	}
	if p.find("backup-folder").AttrOr("value", "") != "backups" {
		t.Error("the typed folder was lost")
	}
	if _, ok, _ := up.BackupSchedule(context.Background()); ok {
		t.Fatal("a bad schedule was saved")
	}
	p = a.submit("/admin/backups", url.Values{"enabled": {"on"}, "at": {"04:15"}, "keep": {"14"}, "folder": {"/srv/backups"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("a good schedule: %d", p.status)
	}
	if s, ok, _ := up.BackupSchedule(context.Background()); !ok || !s.Enabled || s.At != "04:15" || s.Keep != 14 || s.Folder != "/srv/backups" {
		t.Errorf("saved %+v", s)
	}
	if row := a.get("/admin/audit").find("audit-entry").First().Text(); !strings.Contains(row, "backups.schedule") || !strings.Contains(row, "04:15") {
		t.Errorf("audit: %q", row)
	}
	if p := a.submit("/admin/backups/run", nil); p.status != http.StatusSeeOther {
		t.Fatalf("back up now: %d", p.status)
	}
	if p := a.get("/admin/backups?done=backed-up"); p.find("backup-file").Text() != "/b/switchboard-now.db" {
		t.Errorf("after Back up now: %q", p.find("backup-status").Text())
	}
}

// TestRetentionSettings: negative numbers are refused; good ones saved.
func TestRetentionSettings(t *testing.T) {
	up := &memUpkeep{}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Upkeep = up })
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(admin.Email)
	p := a.submit("/admin/retention", url.Values{"raw_days": {"-3"}, "media_mb": {"lots"}})
	if p.status != http.StatusUnprocessableEntity || p.find("retention-raw-days-error").Text() == "" || p.find("retention-media-mb-error").Text() == "" {
		t.Fatalf("bad retention settings: %d", p.status)
	}
	if p := a.submit("/admin/retention", url.Values{"raw_days": {"30"}, "media_mb": {"500"}}); p.status != http.StatusSeeOther {
		t.Fatalf("good retention settings: %d", p.status)
	}
	if up.retention != (inbox.Retention{RawBodyDays: 30, MediaCacheMB: 500}) {
		t.Errorf("saved %+v", up.retention)
	}
	if p := a.get("/admin/retention"); p.find("retention-raw-days").AttrOr("value", "") != "30" {
		t.Error("the saved setting is not shown")
	}
}

// TestTrimMediaCacheDropsTheLeastRecentlyViewed fills the cache past its
// cap: the files viewed longest ago go first, until it fits.
func TestTrimMediaCacheDropsTheLeastRecentlyViewed(t *testing.T) {
	dir := t.TempDir()
	base := time.Now().Add(-time.Hour)
	for i, name := range []string{"a", "b", "c", "d"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, make([]byte, 1000), 0o600); err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(i) * time.Minute) // a viewed first, d last
		if name == "a" {
			at = base.Add(time.Hour) // then a was viewed again
		}
		os.Chtimes(path, at, at)
	}
	if err := os.WriteFile(filepath.Join(dir, ".fetch-123"), make([]byte, 5000), 0o600); err != nil {
		t.Fatal(err)
	}
	n, freed, err := web.TrimMediaCache(dir, 2500)
	if err != nil || n != 2 || freed != 2000 {
		t.Fatalf("trim: %d files, %d bytes, %v; want 2 and 2000", n, freed, err)
	}
	for name, want := range map[string]bool{"a": true, "b": false, "c": false, "d": true, ".fetch-123": true} {
		_, err := os.Stat(filepath.Join(dir, name))
		if (err == nil) != want {
			t.Errorf("%s kept: %v, want %v", name, err == nil, want)
		}
	}
}

// TestTrimmedMediaIsFetchedAgain: a view marks a cached file as recently
// viewed, so trimming drops the other one first; a trimmed file is
// fetched from Zavu again on its next view.
func TestTrimmedMediaIsFetchedAgain(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(fixture(t, "seed_message_inbound_image"))
	ts.zavu.AddInbound(zavu.Message{ID: "msg_img789", MessageType: "image", Content: &zavu.Content{MediaID: "media_img789", MimeType: "image/jpeg"}})
	doc := fixture(t, "extra_message_inbound_document")
	ts.mustPost(doc)
	ts.zavu.AddInbound(zavu.Message{ID: "msg_x_doc", MessageType: "document", Content: &zavu.Content{MediaID: "112233", MimeType: "application/pdf", Filename: "invoice-4821.pdf"}})
	img, pdf := ts.mustMessage("msg_img789").ID, ts.mustMessage("msg_x_doc").ID
	a := ts.newAgent()
	a.login(ana.Email)
	view := func(id int64) {
		t.Helper()
		if p := a.get(fmt.Sprintf("/media/%d", id)); p.status != http.StatusOK || len(p.body) == 0 {
			t.Fatalf("media %d: %d", id, p.status)
		}
	}
	view(img)
	view(pdf)
	files := func() []string {
		ents, _ := os.ReadDir(ts.mediaDir)
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}
	both := files()
	if len(both) != 2 {
		t.Fatalf("cached: %v", both)
	}
	// The image was fetched two hours ago, the document one hour ago;
	// then the image is viewed again.
	sum := sha256.Sum256([]byte("msg_img789"))
	imgFile := hex.EncodeToString(sum[:16])
	for _, n := range both {
		at := time.Now().Add(-time.Hour)
		if n == imgFile {
			at = at.Add(-time.Hour)
		}
		os.Chtimes(filepath.Join(ts.mediaDir, n), at, at)
	}
	view(img)
	size, _ := os.Stat(filepath.Join(ts.mediaDir, both[0]))
	other, _ := os.Stat(filepath.Join(ts.mediaDir, both[1]))
	if _, _, err := web.TrimMediaCache(ts.mediaDir, max(size.Size(), other.Size())); err != nil {
		t.Fatal(err)
	}
	left := files()
	if len(left) != 1 || left[0] != imgFile {
		t.Fatalf("after trimming to one file: %v", left)
	}
	// The image stayed (viewed last); Zavu is down, and it still shows.
	ts.zavu.FailNext(1, zavu.Failure{Status: http.StatusInternalServerError, AnyPath: true})
	view(img)
	if p := a.get(fmt.Sprintf("/media/%d", pdf)); p.status != http.StatusBadGateway {
		t.Fatalf("the trimmed document with Zavu down: %d, want 502 (it must be fetched again)", p.status)
	}
	view(pdf)
	if len(files()) != 2 {
		t.Fatalf("the trimmed document was not fetched again: %v", files())
	}
}

// TestWebhookLogAfterRetention: an applied event whose body retention
// deleted stays in the log, saying so.
func TestWebhookLogAfterRetention(t *testing.T) {
	ts := newTestServer(t)
	a := ts.admin()
	ts.mustPost(inboundText("evt_old", "msg_old", "Hello", time.Now().Add(-time.Hour)))
	ts.settle()
	if _, err := ts.db.PruneRawBodies(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	row := eventRow(t, a.get("/admin/webhooks"), "evt_old")
	if got := cell(row, "event-raw"); !strings.Contains(got, "deleted after the retention period") {
		t.Errorf("the pruned event's body shows as %q", got)
	}
	if cell(row, "event-state") != "Applied" {
		t.Errorf("state %q", cell(row, "event-state"))
	}
	if _, err := ts.db.MessageByZavuID(context.Background(), "msg_old"); err != nil {
		t.Errorf("the message is gone with the body: %v", err)
	}
}
