package store

import (
	"context"
	"fmt"
	"time"

	"switchboard/inbox"
)

const eventCols = `id, type, timestamp, received_at, sender_id, iif(pending, 'pending', state), error, attempts, raw, failed_version, signed_by`

func scanEvent(row scanner) (inbox.StoredEvent, error) {
	var e inbox.StoredEvent
	var typ, state string
	err := row.Scan(&e.ID, &typ, msTime{&e.Timestamp}, msTime{&e.ReceivedAt}, &e.SenderID, &state, &e.Error,
		&e.Attempts, &e.Raw, &e.FailedVersion, &e.SignedBy)
	if err != nil {
		return inbox.StoredEvent{}, err
	}
	e.Type, e.State = inbox.EventType(typ), inbox.EventState(state)
	return e, nil
}

// Events returns a page of the webhook log, newest first (received_at,
// then id, descending), with each event's raw body, and the cursor of the
// next page, empty at the end.
func (db *DB) Events(ctx context.Context, f inbox.EventFilter) ([]inbox.StoredEvent, string, error) {
	limit := pageLimit(f.Limit)
	q, args, err := eventsQuery(f)
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	items := make([]inbox.StoredEvent, 0, limit)
	next := ""
	for rows.Next() {
		if len(items) == limit {
			last := items[len(items)-1]
			next = encodeCursor(msOf(last.ReceivedAt), last.ID)
			break
		}
		e, err := scanEvent(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list events: %w", err)
		}
		items = append(items, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	return items, next, nil
}

// eventsQuery is the query for a page of the webhook log: limit+1 rows, so
// that the last one tells whether there is a next page.
func eventsQuery(f inbox.EventFilter) (string, []any, error) {
	q := `SELECT ` + eventCols + ` FROM webhook_events WHERE true`
	var args []any
	switch f.State {
	case "":
	case inbox.EventPending:
		q += ` AND pending = 1`
	case inbox.EventApplied:
		q += ` AND state = 'applied' AND pending = 0`
	default:
		q += ` AND state = ?`
		args = append(args, string(f.State))
	}
	if f.Cursor != "" {
		ms, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return "", nil, err
		}
		q += ` AND (received_at, id) < (?, ?)`
		args = append(args, ms, id)
	}
	q += ` ORDER BY received_at DESC, id DESC LIMIT ?`
	return q, append(args, pageLimit(f.Limit)+1), nil
}

// RawEvent returns one stored event with its raw body, for a replay, or an
// error wrapping inbox.ErrNotFound.
func (db *DB) RawEvent(ctx context.Context, id string) (inbox.StoredEvent, error) {
	e, err := scanEvent(db.reader.QueryRowContext(ctx, `SELECT `+eventCols+` FROM webhook_events WHERE id = ?`, id))
	if err != nil {
		return inbox.StoredEvent{}, notFound(err, "event %s", id)
	}
	return e, nil
}

// EventCounts counts the webhook log: events received since since, those
// of them that failed, and failed events of any age. Each count walks an
// index: the recent part of the log, and the failed events, which are few.
func (db *DB) EventCounts(ctx context.Context, since time.Time) (inbox.EventCounts, error) {
	var c inbox.EventCounts
	err := db.reader.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM webhook_events WHERE received_at >= ?1),
		(SELECT COUNT(*) FROM webhook_events WHERE state = 'failed' AND received_at >= ?1),
		(SELECT COUNT(*) FROM webhook_events WHERE state = 'failed'),
		(SELECT COUNT(*) FROM webhook_events WHERE state = 'failed' AND failed_version != ?2)`, msOf(since), db.version).
		Scan(&c.Recent, &c.RecentFailed, &c.Failed, &c.FailedOlder)
	if err != nil {
		return inbox.EventCounts{}, fmt.Errorf("count events: %w", err)
	}
	return c, nil
}
