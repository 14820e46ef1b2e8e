package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/store"
)

// TestServeMakesOlderFilesPrivate: data an older Switchboard left readable
// by other users (SQLite's 0644 for the database and its WAL, a 0644
// files.key, media and uploads 0640 in 0750 folders, 0644 backups) is
// made owner-only when serve starts, with one line saying what changed,
// so doctor finds nothing to fix. A file of another user, what a link
// points to, other files among the backups and the data folder itself
// are left as they are; a second start changes and says nothing.
func TestServeMakesOlderFilesPrivate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "data")
	dbPath := filepath.Join(dir, "sb.db")
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	addToken(t, db, "kept")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	write := func(path string, mode os.FileMode) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, make([]byte, 32), mode); err != nil {
			t.Fatal(err)
		}
		chmod(t, path, mode)
		return path
	}
	outside := write(filepath.Join(t.TempDir(), "shared.txt"), 0o644)
	private := map[string]os.FileMode{
		dbPath:                         0o600,
		write(dir+"/files.key", 0o644): 0o600,
		write(dir+"/media/m_1", 0o640): 0o600,
		dir + "/media":                 0o700,
		write(dir+"/files/f_1", 0o640): 0o600,
		dir + "/files":                 0o700,
		write(dir+"/backups/switchboard-20260101T030000Z.db", 0o644): 0o600,
	}
	left := map[string]os.FileMode{
		dir:                                    0o755,
		write(dir+"/backups/notes.txt", 0o644): 0o644,
		outside:                                0o644,
	}
	if err := os.Symlink(outside, dir+"/media/link"); err != nil {
		t.Fatal(err)
	}
	openMedia, foreign := 2, ""
	if os.Geteuid() == 0 {
		openMedia++
		foreign = write(dir+"/media/m_nobody", 0o644)
		if err := os.Chown(foreign, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		left[foreign] = 0o644
	}
	chmod(t, dir, 0o755)
	chmod(t, dbPath, 0o644) // the WAL and its index take its mode

	// doctor names each, and says the server does it.
	_, out, _ := runCmd(t, map[string]string{"SWITCHBOARD_DB": dbPath}, "", "doctor")
	for _, want := range []string{
		"FAIL  " + dbPath + " is readable by other users (mode 0644)\n      fix: chmod 600 " + dbPath + ", or start the server: it does so for its files",
		fmt.Sprintf("FAIL  %d file(s) or folder(s) in %s/media are readable by other users\n      fix: chmod -R go-rwx %[2]s/media, or start the server", openMedia, dir),
		"FAIL  2 file(s) or folder(s) in " + dir + "/files are readable by other users",
		"FAIL  1 scheduled backup(s) in " + dir + "/backups are readable by other users\n      fix: chmod 600 " + dir + "/backups/switchboard-*.db, or start the server",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor before the start lacks %q:\n%s", want, out)
		}
	}

	stop := func(c *child) string {
		t.Helper()
		c.cmd.Process.Signal(syscall.SIGTERM)
		if err := c.wait(); err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, c.logText())
		}
		return c.logText()
	}
	c := startChild(t, bin, dbPath)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(c.logText(), "readable by their owner only") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	// The WAL and its index, made by the server with the database's
	// mode, are there while it runs.
	private[dbPath+"-wal"], private[dbPath+"-shm"] = 0o600, 0o600
	mode := func(path string) string {
		fi, err := os.Lstat(path)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%04o", fi.Mode().Perm())
	}
	for path, want := range private {
		if got := mode(path); got != fmt.Sprintf("%04o", want) {
			t.Errorf("%s after serve started: %s; want mode %04o", path, got, want)
		}
	}
	for path, want := range left {
		if got := mode(path); got != fmt.Sprintf("%04o", want) {
			t.Errorf("%s after serve started: %s; want it left at %04o", path, got, want)
		}
	}
	logText := stop(c)
	var said []string
	for _, l := range strings.Split(logText, "\n") {
		if strings.Contains(l, "readable by their owner only") {
			said = append(said, l)
		}
	}
	if len(said) != 1 || !strings.Contains(said[0], dbPath+" (was 0644)") || !strings.Contains(said[0], dir+"/media: 2 file(s) and folder(s)") ||
		!strings.Contains(said[0], "1 backup(s)") || !strings.Contains(said[0], "chmod 700 "+dir) {
		t.Errorf("want one line naming what was made private, and the data folder left open:\n%s", logText)
	}
	chmod(t, dir, 0o700)
	if foreign != "" {
		os.Remove(foreign) // left open, as doctor would say
	}
	if code, out, _ := runCmd(t, map[string]string{"SWITCHBOARD_DB": dbPath}, "", "doctor"); !strings.Contains(out, "ok    data files are readable by their owner only") {
		t.Errorf("doctor after the start (exit %d):\n%s", code, out)
	}

	if logText := stop(startChild(t, bin, dbPath)); strings.Contains(logText, "readable by their owner only") {
		t.Errorf("the second start said it made files private again:\n%s", logText)
	}
}
