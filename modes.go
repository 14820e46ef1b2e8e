package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

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

// makePrivate takes the group's and others' permissions off what p names
// and this user owns, as Switchboard creates it today (files 0600,
// folders 0700): versions before did not (SQLite's 0644 for the database
// and its WAL, 0750 and 0640 for media and uploads). Symbolic links are
// not followed; a file of another user is left as it is. It returns what
// it changed, in words.
func makePrivate(p privateFiles) (changed []string, err error) {
	var errs []string
	tighten := func(path string, fi fs.FileInfo) bool {
		mode := fi.Mode()
		if mode&fs.ModeSymlink != 0 || mode.Perm()&0o077 == 0 || !ownedByMe(fi) {
			return false
		}
		if err := os.Chmod(path, mode.Perm()&^0o077); err != nil {
			errs = append(errs, err.Error())
			return false
		}
		return true
	}
	for _, f := range p.files {
		if fi, err := os.Lstat(f); err == nil && tighten(f, fi) {
			changed = append(changed, fmt.Sprintf("%s (was %04o)", f, fi.Mode().Perm()))
		}
	}
	for _, dir := range p.folders {
		n := 0
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // gone meanwhile, or not readable: left as it is
			}
			if fi, err := d.Info(); err == nil && tighten(path, fi) {
				n++
			}
			return nil
		})
		if n > 0 {
			changed = append(changed, fmt.Sprintf("%s: %d file(s) and folder(s)", dir, n))
		}
	}
	for _, dir := range p.backupFolders {
		names, _ := backupFiles(dir)
		n := 0
		for _, name := range names {
			f := filepath.Join(dir, name)
			if fi, err := os.Lstat(f); err == nil && tighten(f, fi) {
				n++
			}
		}
		if n > 0 {
			changed = append(changed, fmt.Sprintf("%s: %d backup(s)", dir, n))
		}
	}
	if len(errs) > 0 {
		return changed, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return changed, nil
}

// makeDataPrivate runs makePrivate over a starting server's data, and
// says in one line what it changed. It runs once the server is serving:
// the media folder may hold many files.
func makeDataPrivate(ctx context.Context, dbPath, dataDir string, u *upkeep, log *slog.Logger) {
	p := privateFiles{
		files:   []string{filepath.Join(dataDir, "files.key")},
		folders: []string{filepath.Join(dataDir, "media"), filepath.Join(dataDir, "files")},
	}
	if !store.IsPostgresURL(dbPath) {
		p.files = append(p.files, dbPath, dbPath+"-wal", dbPath+"-shm", dbPath+".lock")
		p.backupFolders = []string{u.DefaultBackupFolder()}
		if s, ok, err := u.BackupSchedule(ctx); err == nil && ok && s.Folder != p.backupFolders[0] {
			p.backupFolders = append(p.backupFolders, s.Folder)
		}
	}
	changed, err := makePrivate(p)
	if len(changed) == 0 && err == nil {
		return
	}
	attrs := []any{"changed", changed}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	if fi, err := os.Stat(dataDir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		attrs = append(attrs, "data_folder", fmt.Sprintf("%s is open to other users (mode %04o) and left as it is: chmod 700 %s if only Switchboard uses it",
			dataDir, fi.Mode().Perm(), dataDir))
	}
	log.Warn("data files made readable by their owner only, as Switchboard creates them now", attrs...)
}
