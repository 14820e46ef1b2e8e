package store

import (
	"context"
	"fmt"

	"switchboard/inbox"
)

// ViewCounts counts the open conversations of the inbox's views with f's
// sender, channel and label, in one statement: a walk of the open part of
// conversations_counts (or of the label's conversations), grouped by
// whether each is snoozed and by assignee.
func (db *DB) ViewCounts(ctx context.Context, f inbox.ConversationFilter) (inbox.ViewCounts, error) {
	f, err := db.withStoredLabel(ctx, f)
	if err != nil {
		return inbox.ViewCounts{}, fmt.Errorf("count views: %w", err)
	}
	q, args := viewCountsQuery(f)
	rows, err := db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return inbox.ViewCounts{}, fmt.Errorf("count views: %w", err)
	}
	defer rows.Close()
	v := inbox.ViewCounts{Mine: map[int64]int{}}
	for rows.Next() {
		var snoozed bool
		var assignee int64
		var n int
		if err := rows.Scan(&snoozed, &assignee, &n); err != nil {
			return inbox.ViewCounts{}, fmt.Errorf("count views: %w", err)
		}
		switch {
		case snoozed:
			v.Snoozed += n
		case assignee == 0:
			v.Open += n
			v.Unassigned += n
		default:
			v.Open += n
			v.Mine[assignee] = n
		}
	}
	if err := rows.Err(); err != nil {
		return inbox.ViewCounts{}, fmt.Errorf("count views: %w", err)
	}
	return v, nil
}

// viewCountsQuery is ViewCounts' statement for f.
func viewCountsQuery(f inbox.ConversationFilter) (string, []any) {
	from := `conversations c`
	var args []any
	if f.Label != "" {
		from = `conversation_labels cl JOIN conversations c ON c.id = cl.conversation_id`
	}
	where := `c.status = 'open'`
	if f.Label != "" {
		where += ` AND cl.label_id = (SELECT l.id FROM labels l WHERE l.name = ?)`
		args = append(args, f.Label)
	}
	if f.SenderID != "" {
		where += ` AND c.sender_id = ?`
		args = append(args, f.SenderID)
	}
	if f.Channel != "" {
		where += ` AND c.channel = ?`
		args = append(args, string(f.Channel))
	}
	return `SELECT c.snoozed_at IS NOT NULL, coalesce(c.assignee_id, 0), count(*)
		FROM ` + from + ` WHERE ` + where + ` GROUP BY 1, 2`, args
}
