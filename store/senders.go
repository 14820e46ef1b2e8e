package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"switchboard/inbox"
)

const senderCols = `s.id, s.phone, s.name, s.is_default, s.webhook_url, s.webhook_events, s.webhook_active, s.synced_at,
	ss.hint IS NOT NULL, COALESCE(ss.hint, ''), ss.set_at, COALESCE(ss.previous_hint, ''), ss.previous_until`

const senderFrom = ` FROM senders s LEFT JOIN sender_secrets ss ON ss.sender_id = s.id`

func scanSender(sc interface{ Scan(...any) error }) (inbox.Sender, error) {
	var s inbox.Sender
	var url, events string
	var active bool
	if err := sc.Scan(&s.ID, &s.Phone, &s.Name, &s.IsDefault, &url, &events, &active, msTime{&s.SyncedAt},
		&s.Secret.Set, &s.Secret.Hint, msTime{&s.Secret.SetAt}, &s.Secret.PreviousHint, msTime{&s.Secret.PreviousUntil}); err != nil {
		return s, err
	}
	if url != "" {
		s.Webhook = &inbox.SenderWebhook{URL: url, Active: active}
		if events != "" {
			s.Webhook.Events = strings.Split(events, ",")
		}
	}
	return s, nil
}

// Senders lists the business's numbers, the default first, then by id.
func (db *DB) Senders(ctx context.Context) ([]inbox.Sender, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+senderCols+senderFrom+` ORDER BY s.is_default DESC, s.id`)
	if err != nil {
		return nil, fmt.Errorf("list senders: %w", err)
	}
	defer rows.Close()
	var out []inbox.Sender
	for rows.Next() {
		s, err := scanSender(rows)
		if err != nil {
			return nil, fmt.Errorf("list senders: %w", err)
		}
		out = append(out, db.withLiveSecrets(s))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list senders: %w", err)
	}
	return out, nil
}

