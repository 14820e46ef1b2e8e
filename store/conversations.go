package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"switchboard/inbox"
)

// conversationCols are a conversation joined with its contact (c, ct), in
// the order scanConversation reads them; a query adds one more column, the
// unread count.
const conversationCols = `c.id, c.sender_id, c.channel, c.status, c.assignee_id, c.zavu_conversation_id,
	c.inbound_count, c.last_message_id, c.last_message_at, c.last_message_preview, c.last_inbound_at,
	c.created_at, c.updated_at,
	ct.id, ct.phone, ct.name, ct.name_at, ct.created_at, ct.updated_at,
	c.opted_out, c.opt_changed_at,
	c.snoozed_at, c.snoozed_until, ` + labelsCol + `, ` + lastFromCol

// lastFromCol says who wrote the preview's message, "direction\x1fsource\x1f
// author id\x1ftype": one primary-key lookup.
const lastFromCol = `(SELECT m.direction || char(31) || m.source || char(31) || coalesce(m.author_id, 0) || char(31) || m.type
	FROM messages m WHERE m.id = c.last_message_id)`

// unreadCol is the unread count: inbound messages since the furthest any
// user has read. With no reads, every inbound message is unread.
const unreadCol = `max(0, c.inbound_count - coalesce(
	(SELECT max(r.read_count) FROM conversation_reads r WHERE r.conversation_id = c.id), 0))`

// unreadForCol is the unread count of one user, whose id is its argument:
// inbound messages since that user last read the conversation, all of them
// if the user never did. It looks up one row of the primary key.
const unreadForCol = `max(0, c.inbound_count - coalesce(
	(SELECT r.read_count FROM conversation_reads r WHERE r.conversation_id = c.id AND r.user_id = ?), 0))`

