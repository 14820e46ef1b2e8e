package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"switchboard/inbox"
)

// CopyToPostgres moves a team from SQLite to PostgreSQL: it copies the
// SQLite database at from into the empty PostgreSQL database at to.
//
// The SQLite file is only read, in one read transaction on a read-only
// connection: it is never migrated or written, and it must have the schema
// this binary writes (an older one is upgraded by starting Switchboard on
// it once). The PostgreSQL side is one transaction: the schema is created,
// every table is copied in order of its foreign keys, a batch of rows per
// statement, identities are set past the copied ids, and each table's rows
// are counted on both sides; only then is it committed. A database that
// holds any table is refused, and a copy that fails at any point leaves
// the database as empty as it was.
//
// Tables PostgreSQL builds for itself are left out: SQLite's full-text
// indexes (FTS5 tables and their shadow tables) and the queue that feeds
// them, and the schema's own record of migrations. The rollups the reports
// read (message counts, openings ...) are copied as they are, with the
// triggers that keep them switched off while the rows go in, so that
// nothing is counted twice; what PostgreSQL's own triggers would have
// built is then built from the copied rows (postgresBuilt).
func CopyToPostgres(ctx context.Context, from, to string, o CopyOptions) (CopyReport, error) {
	if o.BatchRows <= 0 {
		o.BatchRows = 1000
	}
	if !IsPostgresURL(to) {
		return CopyReport{}, coded(inbox.ErrInvalid, "%s is not a postgres:// URL", RedactDSN(to))
	}
	where := redactURL(to)

	src, err := openExisting(ctx, from)
	if err != nil {
		return CopyReport{}, coded(inbox.ErrInvalid, "%s cannot be read as a SQLite database: %v", from, err)
	}
	defer src.Close()
	version, err := schemaVersionOf(ctx, src, from)
	if err != nil {
		if errors.Is(err, ErrNotSwitchboard) {
			return CopyReport{}, coded(inbox.ErrInvalid, "%s is not a Switchboard database (no schema version)", from)
		}
		return CopyReport{}, err
	}
	switch latest := SchemaVersion(); {
	case version < latest:
		return CopyReport{}, coded(inbox.ErrInvalid, "%s has schema version %d, older than this Switchboard's %d: "+
			"start this Switchboard once on it (SWITCHBOARD_DB=%s) so that it brings the file up to date, stop it, then copy it",
			from, version, latest, from)
	case version > latest:
		return CopyReport{}, coded(inbox.ErrInvalid, "%s has schema version %d but this binary knows only up to %d: "+
			"it was written by a newer Switchboard; copy it with that version", from, version, latest)
	}
	// One read transaction: every table is read as of the same moment.
	rtx, err := src.BeginTx(ctx, nil)
	if err != nil {
		return CopyReport{}, fmt.Errorf("read %s: %w", from, err)
	}
	defer rtx.Rollback()
	sqliteTables, err := sqliteCopyTables(ctx, rtx)
	if err != nil {
		return CopyReport{}, fmt.Errorf("read %s: %w", from, err)
	}

	cfg, err := pgx.ParseConfig(to)
	if err != nil {
		return CopyReport{}, coded(inbox.ErrInvalid, "%s is not a PostgreSQL URL pgx can read", where)
	}
	dst := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(registerIntBools))
	defer dst.Close()
	dst.SetMaxOpenConns(1)
	wtx, err := dst.BeginTx(ctx, nil)
	if err != nil {
		return CopyReport{}, fmt.Errorf("connect to %s: %w", where, err)
	}
	defer wtx.Rollback()
	// A Switchboard starting on the database meanwhile waits for the copy.
	if _, err := wtx.ExecContext(ctx, writeLockSQL); err != nil {
		return CopyReport{}, fmt.Errorf("%s: %w", where, err)
	}
	if err := checkPostgresEmpty(ctx, wtx, where); err != nil {
		return CopyReport{}, err
	}
	if err := createPostgresSchema(ctx, wtx, o); err != nil {
		return CopyReport{}, fmt.Errorf("create the schema in %s: %w", where, err)
	}
	plan, skipped, err := planCopy(ctx, wtx, sqliteTables)
	if err != nil {
		return CopyReport{}, err
	}
	rep := CopyReport{Skipped: skipped}
	for _, t := range plan {
		if _, err := wtx.ExecContext(ctx, `ALTER TABLE `+pgIdent(t.name)+` DISABLE TRIGGER USER`); err != nil {
			return CopyReport{}, fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	for _, t := range plan {
		n, err := t.copy(ctx, rtx, wtx, o.BatchRows)
		if err != nil {
			return CopyReport{}, fmt.Errorf("copy %s: %w", t.name, err)
		}
		rep.Tables = append(rep.Tables, TableCopy{Name: t.name, Rows: n})
		if o.Progress != nil {
			o.Progress(t.name, n)
		}
	}
	for _, t := range plan {
		if _, err := wtx.ExecContext(ctx, `ALTER TABLE `+pgIdent(t.name)+` ENABLE TRIGGER USER`); err != nil {
			return CopyReport{}, fmt.Errorf("copy %s: %w", t.name, err)
		}
		if err := t.setIdentities(ctx, wtx); err != nil {
			return CopyReport{}, fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	for _, q := range postgresBuilt {
		if _, err := wtx.ExecContext(ctx, q); err != nil {
			return CopyReport{}, fmt.Errorf("build from the copied rows: %w", err)
		}
	}
	if err := verifyCopy(ctx, rtx, wtx, rep.Tables); err != nil {
		return CopyReport{}, err
	}
	if err := wtx.Commit(); err != nil {
		return CopyReport{}, fmt.Errorf("commit the copy to %s: %w", where, err)
	}
	return rep, nil
}

// CopyOptions tune CopyToPostgres.
type CopyOptions struct {
	// BatchRows is how many rows one INSERT carries (default 1000).
	BatchRows int
	// Progress, when set, hears of each table once it is copied.
	Progress func(table string, rows int64)
	// migrations replaces the PostgreSQL migrations, for tests.
	migrations migrationSource
}

// CopyReport is what CopyToPostgres copied: each table with its rows (the
// same number on both sides), in the order they were copied, and the
// SQLite tables left for PostgreSQL to build.
type CopyReport struct {
	Tables  []TableCopy
	Skipped []string
}

// TableCopy is one copied table.
type TableCopy struct {
	Name string
	Rows int64
}

// Rows is the number of rows copied in all.
func (r CopyReport) Rows() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// pgIdent quotes a PostgreSQL identifier.
func pgIdent(name string) string { return pgx.Identifier{name}.Sanitize() }

// checkPostgresEmpty refuses a database whose schema holds any table,
// view or sequence: the copy goes into a new database only.
func checkPostgresEmpty(ctx context.Context, tx *sql.Tx, where string) error {
	var schema sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if !schema.Valid {
		return coded(inbox.ErrInvalid, "%s has no schema to create the tables in (search_path names none that exists)", where)
	}
	rows, err := tx.QueryContext(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname`)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	names, err := scanStrings(rows)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if len(names) > 0 {
		shown := names
		more := ""
		if len(shown) > 5 {
			shown, more = shown[:5], fmt.Sprintf(" and %d more", len(names)-5)
		}
		return coded(inbox.ErrConflict, "the PostgreSQL database %s is not empty: schema %q holds %d tables (%s%s); "+
			"nothing was written: copy into a new, empty database (createdb)", where, schema.String, len(names),
			strings.Join(shown, ", "), more)
	}
	return nil
}

// createPostgresSchema applies every PostgreSQL migration in tx, recording
// each as migratePostgres does.
func createPostgresSchema(ctx context.Context, tx *sql.Tx, o CopyOptions) error {
	src := o.migrations
	if src == nil {
		src = postgresMigrations
	}
	ms, err := loadMigrations(src)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE schema_migrations (
		version    BIGINT PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range ms {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, (extract(epoch FROM now()) * 1000)::bigint)`,
			m.version); err != nil {
			return fmt.Errorf("migration %s: record: %w", m.name, err)
		}
	}
	return nil
}

// sqliteTable is a table of the SQLite file and its columns.
type sqliteTable struct {
	name string
	cols []string
}

// sqliteCopyTables lists the SQLite file's tables, with their columns, and
// among them the virtual (FTS5) tables.
func sqliteCopyTables(ctx context.Context, tx *sql.Tx) (map[string]*sqliteTable, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	type entry struct{ name, sql string }
	var all []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.name, &e.sql); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, e)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	tables := map[string]*sqliteTable{}
	var virtual []string
	for _, e := range all {
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(e.sql)), "CREATE VIRTUAL TABLE") {
			virtual = append(virtual, e.name)
		}
	}
	for _, e := range all {
		t := &sqliteTable{name: e.name}
		if slices.Contains(virtual, e.name) {
			tables[e.name] = t // no columns: built by PostgreSQL
			continue
		}
		crows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, e.name)
		if err != nil {
			return nil, err
		}
		if t.cols, err = scanStrings(crows); err != nil {
			return nil, err
		}
		tables[e.name] = t
	}
	// FTS5's shadow tables (name_data, name_idx ...) go with their index.
	for _, v := range virtual {
		for name, t := range tables {
			if strings.HasPrefix(name, v+"_") {
				t.cols = nil
			}
		}
	}
	return tables, nil
}

