package store

import (
	"context"
	"database/sql"
	"fmt"
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
	stOpeningFrom   = writerStatement(`SELECT coalesce(max(opened_at), ?2) FROM openings WHERE conversation_id = ?1 AND opened_at <= ?2`)
	stOpeningsAfter = writerStatement(`SELECT created_at, CASE direction WHEN 'inbound' THEN 0 ELSE 1 END, coalesce(author_id, 0), id
		FROM messages WHERE conversation_id = ?1 AND created_at >= ?2
			AND (direction = 'inbound' OR (direction = 'outbound' AND source IN ('agent', 'api')))
		UNION ALL
		SELECT at, 2, coalesce(user_id, 0), id FROM conversation_resolves WHERE conversation_id = ?1 AND at >= ?2`)
	stDeleteOpenings = writerStatement(`DELETE FROM openings WHERE conversation_id = ? AND opened_at >= ?`)
	stInsertOpening  = writerStatement(`INSERT INTO openings (conversation_id, opened_at, first_response_at, first_responder_id,
			resolved_at, resolver_id, sender_id, channel)
		SELECT id, ?2, ?3, ?4, ?5, ?6, sender_id, channel FROM conversations WHERE id = ?1`)
)

var _ inbox.ReportStore = (*DB)(nil)

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
		if err := rows.Scan(&ms, &it.Kind, &it.UserID, &it.ID); err != nil {
			rows.Close()
			return items, fmt.Errorf("timeline of conversation %d: %w", id, err)
		}
		it.At = time.UnixMilli(ms).UTC()
		items = append(items, it)
	}
	if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
		return items, fmt.Errorf("timeline of conversation %d: %w", id, err)
	}
	if _, err := w.exec(ctx, stDeleteOpenings, id, from); err != nil {
		return items, fmt.Errorf("openings of conversation %d: %w", id, err)
	}
	for _, o := range inbox.Openings(items) {
		if _, err := w.exec(ctx, stInsertOpening, id, msOf(o.OpenedAt), nullMS(o.FirstResponseAt), nullID(&o.FirstResponder),
			nullMS(o.ResolvedAt), nullID(&o.Resolver)); err != nil {
			return items, fmt.Errorf("openings of conversation %d: %w", id, err)
		}
	}
	return items, nil
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

// quarterMS is the width of a message_counts bucket.
const quarterMS = 15 * 60 * 1000

// openingsWhere is the filter of f on openings by the column col of times.
func openingsWhere(f inbox.ReportFilter, col string) (string, []any) {
	var b strings.Builder
	args := []any{msOf(f.From), msOf(f.To)}
	fmt.Fprintf(&b, ` WHERE %s >= ? AND %s < ?`, col, col)
	if f.SenderID != "" {
		b.WriteString(` AND sender_id = ?`)
		args = append(args, f.SenderID)
	}
	if f.Channel != "" {
		b.WriteString(` AND channel = ?`)
		args = append(args, string(f.Channel))
	}
	if f.AgentID != 0 {
		b.WriteString(` AND (first_responder_id = ? OR resolver_id = ?)`)
		args = append(args, f.AgentID, f.AgentID)
	}
	return b.String(), args
}

