//go:build !linux

package store

// syncData flushes the file at path to the disk.
func syncData(path string) error { return syncFile(path) }
