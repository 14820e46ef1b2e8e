package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Switchboard's SQL is written once, in SQLite's spelling, and runs on
// both engines: times are INTEGER unix milliseconds and booleans 0/1
// integers on both, and RETURNING and ON CONFLICT ... DO UPDATE mean the
// same. A dialect turns a statement into its engine's spelling where they
// differ; on SQLite it changes nothing. Each statement text is rewritten
// once and the result kept.

// dialect is the SQL spelling of one engine.
type dialect struct {
	postgres bool
	cache    sync.Map // SQLite text -> this engine's text
}

var sqliteDialect = &dialect{}

// sql is query in this dialect's spelling.
func (d *dialect) sql(query string) string {
	if d == nil || !d.postgres {
		return query
	}
	if q, ok := d.cache.Load(query); ok {
		return q.(string)
	}
	q := pgSQL(query)
	d.cache.Store(query, q)
	return q
}

// args are a statement's arguments for this dialect's engine. On
// PostgreSQL a string loses its U+0000 characters, which PostgreSQL's
// text cannot hold ("invalid byte sequence for encoding UTF8: 0x00") and
// SQLite's can: a customer's message or profile name with one was
// stored but never applied, and a note, a reply, a contact's name or a
// search with one through the API answered 500.
func (d *dialect) args(args []any) []any {
	if d == nil || !d.postgres {
		return args
	}
	var out []any
	for i, a := range args {
		s, ok := a.(string)
		if !ok || strings.IndexByte(s, 0) < 0 {
			continue
		}
		if out == nil {
			out = slices.Clone(args)
		}
		out[i] = strings.ReplaceAll(s, "\x00", "")
	}
	if out == nil {
		return args
	}
	return out
}

// pgOverrides are statements whose Postgres spelling is written out in
// full, where no mechanical rewrite says it well. Keyed by the SQLite text.
var pgOverrides = map[string]string{}

// pgFragments are pieces of statements whose Postgres spelling differs in
// what no rule covers, such as a parameter whose type Postgres cannot infer.
var pgFragments = [][2]string{
	{`CASE WHEN ?2 <> '' THEN ?3 END`, `CASE WHEN ?2 <> '' THEN CAST(?3 AS BIGINT) END`},
	{`INSERT OR REPLACE INTO opening_hours (hour, sender_id, channel, n, data) VALUES (?, ?, ?, ?, ?)`,
		`INSERT INTO opening_hours (hour, sender_id, channel, n, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (hour, sender_id, channel) DO UPDATE SET n = excluded.n, data = excluded.data`},
	// In DO UPDATE, a column of the table must be named with it.
	{`read_count = max(read_count, excluded.read_count)`, `read_count = max(conversation_reads.read_count, excluded.read_count)`},
}

// pgOverride registers the Postgres text of a statement given in SQLite's;
// the Postgres text still has its placeholders rewritten.
func pgOverride(sqlite, postgres string) {
	pgOverrides[sqlite] = postgres
}

var (
	reNumbered  = regexp.MustCompile(`\?(\d+)`)
	reChar      = regexp.MustCompile(`(?i)\bchar\(`)
	reInstr     = regexp.MustCompile(`(?i)\binstr\(`)
	reNocase    = regexp.MustCompile(`(?i)([A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)?)\s+COLLATE\s+NOCASE`)
	reIsNot     = regexp.MustCompile(`(?i)\bIS\s+NOT\s+`)
	reNotNull   = regexp.MustCompile(`(?i)^NULL\b`)
	reOrIgnore  = regexp.MustCompile(`(?i)\bINSERT\s+OR\s+IGNORE\s+INTO\b`)
	reReturning = regexp.MustCompile(`(?i)\bRETURNING\b`)
	reRowid     = regexp.MustCompile(`\browid\b`)
	// SQLite's planner hints: an index named for a scan, and CROSS JOIN
	// ... ON fixing the order of a join. Postgres plans on its own.
	reIndexedBy   = regexp.MustCompile(`(?i)\s+(INDEXED\s+BY\s+[A-Za-z_0-9]+|NOT\s+INDEXED)\b`)
	reCrossJoinOn = regexp.MustCompile(`(?i)\bCROSS\s+JOIN(\s+[A-Za-z_0-9]+(?:\s+[A-Za-z_0-9]+)?\s+ON\b)`)
	reLiteralKey  = regexp.MustCompile("\x00(\\d+)\x00")
)

