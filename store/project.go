package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"switchboard/inbox"
)

// Webhook events are stored first and applied after (append first). Append
// inserts the raw event, marked pending, in the writer's next group
// commit, and its caller acknowledges Zavu as soon as that commit is on
// disk. The writer goroutine then applies pending events in transactions
// of their own, in the order they arrived, between the batches of writes
// it commits: an event is applied, or marked failed, in the same
// transaction that clears its pending mark, so each is applied exactly
// once. After a crash the pending events are still on disk, and the next
// start applies them.
//
// Storing an event costs one small insert; applying it costs several
// reads and writes. Keeping the second off the path of the acknowledgement
// lets a burst of webhooks be acknowledged at the rate SQLite appends,
// while the screens follow a moment later. The writer shares its time:
// the more events wait, the larger the share it gives to applying them,
// so the backlog of a sustained burst stays bounded.

var (
	stAppendEvent = writerStatement(`INSERT INTO webhook_events
		(id, type, timestamp, received_at, sender_id, state, error, attempts, raw, pending)
		VALUES (?, ?, ?, ?, ?, 'applied', '', 1, ?, 1)
		ON CONFLICT (id) DO NOTHING`)
	// stAppendSignedEvent is stAppendEvent for an event that a sender's
	// own secret alone signed: it keeps that sender (signed_by), which
	// the others leave empty.
	stAppendSignedEvent = writerStatement(`INSERT INTO webhook_events
		(id, type, timestamp, received_at, sender_id, state, error, attempts, raw, pending, signed_by)
		VALUES (?, ?, ?, ?, ?, 'applied', '', 1, ?, 1, ?)
		ON CONFLICT (id) DO NOTHING`)
	stEventApplied  = writerStatement(`UPDATE webhook_events SET pending = 0 WHERE id = ?`)
	stEventsApplied = writerStatement(`UPDATE webhook_events SET pending = 0 WHERE id IN (` +
		strings.TrimSuffix(strings.Repeat("?, ", projectChunk), ", ") + `)`)
	stPendingEvents = writerStatement(`SELECT id, type, timestamp, received_at, sender_id, raw, signed_by
		FROM webhook_events WHERE pending = 1 ORDER BY rowid LIMIT ?`)
)

const (
	// projectIdle is how many events one projection transaction applies
	// at most when no other write waits.
	projectIdle = 256
	// projectBudget bounds the time one projection transaction applies
	// events for: a webhook that arrives meanwhile waits for it, so it
	// bounds what the projection adds to an acknowledgement.
	projectBudget = 4 * time.Millisecond
	// projectLullBudget is projectBudget in a lull, where the projection
	// ends early for a write that arrives: a transaction long enough for
	// many events to share its fixed costs (the commit, the search and
	// report upkeep) while no write comes.
	projectLullBudget = 25 * time.Millisecond
	// projectSlice is the least time the projection applies events for
	// between batches of writes (see busyShare).
	projectSlice = time.Millisecond
	// projectChunk is how many stored events are applied together in one
	// savepoint, when none of them fails. A chunk ends early, after any of
	// its events, when the projection must stop (see project): a write
	// that arrives waits for the event being applied, not for its chunk.
	projectChunk = 8
	// projectInMemory is how many appended events the writer keeps decoded
	// for their projection; past that, it reads them back from the
	// database.
	projectInMemory = 8192
	// projectBurstRate is the rate of writes (a second) past which the
	// writer takes the traffic for a burst and applies stored events only
	// in its share (busyShare) or once the burst ends (burstLull). Below
	// it, applying keeps up in the lulls between writes.
	projectBurstRate = 2000
	// burstWindow is how long the writer counts writes over to tell a
	// burst.
	burstWindow = 100 * time.Millisecond
	// projectLagFree is how many stored events may wait in a burst before
	// the writer gives applying a share of its time; for the first
	// projectBurstGrace of a backlog, projectBurstFree may. Applying an
	// event costs several times what storing it does, so any share taken
	// in a burst of a few seconds slows the acknowledgements by that much
	// more: such a burst is acknowledged at the rate of appending and
	// applied right after. A backlog older than that is a sustained load,
	// whose updates must not reach the agents later and later: applying
	// then gets its share past projectLagFree.
	projectLagFree    = 4096
	projectBurstFree  = 65536 // about 6 s of webhooks at 10,000 a second
	projectBurstGrace = 5 * time.Second
	// projectRetry is how long the projection waits after a transaction
	// failed (a full disk, say) before it tries again.
	projectRetry = time.Second
)

