-- A reply answers a customer once it reached their channel (sent,
-- delivered or read), from then, and never once it failed; a status
-- report's placeholder answers nobody (inbox.ResponseAt). So a change to
-- a reply's statuses, or to whether it is a placeholder, changes its
-- conversation's openings as well.
CREATE FUNCTION messages_report_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO openings_dirty (conversation_id, since) VALUES (NEW.conversation_id, NEW.created_at)
	ON CONFLICT (conversation_id) DO UPDATE SET since = LEAST(openings_dirty.since, excluded.since);
	RETURN NULL;
END $$;
CREATE TRIGGER messages_report_status AFTER UPDATE OF status, sent_at, delivered_at, read_at, provisional ON messages
	FOR EACH ROW WHEN (NEW.direction = 'outbound' AND NEW.source IN ('agent', 'api')
		AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.sent_at IS DISTINCT FROM NEW.sent_at
			OR OLD.delivered_at IS DISTINCT FROM NEW.delivered_at OR OLD.read_at IS DISTINCT FROM NEW.read_at
			OR OLD.provisional IS DISTINCT FROM NEW.provisional)
		AND (NEW.provisional = 0 OR OLD.provisional = 0))
	EXECUTE FUNCTION messages_report_status();

-- The openings stored counted replies when they were written, failed or
-- not, and placeholders: every conversation's are derived again, a few
-- hundred at a time in the background once the database is open
-- (store: drainStaleOpenings), so that a large database opens at once
-- and no write waits behind all of them; the reports read the openings
-- stored until then.
CREATE TABLE openings_stale (
	conversation_id BIGINT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE
);
INSERT INTO openings_stale (conversation_id) SELECT id FROM conversations;
