package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

var (
	stSetting    = writerStatement(`SELECT value FROM settings WHERE key = ?`)
	stSetSetting = writerStatement(`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`)
)

// Setting returns a setting's value; ok is false when it was never set.
func (db *DB) Setting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = db.reader.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("setting %s: %w", key, err)
	}
	return value, true, nil
}

// SetSetting stores a setting's value.
func (db *DB) SetSetting(ctx context.Context, key, value string, at time.Time) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		return w.setSetting(ctx, key, value, at)
	})
	if err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	return nil
}

// setting is Setting in w's transaction.
func (w *writeTx) setting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = w.queryRow(ctx, stSetting, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("setting %s: %w", key, err)
	}
	return value, true, nil
}

// setSetting is SetSetting in w's transaction.
func (w *writeTx) setSetting(ctx context.Context, key, value string, at time.Time) error {
	_, err := w.exec(ctx, stSetSetting, key, value, msOf(at))
	return err
}
