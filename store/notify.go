package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"switchboard/inbox"
)

// NotificationSettings returns the user's notification settings, the
// defaults when they never saved any.
func (db *DB) NotificationSettings(ctx context.Context, userID int64) (inbox.NotificationSettings, error) {
	var s inbox.NotificationSettings
	err := db.reader.QueryRowContext(ctx, `SELECT new_conversation, message, assigned, mentioned, sound, desktop, push
		FROM notification_settings WHERE user_id = ?`, userID).
		Scan(&s.NewConversation, &s.Message, &s.Assigned, &s.Mentioned, &s.Sound, &s.Desktop, &s.Push)
	if errors.Is(err, sql.ErrNoRows) {
		return inbox.DefaultNotificationSettings(), nil
	}
	if err != nil {
		return s, fmt.Errorf("notification settings of user %d: %w", userID, err)
	}
	return s, nil
}

// SaveNotificationSettings stores the user's notification settings. An
// unknown user is an error wrapping inbox.ErrNotFound.
func (db *DB) SaveNotificationSettings(ctx context.Context, userID int64, s inbox.NotificationSettings, at time.Time) error {
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		res, err := w.execSQL(ctx, `INSERT INTO notification_settings
			(user_id, new_conversation, message, assigned, mentioned, sound, desktop, push, updated_at)
			SELECT id, ?, ?, ?, ?, ?, ?, ?, ? FROM users WHERE id = ?
			ON CONFLICT (user_id) DO UPDATE SET new_conversation = excluded.new_conversation,
				message = excluded.message, assigned = excluded.assigned, mentioned = excluded.mentioned,
				sound = excluded.sound, desktop = excluded.desktop, push = excluded.push,
				updated_at = excluded.updated_at`,
			s.NewConversation, s.Message, s.Assigned, s.Mentioned, s.Sound, s.Desktop, s.Push, msOf(at), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return inbox.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save notification settings of user %d: %w", userID, err)
	}
	return nil
}

// SavePushSubscription stores a browser's push subscription for p.UserID
// and sets p.ID; an endpoint stored before moves to p.UserID with p's keys.
func (db *DB) SavePushSubscription(ctx context.Context, p *inbox.PushSubscription) error {
	in := *p
	if in.Endpoint == "" || in.P256dh == "" || in.Auth == "" || in.Session == "" {
		return fmt.Errorf("save push subscription: endpoint, keys and session are needed: %w", inbox.ErrInvalid)
	}
	if in.CreatedAt.IsZero() {
		in.CreatedAt = db.now()
	}
	in.CreatedAt = stored(in.CreatedAt)
	session := db.Sessions().Key(in.Session)
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		return w.queryRowSQL(ctx, `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, session_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh,
				auth = excluded.auth, session_hash = excluded.session_hash, created_at = excluded.created_at
			RETURNING id`, in.UserID, in.Endpoint, in.P256dh, in.Auth, session, msOf(in.CreatedAt)).Scan(&in.ID)
	})
	if err != nil {
		return fmt.Errorf("save push subscription of user %d: %w", in.UserID, err)
	}
	*p = in
	return nil
}

