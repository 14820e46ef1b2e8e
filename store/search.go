package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"switchboard/inbox"
)

// Search reads the indexes migration 0015 keeps (messages_fts and
// contacts_fts for words and prefixes, messages_tri and contacts_tri for
// substrings). Results come in this order:
//
//  1. contacts whose name or number matches every term, with each of
//     their conversations that passes the filters (at most
//     searchContactCap), by bm25 then latest activity;
//  2. messages, in windows of the searchWindow newest matches: within a
//     window, messages where every term is a whole word (bm25 of the word
//     index), then those where some term is only a prefix or a substring
//     (bm25 of the trigram index), newer (stored later) first on ties. A
//     term shorter than three characters, which the trigram index cannot
//     find, makes the word index find prefixes instead.
//
// Whole words rather than prefixes in the word index keep a query cheap:
// FTS5 reads a prefix by merging the lists of every word it begins, all
// of them, while a word's list it reads only in the range of the window.
//
// The indexes take changes in batches (search_index.go): a search first
// has the writer apply what waits (catchUpSearch), so that it finds
// every message and contact stored before it began.
//
// A query that matches fewer than searchWindow messages is thus ranked as
// a whole; one that matches more (a common word) is ranked a window at a
// time, so a page costs the same whatever the size of the history, and a
// cursor stays valid while new messages arrive (they are above the
// window).
//
// The window is a few pages: ranking it reads each of its messages (for
// more than a window of matches) and costs in proportion, about 8 ms of
// CPU for 200 at 1M messages, 35 ms for 1,000.
const (
	searchWindow     = 200
	searchContactCap = 200
	searchFromCap    = 1000
	// A snippet's length: words in the word index, characters in the
	// trigram index.
	snippetWords = 14
	snippetChars = 60
)

// searchCursor is where a page of search starts: in the contacts, at
// offset; or in the messages, in the window of matches below top.
//
// In the contacts, top and convTop are the first page's horizon: the
// messages and conversations stored until then (ids below them). Every
// page orders the contacts' conversations by their latest activity as it
// was then, and leaves out those from convTop on, so that a customer who
// writes between two pages, moving up the lists, is neither shown twice
// nor skipped; the messages then start below top too.
type searchCursor struct {
	messages bool
	top      int64
	offset   int
	convTop  int64
}

func (c searchCursor) encode() string {
	s := "c:" + strconv.Itoa(c.offset) + ":" + strconv.FormatInt(c.top, 10) + ":" + strconv.FormatInt(c.convTop, 10)
	if c.messages {
		s = "m:" + strconv.FormatInt(c.top, 10) + ":" + strconv.Itoa(c.offset)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeSearchCursor(s string) (searchCursor, error) {
	start := searchCursor{top: math.MaxInt64}
	if s == "" {
		return start, nil
	}
	bad := fmt.Errorf("cursor %q: %w", s, inbox.ErrInvalid)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return start, bad
	}
	parts := strings.Split(string(b), ":")
	num := func(p string) (int64, bool) {
		n, err := strconv.ParseInt(p, 10, 64)
		return n, err == nil && n >= 0
	}
	switch {
	case len(parts) == 4 && parts[0] == "c":
		off, ok1 := num(parts[1])
		top, ok2 := num(parts[2])
		convTop, ok3 := num(parts[3])
		if !ok1 || !ok2 || !ok3 || off > searchContactCap || top < 1 || convTop < 1 {
			return start, bad
		}
		return searchCursor{top: top, offset: int(off), convTop: convTop}, nil
	case len(parts) == 3 && parts[0] == "m":
		top, ok1 := num(parts[1])
		off, ok2 := num(parts[2])
		if !ok1 || !ok2 || top < 1 || off > searchWindow {
			return start, bad
		}
		return searchCursor{messages: true, top: top, offset: int(off)}, nil
	}
	return start, bad
}

// ftsQuote is s as an FTS5 string: whatever the user typed is text, never
// query syntax.
func ftsQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// hasWordChar is true when s has a letter or digit, which the word index
// keeps; other characters separate words.
func hasWordChar(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0
}

// emoji is true for an emoji or another pictograph (a symbol of Unicode's
// category So): the word index leaves them out as it does punctuation,
// but they are something to find.
func emoji(r rune) bool { return unicode.Is(unicode.So, r) }

// emojiOnly is true for a term of emoji and no letter or digit, which
// neither the word index nor (under three characters) the trigram index
// can find.
func emojiOnly(t inbox.SearchTerm) bool { return !hasWordChar(t.Text) }

// searchTerms are the terms worth searching: those with a letter, a digit
// or an emoji. A word's text loses what is none of them at its ends
// ("refu*", "(refund)", "order,", the skin tone of 👍🏽): typed out of
// habit, it is not in the text to find, where it would stop a part of a
// word from being found at all; within a word it stays (W-7781). A quoted
// phrase is kept as typed. A term given again (a pasted message repeats
// its words) is searched once: each is a pass over the indexes, and adds
// nothing. At most maxSearchTerms distinct terms are searched.
func searchTerms(q inbox.SearchQuery) []inbox.SearchTerm {
	var out []inbox.SearchTerm
	seen := make(map[inbox.SearchTerm]bool)
	for _, t := range q.Terms {
		if len(out) == maxSearchTerms {
			break
		}
		t.Text = strings.TrimSpace(t.Text)
		if !t.Phrase {
			t.Text = strings.TrimFunc(t.Text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !emoji(r) })
		}
		t.Text, t.Digits = firstRunes(t.Text, maxTermLength), firstRunes(t.Digits, maxTermLength)
		key := t
		key.Text = strings.ToLower(t.Text)
		if (hasWordChar(t.Text) || strings.IndexFunc(t.Text, emoji) >= 0) && !seen[key] {
			seen[key] = true
			out = append(out, t)
		}
	}
	return out
}

// maxSearchTerms bounds the distinct terms of one search. Each is one
// more condition of the queries (one more level of an SQL expression,
// which SQLite refuses past 1,000) and one more pass over an index; a
// paste of a long message still finds that message by its first
// hundred distinct words, which no person types.
const maxSearchTerms = 100

