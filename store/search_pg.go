package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"switchboard/inbox"
)

// customPlan, given as a query's first argument, has PostgreSQL plan it
// with its arguments each time rather than once for any (pgx keeps a
// prepared statement for each query text, whose plan PostgreSQL makes
// generic after five runs). A search needs the plan for its own terms: a
// rare word is read from the GIN index, a common one by walking the
// newest messages until the window is full; a plan made for any word
// walks every message to find a rare one.
var customPlan any = pgx.QueryExecModeExec

func init() {
	// A database copied from SQLite (CopyToPostgres) gets its search
	// indexes from the copied rows, as migration 0002 indexes what is
	// stored before it.
	postgresBuilt = append(postgresBuilt,
		`INSERT INTO message_search (id, body, folded, words)
		SELECT id, body, folded, search_folded_vector(folded)
		FROM (SELECT id, body, search_fold(body) AS folded
			FROM (SELECT id, search_message_body(text, content) AS body FROM messages) m WHERE body <> '') f`,
		`INSERT INTO contact_search (id, name_folded, phone_folded, notes_folded, words)
		SELECT id, search_fold(name), search_fold(search_phone(phone)), search_fold(notes),
			search_vector(name, search_phone(phone), notes)
		FROM contacts`)
}

// Search on PostgreSQL reads message_search and contact_search
// (migrations/postgres/0002_search.sql) where SQLite reads its FTS5
// indexes, and gives the same results: the same matches, ranked alike, in
// the same windows and pages, with the same highlights. The words index is
// a tsvector of the words SQLite's unicode61 tokenizer finds; the trigram
// index is pg_trgm's on the folded text, which LIKE reads. The triggers
// keep both in the writing transaction: nothing waits to be indexed.
//
// A tsquery and a LIKE pattern are made from each term by the database's
// own functions (search_phrase, search_fold), so that a term and the text
// it is found in are split and folded by the same rules. Highlights are
// FTS5's snippet(), computed here (ftsSnippet) from the text the index
// holds; ranks are bm25 without the inverse document frequency, as SQLite
// ranks a full window (matchWindow), for every window.

// pgTermSQL are the tsquery phrase (NULL for a term without a word) and
// the LIKE pattern of each text, the last word of a phrase a prefix where
// prefix says so, its words restricted to the parts weights names.
func (db *DB) pgTermSQL(ctx context.Context, texts []string, prefix []bool, weights []string) ([]sql.NullString, []string, error) {
	rows, err := db.reader.DB.QueryContext(ctx, `SELECT search_phrase(t, p, w),
		'%' || replace(replace(replace(search_fold(t), '\', '\\'), '%', '\%'), '_', '\_') || '%'
		FROM unnest($1::text[], $2::boolean[], $3::text[]) WITH ORDINALITY AS u(t, p, w, n) ORDER BY n`,
		texts, prefix, weights)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var phrases []sql.NullString
	var likes []string
	for rows.Next() {
		var ph sql.NullString
		var like string
		if err := rows.Scan(&ph, &like); err != nil {
			return nil, nil, err
		}
		phrases, likes = append(phrases, ph), append(likes, like)
	}
	return phrases, likes, rows.Err()
}

// pgPlan fills in p's PostgreSQL queries: the tsquery of every term a
// whole word (or with prefixes, as wordMatch), a LIKE pattern for each
// term when the trigram index is searched, and the tsquery of the words
// nots that no match may hold.
func (db *DB) pgPlan(ctx context.Context, p *searchPlan, nots []inbox.SearchTerm) error {
	if p.words != "" || p.trigram != "" {
		if err := db.pgTermsPlan(ctx, p); err != nil {
			return err
		}
	}
	if len(nots) == 0 {
		return nil
	}
	texts, prefix, weights := make([]string, len(nots)), make([]bool, len(nots)), make([]string, len(nots))
	for i, t := range nots {
		texts[i] = t.Text
	}
	phrases, _, err := db.pgTermSQL(ctx, texts, prefix, weights)
	if err != nil {
		return err
	}
	var not []string
	for _, ph := range phrases {
		if ph.Valid { // a word the index cannot hold is in no message to leave out
			not = append(not, "("+ph.String+")")
		}
	}
	p.pgNot = strings.Join(not, " | ")
	return nil
}

