package web

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// Upkeep is the server's scheduled work: the daily backup and retention.
// The main package runs it; the admin pages set it up and show how it
// went.
type Upkeep interface {
	BackupSchedule(ctx context.Context) (inbox.BackupSchedule, bool, error)
	DefaultBackupFolder() string
	// SaveBackupSchedule refuses a schedule with what is wrong by field
	// ("at", "keep", "folder").
	SaveBackupSchedule(ctx context.Context, s inbox.BackupSchedule) (map[string]string, error)
	LastBackup(ctx context.Context) (inbox.BackupResult, bool, error)
	// LatestBackup is LastBackup from memory, for /metrics.
	LatestBackup() (inbox.BackupResult, bool)
	NextBackup(ctx context.Context) time.Time
	// BackupNow runs a backup, never beside another, and waits for it.
	BackupNow(ctx context.Context) (inbox.BackupResult, error)
	Retention(ctx context.Context) (inbox.Retention, error)
	// SaveRetention refuses settings with what is wrong by field
	// ("raw_days", "media_mb"), and runs retention soon.
	SaveRetention(ctx context.Context, r inbox.Retention) (map[string]string, error)
	LastRetention(ctx context.Context) (inbox.RetentionResult, bool, error)
}

// handleAdminHome is the first admin page: the last backup and retention
// run.
func (s *Server) handleAdminHome(c echo.Context) error {
	ctx := c.Request().Context()
	v := views.AdminHomeView{Page: s.page(c, "Admin · Switchboard")}
	if s.upkeep != nil {
		st, err := s.backupStatus(ctx, location(c))
		if err != nil {
			return err
		}
		v.Backup = &st
		if r, ok, err := s.upkeep.LastRetention(ctx); err != nil {
			return err
		} else if ok {
			rs := retentionStatus(r, location(c))
			v.Retention = &rs
		}
	}
	return s.render(c, http.StatusOK, views.AdminHomePage(v))
}

func (s *Server) backupStatus(ctx context.Context, loc *time.Location) (views.BackupStatus, error) {
	r, ok, err := s.upkeep.LastBackup(ctx)
	if err != nil {
		return views.BackupStatus{}, err
	}
	st := views.BackupStatus{Never: !ok}
	if ok {
		st.At = r.Started.In(loc).Format(adminTimeFormat)
		st.OK = r.OK()
		st.File, st.Size, st.Error = r.File, sizeMB(r.Size), r.Error
		if !r.LastGood.IsZero() {
			st.LastGood = r.LastGood.In(loc).Format(adminTimeFormat)
		}
	}
	if next := s.upkeep.NextBackup(ctx); !next.IsZero() {
		st.Next = next.In(loc).Format(adminTimeFormat)
	}
	return st, nil
}

func retentionStatus(r inbox.RetentionResult, loc *time.Location) views.RetentionStatus {
	return views.RetentionStatus{At: r.At.In(loc).Format(adminTimeFormat), RawBodies: r.RawBodies,
		MediaFiles: r.MediaFiles, MediaFreed: sizeMB(r.MediaBytes), Error: r.Error}
}

// sizeMB is a size for people: "12.3 MB".
func sizeMB(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}

func (s *Server) requireUpkeep() error {
	if s.upkeep == nil {
		return newError(http.StatusNotFound, "not_found", "This server runs no scheduled upkeep.")
	}
	return nil
}

func (s *Server) handleBackups(c echo.Context) error {
	if err := s.requireUpkeep(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	sched, ok, err := s.upkeep.BackupSchedule(ctx)
	if err != nil {
		return err
	}
	f := views.BackupForm{Enabled: sched.Enabled, At: sched.At, Keep: strconv.Itoa(sched.Keep), Folder: sched.Folder}
	if !ok {
		f = views.BackupForm{At: "03:30", Keep: "7", Folder: s.upkeep.DefaultBackupFolder()}
	}
	v := views.BackupsView{Form: f}
	switch c.QueryParam("done") {
	case "saved":
		v.Notice = "Saved."
	case "backed-up":
		v.Notice = "Backed up."
	}
	return s.renderBackups(c, http.StatusOK, v)
}

func (s *Server) renderBackups(c echo.Context, status int, v views.BackupsView) error {
	ctx := c.Request().Context()
	v.Page = s.page(c, "Backups · Switchboard")
	var err error
	if v.Status, err = s.backupStatus(ctx, location(c)); err != nil {
		return err
	}
	v.Form.TimeZone = s.reportZone(ctx).String()
	if sched, ok, err := s.upkeep.BackupSchedule(ctx); err == nil && ok {
		v.Files = listBackups(sched.Folder)
	}
	return s.render(c, status, views.BackupsPage(v))
}

// reportZone is the reporting time zone, which the backup time is in.
func (s *Server) reportZone(ctx context.Context) *time.Location {
	name, _, _ := s.store.Setting(ctx, inbox.SettingReportTimeZone)
	return inbox.ReportLocation(name)
}

// listBackups lists the backups in folder, newest first.
func listBackups(folder string) []views.BackupFile {
	ents, err := os.ReadDir(folder)
	if err != nil {
		return nil
	}
	var out []views.BackupFile
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(n, "switchboard-") || !strings.HasSuffix(n, ".db") {
			continue
		}
		size := ""
		if fi, err := os.Stat(filepath.Join(folder, n)); err == nil {
			size = sizeMB(fi.Size())
		}
		out = append(out, views.BackupFile{Name: n, Size: size})
	}
	slices.Reverse(out) // ReadDir sorts by name, which is by time
	return out
}