// projector is the writer goroutine's state of the projection. Only that
// goroutine touches it, except the fields under mu.
type projector struct {
	p        *inbox.Projection
	memLimit int            // at most this many events in queue (projectInMemory)
	queue    []pendingEvent // appended events, decoded, in arrival order
	// inDB is set when pending events may be in the database but not in
	// queue: at start, and after the queue overflowed or a projection
	// transaction failed. The projection then reads them back.
	inDB      bool
	waitUntil time.Time     // after a failure: no projection before then
	owed      time.Duration // applying time earned by batches of writes (busyShare)
	// The rate writes arrive at, counted in windows of burstWindow: the
	// writes of the current window, and of the one before.
	windowStart          time.Time
	windowWrites, before int
	// backlogSince is when the current backlog was first seen waiting
	// (by busyShare), and backlogOf the settled channel it was seen
	// under: once that is closed, the backlog emptied since.
	backlogSince time.Time
	backlogOf    chan struct{}

	mu      sync.Mutex
	pending int64         // events stored and not yet applied
	settled chan struct{} // closed and replaced whenever pending drops to 0
}

type pendingEvent struct {
	ev  *inbox.Event
	err error // the stored body did not decode: the event is marked failed
}

func newProjector() *projector {
	return &projector{memLimit: projectInMemory, inDB: true, settled: make(chan struct{})}
}

// Append stores ev, pending, and returns after the commit that holds it.
func (db *DB) Append(ctx context.Context, ev *inbox.Event) (bool, error) {
	if ev == nil || ev.ID == "" {
		return false, fmt.Errorf("append: an event needs an id: %w", inbox.ErrInvalid)
	}
	receivedAt := db.now()
	a := &appendJob{ev: &pendingEvent{ev: ev}, receivedAt: msOf(receivedAt)}
	j := &job{ctx: ctx, appends: true, event: a}
	if ev.SignedBy != "" {
		// Stored on its own, with its signer: the events stored together
		// on PostgreSQL (append_pg.go) are the project's.
		j.event = nil
	}
	j.run = func(ctx context.Context, w *writeTx) error {
		stored, err := w.storeEvent(ctx, stAppendEvent, ev, receivedAt)
		if err != nil {
			return err
		}
		if !stored {
			a.duplicate = true
			return nil
		}
		w.appended = append(w.appended, *a.ev)
		return nil
	}
	err := db.submitJob(ctx, j)
	if err != nil {
		return false, fmt.Errorf("append event %s: %w", ev.ID, err)
	}
	return a.duplicate, nil
}

// Project starts applying stored events with p. Until it is called,
// appended events stay pending.
func (db *DB) Project(p inbox.Projection) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return
	}
	db.projectWith <- &p
}

// Pending is how many stored webhook events wait to be applied.
func (db *DB) Pending() int64 { return db.proj.pendingCount() }

// Settle waits until every event appended so far is applied (or marked
// failed) and announced, or ctx ends.
func (db *DB) Settle(ctx context.Context) error {
	for {
		db.proj.mu.Lock()
		n, ch := db.proj.pending, db.proj.settled
		db.proj.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("settle: %d events still pending: %w", n, ctx.Err())
		}
	}
}

func (pr *projector) addPending(n int64) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.pending += n
	if pr.pending <= 0 {
		pr.pending = 0
		close(pr.settled)
		pr.settled = make(chan struct{})
	}
}

// committed takes the events a committed batch appended: they are pending
// from now on, and queued for their projection.
func (pr *projector) committed(evs []pendingEvent) {
	if len(evs) == 0 {
		return
	}
	pr.addPending(int64(len(evs)))
	if pr.inDB || len(pr.queue)+len(evs) > pr.memLimit {
		// Read back from the database, in order, with the older ones.
		pr.inDB = true
		pr.queue = nil
		return
	}
	pr.queue = append(pr.queue, evs...)
}

