package store

import (
	"os"
	"syscall"
)

// syncData flushes the data of the file at path to the disk, and of its
// metadata what reading the data needs (its size), not its times: an
// fsync would also commit the file system's journal for the new mtime,
// and with it every other file's newly allocated blocks (the database
// file's, which checkpoints grow). SQLite syncs its WAL the same way.
func syncData(path string) error { return syncPath(path, fdatasync) }

func fdatasync(f *os.File) error {
	for {
		if err := syscall.Fdatasync(int(f.Fd())); err != syscall.EINTR {
			return err
		}
	}
}