// pgSQL rewrites a statement in SQLite's spelling into Postgres's. String
// literals are set aside first, so nothing in them is touched.
func pgSQL(query string) string {
	if o, ok := pgOverrides[query]; ok {
		query = o
	}
	for _, f := range pgFragments {
		query = strings.ReplaceAll(query, f[0], f[1])
	}
	code, lits := maskLiterals(query)

	// Functions whose arguments must be found: scalar min/max of several
	// arguments, group_concat, iif.
	code = rewriteCalls(code)
	code = aliasSubqueries(code)
	code = reChar.ReplaceAllString(code, "chr(")
	code = reInstr.ReplaceAllString(code, "strpos(") // the same arguments: the text, then what to find in it
	code = reNocase.ReplaceAllString(code, "lower($1)")
	code = isNotDistinct(code)
	code = reIndexedBy.ReplaceAllString(code, "")
	code = reCrossJoinOn.ReplaceAllString(code, "JOIN$1")
	code = flagTests(code)
	if reOrIgnore.MatchString(code) {
		code = reOrIgnore.ReplaceAllString(code, "INSERT INTO")
		if loc := reReturning.FindStringIndex(code); loc != nil {
			code = code[:loc[0]] + "ON CONFLICT DO NOTHING " + code[loc[0]:]
		} else {
			code = strings.TrimRight(code, " \t\n;") + " ON CONFLICT DO NOTHING"
		}
	}
	// webhook_events keeps the order events were stored in as seq (SQLite's
	// rowid).
	code = reRowid.ReplaceAllString(code, "seq")
	code = placeholders(code)

	return reLiteralKey.ReplaceAllStringFunc(code, func(s string) string {
		i, _ := strconv.Atoi(strings.Trim(s, "\x00"))
		return lits[i]
	})
}

// maskLiterals replaces each '...' literal and "..." identifier of q by a
// numbered mark, and comments by a space.
func maskLiterals(q string) (string, []string) {
	var b strings.Builder
	var lits []string
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(q) {
				j = len(q) - 1
			}
			fmt.Fprintf(&b, "\x00%d\x00", len(lits))
			lits = append(lits, q[i:j+1])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
			b.WriteByte(' ')
			if i < len(q) {
				b.WriteByte('\n')
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), lits
}

// placeholders turns ?NNN into $NNN and each bare ? into the next $n.
func placeholders(q string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		j := i + 1
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			j++
		}
		if j > i+1 {
			k, _ := strconv.Atoi(q[i+1 : j])
			n = max(n, k)
			b.WriteString("$" + q[i+1:j])
			i = j - 1
			continue
		}
		n++
		b.WriteString("$" + strconv.Itoa(n))
	}
	return b.String()
}

// isNotDistinct turns SQLite's "a IS NOT b", for b other than NULL, into
// "a IS DISTINCT FROM b".
func isNotDistinct(q string) string {
	var b strings.Builder
	for {
		loc := reIsNot.FindStringIndex(q)
		if loc == nil {
			b.WriteString(q)
			return b.String()
		}
		b.WriteString(q[:loc[0]])
		rest := q[loc[1]:]
		if reNotNull.MatchString(rest) || strings.HasPrefix(strings.ToUpper(rest), "DISTINCT") {
			b.WriteString(q[loc[0]:loc[1]])
		} else {
			b.WriteString("IS DISTINCT FROM ")
		}
		q = rest
	}
}

