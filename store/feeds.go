package store

import (
	"context"
	"fmt"

	"switchboard/inbox"
)

// Templates returns every known template, by name.
func (db *DB) Templates(ctx context.Context) ([]inbox.Template, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, name, language, status, category, rejection_reason, body, updated_at
		FROM templates ORDER BY name, language, id`)
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	defer rows.Close()
	var out []inbox.Template
	for rows.Next() {
		var t inbox.Template
		if err := rows.Scan(&t.ID, &t.Name, &t.Language, &t.Status, &t.Category, &t.RejectionReason, &t.Body, msTime{&t.UpdatedAt}); err != nil {
			return nil, fmt.Errorf("list templates: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Activities returns the latest limit entries of the activity feed
// (broadcasts and partner invitations changing status), newest first.
func (db *DB) Activities(ctx context.Context, limit int) ([]inbox.Activity, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, COALESCE(event_id, ''), kind, subject_id, name, status,
		previous_status, detail, at FROM activities ORDER BY at DESC, id DESC LIMIT ?`, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list activities: %w", err)
	}
	defer rows.Close()
	var out []inbox.Activity
	for rows.Next() {
		var a inbox.Activity
		if err := rows.Scan(&a.ID, &a.EventID, &a.Kind, &a.SubjectID, &a.Name, &a.Status,
			&a.PreviousStatus, &a.Detail, msTime{&a.At}); err != nil {
			return nil, fmt.Errorf("list activities: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SyncTemplates stores the templates Zavu lists, with their text, in one
// transaction. A template.status_changed webhook may have told a newer
// status than the list: the later update wins.
func (db *DB) SyncTemplates(ctx context.Context, ts []inbox.Template) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		for _, t := range ts {
			old, err := w.Template(ctx, t.ID)
			if err == nil && old.UpdatedAt.After(t.UpdatedAt) {
				t.Status, t.RejectionReason = old.Status, old.RejectionReason
			}
			if err := w.PutTemplate(ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sync templates: %w", err)
	}
	return nil
}
