//go:build !linux

package store

import "os"

// syncData flushes the file at path to the disk.
func syncData(path string) error { return syncFile(path) }

func fdatasync(f *os.File) error { return f.Sync() }