// maxTermLength bounds a term, in characters: a longer one (a quoted
// sentence, a pasted run of letters) is searched by its first ones. The
// cost of matching a term grows with its length times the places in the
// messages where its parts are found: a term of 1,000 letters against 21
// messages of 4,096 took 3.5 s, and against one of 64 KiB ran out of
// memory.
const maxTermLength = 64

// firstRunes is s cut to its first n characters.
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// wordMatch is the FTS5 query for the word index: every term a whole
// word (a phrase, when quoted or of several words), or with prefixes the
// last word of each also as a prefix; a term found as any of its forms
// too (forms[i] for terms[i], numberForms; forms may be nil).
func wordMatch(terms []inbox.SearchTerm, forms [][]string, prefixes bool) string {
	parts := make([]string, 0, len(terms))
	for _, t := range phraseGroups(terms, forms) {
		alts := make([]string, 0, len(t))
		for _, f := range t {
			p := ftsQuote(f.Text)
			if prefixes && !f.Phrase {
				p += "*"
			}
			alts = append(alts, p)
		}
		parts = append(parts, orGroup(alts))
	}
	return strings.Join(parts, " AND ")
}

// trigramMatch is the FTS5 query for the trigram index: every term a
// substring, or one of its forms (forms[i] for terms[i]). It is empty
// when a term is shorter than three characters, which the trigram index
// cannot find.
func trigramMatch(terms []inbox.SearchTerm, forms [][]string) string {
	parts := make([]string, 0, len(terms))
	for _, t := range phraseGroups(terms, forms) {
		if utf8.RuneCountInString(t[0].Text) < 3 {
			return ""
		}
		alts := make([]string, 0, len(t))
		for _, f := range t {
			alts = append(alts, ftsQuote(f.Text))
		}
		parts = append(parts, orGroup(alts))
	}
	return strings.Join(parts, " AND ")
}

// orGroup is the FTS5 alternatives alts as one expression.
func orGroup(alts []string) string {
	if len(alts) == 1 {
		return alts[0]
	}
	return "(" + strings.Join(alts, " OR ") + ")"
}

// phraseGroups are the phrases a search looks for, by term: each term,
// then its forms (forms[i] for terms[i], as phrases when the term is
// one), in the order the index's query names them, which its snippets
// number them by.
func phraseGroups(terms []inbox.SearchTerm, forms [][]string) [][]inbox.SearchTerm {
	out := make([][]inbox.SearchTerm, len(terms))
	for i, t := range terms {
		out[i] = []inbox.SearchTerm{t}
		if i < len(forms) {
			for _, f := range forms[i] {
				out[i] = append(out[i], inbox.SearchTerm{Text: f, Phrase: t.Phrase})
			}
		}
	}
	return out
}

// phrases are phraseGroups one after the other.
func phrases(terms []inbox.SearchTerm, forms [][]string) []inbox.SearchTerm {
	var out []inbox.SearchTerm
	for _, g := range phraseGroups(terms, forms) {
		out = append(out, g...)
	}
	return out
}

// runsWordsTogether is true for a term shorter than three characters in a
// script that writes its words without spaces (Chinese, Japanese). The
// word index keeps a run of such text as one word, and the trigram index
// cannot find fewer than three characters, so neither finds 订单 (order)
// inside 我的订单在哪里; most words of these languages have two.
func runsWordsTogether(t inbox.SearchTerm) bool {
	return utf8.RuneCountInString(t.Text) < 3 && strings.IndexFunc(t.Text, func(r rune) bool {
		return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
	}) >= 0
}

// needsScan is true for a term the indexes cannot find where it is:
// one that runs its words together, or emoji alone.
func needsScan(t inbox.SearchTerm) bool { return runsWordsTogether(t) || emojiOnly(t) }

// contactScan is the condition on the contact ct that it matches every
// term, read from the contact itself rather than an index: for terms of
// which one the indexes cannot find where it is (needsScan), such as 小明
// in 王小明. The contacts are few beside the messages.
func contactScan(terms []inbox.SearchTerm) (string, []any) {
	parts := make([]string, 0, len(terms))
	var args []any
	for _, t := range terms {
		var alts []string
		for _, v := range apostropheForms(t.Text) {
			alts = append(alts, "instr(lower(ct.name), ?) > 0 OR instr(lower(ct.notes), ?) > 0")
			args = append(args, strings.ToLower(v), strings.ToLower(v))
		}
		p := strings.Join(alts, " OR ")
		if t.Digits != "" {
			p += " OR instr(ct.phone, ?) > 0"
			args = append(args, t.Digits)
		}
		parts = append(parts, "("+p+")")
	}
	return strings.Join(parts, " AND "), args
}

// apostrophes are the ways a name's apostrophe is written: typed on a
// computer ('), or as a phone or a word processor sets it (’, and ‘ or ʼ
// now and then).
const apostrophes = "'’‘ʼ"

// apostropheForms is s written with each of the apostrophes in place of
// those it holds, s first; s alone when it holds none. The contacts'
// indexes keep a name as it was written, where O’Brien, from a phone, is
// no substring of O'Brien typed at a desk; the messages' word indexes
// take an apostrophe for a space between words, and find either.
func apostropheForms(s string) []string {
	if !strings.ContainsAny(s, apostrophes) {
		return []string{s}
	}
	forms := []string{s}
	for _, a := range apostrophes {
		v := strings.Map(func(r rune) rune {
			if strings.ContainsRune(apostrophes, r) {
				return a
			}
			return r
		}, s)
		if !slices.Contains(forms, v) {
			forms = append(forms, v)
		}
	}
	return forms
}

// The accents SQLite's indexes keep: they take the accents off Latin
// letters alone (FTS5's unicode61 tokenizer), where PostgreSQL's
// search_fold takes them off Greek and Cyrillic ones too. Greek writes a
// word's stress (tonos) on one vowel, and leaves it out in capitals
// (ΑΘΗΝΑ, Αθήνα); Russian mostly writes ё as е (елка, ёлка).
var (
	// unaccented maps a Greek vowel with tonos or dialytika, and ё, to
	// the letter without.
	unaccented = map[rune]rune{'ά': 'α', 'έ': 'ε', 'ή': 'η', 'ί': 'ι', 'ϊ': 'ι', 'ΐ': 'ι', 'ό': 'ο', 'ύ': 'υ',
		'ϋ': 'υ', 'ΰ': 'υ', 'ώ': 'ω', 'ё': 'е'}
	// accented maps a letter to its form with the accent a word may
	// carry on it.
	accented = map[rune]rune{'α': 'ά', 'ε': 'έ', 'η': 'ή', 'ι': 'ί', 'ο': 'ό', 'υ': 'ύ', 'ω': 'ώ', 'е': 'ё'}
)

