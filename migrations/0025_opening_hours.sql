-- The openings of each hour (UTC), sender and channel, packed into one
-- row: a period's summary reads a few rows per hour instead of one per
-- opening. Rebuilt from openings, before the write transaction that changed
-- them commits, for the hours whose openings changed (store/reports_hours.go).
CREATE TABLE opening_hours (
	hour      INTEGER NOT NULL, -- opened_at / 3600000
	sender_id TEXT NOT NULL,
	channel   TEXT NOT NULL,
	n         INTEGER NOT NULL,
	data      BLOB NOT NULL,
	PRIMARY KEY (hour, sender_id, channel)
) WITHOUT ROWID;

-- Hours whose openings changed in the transaction.
CREATE TABLE opening_hours_dirty (
	hour      INTEGER NOT NULL,
	sender_id TEXT NOT NULL,
	channel   TEXT NOT NULL,
	PRIMARY KEY (hour, sender_id, channel)
) WITHOUT ROWID;

CREATE TRIGGER openings_hours_insert AFTER INSERT ON openings BEGIN
	INSERT OR IGNORE INTO opening_hours_dirty (hour, sender_id, channel) VALUES (NEW.opened_at / 3600000, NEW.sender_id, NEW.channel);
END;

CREATE TRIGGER openings_hours_delete AFTER DELETE ON openings BEGIN
	INSERT OR IGNORE INTO opening_hours_dirty (hour, sender_id, channel) VALUES (OLD.opened_at / 3600000, OLD.sender_id, OLD.channel);
END;

CREATE TRIGGER openings_hours_update AFTER UPDATE ON openings BEGIN
	INSERT OR IGNORE INTO opening_hours_dirty (hour, sender_id, channel) VALUES (OLD.opened_at / 3600000, OLD.sender_id, OLD.channel);
	INSERT OR IGNORE INTO opening_hours_dirty (hour, sender_id, channel) VALUES (NEW.opened_at / 3600000, NEW.sender_id, NEW.channel);
END;

-- An existing database's hours are packed by the migration's step in Go,
-- which reports its progress (store/migrate.go).

-- Each agent's replies and resolves per day (UTC, as bucket / 96 and
-- resolved_at / 86400000), sender and channel: a period's whole days are
-- read from here, its first and last part day from reply_counts and
-- openings.
CREATE TABLE agent_days (
	day       INTEGER NOT NULL,
	agent_id  INTEGER NOT NULL,
	sender_id TEXT NOT NULL,
	channel   TEXT NOT NULL,
	replies   INTEGER NOT NULL,
	resolves  INTEGER NOT NULL,
	PRIMARY KEY (day, agent_id, sender_id, channel)
) WITHOUT ROWID;

CREATE TRIGGER reply_counts_agent_days_insert AFTER INSERT ON reply_counts BEGIN
	INSERT INTO agent_days (day, agent_id, sender_id, channel, replies, resolves)
	VALUES (NEW.bucket / 96, NEW.author_id, NEW.sender_id, NEW.channel, NEW.n, 0)
	ON CONFLICT (day, agent_id, sender_id, channel) DO UPDATE SET replies = replies + excluded.replies;
END;

CREATE TRIGGER reply_counts_agent_days_update AFTER UPDATE OF n ON reply_counts BEGIN
	INSERT INTO agent_days (day, agent_id, sender_id, channel, replies, resolves)
	VALUES (NEW.bucket / 96, NEW.author_id, NEW.sender_id, NEW.channel, NEW.n - OLD.n, 0)
	ON CONFLICT (day, agent_id, sender_id, channel) DO UPDATE SET replies = replies + excluded.replies;
END;

CREATE TRIGGER reply_counts_agent_days_delete AFTER DELETE ON reply_counts BEGIN
	UPDATE agent_days SET replies = replies - OLD.n
	WHERE day = OLD.bucket / 96 AND agent_id = OLD.author_id AND sender_id = OLD.sender_id AND channel = OLD.channel;
END;

CREATE TRIGGER openings_agent_days_insert AFTER INSERT ON openings
WHEN NEW.resolved_at IS NOT NULL AND NEW.resolver_id IS NOT NULL BEGIN
	INSERT INTO agent_days (day, agent_id, sender_id, channel, replies, resolves)
	VALUES (NEW.resolved_at / 86400000, NEW.resolver_id, NEW.sender_id, NEW.channel, 0, 1)
	ON CONFLICT (day, agent_id, sender_id, channel) DO UPDATE SET resolves = resolves + 1;
END;

CREATE TRIGGER openings_agent_days_delete AFTER DELETE ON openings
WHEN OLD.resolved_at IS NOT NULL AND OLD.resolver_id IS NOT NULL BEGIN
	UPDATE agent_days SET resolves = resolves - 1
	WHERE day = OLD.resolved_at / 86400000 AND agent_id = OLD.resolver_id AND sender_id = OLD.sender_id AND channel = OLD.channel;
END;

CREATE TRIGGER openings_agent_days_update AFTER UPDATE ON openings BEGIN
	UPDATE agent_days SET resolves = resolves - 1
	WHERE OLD.resolved_at IS NOT NULL AND OLD.resolver_id IS NOT NULL
		AND day = OLD.resolved_at / 86400000 AND agent_id = OLD.resolver_id AND sender_id = OLD.sender_id AND channel = OLD.channel;
	INSERT INTO agent_days (day, agent_id, sender_id, channel, replies, resolves)
	SELECT NEW.resolved_at / 86400000, NEW.resolver_id, NEW.sender_id, NEW.channel, 0, 1
	WHERE NEW.resolved_at IS NOT NULL AND NEW.resolver_id IS NOT NULL
	ON CONFLICT (day, agent_id, sender_id, channel) DO UPDATE SET resolves = resolves + 1;
END;

INSERT INTO agent_days (day, agent_id, sender_id, channel, replies, resolves)
SELECT day, agent_id, sender_id, channel, sum(replies), sum(resolves) FROM (
	SELECT bucket / 96 AS day, author_id AS agent_id, sender_id, channel, n AS replies, 0 AS resolves FROM reply_counts
	UNION ALL
	SELECT resolved_at / 86400000, resolver_id, sender_id, channel, 0, 1 FROM openings
	WHERE resolved_at IS NOT NULL AND resolver_id IS NOT NULL)
GROUP BY 1, 2, 3, 4;
