-- Switchboard's first schema. Times are INTEGER unix milliseconds (UTC),
-- NULL when unset. Text columns that always have a value are NOT NULL with
-- '' for "none", so the Go side needs no NullString.

-- Our numbers on Zavu.
CREATE TABLE senders (
	id         TEXT PRIMARY KEY,
	phone      TEXT NOT NULL DEFAULT '',
	name       TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

-- Customers, by the address Zavu gives (E.164 phone or a WhatsApp id).
-- name_at is the time of the event the name came from, so an older event
-- arriving late cannot overwrite a newer name.
CREATE TABLE contacts (
	id         INTEGER PRIMARY KEY,
	phone      TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL DEFAULT '',
	name_at    INTEGER,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
	name          TEXT NOT NULL DEFAULT '',
	role          TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
	password_hash TEXT NOT NULL DEFAULT '',
	active        INTEGER NOT NULL DEFAULT 1,
	created_at    INTEGER NOT NULL
);

-- One contact on one sender and one channel.
CREATE TABLE conversations (
	id                   INTEGER PRIMARY KEY,
	sender_id            TEXT NOT NULL,
	channel              TEXT NOT NULL,
	contact_id           INTEGER NOT NULL REFERENCES contacts (id),
	status               TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
	assignee_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
	zavu_conversation_id TEXT NOT NULL DEFAULT '',
	inbound_count        INTEGER NOT NULL DEFAULT 0,
	last_message_id      INTEGER,
	last_message_at      INTEGER NOT NULL,
	last_message_preview TEXT NOT NULL DEFAULT '',
	last_inbound_at      INTEGER,
	created_at           INTEGER NOT NULL,
	updated_at           INTEGER NOT NULL,
	UNIQUE (sender_id, channel, contact_id)
);

-- The lists the inbox shows, newest activity first: by status, and by
-- assignee (NULL = unassigned) and status. A list of every status merges
-- the walks of each status (the store knows them: open, resolved). Every
-- inbound message moves last_message_at and so rewrites an entry in each
-- of these indexes, which costs a page write per index at commit: there
-- are no more of them than the lists need. A business has a handful of
-- senders and two channels; those filters ride on these indexes.
CREATE INDEX conversations_status ON conversations (status, last_message_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations (assignee_id, status, last_message_at DESC, id DESC);

-- Messages in both directions. zavu_id is NULL until Zavu gives one.
-- content is the JSON of inbox.Content, NULL when empty.
CREATE TABLE messages (
	id              INTEGER PRIMARY KEY,
	zavu_id         TEXT UNIQUE,
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
	channel         TEXT NOT NULL,
	type            TEXT NOT NULL,
	text            TEXT NOT NULL DEFAULT '',
	content         TEXT,
	status          TEXT NOT NULL,
	queued_at       INTEGER,
	sending_at      INTEGER,
	sent_at         INTEGER,
	delivered_at    INTEGER,
	read_at         INTEGER,
	failed_at       INTEGER,
	error_code      TEXT NOT NULL DEFAULT '',
	error_message   TEXT NOT NULL DEFAULT '',
	source          TEXT NOT NULL DEFAULT '',
	author_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);

-- A thread, paged by message time.
CREATE INDEX messages_thread ON messages (conversation_id, created_at, id);

-- One person's emoji on one message, keyed by the message's Zavu id with no
-- foreign key: a reaction may arrive before its message and attaches by
-- join when the message comes. An empty emoji is a removal, kept so that an
-- older "added" arriving late cannot revive it.
CREATE TABLE reactions (
	message_zavu_id TEXT NOT NULL,
	from_addr       TEXT NOT NULL,
	emoji           TEXT NOT NULL,
	at              INTEGER NOT NULL,
	PRIMARY KEY (message_zavu_id, from_addr)
) WITHOUT ROWID;

-- WhatsApp templates and their approval state.
CREATE TABLE templates (
	id               TEXT PRIMARY KEY,
	name             TEXT NOT NULL DEFAULT '',
	language         TEXT NOT NULL DEFAULT '',
	status           TEXT NOT NULL DEFAULT '',
	rejection_reason TEXT NOT NULL DEFAULT '',
	updated_at       INTEGER NOT NULL
);

-- The admin activity feed: broadcasts and invitations changing status. An
-- event adds at most one entry, so replaying it adds nothing.
CREATE TABLE activities (
	id              INTEGER PRIMARY KEY,
	event_id        TEXT,
	kind            TEXT NOT NULL,
	subject_id      TEXT NOT NULL DEFAULT '',
	name            TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL DEFAULT '',
	previous_status TEXT NOT NULL DEFAULT '',
	detail          TEXT NOT NULL DEFAULT '',
	at              INTEGER NOT NULL
);

CREATE INDEX activities_at ON activities (at DESC);
CREATE UNIQUE INDEX activities_event ON activities (event_id) WHERE event_id IS NOT NULL;

-- Every webhook event as received, keyed by Zavu's event id: the log that
-- makes ingestion idempotent and lets a failed event be replayed.
CREATE TABLE webhook_events (
	id          TEXT PRIMARY KEY,
	type        TEXT NOT NULL,
	timestamp   INTEGER,
	received_at INTEGER NOT NULL,
	sender_id   TEXT NOT NULL DEFAULT '',
	state       TEXT NOT NULL CHECK (state IN ('applied', 'failed')),
	error       TEXT NOT NULL DEFAULT '',
	attempts    INTEGER NOT NULL DEFAULT 1,
	raw         BLOB
);

-- The log, newest first; and its failed events, which are few, so that
-- their index costs nothing when an event applies.
CREATE INDEX webhook_events_received ON webhook_events (received_at DESC, id DESC);
CREATE INDEX webhook_events_failed ON webhook_events (received_at DESC, id DESC) WHERE state = 'failed';

-- API tokens for scripts; only a hash of the secret is kept.
CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL,
	hash         TEXT NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
);

-- Where each user last read each conversation: the conversation's
-- inbound_count at that moment. Unread = inbound_count - the highest mark.
CREATE TABLE conversation_reads (
	conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	read_count      INTEGER NOT NULL,
	read_at         INTEGER NOT NULL,
	PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;

CREATE INDEX conversation_reads_user ON conversation_reads (user_id);

-- Browser sessions (alexedwards/scs).
CREATE TABLE sessions (
	token  TEXT PRIMARY KEY,
	data   BLOB NOT NULL,
	expiry INTEGER NOT NULL
);

CREATE INDEX sessions_expiry ON sessions (expiry);