// flagColumns are the 0/1 integer columns that SQLite's SQL tests as
// booleans (WHERE active).
const flagColumns = `active|shared|pending|opted_out|provisional|is_default|webhook_active|new_conversation|message|assigned|mentioned|sound|desktop|push`

var (
	reFlagTest = regexp.MustCompile(`(?i)(\b(?:WHERE|AND|OR|NOT|WHEN|ON)\s+|\(\s*)((?:[A-Za-z_]+\.)?(?:` + flagColumns + `))\b`)
	reCompared = regexp.MustCompile(`(?i)^\s*([=<>!+\-*/|%]|IS\b|IN\b|BETWEEN\b|LIKE\b|NOT\s+IN\b|COLLATE\b)`)
)

// flagTests turns a 0/1 column tested as a boolean ("WHERE active") into
// a comparison ("WHERE (active <> 0)"), which Postgres requires.
func flagTests(q string) string {
	var b strings.Builder
	for {
		loc := reFlagTest.FindStringSubmatchIndex(q)
		if loc == nil {
			b.WriteString(q)
			return b.String()
		}
		rest := q[loc[1]:]
		b.WriteString(q[:loc[4]])
		// "(" opens a test, not a call's arguments: coalesce(active, 0).
		call := q[loc[2]] == '(' && loc[2] > 0 && isIdentChar(q[loc[2]-1])
		if call || reCompared.MatchString(rest) || strings.HasPrefix(strings.TrimSpace(rest), ",") {
			b.WriteString(q[loc[4]:loc[5]])
		} else {
			b.WriteString("(" + q[loc[4]:loc[5]] + " <> 0)")
		}
		q = rest
	}
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

var (
	reCall = regexp.MustCompile(`(?i)\b(min|max|group_concat|iif|sum)\(`)
	// reTest finds a comparison at the top of an expression whose
	// parenthesized parts are blanked.
	reTest = regexp.MustCompile(`(?i)(=|<|>|\bIS\b|\bIN\b|\bAND\b|\bOR\b|\bNOT\b|\bLIKE\b)`)
)

// rewriteCalls rewrites the calls whose Postgres spelling differs:
// min(a, b) -> LEAST(a, b), max(a, b) -> GREATEST(a, b) (the aggregates,
// of one argument, stay), group_concat(x[, sep]) -> string_agg(x::text,
// sep), iif(c, a, b) -> CASE WHEN c THEN a ELSE b END, c being a 0/1
// integer or a boolean.
func rewriteCalls(q string) string {
	var b strings.Builder
	for {
		loc := reCall.FindStringSubmatchIndex(q)
		if loc == nil {
			b.WriteString(q)
			return b.String()
		}
		name := strings.ToLower(q[loc[2]:loc[3]])
		open := loc[1] - 1
		args, end := splitArgs(q, open)
		if end < 0 {
			b.WriteString(q)
			return b.String()
		}
		for i := range args {
			args[i] = rewriteCalls(args[i])
		}
		b.WriteString(q[:loc[0]])
		switch {
		case name == "min" && len(args) > 1:
			b.WriteString("LEAST(" + strings.Join(args, ",") + ")")
		case name == "max" && len(args) > 1:
			b.WriteString("GREATEST(" + strings.Join(args, ",") + ")")
		case name == "group_concat":
			sep := "','"
			if len(args) > 1 {
				sep = args[1]
			}
			b.WriteString("string_agg((" + args[0] + ")::text," + sep + ")")
		case name == "sum" && len(args) == 1 && reTest.MatchString(topLevel(args[0])):
			// A sum of comparisons counts them: 0/1 on SQLite, booleans on Postgres.
			b.WriteString("sum((" + args[0] + ")::int)")
		case name == "iif" && len(args) == 3:
			b.WriteString("(CASE WHEN (" + strings.TrimSpace(args[0]) + ")::int <> 0 THEN " + strings.TrimSpace(args[1]) +
				" ELSE " + strings.TrimSpace(args[2]) + " END)")
		default:
			b.WriteString(q[loc[0]:loc[1]] + strings.Join(args, ",") + ")")
		}
		q = q[end+1:]
	}
}

var (
	reFromParen = regexp.MustCompile(`(?i)\b(FROM|JOIN)\s*\(`)
	reNextWord  = regexp.MustCompile(`^\s*([A-Za-z_]+)`)
	// sqlKeywords may follow a subquery that has no alias.
	sqlKeywords = map[string]bool{"WHERE": true, "GROUP": true, "ORDER": true, "LIMIT": true, "JOIN": true,
		"LEFT": true, "INNER": true, "CROSS": true, "ON": true, "UNION": true, "EXCEPT": true, "INTERSECT": true,
		"HAVING": true, "WINDOW": true, "OFFSET": true, "RETURNING": true, "NATURAL": true}
)

// aliasSubqueries names each subquery in FROM or JOIN that has no alias,
// which PostgreSQL requires.
func aliasSubqueries(q string) string {
	var b strings.Builder
	n := 0
	for {
		loc := reFromParen.FindStringIndex(q)
		if loc == nil {
			b.WriteString(q)
			return b.String()
		}
		open := loc[1] - 1
		_, end := splitArgs(q, open)
		if end < 0 {
			b.WriteString(q)
			return b.String()
		}
		inner := aliasSubqueries(q[open+1 : end])
		b.WriteString(q[:open+1] + inner + ")")
		rest := q[end+1:]
		m := reNextWord.FindStringSubmatch(rest)
		if m == nil || sqlKeywords[strings.ToUpper(m[1])] {
			n++
			fmt.Fprintf(&b, " AS _q%d", n)
		}
		q = rest
	}
}

// topLevel is expression e without what its parentheses hold.
func topLevel(e string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(e); i++ {
		switch e[i] {
		case '(':
			depth++
		case ')':
			depth--
		default:
			if depth == 0 {
				b.WriteByte(e[i])
			}
		}
	}
	return b.String()
}

// splitArgs splits the arguments of the call whose "(" is at q[open],
// returning them and the index of the closing ")", or -1.
func splitArgs(q string, open int) ([]string, int) {
	depth := 0
	start := open + 1
	var args []string
	for i := open; i < len(q); i++ {
		switch q[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return append(args, q[start:i]), i
			}
		case ',':
			if depth == 1 {
				args = append(args, q[start:i])
				start = i + 1
			}
		}
	}
	return nil, -1
}

