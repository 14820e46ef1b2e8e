package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"switchboard/inbox"
)

// Reports read two rollups (migrations/0017_reports.sql): openings, one
// row per customer's request, and message_counts, messages per quarter of
// an hour. Triggers keep the counts and note in openings_dirty each
// conversation whose timeline changed, from when; before each write
// transaction commits, refreshOpenings derives those conversations'
// openings again from that time on.

var (
	stDirtyOpenings = writerStatement(`SELECT conversation_id, since FROM openings_dirty`)
	stClearDirty    = writerStatement(`DELETE FROM openings_dirty`)
	// An opening starts with the conversation closed, so its openings
	// from the one holding since onwards follow from the items from there.
	stOpeningFrom = writerStatement(`SELECT coalesce(max(opened_at), ?2) FROM openings WHERE conversation_id = ?1 AND opened_at <= ?2`)
	// A reply's statuses tell whether and when it reached the customer
	// (inbox.ResponseAt); a status report's placeholder is none.
	stOpeningsAfter = writerStatement(`SELECT created_at, CASE direction WHEN 'inbound' THEN 0 ELSE 1 END, coalesce(author_id, 0), id,
			status, sent_at, delivered_at, read_at
		FROM messages WHERE conversation_id = ?1 AND created_at >= ?2
			AND ((direction = 'inbound' AND source <> 'csat_answer') OR (direction = 'outbound' AND source IN ('agent', 'api') AND provisional = 0))
		UNION ALL
		SELECT at, 2, coalesce(user_id, 0), id, '', NULL, NULL, NULL FROM conversation_resolves WHERE conversation_id = ?1 AND at >= ?2`)
	stDeleteOpenings = writerStatement(`DELETE FROM openings WHERE conversation_id = ? AND opened_at >= ?`)
	stOpeningsStored = writerStatement(`SELECT opened_at, first_response_at, coalesce(first_responder_id, 0), resolved_at, coalesce(resolver_id, 0)
		FROM openings WHERE conversation_id = ? AND opened_at >= ? ORDER BY opened_at`)
	stInsertOpening = writerStatement(`INSERT INTO openings (conversation_id, opened_at, first_response_at, first_responder_id,
			resolved_at, resolver_id, sender_id, channel)
		SELECT id, ?2, ?3, ?4, ?5, ?6, sender_id, channel FROM conversations WHERE id = ?1`)
)

var _ inbox.ReportStore = (*DB)(nil)

var (
	// The conversation's latest resolve while it is resolved, when no
	// survey has been decided for it yet.
	stLatestResolve = writerStatement(`SELECT r.id, r.at FROM conversation_resolves r JOIN conversations c ON c.id = r.conversation_id
		WHERE r.conversation_id = ? AND c.status = 'resolved'
			AND NOT EXISTS (SELECT 1 FROM csat_surveys s WHERE s.resolve_id = r.id)
		ORDER BY r.id DESC LIMIT 1`)
	stDeleteResolve = writerStatement(`DELETE FROM conversation_resolves WHERE id = ?`)
	stDirtyFrom     = writerStatement(`INSERT INTO openings_dirty (conversation_id, since) VALUES (?1, ?2)
		ON CONFLICT (conversation_id) DO UPDATE SET since = CASE WHEN excluded.since < openings_dirty.since THEN excluded.since ELSE openings_dirty.since END`)
)

// takeBackResolve is called as an agent or a script reopens (or snoozes)
// conversation id at at, before the change is written: a reopen within
// inbox.ResolveUndoWindow of the resolve takes it back (the inbox's
// Undo), so the reports forget that resolve and the request it closed
// goes on. A resolve whose survey was decided stays.
func (w *writeTx) takeBackResolve(ctx context.Context, id int64, at time.Time) error {
	var rid, rat int64
	err := w.queryRow(ctx, stLatestResolve, id).Scan(&rid, &rat)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("resolve of conversation %d: %w", id, err)
	case msOf(at)-rat > inbox.ResolveUndoWindow.Milliseconds() || msOf(at) < rat:
		return nil
	}
	if _, err := w.exec(ctx, stDeleteResolve, rid); err != nil {
		return fmt.Errorf("take back the resolve of conversation %d: %w", id, err)
	}
	if _, err := w.exec(ctx, stDirtyFrom, id, rat); err != nil {
		return fmt.Errorf("take back the resolve of conversation %d: %w", id, err)
	}
	return nil
}

