package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"
)

// On PostgreSQL every statement is a round trip, and the writer waits for
// each. A batch of webhook events to acknowledge (Append) is stored with
// one statement for all of them rather than one each: a burst's
// acknowledgements come at the rate of the writer's round trips, so this
// is what bounds them. The events keep their order (seq), and an id stored
// before, or twice in the batch, is a duplicate after its first, as when
// they are inserted one by one.

// appendJob is the event an Append job stores, and what became of it.
type appendJob struct {
	ev         *pendingEvent
	receivedAt int64
	duplicate  bool // set by the writer: its id was stored before
}

// pgAppendEvents is stAppendEvent for many events, in PostgreSQL's own
// spelling: the rows come as arrays, in their order, so the statement is
// the same whatever their number.
const pgAppendEvents = `INSERT INTO webhook_events
	(id, type, timestamp, received_at, sender_id, state, error, attempts, raw, pending)
	SELECT e.id, e.type, e.ts, e.received_at, e.sender_id, 'applied', '', 1, e.raw, 1
	FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::bytea[])
		WITH ORDINALITY AS e (id, type, ts, received_at, sender_id, raw, n)
	ORDER BY e.n
	ON CONFLICT (id) DO NOTHING
	RETURNING id`

// runJobs runs the jobs of a batch in w in their order. On PostgreSQL,
// each run of two or more Append jobs in a row stores its events with one
// statement.
func (w *writeTx) runJobs(taken []*job) {
	for i := 0; i < len(taken); i++ {
		j := taken[i]
		if w.db.dialect.postgres && j.event != nil {
			k := i + 1
			for k < len(taken) && taken[k].event != nil {
				k++
			}
			if k-i > 1 {
				w.storeEvents(taken[i:k])
				if w.fatal != nil {
					return
				}
				i = k - 1
				continue
			}
		}
		j.err = j.run(context.WithoutCancel(j.ctx), w)
		if w.fatal != nil {
			return
		}
	}
}

// storeEvents stores the events of Append jobs, in their order, with one
// statement; a failure fails the transaction.
func (w *writeTx) storeEvents(jobs []*job) {
	n := len(jobs)
	ids, types, senders := make([]string, n), make([]string, n), make([]string, n)
	ts, received := make([]pgtype.Int8, n), make([]int64, n)
	raws := make([][]byte, n)
	for i, j := range jobs {
		ev := j.event.ev.ev
		ids[i], types[i], senders[i], raws[i] = ev.ID, string(ev.Type), ev.SenderID, ev.Raw
		if !ev.Timestamp.IsZero() {
			ts[i] = pgtype.Int8{Int64: msOf(ev.Timestamp), Valid: true}
		}
		received[i] = j.event.receivedAt
	}
	ctx := context.Background()
	rows, err := w.db.wconn.Conn.QueryContext(ctx, pgAppendEvents, ids, types, ts, received, senders, raws)
	if err != nil {
		w.fail(fmt.Errorf("store %d events: %w", n, err))
		return
	}
	stored := make(map[string]bool, n)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			w.fail(fmt.Errorf("store %d events: %w", n, err))
			return
		}
		stored[id] = true
	}
	if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
		w.fail(fmt.Errorf("store %d events: %w", n, err))
		return
	}
	for _, j := range jobs {
		id := j.event.ev.ev.ID
		if !stored[id] {
			j.event.duplicate = true // stored before, or earlier in this batch
			continue
		}
		delete(stored, id)
		w.appended = append(w.appended, *j.event.ev)
	}
}
