package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"switchboard/inbox"
)

// contactSearchCap is how far the contacts page pages through a search.
const contactSearchCap = 1000

// contactSummaryCols are a contact in the contacts list: its conversations
// are counted on conversations_by_contact.
const contactSummaryCols = `ct.id, ct.phone, ct.name, ct.created_at, ct.updated_at, ct.notes,
	(SELECT count(*) FROM conversations c WHERE c.contact_id = ct.id), nullif(ct.last_contact_at, 0)`

func scanContactSummary(row scanner) (inbox.ContactSummary, string, error) {
	var s inbox.ContactSummary
	var notes string
	err := row.Scan(&s.ID, &s.Phone, &s.Name, msTime{&s.CreatedAt}, msTime{&s.UpdatedAt}, &notes,
		&s.Conversations, msTime{&s.LastContactAt})
	return s, notes, err
}

// Contacts lists contacts: all of them, the latest in contact first (then
// those with no message yet, newest first), or those matching f.Query in
// their name, number (in any common format) or notes, best match first
// (see inbox.Contacts).
func (db *DB) Contacts(ctx context.Context, f inbox.ContactFilter) ([]inbox.ContactSummary, string, error) {
	items, next, err := db.contacts(ctx, f)
	if err != nil {
		return nil, "", fmt.Errorf("contacts: %w", err)
	}
	return items, next, nil
}

