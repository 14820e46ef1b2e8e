package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"switchboard/inbox"
)

// labelsCol is a conversation's labels, "name\x1ecolour" joined by \x1f
// (parseLabels reads it), NULL for none.
const labelsCol = `(SELECT group_concat(l.name || char(30) || l.colour, char(31))
	FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = c.id)`

// parseLabels reads labelsCol, by name.
func parseLabels(s string) []inbox.Label {
	if s == "" {
		return nil
	}
	var out []inbox.Label
	for part := range strings.SplitSeq(s, "\x1f") {
		name, colour, _ := strings.Cut(part, "\x1e")
		out = append(out, inbox.Label{Name: name, Colour: colour})
	}
	slices.SortFunc(out, func(a, b inbox.Label) int { return compareNames(a.Name, b.Name) })
	return out
}

// compareNames is the order of names (labels, agents, saved views)
// everywhere, on both engines: whatever their case, letters beyond Z
// included, rather than by the database's collation (SQLite's NOCASE
// folds only A to Z, and PostgreSQL's follows the locale its database
// was created with).
func compareNames(a, b string) int {
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// Labels lists the labels, by name (compareNames).
func (db *DB) Labels(ctx context.Context) ([]inbox.Label, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, name, colour, created_at FROM labels ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list labels: %w", err)
	}
	defer rows.Close()
	var out []inbox.Label
	for rows.Next() {
		var l inbox.Label
		if err := rows.Scan(&l.ID, &l.Name, &l.Colour, msTime{&l.CreatedAt}); err != nil {
			return nil, fmt.Errorf("list labels: %w", err)
		}
		out = append(out, l)
	}
	slices.SortStableFunc(out, func(a, b inbox.Label) int { return compareNames(a.Name, b.Name) })
	return out, rows.Err()
}

// withStoredLabel is f with its label as the label is named, for the
// statements that find it by name: a filter names a label in any case, as
// labels are named everywhere (labelsNamed), where the column's NOCASE
// folds only the letters A to Z. A name no label has is left as it is.
func (db *DB) withStoredLabel(ctx context.Context, f inbox.ConversationFilter) (inbox.ConversationFilter, error) {
	if f.Label == "" {
		return f, nil
	}
	labels, err := db.Labels(ctx)
	if err != nil {
		return f, err
	}
	if l, ok := labelNamed(labels, f.Label); ok {
		f.Label = l.Name
	}
	return f, nil
}

// labelNamed is the label of labels named name in any case, as labels are
// named everywhere (labelsNamed).
func labelNamed(labels []inbox.Label, name string) (inbox.Label, bool) {
	for _, l := range labels {
		if strings.EqualFold(l.Name, name) {
			return l, true
		}
	}
	return inbox.Label{}, false
}

var errLabelTaken = &inbox.InvalidError{Code: "label_taken", Message: "Another label has that name."}

// CreateLabel checks l, stores it and sets its ID.
func (db *DB) CreateLabel(ctx context.Context, l *inbox.Label) error {
	if err := inbox.NormalizeLabel(l); err != nil {
		return err
	}
	l.CreatedAt = stored(l.CreatedAt)
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		if err := w.checkLabelName(ctx, l.Name, 0); err != nil {
			return err
		}
		return w.queryRowSQL(ctx, `INSERT INTO labels (name, colour, created_at) VALUES (?, ?, ?) RETURNING id`,
			l.Name, l.Colour, msOf(l.CreatedAt)).Scan(&l.ID)
	})
	if isUniqueViolation(err) || errors.Is(err, errLabelTaken) {
		return errLabelTaken
	}
	if err != nil {
		return fmt.Errorf("create label: %w", err)
	}
	return nil
}

