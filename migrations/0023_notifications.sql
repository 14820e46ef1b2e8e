-- What each agent wants to be told of, and how. No row: the defaults
-- (every event, desktop and push on, sound off).
CREATE TABLE notification_settings (
	user_id          INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	new_conversation INTEGER NOT NULL DEFAULT 1,
	message          INTEGER NOT NULL DEFAULT 1,
	assigned         INTEGER NOT NULL DEFAULT 1,
	mentioned        INTEGER NOT NULL DEFAULT 1,
	sound            INTEGER NOT NULL DEFAULT 0,
	desktop          INTEGER NOT NULL DEFAULT 1,
	push             INTEGER NOT NULL DEFAULT 1,
	updated_at       INTEGER NOT NULL
);

-- Browsers that take Web Push for an agent. One endpoint is one browser.
-- session_hash is the key (sessions.token_hash) of the browser session
-- that subscribed: once it ends (signed out, expired, reset), the browser
-- is told nothing more.
CREATE TABLE push_subscriptions (
	id           INTEGER PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	endpoint     TEXT NOT NULL UNIQUE,
	p256dh       TEXT NOT NULL,
	auth         TEXT NOT NULL,
	session_hash TEXT NOT NULL,
	created_at   INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id, id);

-- The server's VAPID key pair, made at first start: push services know
-- the server by it, and every subscription is bound to its public key.
CREATE TABLE push_keys (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	public_key  TEXT NOT NULL,
	private_key TEXT NOT NULL,
	created_at  INTEGER NOT NULL
);