func (db *DB) contacts(ctx context.Context, f inbox.ContactFilter) ([]inbox.ContactSummary, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, inbox.MaxSearchLimit)
	bad := fmt.Errorf("cursor %q: %w", f.Cursor, inbox.ErrInvalid)
	q, _ := db.parseSearch(ctx, f.Query)
	// from: first, so that a search of very many words keeps it.
	terms := searchTerms(inbox.SearchQuery{Terms: append([]inbox.SearchTerm{q.From}, q.Terms...)})
	// Listing all is steadyContacts. Searching, the cursor is how many
	// were shown and the first page's horizon ("50/1234"), the contacts
	// stored until then (ids below top): a customer new since, who
	// matches, would move those after it down a place, to be shown twice.
	var cur, top int64
	switch {
	case len(terms) == 0:
		return db.steadyContacts(ctx, f, limit)
	case f.Cursor == "":
	default:
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil {
			return nil, "", bad
		}
		off, horizon, _ := strings.Cut(string(b), "/")
		if cur, err = strconv.ParseInt(off, 10, 64); err != nil || cur < 1 {
			return nil, "", bad
		}
		if top, err = strconv.ParseInt(horizon, 10, 64); err != nil || top < 1 {
			return nil, "", bad
		}
	}
	var rows *sql.Rows
	var err error
	{
		// Best match first; the cursor is how many were shown.
		if cur > contactSearchCap {
			return nil, "", bad
		}
		db.catchUpSearch(ctx)
		if top == 0 {
			if err := db.reader.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM contacts`).Scan(&top); err != nil {
				return nil, "", err
			}
		}
		if slices.ContainsFunc(terms, needsScan) {
			cond, args := contactScan(terms)
			rows, err = db.reader.QueryContext(ctx, `SELECT `+contactSummaryCols+` FROM contacts ct
				WHERE `+cond+` AND ct.id < ? ORDER BY ct.last_contact_at DESC, ct.id DESC LIMIT ? OFFSET ?`,
				append(args, top, limit+1, cur)...)
		} else if db.dialect.postgres {
			cond, args, rank, rankArgs, perr := db.pgContactMatch(ctx, terms)
			if perr != nil {
				return nil, "", fmt.Errorf("contacts: %w", perr)
			}
			rows, err = db.reader.QueryContext(ctx, `SELECT `+contactSummaryCols+` FROM contact_search cs
				JOIN contacts ct ON ct.id = cs.id
				WHERE `+cond+` AND ct.id < ? ORDER BY `+rank+` DESC, ct.id DESC LIMIT ? OFFSET ?`,
				append(append(append(append([]any{customPlan}, args...), top), rankArgs...), limit+1, cur)...)
		} else {
			table, match := contactMatch(terms)
			rows, err = db.reader.QueryContext(ctx, `SELECT `+contactSummaryCols+` FROM `+table+`
				JOIN contacts ct ON ct.id = `+table+`.rowid
				WHERE `+table+` MATCH ? AND ct.id < ? ORDER BY bm25(`+table+`), ct.id DESC LIMIT ? OFFSET ?`, match, top, limit+1, cur)
		}
	}
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []inbox.ContactSummary
	for rows.Next() {
		s, notes, err := scanContactSummary(rows)
		if err != nil {
			return nil, "", err
		}
		if len(terms) > 0 {
			s.Snippet = contactSnippetWithNotes(s.Contact, notes, terms)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	next := cur + int64(limit)
	if next > contactSearchCap {
		return out, "", nil
	}
	return out, base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(next, 10) + "/" + strconv.FormatInt(top, 10))), nil
}

// contactSnippetWithNotes is contactSnippet, or when neither name nor
// number matched, the part of the notes that did.
func contactSnippetWithNotes(c inbox.Contact, notes string, terms []inbox.SearchTerm) string {
	s := contactSnippet(c, terms)
	if strings.Contains(s, inbox.SnippetMarkOpen) || notes == "" {
		return s
	}
	for _, t := range terms {
		marked := markFold(notes, t.Text)
		at := strings.Index(marked, inbox.SnippetMarkOpen)
		if at < 0 {
			continue
		}
		// Some words of context before the match, and a line's worth after.
		start := max(0, at-40)
		for start > 0 && !utf8.RuneStart(marked[start]) {
			start--
		}
		if i := strings.LastIndexAny(marked[:max(start, at-40+1)], " \n"); start > 0 && i >= 0 && i < at {
			start = i + 1
		}
		end := min(len(marked), at+120)
		for end < len(marked) && !utf8.RuneStart(marked[end]) {
			end++
		}
		excerpt := strings.ReplaceAll(marked[start:end], "\n", " ")
		if start > 0 {
			excerpt = "…" + excerpt
		}
		if end < len(marked) {
			excerpt += "…"
		}
		if !strings.Contains(excerpt, inbox.SnippetMarkClose) {
			excerpt += inbox.SnippetMarkClose
		}
		return s + " · " + excerpt
	}
	return s
}

// ContactDetails returns a contact with its notes and conversations.
func (db *DB) ContactDetails(ctx context.Context, id int64) (inbox.ContactDetails, error) {
	d, err := contactDetails(ctx, db.reader, id)
	if err != nil {
		return inbox.ContactDetails{}, notFound(err, "contact %d", id)
	}
	return d, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func contactDetails(ctx context.Context, q querier, id int64) (inbox.ContactDetails, error) {
	d, err := scanContactDetails(q.QueryRowContext(ctx, `SELECT `+contactDetailsCols+` FROM contacts WHERE id = ?`, id))
	if err != nil {
		return d, err
	}
	rows, err := q.QueryContext(ctx, `SELECT `+conversationCols+`, `+unreadCol+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.contact_id = ? ORDER BY c.last_message_at DESC, c.id DESC`, id)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return d, err
		}
		addConversation(&d, c)
	}
	return d, rows.Err()
}

// addConversation adds one of the contact's conversations to d, which
// gets them newest first.
func addConversation(d *inbox.ContactDetails, c inbox.Conversation) {
	d.Conversations = append(d.Conversations, c)
	if d.FirstContactAt.IsZero() || c.CreatedAt.Before(d.FirstContactAt) {
		d.FirstContactAt = c.CreatedAt
	}
}

// contactDetailsCols are a contact's columns, in the order
// scanContactDetails reads them.
const contactDetailsCols = `id, phone, name, name_at, created_at, updated_at, notes, notes_by, notes_at, name_by IS NOT NULL,
	nullif(last_contact_at, 0)`

