package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/store"
)

// TestVersionPrintsSchemaVersions: the binary's schema version always, the
// database's when it exists, and a missing database is not created.
func TestVersionPrintsSchemaVersions(t *testing.T) {
	known := store.SchemaVersion()
	if known < 13 {
		t.Fatalf("SchemaVersion() = %d: the embedded migrations go to at least 13", known)
	}
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	vars := map[string]string{"SWITCHBOARD_DB": dbPath}
	code, out, _ := runCmd(t, vars, "", "version")
	if code != 0 || !strings.HasPrefix(out, "switchboard ") || !strings.Contains(out, fmt.Sprintf("\nschema %d\n", known)) || strings.Contains(out, "database") {
		t.Errorf("version without a database = %d %q", code, out)
	}
	if _, err := os.Stat(dbPath); err == nil {
		t.Fatal("version created the database")
	}

	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, out, _ := runCmd(t, vars, "", "version"); !strings.Contains(out, fmt.Sprintf("database %s: schema %d\n", dbPath, known)) {
		t.Errorf("version with a database = %q", out)
	}

	raw, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, known+3); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, out, _ := runCmd(t, vars, "", "version"); !strings.Contains(out, fmt.Sprintf("database %s: schema %d, newer than this binary", dbPath, known+3)) {
		t.Errorf("version with a newer database = %q", out)
	}
}