// UpdateLabel renames or recolours a label.
func (db *DB) UpdateLabel(ctx context.Context, l *inbox.Label) error {
	if err := inbox.NormalizeLabel(l); err != nil {
		return err
	}
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var was string
		if err := w.queryRowSQL(ctx, `SELECT name FROM labels WHERE id = ?`, l.ID).Scan(&was); err != nil {
			return err
		}
		if err := w.checkLabelName(ctx, l.Name, l.ID); err != nil {
			return err
		}
		if err := w.queryRowSQL(ctx, `UPDATE labels SET name = ?, colour = ? WHERE id = ? RETURNING created_at`,
			l.Name, l.Colour, l.ID).Scan(msTime{&l.CreatedAt}); err != nil {
			return err
		}
		if was == l.Name {
			return nil
		}
		return w.renameLabelInViews(ctx, was, l.Name)
	})
	if isUniqueViolation(err) || errors.Is(err, errLabelTaken) {
		return errLabelTaken
	}
	if err != nil {
		return notFound(err, "update label %d", l.ID)
	}
	return nil
}

// checkLabelName refuses a name that another label than id has, in any
// case.
func (w *writeTx) checkLabelName(ctx context.Context, name string, id int64) error {
	other, err := w.labelsNamed(ctx, []string{name}, id)
	if err == nil && other[0] != 0 {
		return errLabelTaken
	}
	return err
}

// labelsNamed are the ids of the labels, other than except, named each of
// names in any case, 0 for a name no such label has; the labels are read
// once for all the names. The column's NOCASE folds only the letters A to
// Z, so "Ärger" and "ärger", or "Δέμα" and "δέμα", are compared here.
func (w *writeTx) labelsNamed(ctx context.Context, names []string, except int64) ([]int64, error) {
	rows, err := w.querySQL(ctx, `SELECT id, name FROM labels`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make([]int64, len(names))
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		for i, name := range names {
			if ids[i] == 0 && id != except && strings.EqualFold(n, name) {
				ids[i] = id
			}
		}
	}
	return ids, rows.Err()
}

// renameLabelInViews points the saved views that filter by the label
// named was at its new name, so a rename leaves no view showing nothing.
func (w *writeTx) renameLabelInViews(ctx context.Context, was, name string) error {
	rows, err := w.querySQL(ctx, `SELECT id, filter FROM saved_views WHERE filter LIKE '%label=%'`)
	if err != nil {
		return err
	}
	type change struct {
		id     int64
		filter string
	}
	var changes []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.id, &c.filter); err != nil {
			rows.Close()
			return err
		}
		if f, ok := inbox.RenameLabelInFilter(c.filter, was, name); ok {
			changes = append(changes, change{c.id, f})
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, c := range changes {
		if _, err := w.execSQL(ctx, `UPDATE saved_views SET filter = ? WHERE id = ?`, c.filter, c.id); err != nil {
			return err
		}
	}
	return nil
}

// DeleteLabel removes a label from every conversation.
func (db *DB) DeleteLabel(ctx context.Context, id int64) (inbox.Label, error) {
	var l inbox.Label
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		return w.queryRowSQL(ctx, `DELETE FROM labels WHERE id = ? RETURNING id, name, colour, created_at`, id).
			Scan(&l.ID, &l.Name, &l.Colour, msTime{&l.CreatedAt})
	})
	if err != nil {
		return inbox.Label{}, notFound(err, "delete label %d", id)
	}
	return l, nil
}

// activity writes an activity line into a conversation's thread (see
// inbox.RecordActivity) and adds it to ch.
func (w *writeTx) activity(ctx context.Context, ch *inbox.Change, a inbox.ThreadActivity) error {
	m, _, err := inbox.RecordActivity(ctx, w, a)
	if err != nil {
		return fmt.Errorf("record activity of conversation %d: %w", a.ConversationID, err)
	}
	ch.MessageIDs = append(ch.MessageIDs, m.ID)
	return nil
}