func scanContactDetails(row scanner) (inbox.ContactDetails, error) {
	var d inbox.ContactDetails
	var notesBy sql.NullInt64
	err := row.Scan(&d.ID, &d.Phone, &d.Name, msTime{&d.NameAt}, msTime{&d.CreatedAt}, msTime{&d.UpdatedAt},
		&d.Notes, &notesBy, msTime{&d.NotesAt}, &d.NameByAgent, msTime{&d.LastContactAt})
	d.NotesBy = notesBy.Int64
	return d, err
}

// EditContact changes a contact's name or notes. A name an agent sets
// stays until an agent changes it: profile names in later messages no
// longer replace it; an empty name lets the next one in. The search
// indexes follow in the same transaction (migration 0020's triggers).
func (db *DB) EditContact(ctx context.Context, id int64, e inbox.ContactEdit) (inbox.ContactDetails, error) {
	if err := e.Normalize(); err != nil {
		return inbox.ContactDetails{}, fmt.Errorf("edit contact %d: %w", id, err)
	}
	at := msOf(e.At)
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var exists bool
		if err := w.queryRowSQL(ctx, `SELECT EXISTS (SELECT 1 FROM contacts WHERE id = ?)`, id).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("contact %d: %w", id, inbox.ErrNotFound)
		}
		if e.Name != nil {
			var err error
			if *e.Name == "" {
				_, err = w.execSQL(ctx, `UPDATE contacts SET name = '', name_at = NULL, name_by = NULL, updated_at = ?
					WHERE id = ?`, at, id)
			} else {
				_, err = w.execSQL(ctx, `UPDATE contacts SET name = ?, name_at = ?, name_by = ?, updated_at = ?
					WHERE id = ?`, *e.Name, at, e.By, at, id) // name_by 0: set through the API
			}
			if err != nil {
				return err
			}
		}
		if e.Notes != nil && e.NotesWas != nil {
			var theirs inbox.NotesChangedMeanwhile
			var by, at sql.NullInt64
			if err := w.queryRowSQL(ctx, `SELECT notes, notes_by, notes_at FROM contacts WHERE id = ?`, id).
				Scan(&theirs.Notes, &by, &at); err != nil {
				return err
			}
			if theirs.Notes != *e.Notes && inbox.TextVersion(theirs.Notes) != *e.NotesWas {
				theirs.By = by.Int64
				if at.Valid {
					theirs.At = fromMS(at.Int64)
				}
				return &theirs
			}
		}
		if e.Notes != nil {
			if _, err := w.execSQL(ctx, `UPDATE contacts SET notes = ?, notes_by = ?, notes_at = ?, updated_at = ?
				WHERE id = ? AND notes IS NOT ?`, *e.Notes, nullID(&e.By), at, at, id, *e.Notes); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return inbox.ContactDetails{}, fmt.Errorf("edit contact %d: %w", id, err)
	}
	return db.ContactDetails(ctx, id)
}