// ReportSummary computes the report of f's period in loc from the
// rollups: openings that started in the period, messages in it (to the
// quarter hour), and conversations resolved in it per agent. An agent
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
	where, args := openingsWhere(f, `opened_at`)
	rows, err := db.reader.QueryContext(ctx, `SELECT opened_at, first_response_at, coalesce(first_responder_id, 0), resolved_at
		FROM openings INDEXED BY openings_opened`+where, args...)
	if err != nil {
		return s, fmt.Errorf("report openings: %w", err)
	}
	var firsts, resolutions []float64
	byAgent := map[int64][]float64{}
	s.ResponseBuckets = make([]int, len(inbox.ResponseBucketBounds))
	for rows.Next() {
		var opened int64
		var first, resolved sql.NullInt64
		var responder int64
		if err := rows.Scan(&opened, &first, &responder, &resolved); err != nil {
			rows.Close()
			return s, fmt.Errorf("report openings: %w", err)
		}
		s.Conversations++
		if first.Valid {
			secs := float64(first.Int64-opened) / 1000
			firsts = append(firsts, secs)
			s.ResponseBuckets[inbox.ResponseBucket(secs)]++
			if responder != 0 {
				byAgent[responder] = append(byAgent[responder], secs)
			}
		}
		if resolved.Valid {
			resolutions = append(resolutions, float64(resolved.Int64-opened)/1000)
		}
	}
	if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
		return s, fmt.Errorf("report openings: %w", err)
	}
	s.FirstResponse, s.Resolution = inbox.SpreadOf(firsts), inbox.SpreadOf(resolutions)
	for id, v := range byAgent {
		agent(id).FirstResponseP50 = inbox.Percentile(v, 0.5)
	}

	where, args = openingsWhere(f, `resolved_at`)
	rows, err = db.reader.QueryContext(ctx, `SELECT resolver_id, count(*) FROM openings INDEXED BY openings_resolved`+
		where+` AND resolver_id IS NOT NULL GROUP BY resolver_id`, args...)
	if err != nil {
		return s, fmt.Errorf("report resolves: %w", err)
	}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return s, fmt.Errorf("report resolves: %w", err)
		}
		if f.AgentID == 0 || id == f.AgentID {
			agent(id).Resolved = n
		}
	}
	if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
		return s, fmt.Errorf("report resolves: %w", err)
	}

	if err := db.reportMessages(ctx, f, loc, &s, agent); err != nil {
		return s, err
	}

	names, err := db.userNames(ctx)
	if err != nil {
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

// reportMessages adds the message counts of f's period to s, in loc.
func (db *DB) reportMessages(ctx context.Context, f inbox.ReportFilter, loc *time.Location, s *inbox.Summary,
	agent func(int64) *inbox.AgentFigures) error {
	q := `SELECT bucket, kind, author_id, sum(n) FROM message_counts WHERE bucket >= ? AND bucket < ?`
	args := []any{floorDiv(msOf(f.From), quarterMS), ceilDiv(msOf(f.To), quarterMS)}
	if f.SenderID != "" {
		q += ` AND sender_id = ?`
		args = append(args, f.SenderID)
	}
	if f.Channel != "" {
		q += ` AND channel = ?`
		args = append(args, string(f.Channel))
	}
	rows, err := db.reader.QueryContext(ctx, q+` GROUP BY bucket, kind, author_id`, args...)
	if err != nil {
		return fmt.Errorf("report messages: %w", err)
	}
	defer rows.Close()
	day0 := midnight(f.From.In(loc))
	for d := day0; d.Before(f.To); d = midnight(d.AddDate(0, 0, 1)) {
		s.ByDay = append(s.ByDay, inbox.DayCount{Day: d})
	}
	dayIndex := map[string]int{}
	for i, d := range s.ByDay {
		dayIndex[d.Day.Format(time.DateOnly)] = i
	}
	for rows.Next() {
		var bucket, author int64
		var kind string
		var n int
		if err := rows.Scan(&bucket, &kind, &author, &n); err != nil {
			return fmt.Errorf("report messages: %w", err)
		}
		t := time.UnixMilli(bucket * quarterMS).In(loc)
		day, inDay := dayIndex[t.Format(time.DateOnly)]
		switch kind {
		case "inbound":
			s.InboundMessages += n
			s.ByHour[t.Hour()] += n
			s.ByWeekday[inbox.Weekday(t)] += n
			s.HourWeekday[inbox.Weekday(t)][t.Hour()] += n
			if inDay {
				s.ByDay[day].Inbound += n
			}
			continue
		case "reply":
			if author != 0 && (f.AgentID == 0 || author == f.AgentID) {
				agent(author).Replies += n
			}
		case "outbound":
		default:
			continue
		}
		if f.AgentID != 0 && (kind != "reply" || author != f.AgentID) {
			continue
		}
		s.OutboundMessages += n
		if inDay {
			s.ByDay[day].Outbound += n
		}
	}
	return rows.Err()
}

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
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

// ReportRows returns the openings of f's period, oldest first, with their
// conversation's contact, assignee and message counts, to fn one by one.
func (db *DB) ReportRows(ctx context.Context, f inbox.ReportFilter, fn func(inbox.ReportRow) error) error {
	where, args := openingsWhere(f, `o.opened_at`)
	where = strings.NewReplacer(" sender_id", " o.sender_id", " channel", " o.channel",
		"(first_responder_id", "(o.first_responder_id", " resolver_id", " o.resolver_id").Replace(where)
	rows, err := db.reader.QueryContext(ctx, `SELECT o.conversation_id, ct.phone, ct.name, o.sender_id, o.channel,
			o.opened_at, o.first_response_at, o.resolved_at,
			coalesce(a.name, ''), coalesce(r.name, ''), coalesce(v.name, ''),
			c.inbound_count, (SELECT count(*) FROM messages m WHERE m.conversation_id = o.conversation_id AND m.direction = 'outbound')
		FROM openings o
		JOIN conversations c ON c.id = o.conversation_id
		JOIN contacts ct ON ct.id = c.contact_id
		LEFT JOIN users a ON a.id = c.assignee_id
		LEFT JOIN users r ON r.id = o.first_responder_id
		LEFT JOIN users v ON v.id = o.resolver_id`+where+` ORDER BY o.opened_at, o.conversation_id`, args...)
	if err != nil {
		return fmt.Errorf("report rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r inbox.ReportRow
		var ch string
		if err := rows.Scan(&r.ConversationID, &r.ContactPhone, &r.ContactName, &r.SenderID, &ch,
			msTime{&r.Opening.OpenedAt}, msTime{&r.Opening.FirstResponseAt}, msTime{&r.Opening.ResolvedAt},
			&r.Assignee, &r.FirstResponder, &r.Resolver, &r.Inbound, &r.Outbound); err != nil {
			return fmt.Errorf("report rows: %w", err)
		}
		r.Channel = inbox.Channel(ch)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