// labelIDs resolves label names (in any case) to ids; an unknown
// name is an *inbox.InvalidError.
func (w *writeTx) labelIDs(ctx context.Context, names []string) ([]int64, error) {
	if len(names) == 0 {
		return nil, nil
	}
	trimmed := make([]string, len(names))
	for i, n := range names {
		trimmed[i] = strings.TrimSpace(n)
	}
	found, err := w.labelsNamed(ctx, trimmed, 0)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for i, id := range found {
		if id == 0 {
			return nil, &inbox.InvalidError{Code: "unknown_label",
				Message: fmt.Sprintf("There is no label %q; an admin adds labels in Admin > Labels.", names[i])}
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// state reads what an update may change on one conversation.
func (w *writeTx) state(ctx context.Context, id int64) (inbox.ConversationState, error) {
	st := inbox.ConversationState{ID: id}
	var status string
	var labels sql.NullString
	err := w.queryRowSQL(ctx, `SELECT status, snoozed_at, snoozed_until, assignee_id,
		(SELECT group_concat(label_id) FROM conversation_labels WHERE conversation_id = c.id)
		FROM conversations c WHERE id = ?`, id).
		Scan(&status, msTime{&st.SnoozedAt}, msTime{&st.SnoozedUntil}, optID{&st.AssigneeID}, &labels)
	if err != nil {
		return st, notFound(err, "conversation %d", id)
	}
	st.Status = inbox.ConversationStatus(status)
	if !st.SnoozedAt.IsZero() {
		st.Status = inbox.Snoozed
	}
	for s := range strings.SplitSeq(labels.String, ",") {
		var l int64
		if _, err := fmt.Sscan(s, &l); err == nil {
			st.LabelIDs = append(st.LabelIDs, l)
		}
	}
	return st, nil
}

// labelNames names label ids, for the history.
func (w *writeTx) labelNames(ctx context.Context, ids []int64) []string {
	var out []string
	for _, id := range ids {
		var n string
		if w.queryRowSQL(ctx, `SELECT name FROM labels WHERE id = ?`, id).Scan(&n) == nil {
			out = append(out, n)
		}
	}
	return out
}

// UpdateConversations applies u to each conversation in one transaction
// and returns each one's state before.
func (db *DB) UpdateConversations(ctx context.Context, ids []int64, u inbox.ConversationUpdate, at time.Time) ([]inbox.StateChange, inbox.Change, error) {
	if err := u.Check(at); err != nil {
		return nil, inbox.Change{}, err
	}
	var before []inbox.StateChange
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		before, ch = before[:0], inbox.Change{}
		if u.Assign && u.AssigneeID != nil && *u.AssigneeID != 0 {
			var active bool
			err := w.queryRowSQL(ctx, `SELECT active FROM users WHERE id = ?`, *u.AssigneeID).Scan(&active)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !active) {
				return &inbox.InvalidError{Code: "invalid_assignee", Message: "The assignee must be an active teammate."}
			}
			if err != nil {
				return err
			}
		}
		var set, add, remove []int64
		var err error
		if u.Labels != nil {
			if set, err = w.labelIDs(ctx, *u.Labels); err != nil {
				return err
			}
		}
		if add, err = w.labelIDs(ctx, u.AddLabels); err != nil {
			return err
		}
		if remove, err = w.labelIDs(ctx, u.RemoveLabels); err != nil {
			return err
		}
		for _, id := range ids {
			st, err := w.state(ctx, id)
			if err != nil {
				return err
			}
			if from, ok := u.AssignFrom[id]; ok && u.Assign &&
				!inbox.SameAssignee(st.AssigneeID, from) && !inbox.SameAssignee(st.AssigneeID, u.AssigneeID) {
				// A teammate changed its assignee since the agent's
				// screen showed it: theirs stands.
				before = append(before, inbox.StateChange{Before: st, After: st, AssignedMeanwhile: true})
				continue
			}
			ch.ConversationIDs = append(ch.ConversationIDs, id)
			labels := st.LabelIDs
			if u.Labels != nil {
				labels = set
			}
			for _, l := range add {
				if !slices.Contains(labels, l) {
					labels = append(slices.Clip(labels), l)
				}
			}
			labels = slices.DeleteFunc(slices.Clone(labels), func(l int64) bool { return slices.Contains(remove, l) })
			next := st
			next.LabelIDs = labels
			if u.Assign {
				next.AssigneeID = u.AssigneeID
				if next.AssigneeID != nil && *next.AssigneeID == 0 {
					next.AssigneeID = nil
				}
			}
			if u.Status != nil {
				next.Status = *u.Status
				next.SnoozedAt, next.SnoozedUntil = time.Time{}, time.Time{}
				if next.Status == inbox.Snoozed {
					next.SnoozedAt, next.SnoozedUntil = at, u.SnoozedUntil
				}
			}
			if err := w.putState(ctx, &ch, st, next, u.By, at); err != nil {
				return err
			}
			after := next // as stored, to the millisecond
			if !after.SnoozedAt.IsZero() {
				after.SnoozedAt = stored(after.SnoozedAt)
			}
			if !after.SnoozedUntil.IsZero() {
				after.SnoozedUntil = stored(after.SnoozedUntil)
			}
			before = append(before, inbox.StateChange{Before: st, After: after})
		}
		return nil
	})
	if err != nil {
		return nil, inbox.Change{}, fmt.Errorf("update conversations: %w", err)
	}
	return before, ch, nil
}