// refreshOpenings derives again the openings of the conversations whose
// timeline changed in this transaction.
func (w *writeTx) refreshOpenings(ctx context.Context) error {
	rows, err := w.query(ctx, stDirtyOpenings)
	if err != nil {
		return fmt.Errorf("read changed conversations: %w", err)
	}
	type dirty struct{ id, since int64 }
	var ds []dirty
	for rows.Next() {
		var d dirty
		if err := rows.Scan(&d.id, &d.since); err != nil {
			rows.Close()
			return fmt.Errorf("read changed conversations: %w", err)
		}
		ds = append(ds, d)
	}
	if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("read changed conversations: %w", err)
	}
	if len(ds) == 0 {
		return nil
	}
	w.derived = len(ds)
	var items []inbox.TimelineItem
	for _, d := range ds {
		if items, err = w.deriveOpenings(ctx, d.id, d.since, items[:0]); err != nil {
			return err
		}
	}
	if _, err := w.exec(ctx, stClearDirty); err != nil {
		return fmt.Errorf("clear changed conversations: %w", err)
	}
	return nil
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// deriveOpenings replaces conversation id's openings from the one holding
// since onwards by what its timeline says.
func (w *writeTx) deriveOpenings(ctx context.Context, id, since int64, items []inbox.TimelineItem) ([]inbox.TimelineItem, error) {
	if w.db.dialect.postgres {
		from, items, stored, err := w.openingsToDerive(ctx, id, since, items)
		if err != nil {
			return items, err
		}
		openings := inbox.Openings(items)
		if sameOpenings(stored, openings) {
			return items, nil
		}
		return items, w.replaceOpeningsPG(ctx, id, from, openings)
	}
	var from int64
	if err := w.queryRow(ctx, stOpeningFrom, id, since).Scan(&from); err != nil {
		return items, fmt.Errorf("openings of conversation %d: %w", id, err)
	}
	rows, err := w.query(ctx, stOpeningsAfter, id, from)
	if err != nil {
		return items, fmt.Errorf("timeline of conversation %d: %w", id, err)
	}
	for rows.Next() {
		var it inbox.TimelineItem
		var ms int64
		var status string
		var st inbox.StatusTimes
		if err := rows.Scan(&ms, &it.Kind, &it.UserID, &it.ID, &status, msTime{&st.Sent}, msTime{&st.Delivered}, msTime{&st.Read}); err != nil {
			rows.Close()
			return items, fmt.Errorf("timeline of conversation %d: %w", id, err)
		}
		it.At = time.UnixMilli(ms).UTC()
		if it.Kind == inbox.TimelineReply {
			it.SentAt = inbox.ReachedAt(inbox.Status(status), st)
		}
		items = append(items, it)
	}
	if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
		return items, fmt.Errorf("timeline of conversation %d: %w", id, err)
	}
	openings := inbox.Openings(items)
	// Most changes leave the openings as they were (a customer's second
	// message, an agent's second reply): then nothing is written, and
	// their packed hour stays as it is.
	same, err := w.openingsStored(ctx, id, from, openings)
	if err != nil || same {
		return items, err
	}
	return items, w.replaceOpenings(ctx, id, from, openings)
}

// replaceOpenings replaces conversation id's openings from from on by
// openings.
func (w *writeTx) replaceOpenings(ctx context.Context, id, from int64, openings []inbox.Opening) error {
	if _, err := w.exec(ctx, stDeleteOpenings, id, from); err != nil {
		return fmt.Errorf("openings of conversation %d: %w", id, err)
	}
	for _, o := range openings {
		if _, err := w.exec(ctx, stInsertOpening, id, msOf(o.OpenedAt), nullMS(o.FirstResponseAt), nullID(&o.FirstResponder),
			nullMS(o.ResolvedAt), nullID(&o.Resolver)); err != nil {
			return fmt.Errorf("openings of conversation %d: %w", id, err)
		}
	}
	return nil
}