// unreadColumn is the unread count column seen by viewerID, and its
// arguments: unreadForCol for a user, unreadCol for 0 (anyone).
func unreadColumn(viewerID int64) (string, []any) {
	if viewerID == 0 {
		return unreadCol, nil
	}
	return unreadForCol, []any{viewerID}
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanConversation(row scanner) (inbox.Conversation, error) {
	var c inbox.Conversation
	var channel, status string
	var lastID *int64
	var snoozedAt, snoozedUntil time.Time
	var labels, lastFrom sql.NullString
	err := row.Scan(&c.ID, &c.SenderID, &channel, &status, optID{&c.AssigneeID}, &c.ZavuConversationID,
		&c.InboundCount, optID{&lastID}, msTime{&c.LastMessageAt}, &c.LastMessagePreview, msTime{&c.LastInboundAt},
		msTime{&c.CreatedAt}, msTime{&c.UpdatedAt},
		&c.Contact.ID, &c.Contact.Phone, &c.Contact.Name, msTime{&c.Contact.NameAt},
		msTime{&c.Contact.CreatedAt}, msTime{&c.Contact.UpdatedAt},
		&c.OptedOut, msTime{&c.OptChangedAt},
		msTime{&snoozedAt}, msTime{&snoozedUntil}, &labels, &lastFrom,
		&c.UnreadCount)
	if err != nil {
		return inbox.Conversation{}, err
	}
	c.Channel, c.Status = inbox.Channel(channel), inbox.ConversationStatus(status)
	if !snoozedAt.IsZero() && c.Status == inbox.Open {
		c.Status, c.SnoozedUntil = inbox.Snoozed, snoozedUntil
	}
	c.Labels = parseLabels(labels.String)
	c.LastSource, c.LastAuthorID = parseLastFrom(lastFrom.String)
	if lastID != nil {
		c.LastMessageID = *lastID
	}
	return c, nil
}

// parseLastFrom reads lastFromCol. An inbound message is the customer's;
// an outbound one with no source was sent through the API; of a
// placeholder (a message known only from its delivery reports, sent by
// another system) the writer is unknown.
func parseLastFrom(s string) (inbox.Source, int64) {
	if s == "" {
		return "", 0
	}
	dir, rest, _ := strings.Cut(s, "\x1f")
	src, rest, _ := strings.Cut(rest, "\x1f")
	author, typ, _ := strings.Cut(rest, "\x1f")
	switch {
	case dir == string(inbox.Inbound):
		return inbox.SourceCustomer, 0
	case typ == string(inbox.TypeUnknown):
		return "", 0
	}
	id, _ := strconv.ParseInt(author, 10, 64)
	if src == "" {
		src = string(inbox.SourceAPI)
	}
	return inbox.Source(src), id
}

// Conversations returns a page of conversations, newest activity first
// (last_message_at, then id, descending), and the cursor of the next page,
// empty at the end. A cursor that is not one this gave out is an error
// wrapping inbox.ErrInvalid.
func (db *DB) Conversations(ctx context.Context, f inbox.ConversationFilter) ([]inbox.Conversation, string, error) {
	limit := pageLimit(f.Limit)
	f, err := db.withStoredLabel(ctx, f)
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	if f.Steady {
		return db.steadyConversations(ctx, f)
	}
	q, args, err := conversationsQuery(f)
	if err == nil && f.Label != "" {
		q, args, err = db.labelQuery(ctx, f, q, args)
	}
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()
	items := make([]inbox.Conversation, 0, limit)
	next := ""
	for rows.Next() {
		if len(items) == limit {
			last := items[len(items)-1]
			next = encodeIDCursor(msOf(last.LastMessageAt), last.ID)
			break
		}
		c, err := scanConversation(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list conversations: %w", err)
		}
		items = append(items, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	return items, next, nil
}

// steadyConversations is a page of a steady list (ConversationFilter.Steady):
// the rows below the cursor that have not moved since the first page,
// merged with those that moved, each where it was then.
func (db *DB) steadyConversations(ctx context.Context, f inbox.ConversationFilter) ([]inbox.Conversation, string, error) {
	limit := pageLimit(f.Limit)
	var cur convCursor
	if f.Cursor == "" {
		// The first page: its horizon is what is stored now.
		cur = convCursor{at: math.MaxInt64, id: math.MaxInt64}
		if err := db.reader.QueryRowContext(ctx, `SELECT
			coalesce((SELECT max(id) FROM messages), 0) + 1, coalesce((SELECT max(id) FROM conversations), 0) + 1`).
			Scan(&cur.top, &cur.convTop); err != nil {
			return nil, "", fmt.Errorf("list conversations: %w", err)
		}
		f.Cursor = cur.encode()
	} else {
		var err error
		if cur, err = decodeConvCursor(f.Cursor, true); err != nil {
			return nil, "", fmt.Errorf("list conversations: %w", err)
		}
		if !cur.steady() {
			// A cursor of the moving list: go on as it did.
			f.Steady = false
			return db.Conversations(ctx, f)
		}
	}
	q, args, err := conversationsQuery(f)
	if err == nil && f.Label != "" {
		q, args, err = db.labelQuery(ctx, f, q, args)
	}
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()
	var all []steadyRow[inbox.Conversation]
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list conversations: %w", err)
		}
		all = append(all, steadyRow[inbox.Conversation]{c, c.ID, msOf(c.LastMessageAt)})
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	rows.Close()
	// The rows that moved are read after the others: one that moves
	// between the two reads is in both (and shown once), never in none.
	moved, movedAt, err := db.steadyMoved(ctx, f, cur)
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	for i, c := range moved {
		all = append(all, steadyRow[inbox.Conversation]{c, c.ID, movedAt[i]})
	}
	items, next := steadyPage(all, limit, cur)
	return items, next, nil
}

// steadyRow is a row of a steady list (conversations, contacts), with
// its id and the activity it is listed by.
type steadyRow[T any] struct {
	v      T
	id, at int64
}

// steadyPage is the page of a steady list from the rows read below cur,
// then those that moved since its first page, each at its place then
// (a row read both ways, as it moved between the two reads, is shown
// once): at most limit of them, in the list's order, and the cursor of
// the next page, empty on the last.
func steadyPage[T any](rows []steadyRow[T], limit int, cur convCursor) ([]T, string) {
	shown := make(map[int64]bool, len(rows))
	all := rows[:0]
	for _, r := range rows {
		if !shown[r.id] {
			shown[r.id] = true
			all = append(all, r)
		}
	}
	slices.SortFunc(all, func(a, b steadyRow[T]) int {
		if a.at != b.at {
			return cmpDesc(a.at, b.at)
		}
		return cmpDesc(a.id, b.id)
	})
	next := ""
	if len(all) > limit {
		all = all[:limit]
		last := all[limit-1]
		cur.at, cur.id = last.at, last.id
		next = cur.encode()
	}
	out := make([]T, len(all))
	for i, r := range all {
		out[i] = r.v
	}
	return out, next
}

// cmpDesc orders a before b when it is the greater.
func cmpDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// Conversation returns one conversation with its contact and unread count,
// or an error wrapping inbox.ErrNotFound. The unread count runs from the
// furthest any user has read.
func (db *DB) Conversation(ctx context.Context, id int64) (inbox.Conversation, error) {
	return db.ConversationFor(ctx, id, 0)
}

// ConversationFor is Conversation with the unread count of the user
// viewerID: inbound messages since that user last read the conversation.
// A viewerID of 0 counts from the furthest any user has read.
func (db *DB) ConversationFor(ctx context.Context, id, viewerID int64) (inbox.Conversation, error) {
	q, args := conversationQuery(id, viewerID)
	c, err := scanConversation(db.reader.QueryRowContext(ctx, q, args...))
	if err != nil {
		return inbox.Conversation{}, notFound(err, "conversation %d", id)
	}
	return c, nil
}

// conversationQuery is the query for one conversation, with the unread
// count seen by viewerID (0 for anyone).
func conversationQuery(id, viewerID int64) (string, []any) {
	col, args := unreadColumn(viewerID)
	return `SELECT ` + conversationCols + `, ` + col + `
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = ?`, append(args, id)
}

// conversationStatuses are the values the conversations.status column
// allows (its CHECK constraint).
var conversationStatuses = []inbox.ConversationStatus{inbox.Open, inbox.Resolved}

// Positions (from 1) of c.last_message_at and c.id in conversationCols,
// for the ORDER BY of a compound select.
const (
	convColID            = 1
	convColLastMessageAt = 9
)

// filterConditions adds to where and args the conditions of f that every
// list of conversations shares: assignee, sender, channel and the cursor.
func filterConditions(f inbox.ConversationFilter, where []string, args []any) ([]string, []any, error) {
	switch {
	case f.AssigneeID == nil:
	case *f.AssigneeID == 0:
		where = append(where, `c.assignee_id IS NULL`)
	default:
		where = append(where, `c.assignee_id = ?`)
		args = append(args, *f.AssigneeID)
	}
	if f.SenderID != "" {
		where = append(where, `c.sender_id = ?`)
		args = append(args, f.SenderID)
	}
	if f.Channel != "" {
		where = append(where, `c.channel = ?`)
		args = append(args, string(f.Channel))
	}
	if f.Cursor != "" {
		cur, err := decodeConvCursor(f.Cursor, f.Steady)
		if err != nil {
			return nil, nil, err
		}
		where = append(where, `(c.last_message_at, c.id) < (?, ?)`)
		args = append(args, cur.at, cur.id)
		if cur.steady() {
			// Rows that moved since the first page come from steadyMoved.
			where = append(where, `coalesce(c.last_message_id, 0) < ?`, `c.id < ?`)
			args = append(args, cur.top, cur.convTop)
		}
	}
	return where, args, nil
}

// convCursor is where a page of conversations starts: below the activity
// at and id of the last row shown. A steady list (ConversationFilter.Steady)
// also keeps its first page's horizon: the messages (ids below top) and
// conversations (ids below convTop) stored then.
type convCursor struct {
	at, id       int64
	top, convTop int64
}

func (c convCursor) steady() bool { return c.top > 0 }

func (c convCursor) encode() string {
	if !c.steady() {
		return encodeIDCursor(c.at, c.id)
	}
	return encodeCursor(c.at, fmt.Sprintf("%d:%d:%d", c.id, c.top, c.convTop))
}

// decodeConvCursor reads a cursor Conversations gave out; a steady list
// takes a plain cursor too.
func decodeConvCursor(s string, steady bool) (convCursor, error) {
	at, rest, err := decodeCursor(s)
	if err != nil {
		return convCursor{}, err
	}
	parts := strings.Split(rest, ":")
	if len(parts) == 1 || !steady {
		_, id, err := decodeIDCursor(s)
		return convCursor{at: at, id: id}, err
	}
	bad := fmt.Errorf("cursor %q: %w", s, inbox.ErrInvalid)
	if len(parts) != 3 {
		return convCursor{}, bad
	}
	var n [3]int64
	for i, p := range parts {
		if n[i], err = strconv.ParseInt(p, 10, 64); err != nil || n[i] < 1 {
			return convCursor{}, bad
		}
	}
	return convCursor{at: at, id: n[0], top: n[1], convTop: n[2]}, nil
}

// steadyMovedCap bounds the messages since a steady list's first page that
// a page looks through for the conversations they moved (a variable for
// tests).
var steadyMovedCap = 20000

// steadySinceQuery is the conversations of the messages stored since a
// horizon, in the order they came.
const steadySinceQuery = `SELECT conversation_id FROM messages WHERE id >= ? ORDER BY id LIMIT ?`

var errListMoved = &inbox.InvalidError{Code: "cursor_expired",
	Message: "Too much has changed since the first page to keep its order; list again without a cursor."}

// steadyMoved are the conversations of a steady list (f.Cursor) that moved
// up since its first page, and would come after the cursor where they were
// then: each with that activity, the time of its latest message (not a
// note) below the horizon. Found from the messages stored since, a range
// of the primary key.
func (db *DB) steadyMoved(ctx context.Context, f inbox.ConversationFilter, cur convCursor) ([]inbox.Conversation, []int64, error) {
	rows, err := db.reader.QueryContext(ctx, steadySinceQuery, cur.top, steadyMovedCap+1)
	if err != nil {
		return nil, nil, err
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return nil, nil, err
	}
	if len(ids) > steadyMovedCap {
		return nil, nil, errListMoved
	}
	seen := map[int64]bool{}
	var moved []int64
	for _, id := range ids {
		if !seen[id] && id < cur.convTop {
			seen[id] = true
			moved = append(moved, id)
		}
	}
	if len(moved) == 0 {
		return nil, nil, nil
	}
	in, inArgs := db.idsIn("c.id", moved)
	rows, err = db.reader.QueryContext(ctx, `SELECT c.id, coalesce((SELECT m.created_at FROM messages m
			WHERE m.conversation_id = c.id AND m.direction <> 'internal' AND m.id < ?
			ORDER BY m.created_at DESC, m.id DESC LIMIT 1), c.created_at)
		FROM conversations c WHERE `+in+` AND coalesce(c.last_message_id, 0) >= ?`,
		append(append([]any{cur.top}, inArgs...), cur.top)...)
	if err != nil {
		return nil, nil, err
	}
	was := map[int64]int64{}
	var below []int64
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return nil, nil, err
		}
		if at < cur.at || (at == cur.at && id < cur.id) {
			was[id] = at
			below = append(below, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(below) == 0 {
		return nil, nil, nil
	}
	// The rows themselves, as the list's filters keep them.
	g := f
	g.Cursor, g.Steady = "", false
	in, inArgs = db.idsIn("c.id", below)
	q, args, err := conversationsQueryWhere(g, []string{in}, inArgs, len(below))
	if err != nil {
		return nil, nil, err
	}
	rows, err = db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []inbox.Conversation
	var keys []int64
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, c)
		keys = append(keys, was[c.ID])
	}
	return out, keys, rows.Err()
}

// idsIn is the condition that col is one of ids, with its argument.
func (db *DB) idsIn(col string, ids []int64) (string, []any) {
	if db.dialect.postgres {
		return col + " = ANY(?)", []any{ids}
	}
	js, _ := json.Marshal(ids)
	return col + " IN (SELECT value FROM json_each(?))", []any{string(js)}
}

// conversationsQuery is the query for a page of conversations: limit+1
// rows, so that the last one tells whether there is a next page.
//
// Every list walks an index on (status, last_message_at, id), alone or
// after assignee_id. A list of all statuses is the UNION ALL of one walk
// per status, which SQLite merges in order (MERGE (UNION ALL)) with no
// sort and no index of its own to keep up on every message. The unread
// count of f.ViewerID, when set, is one primary-key lookup a row.
func conversationsQuery(f inbox.ConversationFilter) (string, []any, error) {
	return conversationsQueryWhere(f, nil, nil, pageLimit(f.Limit)+1)
}

// conversationsQueryWhere is conversationsQuery with more conditions and
// a limit of its own.
func conversationsQueryWhere(f inbox.ConversationFilter, where []string, args []any, limit int) (string, []any, error) {
	where, args, err := filterConditions(f, where, args)
	if err != nil {
		return "", nil, err
	}
	// A label joins the walk with the label's row of each conversation,
	// a primary-key lookup on the index entry alone; the snooze test
	// then names the label's row too, so that SQLite makes it (and reads
	// the conversation's row) only for conversations with the label.
	from := `conversations c JOIN contacts ct ON ct.id = c.contact_id`
	var fromArgs []any
	snoozed := `c.snoozed_at`
	if f.Label != "" {
		from = `conversations c CROSS JOIN conversation_labels cl ON cl.conversation_id = c.id
			AND cl.label_id = (SELECT l.id FROM labels l WHERE l.name = ?) JOIN contacts ct ON ct.id = c.contact_id`
		fromArgs = []any{f.Label}
		snoozed = `(c.snoozed_at + 0 * cl.label_id)`
	}
	statuses := conversationStatuses
	switch f.Status {
	case "":
	case inbox.Open:
		// Snoozed conversations keep status open but leave the open lists.
		statuses = []inbox.ConversationStatus{inbox.Open}
		where = append(where, snoozed+` IS NULL`)
	case inbox.Snoozed:
		statuses = []inbox.ConversationStatus{inbox.Open}
		where = append(where, snoozed+` IS NOT NULL`)
	default:
		statuses = []inbox.ConversationStatus{f.Status}
	}
	unread, unreadArgs := unreadColumn(f.ViewerID)
	var q strings.Builder
	var allArgs []any
	for i, st := range statuses {
		if i > 0 {
			q.WriteString(` UNION ALL `)
		}
		q.WriteString(`SELECT ` + conversationCols + `, ` + unread + `
			FROM ` + from + ` WHERE c.status = ?`)
		for _, w := range where {
			q.WriteString(` AND ` + w)
		}
		allArgs = append(allArgs, unreadArgs...)
		allArgs = append(allArgs, fromArgs...)
		allArgs = append(allArgs, string(st))
		allArgs = append(allArgs, args...)
	}
	fmt.Fprintf(&q, ` ORDER BY %d DESC, %d DESC LIMIT ?`, convColLastMessageAt, convColID)
	return q.String(), append(allArgs, limit), nil
}

// MarkRead records that the user userID has read every inbound message of
// the conversation so far, at time at: the user's mark becomes the
// conversation's inbound_count. A mark never moves back. An unknown
// conversation is an error wrapping inbox.ErrNotFound, an unknown user one
// wrapping inbox.ErrInvalid.
func (db *DB) MarkRead(ctx context.Context, conversationID, userID int64, at time.Time) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var found int
		return w.queryRowSQL(ctx, `INSERT INTO conversation_reads (conversation_id, user_id, read_count, read_at)
			SELECT id, ?, inbound_count, ? FROM conversations WHERE id = ?
			ON CONFLICT (conversation_id, user_id) DO UPDATE SET
				read_count = max(read_count, excluded.read_count), read_at = excluded.read_at
			RETURNING 1`, userID, msOf(at), conversationID).Scan(&found)
	})
	if isForeignKeyViolation(err) {
		return fmt.Errorf("mark conversation %d read: no user %d: %w", conversationID, userID, inbox.ErrInvalid)
	}
	if err != nil {
		return notFound(err, "mark conversation %d read", conversationID)
	}
	return nil
}

