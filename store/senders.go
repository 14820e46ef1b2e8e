package store

import (
	"context"
	"fmt"

	"switchboard/inbox"
)

// Senders lists the business's numbers seen so far, by id.
func (db *DB) Senders(ctx context.Context) ([]inbox.Sender, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, phone, name FROM senders ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list senders: %w", err)
	}
	defer rows.Close()
	var out []inbox.Sender
	for rows.Next() {
		var s inbox.Sender
		if err := rows.Scan(&s.ID, &s.Phone, &s.Name); err != nil {
			return nil, fmt.Errorf("list senders: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list senders: %w", err)
	}
	return out, nil
}