// openingsStored reports whether conversation id's stored openings from
// from on are want.
func (w *writeTx) openingsStored(ctx context.Context, id, from int64, want []inbox.Opening) (bool, error) {
	rows, err := w.query(ctx, stOpeningsStored, id, from)
	if err != nil {
		return false, fmt.Errorf("openings of conversation %d: %w", id, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var o inbox.Opening
		if err := rows.Scan(msTime{&o.OpenedAt}, msTime{&o.FirstResponseAt}, &o.FirstResponder,
			msTime{&o.ResolvedAt}, &o.Resolver); err != nil {
			return false, fmt.Errorf("openings of conversation %d: %w", id, err)
		}
		if n >= len(want) || !sameOpening(o, want[n]) {
			return false, nil
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("openings of conversation %d: %w", id, err)
	}
	return n == len(want), nil
}

// sameOpening compares openings as stored: to the millisecond, with no
// agent for the first response or resolve that has not happened.
func sameOpening(a, b inbox.Opening) bool {
	norm := func(o inbox.Opening) [5]int64 {
		r := [5]int64{msOf(o.OpenedAt), msOf(o.FirstResponseAt), 0, msOf(o.ResolvedAt), 0}
		if !o.FirstResponseAt.IsZero() {
			r[2] = o.FirstResponder
		}
		if !o.ResolvedAt.IsZero() {
			r[4] = o.Resolver
		}
		return r
	}
	return norm(a) == norm(b)
}

// refreshAllOpenings derives the openings a migration asked for, before
// the database serves anyone.
func (db *DB) refreshAllOpenings(ctx context.Context) error {
	var n int
	if err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM openings_dirty LIMIT 1)`).Scan(&n); err != nil {
		return fmt.Errorf("openings: %w", err)
	}
	if n == 0 {
		return nil
	}
	// The transaction derives them before it commits.
	return db.write(ctx, func(context.Context, *writeTx) error { return nil })
}

// staleOpeningsAtOnce bounds the conversations one write transaction of
// deriveStaleChunk derives again, so that a write queued meanwhile
// waits for that many at most (a few milliseconds), not for a whole
// database's; more would share a commit's wait for the disk, but a
// webhook would wait for them (256 took 18-40 ms on 2 cores).
const staleOpeningsAtOnce = 64

var (
	stStaleOpenings = writerStatement(`SELECT conversation_id FROM openings_stale ORDER BY conversation_id LIMIT ?`)
	stClearStale    = writerStatement(`DELETE FROM openings_stale WHERE conversation_id <= ?`)
)

// drainStaleOpenings derives again, until none is left or Close, the
// openings of the conversations a migration listed in openings_stale
// (migrations/0038_opening_reply_statuses.sql): staleOpeningsAtOnce of
// them in each write transaction, through the writer, so that webhooks
// and replies go between two. What Close leaves is derived after the next
// start.
func (db *DB) drainStaleOpenings() {
	if db.staleHold != nil {
		select {
		case <-db.staleHold:
		case <-db.stopCleanup:
			return
		}
	}
	db.drainInChunks(backgroundDrain{
		left:     "openings_stale",
		what:     "the report's openings",
		chunk:    db.deriveStaleChunk,
		finished: "report rollups: openings derived again",
		counted:  "conversations",
	})
}

// backgroundDrain is work a migration left to do after the start, a
// write transaction at a time (drainInChunks): while its table left holds
// a row, chunk does the next part, saying how much it did and whether
// more is left.
type backgroundDrain struct {
	left     string // the table listing what is left to do
	what     string // what is done, for the log ("the report's openings")
	chunk    func(ctx context.Context) (n int, more bool, err error)
	finished string // the log line once all is done
	counted  string // what n counts, for that line
}

// drainInChunks runs d until nothing is left or Close. A failed chunk is
// tried again a minute later. A database with nothing left takes no
// write.
func (db *DB) drainInChunks(d backgroundDrain) {
	ctx := context.Background()
	var left int
	if err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+d.left+` LIMIT 1)`).Scan(&left); err != nil {
		db.log.Warn("could not read what is left to do: "+d.what, "err", err)
		return
	}
	if left == 0 {
		return
	}
	done, start := 0, time.Now()
	for {
		select {
		case <-db.stopCleanup:
			return
		default:
		}
		n, more, err := d.chunk(ctx)
		switch {
		case errors.Is(err, inbox.ErrStoreClosed):
			return
		case err != nil:
			db.log.Warn("could not do again: "+d.what, "err", err)
			select {
			case <-db.stopCleanup:
				return
			case <-time.After(time.Minute):
			}
			continue
		}
		done += n
		if !more {
			if done > 0 {
				db.log.Info(d.finished, d.counted, done, "took", time.Since(start).Round(time.Millisecond))
			}
			return
		}
	}
}

// deriveStaleChunk derives again the openings of up to
// staleOpeningsAtOnce conversations of openings_stale in one write
// transaction, takes them off it, and says how many it took and whether
// more are left.
func (db *DB) deriveStaleChunk(ctx context.Context) (n int, more bool, err error) {
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		rows, err := w.query(ctx, stStaleOpenings, staleOpeningsAtOnce+1)
		if err != nil {
			return fmt.Errorf("read stale openings: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("read stale openings: %w", err)
			}
			ids = append(ids, id)
		}
		if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("read stale openings: %w", err)
		}
		if more = len(ids) > staleOpeningsAtOnce; more {
			ids = ids[:staleOpeningsAtOnce]
		}
		if len(ids) == 0 {
			return nil
		}
		// All of their openings, as the transaction commits
		// (refreshOpenings).
		for _, id := range ids {
			if _, err := w.exec(ctx, stDirtyFrom, id, int64(math.MinInt64)); err != nil {
				return fmt.Errorf("derive stale openings: %w", err)
			}
		}
		if _, err := w.exec(ctx, stClearStale, ids[len(ids)-1]); err != nil {
			return fmt.Errorf("derive stale openings: %w", err)
		}
		n = len(ids)
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return n, more, nil
}

// quarterMS is the width of a message_counts bucket.
const quarterMS = 15 * 60 * 1000

// openingsWhere is the filter of f on openings by the column col of times.
func openingsWhere(f inbox.ReportFilter, col string) (string, []any) {
	var b strings.Builder
	args := []any{msOf(f.From), msOf(f.To)}
	fmt.Fprintf(&b, ` WHERE %s >= ? AND %s < ?`, col, col)
	cond, args := andSenderChannel(f, "", "", args)
	b.WriteString(cond)
	if f.AgentID != 0 {
		b.WriteString(` AND (first_responder_id = ? OR resolver_id = ?)`)
		args = append(args, f.AgentID, f.AgentID)
	}
	if f.LabelID != 0 {
		fmt.Fprintf(&b, ` AND %sconversation_id IN (SELECT cl.conversation_id FROM conversation_labels cl WHERE cl.label_id = ?)`,
			strings.TrimSuffix(col, "opened_at"))
		args = append(args, f.LabelID)
	}
	return b.String(), args
}

// ReportSummary computes the report of f's period in loc from the
// rollups: openings that started in the period, messages in it (to the
// quarter hour), and conversations resolved in it per agent. When the
// team's business hours are set (the auto-reply settings), response and
// resolution times are measured within them as well. An agent
// filter keeps the openings that agent answered first or resolved, and of
// the business's messages that agent's replies.
func (db *DB) ReportSummary(ctx context.Context, f inbox.ReportFilter, loc *time.Location) (inbox.Summary, error) {
	var s inbox.Summary
	if !f.From.Before(f.To) {
		return s, fmt.Errorf("report: the period ends before it starts: %w", inbox.ErrInvalid)
	}
	agents := map[int64]*inbox.AgentFigures{}
	agent := func(id int64) *inbox.AgentFigures {
		a := agents[id]
		if a == nil {
			a = &inbox.AgentFigures{AgentID: id}
			agents[id] = a
		}
		return a
	}
	cfg, err := db.AutoReplyConfig(ctx)
	if err != nil {
		return s, fmt.Errorf("report business hours: %w", err)
	}
	clock := inbox.NewBusinessClock(cfg.Hours)
	s.Business = clock != nil
	var firsts, resolutions, bizFirsts, bizResolutions []float64
	byAgent := map[int64][]float64{}
	s.ResponseBuckets = make([]int, len(inbox.ResponseBucketBounds))
	err = db.eachOpening(ctx, f, func(o *packedOpening) {
		s.Conversations++
		if o.answered {
			if clock != nil {
				bizFirsts = append(bizFirsts, float64(clock.BetweenMS(o.opened, o.firstAt))/1000)
			}
			secs := float64(o.firstAt-o.opened) / 1000
			firsts = append(firsts, secs)
			s.ResponseBuckets[inbox.ResponseBucket(secs)]++
			// With an agent, the opening may be theirs by its resolve
			// alone: its first responder is not in their report.
			if o.responder != 0 && (f.AgentID == 0 || o.responder == f.AgentID) {
				byAgent[o.responder] = append(byAgent[o.responder], secs)
			}
		}
		if o.resolved {
			resolutions = append(resolutions, float64(o.resolvedAt-o.opened)/1000)
			if clock != nil {
				bizResolutions = append(bizResolutions, float64(clock.BetweenMS(o.opened, o.resolvedAt))/1000)
			}
		}
	})
	if err != nil {
		return s, err
	}
	s.FirstResponse, s.Resolution = inbox.SpreadOf(firsts), inbox.SpreadOf(resolutions)
	if clock != nil {
		s.FirstResponseBusiness, s.ResolutionBusiness = inbox.SpreadOf(bizFirsts), inbox.SpreadOf(bizResolutions)
	}
	for id, v := range byAgent {
		a := agent(id)
		a.FirstResponses, a.FirstResponseP50 = len(v), inbox.Percentile(v, 0.5)
	}

	if err := db.reportMessages(ctx, f, loc, &s, agent); err != nil {
		return s, err
	}
	if err := db.reportCSAT(ctx, f, &s, agent); err != nil {
		return s, err
	}

	names, err := db.userNames(ctx)
	if err != nil {
		return s, err
	}
	if err := db.reportAgents(ctx, f, names, agent); err != nil {
		return s, err
	}
	for id, a := range agents {
		a.Name = names[id]
		s.ByAgent = append(s.ByAgent, *a)
	}
	slices.SortFunc(s.ByAgent, func(a, b inbox.AgentFigures) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return int(a.AgentID - b.AgentID)
	})
	return s, nil
}

// reportMessages adds the message counts of f's period to s, in loc. It
// reads the rollups in their order, with no sort: a quarter-hour bucket's
// local hour follows from loc's offset then, which changes at most a few
// times in a period (zoneChanges). With an agent, the business's messages
// are that agent's replies.
func (db *DB) reportMessages(ctx context.Context, f inbox.ReportFilter, loc *time.Location, s *inbox.Summary,
	agent func(int64) *inbox.AgentFigures) error {
	where := ` WHERE bucket >= ? AND bucket < ?`
	args := []any{floorDiv(msOf(f.From), quarterMS), ceilDiv(msOf(f.To), quarterMS)}
	where, args = andSenderChannel(f, "", where, args)
	// Days are counted from 1970-01-01 in local time, a Thursday.
	dayIndex := map[int64]int{}
	// A day starts at its midnight, or where summer time begins at
	// midnight at 01:00 (inbox.DayStart): Go's AddDate gives 23:00 the
	// day before there, and the loop went round that day for ever.
	for d := inbox.DayStart(f.From, loc); d.Before(f.To); d = inbox.DaysAfter(d, 1, loc) {
		_, off := d.Zone()
		dayIndex[(d.Unix()+int64(off))/86400] = len(s.ByDay)
		s.ByDay = append(s.ByDay, inbox.DayCount{Day: d})
	}
	each := func(q string, args []any, fn func(day int, inDay bool, hour, weekday int, in, out int)) error {
		rows, err := db.reader.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("report messages: %w", err)
		}
		defer rows.Close()
		changes := zoneChanges(loc, f.From, f.To)
		for rows.Next() {
			var bucket int64
			var in, out int
			if err := rows.Scan(&bucket, &in, &out); err != nil {
				return fmt.Errorf("report messages: %w", err)
			}
			for len(changes) > 1 && bucket >= changes[1].bucket {
				changes = changes[1:]
			}
			lh := (bucket*900 + changes[0].offset) / 3600
			lday := floorDiv(lh, 24)
			day, inDay := dayIndex[lday]
			fn(day, inDay, int(lh-lday*24), int((lday%7+7+3)%7), in, out)
		}
		return rows.Err()
	}
	// The buckets must come in order: PostgreSQL may group them by
	// hashing. (SQLite groups them in the order of the key, and sorts
	// nothing more for the ORDER BY.)
	counts := `SELECT bucket, sum(inbound), sum(outbound) FROM message_counts` + where + ` GROUP BY bucket ORDER BY bucket`
	replies := `SELECT bucket, 0, sum(n) FROM reply_counts` + where + ` AND author_id = ? GROUP BY bucket ORDER BY bucket`
	if f.LabelID != 0 {
		// The rollups do not know labels: count the labelled
		// conversations' messages of the period.
		lwhere := ` WHERE cl.label_id = ? AND m.created_at >= ? AND m.created_at < ?`
		args = []any{f.LabelID, msOf(f.From), msOf(f.To)}
		lwhere, args = andSenderChannel(f, "c.", lwhere, args)
		from := ` FROM conversation_labels cl JOIN conversations c ON c.id = cl.conversation_id
			JOIN messages m ON m.conversation_id = cl.conversation_id`
		counts = `SELECT m.created_at / 900000 AS bucket, sum(m.direction = 'inbound'), sum(m.direction = 'outbound')` +
			from + lwhere + ` GROUP BY bucket ORDER BY bucket`
		replies = `SELECT m.created_at / 900000 AS bucket, 0, count(*)` + from + lwhere +
			` AND m.direction = 'outbound' AND m.source IN ('agent', 'api') AND m.author_id = ? GROUP BY bucket ORDER BY bucket`
	}
	err := each(counts, args,
		func(day int, inDay bool, hour, weekday int, in, out int) {
			s.InboundMessages += in
			s.ByHour[hour] += in
			s.ByWeekday[weekday] += in
			s.HourWeekday[weekday][hour] += in
			if inDay {
				s.ByDay[day].Inbound += in
			}
			if f.AgentID == 0 {
				s.OutboundMessages += out
				if inDay {
					s.ByDay[day].Outbound += out
				}
			}
		})
	if err != nil {
		return err
	}
	if f.AgentID != 0 {
		err := each(replies, append(args, f.AgentID),
			func(day int, inDay bool, _, _ int, _, out int) {
				s.OutboundMessages += out
				if inDay {
					s.ByDay[day].Outbound += out
				}
			})
		if err != nil {
			return err
		}
	}
	return nil
}

// reportAgents adds each agent's replies and resolves in f's period. The
// period's whole days (UTC) are summed from agent_days in one query; what
// is left at either end, less than a day, from reply_counts and the
// openings, a few indexed sums per user. Replies count to the quarter
// hour, resolves to the millisecond.
func (db *DB) reportAgents(ctx context.Context, f inbox.ReportFilter, names map[int64]string, agent func(int64) *inbox.AgentFigures) error {
	var filters string
	var extra []any
	filters, extra = andSenderChannel(f, "", filters, extra)
	replies := `SELECT coalesce(sum(n), 0) FROM reply_counts INDEXED BY reply_counts_author
		WHERE author_id = ? AND bucket >= ? AND bucket < ?` + filters
	resolves := `SELECT count(*) FROM openings INDEXED BY openings_resolver
		WHERE resolver_id = ? AND resolved_at >= ? AND resolved_at < ?` + filters
	from, to := msOf(f.From), msOf(f.To)
	replyFrom, replyTo := floorDiv(from, quarterMS), ceilDiv(to, quarterMS)
	// Whole days: replies' in quarter hours, resolves' in milliseconds.
	// The rollup's days are SQLite's quotients, so only times after 1970
	// use it.
	var replyDays, resolveDays [2]int64
	byDay := map[int64][2]int{}
	if f.LabelID != 0 {
		// The reply rollup does not know labels: count the labelled
		// conversations' replies.
		replies = `SELECT count(*) FROM conversation_labels cl JOIN conversations c ON c.id = cl.conversation_id
			JOIN messages m ON m.conversation_id = cl.conversation_id
			WHERE m.author_id = ? AND m.created_at >= ? AND m.created_at < ?
				AND m.direction = 'outbound' AND m.source IN ('agent', 'api') AND cl.label_id = ?` +
			strings.NewReplacer(" sender_id", " c.sender_id", " channel", " c.channel").Replace(filters)
		replyFrom, replyTo = from, to
		resolves += ` AND conversation_id IN (SELECT cl.conversation_id FROM conversation_labels cl WHERE cl.label_id = ?)`
	} else if from >= 0 {
		replyDays = [2]int64{ceilDiv(replyFrom, dayQuarters), floorDiv(replyTo, dayQuarters)}
		resolveDays = [2]int64{ceilDiv(from, dayMS), floorDiv(to, dayMS)}
		var err error
		if byDay, err = db.agentDays(ctx, replyDays, resolveDays, filters, extra); err != nil {
			return err
		}
	}
	// count adds query's count over [lo, hi) less the whole days, which
	// are the days [days[0], days[1]) in units of unit.
	count := func(query string, args func(lo, hi int64) []any, lo, hi int64, days [2]int64, unit int64) (int, error) {
		ranges := [][2]int64{{lo, hi}}
		if days[0] < days[1] {
			ranges = [][2]int64{{lo, days[0] * unit}, {days[1] * unit, hi}}
		}
		total := 0
		for _, r := range ranges {
			if r[0] >= r[1] {
				continue
			}
			var n int
			if err := db.reader.QueryRowContext(ctx, query, args(r[0], r[1])...).Scan(&n); err != nil {
				return 0, err
			}
			total += n
		}
		return total, nil
	}
	for id := range names {
		if f.AgentID != 0 && id != f.AgentID {
			continue
		}
		n, err := count(replies, func(lo, hi int64) []any {
			args := []any{id, lo, hi}
			if f.LabelID != 0 {
				args = append(args, f.LabelID)
			}
			return append(args, extra...)
		}, replyFrom, replyTo, replyDays, dayQuarters)
		if err != nil {
			return fmt.Errorf("report replies: %w", err)
		}
		r, err := count(resolves, func(lo, hi int64) []any {
			args := append([]any{id, lo, hi}, extra...)
			if f.LabelID != 0 {
				args = append(args, f.LabelID)
			}
			return args
		}, from, to, resolveDays, dayMS)
		if err != nil {
			return fmt.Errorf("report resolves: %w", err)
		}
		n += byDay[id][0]
		r += byDay[id][1]
		if n > 0 {
			agent(id).Replies = n
		}
		if r > 0 {
			agent(id).Resolved = r
		}
	}
	return nil
}

// dayQuarters is how many message_counts buckets a day holds; dayMS, its
// milliseconds.
const (
	dayQuarters = 96
	dayMS       = 86400 * 1000
)

// agentDays sums each agent's replies over the days replyDays and resolves
// over the days resolveDays, [first, last), from agent_days.
func (db *DB) agentDays(ctx context.Context, replyDays, resolveDays [2]int64, filters string, extra []any) (map[int64][2]int, error) {
	out := map[int64][2]int{}
	lo, hi := min(replyDays[0], resolveDays[0]), max(replyDays[1], resolveDays[1])
	if lo >= hi {
		return out, nil
	}
	args := append([]any{replyDays[0], replyDays[1], resolveDays[0], resolveDays[1], lo, hi}, extra...)
	rows, err := db.reader.QueryContext(ctx, `SELECT agent_id,
			coalesce(sum(CASE WHEN day >= ?1 AND day < ?2 THEN replies END), 0),
			coalesce(sum(CASE WHEN day >= ?3 AND day < ?4 THEN resolves END), 0)
		FROM agent_days WHERE day >= ?5 AND day < ?6`+filters+` GROUP BY agent_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("report agents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v [2]int
		if err := rows.Scan(&id, &v[0], &v[1]); err != nil {
			return nil, fmt.Errorf("report agents: %w", err)
		}
		out[id] = v
	}
	return out, rows.Err()
}