// builtByPostgres reports whether the SQLite table t is left out of the
// copy, because PostgreSQL builds its own: full-text indexes, their
// queue and what is left to index again, SQLite's own tables, the record
// of migrations.
func builtByPostgres(t *sqliteTable) bool {
	switch {
	case t.cols == nil: // an FTS5 table or one of its shadow tables
		return true
	case t.name == "search_queue", t.name == "search_cards_redo", t.name == "schema_migrations", strings.HasPrefix(t.name, "sqlite_"):
		return true
	}
	return false
}

// postgresBuilt are the statements that fill, from the copied rows, the
// tables PostgreSQL keeps for itself by triggers (such as its search
// indexes): the triggers are off while the rows go in, so CopyToPostgres
// runs these after them, in its transaction.
var postgresBuilt []string

// pgFromSQLite names the SQLite expression a PostgreSQL column is filled
// from where the column does not exist on SQLite under its name: the
// order events were stored in is SQLite's rowid.
var pgFromSQLite = map[string]map[string]string{
	"webhook_events": {"seq": "rowid"},
}

// copyTable is one table to copy: its columns on PostgreSQL, and the
// SQLite expression each is read from.
type copyTable struct {
	name       string
	cols       []string // PostgreSQL columns, in order
	from       []string // the SQLite expressions read into them
	types      []string // PostgreSQL data types (bytea, text ...)
	identities []string // identity columns
	always     bool     // some identity is GENERATED ALWAYS
}

