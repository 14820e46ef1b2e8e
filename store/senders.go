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
	ss.hint IS NOT NULL, COALESCE(ss.hint, ''), ss.set_at`

const senderFrom = ` FROM senders s LEFT JOIN sender_secrets ss ON ss.sender_id = s.id`

func scanSender(sc interface{ Scan(...any) error }) (inbox.Sender, error) {
	var s inbox.Sender
	var url, events string
	var active bool
	if err := sc.Scan(&s.ID, &s.Phone, &s.Name, &s.IsDefault, &url, &events, &active, msTime{&s.SyncedAt},
		&s.Secret.Set, &s.Secret.Hint, msTime{&s.Secret.SetAt}); err != nil {
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
		out = append(out, s)
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
	return s, nil
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
// before; webhooks signed with it are accepted at once.
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
		_, err := w.execSQL(ctx, `INSERT INTO sender_secrets (sender_id, secret, hint, set_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (sender_id) DO UPDATE SET secret = excluded.secret, hint = excluded.hint, set_at = excluded.set_at`,
			senderID, secret, inbox.SecretHint(secret), msOf(at))
		return err
	})
	db.secrets.invalidate()
	if err != nil {
		return fmt.Errorf("set webhook secret of sender %s: %w", senderID, err)
	}
	return nil
}

// RemoveSenderSecret forgets a sender's webhook secret; webhooks signed
// with it are refused at once.
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

// SenderWebhookSecrets returns the webhook secret set for one sender, if
// any, for checking the signature of that sender's events. It is the only
// way a stored secret is read. The secrets are kept in memory until one is
// set or removed.
func (db *DB) SenderWebhookSecrets(ctx context.Context, senderID string) ([]string, error) {
	if m, ok := db.secrets.get(); ok {
		return m[senderID], nil
	}
	gen := db.secrets.generation()
	rows, err := db.reader.QueryContext(ctx, `SELECT sender_id, secret FROM sender_secrets`)
	if err != nil {
		return nil, fmt.Errorf("webhook secrets: %w", err)
	}
	defer rows.Close()
	all := map[string][]string{}
	for rows.Next() {
		var id, s string
		if err := rows.Scan(&id, &s); err != nil {
			return nil, fmt.Errorf("webhook secrets: %w", err)
		}
		all[id] = append(all[id], s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("webhook secrets: %w", err)
	}
	db.secrets.put(gen, all)
	return all[senderID], nil
}

// secretCache holds the per-sender secrets between changes. A change
// bumps the generation, so a list read before it is never kept after it.
type secretCache struct {
	mu      sync.Mutex
	gen     uint64
	secrets map[string][]string // by sender id
	ok      bool
}

func (c *secretCache) get() (map[string][]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.secrets, c.ok
}

func (c *secretCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *secretCache) put(gen uint64, s map[string][]string) {
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