// readPool is the read pool (*sql.DB) seen through the dialect: the same
// methods, each statement in the engine's spelling. On SQLite it keeps
// its queries prepared (stmts): preparing a statement costs about as much
// CPU as running a short one, and the pages read the same few queries
// all day. PostgreSQL's driver keeps its own.
type readPool struct {
	*sql.DB
	d     *dialect
	stmts *stmtCache // nil: statements are prepared by the driver
}

func newReadPool(db *sql.DB, d *dialect) readPool {
	p := readPool{DB: db, d: d}
	if !d.postgres {
		p.stmts = &stmtCache{stmts: map[string]*sql.Stmt{}}
	}
	return p
}

func (p readPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmts.get(ctx, p.DB, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, p.d.sql(query), p.d.args(args)...)
}

func (p readPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.stmts.get(ctx, p.DB, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, p.d.sql(query), p.d.args(args)...)
}

func (p readPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.DB.ExecContext(ctx, p.d.sql(query), p.d.args(args)...)
}

func (p readPool) Query(query string, args ...any) (*sql.Rows, error) {
	return p.QueryContext(context.Background(), query, args...)
}

func (p readPool) QueryRow(query string, args ...any) *sql.Row {
	return p.QueryRowContext(context.Background(), query, args...)
}

func (p readPool) Exec(query string, args ...any) (sql.Result, error) {
	return p.DB.Exec(p.d.sql(query), p.d.args(args)...)
}