// due reports whether the projection has work it may do now.
func (pr *projector) due(now time.Time) bool {
	return pr.p != nil && (len(pr.queue) > 0 || pr.inDB) && !now.Before(pr.waitUntil)
}

// busyShare says whether to apply events now, between two batches of
// other writes, and for how long. Each batch earns the projection a
// share of time that grows with the backlog past projectBurstFree while
// the backlog is younger than projectBurstGrace, past projectLagFree
// after (nothing below it, up to projectBudget a batch, where the writer
// shares its time about evenly), so that acknowledgements get the writer
// and the CPU in a burst and a sustained load's backlog stays bounded.
// The share is spent once it reaches projectSlice, in one transaction:
// many events share its fixed costs (the commit, the search and report
// upkeep).
func (pr *projector) busyShare(now time.Time) (time.Duration, bool) {
	pr.mu.Lock()
	pending, settled := pr.pending, pr.settled
	pr.mu.Unlock()
	switch {
	case pending <= 0:
		pr.backlogOf = nil // the next backlog starts when it is seen
	case pr.backlogOf != settled:
		pr.backlogSince, pr.backlogOf = now, settled
	}
	free := int64(projectBurstFree)
	if now.Sub(pr.backlogSince) >= projectBurstGrace {
		free = projectLagFree
	}
	n := pending - free
	pr.owed += min(projectBudget, time.Duration(max(n, 0))*50*time.Nanosecond)
	if pr.owed < projectSlice {
		return 0, false
	}
	budget := min(pr.owed, projectBudget)
	pr.owed = 0
	return budget, true
}

// arrived counts n writes the writer just committed, at now.
func (pr *projector) arrived(now time.Time, n int) {
	if d := now.Sub(pr.windowStart); d >= burstWindow {
		pr.before = pr.windowWrites
		if d >= 2*burstWindow {
			pr.before = 0 // a whole window without writes
		}
		pr.windowStart, pr.windowWrites = now, 0
	}
	pr.windowWrites += n
}

// burst reports whether writes arrive faster than projectBurstRate: in
// the last full window of burstWindow, or already in the current one.
func (pr *projector) burst(now time.Time) bool {
	if now.Sub(pr.windowStart) >= 2*burstWindow {
		return false
	}
	limit := int(projectBurstRate * burstWindow / time.Second)
	return pr.before > limit || pr.windowWrites > limit
}

// lull is how long the queue must stay empty after a batch of writes
// before the writer applies stored events at length. In a burst the
// acknowledgements come first: the backlog waits for the burst to end, or
// for busyShare, which applies a growing share of it past projectLagFree.
func (pr *projector) lull(now time.Time) time.Duration {
	if pr.burst(now) {
		return burstLull
	}
	return writerLull
}

