package inbox

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxSearchLimit is the most results a page of search gives.
const MaxSearchLimit = 200

// SearchFilter is a search over every message and contact, best match
// first. Query is what the user typed: words (each found as a word, a
// prefix of a word or, from three characters, anywhere in the text),
// "quoted phrases", and the operators from:NUMBER-OR-NAME
// (from:"Anna Maria", from:"+49 176 1234"), in:mine and label:NAME
// (label:"two words").
type SearchFilter struct {
	Query      string
	Channel    Channel
	SenderID   string
	Status     ConversationStatus // empty for all; Open leaves out the snoozed, Snoozed keeps them
	AssigneeID *int64             // nil for any; pointer to 0 for unassigned
	// Label keeps conversations that carry the label of that name (any
	// case), LabelID those that carry the label of that id; an unknown
	// label selects nothing. Both may be set (and a label: operator in
	// Query): a conversation must carry each.
	Label   string
	LabelID int64
	// From and To bound the time of the message (of the conversation's
	// latest activity for a contact match); zero for no bound.
	From, To time.Time
	// UserID is who searches: in:mine keeps the conversations assigned to
	// them. in:mine with no user is an error wrapping ErrInvalid.
	UserID int64
	Limit  int
	Cursor string
}

// SearchHit is one result: a message, or (MessageID 0) a contact whose
// name or number matched, in one of its conversations.
type SearchHit struct {
	ConversationID int64
	MessageID      int64
	Contact        Contact
	Channel        Channel // the conversation's
	// Snippet is the text around the match; SnippetMarkOpen and
	// SnippetMarkClose enclose the matching parts. SplitSnippet splits it.
	Snippet   string
	CreatedAt time.Time
}

// The characters that enclose a match in SearchHit.Snippet.
const (
	SnippetMarkOpen  = "\x02"
	SnippetMarkClose = "\x03"
)

// SnippetPart is a run of a snippet, matching or not.
type SnippetPart struct {
	Text  string
	Match bool
}

// SplitSnippet splits a snippet at its marks. Stray marks are dropped, so
// the parts are plain text, safe to escape and show.
func SplitSnippet(s string) []SnippetPart {
	var parts []SnippetPart
	match := false
	for s != "" {
		i := strings.IndexAny(s, SnippetMarkOpen+SnippetMarkClose)
		if i < 0 {
			parts = appendPart(parts, s, match)
			break
		}
		parts = appendPart(parts, s[:i], match)
		match = s[i] == SnippetMarkOpen[0]
		s = s[i+1:]
	}
	return parts
}

func appendPart(parts []SnippetPart, text string, match bool) []SnippetPart {
	if text == "" {
		return parts
	}
	if n := len(parts); n > 0 && parts[n-1].Match == match {
		parts[n-1].Text += text
		return parts
	}
	return append(parts, SnippetPart{Text: text, Match: match})
}

// Searcher finds messages and contacts.
type Searcher interface {
	// Search gives a page of results for f, best match first, and the
	// cursor of the next page, empty at the end. A cursor this did not
	// give out, or in:mine with no user, is an error wrapping ErrInvalid.
	Search(ctx context.Context, f SearchFilter) (items []SearchHit, next string, err error)
}

// SearchTerm is one part of a search that must match: a word or a
// quoted phrase.
type SearchTerm struct {
	Text   string
	Phrase bool
	// Digits is the term as a phone number fragment, in digits alone
	// ("0176-1234" is "01761234"); empty when the term is not one.
	Digits string
}

// SearchQuery is a parsed search.
type SearchQuery struct {
	Terms []SearchTerm
	// From is the value of a from: operator: a phone number fragment or a
	// part of a contact's name.
	From SearchTerm
	// Mine is true for in:mine.
	Mine bool
	// Labels are the names given with label:, each of which a
	// conversation must carry.
	Labels []string
	// Not are the words given with a minus (-late): a message that holds
	// one of them is left out.
	Not []SearchTerm
}