// RestoreConversations undoes what updates changed, where the
// conversations are still as the updates left them (StateChange.Undo).
func (db *DB) RestoreConversations(ctx context.Context, changes []inbox.StateChange, by int64, at time.Time) (inbox.Change, error) {
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		ch = inbox.Change{}
		for _, c := range changes {
			ch.ConversationIDs = append(ch.ConversationIDs, c.Before.ID)
			cur, err := w.state(ctx, c.Before.ID)
			if err != nil {
				return err
			}
			next := c.Undo(cur)
			if next.Status == inbox.Snoozed && !next.SnoozedUntil.IsZero() && !next.SnoozedUntil.After(at) {
				// The snooze would have ended meanwhile: it comes back open.
				next.Status, next.SnoozedAt, next.SnoozedUntil = inbox.Open, time.Time{}, time.Time{}
			}
			if err := w.putState(ctx, &ch, cur, next, by, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return inbox.Change{}, fmt.Errorf("restore conversations: %w", err)
	}
	return ch, nil
}

// putState writes next over a conversation that is as cur says, and
// records in its thread what changed.
func (w *writeTx) putState(ctx context.Context, ch *inbox.Change, cur, next inbox.ConversationState, by int64, at time.Time) error {
	status := next.Status
	if status == inbox.Snoozed {
		status = inbox.Open
	}
	if cur.Status == inbox.Resolved && next.Status != inbox.Resolved {
		if err := w.takeBackResolve(ctx, next.ID, at); err != nil {
			return err
		}
	}
	var snoozedAt, snoozedUntil any
	if next.Status == inbox.Snoozed {
		snoozedAt, snoozedUntil = msOf(next.SnoozedAt), nullMS(next.SnoozedUntil)
	}
	if _, err := w.execSQL(ctx, `UPDATE conversations SET status = ?, assignee_id = ?, snoozed_at = ?, snoozed_until = ?,
		updated_at = ? WHERE id = ?`, string(status), nullID(next.AssigneeID), snoozedAt, snoozedUntil, msOf(at), next.ID); err != nil {
		return err
	}
	var added, removed []int64
	for _, l := range next.LabelIDs {
		if !slices.Contains(cur.LabelIDs, l) {
			added = append(added, l)
		}
	}
	for _, l := range cur.LabelIDs {
		if !slices.Contains(next.LabelIDs, l) {
			removed = append(removed, l)
		}
	}
	for _, l := range added {
		if _, err := w.execSQL(ctx, `INSERT OR IGNORE INTO conversation_labels (conversation_id, label_id) VALUES (?, ?)`, next.ID, l); err != nil {
			return err
		}
	}
	for _, l := range removed {
		if _, err := w.execSQL(ctx, `DELETE FROM conversation_labels WHERE conversation_id = ? AND label_id = ?`, next.ID, l); err != nil {
			return err
		}
	}
	var user *int64
	if by != 0 {
		user = &by
	}
	record := func(kind inbox.ActivityKind, detail string, target *int64, until time.Time) error {
		return w.activity(ctx, ch, inbox.ThreadActivity{ConversationID: next.ID, Kind: kind, ActorID: user,
			ByAPI: user == nil, TargetID: target, Detail: detail, Until: until, At: at})
	}
	for _, n := range w.labelNames(ctx, added) {
		if err := record(inbox.ActivityLabelAdded, n, nil, time.Time{}); err != nil {
			return err
		}
	}
	for _, n := range w.labelNames(ctx, removed) {
		if err := record(inbox.ActivityLabelRemoved, n, nil, time.Time{}); err != nil {
			return err
		}
	}
	if !inbox.SameAssignee(cur.AssigneeID, next.AssigneeID) {
		kind := inbox.ActivityAssigned
		if next.AssigneeID == nil {
			kind = inbox.ActivityUnassigned
		}
		if err := record(kind, "", next.AssigneeID, time.Time{}); err != nil {
			return err
		}
	}
	switch {
	case next.Status == inbox.Snoozed && (cur.Status != inbox.Snoozed || !cur.SnoozedUntil.Equal(next.SnoozedUntil)):
		return record(inbox.ActivitySnoozed, "", nil, next.SnoozedUntil)
	case cur.Status == inbox.Snoozed && next.Status != inbox.Snoozed:
		if err := record(inbox.ActivitySnoozeEnded, "", nil, time.Time{}); err != nil {
			return err
		}
		if next.Status == inbox.Resolved {
			return record(inbox.ActivityResolved, "", nil, time.Time{})
		}
	case cur.Status != next.Status:
		kind := inbox.ActivityResolved
		if next.Status == inbox.Open {
			kind = inbox.ActivityReopened
		}
		return record(kind, "", nil, time.Time{})
	}
	return nil
}

// NextSnoozeEnd is the earliest time a snoozed conversation is due back.
func (db *DB) NextSnoozeEnd(ctx context.Context) (time.Time, bool, error) {
	var at time.Time
	err := db.reader.QueryRowContext(ctx, `SELECT min(snoozed_until) FROM conversations WHERE snoozed_until IS NOT NULL`).
		Scan(msTime{&at})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next snooze end: %w", err)
	}
	return at, !at.IsZero(), nil
}

