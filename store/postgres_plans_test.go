package store

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"switchboard/inbox"
)

// Applying stored events plans each of its statements once on
// PostgreSQL, not at every run: planning cost the server more than running
// them. The plans are made without sequential scans wherever an index
// serves, so a plan made while a new database's tables were empty still
// finds one row by its index when they have grown; and none is compiled
// with JIT, which the cost of a scan with sequential scans off would
// otherwise bring at every run of a statement that must scan.
func TestPostgresApplyingPlansEachStatementOnce(t *testing.T) {
	pgTestURL(t)
	sent := &statementLog{}
	db, err := Open(pgTestSchema(t), WithReportPacking(0), WithSessionCleanup(0), withPgTracer(sent))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	evs := mixedStream(300)
	for _, ev := range evs {
		ev.Raw = []byte(`{"id":"` + ev.ID + `"}`) // read back by its id
	}
	db.Project(newProjectionLog(evs...).projection(inbox.Apply))
	for _, ev := range evs {
		if _, err := db.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, db)
	if n := count(t, db, `SELECT count(*) FROM messages`); n < 100 {
		var e string
		db.reader.QueryRow(`SELECT error FROM webhook_events WHERE state = 'failed' LIMIT 1`).Scan(&e)
		t.Fatalf("%d messages applied; %d failed: %s", n, count(t, db, `SELECT count(*) FROM webhook_events WHERE state = 'failed'`), e)
	}

	// The statements applying sent without arguments: planned at every
	// run, with the transaction's settings.
	unprepared := map[string]bool{}
	applying := false
	for _, q := range sent.take() {
		switch {
		case q == pgBeginApplying:
			applying = true
		case q == "COMMIT" || q == "ROLLBACK":
			applying = false
		case applying && !strings.Contains(q, "$") && regexp.MustCompile(`^(SELECT|WITH|INSERT|UPDATE|DELETE)\b`).MatchString(q):
			unprepared[q] = true
		}
	}
	if !unprepared[writerSQL[stClearDirty]] {
		t.Errorf("applying did not send %q; sent without arguments: %v", writerSQL[stClearDirty], unprepared)
	}

	type prepared struct {
		sql             string
		params          int
		generic, custom int64
		plan            string
	}
	var stmts []prepared
	reSeqScan := regexp.MustCompile(`Seq Scan on (\w+)`)
	inTx(t, db, func(ctx context.Context, w *writeTx) error {
		rows, err := w.db.wconn.Conn.QueryContext(ctx, `SELECT name, statement, cardinality(parameter_types), generic_plans, custom_plans
			FROM pg_prepared_statements`)
		if err != nil {
			return err
		}
		var names []string
		for rows.Next() {
			var p prepared
			var name string
			if err := rows.Scan(&name, &p.sql, &p.params, &p.generic, &p.custom); err != nil {
				rows.Close()
				return err
			}
			names, stmts = append(names, name), append(stmts, p)
		}
		if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
			return err
		}
		// The plans applying uses: made as a projection transaction
		// makes them, and kept.
		if _, err := w.db.wconn.Conn.ExecContext(ctx, pgApplying); err != nil {
			return err
		}
		for q := range unprepared {
			names = append(names, "")
			stmts = append(stmts, prepared{sql: q})
		}
		for i, name := range names {
			args := strings.TrimSuffix(strings.Repeat("NULL, ", stmts[i].params), ", ")
			q := `EXPLAIN EXECUTE ` + name
			switch {
			case name == "":
				q = `EXPLAIN ` + stmts[i].sql
			case args != "":
				q += `(` + args + `)`
			}
			rows, err := w.db.wconn.Conn.QueryContext(ctx, q)
			if err != nil {
				return err
			}
			lines, err := scanStrings(rows)
			if err != nil {
				return err
			}
			stmts[i].plan = strings.Join(lines, "\n")
		}
		return nil
	})
	applied := 0
	for _, p := range stmts {
		one := strings.Join(strings.Fields(p.sql), " ")
		if strings.HasPrefix(one, "SELECT m.id, m.zavu_id") || strings.HasPrefix(one, "UPDATE conversations SET status") {
			applied++
			// Run at every event, only while applying.
			if p.custom > 0 || p.generic < 10 {
				t.Errorf("%s: planned %d times for %d runs, want once", one, p.custom, p.custom+p.generic)
			}
		}
		if strings.Contains(p.plan, "JIT:") {
			t.Errorf("%s\nis compiled at every run:\n%s", one, p.plan)
		}
		for _, m := range reSeqScan.FindAllStringSubmatch(p.plan, -1) {
			// openings_dirty is emptied by every transaction that writes
			// to it; schema_migrations is read whole once, at start, to
			// tell what is applied.
			if m[1] != "openings_dirty" && m[1] != "schema_migrations" {
				t.Errorf("%s\nscans all of %s:\n%s", one, m[1], p.plan)
			}
		}
	}
	if applied < 2 {
		t.Errorf("%d of the statements applying runs found prepared", applied)
	}
}
