package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/inbox"
)

// Sessions keeps browser sessions for alexedwards/scs in the sessions
// table. It implements scs.Store, scs.CtxStore, scs.IterableStore and
// scs.IterableCtxStore. Reads use the read pool; writes go through the
// writer and share its commits.
//
// A session is stored under the key of its token (Key), never the token:
// whoever reads the database, a backup or the WAL learns no cookie that
// signs in. Find and Commit take the token. All lists sessions by key,
// since the tokens are not kept, and Delete takes either a token or such
// a key; Find never accepts a key, so a key is worth nothing as a cookie.
type Sessions struct{ db *DB }

// Sessions returns the session store on db.
func (db *DB) Sessions() *Sessions { return &Sessions{db: db} }

// sessionKeyPrefix starts every key; scs tokens (base64url) never hold
// its ':'.
const sessionKeyPrefix = "sha256:"

// Key is what the session with token is stored and listed under: its
// SHA-256, in hex, after "sha256:".
func (s *Sessions) Key(token string) string {
	sum := sha256.Sum256([]byte(token))
	return sessionKeyPrefix + hex.EncodeToString(sum[:])
}

// deleteKey is the key Delete removes: token itself when it is a key (as
// All lists them), else the token's key.
func (s *Sessions) deleteKey(token string) string {
	if strings.HasPrefix(token, sessionKeyPrefix) {
		return token
	}
	return s.Key(token)
}

// Find returns the data of an unexpired session; found is false for an
// unknown or expired token.
func (s *Sessions) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// FindCtx is Find with a context.
func (s *Sessions) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := s.db.reader.QueryRowContext(ctx, `SELECT data FROM sessions WHERE token_hash = ? AND expiry > ?`,
		s.Key(token), s.db.now().UnixMilli()).Scan(&data)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("find session: %w", err)
	}
	return data, true, nil
}

// Commit stores a session's data and expiry, replacing what was there.
func (s *Sessions) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// CommitCtx is Commit with a context.
func (s *Sessions) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if b == nil {
		b = []byte{} // data is NOT NULL
	}
	err := s.db.write(ctx, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `INSERT INTO sessions (token_hash, data, expiry) VALUES (?, ?, ?)
			ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
			s.Key(token), b, expiry.UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("commit session: %w", err)
	}
	return nil
}

// Delete removes the session of a token, or of a key as All lists it; an
// unknown one is not an error.
func (s *Sessions) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// DeleteCtx is Delete with a context.
func (s *Sessions) DeleteCtx(ctx context.Context, token string) error {
	err := s.db.write(ctx, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `DELETE FROM sessions WHERE token_hash = ?`, s.deleteKey(token))
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// All returns the data of every unexpired session by key (see Key): the
// tokens themselves are not kept.
func (s *Sessions) All() (map[string][]byte, error) {
	return s.AllCtx(context.Background())
}

// AllCtx is All with a context.
func (s *Sessions) AllCtx(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.db.reader.QueryContext(ctx, `SELECT token_hash, data FROM sessions WHERE expiry > ?`, s.db.now().UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var key string
		var data []byte
		if err := rows.Scan(&key, &data); err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		out[key] = data
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}

// DeleteExpiredSessions deletes the sessions that have expired and returns
// how many there were.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	var n int64
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		r, err := w.execSQL(ctx, `DELETE FROM sessions WHERE expiry <= ?`, db.now().UnixMilli())
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}

// cleanSessions deletes expired sessions every so often until Close.
func (db *DB) cleanSessions(every time.Duration) {
	lease := db.Lease(JobSessionCleanup)
	db.background(every, db.cleanupDone, func() { lease.Run(db.deleteExpiredSessions) })
}

// deleteExpiredSessions is one round of cleanSessions.
func (db *DB) deleteExpiredSessions() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	n, err := db.DeleteExpiredSessions(ctx)
	cancel()
	switch {
	case errors.Is(err, inbox.ErrStoreClosed):
	case err != nil:
		db.log.Warn("could not delete expired sessions", "err", err)
	case n > 0:
		db.log.Debug("deleted expired sessions", "count", n)
	}
	if db.SharesLogins() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := db.deleteExpiredLogins(ctx); err != nil && !errors.Is(err, inbox.ErrStoreClosed) {
			db.log.Warn("could not delete expired sign-in attempts", "err", err)
		}
	}
}