// EndSnoozes opens every conversation whose snooze ended by now. Each
// comes back at the top of the open list: its latest activity becomes at
// least the time its snooze ended.
func (db *DB) EndSnoozes(ctx context.Context, now time.Time) (inbox.Change, error) {
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		ch = inbox.Change{}
		rows, err := w.db.wconn.QueryContext(ctx, `UPDATE conversations SET
				last_message_at = max(last_message_at, snoozed_until), updated_at = ?,
				snoozed_at = NULL, snoozed_until = NULL
			WHERE snoozed_until <= ? RETURNING id`, msOf(now), msOf(now))
		if err != nil {
			return err
		}
		ids, err := scanIDs(rows)
		if err != nil {
			return err
		}
		ch.ConversationIDs = ids
		for _, id := range ids {
			if err := w.activity(ctx, &ch, inbox.ThreadActivity{ConversationID: id, Kind: inbox.ActivitySnoozeEnded, At: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return inbox.Change{}, fmt.Errorf("end snoozes: %w", err)
	}
	return ch, nil
}

// CountConversations counts the conversations a filter selects.
func (db *DB) CountConversations(ctx context.Context, f inbox.ConversationFilter) (int, error) {
	f.Cursor, f.ViewerID = "", 0
	f, err := db.withStoredLabel(ctx, f)
	if err != nil {
		return 0, fmt.Errorf("count conversations: %w", err)
	}
	q, args, err := conversationsQuery(f)
	if err != nil {
		return 0, err
	}
	// The same walk as the list, without its page limit.
	q, _, _ = strings.Cut(q, ` ORDER BY`)
	var n int
	if err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM (`+q+`)`, args[:len(args)-1]...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count conversations: %w", err)
	}
	return n, nil
}

// SavedViews lists userID's views and the shared ones, by name
// (compareNames), then id.
func (db *DB) SavedViews(ctx context.Context, userID int64) ([]inbox.SavedView, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, user_id, name, shared, filter, created_at FROM saved_views
		WHERE user_id = ? OR shared ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("saved views: %w", err)
	}
	defer rows.Close()
	var out []inbox.SavedView
	for rows.Next() {
		var v inbox.SavedView
		if err := rows.Scan(&v.ID, &v.UserID, &v.Name, &v.Shared, &v.Filter, msTime{&v.CreatedAt}); err != nil {
			return nil, fmt.Errorf("saved views: %w", err)
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b inbox.SavedView) int { return compareNames(a.Name, b.Name) })
	return out, rows.Err()
}

// CreateSavedView stores v and sets its ID.
func (db *DB) CreateSavedView(ctx context.Context, v *inbox.SavedView) error {
	v.Name = strings.Join(strings.Fields(v.Name), " ")
	if v.Name == "" || len([]rune(v.Name)) > inbox.MaxSavedViewName {
		return &inbox.InvalidError{Code: "invalid_view",
			Message: fmt.Sprintf("A view needs a name of at most %d characters.", inbox.MaxSavedViewName)}
	}
	v.CreatedAt = stored(v.CreatedAt)
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var n int
		if err := w.queryRowSQL(ctx, `SELECT count(*) FROM saved_views WHERE user_id = ?`, v.UserID).Scan(&n); err != nil {
			return err
		}
		if n >= inbox.MaxSavedViews {
			return &inbox.InvalidError{Code: "too_many_views",
				Message: fmt.Sprintf("You have %d saved views, as many as one person may keep; delete one first.", n)}
		}
		return w.queryRowSQL(ctx, `INSERT INTO saved_views (user_id, name, shared, filter, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			v.UserID, v.Name, v.Shared, v.Filter, msOf(v.CreatedAt)).Scan(&v.ID)
	})
	if err != nil {
		return fmt.Errorf("create saved view: %w", err)
	}
	return nil
}

