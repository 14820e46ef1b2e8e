package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Retention deletes in small transactions of the writer's, one chunk of
// rows each, so that webhooks queued behind one wait little: a chunk's
// size adapts to keep each transaction's share of the writer near
// pruneTarget, and well under pruneMaxHold.

const (
	pruneTarget   = 5 * time.Millisecond
	pruneMaxHold  = 50 * time.Millisecond
	pruneMinChunk = 16
	pruneMaxChunk = 256
)

// settingRawCursor is the last webhook_events rowid whose body retention
// has dealt with: a run starts after it, so the bodies deleted already are
// not walked again.
const settingRawCursor = "retention_raw_rowid"

// PruneStats says what a retention run deleted and how long its
// transactions held the writer.
type PruneStats struct {
	Rows        int64
	Chunks      int
	LongestHold time.Duration // the longest one chunk's work held the writer
}

// chunker sizes the chunks: halve after a slow one, double after a quick
// one.
type chunker struct{ n int }

func (c *chunker) next(took time.Duration) {
	switch {
	case took > pruneTarget && c.n > pruneMinChunk:
		c.n /= 2
	case took < pruneTarget/4 && c.n < pruneMaxChunk:
		c.n *= 2
	}
}

// PruneRawBodies deletes the stored bodies of webhook events applied and
// received before before; the events' rows (the log) and what they
// changed stay. Failed events keep their body, to be replayed. It works
// in order of arrival, from where its last run stopped, until it meets an
// event received at or after before.
func (db *DB) PruneRawBodies(ctx context.Context, before time.Time) (PruneStats, error) {
	var st PruneStats
	c := chunker{n: 128}
	cursor, err := db.rawCursor(ctx)
	if err != nil {
		return st, err
	}
	cut := msOf(before)
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		// Where this chunk ends: read beside the writer, not in its
		// transaction.
		var hi sql.NullInt64
		err := db.reader.QueryRowContext(ctx, `SELECT MAX(r) FROM (SELECT rowid AS r, received_at FROM webhook_events
			WHERE rowid > ? ORDER BY rowid LIMIT ?) WHERE received_at < ?`, cursor, c.n, cut).Scan(&hi)
		if err != nil {
			return st, fmt.Errorf("prune webhook bodies: %w", err)
		}
		if !hi.Valid {
			return st, nil // the next event is newer than the cut-off, or none is left
		}
		var n int64
		var took time.Duration
		err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
			start := time.Now()
			defer func() { took = time.Since(start) }()
			res, err := w.execSQL(ctx, `UPDATE webhook_events SET raw = NULL
				WHERE rowid > ? AND rowid <= ? AND received_at < ? AND state = 'applied' AND pending = 0 AND raw IS NOT NULL`,
				cursor, hi.Int64, cut)
			if err != nil {
				return err
			}
			n, _ = res.RowsAffected()
			return w.setSetting(ctx, settingRawCursor, strconv.FormatInt(hi.Int64, 10), db.now())
		})
		if err != nil {
			return st, fmt.Errorf("prune webhook bodies: %w", err)
		}
		st.Rows += n
		st.Chunks++
		st.LongestHold = max(st.LongestHold, took)
		cursor = hi.Int64
		c.next(took)
	}
}

func (db *DB) rawCursor(ctx context.Context) (int64, error) {
	v, ok, err := db.Setting(ctx, settingRawCursor)
	if err != nil || !ok {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errors.Join(fmt.Errorf("setting %s=%q", settingRawCursor, v), err)
	}
	return n, nil
}

// EventClock is one stored webhook event's own timestamp (Zavu's, from
// the signed body) beside the time Switchboard received it.
type EventClock struct{ Timestamp, Received time.Time }

// RecentEventClocks reads the times of the newest n stored webhook events
// that carry a timestamp, from the database file at path, opened
// read-only beside a server that may be running; events whose id matches
// the GLOB pattern skip (when not "") are left out.
func RecentEventClocks(ctx context.Context, path string, n int, skip string) ([]EventClock, error) {
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT timestamp, received_at FROM webhook_events
		WHERE timestamp > 0 AND NOT (? <> '' AND id GLOB ?) ORDER BY received_at DESC LIMIT ?`, skip, skip, n)
	if err != nil {
		return nil, fmt.Errorf("recent events: %w", err)
	}
	defer rows.Close()
	var out []EventClock
	for rows.Next() {
		var ts, rc int64
		if err := rows.Scan(&ts, &rc); err != nil {
			return nil, fmt.Errorf("recent events: %w", err)
		}
		out = append(out, EventClock{Timestamp: fromMS(ts), Received: fromMS(rc)})
	}
	return out, rows.Err()
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// SettingIn reads a setting from the database file at path, opened
// read-only beside a server that may be running; ok is false when it was
// never set.
func SettingIn(ctx context.Context, path, key string) (value string, ok bool, err error) {
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return "", false, err
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("setting %s: %w", key, err)
	}
	return value, true, nil
}