// PushSubscriptions lists the user's push subscriptions whose browser
// session has not ended, oldest first.
func (db *DB) PushSubscriptions(ctx context.Context, userID int64) ([]inbox.PushSubscription, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT p.id, p.user_id, p.endpoint, p.p256dh, p.auth, p.created_at
		FROM push_subscriptions p
		WHERE p.user_id = ? AND EXISTS (SELECT 1 FROM sessions s WHERE s.token_hash = p.session_hash AND s.expiry > ?)
		ORDER BY p.id`, userID, db.now().UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("push subscriptions of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []inbox.PushSubscription
	for rows.Next() {
		var p inbox.PushSubscription
		if err := rows.Scan(&p.ID, &p.UserID, &p.Endpoint, &p.P256dh, &p.Auth, msTime{&p.CreatedAt}); err != nil {
			return nil, fmt.Errorf("push subscriptions of user %d: %w", userID, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("push subscriptions of user %d: %w", userID, err)
	}
	return out, nil
}

// DeletePushSubscription forgets the subscription with endpoint; with a
// userID, only when it is that user's.
func (db *DB) DeletePushSubscription(ctx context.Context, userID int64, endpoint string) (bool, error) {
	var n int64
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		res, err := w.execSQL(ctx, `DELETE FROM push_subscriptions WHERE endpoint = ? AND (? = 0 OR user_id = ?)`,
			endpoint, userID, userID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("delete push subscription: %w", err)
	}
	return n > 0, nil
}

// PushKeys returns the server's VAPID keys, storing generate's the first
// time. The insert keeps a pair stored before, so concurrent first starts
// agree on one.
func (db *DB) PushKeys(ctx context.Context, generate func() (inbox.VAPIDKeys, error)) (inbox.VAPIDKeys, error) {
	var k inbox.VAPIDKeys
	err := db.reader.QueryRowContext(ctx, `SELECT public_key, private_key FROM push_keys WHERE id = 1`).Scan(&k.Public, &k.Private)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("push keys: %w", err)
	}
	fresh, err := generate()
	if err != nil {
		return k, fmt.Errorf("push keys: %w", err)
	}
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		if _, err := w.execSQL(ctx, `INSERT INTO push_keys (id, public_key, private_key, created_at) VALUES (1, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, fresh.Public, fresh.Private, msOf(db.now())); err != nil {
			return err
		}
		return w.queryRowSQL(ctx, `SELECT public_key, private_key FROM push_keys WHERE id = 1`).Scan(&k.Public, &k.Private)
	})
	if err != nil {
		return inbox.VAPIDKeys{}, fmt.Errorf("push keys: %w", err)
	}
	return k, nil
}

// LatestMessageID is the greatest message id stored, 0 for none.
func (db *DB) LatestMessageID(ctx context.Context) (int64, error) {
	var id int64
	if err := db.reader.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM messages`).Scan(&id); err != nil {
		return 0, fmt.Errorf("latest message id: %w", err)
	}
	return id, nil
}

// inboundSinceQuery walks the messages by id from a mark; whether a
// message is its conversation's first from the customer is looked up in
// the conversation's inbound messages. Its assignee is the one it came
// in with; for a message stored before that was kept, the
// conversation's.
const inboundSinceQuery = `SELECT m.id, m.conversation_id, m.created_at,
		CASE WHEN m.arrival_assignee_id IS NULL THEN c.assignee_id ELSE nullif(m.arrival_assignee_id, 0) END,
		NOT EXISTS (SELECT 1 FROM messages e INDEXED BY messages_inbound
			WHERE e.conversation_id = m.conversation_id AND e.direction = 'inbound' AND e.id < m.id)
	FROM messages m JOIN conversations c ON c.id = m.conversation_id
	WHERE m.id > ? AND m.direction = 'inbound'
	ORDER BY m.id LIMIT ?`

// InboundSince lists at most limit customers' messages stored after the
// message afterID, in id order (the order of their commits), with what
// notifications need of their conversation as each came: who had it then,
// whoever has it now. It walks the messages by id
// from afterID: each call reads only what is new.
func (db *DB) InboundSince(ctx context.Context, afterID int64, limit int) ([]inbox.Arrival, error) {
	rows, err := db.reader.QueryContext(ctx, inboundSinceQuery, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("inbound since %d: %w", afterID, err)
	}
	defer rows.Close()
	var out []inbox.Arrival
	for rows.Next() {
		var a inbox.Arrival
		var assignee sql.NullInt64
		if err := rows.Scan(&a.MessageID, &a.ConversationID, msTime{&a.CreatedAt}, &assignee, &a.First); err != nil {
			return nil, fmt.Errorf("inbound since %d: %w", afterID, err)
		}
		if assignee.Valid {
			a.AssigneeID = &assignee.Int64
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inbound since %d: %w", afterID, err)
	}
	return out, nil
}