// planCopy matches the SQLite tables to PostgreSQL's and orders them so
// that every table comes after those its foreign keys name. A SQLite table
// or column with no place on PostgreSQL stops the copy: its rows would be
// lost.
func planCopy(ctx context.Context, tx *sql.Tx, sqlite map[string]*sqliteTable) ([]*copyTable, []string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name, data_type, is_identity, coalesce(identity_generation, '')
		FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
	if err != nil {
		return nil, nil, err
	}
	pg := map[string]*copyTable{}
	for rows.Next() {
		var table, col, typ, ident, gen string
		if err := rows.Scan(&table, &col, &typ, &ident, &gen); err != nil {
			rows.Close()
			return nil, nil, err
		}
		t := pg[table]
		if t == nil {
			t = &copyTable{name: table}
			pg[table] = t
		}
		t.cols = append(t.cols, col)
		t.types = append(t.types, typ)
		if ident == "YES" {
			t.identities = append(t.identities, col)
			t.always = t.always || gen == "ALWAYS"
		}
	}
	if err := rows.Close(); err != nil {
		return nil, nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}

	var skipped []string
	var plan []*copyTable
	names := make([]string, 0, len(sqlite))
	for name := range sqlite {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		st := sqlite[name]
		if builtByPostgres(st) {
			skipped = append(skipped, name)
			continue
		}
		t := pg[name]
		if t == nil {
			return nil, nil, fmt.Errorf("the SQLite table %s has no place in the PostgreSQL schema of this Switchboard: its rows would be lost; nothing was written", name)
		}
		t.from = make([]string, len(t.cols))
		var used []string
		for i, c := range t.cols {
			switch {
			case slices.Contains(st.cols, c):
				t.from[i] = `"` + c + `"`
				used = append(used, c)
			case pgFromSQLite[name][c] != "":
				t.from[i] = pgFromSQLite[name][c]
			}
		}
		for _, c := range st.cols {
			if !slices.Contains(used, c) {
				return nil, nil, fmt.Errorf("the column %s.%s of the SQLite file has no place in the PostgreSQL schema of this Switchboard: its values would be lost; nothing was written", name, c)
			}
		}
		// Columns SQLite does not have take their PostgreSQL default.
		var cols, from, types []string
		for i := range t.cols {
			if t.from[i] != "" {
				cols, from, types = append(cols, t.cols[i]), append(from, t.from[i]), append(types, t.types[i])
			}
		}
		t.cols, t.from, t.types = cols, from, types
		plan = append(plan, t)
	}

	deps, err := pgForeignKeys(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	ordered, err := orderByForeignKeys(plan, deps)
	return ordered, skipped, err
}

// pgForeignKeys maps each table of the schema to the tables its foreign
// keys reference.
func pgForeignKeys(ctx context.Context, tx *sql.Tx) (map[string][]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.relname, r.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE k.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	deps := map[string][]string{}
	for rows.Next() {
		var table, ref string
		if err := rows.Scan(&table, &ref); err != nil {
			return nil, err
		}
		if ref != table {
			deps[table] = append(deps[table], ref)
		}
	}
	return deps, rows.Err()
}

// orderByForeignKeys puts every table after the tables it references,
// keeping the given (alphabetical) order otherwise.
func orderByForeignKeys(plan []*copyTable, deps map[string][]string) ([]*copyTable, error) {
	var out []*copyTable
	done := map[string]bool{}
	for len(out) < len(plan) {
		progress := false
		for _, t := range plan {
			if done[t.name] {
				continue
			}
			ready := true
			for _, d := range deps[t.name] {
				if !done[d] && slices.ContainsFunc(plan, func(p *copyTable) bool { return p.name == d }) {
					ready = false
				}
			}
			if ready {
				out = append(out, t)
				done[t.name] = true
				progress = true
			}
		}
		if !progress {
			return nil, errors.New("the PostgreSQL schema's foreign keys form a cycle: no order to copy the tables in")
		}
	}
	return out, nil
}

// copy reads every row of the table from SQLite and inserts them on
// PostgreSQL, batch rows per statement, and returns how many it copied.
func (t *copyTable) copy(ctx context.Context, rtx, wtx *sql.Tx, batch int) (int64, error) {
	// PostgreSQL takes at most 65535 parameters in one statement.
	if most := 65535 / len(t.cols); batch > most {
		batch = most
	}
	order := ""
	if t.hasRowid(ctx, rtx) {
		order = " ORDER BY rowid"
	}
	rows, err := rtx.QueryContext(ctx, `SELECT `+strings.Join(t.from, ", ")+` FROM "`+t.name+`"`+order)
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	defer rows.Close()
	var (
		n    int64
		args = make([]any, 0, batch*len(t.cols))
		row  = make([]any, len(t.cols))
		ptrs = make([]any, len(t.cols))
	)
	for i := range row {
		ptrs[i] = &row[i]
	}
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		if _, err := wtx.ExecContext(ctx, t.insertSQL(len(args)/len(t.cols)), args...); err != nil {
			return fmt.Errorf("write rows %d-%d: %w", n-int64(len(args)/len(t.cols))+1, n, err)
		}
		args = args[:0]
		return nil
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("read: %w", err)
		}
		for i, v := range row {
			cv, err := pgValue(v, t.types[i])
			if err != nil {
				return n, fmt.Errorf("row %d, column %s: %w", n+1, t.cols[i], err)
			}
			args = append(args, cv)
		}
		n++
		if len(args) >= batch*len(t.cols) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read: %w", err)
	}
	return n, flush()
}