// maxAccentForms bounds the forms accentForms gives the terms of one
// search, all together: each is one more pass over an index, and a
// pasted message (found by its words as written) needs none.
const maxAccentForms = 16

// accentFormsOf are accentForms of each of terms, at most maxAccentForms
// in all, the first terms' first.
func accentFormsOf(terms []inbox.SearchTerm) [][]string {
	out := make([][]string, len(terms))
	left := maxAccentForms
	for i, t := range terms {
		forms := accentForms(t)
		out[i] = forms[:min(len(forms), left)]
		left -= len(out[i])
	}
	return out
}

// accentForms are the ways a Greek or Russian word of t may be written
// that SQLite's indexes tell apart from it and PostgreSQL's do not: with
// no accent, and with one on each of its vowels (a Russian word, ё for
// each е); for a phrase, without its accents alone. None is t as written.
// Words of other scripts have none.
func accentForms(t inbox.SearchTerm) []string {
	lower := strings.ToLower(t.Text)
	base := strings.Map(func(r rune) rune {
		if b, ok := unaccented[r]; ok {
			return b
		}
		return r
	}, lower)
	var out []string
	add := func(f string) {
		if f != lower && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	add(base)
	if strings.ContainsFunc(base, unicode.IsSpace) {
		return out
	}
	runes := []rune(base)
	for i, r := range runes {
		if a, ok := accented[r]; ok {
			runes[i] = a
			add(string(runes))
			runes[i] = r
		}
	}
	return out
}

// letterSpellings are the letters that no index takes the accent off
// (they are letters of their own, not one with a mark), beside how a
// keyboard without them spells them: Michał as Michal, Søren as Soren,
// Đức as Duc, Weiß as Weiss, Ærø as Aero.
var letterSpellings = [][2]string{{"ss", "ß"}, {"ae", "æ"}, {"oe", "œ"}, {"l", "ł"}, {"o", "ø"}, {"d", "đ"}}

// maxLetterForms bounds the forms letterFormsOf gives the terms of one
// contact search, all together.
const maxLetterForms = 16

// letterForms are the ways a name typed as t may be written with the
// letters of letterSpellings: for each, with it in place of one of its
// spellings, and in place of all of them (Władysław for wladyslaw); and
// with every one in place of all of their spellings (Ærø for aero). None
// is t as written.
func letterForms(t inbox.SearchTerm) []string {
	lower := strings.ToLower(t.Text)
	var out []string
	add := func(f string) {
		if f != lower && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	all := lower
	for _, ls := range letterSpellings {
		all = strings.ReplaceAll(all, ls[0], ls[1])
	}
	add(all)
	for _, ls := range letterSpellings {
		for i := 0; ; {
			at := strings.Index(lower[i:], ls[0])
			if at < 0 {
				break
			}
			at += i
			add(lower[:at] + ls[1] + lower[at+len(ls[0]):])
			i = at + len(ls[0])
		}
		add(strings.ReplaceAll(lower, ls[0], ls[1]))
	}
	return out
}

// letterFormsOf are letterForms of each of terms, at most maxLetterForms
// in all, the first terms' first. The contacts' indexes are small: a
// contact search can afford them where a search of the messages cannot.
func letterFormsOf(terms []inbox.SearchTerm) [][]string {
	out := make([][]string, len(terms))
	left := maxLetterForms
	for i, t := range terms {
		forms := letterForms(t)
		out[i] = forms[:min(len(forms), left)]
		left -= len(out[i])
	}
	return out
}

// contactMatch is the FTS5 query, and its table, for contacts that match
// every term: phone-like terms in the digits of the number or as typed in
// the name or notes, others anywhere; by substring when every term has three characters or
// more, else by word and prefix.
func contactMatch(terms []inbox.SearchTerm) (table, match string) {
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
	star := func(p string, t inbox.SearchTerm) string {
		if !tri && !t.Phrase {
			return p + "*"
		}
		return p
	}
	// The text as typed, in each way of writing its apostrophes.
	accents, letters := accentFormsOf(terms), letterFormsOf(terms)
	typed := func(i int, t inbox.SearchTerm) string {
		forms := append(append(apostropheForms(t.Text), accents[i]...), letters[i]...)
		for i, v := range forms {
			forms[i] = star(ftsQuote(v), t)
		}
		if len(forms) == 1 {
			return forms[0]
		}
		return "(" + strings.Join(forms, " OR ") + ")"
	}
	parts := make([]string, 0, len(terms))
	for i, t := range terms {
		if t.Digits == "" {
			parts = append(parts, typed(i, t))
			continue
		}
		p := star(ftsQuote(text(t)), t)
		// In the number's digits, or as typed in the name or notes
		// ("order 5512"). A number read in the business's country
		// that still starts with 0 may be another country's written
		// nationally ("0176..." at a business in the US): its digits
		// without the leading zeros are found too.
		if alt := strings.TrimLeft(t.Digits, "0"); alt != t.Digits && utf8.RuneCountInString(alt) >= 3 {
			p = "(" + p + " OR " + star(ftsQuote(alt), t) + ")"
		}
		p = "(phone : " + p + " OR {name notes} : " + typed(i, t) + ")"
		parts = append(parts, p)
	}
	if tri {
		return "contacts_tri", strings.Join(parts, " AND ")
	}
	return "contacts_fts", strings.Join(parts, " AND ")
}

// searchPlan is a search made ready for SQL.
type searchPlan struct {
	terms []inbox.SearchTerm
	// wordForms and triForms are, for each term, the other ways a message
	// may write the phone number it names (numberForms), in the word and
	// the trigram index; nil when no term is a number.
	wordForms, triForms [][]string
	words               string // FTS5 query on messages_fts; empty for none
	trigram             string // on messages_tri; empty for none
	// conds are conditions on the conversation c and message m, with args.
	convConds []string
	convArgs  []any
	msgConds  []string
	msgArgs   []any
	// fromIDs, when not nil, are the only contacts whose conversations
	// count (from:).
	fromIDs []int64
	// On PostgreSQL (search_pg.go): the tsquery of the word index (empty
	// for none) and the LIKE patterns of the trigram index (nil for none).
	pgWords string
	pgLikes [][]string
	// pgNot is, on PostgreSQL, the tsquery of the words no match may hold
	// (-late), empty for none: not's counterpart.
	pgNot string
	// not is the FTS5 query of the word index for the words no match may
	// hold (-late), empty for none; the word index's own query leaves them
	// out with NOT, the others by the messages it finds for not.
	not string
	// scan, when a term is one the indexes cannot find (needsScan), are
	// the terms in lower case, each of which a message's text must hold:
	// found by reading the messages, newest first (scanWindow).
	scan []string
}

func (p *searchPlan) convWhere() (string, []any) {
	if len(p.convConds) == 0 {
		return "", nil
	}
	return " AND " + strings.Join(p.convConds, " AND "), p.convArgs
}

// filters is what the search's filters add to a query of messages m: the
// join of their conversations c when a filter is on one, and the
// conditions, each after " AND ", with their arguments.
func (p *searchPlan) filters() (join, cond string, args []any) {
	if len(p.convConds) > 0 {
		join = ` JOIN conversations c ON c.id = m.conversation_id`
		cond, args = p.convWhere()
	}
	if len(p.msgConds) > 0 {
		cond += " AND " + strings.Join(p.msgConds, " AND ")
		args = append(args, p.msgArgs...)
	}
	return join, cond, args
}

// Search finds messages and contacts: see inbox.Searcher.
func (db *DB) Search(ctx context.Context, f inbox.SearchFilter) ([]inbox.SearchHit, string, error) {
	items, next, err := db.search(ctx, f)
	if err != nil {
		return nil, "", fmt.Errorf("search: %w", err)
	}
	return items, next, nil
}

func (db *DB) search(ctx context.Context, f inbox.SearchFilter) ([]inbox.SearchHit, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, inbox.MaxSearchLimit)
	cur, err := decodeSearchCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	q, numbers := db.parseSearch(ctx, f.Query)
	if q.Mine {
		if f.UserID == 0 {
			return nil, "", fmt.Errorf("in:mine needs a user: %w", inbox.ErrInvalid)
		}
		if f.AssigneeID != nil && *f.AssigneeID != f.UserID {
			return nil, "", nil
		}
		me := f.UserID
		f.AssigneeID = &me
	}
	p := &searchPlan{terms: searchTerms(q)}
	for i, t := range p.terms {
		if t.Digits == "" {
			continue
		}
		if p.wordForms == nil {
			p.wordForms, p.triForms = make([][]string, len(p.terms)), make([][]string, len(p.terms))
		}
		p.wordForms[i], p.triForms[i] = numberForms(t, numbers[t.Digits])
	}
	if !db.dialect.postgres {
		for i, forms := range accentFormsOf(p.terms) {
			if len(forms) > 0 {
				if p.wordForms == nil {
					p.wordForms, p.triForms = make([][]string, len(p.terms)), make([][]string, len(p.terms))
				}
				p.wordForms[i], p.triForms[i] = append(p.wordForms[i], forms...), append(p.triForms[i], forms...)
			}
		}
	}
	if len(p.terms) > 0 {
		p.trigram = trigramMatch(p.terms, p.triForms)
		p.words = wordMatch(p.terms, p.wordForms, p.trigram == "")
		if slices.ContainsFunc(p.terms, emojiOnly) {
			p.words = "" // emoji alone are no word of the word index
		}
		nots := searchTerms(inbox.SearchQuery{Terms: q.Not})
		for i := range nots {
			nots[i].Phrase = true // whole words
		}
		if len(nots) > 0 && !db.dialect.postgres {
			p.not = wordMatch(nots, nil, false)
			p.not = strings.ReplaceAll(p.not, " AND ", " OR ")
			if p.words != "" {
				p.words = "(" + p.words + ") NOT (" + p.not + ")"
			}
		}
		if p.trigram == "" && slices.ContainsFunc(p.terms, needsScan) {
			for _, t := range p.terms {
				p.scan = append(p.scan, strings.ToLower(t.Text))
			}
		}
		if db.dialect.postgres {
			if err := db.pgPlan(ctx, p, nots); err != nil {
				return nil, "", err
			}
		}
	}
	// Each label a conversation must carry: by name (the filter's and
	// label: operators', in any case) or by id. An unknown name is label
	// id 0, which no conversation carries: it selects nothing.
	labelIDs, err := db.searchLabelIDs(ctx, append(q.Labels, f.Label))
	if err != nil {
		return nil, "", err
	}
	if f.LabelID != 0 {
		labelIDs = append(labelIDs, f.LabelID)
	}
	for _, id := range labelIDs {
		p.convConds = append(p.convConds, "EXISTS (SELECT 1 FROM conversation_labels cl WHERE cl.conversation_id = c.id AND cl.label_id = ?)")
		p.convArgs = append(p.convArgs, id)
	}
	if f.Channel != "" {
		p.convConds, p.convArgs = append(p.convConds, "c.channel = ?"), append(p.convArgs, string(f.Channel))
	}
	if f.SenderID != "" {
		p.convConds, p.convArgs = append(p.convConds, "c.sender_id = ?"), append(p.convArgs, f.SenderID)
	}
	// As the conversation list: a snoozed conversation keeps status open
	// with a snooze time, and leaves the open ones.
	switch f.Status {
	case "":
	case inbox.Open:
		p.convConds = append(p.convConds, "c.status = 'open' AND c.snoozed_at IS NULL")
	case inbox.Snoozed:
		p.convConds = append(p.convConds, "c.status = 'open' AND c.snoozed_at IS NOT NULL")
	default:
		p.convConds, p.convArgs = append(p.convConds, "c.status = ?"), append(p.convArgs, string(f.Status))
	}
	if f.AssigneeID != nil {
		if *f.AssigneeID == 0 {
			p.convConds = append(p.convConds, "c.assignee_id IS NULL")
		} else {
			p.convConds, p.convArgs = append(p.convConds, "c.assignee_id = ?"), append(p.convArgs, *f.AssigneeID)
		}
	}
	if !f.From.IsZero() {
		p.msgConds, p.msgArgs = append(p.msgConds, "m.created_at >= ?"), append(p.msgArgs, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		p.msgConds, p.msgArgs = append(p.msgConds, "m.created_at < ?"), append(p.msgArgs, f.To.UnixMilli())
	}
	if len(p.terms) == 0 && q.From.Text == "" {
		return nil, "", nil
	}
	// What waits to be indexed is indexed first: every message and
	// contact stored before the search began is found.
	db.catchUpSearch(ctx)
	if q.From.Text != "" {
		ids, err := db.contactIDs(ctx, []inbox.SearchTerm{q.From}, searchFromCap)
		if err != nil {
			return nil, "", err
		}
		if len(ids) == 0 {
			return nil, "", nil
		}
		p.fromIDs = ids
		if db.dialect.postgres {
			p.convConds, p.convArgs = append(p.convConds, "c.contact_id = ANY(?)"), append(p.convArgs, ids)
		} else {
			js, _ := json.Marshal(ids)
			p.convConds, p.convArgs = append(p.convConds, "c.contact_id IN (SELECT value FROM json_each(?))"), append(p.convArgs, string(js))
		}
	}
	if len(p.terms) == 0 && p.fromIDs == nil {
		return nil, "", nil
	}

	var hits []inbox.SearchHit
	if !cur.messages {
		if cur.convTop == 0 {
			// The first page: its horizon is what is stored now.
			if err := db.reader.QueryRowContext(ctx, `SELECT
				coalesce((SELECT max(id) FROM messages), 0) + 1, coalesce((SELECT max(id) FROM conversations), 0) + 1`).
				Scan(&cur.top, &cur.convTop); err != nil {
				return nil, "", err
			}
		}
		contacts, err := db.searchContacts(ctx, p, f, cur.top, cur.convTop)
		if err != nil {
			return nil, "", err
		}
		if cur.offset > len(contacts) {
			return nil, "", fmt.Errorf("cursor %q: %w", f.Cursor, inbox.ErrInvalid)
		}
		rest := contacts[cur.offset:]
		if len(rest) > limit {
			cur.offset += limit
			return rest[:limit], cur.encode(), nil
		}
		hits = append(hits, rest...)
		cur = searchCursor{messages: true, top: cur.top}
	}
	if len(p.terms) == 0 {
		return hits, "", nil
	}
	for {
		window, full, err := db.messageWindow(ctx, p, cur.top)
		if err != nil {
			return nil, "", err
		}
		if cur.offset > len(window) {
			return nil, "", fmt.Errorf("cursor %q: %w", f.Cursor, inbox.ErrInvalid)
		}
		rest := window[cur.offset:]
		want := limit - len(hits)
		if len(rest) > want {
			page, err := db.messageHits(ctx, p, rest[:want])
			if err != nil {
				return nil, "", err
			}
			// The window's top is its highest match, not the top of all:
			// messages stored meanwhile stay off the next page.
			top := int64(0)
			for _, c := range window {
				top = max(top, c.id)
			}
			next := searchCursor{messages: true, top: min(cur.top, top+1), offset: cur.offset + want}
			return append(hits, page...), next.encode(), nil
		}
		page, err := db.messageHits(ctx, p, rest)
		if err != nil {
			return nil, "", err
		}
		hits = append(hits, page...)
		if !full {
			return hits, "", nil
		}
		bottom := window[0].id
		for _, c := range window {
			bottom = min(bottom, c.id)
		}
		cur = searchCursor{messages: true, top: bottom}
		if len(hits) == limit {
			return hits, cur.encode(), nil
		}
	}
}

// searchLabelIDs are the ids of the labels named, in any case as labels
// are named everywhere (labelsNamed), 0 for a name no label has; blank
// names are left out. The labels are read only when a name is given.
func (db *DB) searchLabelIDs(ctx context.Context, names []string) ([]int64, error) {
	var want []string
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" {
			want = append(want, n)
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	labels, err := db.Labels(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(want))
	for i, n := range want {
		if l, ok := labelNamed(labels, n); ok {
			ids[i] = l.ID
		}
	}
	return ids, nil
}

// parseSearch is inbox.ParseSearch with the phone numbers in it read as
// the index keeps them (phoneFragment), and the whole numbers among its
// terms by their digits (wholeNumber).
func (db *DB) parseSearch(ctx context.Context, query string) (inbox.SearchQuery, map[string]*phonenumbers.PhoneNumber) {
	q := inbox.ParseSearch(query)
	region := ""
	fix := func(t *inbox.SearchTerm) {
		if t.Digits == "" {
			return
		}
		if region == "" {
			region = db.phoneRegion(ctx)
		}
		t.Digits = phoneFragment(*t, region)
	}
	var numbers map[string]*phonenumbers.PhoneNumber
	for i := range q.Terms {
		fix(&q.Terms[i])
		if n := wholeNumber(q.Terms[i], region); n != nil {
			if numbers == nil {
				numbers = map[string]*phonenumbers.PhoneNumber{}
			}
			numbers[q.Terms[i].Digits] = n
		}
	}
	fix(&q.From)
	return q, numbers
}

// contactIDs are the contacts matching every term, at most max of them.
func (db *DB) contactIDs(ctx context.Context, terms []inbox.SearchTerm, max int) ([]int64, error) {
	if !hasWordChar(terms[0].Text) {
		return nil, nil
	}
	if slices.ContainsFunc(terms, needsScan) {
		cond, args := contactScan(terms)
		rows, err := db.reader.QueryContext(ctx, `SELECT ct.id FROM contacts ct WHERE `+cond+` LIMIT ?`, append(args, max)...)
		if err != nil {
			return nil, err
		}
		return scanIDs(rows)
	}
	if db.dialect.postgres {
		return db.pgContactIDs(ctx, terms, max)
	}
	table, match := contactMatch(terms)
	rows, err := db.reader.QueryContext(ctx, `SELECT rowid FROM `+table+` WHERE `+table+` MATCH ? LIMIT ?`, match, max)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

// searchContacts are the contact matches: the contacts of p.fromIDs when
// there are no terms, else those matching every term; each with its
// conversations below convTop that pass the filters, latest in activity
// first as of the messages below top (searchCursor).
func (db *DB) searchContacts(ctx context.Context, p *searchPlan, f inbox.SearchFilter, top, convTop int64) ([]inbox.SearchHit, error) {
	where, args := p.convWhere()
	where, args = where+" AND c.id < ?", append(args, convTop)
	// The conversation's latest activity when the first page was read: its
	// last_message_at, unless its latest message came since, then that of
	// its latest message (not a note) below top, which it was then.
	activity := `CASE WHEN c.last_message_id < ? THEN c.last_message_at ELSE
		(SELECT m.created_at FROM messages m WHERE m.conversation_id = c.id AND m.direction <> 'internal' AND m.id < ?
			ORDER BY m.created_at DESC, m.id DESC LIMIT 1) END DESC NULLS LAST`
	var dates []string
	var dateArgs []any
	if !f.From.IsZero() {
		dates, dateArgs = append(dates, "c.last_message_at >= ?"), append(dateArgs, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		dates, dateArgs = append(dates, "c.created_at < ?"), append(dateArgs, f.To.UnixMilli())
	}
	if len(dates) > 0 {
		where += " AND " + strings.Join(dates, " AND ")
		args = append(args, dateArgs...)
	}
	// Each way of matching gives the contacts it reads from (ct), the
	// condition they must meet with its arguments, and the rank of a
	// match with how it orders them.
	from, rank, byRank := `contacts ct`, "0.0", ""
	var match string
	var margs []any
	switch {
	case len(p.terms) == 0 && db.dialect.postgres:
		match, margs = "ct.id = ANY(?)", []any{p.fromIDs}
	case len(p.terms) == 0:
		js, _ := json.Marshal(p.fromIDs)
		match, margs = "ct.id IN (SELECT value FROM json_each(?))", []any{string(js)}
	case slices.ContainsFunc(p.terms, needsScan):
		match, margs = contactScan(p.terms)
	case db.dialect.postgres:
		cond, cargs, r, rankArgs, err := db.pgContactMatch(ctx, p.terms)
		if err != nil {
			return nil, err
		}
		from, rank, byRank = `contact_search cs JOIN contacts ct ON ct.id = cs.id`, r, "7 DESC, "
		// The rank's arguments come first: it is in the SELECT.
		match, margs = cond, append(append([]any{customPlan}, rankArgs...), cargs...)
	default:
		table, m := contactMatch(p.terms)
		from, rank, byRank = table+` JOIN contacts ct ON ct.id = `+table+`.rowid`, "bm25("+table+")", "7, "
		match, margs = table+" MATCH ?", []any{m}
	}
	q := `SELECT ct.id, ct.phone, ct.name, ct.notes, c.id, c.last_message_at, ` + rank + `, c.channel
		FROM ` + from + `
		JOIN conversations c ON c.contact_id = ct.id
		WHERE ` + match + where + `
		ORDER BY ` + byRank + activity + `, c.id DESC LIMIT ?`
	qargs := append(append(margs, args...), top, top, searchContactCap)
	rows, err := db.reader.QueryContext(ctx, q, qargs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hits []inbox.SearchHit
	for rows.Next() {
		var h inbox.SearchHit
		var rank float64
		var notes string
		if err := rows.Scan(&h.Contact.ID, &h.Contact.Phone, &h.Contact.Name, &notes, &h.ConversationID,
			msTime{&h.CreatedAt}, &rank, &h.Channel); err != nil {
			return nil, err
		}
		h.Snippet = contactSnippetWithNotes(h.Contact, notes, p.terms)
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

// contactSnippet is a contact's name and number with the parts that
// matched marked: terms found in the name, and digits found in the number
// whatever is written between them.
func contactSnippet(c inbox.Contact, terms []inbox.SearchTerm) string {
	name := c.Name
	phone := c.Phone
	for _, t := range terms {
		if t.Digits != "" {
			marked := markDigits(phone, t.Digits)
			if marked == phone {
				marked = markDigits(phone, strings.TrimLeft(t.Digits, "0"))
			}
			phone = marked
			continue
		}
		name = markFold(name, t.Text)
		if name == c.Name {
			phone = markFold(phone, t.Text)
		}
	}
	if name == "" {
		return phone
	}
	return name + " · " + phone
}

// markDigits marks in s the run holding digits, skipping what is not a
// digit.
func markDigits(s, digits string) string {
	if digits == "" {
		return s
	}
	var pos []int
	var only strings.Builder
	for i, r := range s {
		if r >= '0' && r <= '9' {
			pos = append(pos, i)
			only.WriteRune(r)
		}
	}
	at := strings.Index(only.String(), digits)
	if at < 0 {
		return s
	}
	start, end := pos[at], pos[at+len(digits)-1]+1
	return s[:start] + inbox.SnippetMarkOpen + s[start:end] + inbox.SnippetMarkClose + s[end:]
}

// markFold marks the first place in s that equals sub, ignoring case and
// accents as the indexes do (foldRune): "jurgen" marks "Jürgen".
func markFold(s, sub string) string {
	var want []rune
	for _, r := range sub {
		want = append(want, foldRune(r))
	}
	if len(want) == 0 {
		return s
	}
	// The folded runes of s, and where each begins; one more start for
	// the end of s.
	var have []rune
	var starts []int
	for i, r := range s {
		have, starts = append(have, foldRune(r)), append(starts, i)
	}
	starts = append(starts, len(s))
	for i := 0; i+len(want) <= len(have); i++ {
		if slices.Equal(have[i:i+len(want)], want) {
			start, end := starts[i], starts[i+len(want)]
			return s[:start] + inbox.SnippetMarkOpen + s[start:end] + inbox.SnippetMarkClose + s[end:]
		}
	}
	return s
}

// messageCandidate is a message match in a window.
type messageCandidate struct {
	id   int64
	tier int // 0: every term a whole word; 1: a prefix or substring
	rank float64
}

// messageWindow is the searchWindow newest message matches below top,
// best first, and whether the window is full (more may lie below it).
func (db *DB) messageWindow(ctx context.Context, p *searchPlan, top int64) ([]messageCandidate, bool, error) {
	var words, tri []messageCandidate
	var err error
	if p.words != "" {
		if words, err = db.matchWindow(ctx, p, "messages_fts", p.words, top); err != nil {
			return nil, false, err
		}
	}
	if p.trigram != "" {
		if tri, err = db.matchWindow(ctx, p, "messages_tri", p.trigram, top); err != nil {
			return nil, false, err
		}
	}
	var scanned []messageCandidate
	if len(p.scan) > 0 {
		if scanned, err = db.scanWindow(ctx, p, top); err != nil {
			return nil, false, err
		}
	}
	full := len(words) == searchWindow || len(tri) == searchWindow || len(scanned) == searchWindow
	// The lists are every match in their range, newest first: the newest
	// searchWindow of their union are every match down to the highest of
	// their lowest ids.
	byID := make(map[int64]int, len(words)+len(tri)+len(scanned))
	all := make([]messageCandidate, 0, len(words)+len(tri)+len(scanned))
	for _, c := range words {
		byID[c.id] = len(all)
		all = append(all, c)
	}
	for tier, list := range [][]messageCandidate{1: tri, 2: scanned} {
		for _, c := range list {
			if _, ok := byID[c.id]; ok {
				continue
			}
			c.tier = tier
			byID[c.id] = len(all)
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b messageCandidate) int { return cmp.Compare(b.id, a.id) })
	if len(all) > searchWindow {
		all = all[:searchWindow]
	}
	slices.SortFunc(all, func(a, b messageCandidate) int {
		return cmp.Or(cmp.Compare(a.tier, b.tier), cmp.Compare(a.rank, b.rank), cmp.Compare(b.id, a.id))
	})
	return all, full, nil
}

// matchWindow is up to searchWindow matches of match in table below top
// that pass the filters, newest first, with their rank (lower is better).
//
// When they are every match below top (fewer than searchWindow), the rank
// is FTS5's bm25. When there are more, it is bm25 without the inverse
// document frequency, computed here from each message's text: bm25 needs
// the count of every message holding each term, which FTS5 finds by
// reading all of them, a cost that grows with the history; and as every
// match holds every term, the frequencies weigh alike on all of them.
func (db *DB) matchWindow(ctx context.Context, p *searchPlan, table, match string, top int64) ([]messageCandidate, error) {
	if db.dialect.postgres {
		tier := 0
		if table == "messages_tri" {
			tier = 1
		}
		return db.pgMatchWindow(ctx, p, tier, top)
	}
	// Only a filter needs the message's row: without one, the window is a
	// walk of the index alone.
	q := `SELECT ` + table + `.rowid FROM ` + table
	if len(p.convConds) > 0 || len(p.msgConds) > 0 {
		q += ` JOIN messages m ON m.id = ` + table + `.rowid`
	}
	join, cond, fargs := p.filters()
	q += join
	args := append([]any{match, top}, fargs...)
	if p.not != "" && table != "messages_fts" {
		cond += ` AND ` + table + `.rowid NOT IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)`
		args = append(args, p.not)
	}
	q += ` WHERE ` + table + ` MATCH ? AND ` + table + `.rowid < ?` + cond + `
		ORDER BY ` + table + `.rowid DESC LIMIT ?`
	args = append(args, searchWindow)
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out := make([]messageCandidate, 0, 64)
	for rows.Next() {
		var c messageCandidate
		if err := rows.Scan(&c.id); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	lo, hi := out[len(out)-1].id, out[0].id
	ids := make([]int64, len(out))
	for i, c := range out {
		ids[i] = c.id
	}
	js, _ := json.Marshal(ids)
	ranks := make(map[int64]float64, len(out))
	if len(out) < searchWindow {
		rows, err = db.reader.QueryContext(ctx, `SELECT rowid, bm25(`+table+`) FROM `+table+`
			WHERE `+table+` MATCH ? AND rowid >= ? AND rowid <= ? AND +rowid IN (SELECT value FROM json_each(?))`,
			match, lo, hi, string(js))
	} else {
		rows, err = db.reader.QueryContext(ctx, `SELECT d.id, d.body FROM json_each(?) j
			JOIN search_message_docs d ON d.id = j.value`, string(js))
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if len(out) < searchWindow {
		for rows.Next() {
			var id int64
			var r float64
			if err := rows.Scan(&id, &r); err != nil {
				return nil, err
			}
			ranks[id] = r
		}
	} else {
		var docs []windowDoc
		for rows.Next() {
			var d windowDoc
			if err := rows.Scan(&d.id, &d.body); err != nil {
				return nil, err
			}
			docs = append(docs, d)
		}
		ranks = windowRanks(docs, func(body string) ([]int, int) { return termCounts(body, p.terms) })
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].rank = ranks[out[i].id]
	}
	return out, nil
}

// scanWindow is up to searchWindow messages below top, newest first, that
// pass the filters and whose text holds each of p.scan: read from the
// newest back, so a word as common as 订单 costs a few pages, and one
// that is rare the messages below top.
func (db *DB) scanWindow(ctx context.Context, p *searchPlan, top int64) ([]messageCandidate, error) {
	join, cond, fargs := p.filters()
	q := `SELECT m.id FROM messages m` + join
	args := append([]any{top}, fargs...)
	for _, s := range p.scan {
		cond += " AND instr(lower(m.text), ?) > 0"
		args = append(args, s)
	}
	switch {
	case p.not != "":
		cond += " AND m.id NOT IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)"
		args = append(args, p.not)
	case p.pgNot != "":
		cond += " AND m.id NOT IN (SELECT id FROM message_search WHERE words @@ CAST(? AS tsquery))"
		args = append(args, p.pgNot)
	}
	rows, err := db.reader.QueryContext(ctx, q+` WHERE m.id < ?`+cond+` ORDER BY m.id DESC LIMIT ?`, append(args, searchWindow)...)
	if err != nil {
		return nil, err
	}
	ids, err := scanIDs(rows)
	out := make([]messageCandidate, len(ids))
	for i, id := range ids {
		out[i] = messageCandidate{id: id}
	}
	return out, err
}

// scanSnippet is the part of text around the first of terms (in lower
// case) that it holds, about snippetChars characters, with each term
// marked where it occurs.
func scanSnippet(text string, terms []string) string {
	lower := strings.ToLower(text)
	if len(lower) != len(text) {
		lower = text
	}
	at := -1
	for _, t := range terms {
		if i := strings.Index(lower, t); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	start, end := max(at, 0), max(at, 0)
	for n := 0; start > 0 && n < snippetChars/4; n++ {
		_, size := utf8.DecodeLastRuneInString(text[:start])
		start -= size
	}
	for n := 0; end < len(text) && n < snippetChars; n++ {
		_, size := utf8.DecodeRuneInString(text[end:])
		end += size
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	for i := start; i < end; {
		long := ""
		for _, t := range terms {
			if len(t) > len(long) && strings.HasPrefix(lower[i:end], t) {
				long = t
			}
		}
		if long != "" {
			b.WriteString(inbox.SnippetMarkOpen + text[i:i+len(long)] + inbox.SnippetMarkClose)
			i += len(long)
			continue
		}
		_, size := utf8.DecodeRuneInString(text[i:end])
		b.WriteString(text[i : i+size])
		i += size
	}
	if end < len(text) {
		b.WriteString("…")
	}
	return strings.ReplaceAll(b.String(), "\n", " ")
}

// termCounts is how often each term occurs in body (at least once: it
// matched, maybe with accents or case folded differently), and the number
// of words in body.
func termCounts(body string, terms []inbox.SearchTerm) ([]int, int) {
	lower := strings.ToLower(body)
	tf := make([]int, len(terms))
	for i, t := range terms {
		tf[i] = max(1, strings.Count(lower, strings.ToLower(t.Text)))
	}
	return tf, max(1, len(strings.FieldsFunc(body, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })))
}

// messageHits are the results for cs, in their order: each message with
// its conversation, contact and snippet.
func (db *DB) messageHits(ctx context.Context, p *searchPlan, cs []messageCandidate) ([]inbox.SearchHit, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(cs))
	scanned := []int64{}
	for i, c := range cs {
		ids[i] = c.id
		if c.tier == 2 {
			scanned = append(scanned, c.id)
		}
	}
	js, _ := json.Marshal(ids)
	scannedJS, _ := json.Marshal(scanned)
	var rows *sql.Rows
	var err error
	if db.dialect.postgres {
		rows, err = db.reader.QueryContext(ctx, `SELECT m.id, m.conversation_id, m.created_at, ct.id, ct.phone, ct.name, c.channel,
				CASE WHEN m.id = ANY(?) THEN m.text ELSE '' END
			FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contacts ct ON ct.id = c.contact_id
			WHERE m.id = ANY(?)`, scanned, ids)
	} else {
		rows, err = db.reader.QueryContext(ctx, `SELECT m.id, m.conversation_id, m.created_at, ct.id, ct.phone, ct.name, c.channel,
				CASE WHEN j.value IN (SELECT value FROM json_each(?)) THEN m.text ELSE '' END
			FROM json_each(?) j JOIN messages m ON m.id = j.value
			JOIN conversations c ON c.id = m.conversation_id JOIN contacts ct ON ct.id = c.contact_id`, string(scannedJS), string(js))
	}
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]inbox.SearchHit, len(cs))
	scanSnippets := make(map[int64]string)
	for rows.Next() {
		var h inbox.SearchHit
		var text string
		if err := rows.Scan(&h.MessageID, &h.ConversationID, msTime{&h.CreatedAt}, &h.Contact.ID, &h.Contact.Phone, &h.Contact.Name, &h.Channel, &text); err != nil {
			rows.Close()
			return nil, err
		}
		byID[h.MessageID] = h
		if text != "" {
			scanSnippets[h.MessageID] = scanSnippet(text, p.scan)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// One snippet query per index, over the range of rowids the page
	// spans: FTS5 reads the doclists of the terms once, in that range
	// (the bounds reach FTS5 as >= and <=, not as BETWEEN; the + keeps
	// SQLite from looking up each id on its own), and computes a snippet
	// only for the page's own messages.
	snippets := make(map[int64]string, len(cs))
	if db.dialect.postgres {
		if snippets, err = db.pgSnippets(ctx, p, cs); err != nil {
			return nil, err
		}
	}
	for tier, idx := range []struct {
		table, match string
		size         int
	}{{"messages_fts", p.words, snippetWords}, {"messages_tri", p.trigram, snippetChars}} {
		var want []int64
		lo, hi := int64(math.MaxInt64), int64(0)
		for _, c := range cs {
			if c.tier == tier {
				want = append(want, c.id)
				lo, hi = min(lo, c.id), max(hi, c.id)
			}
		}
		if len(want) == 0 || db.dialect.postgres {
			continue
		}
		js, _ := json.Marshal(want)
		// A longer message's snippet is made here instead (see
		// snippetFTSMax), from its text.
		rows, err := db.reader.QueryContext(ctx, `SELECT rowid,
				CASE WHEN length(body) <= ? THEN snippet(`+idx.table+`, 0, char(2), char(3), '…', ?) END,
				CASE WHEN length(body) > ? THEN body END
			FROM `+idx.table+` WHERE `+idx.table+` MATCH ? AND rowid >= ? AND rowid <= ?
			AND +rowid IN (SELECT value FROM json_each(?))`, snippetFTSMax, idx.size, snippetFTSMax, idx.match, lo, hi, string(js))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var snippet, body sql.NullString
			if err := rows.Scan(&id, &snippet, &body); err != nil {
				rows.Close()
				return nil, err
			}
			snippets[id] = snippet.String
			if body.Valid {
				snippets[id] = scanSnippet(body.String, lowerTerms(p.terms))
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	hits := make([]inbox.SearchHit, 0, len(cs))
	for _, c := range cs {
		h, ok := byID[c.id]
		if !ok {
			continue // deleted since the window was read
		}
		h.Snippet = snippets[c.id]
		if c.tier == 2 {
			h.Snippet = scanSnippets[c.id]
		}
		hits = append(hits, h)
	}
	return hits, nil
}

// snippetFTSMax is the longest message, in characters, whose snippet
// FTS5's snippet() makes (on PostgreSQL, ftsSnippet, its copy): it weighs each place a term is found against
// the others, which for a message holding the term throughout
// ("aaaa…", "hahaha…") costs the square of its length, a second at
// 8,000 characters and hours at a megabyte. A longer message's snippet
// is scanSnippet's, whose cost is its length.
const snippetFTSMax = 1000

// lowerTerms are the terms' texts in lower case, as scanSnippet takes
// them.
func lowerTerms(terms []inbox.SearchTerm) []string {
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		out = append(out, strings.ToLower(t.Text))
	}
	return out
}

// scanIDs reads rows of one id each, and closes them.
func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
