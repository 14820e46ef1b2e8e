package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"switchboard/inbox"
)

// CreateUser adds a user and sets u.ID (and u.CreatedAt when zero). An
// e-mail address already taken, in any letter case, is an error wrapping
// inbox.ErrConflict.
func (db *DB) CreateUser(ctx context.Context, u *inbox.User) error {
	return db.createUser(ctx, u, false)
}

// CreateFirstAdmin adds u as an active admin, whatever its Role and Active
// say, only while there is no user at all, and sets u's fields as
// CreateUser does. Once any user exists, it adds nothing and returns an
// error wrapping inbox.ErrConflict: the check and the insert are one
// statement of one write transaction, so of concurrent calls on an empty
// database exactly one succeeds.
func (db *DB) CreateFirstAdmin(ctx context.Context, u *inbox.User) error {
	admin := *u
	admin.Role, admin.Active = inbox.RoleAdmin, true
	if err := db.createUser(ctx, &admin, true); err != nil {
		return err
	}
	*u = admin
	return nil
}

// createUser is CreateUser and, with onlyFirst, CreateFirstAdmin: the
// insert then happens only while the users table is empty.
func (db *DB) createUser(ctx context.Context, u *inbox.User, onlyFirst bool) error {
	what := "create user"
	if onlyFirst {
		what = "create the first admin"
	}
	email := strings.TrimSpace(u.Email)
	if email == "" {
		return fmt.Errorf("%s: no e-mail address: %w", what, inbox.ErrInvalid)
	}
	if u.Role != inbox.RoleAdmin && u.Role != inbox.RoleAgent {
		return fmt.Errorf("%s %s: role %q: %w", what, email, u.Role, inbox.ErrInvalid)
	}
	created := u.CreatedAt
	if created.IsZero() {
		created = db.now()
	}
	q := `INSERT INTO users (email, name, role, password_hash, active, created_at) SELECT ?, ?, ?, ?, ?, ?`
	if onlyFirst {
		q += ` WHERE NOT EXISTS (SELECT 1 FROM users)`
	}
	var id int64
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		if err := w.queryRowSQL(ctx, q+` RETURNING id`,
			email, u.Name, string(u.Role), u.PasswordHash, u.Active, msOf(created)).Scan(&id); err != nil {
			return err
		}
		// With a user, the first-run setup opens no more: its code goes.
		_, err := w.execSQL(ctx, `DELETE FROM settings WHERE key = ?`, setupCodeKey)
		return err
	})
	switch {
	case onlyFirst && errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s %s: there are users already: %w", what, email, inbox.ErrConflict)
	case isUniqueViolation(err):
		return fmt.Errorf("%s %s: the e-mail address is taken: %w", what, email, inbox.ErrConflict)
	case err != nil:
		return fmt.Errorf("%s %s: %w", what, email, err)
	}
	u.ID, u.Email, u.CreatedAt = id, email, stored(created)
	return nil
}

// setupCodeKey names the settings row that keeps the code the first-run
// setup asks for while no user exists (see SetupCode).
const setupCodeKey = "setup_code"

// SetupCode returns the code that opens the first-run setup while no user
// exists, keeping fresh as that code when none is kept yet, so that every
// process of a database asks for the same one. Once a user exists, open
// is false: creating a user forgets the code (createUser).
func (db *DB) SetupCode(ctx context.Context, fresh string) (code string, open bool, err error) {
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var users bool
		if err := w.queryRowSQL(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&users); err != nil || users {
			code, open = "", false
			return err
		}
		kept, ok, err := w.setting(ctx, setupCodeKey)
		switch {
		case err != nil:
			return err
		case ok && kept != "":
			code, open = kept, true
			return nil
		}
		code, open = fresh, true
		return w.setSetting(ctx, setupCodeKey, fresh, w.db.now())
	})
	if err != nil {
		return "", false, fmt.Errorf("the setup code: %w", err)
	}
	return code, open, nil
}

