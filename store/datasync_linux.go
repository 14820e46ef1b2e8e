package store

import (
	"fmt"
	"os"
	"syscall"
)

// syncData flushes the data of the file at path to the disk, and of its
// metadata what reading the data needs (its size), not its times: an
// fsync would also commit the file system's journal for the new mtime,
// and with it every other file's newly allocated blocks (the database
// file's, which checkpoints grow). SQLite syncs its WAL the same way.
func syncData(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	for {
		err = syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}
