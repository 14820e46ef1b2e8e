package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"
)

// Sign-in attempts are limited per client address and per e-mail address,
// each with its own limit (web's loginLimiter): ReserveLogin reads the
// counts, and the wait it is given applies the limits. A SQLite database
// has one server, which counts them in memory. Servers sharing a
// PostgreSQL database count them in it (login_attempts), so that a
// guesser spreading attempts over the servers behind a balancer meets the
// same limits as against one.

// loginCheckHold is how long an attempt whose check is under way counts
// at most: a server that died mid-check no longer holds the key's place.
const loginCheckHold = time.Minute

// SharesLogins reports whether sign-in attempts are counted in the
// database (several processes may share it) rather than in memory.
func (db *DB) SharesLogins() bool { return db.dialect.postgres }

// ReserveLogin books an attempt for every key, or for none, in one write
// transaction: it reads what counts against each key (its failures in
// the window, oldest first, and its checks under way), asks wait how long
// the client must wait first, and when that is 0 records a check under way for each
// key, under the reservation it returns. A failure counts for window.
func (db *DB) ReserveLogin(ctx context.Context, keys []string, now time.Time,
	wait func(failures [][]time.Time, checking []int) time.Duration) (reservation int64, d time.Duration, err error) {
	var b [8]byte
	rand.Read(b[:])
	reservation = int64(binary.BigEndian.Uint64(b[:]) >> 1)
	at := msOf(now)
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		d = 0
		failures, checking := make([][]time.Time, len(keys)), make([]int, len(keys))
		for i, k := range keys {
			if _, err := w.execSQL(ctx, `DELETE FROM login_attempts WHERE key = ? AND expires_at <= ?`, k, at); err != nil {
				return err
			}
			rows, err := w.querySQL(ctx, `SELECT failed_at FROM login_attempts WHERE key = ? ORDER BY failed_at`, k)
			if err != nil {
				return err
			}
			for rows.Next() {
				var f *int64
				if err := rows.Scan(&f); err != nil {
					rows.Close()
					return err
				}
				if f == nil {
					checking[i]++
				} else {
					failures[i] = append(failures[i], time.UnixMilli(*f))
				}
			}
			if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
				return err
			}
		}
		if d = wait(failures, checking); d > 0 {
			return nil
		}
		for _, k := range keys {
			if _, err := w.execSQL(ctx, `INSERT INTO login_attempts (reservation, key, expires_at) VALUES (?, ?, ?)`,
				reservation, k, msOf(now.Add(loginCheckHold))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("reserve a sign-in attempt: %w", err)
	}
	return reservation, d, nil
}

// EndLogin ends a reservation: a failure counts against each of its keys
// until now+window; otherwise its checks stop counting, and cleared, if
// not "", has its failures forgotten (an e-mail address whose password
// matched).
func (db *DB) EndLogin(ctx context.Context, reservation int64, failed bool, cleared string, window time.Duration, now time.Time) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		if failed {
			_, err := w.execSQL(ctx, `UPDATE login_attempts SET failed_at = ?, expires_at = ? WHERE reservation = ?`,
				msOf(now), msOf(now.Add(window)), reservation)
			return err
		}
		if _, err := w.execSQL(ctx, `DELETE FROM login_attempts WHERE reservation = ?`, reservation); err != nil {
			return err
		}
		if cleared != "" {
			_, err := w.execSQL(ctx, `DELETE FROM login_attempts WHERE key = ? AND failed_at IS NOT NULL`, cleared)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("end a sign-in attempt: %w", err)
	}
	return nil
}

// deleteExpiredLogins forgets the attempts that no longer count, with the
// expired sessions.
func (db *DB) deleteExpiredLogins(ctx context.Context) (int64, error) {
	var n int64
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		res, err := w.execSQL(ctx, `DELETE FROM login_attempts WHERE expires_at <= ?`, msOf(db.now()))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