// CountUsers counts the users, active or not.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// Users lists every user: active ones first, then by name in any letter
// case (compareNames), then by id.
func (db *DB) Users(ctx context.Context) ([]inbox.User, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+userCols+` FROM users
		ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []inbox.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	slices.SortStableFunc(out, func(a, b inbox.User) int {
		if a.Active != b.Active {
			if a.Active {
				return -1
			}
			return 1
		}
		return compareNames(a.Name, b.Name)
	})
	return out, nil
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
// (and t.CreatedAt when zero). An empty scope is stored as write, the
// default. A hash already stored is an error wrapping inbox.ErrConflict; the
// name of a token not revoked one wrapping inbox.ErrNameTaken (a revoked
// token's name may be used again); an unknown scope or no hash one
// wrapping inbox.ErrInvalid.
func (db *DB) CreateAPIToken(ctx context.Context, t *inbox.APIToken) error {
	if t.Hash == "" {
		return fmt.Errorf("create API token %q: no hash: %w", t.Name, inbox.ErrInvalid)
	}
	scope, err := inbox.ParseTokenScope(string(t.Scope))
	if err != nil {
		return fmt.Errorf("create API token %q: %w", t.Name, err)
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = db.now()
	}
	var id int64
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var taken bool
		if err := w.queryRowSQL(ctx, `SELECT EXISTS (SELECT 1 FROM api_tokens WHERE name = ? AND revoked_at IS NULL)`, t.Name).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return inbox.ErrNameTaken
		}
		return w.queryRowSQL(ctx, `INSERT INTO api_tokens (name, hash, scope, created_at, created_by, last_used_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			t.Name, t.Hash, string(scope), msOf(created), nullID(t.CreatedBy), nullMS(t.LastUsedAt)).Scan(&id)
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("create API token %q: %w", t.Name, inbox.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create API token %q: %w", t.Name, err)
	}
	t.ID, t.Scope, t.CreatedAt = id, scope, stored(created)
	return nil
}

// apiTokenCols are an API token's columns, with its creator's name, for
// scanAPIToken; the query joins users as u.
const apiTokenCols = `t.id, t.name, t.hash, t.scope, t.created_at, t.last_used_at, t.created_by, coalesce(u.name, ''), t.revoked_at`

func scanAPIToken(row scanner) (inbox.APIToken, error) {
	var t inbox.APIToken
	var scope string
	err := row.Scan(&t.ID, &t.Name, &t.Hash, &scope, msTime{&t.CreatedAt}, msTime{&t.LastUsedAt},
		optID{&t.CreatedBy}, &t.CreatedByName, msTime{&t.RevokedAt})
	t.Scope = inbox.TokenScope(scope)
	return t, err
}

// APITokenByHash returns the token with this hash, or an error wrapping
// inbox.ErrNotFound when there is none or it was revoked. It reads the
// database every time: nothing is cached, so a token revoked by any
// process is refused at its next use.
func (db *DB) APITokenByHash(ctx context.Context, hash string) (inbox.APIToken, error) {
	t, err := scanAPIToken(db.reader.QueryRowContext(ctx, `SELECT `+apiTokenCols+`
		FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by
		WHERE t.hash = ? AND t.revoked_at IS NULL`, hash))
	if err != nil {
		return inbox.APIToken{}, notFound(err, "API token")
	}
	return t, nil
}

// APITokens lists every API token, revoked ones too, newest first.
func (db *DB) APITokens(ctx context.Context) ([]inbox.APIToken, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+apiTokenCols+`
		FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by ORDER BY t.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("API tokens: %w", err)
	}
	defer rows.Close()
	var out []inbox.APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, fmt.Errorf("API tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
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

// RevokeAPIToken makes a token unusable from at on and returns it as
// revoked. An unknown id is an error wrapping inbox.ErrNotFound; a token
// revoked already is left as it was and the error wraps inbox.ErrRevoked.
func (db *DB) RevokeAPIToken(ctx context.Context, id int64, at time.Time) (inbox.APIToken, error) {
	var t inbox.APIToken
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		res, err := w.execSQL(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, msOf(at), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		t, err = scanAPIToken(w.queryRowSQL(ctx, `SELECT `+apiTokenCols+`
			FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by WHERE t.id = ?`, id))
		if err != nil {
			return notFound(err, "revoke API token %d", id)
		}
		if n == 0 {
			return fmt.Errorf("revoke API token %d: %w", id, inbox.ErrRevoked)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, inbox.ErrNotFound) || errors.Is(err, inbox.ErrRevoked) {
			return t, err
		}
		return inbox.APIToken{}, fmt.Errorf("revoke API token %d: %w", id, err)
	}
	return t, nil
}
