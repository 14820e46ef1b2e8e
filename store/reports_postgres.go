package store

// The reports' statements whose PostgreSQL spelling is their own. Both
// engines divide integers towards zero and keep times as 64-bit
// milliseconds; but PostgreSQL gives a parameter the type of what it meets
// (a 32-bit integer beside a literal such as 3600000), so an hour number
// times 3600000 would overflow it there: the hour is cast to BIGINT.

func init() {
	// A label's name is citext, which string_agg does not take.
	pgFragments = append(pgFragments, [2]string{reportRowLabels, `(SELECT string_agg(l.name::text, chr(31))
		FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = o.conversation_id)`})
	pgOverride(hourOpeningsSQL, `SELECT conversation_id, opened_at, first_response_at, coalesce(first_responder_id, 0),
		resolved_at, coalesce(resolver_id, 0)
	FROM openings
	WHERE opened_at > CAST(?1 AS BIGINT) * 3600000 - 3600000 AND opened_at < CAST(?1 AS BIGINT) * 3600000 + 3600000
		AND opened_at / 3600000 = CAST(?1 AS BIGINT) AND sender_id = ?2 AND channel = ?3
	ORDER BY opened_at, conversation_id`)
}