// ParseSearch reads a query as typed. It never fails: whatever is not an
// operator is text to find; AND between two words asks for both, and a
// minus before a word (-late) leaves out what holds it. When every word is part of a phone number
// ("+49 176 1234"), they make one term. A control character (a NUL
// pasted along with the text) or a byte that is no UTF-8 separates words
// as a space does: no text to find holds one. Quotes as phones and word
// processors set them (“…”, „…“) quote as "…" does.
func ParseSearch(q string) SearchQuery {
	var out SearchQuery
	var words []string
	q = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError || unicode.IsControl(r):
			return ' '
		case r == '“' || r == '”' || r == '„' || r == '‟':
			return '"'
		}
		return r
	}, q)
	toks := splitQuery(q)
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if tok.quoted {
			if strings.TrimSpace(tok.text) != "" {
				out.Terms = append(out.Terms, SearchTerm{Text: tok.text, Phrase: true})
			}
			continue
		}
		lower := strings.ToLower(tok.text)
		switch {
		case tok.text == "AND" && i > 0 && i+1 < len(toks):
			// Between two words, as other search boxes take it: both,
			// which every word is anyway.
		case lower == "in:mine":
			out.Mine = true
		case lower == "label:" && i+1 < len(toks) && toks[i+1].quoted && toks[i+1].glued:
			i++
			if name := strings.TrimSpace(toks[i].text); name != "" {
				out.Labels = append(out.Labels, name)
			}
		case strings.HasPrefix(lower, "label:") && len(tok.text) > len("label:"):
			out.Labels = append(out.Labels, tok.text[len("label:"):])
		case lower == "from:" && i+1 < len(toks) && toks[i+1].quoted && toks[i+1].glued:
			// A name or a number of several words: from:"Anna Maria",
			// from:"+49 176 1234".
			i++
			if v := strings.TrimSpace(toks[i].text); v != "" {
				out.From = SearchTerm{Text: v, Phrase: true, Digits: phoneDigits(v)}
			}
		case strings.HasPrefix(lower, "from:") && len(tok.text) > len("from:"):
			v := tok.text[len("from:"):]
			out.From = SearchTerm{Text: v, Digits: phoneDigits(v)}
		case len(tok.text) > 1 && tok.text[0] == '-' && unicode.IsLetter([]rune(tok.text[1:])[0]):
			// -late, as other search boxes take it; a minus before a
			// digit is part of a number (-778 of W-7781).
			out.Not = append(out.Not, SearchTerm{Text: tok.text[1:]})
		default:
			words = append(words, tok.text)
		}
	}
	if len(words) > 1 && allPhoneLike(words) {
		joined := strings.Join(words, " ")
		out.Terms = append(out.Terms, SearchTerm{Text: joined, Phrase: true, Digits: phoneDigits(joined)})
		return out
	}
	for _, w := range words {
		out.Terms = append(out.Terms, SearchTerm{Text: w, Digits: phoneDigits(w)})
	}
	return out
}

type queryToken struct {
	text   string
	quoted bool
	// glued is true for a quoted token right after the one before, with
	// no space between (label:"two words").
	glued bool
}

// splitQuery splits q at spaces, keeping "quoted phrases" whole; an
// unclosed quote runs to the end.
func splitQuery(q string) []queryToken {
	var out []queryToken
	for q != "" {
		trimmed := strings.TrimLeftFunc(q, unicode.IsSpace)
		glued := len(trimmed) == len(q) && len(out) > 0
		q = trimmed
		if q == "" {
			break
		}
		if q[0] == '"' {
			end := strings.IndexByte(q[1:], '"')
			if end < 0 {
				out = append(out, queryToken{text: q[1:], quoted: true, glued: glued})
				break
			}
			out = append(out, queryToken{text: q[1 : 1+end], quoted: true, glued: glued})
			q = q[2+end:]
			continue
		}
		end := strings.IndexFunc(q, func(r rune) bool { return unicode.IsSpace(r) || r == '"' })
		if end < 0 {
			end = len(q)
		}
		out = append(out, queryToken{text: q[:end]})
		q = q[end:]
	}
	return out
}

// phoneLike is true when s is made of what phone numbers are written
// with and has a digit.
func phoneLike(s string) bool {
	digit := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune("+-()./ ", r):
		default:
			return false
		}
	}
	return digit
}

func allPhoneLike(words []string) bool {
	for _, w := range words {
		if !phoneLike(w) {
			return false
		}
	}
	return true
}

// phoneDigits is s as a fragment of a phone number in digits alone, or
// empty when s is not phone-like or has fewer than three digits. The
// store reads it by the rules of the business's country (prefixes, trunk
// codes) before it searches.
func phoneDigits(s string) string {
	if !phoneLike(s) {
		return ""
	}
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() < 3 {
		return ""
	}
	return b.String()
}