// project applies up to max pending events in one transaction, for at most
// about budget; with yield, it ends early when writes wait, after the
// event it is applying. It runs on the writer goroutine.
func (db *DB) project(max int, budget time.Duration, yield bool) {
	pr := db.proj
	ctx := context.Background()
	var evs []pendingEvent
	fromQueue := !pr.inDB
	if pr.inDB {
		var err error
		if evs, err = db.readPending(ctx, max); err != nil {
			db.projectFailed(err)
			return
		}
		if len(evs) < max {
			pr.inDB = false // all of them: nothing is appended meanwhile, this is the writer
		}
		if len(evs) == 0 {
			// Counted as pending at start but applied since (or never
			// there): nothing waits.
			pr.addPending(-pr.pendingCount())
			return
		}
	} else {
		evs = pr.queue[:min(max, len(pr.queue))]
	}

	results := make([]inbox.IngestResult, len(evs))
	start := time.Now()
	done := 0
	// Not durable: the events stay pending on disk until this commit
	// is, and are applied again after a power cut that loses it. The next
	// sync of the WAL (the next webhook's) makes it durable with itself.
	commit, err := db.transaction(ctx, false, func(w *writeTx) error {
		w.kind, w.size = CommitEvents, len(evs)
		if db.dialect.postgres {
			w.senders = map[string]string{}
		}
		// Checked after every event, the first excepted: the rest is
		// applied in the next transaction.
		stop := func() bool {
			return time.Since(start) > budget || yield && len(db.queue) > 0
		}
		limit := projectChunk
		for done < len(evs) && (done == 0 || !stop()) {
			chunk := evs[done:min(done+limit, len(evs))]
			db.decodePayloads(chunk)
			n, bad := w.applyChunk(ctx, chunk, results[done:], pr.p.Apply, stop)
			if w.fatal != nil {
				return w.fatal
			}
			limit = projectChunk
			switch {
			case bad == 0:
				// The first fails, or stands alone: in a savepoint of
				// its own, so that only it fails.
				if results[done] = w.applyStored(ctx, chunk[0], pr.p.Apply); w.fatal != nil {
					return w.fatal
				}
				n = 1
			case bad > 0:
				// chunk[bad] failed, and all were undone: those before
				// it again as a group, then it alone.
				limit = bad
			}
			done += n
		}
		w.size = done // the events applied, not those read
		return nil
	})
	if err != nil {
		db.projectFailed(err)
		return
	}
	db.stats.committed(commit)
	if done < len(evs) && !fromQueue {
		pr.inDB = true // read, not applied: still pending in the database
	}
	evs = evs[:done]
	if fromQueue {
		pr.queue = pr.queue[len(evs):]
		if len(pr.queue) == 0 {
			pr.queue = nil // let the backing array go
		}
	}
	for i, pe := range evs {
		if results[i].State == inbox.EventFailed {
			db.log.Warn("webhook stored, not applied", "event_id", pe.ev.ID, "type", string(pe.ev.Type), "err", results[i].Error)
		}
		if pr.p.Applied != nil {
			pr.p.Applied(pe.ev, results[i])
		}
	}
	pr.addPending(-int64(len(evs))) // announced too, for Settle
}

// applyChunk applies evs, stored events in arrival order, in one
// savepoint and clears their pending marks with one statement: a
// savepoint, its release and the mark cost about as much as applying a
// small event. It groups the events before the first that does not
// decode. After each event but the last it asks stop whether to end
// there. It returns how many of evs it applied, and bad < 0; or, with all
// of evs undone, the index bad of the event that failed to apply (0 also
// for a first event that does not decode or would stand alone), or the
// transaction failed (w.fatal).
func (w *writeTx) applyChunk(ctx context.Context, evs []pendingEvent, results []inbox.IngestResult, apply inbox.ApplyFunc, stop func() bool) (n, bad int) {
	if i := slices.IndexFunc(evs, func(pe pendingEvent) bool { return pe.err != nil }); i >= 0 {
		evs = evs[:i]
	}
	if len(evs) < 2 {
		return 0, 0
	}
	bad = -1
	err := w.inSavepoint(ctx, func() error {
		for n < len(evs) && (n == 0 || !stop()) {
			ch, err := w.safeApply(ctx, evs[n].ev, apply)
			if err != nil {
				bad = n
				return err
			}
			results[n] = inbox.IngestResult{State: inbox.EventApplied, Change: ch}
			n++
		}
		var ids [projectChunk]any
		for i := range ids {
			ids[i] = evs[min(i, n-1)].ev.ID // the last one again for a short chunk
		}
		if _, err := w.exec(ctx, stEventsApplied, ids[:]...); err != nil {
			return w.fail(fmt.Errorf("mark %d events applied: %w", n, err))
		}
		return nil
	})
	if err != nil {
		return 0, max(bad, 0)
	}
	return n, -1
}

// applyStored applies one stored event in a savepoint of its own and
// clears its pending mark; one that does not decode or fails to apply is
// marked failed instead.
func (w *writeTx) applyStored(ctx context.Context, pe pendingEvent, apply inbox.ApplyFunc) inbox.IngestResult {
	if pe.err != nil {
		return w.markFailed(ctx, pe.ev, pe.err.Error())
	}
	res := w.applyEvent(ctx, pe.ev, apply)
	if w.fatal == nil && res.State == inbox.EventApplied {
		if _, err := w.exec(ctx, stEventApplied, pe.ev.ID); err != nil {
			w.fail(fmt.Errorf("mark event %s applied: %w", pe.ev.ID, err))
		}
	}
	return res
}