// pgTermsPlan fills in the tsquery of p's terms and, when the trigram
// index is searched, their LIKE patterns.
func (db *DB) pgTermsPlan(ctx context.Context, p *searchPlan) error {
	prefixes := p.trigram == ""
	// Each term's phrases in the word index, then in the trigram index
	// (phraseGroups), in one list.
	words, tris := phraseGroups(p.terms, p.wordForms), phraseGroups(p.terms, p.triForms)
	var texts, weights []string
	var prefix []bool
	for _, groups := range [][][]inbox.SearchTerm{words, tris} {
		for _, g := range groups {
			for _, t := range g {
				texts, prefix, weights = append(texts, t.Text), append(prefix, prefixes && !t.Phrase), append(weights, "")
			}
		}
	}
	phrases, likes, err := db.pgTermSQL(ctx, texts, prefix, weights)
	if err != nil {
		return err
	}
	// A term with no word of the index's, in any of its forms, finds no
	// message by word.
	parts := make([]string, 0, len(words))
	for _, g := range words {
		var alts []string
		for _, ph := range phrases[:len(g)] {
			if ph.Valid {
				alts = append(alts, "("+ph.String+")")
			}
		}
		phrases, likes = phrases[len(g):], likes[len(g):]
		if len(alts) > 0 {
			parts = append(parts, "("+strings.Join(alts, " | ")+")")
		}
	}
	if len(parts) == len(words) {
		p.pgWords = strings.Join(parts, " & ")
	}
	if p.trigram != "" {
		p.pgLikes = make([][]string, len(tris))
		for i, g := range tris {
			p.pgLikes[i], likes = likes[:len(g)], likes[len(g):]
		}
	}
	return nil
}

// pgContactMatch is contactMatch on PostgreSQL: the condition on
// contact_search cs that every term matches, its arguments, and the rank
// of a match (higher is better).
func (db *DB) pgContactMatch(ctx context.Context, terms []inbox.SearchTerm) (cond string, args []any, rank string, rankArgs []any, err error) {
	text := func(t inbox.SearchTerm) string {
		if t.Digits != "" {
			return t.Digits
		}
		return t.Text
	}
	tri := true
	for _, t := range terms {
		if utf8.RuneCountInString(text(t)) < 3 {
			tri = false
		}
	}
	// Each term asks for the digits, the digits without leading zeros and
	// the text as typed (a phone-like term), or the text; the text in each
	// of its forms (apostropheForms, letterForms).
	type ask struct {
		text, weights string
		term          int
	}
	var asks []ask
	letters := letterFormsOf(terms)
	for i, t := range terms {
		if t.Digits == "" {
			for _, v := range append(apostropheForms(t.Text), letters[i]...) {
				asks = append(asks, ask{v, "", i})
			}
			continue
		}
		asks = append(asks, ask{t.Digits, "B", i})
		if alt := strings.TrimLeft(t.Digits, "0"); alt != t.Digits && utf8.RuneCountInString(alt) >= 3 {
			asks = append(asks, ask{alt, "B", i})
		}
		for _, v := range append(apostropheForms(t.Text), letters[i]...) {
			asks = append(asks, ask{v, "AC", i})
		}
	}
	texts, prefix, weights := make([]string, len(asks)), make([]bool, len(asks)), make([]string, len(asks))
	for i, a := range asks {
		texts[i], prefix[i], weights[i] = a.text, !tri && !terms[a.term].Phrase, a.weights
	}
	phrases, likes, err := db.pgTermSQL(ctx, texts, prefix, weights)
	if err != nil {
		return "", nil, "", nil, err
	}
	alts := make([][]string, len(terms))
	for i, a := range asks {
		if tri {
			var c string
			switch a.weights {
			case "":
				c = "(cs.name_folded LIKE ? OR cs.phone_folded LIKE ? OR cs.notes_folded LIKE ?)"
				args = append(args, likes[i], likes[i], likes[i])
			case "B":
				c = "cs.phone_folded LIKE ?"
				args = append(args, likes[i])
			default:
				c = "cs.name_folded LIKE ? OR cs.notes_folded LIKE ?"
				args = append(args, likes[i], likes[i])
			}
			alts[a.term] = append(alts[a.term], c)
		} else if phrases[i].Valid {
			alts[a.term] = append(alts[a.term], "("+phrases[i].String+")")
		}
	}
	if tri {
		conds := make([]string, len(terms))
		var joined []string
		for i, a := range alts {
			conds[i] = "(" + strings.Join(a, " OR ") + ")"
			joined = append(joined, text(terms[i]))
		}
		// The more of the contact's text the terms make up, the better, as
		// bm25 ranks a shorter text first; texts as long rank the same, so
		// latest activity orders them, as on SQLite. (pg_trgm's similarity
		// counts distinct trigrams: a number of repeated digits would rank
		// above another.) By word, ts_rank with the length of the text
		// weighing as in bm25 (normalization 1).
		return strings.Join(conds, " AND "),
			args, "char_length(search_fold(?))::float8 / greatest(1, char_length(cs.name_folded || ' ' || cs.phone_folded || ' ' || cs.notes_folded))",
			[]any{strings.Join(joined, " ")}, nil
	}
	conds := make([]string, len(terms))
	for i, a := range alts {
		if len(a) == 0 {
			return "FALSE", nil, "0", nil, nil
		}
		conds[i] = "(" + strings.Join(a, " | ") + ")"
	}
	q := strings.Join(conds, " & ")
	return "cs.words @@ CAST(? AS tsquery)", []any{q}, "ts_rank(cs.words, CAST(? AS tsquery), 1)", []any{q}, nil
}

