-- Reports read rollups kept up to date in the write transactions, never a
-- scan of all messages.

-- When each conversation was resolved, and its assignee then: the resolves
-- of a conversation's timeline (inbox.Openings).
CREATE TABLE conversation_resolves (
	id              INTEGER PRIMARY KEY,
	conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	at              INTEGER NOT NULL,
	user_id         INTEGER
);
CREATE INDEX conversation_resolves_conversation ON conversation_resolves (conversation_id, at);

-- One row per customer's request (inbox.Opening): opened by a customer's
-- message, answered by the first reply of an agent or the API, resolved by
-- the first resolve. Derived from the conversation's messages and resolves
-- after every change to them (store/reports.go).
CREATE TABLE openings (
	conversation_id    INTEGER NOT NULL,
	opened_at          INTEGER NOT NULL,
	first_response_at  INTEGER,
	first_responder_id INTEGER,
	resolved_at        INTEGER,
	resolver_id        INTEGER,
	sender_id          TEXT NOT NULL,
	channel            TEXT NOT NULL,
	PRIMARY KEY (conversation_id, opened_at)
) WITHOUT ROWID;
-- The summary of a period reads this index alone.
CREATE INDEX openings_opened ON openings (opened_at, sender_id, channel, first_response_at, resolved_at,
	first_responder_id, resolver_id);
-- Each agent's resolves in a period.
CREATE INDEX openings_resolver ON openings (resolver_id, resolved_at, sender_id, channel) WHERE resolver_id IS NOT NULL;

-- Conversations whose openings must be derived again from a time on,
-- before the transaction that changed them commits.
CREATE TABLE openings_dirty (
	conversation_id INTEGER PRIMARY KEY,
	since           INTEGER NOT NULL
) WITHOUT ROWID;

-- Messages counted per quarter of an hour (so that any time zone's hours
-- and days add up from them), sender and channel: the customer's and
-- ours. Agents' replies are counted apart, per author.
CREATE TABLE message_counts (
	bucket    INTEGER NOT NULL,
	sender_id TEXT NOT NULL,
	channel   TEXT NOT NULL,
	inbound   INTEGER NOT NULL,
	outbound  INTEGER NOT NULL,
	PRIMARY KEY (bucket, sender_id, channel)
) WITHOUT ROWID;

CREATE TABLE reply_counts (
	bucket    INTEGER NOT NULL,
	sender_id TEXT NOT NULL,
	channel   TEXT NOT NULL,
	author_id INTEGER NOT NULL,
	n         INTEGER NOT NULL,
	PRIMARY KEY (bucket, sender_id, channel, author_id)
) WITHOUT ROWID;
-- Each agent's replies in a period.
CREATE INDEX reply_counts_author ON reply_counts (author_id, bucket, sender_id, channel, n);

CREATE TRIGGER messages_report_insert AFTER INSERT ON messages BEGIN
	INSERT INTO message_counts (bucket, sender_id, channel, inbound, outbound)
	SELECT NEW.created_at / 900000, c.sender_id, c.channel, NEW.direction = 'inbound', NEW.direction = 'outbound'
	FROM conversations c WHERE c.id = NEW.conversation_id
	ON CONFLICT (bucket, sender_id, channel) DO UPDATE SET inbound = inbound + excluded.inbound, outbound = outbound + excluded.outbound;
	INSERT INTO reply_counts (bucket, sender_id, channel, author_id, n)
	SELECT NEW.created_at / 900000, c.sender_id, c.channel, NEW.author_id, 1
	FROM conversations c WHERE c.id = NEW.conversation_id
		AND NEW.direction = 'outbound' AND NEW.source IN ('agent', 'api') AND NEW.author_id IS NOT NULL
	ON CONFLICT (bucket, sender_id, channel, author_id) DO UPDATE SET n = n + 1;
	INSERT INTO openings_dirty (conversation_id, since)
	SELECT NEW.conversation_id, NEW.created_at WHERE NEW.direction = 'inbound' OR (NEW.direction = 'outbound' AND NEW.source IN ('agent', 'api'))
	ON CONFLICT (conversation_id) DO UPDATE SET since = min(since, excluded.since);
END;

CREATE TRIGGER messages_report_delete AFTER DELETE ON messages BEGIN
	UPDATE message_counts SET inbound = inbound - (OLD.direction = 'inbound'), outbound = outbound - (OLD.direction = 'outbound')
	WHERE bucket = OLD.created_at / 900000
		AND (sender_id, channel) = (SELECT c.sender_id, c.channel FROM conversations c WHERE c.id = OLD.conversation_id);
	UPDATE reply_counts SET n = n - 1
	WHERE OLD.direction = 'outbound' AND OLD.source IN ('agent', 'api') AND OLD.author_id IS NOT NULL
		AND bucket = OLD.created_at / 900000 AND author_id = OLD.author_id
		AND (sender_id, channel) = (SELECT c.sender_id, c.channel FROM conversations c WHERE c.id = OLD.conversation_id);
	INSERT INTO openings_dirty (conversation_id, since) VALUES (OLD.conversation_id, OLD.created_at)
	ON CONFLICT (conversation_id) DO UPDATE SET since = min(since, excluded.since);
