//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"switchboard/inbox"
)

// LockServing takes the exclusive lock a server holds on the database at
// path while it serves (a flock on path+".lock"), without waiting. While
// one process holds it, another server does not start and restore does not
// replace the file. The kernel drops the lock when the process ends, however
// it ends. A lock held elsewhere is an error wrapping inbox.ErrConflict.
//
// A PostgreSQL database takes no lock: several servers share it.
func LockServing(path string) (release func(), err error) {
	if IsPostgresURL(path) {
		return func() {}, nil
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("lock %s: create folder: %w", path, err)
		}
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, coded(inbox.ErrConflict, "the database %s is in use by a Switchboard server (it holds %s.lock)", path, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