func (pr *projector) pendingCount() int64 {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.pending
}

// projectFailed notes a projection transaction that failed: nothing of it
// was written; its events are read back from the database after a pause.
func (db *DB) projectFailed(err error) {
	db.log.Error("applying stored webhook events failed; trying again shortly", "err", err)
	db.proj.inDB = true
	db.proj.queue = nil
	db.proj.waitUntil = time.Now().Add(projectRetry)
}

// decodePayloads decodes, in place, the payloads of the events of evs
// appended with their envelope only (inbox.Event.PayloadLater): the
// acknowledgement did not need them. An event whose body no longer
// decodes as it did is marked failed, as one read back would be.
func (db *DB) decodePayloads(evs []pendingEvent) {
	for i, pe := range evs {
		if pe.err != nil || !pe.ev.PayloadLater {
			continue
		}
		evs[i] = db.decodeStored(pe.ev.ID, string(pe.ev.Type), pe.ev.SenderID, pe.ev.SignedBy, pe.ev.Raw, func(full *inbox.Event) {
			if full.Timestamp.IsZero() {
				full.Timestamp = pe.ev.Timestamp // as stored
			}
		})
	}
}

// decodeStored decodes the stored body raw of the event id with the
// projection's Decode; fill completes what the body leaves out. signer
// is the sender whose own secret alone signed it, as stored.
func (db *DB) decodeStored(id, typ, sender, signer string, raw []byte, fill func(*inbox.Event)) pendingEvent {
	ev, err := db.proj.p.Decode(raw)
	if err != nil || ev == nil || ev.ID != id {
		// Stored after the same check: only a damaged row gets here.
		// It is marked failed and shown in the webhook log.
		return pendingEvent{ev: &inbox.Event{ID: id, Type: inbox.EventType(typ), SenderID: sender, SignedBy: signer, Raw: raw},
			err: errors.Join(errors.New("the stored body does not decode"), err)}
	}
	ev.SignedBy = signer
	fill(ev)
	return pendingEvent{ev: ev}
}

// readPending reads back up to max pending events, oldest first, on the
// writer connection.
func (db *DB) readPending(ctx context.Context, max int) ([]pendingEvent, error) {
	if err := db.openWriterConn(ctx); err != nil {
		return nil, err
	}
	rows, err := db.stmtQuery(ctx, stPendingEvents, max)
	if err != nil {
		return nil, fmt.Errorf("read pending events: %w", err)
	}
	defer rows.Close()
	var out []pendingEvent
	for rows.Next() {
		var (
			id, typ, sender, signer string
			ts, received            sql.NullInt64
			raw                     []byte
		)
		if err := rows.Scan(&id, &typ, &ts, &received, &sender, &raw, &signer); err != nil {
			return nil, fmt.Errorf("read pending events: %w", err)
		}
		out = append(out, db.decodeStored(id, typ, sender, signer, raw, func(ev *inbox.Event) {
			if ev.Timestamp.IsZero() {
				switch {
				case ts.Valid:
					ev.Timestamp = time.UnixMilli(ts.Int64).UTC()
				case received.Valid:
					ev.Timestamp = time.UnixMilli(received.Int64).UTC()
				}
			}
		}))
	}
	return out, rows.Err()
}

// AnyPending reports whether any stored webhook event waits to be
// applied, through conn, as CountPending does; it stops at the first, so a
// process that polls a backlog of thousands costs the server's machine
// nothing that grows with it.
func AnyPending(ctx context.Context, conn *sql.DB) (bool, error) {
	var any bool
	err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_events WHERE pending = 1)`).Scan(&any)
	if err != nil {
		return false, fmt.Errorf("look for pending events: %w", err)
	}
	return any, nil
}

// CountPending counts the stored webhook events not applied yet, through
// conn: the writer at Open, or a read-only pool of a process that watches
// a running server's database (bench, soak).
func CountPending(ctx context.Context, conn *sql.DB) (int64, error) {
	var n int64
	err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_events WHERE pending = 1`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending events: %w", err)
	}
	return n, nil
}
