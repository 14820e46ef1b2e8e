-- Replies on their way to Zavu. A reply's message and its entry are
-- written in one transaction; the outbox worker claims due entries, sends
-- them with their idempotency key (the same on every retry, so Zavu sends
-- a reply once however often it is retried), and records the answer. A
-- message has one entry per time an agent sent it (a retry after a
-- permanent failure gets a new entry and a new key).
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	message_id      INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	idempotency_key TEXT NOT NULL UNIQUE,
	state           TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	-- When the next attempt is due; while sending, when the attempt's
	-- lease ends (a process that died mid-send leaves it to be resent).
	next_attempt_at INTEGER NOT NULL,
	last_error      TEXT NOT NULL DEFAULT '',
	request         TEXT NOT NULL, -- the inbox.OutgoingMessage, JSON
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state IN ('queued', 'sending');
CREATE INDEX outbox_message ON outbox (message_id);
