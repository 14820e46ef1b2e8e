package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"switchboard/inbox"
)

var (
	// A new event is stored as applied; if apply fails, stFailEvent
	// corrects that in the same transaction. The common case is one
	// statement.
	stInsertEvent = writerStatement(`INSERT INTO webhook_events
		(id, type, timestamp, received_at, sender_id, state, error, attempts, raw)
		VALUES (?, ?, ?, ?, ?, 'applied', '', 1, ?)
		ON CONFLICT (id) DO NOTHING`)
	// stInsertSignedEvent is stInsertEvent for an event a sender's own
	// secret alone signed, kept with that sender (signed_by).
	stInsertSignedEvent = writerStatement(`INSERT INTO webhook_events
		(id, type, timestamp, received_at, sender_id, state, error, attempts, raw, signed_by)
		VALUES (?, ?, ?, ?, ?, 'applied', '', 1, ?, ?)
		ON CONFLICT (id) DO NOTHING`)
	stFailEvent   = writerStatement(`UPDATE webhook_events SET state = 'failed', error = ?, failed_version = ?, pending = 0 WHERE id = ?`)
	stReplayEvent = writerStatement(`UPDATE webhook_events
		SET attempts = attempts + 1, state = 'applied', error = '' WHERE id = ? AND state = 'failed'`)
)

// Ingest stores ev keyed by its id and, unless that id was stored before,
// applies it with apply in the same transaction. It returns after the
// commit: a nil error means the event is durable. An event that apply
// rejects (or panics on) is stored in state failed with the error, and
// none of apply's writes are kept. Concurrent calls share commits.
func (db *DB) Ingest(ctx context.Context, ev *inbox.Event, apply inbox.ApplyFunc) (inbox.IngestResult, error) {
	if ev == nil || ev.ID == "" || apply == nil {
		return inbox.IngestResult{}, fmt.Errorf("ingest: an event needs an id and an apply function: %w", inbox.ErrInvalid)
	}
	receivedAt := db.now()
	var res inbox.IngestResult
	err := db.submit(ctx, func(ctx context.Context, w *writeTx) error {
		stored, err := w.storeEvent(ctx, stInsertEvent, ev, receivedAt)
		if err != nil {
			return err
		}
		if !stored {
			res = inbox.IngestResult{Duplicate: true}
			return nil
		}
		res = w.applyEvent(ctx, ev, apply)
		return nil
	})
	if err != nil {
		return inbox.IngestResult{}, fmt.Errorf("ingest event %s: %w", ev.ID, err)
	}
	return res, nil
}

// Replay applies a stored event that failed again, typically after an
// upgrade. ev is the event decoded again from its raw body; Replay marks it
// Replayed, and sets the sender whose own secret alone signed it as stored
// (Event.SignedBy), before apply sees it. The event's attempts grow by one
// and its state and error are replaced by this attempt's. It returns an error
// wrapping inbox.ErrConflict for an event already applied (checked in the
// same transaction, so two replays at once apply it once) and
// inbox.ErrNotFound for an event that is not stored.
func (db *DB) Replay(ctx context.Context, ev *inbox.Event, apply inbox.ApplyFunc) (inbox.IngestResult, error) {
	if ev == nil || ev.ID == "" || apply == nil {
		return inbox.IngestResult{}, fmt.Errorf("replay: an event needs an id and an apply function: %w", inbox.ErrInvalid)
	}
	ev.Replayed = true
	var res inbox.IngestResult
	err := db.submit(ctx, func(ctx context.Context, w *writeTx) error {
		r, err := w.exec(ctx, stReplayEvent, ev.ID)
		if err != nil {
			return w.fail(fmt.Errorf("mark event %s replayed: %w", ev.ID, err))
		}
		if n, err := r.RowsAffected(); err != nil {
			return w.fail(fmt.Errorf("mark event %s replayed: %w", ev.ID, err))
		} else if n == 0 {
			var state string
			err := w.queryRowSQL(ctx, `SELECT state FROM webhook_events WHERE id = ?`, ev.ID).Scan(&state)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return inbox.ErrNotFound
			case err != nil:
				return w.fail(fmt.Errorf("read event %s: %w", ev.ID, err))
			}
			return fmt.Errorf("event %s is %s already: %w", ev.ID, state, inbox.ErrConflict)
		}
		// Checked again as it was when it first came: the sender whose
		// own secret alone signed it is the stored one, whatever the
		// caller decoded.
		if err := w.queryRowSQL(ctx, `SELECT signed_by FROM webhook_events WHERE id = ?`, ev.ID).Scan(&ev.SignedBy); err != nil {
			return w.fail(fmt.Errorf("read event %s: %w", ev.ID, err))
		}
		res = w.applyEvent(ctx, ev, apply)
		return nil
	})
	if err != nil {
		return inbox.IngestResult{}, fmt.Errorf("replay event %s: %w", ev.ID, err)
	}
	return res, nil
}

