package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/inbox"
)

// DB implements inbox.OutboxStore: each method is one write (one read for
// NextOutboxAttempt). created_at and updated_at of an entry are kept by
// the store's clock; next_attempt_at by the times the worker gives.
var _ inbox.OutboxStore = (*DB)(nil)

var (
	stInsertOutbox = writerStatement(`INSERT INTO outbox
		(message_id, conversation_id, idempotency_key, state, attempts, next_attempt_at, last_error, request, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	// Due entries, from the partial index outbox_due: queued ones whose
	// time has come, and sending ones whose lease ran out; of those, only
	// the first unfinished entry of each conversation (outbox_pending
	// finds an earlier one), so a reply never goes before an earlier one
	// of its conversation that is waiting for a retry or being sent.
	stDueOutbox = writerStatement(`SELECT o.id, o.message_id, o.conversation_id, o.attempts, o.last_error, o.request
		FROM outbox o
		WHERE o.state IN ('queued', 'sending') AND o.next_attempt_at <= ?
			AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.conversation_id = o.conversation_id
				AND e.state IN ('queued', 'sending') AND e.id < o.id)
		ORDER BY o.next_attempt_at, o.id LIMIT ?`)
	// A claim keeps when the attempt was due (attempt_due_at) before the
	// lease takes next_attempt_at.
	stClaimOutbox = writerStatement(`UPDATE outbox SET state = 'sending', attempts = attempts + 1,
		attempt_due_at = next_attempt_at, next_attempt_at = ?, updated_at = ? WHERE id = ? RETURNING attempts`)
	stOutboxEntry = writerStatement(`SELECT state, message_id FROM outbox WHERE id = ?`)
	// Sent and failed are final: an entry in them is never written again.
	stFinishOutbox = writerStatement(`UPDATE outbox SET state = ?, last_error = ?, updated_at = ? WHERE id = ?`)
	// What may have opted a conversation's customer out or in between
	// two times (inbox.OptOutTx.OptSignals): its customer's short texts,
	// and the replies that failed with 21610.
	stOptSignals = writerStatement(`SELECT ` + messageCols + ` FROM messages m
		WHERE m.conversation_id = ?1 AND ((m.direction = 'inbound' AND m.type = 'text' AND length(m.text) <= 64
			AND m.created_at BETWEEN ?2 AND ?3) OR (m.error_code = '21610' AND m.failed_at BETWEEN ?2 AND ?3))`)
	// The entries of a conversation waiting to be sent (outbox_pending),
	// failed as its customer opts out.
	stFailQueuedOutbox = writerStatement(`UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ?
		WHERE conversation_id = ? AND state IN ('queued', 'sending') AND state = 'queued' RETURNING message_id`)
	stRetryOutbox = writerStatement(`UPDATE outbox SET state = 'queued', next_attempt_at = ?, last_error = ?, updated_at = ?
		WHERE id = ? AND state IN ('queued', 'sending') RETURNING message_id`)
	// Entries waiting to be sent due before a pause ends, each the first
	// unfinished one of its conversation, wait for its end, with its
	// reason (outbox_due, then outbox_pending).
	stHoldOutbox = writerStatement(`UPDATE outbox SET next_attempt_at = ?, last_error = ?, updated_at = ?
		WHERE state IN ('queued', 'sending') AND state = 'queued' AND next_attempt_at < ?
			AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.conversation_id = outbox.conversation_id
				AND e.state IN ('queued', 'sending') AND e.id < outbox.id)
		RETURNING message_id`)
	// Whether a conversation has a reply not yet sent or failed
	// (outbox_pending).
	stUnfinishedOutbox = writerStatement(`SELECT id FROM outbox WHERE conversation_id = ? AND state IN ('queued', 'sending') LIMIT 1`)
	// A message whose bubble changes with its outbox entry (why it waits,
	// until when) counts the change in its rev, so that a page keeps the
	// newest bubble.
	stOutboxMessageChanged = writerStatement(`UPDATE messages SET rev = rev + 1 WHERE id = ? RETURNING conversation_id`)
	// Why pending replies wait, until when, and after how many attempts:
	// their entries waiting for a retry or held by a pause, and those
	// being tried (when that attempt was due, and the attempts before it;
	// one claimed by a version that did not keep the time says nothing),
	// found on outbox_message (read by attachWaits).
	waitingOutboxQuery = `SELECT message_id, last_error,
			CASE WHEN state = 'sending' THEN attempt_due_at ELSE next_attempt_at END,
			CASE WHEN state = 'sending' THEN attempts - 1 ELSE attempts END
		FROM outbox WHERE message_id IN (%s) AND last_error <> ''
			AND (state = 'queued' OR (state = 'sending' AND attempt_due_at > 0))`
)

// outboxPauseKey names the settings row that keeps the pause the last
// hold (OutboxHold) put every send in: a reply queued before it ends
// waits for it too (InsertOutbox).
const outboxPauseKey = "outbox_pause"

// outboxPause is the value of the outboxPauseKey row.
type outboxPause struct {
	Until  int64  `json:"until"` // Unix ms
	Reason string `json:"reason"`
}

// pauseBound is the latest a pause may end, as seen at now (Unix ms):
// inbox.MaxPause later.
func pauseBound(now time.Time) int64 { return msOf(now.Add(inbox.MaxPause)) }

// outboxPause reads the pause the last hold put every send in, cut to
// end inbox.MaxPause after now when it ends later (a clock ahead of now's
// wrote it), and kept so: every process, and every reply queued
// meanwhile, then waits no longer. ok is false when there was none.
func (w *writeTx) outboxPause(ctx context.Context, now time.Time) (p outboxPause, ok bool, err error) {
	raw, ok, err := w.setting(ctx, outboxPauseKey)
	if err == nil && ok {
		p, err = decodeOutboxPause(raw)
	}
	if bound := pauseBound(now); err == nil && ok && p.Until > bound {
		p.Until = bound
		err = w.setOutboxPause(ctx, p)
	}
	if err != nil {
		return outboxPause{}, false, fmt.Errorf("the outbox's pause: %w", err)
	}
	return p, ok, nil
}

// decodeOutboxPause reads the value of the outboxPauseKey row.
func decodeOutboxPause(raw string) (p outboxPause, err error) {
	err = json.Unmarshal([]byte(raw), &p)
	return p, err
}

// setOutboxPause keeps p as the pause every send is in.
func (w *writeTx) setOutboxPause(ctx context.Context, p outboxPause) error {
	raw, err := json.Marshal(p)
	if err == nil {
		err = w.setSetting(ctx, outboxPauseKey, string(raw), w.db.now())
	}
	return err
}

// OutboxPause is the pause the last hold kept (OutboxHold), which holds
// the sends of every process sending from the database, as seen at now:
// until is zero when none holds then. One ending more than
// inbox.MaxPause after now is cut to end then, and kept so. It is one
// read, unless it cuts.
func (db *DB) OutboxPause(ctx context.Context, now time.Time) (until time.Time, reason string, err error) {
	var p outboxPause
	raw, ok, err := db.Setting(ctx, outboxPauseKey)
	if err == nil && ok {
		p, err = decodeOutboxPause(raw)
	}
	if err == nil && ok && p.Until > pauseBound(now) {
		err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
			p, ok, err = w.outboxPause(ctx, now)
			return err
		})
	}
	if err != nil {
		return time.Time{}, "", fmt.Errorf("the outbox's pause: %w", err)
	}
	if !ok || p.Until <= msOf(now) {
		return time.Time{}, "", nil
	}
	return fromMS(p.Until), p.Reason, nil
}

// InsertOutbox stores an outbox entry and sets its ID. The message it
// carries is kept as JSON. An idempotency key that is taken is an error
// wrapping inbox.ErrConflict.
//
// A reply queued while a hold pauses every send (see OutboxHold), due
// before the pause ends, waits for its end with the pause's reason, as
// the replies the hold moved do: its NextAttemptAt and LastError are set
// to them. One behind an earlier unfinished reply of its conversation
// waits for that one and is stored as it came.
func (w *writeTx) InsertOutbox(ctx context.Context, e *inbox.OutboxEntry) error {
	if e.Message.IdempotencyKey == "" {
		return fmt.Errorf("outbox entry for message %d: no idempotency key: %w", e.MessageID, inbox.ErrInvalid)
	}
	req, err := json.Marshal(e.Message)
	if err != nil {
		return fmt.Errorf("outbox entry for message %d: encode the request: %w", e.MessageID, err)
	}
	state := e.State
	if state == "" {
		state = inbox.OutboxQueued
	}
	next, reason := msOf(e.NextAttemptAt), e.LastError
	if state == inbox.OutboxQueued && reason == "" {
		if next, reason, err = w.heldByThePause(ctx, e.ConversationID, next); err != nil {
			return fmt.Errorf("outbox entry for message %d: %w", e.MessageID, err)
		}
	}
	now := w.db.now().UnixMilli()
	id, err := w.execID(ctx, stInsertOutbox, e.MessageID, e.ConversationID, e.Message.IdempotencyKey, string(state), e.Attempts,
		next, reason, string(req), now, now)
	switch {
	case isUniqueViolation(err):
		return fmt.Errorf("outbox entry for message %d: idempotency key %s is taken: %w",
			e.MessageID, e.Message.IdempotencyKey, inbox.ErrConflict)
	case isForeignKeyViolation(err):
		return fmt.Errorf("outbox entry for message %d: %w", e.MessageID, inbox.ErrNotFound)
	case err != nil:
		return fmt.Errorf("outbox entry for message %d: %w", e.MessageID, err)
	}
	e.ID, e.State, e.NextAttemptAt, e.LastError = id, state, fromMS(next), reason
	return nil
}

// heldByThePause is when a new reply of conversation convID due at next
// (Unix ms) goes, and why it waits: at the end of the pause the last
// hold put every send in, with its reason, when that is later and no
// earlier reply of the conversation holds it; at next, with no reason,
// otherwise.
func (w *writeTx) heldByThePause(ctx context.Context, convID, next int64) (int64, string, error) {
	p, ok, err := w.outboxPause(ctx, w.db.now())
	if err != nil || !ok || next >= p.Until {
		return next, "", err
	}
	var earlier int64
	switch err := w.queryRow(ctx, stUnfinishedOutbox, convID).Scan(&earlier); {
	case errors.Is(err, sql.ErrNoRows):
		return p.Until, p.Reason, nil
	case err != nil:
		return 0, "", fmt.Errorf("earlier replies of conversation %d: %w", convID, err)
	}
	return next, "", nil
}

// FailQueuedOutbox marks failed, with reason, the entries of a
// conversation waiting to be sent, queued or waiting for a retry (one
// being sent is on its way already), and returns their messages' ids:
// see inbox.OptOutTx.
func (w *writeTx) FailQueuedOutbox(ctx context.Context, conversationID int64, reason string) ([]int64, error) {
	rows, err := w.query(ctx, stFailQueuedOutbox, reason, w.db.now().UnixMilli(), conversationID)
	if err == nil {
		var ids []int64
		if ids, err = scanIDs(rows); err == nil {
			return ids, nil
		}
	}
	return nil, fmt.Errorf("fail the outbox of conversation %d: %w", conversationID, err)
}

// OptSignals returns the messages of a conversation that may have opted
// its customer out or back in from from to to: the customer's texts of
// that time short enough to be a keyword, and replies whose failure with
// 21610 was first reported then. See inbox.OptOutTx.
func (w *writeTx) OptSignals(ctx context.Context, conversationID int64, from, to time.Time) ([]inbox.Message, error) {
	rows, err := w.query(ctx, stOptSignals, conversationID, msOf(from), msOf(to))
	if err != nil {
		return nil, fmt.Errorf("opt-outs of conversation %d: %w", conversationID, err)
	}
	defer rows.Close()
	var out []inbox.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("opt-outs of conversation %d: %w", conversationID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("opt-outs of conversation %d: %w", conversationID, err)
	}
	return out, nil
}

// ClaimOutbox takes up to limit entries due at now: queued ones whose
// next attempt has come, and sending ones whose lease ran out (their
// process died mid-send; they go again with the same key). It takes at
// most one entry per conversation, its first unfinished one in the order
// the replies were written: while that one is being sent or waits for a
// retry, the conversation's later replies wait behind it. An entry that
// failed for good no longer holds them. Claimed entries are marked
// sending, with one more attempt and a lease until now+lease, and
// returned the most overdue first, with their messages decoded.
// On PostgreSQL a claimed entry also records this process's run
// (leases.go), for ReleaseOutbox.
func (db *DB) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]inbox.OutboxEntry, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []inbox.OutboxEntry
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var err error
		if out, err = w.dueOutbox(ctx, now, limit); err != nil {
			return err
		}
		until, written := now.Add(lease), w.db.now().UnixMilli()
		for i := range out {
			e := &out[i]
			args := []any{msOf(until), written, e.ID}
			if db.leases != nil {
				args = append(args, db.leases.runID) // PostgreSQL: the claim names its run
			}
			if err := w.queryRow(ctx, stClaimOutbox, args...).Scan(&e.Attempts); err != nil {
				return fmt.Errorf("outbox entry %d: %w", e.ID, err)
			}
			e.State, e.NextAttemptAt = inbox.OutboxSending, stored(until)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	return out, nil
}

// dueOutbox reads up to limit entries due at now, the first unfinished
// one of each conversation, the most overdue first.
func (w *writeTx) dueOutbox(ctx context.Context, now time.Time, limit int) ([]inbox.OutboxEntry, error) {
	rows, err := w.query(ctx, stDueOutbox, msOf(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inbox.OutboxEntry
	for rows.Next() {
		var e inbox.OutboxEntry
		var req string
		if err := rows.Scan(&e.ID, &e.MessageID, &e.ConversationID, &e.Attempts, &e.LastError, &req); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(req), &e.Message); err != nil {
			return nil, fmt.Errorf("outbox entry %d: decode the request: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// outboxEntry reads an entry's state and message, or an error wrapping
// inbox.ErrNotFound.
func (w *writeTx) outboxEntry(ctx context.Context, id int64) (state inbox.OutboxState, messageID int64, err error) {
	var st string
	if err := w.queryRow(ctx, stOutboxEntry, id).Scan(&st, &messageID); err != nil {
		return "", 0, notFound(err, "outbox entry %d", id)
	}
	return inbox.OutboxState(st), messageID, nil
}

// finished reports whether an entry in state st was answered for good.
func finished(st inbox.OutboxState) bool { return st == inbox.OutboxSent || st == inbox.OutboxFailed }

// OutboxSent records Zavu's answer to a send on the entry's message (see
// inbox.RecordSent): its Zavu id and status, with what a status webhook
// that overtook the answer left in a placeholder, which goes. The entry
// becomes sent. An entry already sent or failed is left as it is and the
// Change is empty: a second answer changes nothing.
func (db *DB) OutboxSent(ctx context.Context, entryID int64, res inbox.SendResult, at time.Time) (inbox.Change, error) {
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		ch = inbox.Change{}
		st, messageID, err := w.outboxEntry(ctx, entryID)
		if err != nil || finished(st) {
			return err
		}
		c, err := inbox.RecordSent(ctx, w, messageID, res, at)
		if err != nil {
			return err
		}
		if _, err := w.exec(ctx, stFinishOutbox, string(inbox.OutboxSent), "", w.db.now().UnixMilli(), entryID); err != nil {
			return fmt.Errorf("mark outbox entry %d sent: %w", entryID, err)
		}
		ch = c
		return nil
	})
	if err != nil {
		return inbox.Change{}, fmt.Errorf("record the send of outbox entry %d: %w", entryID, err)
	}
	return ch, nil
}

// OutboxRetry puts an entry that is being sent back in the queue until
// next, with the reason its attempt failed in plain words, which its
// message shows until then (inbox.Message.Waiting); the Change names the
// message. An entry already sent or failed is left as it is and the
// Change is empty.
func (db *DB) OutboxRetry(ctx context.Context, entryID int64, next time.Time, reason string) (inbox.Change, error) {
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		ch = inbox.Change{}
		var messageID int64
		err := w.queryRow(ctx, stRetryOutbox, msOf(next), reason, w.db.now().UnixMilli(), entryID).Scan(&messageID)
		if errors.Is(err, sql.ErrNoRows) {
			_, _, err = w.outboxEntry(ctx, entryID) // finished, or not there at all?
			return err
		}
		if err != nil {
			return err
		}
		ch, err = w.waitsChanged(ctx, []int64{messageID})
		return err
	})
	if err != nil {
		return inbox.Change{}, fmt.Errorf("retry outbox entry %d: %w", entryID, err)
	}
	return ch, nil
}

// OutboxHold makes every queued entry whose next attempt is due before
// until, the first unfinished one of its conversation, wait until then,
// with reason, which its message shows in place of its own (see
// inbox.OutboxStore): those waiting for a retry, and replies not yet
// tried (written before the pause was kept). The Change names their
// messages. Entries being sent, and those waiting behind an earlier reply
// of their conversation, are left as they are. The pause is kept
// (outboxPauseKey), the later of it and the one kept before, so that a
// reply queued before it ends waits with them (InsertOutbox). A hold
// ends inbox.MaxPause from now at the latest.
func (db *DB) OutboxHold(ctx context.Context, until time.Time, reason string) (inbox.Change, error) {
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		ch = inbox.Change{}
		end := min(msOf(until), pauseBound(w.db.now())) // as a kept pause is read
		if err := w.keepOutboxPause(ctx, outboxPause{Until: end, Reason: reason}); err != nil {
			return err
		}
		rows, err := w.query(ctx, stHoldOutbox, end, reason, w.db.now().UnixMilli(), end)
		if err != nil {
			return err
		}
		ids, err := scanIDs(rows)
		if err != nil {
			return err
		}
		ch, err = w.waitsChanged(ctx, ids)
		return err
	})
	if err != nil {
		return inbox.Change{}, fmt.Errorf("hold the outbox until %s: %w", until.UTC().Format(time.RFC3339), err)
	}
	return ch, nil
}

// waitsChanged counts a change in the rev of each message of ids, whose
// bubble says something new of why it waits, and returns the Change that
// names them and their conversations.
func (w *writeTx) waitsChanged(ctx context.Context, ids []int64) (inbox.Change, error) {
	ch := inbox.Change{MessageIDs: ids}
	seen := map[int64]bool{}
	for _, id := range ids {
		var convID int64
		if err := w.queryRow(ctx, stOutboxMessageChanged, id).Scan(&convID); err != nil {
			return inbox.Change{}, notFound(err, "message %d", id)
		}
		if !seen[convID] {
			seen[convID] = true
			ch.ConversationIDs = append(ch.ConversationIDs, convID)
		}
	}
	return ch, nil
}

// keepOutboxPause keeps p as the pause every send is in, unless the one
// kept ends later.
func (w *writeTx) keepOutboxPause(ctx context.Context, p outboxPause) error {
	kept, ok, err := w.outboxPause(ctx, w.db.now())
	if err != nil || (ok && kept.Until >= p.Until) {
		return err
	}
	if err := w.setOutboxPause(ctx, p); err != nil {
		return fmt.Errorf("keep the outbox's pause: %w", err)
	}
	return nil
}

// attachWaits tells each pending reply of ms that waits for a retry, or
// that a pause holds, why, until when, and after how many attempts
// (inbox.Message.Waiting), in one query on outbox_message for all; other
// messages ask nothing. A reply being tried says what it said while it
// waited, the time its attempt was due and the attempts before it, as the
// pages open meanwhile do: nothing is sent to them as the attempt begins.
func (db *DB) attachWaits(ctx context.Context, ms []inbox.Message) error {
	var args []any
	byID := map[int64]int{}
	for i, m := range ms {
		if m.Direction == inbox.Outbound && m.Status == inbox.StatusPending {
			byID[m.ID] = i
			args = append(args, m.ID)
		}
	}
	if len(args) == 0 {
		return nil
	}
	rows, err := db.reader.QueryContext(ctx, fmt.Sprintf(waitingOutboxQuery, "?"+strings.Repeat(", ?", len(args)-1)), args...)
	if err != nil {
		return fmt.Errorf("replies waiting for a retry: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var w inbox.SendWait
		if err := rows.Scan(&id, &w.Reason, msTime{&w.NextAttemptAt}, &w.Attempts); err != nil {
			return fmt.Errorf("replies waiting for a retry: %w", err)
		}
		if i, ok := byID[id]; ok {
			ms[i].Waiting = &w
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("replies waiting for a retry: %w", err)
	}
	return nil
}

// OutboxFail marks an entry failed and its message failed with the reason
// in plain words (see inbox.RecordFailed). An entry already sent or failed
// is left as it is and the Change is empty.
func (db *DB) OutboxFail(ctx context.Context, entryID int64, code, reason string, at time.Time) (inbox.Change, error) {
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		ch = inbox.Change{}
		st, messageID, err := w.outboxEntry(ctx, entryID)
		if err != nil || finished(st) {
			return err
		}
		c, err := inbox.RecordFailed(ctx, w, messageID, code, reason, at)
		if err != nil {
			return err
		}
		if _, err := w.exec(ctx, stFinishOutbox, string(inbox.OutboxFailed), reason, w.db.now().UnixMilli(), entryID); err != nil {
			return fmt.Errorf("mark outbox entry %d failed: %w", entryID, err)
		}
		ch = c
		return nil
	})
	if err != nil {
		return inbox.Change{}, fmt.Errorf("fail outbox entry %d: %w", entryID, err)
	}
	return ch, nil
}

// nextOutboxAttemptQuery reads outbox_due in order up to the first entry
// that no earlier one of its conversation holds back.
const nextOutboxAttemptQuery = `SELECT o.next_attempt_at FROM outbox o
	WHERE o.state IN ('queued', 'sending')
		AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.conversation_id = o.conversation_id
			AND e.state IN ('queued', 'sending') AND e.id < o.id)
	ORDER BY o.next_attempt_at LIMIT 1`

// NextOutboxAttempt is when ClaimOutbox will next find an entry: the
// earliest next attempt (for a queued entry) or lease end (for a sending
// one) among the first unfinished entries of their conversations. Later
// entries of a conversation do not count: they go only after it. ok is
// false when nothing waits.
func (db *DB) NextOutboxAttempt(ctx context.Context) (time.Time, bool, error) {
	var ms int64
	err := db.reader.QueryRowContext(ctx, nextOutboxAttemptQuery).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next outbox attempt: %w", err)
	}
	return fromMS(ms), true, nil
}

// ReleaseOutbox makes the entries left sending by a process that is gone
// due at now, and says how many there were: they go again at once, with
// their keys, and Zavu sends none of them twice.
//
// On SQLite one server sends from a database (LockServing), so whatever
// is sending as it starts was in flight when the last one stopped: every
// such entry is released.
//
// On PostgreSQL every process sends, and another's sends may be under
// way: only the entries whose run's lock is free are released, the
// process that claimed them being gone (it stopped, crashed, or its
// connection was ended; see leases.go). The lock of each run found is
// tried in the transaction (pg_try_advisory_xact_lock): one a live
// process holds is not taken, and its entries are left to it. The
// lock taken of a gone run is let go as the transaction ends. Entries of
// this process's own run are left, and so are those claimed before runs
// were kept (claimed_by 0): a process of an older version may be sending
// them, so they go again when their lease ends (inbox.SendLease), as
// they would have before.
func (db *DB) ReleaseOutbox(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var r sql.Result
		var err error
		if db.leases == nil {
			r, err = w.execSQL(ctx, `UPDATE outbox SET next_attempt_at = ?, updated_at = ? WHERE state = 'sending'`,
				msOf(now), w.db.now().UnixMilli())
		} else {
			r, err = w.execSQL(ctx, releaseGoneRunsSQL, msOf(now), w.db.now().UnixMilli(), db.leases.runID)
		}
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("release outbox: %w", err)
	}
	return int(n), nil
}

// releaseGoneRunsSQL is ReleaseOutbox on PostgreSQL: the entries being
// sent (outbox_due) by another run than ?3 whose lock is free are due at
// ?1. Each run's lock is tried once.
var releaseGoneRunsSQL = `WITH gone AS (
		SELECT run FROM (SELECT DISTINCT claimed_by AS run FROM outbox
			WHERE state = 'sending' AND claimed_by <> 0 AND claimed_by <> ?3) runs
		WHERE pg_try_advisory_xact_lock(` + strings.ReplaceAll(runLockKey, "$1", "run") + `))
	UPDATE outbox SET next_attempt_at = ?1, updated_at = ?2
	WHERE state = 'sending' AND claimed_by IN (SELECT run FROM gone)`
