package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"switchboard/inbox"
	"switchboard/store"
)

// privateFiles names what Switchboard keeps on disk: single files, and
// folders whose whole content is its own.
type privateFiles struct {
	files   []string // the database and its WAL, index and lock; files.key
	folders []string // media and uploaded files, each with all it holds
	// backupFolders hold scheduled backups among files of others: only
	// the backups (backupFiles) are Switchboard's.
	backupFolders []string
}

// dataFiles is what Switchboard keeps on disk for the database dsn, its
// other data in dataDir; backupFolder is where the admins set scheduled
// backups to go ("" when unset).
func dataFiles(dsn, dataDir, backupFolder string) privateFiles {
	p := privateFiles{
		files:   []string{filepath.Join(dataDir, "files.key")},
		folders: []string{filepath.Join(dataDir, "media"), filepath.Join(dataDir, "files")},
	}
	if !store.IsPostgresURL(dsn) {
		p.files = append([]string{dsn, dsn + "-wal", dsn + "-shm", dsn + ".lock"}, p.files...)
		// The default folder, as upkeep.DefaultBackupFolder names it.
		p.backupFolders = []string{filepath.Join(filepath.Dir(absPath(dsn)), "backups")}
		if backupFolder != "" && backupFolder != p.backupFolders[0] {
			p.backupFolders = append(p.backupFolders, backupFolder)
		}
	}
	return p
}

// openFile is a file or folder of Switchboard's that others may read, or
// a folder holding count of them.
type openFile struct {
	path    string
	mode    fs.FileMode // a single file's mode before
	count   int         // in a folder: how many
	backups bool        // the folder's are scheduled backups
}

func (o openFile) String() string {
	if o.backups {
		return fmt.Sprintf("%s: %d backup(s)", o.path, o.count)
	}
	if o.count > 0 {
		return fmt.Sprintf("%s: %d file(s) and folder(s)", o.path, o.count)
	}
	return fmt.Sprintf("%s (was %04o)", o.path, o.mode)
}

// findOpen lists what p names that the group or others may read. With
// fix, it takes their permissions off what this user owns, as
// Switchboard creates its files today (0600 in 0700 folders): versions
// before did not (SQLite's 0644 for the database and its WAL, 0750 and
// 0640 for media and uploads), and lists only what it changed. Symbolic
// links are not followed.
func findOpen(p privateFiles, fix bool) (found []openFile, err error) {
	var errs []string
	open := func(path string, fi fs.FileInfo) bool {
		mode := fi.Mode()
		if mode&fs.ModeSymlink != 0 || mode.Perm()&0o077 == 0 {
			return false
		}
		if !fix {
			return true
		}
		if !ownedByMe(fi) {
			return false
		}
		if err := os.Chmod(path, mode.Perm()&^0o077); err != nil {
			errs = append(errs, err.Error())
			return false
		}
		return true
	}
	for _, f := range p.files {
		if fi, err := os.Lstat(f); err == nil && open(f, fi) {
			found = append(found, openFile{path: f, mode: fi.Mode().Perm()})
		}
	}
	for _, dir := range p.folders {
		n := 0
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // gone meanwhile, or not readable: left as it is
			}
			if fi, err := d.Info(); err == nil && open(path, fi) {
				n++
			}
			return nil
		})
		if n > 0 {
			found = append(found, openFile{path: dir, count: n})
		}
	}
	for _, dir := range p.backupFolders {
		names, _ := backupFiles(dir)
		n := 0
		for _, name := range names {
			f := filepath.Join(dir, name)
			if fi, err := os.Lstat(f); err == nil && open(f, fi) {
				n++
			}
		}
		if n > 0 {
			found = append(found, openFile{path: dir, count: n, backups: true})
		}
	}
	if len(errs) > 0 {
		return found, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return found, nil
}

// makeDataPrivate makes a starting server's data readable by its owner
// only (findOpen), and says in one line what it changed. It runs once the
// server is serving: the media folder may hold many files.
func makeDataPrivate(ctx context.Context, dsn, dataDir string, u *upkeep, log *slog.Logger) {
	folder := ""
	if s, ok, err := u.BackupSchedule(ctx); err == nil && ok {
		folder = s.Folder
	}
	changed, err := findOpen(dataFiles(dsn, dataDir, folder), true)
	if len(changed) == 0 && err == nil {
		return
	}
	said := make([]string, len(changed))
	for i, c := range changed {
		said[i] = c.String()
	}
	attrs := []any{"changed", said}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	if fi, err := os.Stat(dataDir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		attrs = append(attrs, "data_folder", fmt.Sprintf("%s is open to other users (mode %04o) and left as it is: chmod 700 %s if only Switchboard uses it",
			dataDir, fi.Mode().Perm(), dataDir))
	}
	log.Warn("data files made readable by their owner only, as Switchboard creates them now", attrs...)
}

// doctorBackupFolder is where the admins set scheduled backups to go, read
// from the database at path; "" when unset.
func doctorBackupFolder(ctx context.Context, path string) string {
	var s inbox.BackupSchedule
	if raw, ok, err := store.SettingIn(ctx, path, inbox.SettingBackupSchedule); err == nil && ok && json.Unmarshal([]byte(raw), &s) == nil {
		return s.Folder
	}
	return ""
}
