package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"switchboard/store"
)

// version prints the binary's version and the schema version it knows,
// and, when the configured database exists, the database's schema
// version. It never creates or migrates the database.
func (e env) version(ctx context.Context, args []string) error {
	if len(args) == 1 && isHelp(args[0]) {
		return e.help("version")
	}
	if len(args) > 0 {
		return usageError("version takes no argument %q", args[0])
	}
	fmt.Fprintln(e.stdout, "switchboard", versionString())
	known := store.SchemaVersion()
	fmt.Fprintf(e.stdout, "schema %d\n", known)
	path := strings.TrimSpace(e.getenv("SWITCHBOARD_DB"))
	if path == "" {
		path = "./data/switchboard.db"
	}
	if _, err := os.Stat(path); err != nil {
		return nil // nothing to read: keep version instant
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := store.FileSchemaVersion(ctx, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		fmt.Fprintf(e.stdout, "database %s: schema unknown (%v)\n", path, err)
	case v > known:
		fmt.Fprintf(e.stdout, "database %s: schema %d, newer than this binary: run the newer Switchboard\n", path, v)
	case v < known:
		fmt.Fprintf(e.stdout, "database %s: schema %d, upgraded to %d at the next start\n", path, v, known)
	default:
		fmt.Fprintf(e.stdout, "database %s: schema %d\n", path, v)
	}
	return nil
}