// Sender returns one sender, or an error wrapping inbox.ErrNotFound.
func (db *DB) Sender(ctx context.Context, id string) (inbox.Sender, error) {
	s, err := scanSender(db.reader.QueryRowContext(ctx, `SELECT `+senderCols+senderFrom+` WHERE s.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("sender %s: %w", id, inbox.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("sender %s: %w", id, err)
	}
	return db.withLiveSecrets(s), nil
}

// withLiveSecrets is s without a replaced secret that is no longer
// accepted.
func (db *DB) withLiveSecrets(s inbox.Sender) inbox.Sender {
	if !s.Secret.PreviousUntil.After(db.now()) {
		s.Secret.PreviousHint, s.Secret.PreviousUntil = "", time.Time{}
	}
	return s
}

// SyncSenders stores the senders Zavu lists, in one transaction: name,
// number, default flag and webhook. A sender Zavu no longer lists keeps
// its row (conversations refer to it) but loses its synced time. An empty
// number keeps the known one.
func (db *DB) SyncSenders(ctx context.Context, ss []inbox.Sender, at time.Time) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		ms := msOf(at)
		if _, err := w.execSQL(ctx, `UPDATE senders SET synced_at = NULL`); err != nil {
			return err
		}
		for _, s := range ss {
			if s.ID == "" {
				continue
			}
			var url, events string
			var active bool
			if s.Webhook != nil {
				url, active = s.Webhook.URL, s.Webhook.Active
				events = strings.Join(s.Webhook.Events, ",")
			}
			if _, err := w.execSQL(ctx, `INSERT INTO senders
				(id, phone, name, is_default, webhook_url, webhook_events, webhook_active, synced_at, created_at, updated_at)
				VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8)
				ON CONFLICT (id) DO UPDATE SET
					phone = CASE WHEN excluded.phone <> '' THEN excluded.phone ELSE senders.phone END,
					name = excluded.name, is_default = excluded.is_default, webhook_url = excluded.webhook_url,
					webhook_events = excluded.webhook_events, webhook_active = excluded.webhook_active,
					synced_at = excluded.synced_at, updated_at = excluded.updated_at`,
				s.ID, s.Phone, s.Name, s.IsDefault, url, events, active, ms); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sync senders: %w", err)
	}
	return nil
}

// SetSenderSecret stores a webhook secret for a sender, replacing any
// before; webhooks signed with it are accepted at once, and those signed
// with the one it replaced for inbox.PreviousSecretGrace more.
func (db *DB) SetSenderSecret(ctx context.Context, senderID, secret string, at time.Time) error {
	secret, err := inbox.CheckWebhookSecret(secret)
	if err != nil {
		return err
	}
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var n int
		if err := w.queryRowSQL(ctx, `SELECT count(*) FROM senders WHERE id = ?`, senderID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return inbox.ErrNotFound
		}
		// The same secret pasted again changes nothing; another one keeps
		// the one it replaces for a while.
		_, err := w.execSQL(ctx, `INSERT INTO sender_secrets (sender_id, secret, hint, set_at) VALUES (?1, ?2, ?3, ?4)
			ON CONFLICT (sender_id) DO UPDATE SET secret = excluded.secret, hint = excluded.hint,
				set_at = CASE WHEN sender_secrets.secret = excluded.secret THEN sender_secrets.set_at ELSE excluded.set_at END,
				previous_secret = CASE WHEN sender_secrets.secret = excluded.secret THEN sender_secrets.previous_secret ELSE sender_secrets.secret END,
				previous_hint = CASE WHEN sender_secrets.secret = excluded.secret THEN sender_secrets.previous_hint ELSE sender_secrets.hint END,
				previous_until = CASE WHEN sender_secrets.secret = excluded.secret THEN sender_secrets.previous_until ELSE ?5 END`,
			senderID, secret, inbox.SecretHint(secret), msOf(at), msOf(at.Add(inbox.PreviousSecretGrace)))
		return err
	})
	db.secrets.invalidate()
	if err != nil {
		return fmt.Errorf("set webhook secret of sender %s: %w", senderID, err)
	}
	return nil
}

// RemoveSenderSecret forgets a sender's webhook secret, and the one it
// replaced; webhooks signed with either are refused at once.
func (db *DB) RemoveSenderSecret(ctx context.Context, senderID string) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		return updateOne(ctx, w, `DELETE FROM sender_secrets WHERE sender_id = ?`, senderID)
	})
	db.secrets.invalidate()
	if err != nil {
		return fmt.Errorf("remove webhook secret of sender %s: %w", senderID, err)
	}
	return nil
}

// RemovePreviousSenderSecret stops accepting the secret a sender's secret
// replaced, at once (when it may have leaked).
func (db *DB) RemovePreviousSenderSecret(ctx context.Context, senderID string) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		return updateOne(ctx, w, `UPDATE sender_secrets SET previous_secret = '', previous_hint = '', previous_until = 0 WHERE sender_id = ?`, senderID)
	})
	db.secrets.invalidate()
	if err != nil {
		return fmt.Errorf("remove previous webhook secret of sender %s: %w", senderID, err)
	}
	return nil
}

// senderSecrets are the secrets stored for one sender: the one set
// alone, and with the one it replaced, which counts until until.
type senderSecrets struct {
	current, both []string
	until         time.Time
}

// SenderWebhookSecrets returns the webhook secrets in force for one
// sender, if any, for checking the signature of that sender's events: the
// one set, and the one it replaced while its grace lasts. It is the only
// way a stored secret is read. The secrets are kept in memory until one is
// set or removed.
func (db *DB) SenderWebhookSecrets(ctx context.Context, senderID string) ([]string, error) {
	if m, ok := db.secrets.get(); ok {
		return m[senderID].inForce(db.now()), nil
	}
	gen := db.secrets.generation()
	rows, err := db.reader.QueryContext(ctx, `SELECT sender_id, secret, previous_secret, previous_until FROM sender_secrets`)
	if err != nil {
		return nil, fmt.Errorf("webhook secrets: %w", err)
	}
	defer rows.Close()
	all := map[string]senderSecrets{}
	for rows.Next() {
		var id, current, previous string
		var until time.Time
		if err := rows.Scan(&id, &current, &previous, msTime{&until}); err != nil {
			return nil, fmt.Errorf("webhook secrets: %w", err)
		}
		s := senderSecrets{current: []string{current}}
		if previous != "" {
			s.both, s.until = []string{current, previous}, until
		}
		all[id] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("webhook secrets: %w", err)
	}
	db.secrets.put(gen, all)
	return all[senderID].inForce(db.now()), nil
}

// inForce are the secrets that sign a sender's webhooks at now.
func (s senderSecrets) inForce(now time.Time) []string {
	if s.both != nil && now.Before(s.until) {
		return s.both
	}
	return s.current
}

// secretCache holds the per-sender secrets between changes. A change
// bumps the generation, so a list read before it is never kept after it.
type secretCache struct {
	mu      sync.Mutex
	gen     uint64
	secrets map[string]senderSecrets // by sender id
	ok      bool
}

func (c *secretCache) get() (map[string]senderSecrets, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.secrets, c.ok
}

func (c *secretCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *secretCache) put(gen uint64, s map[string]senderSecrets) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		c.secrets, c.ok = s, true
	}
}

func (c *secretCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.secrets, c.ok = nil, false
}