// Assign sets the conversation's assignee, or unassigns it when assigneeID
// is nil (or points to 0), and its updated_at to at. It returns the
// conversation as it is then, with the unread count of any user. An
// assignee who is not an active user is an error wrapping inbox.ErrInvalid;
// an unknown conversation, one wrapping inbox.ErrNotFound.
func (db *DB) Assign(ctx context.Context, conversationID int64, assigneeID *int64, at time.Time) (inbox.Conversation, error) {
	return db.assign(ctx, conversationID, false, nil, assigneeID, at)
}

// AssignFrom is Assign from a screen that showed the assignee from (nil:
// nobody). When the conversation has another assignee by then, it is left
// as it is and the error is an *inbox.AssignedMeanwhile naming who has it:
// of two agents who take the same conversation at once, the second is told.
// When it already has the assignee asked for, that is no conflict.
func (db *DB) AssignFrom(ctx context.Context, conversationID int64, from, assigneeID *int64, at time.Time) (inbox.Conversation, error) {
	return db.assign(ctx, conversationID, true, from, assigneeID, at)
}

func (db *DB) assign(ctx context.Context, conversationID int64, check bool, from, assigneeID *int64, at time.Time) (inbox.Conversation, error) {
	assignee := nullID(assigneeID)
	var c inbox.Conversation
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		if check {
			// Read by an update that changes nothing, so the row stays
			// locked until the assignment below on PostgreSQL too (SQLite's
			// writer is one at a time anyway).
			var now *int64
			err := w.queryRowSQL(ctx, `UPDATE conversations SET assignee_id = assignee_id WHERE id = ? RETURNING assignee_id`,
				conversationID).Scan(optID{&now})
			if err != nil {
				return err
			}
			if !inbox.SameAssignee(now, from) && !inbox.SameAssignee(now, assigneeID) {
				return &inbox.AssignedMeanwhile{AssigneeID: now}
			}
		}
		if assignee != nil {
			var active bool
			var name string
			err := w.queryRowSQL(ctx, `SELECT active, name FROM users WHERE id = ?`, assignee).Scan(&active, &name)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return &inbox.InvalidError{Code: "invalid_assignee", Message: "That teammate is not in Switchboard any more: choose another."}
			case err != nil:
				return err
			case !active:
				return &inbox.InvalidError{Code: "invalid_assignee",
					Message: name + " has been deactivated and cannot take conversations: choose another teammate."}
			}
		}
		var err error
		c, err = w.setConversation(ctx, conversationID, `assignee_id = ?`, assignee, at)
		return err
	})
	if err != nil {
		return inbox.Conversation{}, notFound(err, "assign conversation %d", conversationID)
	}
	return c, nil
}