func (s *Server) handleSaveBackups(c echo.Context) error {
	if err := s.requireUpkeep(); err != nil {
		return err
	}
	f := views.BackupForm{
		Enabled: c.FormValue("enabled") == "on",
		At:      strings.TrimSpace(c.FormValue("at")),
		Keep:    strings.TrimSpace(c.FormValue("keep")),
		Folder:  strings.TrimSpace(c.FormValue("folder")),
	}
	keep, err := strconv.Atoi(f.Keep)
	if err != nil {
		keep = -1
	}
	sched := inbox.BackupSchedule{Enabled: f.Enabled, At: f.At, Keep: keep, Folder: f.Folder}
	errs, err := s.upkeep.SaveBackupSchedule(c.Request().Context(), sched)
	if err != nil {
		return err
	}
	if errs != nil {
		f.AtError, f.KeepError, f.FolderError = errs["at"], errs["keep"], errs["folder"]
		return s.renderBackups(c, http.StatusUnprocessableEntity, views.BackupsView{Form: f})
	}
	state := "off"
	if sched.Enabled {
		state = "daily at " + sched.At
	}
	s.audit(c, "backups.schedule", fmt.Sprintf("Backups %s, keep %d, in %s", state, keep, sched.Folder))
	return c.Redirect(http.StatusSeeOther, "/admin/backups?done=saved")
}

func (s *Server) handleBackupNow(c echo.Context) error {
	if err := s.requireUpkeep(); err != nil {
		return err
	}
	r, err := s.upkeep.BackupNow(c.Request().Context())
	if err != nil {
		return err
	}
	s.audit(c, "backups.run", "Backup asked for: "+cmpOr(r.File, r.Error))
	if !r.OK() {
		return c.Redirect(http.StatusSeeOther, "/admin/backups")
	}
	return c.Redirect(http.StatusSeeOther, "/admin/backups?done=backed-up")
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Server) handleRetention(c echo.Context) error {
	if err := s.requireUpkeep(); err != nil {
		return err
	}
	r, err := s.upkeep.Retention(c.Request().Context())
	if err != nil {
		return err
	}
	v := views.RetentionView{Form: views.RetentionForm{RawDays: strconv.Itoa(r.RawBodyDays), MediaMB: strconv.Itoa(r.MediaCacheMB)}}
	if c.QueryParam("saved") == "1" {
		v.Notice = "Saved. Deleting starts in the background."
	}
	return s.renderRetention(c, http.StatusOK, v)
}

func (s *Server) renderRetention(c echo.Context, status int, v views.RetentionView) error {
	ctx := c.Request().Context()
	v.Page = s.page(c, "Retention · Switchboard")
	if r, ok, err := s.upkeep.LastRetention(ctx); err != nil {
		return err
	} else if ok {
		rs := retentionStatus(r, location(c))
		v.Last = &rs
	}
	used := int64(0)
	if s.cfg.MediaDir != "" {
		used, _ = mediaCacheSize(s.cfg.MediaDir)
	}
	v.Form.MediaMBUsed = sizeMB(used)
	return s.render(c, status, views.RetentionPage(v))
}

func (s *Server) handleSaveRetention(c echo.Context) error {
	if err := s.requireUpkeep(); err != nil {
		return err
	}
	f := views.RetentionForm{RawDays: strings.TrimSpace(c.FormValue("raw_days")), MediaMB: strings.TrimSpace(c.FormValue("media_mb"))}
	num := func(v string) int {
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return -1
		}
		return n
	}
	r := inbox.Retention{RawBodyDays: num(f.RawDays), MediaCacheMB: num(f.MediaMB)}
	errs, err := s.upkeep.SaveRetention(c.Request().Context(), r)
	if err != nil {
		return err
	}
	if errs != nil {
		f.RawDaysError, f.MediaMBError = errs["raw_days"], errs["media_mb"]
		return s.renderRetention(c, http.StatusUnprocessableEntity, views.RetentionView{Form: f})
	}
	s.audit(c, "retention.update", fmt.Sprintf("Webhook bodies kept %d days (0: for good), media cache cap %d MB (0: none)", r.RawBodyDays, r.MediaCacheMB))
	return c.Redirect(http.StatusSeeOther, "/admin/retention?saved=1")
}
