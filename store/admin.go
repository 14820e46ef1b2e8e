package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"switchboard/inbox"
)

// AddAudit records an admin's change.
func (db *DB) AddAudit(ctx context.Context, e inbox.AuditEntry) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `INSERT INTO audit_log (at, user_id, action, detail) VALUES (?, ?, ?, ?)`,
			msOf(e.At), nullID(e.UserID), e.Action, e.Detail)
		return err
	})
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Audit returns the latest limit entries of the audit log, newest first,
// with the names of who made them.
func (db *DB) Audit(ctx context.Context, limit int) ([]inbox.AuditEntry, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT a.id, a.at, a.user_id, COALESCE(u.name, ''), a.action, a.detail
		FROM audit_log a LEFT JOIN users u ON u.id = a.user_id ORDER BY a.at DESC, a.id DESC LIMIT ?`, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []inbox.AuditEntry
	for rows.Next() {
		var e inbox.AuditEntry
		if err := rows.Scan(&e.ID, msTime{&e.At}, optID{&e.UserID}, &e.UserName, &e.Action, &e.Detail); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SetRole changes a user's role and nothing else: whether they may sign
// in is DeactivateUser's and ReactivateUser's, so a role change that
// meets a deactivation leaves the account deactivated. A role other than
// admin or agent is an error wrapping inbox.ErrInvalid, an unknown id one
// wrapping inbox.ErrNotFound. A change that would leave no active admin is
// refused with inbox.ErrLastAdmin, checked in the same transaction as the
// change, so two admins demoting each other at once, or one demoted as the
// other is deactivated, cannot both succeed.
func (db *DB) SetRole(ctx context.Context, id int64, role inbox.Role) error {
	if role != inbox.RoleAdmin && role != inbox.RoleAgent {
		return fmt.Errorf("set role of user %d: role %q: %w", id, role, inbox.ErrInvalid)
	}
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		if err := updateOne(ctx, w, `UPDATE users SET role = ? WHERE id = ?`, string(role), id); err != nil {
			return err
		}
		return keepsAnAdmin(ctx, w)
	})
	if err != nil {
		return fmt.Errorf("set role of user %d: %w", id, err)
	}
	return nil
}

// ReactivateUser lets a deactivated user sign in again, in the role they
// have now: a role changed since they were read stays changed. Nothing
// DeactivateUser handed back returns to them. An unknown id is an error
// wrapping inbox.ErrNotFound.
func (db *DB) ReactivateUser(ctx context.Context, id int64) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		return updateOne(ctx, w, `UPDATE users SET active = ? WHERE id = ?`, true, id)
	})
	if err != nil {
		return fmt.Errorf("reactivate user %d: %w", id, err)
	}
	return nil
}

// keepsAnAdmin returns inbox.ErrLastAdmin when the write leaves no active
// admin: the savepoint is then rolled back, and nothing changes.
func keepsAnAdmin(ctx context.Context, w *writeTx) error {
	var admins int
	if err := w.queryRowSQL(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND active`).Scan(&admins); err != nil {
		return err
	}
	if admins == 0 {
		return inbox.ErrLastAdmin
	}
	return nil
}

// DeactivateUser stops a user signing in and, in the same transaction,
// returns their conversations still open (snoozed ones too, which keep
// their snooze) to Unassigned, with a line in each thread saying why, by
// the admin by. Resolved conversations keep their assignee. An unknown id
// is an error wrapping inbox.ErrNotFound; leaving no active admin is
// refused with inbox.ErrLastAdmin, and then nothing changes.
func (db *DB) DeactivateUser(ctx context.Context, id, by int64, at time.Time) (inbox.Change, error) {
	var ch inbox.Change
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		ch = inbox.Change{}
		if err := updateOne(ctx, w, `UPDATE users SET active = ? WHERE id = ?`, false, id); err != nil {
			return err
		}
		if err := keepsAnAdmin(ctx, w); err != nil {
			return err
		}
		// A snoozed conversation is open with a snooze: status 'open'
		// takes both, on conversations_assignee.
		rows, err := w.querySQL(ctx, `UPDATE conversations SET assignee_id = NULL, updated_at = ?
			WHERE assignee_id = ? AND status = 'open' RETURNING id`, msOf(at), id)
		if err != nil {
			return err
		}
		ids, err := scanIDs(rows)
		if err != nil {
			return err
		}
		slices.Sort(ids)
		ch.ConversationIDs = ids
		var actor *int64
		if by != 0 {
			actor = &by
		}
		for _, conv := range ids {
			err := w.activity(ctx, &ch, inbox.ThreadActivity{ConversationID: conv, Kind: inbox.ActivityUnassigned,
				ActorID: actor, TargetID: &id, Detail: inbox.UnassignedDeactivated, At: at})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return inbox.Change{}, fmt.Errorf("deactivate user %d: %w", id, err)
	}
	return ch, nil
}

// SetPassword replaces a user's password hash. An unknown id is an error
// wrapping inbox.ErrNotFound.
func (db *DB) SetPassword(ctx context.Context, id int64, hash string) error {
	if hash == "" {
		return fmt.Errorf("set password of user %d: no hash: %w", id, inbox.ErrInvalid)
	}
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		return updateOne(ctx, w, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
	})
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", id, err)
	}
	return nil
}

// updateOne runs an UPDATE that must change exactly one row, or fails
// with inbox.ErrNotFound.
func updateOne(ctx context.Context, w *writeTx, q string, args ...any) error {
	r, err := w.execSQL(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return inbox.ErrNotFound
	}
	return nil
}
