package store

import (
	"context"
	"fmt"

	"switchboard/inbox"
)

const (
	savedReplyCols = `id, shortcut, title, body, created_at, updated_at`
	// The list walks the shortcut's UNIQUE index: no sort.
	savedRepliesQuery = `SELECT ` + savedReplyCols + ` FROM saved_replies ORDER BY shortcut`
)

func scanSavedReply(row scanner) (inbox.SavedReply, error) {
	var r inbox.SavedReply
	err := row.Scan(&r.ID, &r.Shortcut, &r.Title, &r.Body, msTime{&r.CreatedAt}, msTime{&r.UpdatedAt})
	return r, err
}

// SavedReplies lists the team's saved replies, by shortcut.
func (db *DB) SavedReplies(ctx context.Context) ([]inbox.SavedReply, error) {
	rows, err := db.reader.QueryContext(ctx, savedRepliesQuery)
	if err != nil {
		return nil, fmt.Errorf("list saved replies: %w", err)
	}
	defer rows.Close()
	var out []inbox.SavedReply
	for rows.Next() {
		r, err := scanSavedReply(rows)
		if err != nil {
			return nil, fmt.Errorf("list saved replies: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list saved replies: %w", err)
	}
	return out, nil
}

// SavedReply returns one saved reply, or an error wrapping
// inbox.ErrNotFound.
func (db *DB) SavedReply(ctx context.Context, id int64) (inbox.SavedReply, error) {
	r, err := scanSavedReply(db.reader.QueryRowContext(ctx, `SELECT `+savedReplyCols+` FROM saved_replies WHERE id = ?`, id))
	if err != nil {
		return inbox.SavedReply{}, notFound(err, "saved reply %d", id)
	}
	return r, nil
}

// CreateSavedReply normalizes and validates r, stores it, and sets r.ID
// and its times (now, unless r.CreatedAt is set). A shortcut already taken
// is inbox.ShortcutTaken.
func (db *DB) CreateSavedReply(ctx context.Context, r *inbox.SavedReply) error {
	in := *r
	in.Normalize()
	if err := in.Validate(); err != nil {
		return err
	}
	if in.CreatedAt.IsZero() {
		in.CreatedAt = db.now()
	}
	in.CreatedAt = stored(in.CreatedAt)
	in.UpdatedAt = in.CreatedAt
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		return w.queryRowSQL(ctx, `INSERT INTO saved_replies (shortcut, title, body, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			in.Shortcut, in.Title, in.Body, msOf(in.CreatedAt), msOf(in.UpdatedAt)).Scan(&in.ID)
	})
	switch {
	case isUniqueViolation(err):
		return inbox.ShortcutTaken(in.Shortcut)
	case err != nil:
		return fmt.Errorf("create saved reply /%s: %w", in.Shortcut, err)
	}
	*r = in
	return nil
}

// UpdateSavedReply writes r's shortcut, title and body over the stored
// reply with r.ID, checked as CreateSavedReply checks them, and sets
// r.UpdatedAt (now, unless set) and r.CreatedAt.
func (db *DB) UpdateSavedReply(ctx context.Context, r *inbox.SavedReply) error {
	in := *r
	in.Normalize()
	if err := in.Validate(); err != nil {
		return err
	}
	if in.UpdatedAt.IsZero() {
		in.UpdatedAt = db.now()
	}
	in.UpdatedAt = stored(in.UpdatedAt)
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		return w.queryRowSQL(ctx, `UPDATE saved_replies SET shortcut = ?, title = ?, body = ?, updated_at = ?
			WHERE id = ? RETURNING created_at`,
			in.Shortcut, in.Title, in.Body, msOf(in.UpdatedAt), in.ID).Scan(msTime{&in.CreatedAt})
	})
	switch {
	case isUniqueViolation(err):
		return inbox.ShortcutTaken(in.Shortcut)
	case err != nil:
		return notFound(err, "update saved reply %d", in.ID)
	}
	*r = in
	return nil
}

// DeleteSavedReply removes a saved reply and returns it as it was.
func (db *DB) DeleteSavedReply(ctx context.Context, id int64) (inbox.SavedReply, error) {
	var r inbox.SavedReply
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var err error
		r, err = scanSavedReply(w.queryRowSQL(ctx, `DELETE FROM saved_replies WHERE id = ? RETURNING `+savedReplyCols, id))
		return err
	})
	if err != nil {
		return inbox.SavedReply{}, notFound(err, "delete saved reply %d", id)
	}
	return r, nil
}
