package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"switchboard/inbox"
)

// On PostgreSQL, where each statement is a round trip, deriveOpenings
// reads what it compares in one statement: where to derive from
// (stOpeningFrom), the timeline from there (stOpeningsAfter, with each
// reply's statuses) and the openings stored from there (stOpeningsStored),
// told apart by part. Each
// compares with where to derive from as a value, not a join, so that its
// index finds the rows from there on, not all of the conversation's.
const pgOpeningsToDerive = `WITH f AS (
		SELECT coalesce(max(opened_at), ?2) AS at FROM openings WHERE conversation_id = ?1 AND opened_at <= ?2)
	SELECT 0 AS part, f.at, NULL, 0, NULL, 0, '', NULL::bigint, NULL::bigint, NULL::bigint FROM f
	UNION ALL
	SELECT 1, m.created_at, CASE m.direction WHEN 'inbound' THEN 0 ELSE 1 END, coalesce(m.author_id, 0), m.id, 0,
			m.status, m.sent_at, m.delivered_at, m.read_at
		FROM messages m WHERE m.conversation_id = ?1 AND m.created_at >= (SELECT at FROM f)
			AND ((m.direction = 'inbound' AND m.source <> 'csat_answer')
				OR (m.direction = 'outbound' AND m.source IN ('agent', 'api') AND m.provisional = 0))
	UNION ALL
	SELECT 1, r.at, 2, coalesce(r.user_id, 0), r.id, 0, '', NULL, NULL, NULL
		FROM conversation_resolves r WHERE r.conversation_id = ?1 AND r.at >= (SELECT at FROM f)
	UNION ALL
	SELECT 2, o.opened_at, o.first_response_at, coalesce(o.first_responder_id, 0), o.resolved_at, coalesce(o.resolver_id, 0),
			'', NULL, NULL, NULL
		FROM openings o WHERE o.conversation_id = ?1 AND o.opened_at >= (SELECT at FROM f)
	ORDER BY 1, 2`

// openingsToDerive reads, in one statement, where conversation id's
// openings are derived from for a change since, its timeline from there
// (appended to items) and its openings stored from there, oldest first.
func (w *writeTx) openingsToDerive(ctx context.Context, id, since int64, items []inbox.TimelineItem) (from int64, _ []inbox.TimelineItem, stored []inbox.Opening, err error) {
	rows, err := w.querySQL(ctx, pgOpeningsToDerive, id, since)
	if err != nil {
		return 0, items, nil, fmt.Errorf("timeline of conversation %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var part int
		var a, c, e int64
		var b, d sql.NullInt64
		var status string
		var st inbox.StatusTimes
		if err := rows.Scan(&part, &a, &b, &c, &d, &e, &status, msTime{&st.Sent}, msTime{&st.Delivered}, msTime{&st.Read}); err != nil {
			return 0, items, nil, fmt.Errorf("timeline of conversation %d: %w", id, err)
		}
		switch part {
		case 0:
			from = a
		case 1:
			it := inbox.TimelineItem{At: time.UnixMilli(a).UTC(), Kind: inbox.TimelineKind(b.Int64), UserID: c, ID: d.Int64}
			if it.Kind == inbox.TimelineReply {
				it.SentAt = inbox.ReachedAt(inbox.Status(status), st)
			}
			items = append(items, it)
		case 2:
			stored = append(stored, inbox.Opening{OpenedAt: fromMS(a), FirstResponseAt: nullFromMS(b), FirstResponder: c,
				ResolvedAt: nullFromMS(d), Resolver: e})
		}
	}
	if err := rows.Err(); err != nil {
		return 0, items, nil, fmt.Errorf("timeline of conversation %d: %w", id, err)
	}
	return from, items, stored, nil
}

// nullFromMS is msTime's reading of a nullable time column.
func nullFromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// sameOpenings is openingsStored's comparison of the openings read.
func sameOpenings(stored, want []inbox.Opening) bool {
	if len(stored) != len(want) {
		return false
	}
	for i := range stored {
		if !sameOpening(stored[i], want[i]) {
			return false
		}
	}
	return true
}

// pgReplaceOpenings is replaceOpenings in one statement: the openings
// from from on (stDeleteOpenings), then those derived (stInsertOpening
// each), given as arrays in their order. The insert waits for the delete
// (it reads its count first), so an opening derived again at the time of
// one it replaces takes its place.
const pgReplaceOpenings = `WITH d AS (DELETE FROM openings WHERE conversation_id = ?1 AND opened_at >= ?2 RETURNING 1)
	INSERT INTO openings (conversation_id, opened_at, first_response_at, first_responder_id,
		resolved_at, resolver_id, sender_id, channel)
	SELECT c.id, o.opened_at, o.first_response_at, o.first_responder_id, o.resolved_at, o.resolver_id, c.sender_id, c.channel
	FROM conversations c,
		unnest(?3::bigint[], ?4::bigint[], ?5::bigint[], ?6::bigint[], ?7::bigint[])
			WITH ORDINALITY AS o (opened_at, first_response_at, first_responder_id, resolved_at, resolver_id, n)
	WHERE c.id = ?1 AND (SELECT count(*) FROM d) >= 0
	ORDER BY o.n`

// replaceOpeningsPG is replaceOpenings on PostgreSQL.
func (w *writeTx) replaceOpeningsPG(ctx context.Context, id, from int64, openings []inbox.Opening) error {
	n := len(openings)
	opened := make([]int64, n)
	firstAt, firstBy, resolvedAt, resolver := make([]pgtype.Int8, n), make([]pgtype.Int8, n), make([]pgtype.Int8, n), make([]pgtype.Int8, n)
	for i, o := range openings {
		opened[i] = msOf(o.OpenedAt)
		firstAt[i] = pgInt8(nullMS(o.FirstResponseAt))
		firstBy[i] = pgInt8(nullID(&o.FirstResponder))
		resolvedAt[i] = pgInt8(nullMS(o.ResolvedAt))
		resolver[i] = pgInt8(nullID(&o.Resolver))
	}
	if _, err := w.execSQL(ctx, pgReplaceOpenings, id, from, opened, firstAt, firstBy, resolvedAt, resolver); err != nil {
		return fmt.Errorf("openings of conversation %d: %w", id, err)
	}
	return nil
}

// pgInt8 is v, an int64 or nil as nullMS and nullID give, as an element of
// a PostgreSQL array.
func pgInt8(v any) pgtype.Int8 {
	n, ok := v.(int64)
	return pgtype.Int8{Int64: n, Valid: ok}
}
