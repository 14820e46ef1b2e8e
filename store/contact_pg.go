package store

import (
	"context"
	"fmt"
	"time"

	"switchboard/inbox"
)

// On PostgreSQL, where each statement is a round trip, UpsertContact reads
// the contact (stContactByPhone) and, when the event brings something new
// (a first message, a newer name), writes it (stUpsertContact) in one
// statement: f is the contact as stored, u the write, made only where
// UpsertContact on SQLite would make it, and the row returned is u's if
// it wrote, else f's. A contact whose name has not changed is not written,
// as there.
const pgUpsertContact = `WITH f AS (
		SELECT id, phone, name, name_at, created_at, updated_at, name_by IS NOT NULL AS agent
		FROM contacts WHERE phone = ?1),
	u AS (INSERT INTO contacts (phone, name, name_at, created_at, updated_at)
		SELECT ?1::text, ?2::text, CASE WHEN ?2::text <> '' THEN ?3::bigint END, ?3::bigint, ?3::bigint
		WHERE NOT EXISTS (SELECT 1 FROM f WHERE ?2::text = '' OR f.agent
			OR (coalesce(f.name_at, 0) <> 0 AND (?3::bigint = 0 OR f.name_at > ?3::bigint))
			OR (f.name = ?2::text AND coalesce(f.name_at, 0) = ?3::bigint))
		ON CONFLICT (phone) DO UPDATE SET
			name       = CASE WHEN ` + newerName + ` THEN excluded.name ELSE contacts.name END,
			updated_at = CASE WHEN ` + newerName + ` AND excluded.name <> contacts.name THEN excluded.updated_at ELSE contacts.updated_at END,
			name_at    = CASE WHEN ` + newerName + ` THEN excluded.name_at ELSE contacts.name_at END
		RETURNING id, phone, name, name_at, created_at, updated_at, name_by IS NOT NULL)
	SELECT * FROM u
	UNION ALL
	SELECT * FROM f WHERE NOT EXISTS (SELECT 1 FROM u)`

// upsertContact is UpsertContact on PostgreSQL.
func (w *writeTx) upsertContact(ctx context.Context, phone, name string, at time.Time) (inbox.Contact, error) {
	c, _, err := scanContact(w.queryRowSQL(ctx, pgUpsertContact, phone, name, msOf(at)))
	if err != nil {
		return inbox.Contact{}, fmt.Errorf("upsert contact %s: %w", phone, err)
	}
	return c, nil
}