// DeleteSavedView removes one of userID's views, or a shared one when
// admin.
func (db *DB) DeleteSavedView(ctx context.Context, id, userID int64, admin bool) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var found int64
		return w.queryRowSQL(ctx, `DELETE FROM saved_views WHERE id = ? AND (user_id = ? OR (shared AND ?)) RETURNING id`,
			id, userID, admin).Scan(&found)
	})
	if err != nil {
		return notFound(err, "delete saved view %d", id)
	}
	return nil
}

// labelDriveFactor sets when a list filtered by a label starts from the
// label's rows rather than walking the list's index: when the label's n
// conversations satisfy n² ≤ labelDriveFactor × N, N the conversations in
// all. Starting from the label costs a primary-key lookup per labelled
// conversation; walking costs an index entry per row until a page of
// labelled ones is found, about 50·N/n of them, each much cheaper. A
// variable for tests (negative: always walk).
var labelDriveFactor = 10

// labelQuery is the query for a list filtered by a label: walk, the query
// conversationsQuery wrote, for a label on many conversations; otherwise
// the label's conversations, sorted (labelDriveQuery).
func (db *DB) labelQuery(ctx context.Context, f inbox.ConversationFilter, walk string, walkArgs []any) (string, []any, error) {
	var id, n, total int64
	err := db.reader.QueryRowContext(ctx, `SELECT l.id, (SELECT count(*) FROM conversation_labels cl WHERE cl.label_id = l.id),
		coalesce((SELECT max(id) FROM conversations), 0) FROM labels l WHERE l.name = ?`, f.Label).Scan(&id, &n, &total)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (labelDriveFactor < 0 || n*n > int64(labelDriveFactor)*total)) {
		return walk, walkArgs, nil
	}
	if err != nil {
		return "", nil, err
	}
	return labelDriveQuery(f, id)
}

// labelDriveQuery is the page of a list filtered by label labelID that
// starts from the label's conversations: their ids are sorted by activity
// (one primary-key lookup each), and only the page's rows are read in
// full.
func labelDriveQuery(f inbox.ConversationFilter, labelID int64) (string, []any, error) {
	where := []string{`cl.label_id = ?`}
	args := []any{labelID}
	switch f.Status {
	case "":
	case inbox.Open:
		where = append(where, `c.status = 'open'`, `c.snoozed_at IS NULL`)
	case inbox.Snoozed:
		where = append(where, `c.status = 'open'`, `c.snoozed_at IS NOT NULL`)
	default:
		where = append(where, `c.status = ?`)
		args = append(args, string(f.Status))
	}
	where, args, err := filterConditions(f, where, args)
	if err != nil {
		return "", nil, err
	}
	unread, unreadArgs := unreadColumn(f.ViewerID)
	q := `SELECT ` + conversationCols + `, ` + unread + `
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.id IN (SELECT c.id FROM conversation_labels cl CROSS JOIN conversations c ON c.id = cl.conversation_id
			WHERE ` + strings.Join(where, ` AND `) + `
			ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?)
		ORDER BY c.last_message_at DESC, c.id DESC`
	all := append(unreadArgs, args...)
	return q, append(all, pageLimit(f.Limit)+1), nil
}