// SetStatus resolves or reopens a conversation and sets its updated_at to
// at. It returns the conversation as it is then, with the unread count of
// any user. A status other than inbox.Open and inbox.Resolved is an error
// wrapping inbox.ErrInvalid; an unknown conversation, one wrapping
// inbox.ErrNotFound.
func (db *DB) SetStatus(ctx context.Context, conversationID int64, status inbox.ConversationStatus, at time.Time) (inbox.Conversation, error) {
	if status != inbox.Open && status != inbox.Resolved {
		return inbox.Conversation{}, fmt.Errorf("set the status of conversation %d: status %q: %w",
			conversationID, status, inbox.ErrInvalid)
	}
	var c inbox.Conversation
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var err error
		c, err = w.setConversation(ctx, conversationID, `status = ?`, string(status), at)
		return err
	})
	if err != nil {
		return inbox.Conversation{}, notFound(err, "set the status of conversation %d", conversationID)
	}
	return c, nil
}

// setConversation sets one column of a conversation (set is "column = ?",
// value its argument) and its updated_at, and reads the conversation back
// in the same transaction. An unknown id is sql.ErrNoRows.
func (w *writeTx) setConversation(ctx context.Context, id int64, set string, value any, at time.Time) (inbox.Conversation, error) {
	var found int
	if strings.HasPrefix(set, "status") {
		set += ", snoozed_at = NULL, snoozed_until = NULL" // resolving or reopening ends a snooze
		if value != string(inbox.Resolved) {
			if err := w.takeBackResolve(ctx, id, at); err != nil {
				return inbox.Conversation{}, err
			}
		}
	}
	err := w.queryRowSQL(ctx, `UPDATE conversations SET `+set+`, updated_at = ? WHERE id = ? RETURNING 1`,
		value, msOf(at), id).Scan(&found)
	if err != nil {
		return inbox.Conversation{}, err
	}
	q, args := conversationQuery(id, 0)
	return scanConversation(w.queryRowSQL(ctx, q, args...))
}
