package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestSyncDataSyncsAFileAndSaysWhenItCannot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wal")
	if err := os.WriteFile(path, []byte("frame"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syncData(path); err != nil {
		t.Fatalf("syncData: %v", err)
	}
	if err := syncData(path + "-gone"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("syncData of a missing file: %v, want not-exist", err)
	}
}