// steadyContacts is a page of all contacts, the latest in contact first,
// as they were when the first page was read (convCursor, whose convTop is
// the contacts' horizon): the contacts below the cursor none of whose
// conversations had a message since, merged with those that had, each
// where it was then.
func (db *DB) steadyContacts(ctx context.Context, f inbox.ContactFilter, limit int) ([]inbox.ContactSummary, string, error) {
	var cur convCursor
	if f.Cursor == "" {
		cur = convCursor{at: math.MaxInt64, id: math.MaxInt64}
		if err := db.reader.QueryRowContext(ctx, `SELECT
			coalesce((SELECT max(id) FROM messages), 0) + 1, coalesce((SELECT max(id) FROM contacts), 0) + 1`).
			Scan(&cur.top, &cur.convTop); err != nil {
			return nil, "", err
		}
	} else {
		var err error
		if cur, err = decodeConvCursor(f.Cursor, true); err != nil || cur.at < 0 {
			return nil, "", fmt.Errorf("cursor %q: %w", f.Cursor, inbox.ErrInvalid)
		}
	}
	var all []steadyRow[inbox.ContactSummary]
	q, args := contactsPageQuery(cur, limit)
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	for rows.Next() {
		s, _, err := scanContactSummary(rows)
		if err != nil {
			return nil, "", err
		}
		all = append(all, steadyRow[inbox.ContactSummary]{s, s.ID, msOf(s.LastContactAt)})
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	rows.Close()
	if cur.steady() {
		// Read after the others: a contact who moves between the two
		// reads is in both (and shown once), never in none.
		moved, at, err := db.steadyMovedContacts(ctx, cur)
		if err != nil {
			return nil, "", err
		}
		for i, s := range moved {
			all = append(all, steadyRow[inbox.ContactSummary]{s, s.ID, at[i]})
		}
	}
	out, next := steadyPage(all, limit, cur)
	return out, next, nil
}

// contactsPageQuery is the query of the contacts below cur that have not
// moved since its first page: limit+1 rows, walking
// contacts_by_last_contact.
func contactsPageQuery(cur convCursor, limit int) (string, []any) {
	where, args := `(ct.last_contact_at, ct.id) < (?, ?)`, []any{cur.at, cur.id}
	if cur.steady() {
		where += ` AND ct.id < ? AND NOT EXISTS (SELECT 1 FROM conversations c
			WHERE c.contact_id = ct.id AND coalesce(c.last_message_id, 0) >= ?)`
		args = append(args, cur.convTop, cur.top)
	}
	return `SELECT ` + contactSummaryCols + ` FROM contacts ct WHERE ` + where + `
		ORDER BY ct.last_contact_at DESC, ct.id DESC LIMIT ?`, append(args, limit+1)
}

// steadyMovedContacts are the contacts below cur.convTop with a
// conversation whose latest message came since the first page (cur.top),
// that would come after the cursor where they were then: each with its
// latest contact then, the time of the latest message (not a note) of its
// conversations below the horizon, 0 for none.
func (db *DB) steadyMovedContacts(ctx context.Context, cur convCursor) ([]inbox.ContactSummary, []int64, error) {
	rows, err := db.reader.QueryContext(ctx, steadySinceQuery, cur.top, steadyMovedCap+1)
	if err != nil {
		return nil, nil, err
	}
	convs, err := scanIDs(rows)
	if err != nil {
		return nil, nil, err
	}
	if len(convs) > steadyMovedCap {
		return nil, nil, errListMoved
	}
	if len(convs) == 0 {
		return nil, nil, nil
	}
	slices.Sort(convs)
	convs = slices.Compact(convs)
	in, inArgs := db.idsIn("id", convs)
	rows, err = db.reader.QueryContext(ctx, `SELECT c.contact_id, coalesce(c.last_message_id, 0) >= ?,
			coalesce((SELECT m.created_at FROM messages m
				WHERE m.conversation_id = c.id AND m.direction <> 'internal' AND m.id < ?
				ORDER BY m.created_at DESC, m.id DESC LIMIT 1), 0)
		FROM conversations c WHERE c.contact_id IN (SELECT contact_id FROM conversations WHERE `+in+`) AND c.contact_id < ?`,
		append(append([]any{cur.top, cur.top}, inArgs...), cur.convTop)...)
	if err != nil {
		return nil, nil, err
	}
	was := map[int64]int64{}
	moved := map[int64]bool{}
	for rows.Next() {
		var contact, at int64
		var since bool
		if err := rows.Scan(&contact, &since, &at); err != nil {
			rows.Close()
			return nil, nil, err
		}
		was[contact] = max(was[contact], at)
		moved[contact] = moved[contact] || since
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	var below []int64
	for id := range moved {
		if at := was[id]; moved[id] && (at < cur.at || (at == cur.at && id < cur.id)) {
			below = append(below, id)
		}
	}
	if len(below) == 0 {
		return nil, nil, nil
	}
	in, inArgs = db.idsIn("ct.id", below)
	rows, err = db.reader.QueryContext(ctx, `SELECT `+contactSummaryCols+` FROM contacts ct WHERE `+in, inArgs...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []inbox.ContactSummary
	var keys []int64
	for rows.Next() {
		s, _, err := scanContactSummary(rows)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
		keys = append(keys, was[s.ID])
	}
	return out, keys, rows.Err()
}