END;

CREATE TRIGGER messages_report_update AFTER UPDATE OF created_at, direction, source, author_id, conversation_id ON messages
WHEN OLD.created_at IS NOT NEW.created_at OR OLD.direction IS NOT NEW.direction OR OLD.source IS NOT NEW.source
	OR OLD.author_id IS NOT NEW.author_id OR OLD.conversation_id IS NOT NEW.conversation_id
BEGIN
	UPDATE message_counts SET inbound = inbound - (OLD.direction = 'inbound'), outbound = outbound - (OLD.direction = 'outbound')
	WHERE bucket = OLD.created_at / 900000
		AND (sender_id, channel) = (SELECT c.sender_id, c.channel FROM conversations c WHERE c.id = OLD.conversation_id);
	UPDATE reply_counts SET n = n - 1
	WHERE OLD.direction = 'outbound' AND OLD.source IN ('agent', 'api') AND OLD.author_id IS NOT NULL
		AND bucket = OLD.created_at / 900000 AND author_id = OLD.author_id
		AND (sender_id, channel) = (SELECT c.sender_id, c.channel FROM conversations c WHERE c.id = OLD.conversation_id);
	INSERT INTO message_counts (bucket, sender_id, channel, inbound, outbound)
	SELECT NEW.created_at / 900000, c.sender_id, c.channel, NEW.direction = 'inbound', NEW.direction = 'outbound'
	FROM conversations c WHERE c.id = NEW.conversation_id
	ON CONFLICT (bucket, sender_id, channel) DO UPDATE SET inbound = inbound + excluded.inbound, outbound = outbound + excluded.outbound;
	INSERT INTO reply_counts (bucket, sender_id, channel, author_id, n)
	SELECT NEW.created_at / 900000, c.sender_id, c.channel, NEW.author_id, 1
	FROM conversations c WHERE c.id = NEW.conversation_id
		AND NEW.direction = 'outbound' AND NEW.source IN ('agent', 'api') AND NEW.author_id IS NOT NULL
	ON CONFLICT (bucket, sender_id, channel, author_id) DO UPDATE SET n = n + 1;
	INSERT INTO openings_dirty (conversation_id, since) VALUES (OLD.conversation_id, min(OLD.created_at, NEW.created_at))
	ON CONFLICT (conversation_id) DO UPDATE SET since = min(since, excluded.since);
	INSERT INTO openings_dirty (conversation_id, since) VALUES (NEW.conversation_id, min(OLD.created_at, NEW.created_at))
	ON CONFLICT (conversation_id) DO UPDATE SET since = min(since, excluded.since);
END;

-- A resolve is remembered with its time and the assignee then, who is
-- credited with it.
CREATE TRIGGER conversations_report_resolved AFTER UPDATE OF status ON conversations
WHEN NEW.status = 'resolved' AND OLD.status IS NOT 'resolved'
BEGIN
	INSERT INTO conversation_resolves (conversation_id, at, user_id) VALUES (NEW.id, NEW.updated_at, NEW.assignee_id);
	INSERT INTO openings_dirty (conversation_id, since) VALUES (NEW.id, NEW.updated_at)
	ON CONFLICT (conversation_id) DO UPDATE SET since = min(since, excluded.since);
END;

CREATE TRIGGER conversations_report_delete AFTER DELETE ON conversations BEGIN
	DELETE FROM openings WHERE conversation_id = OLD.id;
	DELETE FROM openings_dirty WHERE conversation_id = OLD.id;
END;

-- An existing database: what is resolved was resolved when it last
-- changed; counts come from the messages; every conversation's openings
-- are derived when the database opens.
INSERT INTO conversation_resolves (conversation_id, at, user_id)
SELECT id, updated_at, assignee_id FROM conversations WHERE status = 'resolved';

INSERT INTO message_counts (bucket, sender_id, channel, inbound, outbound)
SELECT m.created_at / 900000, c.sender_id, c.channel, sum(m.direction = 'inbound'), sum(m.direction = 'outbound')
FROM messages m JOIN conversations c ON c.id = m.conversation_id
GROUP BY 1, 2, 3;

INSERT INTO reply_counts (bucket, sender_id, channel, author_id, n)
SELECT m.created_at / 900000, c.sender_id, c.channel, m.author_id, count(*)
FROM messages m JOIN conversations c ON c.id = m.conversation_id
WHERE m.direction = 'outbound' AND m.source IN ('agent', 'api') AND m.author_id IS NOT NULL
GROUP BY 1, 2, 3, 4;

INSERT INTO openings_dirty (conversation_id, since)
SELECT id, -9223372036854775808 FROM conversations;