// hasRowid reports whether the SQLite table has a rowid to read it in
// order of (a WITHOUT ROWID table does not).
func (t *copyTable) hasRowid(ctx context.Context, rtx *sql.Tx) bool {
	var s string
	err := rtx.QueryRowContext(ctx, `SELECT coalesce(sql, '') FROM sqlite_master WHERE type = 'table' AND name = ?`, t.name).Scan(&s)
	return err == nil && !strings.Contains(strings.ToUpper(s), "WITHOUT ROWID")
}

// insertSQL inserts n rows into the table.
func (t *copyTable) insertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + pgIdent(t.name) + " (")
	for i, c := range t.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pgIdent(c))
	}
	b.WriteString(")")
	if len(t.identities) > 0 {
		b.WriteString(" OVERRIDING SYSTEM VALUE")
	}
	b.WriteString(" VALUES ")
	p := 1
	for r := 0; r < n; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		for i := range t.cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(p))
			p++
		}
		b.WriteString(")")
	}
	return b.String()
}

// pgValue is a value SQLite returned, as the PostgreSQL column of type typ
// takes it.
func pgValue(v any, typ string) (any, error) {
	switch typ {
	case "bytea":
		if s, ok := v.(string); ok {
			return []byte(s), nil
		}
	case "text", "USER-DEFINED", "character varying": // USER-DEFINED: citext
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		// Without its U+0000 characters, which SQLite's text holds and
		// PostgreSQL's cannot, as the store writes text to PostgreSQL
		// (dialect.args).
		if s, ok := v.(string); ok && strings.IndexByte(s, 0) >= 0 {
			return strings.ReplaceAll(s, "\x00", ""), nil
		}
		return v, nil
	case "bigint", "integer", "smallint":
		switch x := v.(type) {
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > 1<<62 {
				return nil, fmt.Errorf("%v is not a whole number", x)
			}
			return int64(x), nil
		case []byte:
			return strconv.ParseInt(string(x), 10, 64)
		}
	}
	return v, nil
}