// pgMatchWindow is matchWindow on PostgreSQL: up to searchWindow matches
// below top in the word index (tier 0) or the trigram index (tier 1) that
// pass the filters, newest first, with their rank (lower is better).
func (db *DB) pgMatchWindow(ctx context.Context, p *searchPlan, tier int, top int64) ([]messageCandidate, error) {
	var match []string
	var args []any
	if tier == 0 {
		if p.pgWords == "" {
			return nil, nil
		}
		match, args = []string{"s.words @@ CAST(? AS tsquery)"}, []any{p.pgWords}
	} else {
		for _, likes := range p.pgLikes {
			alts := make([]string, len(likes))
			for i, like := range likes {
				alts[i] = "s.folded LIKE ?"
				args = append(args, like)
			}
			match = append(match, "("+strings.Join(alts, " OR ")+")")
		}
		if len(match) == 0 {
			return nil, nil
		}
	}
	if p.pgNot != "" {
		match, args = append(match, "NOT s.words @@ CAST(? AS tsquery)"), append(args, p.pgNot)
	}
	q := `SELECT s.id, s.body FROM message_search s`
	if len(p.convConds) > 0 || len(p.msgConds) > 0 {
		q += ` JOIN messages m ON m.id = s.id`
	}
	join, cond, fargs := p.filters()
	q += join
	args = append(append(args, top), fargs...)
	q += ` WHERE ` + strings.Join(match, " AND ") + ` AND s.id < ?` + cond + ` ORDER BY s.id DESC LIMIT ?`
	args = append(args, searchWindow)
	rows, err := db.reader.QueryContext(ctx, q, append([]any{customPlan}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var docs []windowDoc
	for rows.Next() {
		var d windowDoc
		if err := rows.Scan(&d.id, &d.body); err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	counts := func(body string) ([]int, int) { return indexCounts(body, p.terms, tier, p.trigram == "") }
	if len(docs) == searchWindow {
		// As SQLite ranks a full window.
		counts = func(body string) ([]int, int) { return termCounts(body, p.terms) }
	}
	ranks := windowRanks(docs, counts)
	out := make([]messageCandidate, len(docs))
	for i, d := range docs {
		out[i] = messageCandidate{id: d.id, rank: ranks[d.id]}
	}
	return out, nil
}

// pgSnippets are the highlights of the messages of cs an index found,
// from the text the index holds: FTS5's snippet() of the index each was
// found in. Those found by reading the messages (tier 2) have theirs
// from their text, as on SQLite (messageHits).
func (db *DB) pgSnippets(ctx context.Context, p *searchPlan, cs []messageCandidate) (map[int64]string, error) {
	ids := make([]int64, 0, len(cs))
	tiers := make(map[int64]int, len(cs))
	for _, c := range cs {
		if c.tier != 2 {
			ids = append(ids, c.id)
			tiers[c.id] = c.tier
		}
	}
	rows, err := db.reader.DB.QueryContext(ctx, `SELECT id, body FROM message_search WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]string, len(cs))
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, err
		}
		switch {
		case utf8.RuneCountInString(body) > snippetFTSMax:
			out[id] = scanSnippet(body, lowerTerms(p.terms)) // as on SQLite
		case tiers[id] == 0:
			out[id] = wordSnippet(body, phrases(p.terms, p.wordForms), p.trigram == "", snippetWords)
		default:
			out[id] = trigramSnippet(body, phrases(p.terms, p.triForms), snippetChars)
		}
	}
	return out, rows.Err()
}

// pgContactIDs is contactIDs on PostgreSQL.
func (db *DB) pgContactIDs(ctx context.Context, terms []inbox.SearchTerm, max int) ([]int64, error) {
	cond, args, _, _, err := db.pgContactMatch(ctx, terms)
	if err != nil {
		return nil, err
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT cs.id FROM contact_search cs WHERE `+cond+` LIMIT ?`,
		append(append([]any{customPlan}, args...), max)...)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

// windowDoc is a message of a window with its searchable text.
type windowDoc struct {
	id     int64
	body   string
	tf     []int
	length int
}

// windowRanks are the ranks of docs (lower is better): bm25 without the
// inverse document frequency, the lengths' average taken over docs, with
// the frequency of each term in a text and its length as counts says. As
// every match holds every term, the frequencies would weigh alike on all
// of them.
func windowRanks(docs []windowDoc, counts func(body string) ([]int, int)) map[int64]float64 {
	total := 0
	for i := range docs {
		docs[i].tf, docs[i].length = counts(docs[i].body)
		total += docs[i].length
	}
	avg := float64(max(total, 1)) / float64(max(len(docs), 1))
	const k1, b = 1.2, 0.75
	ranks := make(map[int64]float64, len(docs))
	for _, d := range docs {
		score := 0.0
		for _, tf := range d.tf {
			f := float64(tf)
			score += f * (k1 + 1) / (f + k1*(1-b+b*float64(d.length)/avg))
		}
		ranks[d.id] = -score // as bm25: lower is better
	}
	return ranks
}

// The highlights FTS5's snippet() gives, for text PostgreSQL found.

// foldAccents maps the accented Latin letters to their base letters, as
// the indexes remove accents (NFD without its combining marks).
var foldAccents = func() map[rune]rune {
	from := []rune("ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽž")
	to := []rune("AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZz")
	m := make(map[rune]rune, len(from))
	for i, r := range from {
		m[r] = to[i]
	}
	return m
}()

// foldRune is r in lower case without its accent.
func foldRune(r rune) rune {
	if b, ok := foldAccents[r]; ok {
		r = b
	}
	return unicode.ToLower(r)
}

// ftsToken is a token of a text: its bytes, and its folded form.
type ftsToken struct {
	start, end int
	text       string
}

// wordTokens are the words of s: runs of letters and digits, folded.
func wordTokens(s string) []ftsToken {
	var out []ftsToken
	start := -1
	var b strings.Builder
	flush := func(end int) {
		if start >= 0 {
			out = append(out, ftsToken{start, end, b.String()})
			start = -1
			b.Reset()
		}
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			if start < 0 {
				start = i
			}
			b.WriteRune(foldRune(r))
		case unicode.Is(unicode.Mn, r) && start >= 0:
			// An accent written apart stays in its word, removed.
		default:
			flush(i)
		}
	}
	flush(len(s))
	return out
}

// ftsInst is a phrase found at a token position.
type ftsInst struct{ phrase, pos int }

// indexCounts are how often each term occurs in body and its length, in
// the tokens of the word index (tier 0) or the trigram index (tier 1), as
// FTS5's bm25 counts them; a term occurs at least once (it matched).
func indexCounts(body string, terms []inbox.SearchTerm, tier int, prefixes bool) ([]int, int) {
	var toks []ftsToken
	var insts []ftsInst
	if tier == 0 {
		toks, insts, _ = wordInstances(body, terms, prefixes)
	} else {
		toks, insts, _ = trigramInstances(body, terms)
	}
	tf := make([]int, len(terms))
	for _, in := range insts {
		tf[in.phrase]++
	}
	for i := range tf {
		tf[i] = max(tf[i], 1)
	}
	return tf, max(len(toks), 1)
}

// wordSnippet is FTS5's snippet() of body in the word index for terms,
// the last word of each a prefix when prefixes (and the term unquoted).
func wordSnippet(body string, terms []inbox.SearchTerm, prefixes bool, size int) string {
	toks, insts, sizes := wordInstances(body, terms, prefixes)
	return ftsSnippet(body, toks, insts, sizes, size)
}

// wordInstances are the words of body, and where each term's phrase is
// found among them.
func wordInstances(body string, terms []inbox.SearchTerm, prefixes bool) ([]ftsToken, []ftsInst, []int) {
	toks := wordTokens(body)
	var insts []ftsInst
	sizes := make([]int, len(terms))
	for ip, t := range terms {
		words := wordTokens(t.Text)
		sizes[ip] = len(words)
		if len(words) == 0 {
			continue
		}
		prefix := prefixes && !t.Phrase
	doc:
		for pos := 0; pos+len(words) <= len(toks); pos++ {
			for k, w := range words {
				tok := toks[pos+k].text
				if tok != w.text && !(prefix && k == len(words)-1 && strings.HasPrefix(tok, w.text)) {
					continue doc
				}
			}
			insts = append(insts, ftsInst{ip, pos})
		}
	}
	return toks, insts, sizes
}

// trigramSnippet is FTS5's snippet() of body in the trigram index for
// terms.
func trigramSnippet(body string, terms []inbox.SearchTerm, size int) string {
	toks, insts, sizes := trigramInstances(body, terms)
	return ftsSnippet(body, toks, insts, sizes, size)
}

// trigramInstances are the tokens of body in the trigram index (each
// three characters), and where each term is found among them: where its
// folded text is.
func trigramInstances(body string, terms []inbox.SearchTerm) ([]ftsToken, []ftsInst, []int) {
	var offs []int
	var folded []rune
	for i, r := range body {
		offs = append(offs, i)
		folded = append(folded, foldRune(r))
	}
	offs = append(offs, len(body))
	var toks []ftsToken
	for i := 0; i+3 <= len(folded); i++ {
		toks = append(toks, ftsToken{start: offs[i], end: offs[i+3]})
	}
	var insts []ftsInst
	sizes := make([]int, len(terms))
	for ip, t := range terms {
		var term []rune
		for _, r := range t.Text {
			term = append(term, foldRune(r))
		}
		sizes[ip] = len(term) - 2
		if len(term) < 3 {
			continue
		}
		for pos := 0; pos+len(term) <= len(folded); pos++ {
			if slices.Equal(folded[pos:pos+len(term)], term) {
				insts = append(insts, ftsInst{ip, pos})
			}
		}
	}
	return toks, insts, sizes
}

// ftsSnippet is FTS5's snippet(): of the fragments of nToken tokens
// around each match, the one with the most distinct phrases, then the
// most matches (a sentence's start preferred), its matches enclosed in
// the marks, with an ellipsis where text is left out on either side.
func ftsSnippet(doc string, toks []ftsToken, insts []ftsInst, sizes []int, nToken int) string {
	slices.SortStableFunc(insts, func(a, b ftsInst) int { return a.pos - b.pos })
	nDoc := len(toks)
	// The tokens that begin a sentence: the first, and each after a '.'
	// or ':' and white space.
	var first []int
	for i, tk := range toks {
		if i == 0 {
			first = append(first, 0)
			continue
		}
		j := tk.start - 1
		var c byte
		for ; j >= 0; j-- {
			c = doc[j]
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				break
			}
		}
		if j != tk.start-1 && (c == '.' || c == ':') {
			first = append(first, i)
		}
	}
	score := func(iPos int) (int, int) {
		seen := map[int]bool{}
		s, iFirst, iLast := 0, -1, 0
		for _, in := range insts {
			if in.pos >= iPos && in.pos < iPos+nToken {
				if seen[in.phrase] {
					s++
				} else {
					s += 1000
				}
				seen[in.phrase] = true
				if iFirst < 0 {
					iFirst = in.pos
				}
				iLast = in.pos + sizes[in.phrase]
			}
		}
		adj := iFirst - (nToken-(iLast-iFirst))/2
		if adj+nToken > nDoc {
			adj = nDoc - nToken
		}
		return s, max(adj, 0)
	}
	best, bestStart := 0, 0
	for _, in := range insts {
		s, adj := score(in.pos)
		if s > best {
			best, bestStart = s, adj
		}
		if len(first) > 0 && nDoc > nToken {
			jj := 0
			for ; jj < len(first)-1; jj++ {
				if first[jj+1] > in.pos {
					break
				}
			}
			if first[jj] < in.pos {
				s, _ := score(first[jj])
				if first[jj] == 0 {
					s += 120
				} else {
					s += 100
				}
				if s > best {
					best, bestStart = s, first[jj]
				}
			}
		}
	}

	var b strings.Builder
	rangeStart, rangeEnd := bestStart, bestStart+nToken-1
	if bestStart > 0 {
		b.WriteString("…")
	}
	// The matches, those that overlap taken as one.
	it, iterStart, iterEnd := 0, -1, -1
	next := func() {
		iterStart, iterEnd = -1, -1
		for it < len(insts) {
			in := insts[it]
			end := in.pos - 1 + sizes[in.phrase]
			if iterStart < 0 {
				iterStart, iterEnd = in.pos, end
			} else if in.pos <= iterEnd {
				iterEnd = max(iterEnd, end)
			} else {
				break
			}
			it++
		}
	}
	next()
	for iterStart >= 0 && iterStart < bestStart {
		next()
	}
	off, open := 0, false
	text := func(from, to int) {
		if to > from {
			b.WriteString(doc[from:to])
		}
	}
	for iPos, tk := range toks {
		if iPos < rangeStart || iPos > rangeEnd {
			continue
		}
		if rangeStart > 0 && iPos == rangeStart {
			off = tk.start
		}
		if open && (iPos <= iterStart || iterStart < 0) && tk.start > off {
			b.WriteString(inbox.SnippetMarkClose)
			open = false
		}
		if iPos == iterStart && !open {
			text(off, tk.start)
			b.WriteString(inbox.SnippetMarkOpen)
			off, open = tk.start, true
		}
		if iPos == iterEnd {
			if !open {
				b.WriteString(inbox.SnippetMarkOpen)
				open = true
			}
			text(off, tk.end)
			off = max(off, tk.end)
			next()
		}
		if iPos == rangeEnd {
			if open {
				if iterStart >= 0 && iPos >= iterStart {
					text(off, tk.end)
					off = max(off, tk.end)
				}
				b.WriteString(inbox.SnippetMarkClose)
				open = false
			}
			text(off, tk.end)
			off = max(off, tk.end)
		}
	}
	if open {
		b.WriteString(inbox.SnippetMarkClose)
	}
	if rangeEnd >= nDoc-1 {
		text(off, len(doc))
	} else {
		b.WriteString("…")
	}
	return b.String()
}