// signedInsert is, for each statement storeEvent takes, its form for an
// event a sender's own secret alone signed, which keeps that sender.
var signedInsert = map[stmtID]stmtID{stInsertEvent: stInsertSignedEvent, stAppendEvent: stAppendSignedEvent}

// storeEvent inserts ev's row into the webhook log with insert
// (stInsertEvent or stAppendEvent, or its signedInsert form for an event
// with a signer); stored is false when its id was stored before.
func (w *writeTx) storeEvent(ctx context.Context, insert stmtID, ev *inbox.Event, receivedAt time.Time) (stored bool, err error) {
	args := []any{ev.ID, string(ev.Type), nullMS(ev.Timestamp), msOf(receivedAt), ev.SenderID, ev.Raw}
	if ev.SignedBy != "" {
		insert, args = signedInsert[insert], append(args, ev.SignedBy)
	}
	r, err := w.exec(ctx, insert, args...)
	if err != nil {
		return false, w.fail(fmt.Errorf("store event %s: %w", ev.ID, err))
	}
	n, err := r.RowsAffected()
	if err != nil {
		return false, w.fail(fmt.Errorf("store event %s: %w", ev.ID, err))
	}
	return n > 0, nil
}

// applyEvent runs apply in a savepoint. If apply fails or panics, its
// writes are undone and the stored event is marked failed with the error.
func (w *writeTx) applyEvent(ctx context.Context, ev *inbox.Event, apply inbox.ApplyFunc) inbox.IngestResult {
	var change inbox.Change
	err := w.inSavepoint(ctx, func() error {
		var err error
		change, err = w.safeApply(ctx, ev, apply)
		return err
	})
	switch {
	case w.fatal != nil:
		return inbox.IngestResult{} // the batch fails; nobody reads this
	case err != nil:
		return w.markFailed(ctx, ev, err.Error())
	}
	return inbox.IngestResult{State: inbox.EventApplied, Change: change}
}

// markFailed records that ev could not be applied, and why.
func (w *writeTx) markFailed(ctx context.Context, ev *inbox.Event, msg string) inbox.IngestResult {
	if _, err := w.exec(ctx, stFailEvent, msg, w.db.version, ev.ID); err != nil {
		w.fail(fmt.Errorf("mark event %s failed: %w", ev.ID, err))
		return inbox.IngestResult{}
	}
	return inbox.IngestResult{State: inbox.EventFailed, Error: msg}
}

// safeApply calls apply, turning a panic into an error wrapping
// inbox.ErrApplyPanicked: a bug in a rule fails its event, not the server.
func (w *writeTx) safeApply(ctx context.Context, ev *inbox.Event, apply inbox.ApplyFunc) (ch inbox.Change, err error) {
	defer func() {
		if p := recover(); p != nil {
			w.db.log.Error("applying a webhook event panicked", "event_id", ev.ID, "type", string(ev.Type),
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			ch, err = inbox.Change{}, fmt.Errorf("%w: %v", inbox.ErrApplyPanicked, p)
		}
	}()
	return apply(ctx, w, ev)
}