// Close closes the kept statements, then the pool.
func (p readPool) Close() error {
	return errors.Join(p.stmts.close(), p.DB.Close())
}

// BeginTx begins a read transaction. On PostgreSQL it reads one snapshot,
// as a SQLite read transaction does.
func (p readPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (readTx, error) {
	if p.d.postgres && opts == nil {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := p.DB.BeginTx(ctx, opts)
	return readTx{tx, p.d, p}, err
}

// readTx is a read transaction (*sql.Tx) seen through the dialect.
type readTx struct {
	*sql.Tx
	d    *dialect
	pool readPool // whose kept statements the transaction uses
}

func (t readTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.pool.stmts.get(ctx, t.pool.DB, query); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, t.d.sql(query), t.d.args(args)...)
}

func (t readTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.pool.stmts.get(ctx, t.pool.DB, query); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, t.d.sql(query), t.d.args(args)...)
}

// maxKeptStmts bounds the statements a read pool keeps prepared: queries
// put together from filters (search, lists) come in many texts, and those
// past the bound are prepared at each use, as before.
const maxKeptStmts = 512

// stmtCache is a read pool's prepared statements, by their text. database/sql
// prepares each on a pool connection when first used there.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// get returns query prepared, or nil when it is not kept (no cache, the
// bound reached, or preparing failed: running it unprepared then reports
// the error).
func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxKeptStmts
	c.mu.Unlock()
	if ok || full {
		return st
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if had, ok := c.stmts[query]; ok {
		st.Close()
		return had
	}
	if len(c.stmts) >= maxKeptStmts {
		st.Close()
		return nil
	}
	c.stmts[query] = st
	return st
}

func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}

// dbConn is a connection (*sql.Conn) seen through the dialect.
type dbConn struct {
	*sql.Conn
	d *dialect
}

func (c dbConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.Conn.QueryContext(ctx, c.d.sql(query), c.d.args(args)...)
}

func (c dbConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.Conn.QueryRowContext(ctx, c.d.sql(query), c.d.args(args)...)
}

func (c dbConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.Conn.ExecContext(ctx, c.d.sql(query), c.d.args(args)...)
}

func (c dbConn) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return c.Conn.PrepareContext(ctx, c.d.sql(query))
}

// stmtExec runs the writer statement id on the writer connection: on
// SQLite the statement prepared at open, on PostgreSQL its text, which pgx
// prepares once and keeps.
func (db *DB) stmtExec(ctx context.Context, id stmtID, args ...any) (sql.Result, error) {
	if db.dialect.postgres {
		return db.wconn.ExecContext(ctx, writerSQL[id], args...)
	}
	return db.stmts[id].ExecContext(ctx, args...)
}

// stmtQueryRow is stmtExec for a statement that returns at most one row.
func (db *DB) stmtQueryRow(ctx context.Context, id stmtID, args ...any) *sql.Row {
	if db.dialect.postgres {
		return db.wconn.QueryRowContext(ctx, writerSQL[id], args...)
	}
	return db.stmts[id].QueryRowContext(ctx, args...)
}

// stmtQuery is stmtExec for a statement that returns rows.
func (db *DB) stmtQuery(ctx context.Context, id stmtID, args ...any) (*sql.Rows, error) {
	if db.dialect.postgres {
		return db.wconn.QueryContext(ctx, writerSQL[id], args...)
	}
	return db.stmts[id].QueryContext(ctx, args...)
}

// execID runs the writer statement id, an INSERT of one row, and returns
// the new row's id.
func (w *writeTx) execID(ctx context.Context, id stmtID, args ...any) (int64, error) {
	if w.db.dialect.postgres {
		var n int64
		err := w.db.wconn.QueryRowContext(ctx, writerSQL[id]+" RETURNING id", args...).Scan(&n)
		return n, err
	}
	r, err := w.exec(ctx, id, args...)
	if err != nil {
		return 0, err
	}
	return r.LastInsertId()
}