// zoneChange is loc's offset from UTC in seconds from a message_counts
// bucket on.
type zoneChange struct{ bucket, offset int64 }

// zoneChanges lists loc's offsets from from to to, oldest first. Zones
// change offset on a quarter hour.
func zoneChanges(loc *time.Location, from, to time.Time) []zoneChange {
	var out []zoneChange
	t := from
	for range 1000 {
		_, off := t.In(loc).Zone()
		out = append(out, zoneChange{bucket: floorDiv(msOf(t), quarterMS), offset: int64(off)})
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(to) || !end.After(t) {
			break
		}
		t = end
	}
	out[0].bucket = math.MinInt64
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// userNames maps every user's id to their name.
func (db *DB) userNames(ctx context.Context) (map[int64]string, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, name FROM users`)
	if err != nil {
		return nil, fmt.Errorf("user names: %w", err)
	}
	defer rows.Close()
	names := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("user names: %w", err)
		}
		names[id] = name
	}
	return names, rows.Err()
}

// reportRowLabels is the names of the labels of an opening's (o)
// conversation, separated by 0x1f (ReportRows puts them in order).
const reportRowLabels = `(SELECT group_concat(l.name, char(31)) FROM conversation_labels cl
	JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = o.conversation_id)`

// reportRowsPage is how many rows of an export ReportRows reads at once.
const reportRowsPage = 256

// ReportRows returns the openings of f's period, oldest first, with their
// conversation's contact, assignee and message counts, to fn one by one.
// It reads them a page at a time and gives each page to fn with no read
// of the database open: an export sent slowly (a year's, to a phone)
// holds no connection of the pool, nor, on SQLite, the WAL from being
// checkpointed and reset meanwhile.
func (db *DB) ReportRows(ctx context.Context, f inbox.ReportFilter, fn func(inbox.ReportRow) error) error {
	where, args := openingsWhere(f, `o.opened_at`)
	where = strings.NewReplacer(" sender_id", " o.sender_id", " channel", " o.channel",
		"(first_responder_id", "(o.first_responder_id", " resolver_id", " o.resolver_id").Replace(where)
	var page []inbox.ReportRow
	for {
		w, a := where, args
		if n := len(page); n > 0 {
			// After the last row given, in the order of the rows.
			last := page[n-1]
			at := msOf(last.Opening.OpenedAt)
			w += ` AND o.opened_at >= ? AND (o.opened_at > ? OR o.conversation_id > ?)`
			a = append(slices.Clip(args), at, at, last.ConversationID)
		}
		var err error
		if page, err = db.reportRowsPage(ctx, w, a, page[:0]); err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < reportRowsPage {
			return nil
		}
	}
}

// reportRowsPage reads up to reportRowsPage rows of the export whose
// openings o meet where, after out's.
func (db *DB) reportRowsPage(ctx context.Context, where string, args []any, out []inbox.ReportRow) ([]inbox.ReportRow, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT o.conversation_id, ct.phone, ct.name, o.sender_id, o.channel,
			o.opened_at, o.first_response_at, o.resolved_at,
			coalesce(a.name, ''), coalesce(r.name, ''), coalesce(v.name, ''),
			c.inbound_count, (SELECT count(*) FROM messages m WHERE m.conversation_id = o.conversation_id AND m.direction = 'outbound'),
			coalesce(`+reportRowLabels+`, ''),
			coalesce((SELECT s.score FROM csat_surveys s WHERE s.conversation_id = o.conversation_id AND s.opened_at = o.opened_at
				AND s.score IS NOT NULL ORDER BY s.answered_at DESC LIMIT 1), 0)
		FROM openings o
		JOIN conversations c ON c.id = o.conversation_id
		JOIN contacts ct ON ct.id = c.contact_id
		LEFT JOIN users a ON a.id = c.assignee_id
		LEFT JOIN users r ON r.id = o.first_responder_id
		LEFT JOIN users v ON v.id = o.resolver_id`+where+` ORDER BY o.opened_at, o.conversation_id LIMIT ?`,
		append(slices.Clip(args), reportRowsPage)...)
	if err != nil {
		return nil, fmt.Errorf("report rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r inbox.ReportRow
		var ch, labels string
		if err := rows.Scan(&r.ConversationID, &r.ContactPhone, &r.ContactName, &r.SenderID, &ch,
			msTime{&r.Opening.OpenedAt}, msTime{&r.Opening.FirstResponseAt}, msTime{&r.Opening.ResolvedAt},
			&r.Assignee, &r.FirstResponder, &r.Resolver, &r.Inbound, &r.Outbound, &labels, &r.CSAT); err != nil {
			return nil, fmt.Errorf("report rows: %w", err)
		}
		if labels != "" {
			r.Labels = strings.Split(labels, "\x1f")
			slices.SortFunc(r.Labels, compareNames)
		}
		r.Channel = inbox.Channel(ch)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report rows: %w", err)
	}
	return out, nil
}

// andSenderChannel appends the report filter's sender and channel to
// where as SQL conditions on columns prefix+"sender_id" and
// prefix+"channel", and their values to args.
func andSenderChannel(f inbox.ReportFilter, prefix, where string, args []any) (string, []any) {
	if f.SenderID != "" {
		where += ` AND ` + prefix + `sender_id = ?`
		args = append(args, f.SenderID)
	}
	if f.Channel != "" {
		where += ` AND ` + prefix + `channel = ?`
		args = append(args, string(f.Channel))
	}
	return where, args
}
