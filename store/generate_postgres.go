package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"switchboard/inbox"
)

// On PostgreSQL, Generate makes its data with the same statements as on
// SQLite, in a SQLite database of its own in a temporary folder that
// starts with this database's users and senders, then copies the rows it
// made here in one write transaction: the data are the same as on SQLite
// for the same g, and this database's triggers and the writer build the
// report rollups from them as from any write.

// generatedTables are the tables Generate writes, in an order that meets
// their references; existing rows (users, senders) are kept as they are.
var generatedTables = []struct {
	name string
	keep bool // rows already here stay; copy only the new ones
}{
	{"users", true}, {"senders", true}, {"contacts", false}, {"conversations", false},
	{"messages", false}, {"conversation_reads", false}, {"conversation_resolves", false},
}

// generatePostgres is Generate on PostgreSQL.
func (db *DB) generatePostgres(ctx context.Context, g Generation) error {
	if err := g.check(); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if g.Now.IsZero() {
		g.Now = db.now()
	}
	empty := func(ctx context.Context, q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) error {
		var taken bool
		if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM conversations) OR EXISTS (SELECT 1 FROM contacts)`).
			Scan(&taken); err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("the database holds conversations or contacts already: %w", inbox.ErrConflict)
		}
		return nil
	}
	if err := empty(ctx, db.reader); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	dir, err := os.MkdirTemp("", "switchboard-generate-")
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	defer os.RemoveAll(dir)
	made, err := Open(filepath.Join(dir, "generate.db"), WithReportPacking(0), WithSessionCleanup(0), WithClock(db.now))
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	defer made.Close()
	cols := map[string][]string{}
	for _, t := range generatedTables {
		if cols[t.name], err = db.pgColumns(ctx, t.name); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	// The SQLite database starts with these users and senders, so that it
	// assigns conversations to the same users.
	err = made.write(ctx, func(ctx context.Context, w *writeTx) error {
		for _, t := range generatedTables[:2] {
			if err := copyRows(ctx, db.reader.DB, w, t.name, cols[t.name], false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if err := made.Generate(ctx, g); err != nil {
		return err
	}
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		// Still empty, now that this transaction holds the write lock.
		if err := empty(ctx, w.db.wconn); err != nil {
			return err
		}
		for _, t := range generatedTables {
			if err := copyRows(ctx, made.reader.DB, w, t.name, cols[t.name], t.keep); err != nil {
				return err
			}
		}
		// Ids were copied: each table's identity goes on after its largest.
		for _, t := range generatedTables {
			if !slices.Contains(cols[t.name], "id") {
				continue
			}
			var seq sql.NullString
			if err := w.db.wconn.Conn.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, t.name).Scan(&seq); err != nil {
				return fmt.Errorf("%s ids: %w", t.name, err)
			}
			if !seq.Valid {
				continue
			}
			if _, err := w.db.wconn.Conn.ExecContext(ctx, `SELECT setval($1::regclass, max(id)) FROM `+t.name+` HAVING count(*) > 0`,
				seq.String); err != nil {
				return fmt.Errorf("%s ids: %w", t.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("generate %d conversations and %d messages: %w", g.Conversations, g.Messages, err)
	}
	return nil
}

// copyRows copies table's columns cols from src into the database of w's
// transaction; with keep, rows whose key is there already are left as they
// are. Rows go in batches of one INSERT each, numbered ($n) on
// PostgreSQL.
func copyRows(ctx context.Context, src *sql.DB, w *writeTx, table string, cols []string, keep bool) error {
	rows, err := src.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table)
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	defer rows.Close()
	per := max(1, min(256, 30000/len(cols)))
	args := make([]any, 0, per*len(cols))
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `)
		for i := range args {
			switch {
			case i == 0:
				q.WriteString("(")
			case i%len(cols) == 0:
				q.WriteString("), (")
			default:
				q.WriteString(", ")
			}
			if w.db.dialect.postgres {
				q.WriteString("$" + strconv.Itoa(i+1))
			} else {
				q.WriteString("?")
			}
		}
		q.WriteString(")")
		if keep {
			q.WriteString(" ON CONFLICT DO NOTHING")
		}
		if _, err := w.db.wconn.Conn.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		args = args[:0]
		return nil
	}
	row := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range row {
		ptrs[i] = &row[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		args = append(args, row...)
		if len(args) >= per*len(cols) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return flush()
}

// pgColumns lists table's columns on PostgreSQL, but for those the
// database makes itself.
func (db *DB) pgColumns(ctx context.Context, table string) ([]string, error) {
	rows, err := db.reader.DB.QueryContext(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'
			AND identity_generation IS DISTINCT FROM 'ALWAYS'
		ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("columns of %s: no such table", table)
	}
	return cols, nil
}