// setIdentities sets each identity column's sequence past the largest
// copied id, so that the next row PostgreSQL numbers gets a new one.
func (t *copyTable) setIdentities(ctx context.Context, tx *sql.Tx) error {
	for _, c := range t.identities {
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(`+pgIdent(c)+`), 0) + 1, false) FROM `+pgIdent(t.name),
			pgIdent(t.name), c); err != nil {
			return fmt.Errorf("set the identity %s: %w", c, err)
		}
	}
	return nil
}

// verifyCopy counts each table's rows on both sides.
func verifyCopy(ctx context.Context, rtx, wtx *sql.Tx, tables []TableCopy) error {
	for _, t := range tables {
		var a, b int64
		if err := rtx.QueryRowContext(ctx, `SELECT count(*) FROM "`+t.Name+`"`).Scan(&a); err != nil {
			return fmt.Errorf("count %s on SQLite: %w", t.Name, err)
		}
		if err := wtx.QueryRowContext(ctx, `SELECT count(*) FROM `+pgIdent(t.Name)).Scan(&b); err != nil {
			return fmt.Errorf("count %s on PostgreSQL: %w", t.Name, err)
		}
		if a != b || a != t.Rows {
			return fmt.Errorf("%s holds %d rows on SQLite but %d on PostgreSQL after the copy (%d copied); nothing was written", t.Name, a, b, t.Rows)
		}
	}
	return nil
}

// scanStrings reads a one-column result of strings and closes rows.
func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
