package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"switchboard/inbox"
)

// CreateUser adds a user and sets u.ID (and u.CreatedAt when zero). An
// e-mail address already taken, in any letter case, is an error wrapping
// inbox.ErrConflict.
func (db *DB) CreateUser(ctx context.Context, u *inbox.User) error {
	email := strings.TrimSpace(u.Email)
	if email == "" {
		return fmt.Errorf("create user: no e-mail address: %w", inbox.ErrInvalid)
	}
	if u.Role != inbox.RoleAdmin && u.Role != inbox.RoleAgent {
		return fmt.Errorf("create user %s: role %q: %w", email, u.Role, inbox.ErrInvalid)
	}
	created := u.CreatedAt
	if created.IsZero() {
		created = db.now()
	}
	var id int64
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		return w.queryRowSQL(ctx, `INSERT INTO users (email, name, role, password_hash, active, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			email, u.Name, string(u.Role), u.PasswordHash, u.Active, msOf(created)).Scan(&id)
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("create user %s: the e-mail address is taken: %w", email, inbox.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create user %s: %w", email, err)
	}
	u.ID, u.Email, u.CreatedAt = id, email, stored(created)
	return nil
}

const userCols = `id, email, name, role, password_hash, active, created_at`

func scanUser(row scanner) (inbox.User, error) {
	var u inbox.User
	var role string
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &role, &u.PasswordHash, &u.Active, msTime{&u.CreatedAt}); err != nil {
		return inbox.User{}, err
	}
	u.Role = inbox.Role(role)
	return u, nil
}

// UserByEmail returns the user with this e-mail address, in any letter
// case, or an error wrapping inbox.ErrNotFound. Inactive users are
// returned too; the caller decides what they may do.
func (db *DB) UserByEmail(ctx context.Context, email string) (inbox.User, error) {
	email = strings.TrimSpace(email)
	u, err := scanUser(db.reader.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
	if err != nil {
		return inbox.User{}, notFound(err, "user %s", email)
	}
	return u, nil
}

// User returns the user with this id, or an error wrapping
// inbox.ErrNotFound.
func (db *DB) User(ctx context.Context, id int64) (inbox.User, error) {
	u, err := scanUser(db.reader.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if err != nil {
		return inbox.User{}, notFound(err, "user %d", id)
	}
	return u, nil
}

// CreateAPIToken stores a token (its hash, never the secret) and sets t.ID
// (and t.CreatedAt when zero). A hash already stored is an error wrapping
// inbox.ErrConflict.
func (db *DB) CreateAPIToken(ctx context.Context, t *inbox.APIToken) error {
	if t.Hash == "" {
		return fmt.Errorf("create API token %q: no hash: %w", t.Name, inbox.ErrInvalid)
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = db.now()
	}
	var id int64
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		return w.queryRowSQL(ctx, `INSERT INTO api_tokens (name, hash, created_at, last_used_at)
			VALUES (?, ?, ?, ?) RETURNING id`, t.Name, t.Hash, msOf(created), nullMS(t.LastUsedAt)).Scan(&id)
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("create API token %q: %w", t.Name, inbox.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create API token %q: %w", t.Name, err)
	}
	t.ID, t.CreatedAt = id, stored(created)
	return nil
}

// APITokenByHash returns the token with this hash, or an error wrapping
// inbox.ErrNotFound when there is none or it was revoked.
func (db *DB) APITokenByHash(ctx context.Context, hash string) (inbox.APIToken, error) {
	var t inbox.APIToken
	err := db.reader.QueryRowContext(ctx, `SELECT id, name, hash, created_at, last_used_at
		FROM api_tokens WHERE hash = ? AND revoked_at IS NULL`, hash).
		Scan(&t.ID, &t.Name, &t.Hash, msTime{&t.CreatedAt}, msTime{&t.LastUsedAt})
	if err != nil {
		return inbox.APIToken{}, notFound(err, "API token")
	}
	return t, nil
}

// TouchAPIToken records that the token was used at at. An earlier time
// than the one recorded changes nothing. An unknown id is an error
// wrapping inbox.ErrNotFound.
func (db *DB) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var found int
		return w.queryRowSQL(ctx, `UPDATE api_tokens
			SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ? RETURNING 1`, msOf(at), id).Scan(&found)
	})
	if err != nil {
		return notFound(err, "touch API token %d", id)
	}
	return nil
}

// RevokeAPIToken makes a token unusable from at on. An unknown id is an
// error wrapping inbox.ErrNotFound.
func (db *DB) RevokeAPIToken(ctx context.Context, id int64, at time.Time) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var found int
		return w.queryRowSQL(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?)
			WHERE id = ? RETURNING 1`, msOf(at), id).Scan(&found)
	})
	if err != nil {
		return notFound(err, "revoke API token %d", id)
	}
	return nil
}
