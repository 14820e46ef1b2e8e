-- Notes and activity lines: messages with direction 'internal' that live
-- in the thread beside the customer's messages and ours, never sent
-- (type 'note': an agent's private note; type 'activity': "Maya assigned
-- this to Ben", "Resolved by Ben"). The direction's CHECK constraint
-- widens to allow them. Widening a CHECK changes nothing stored, so the
-- table's definition is edited in place (SQLite's documented procedure
-- for such changes) rather than copied: every index and trigger on
-- messages stays as it is, and so do the search and report triggers,
-- which index a note's text and count neither direction for it.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql, 'CHECK (direction IN (''inbound'', ''outbound''))',
	'CHECK (direction IN (''inbound'', ''outbound'', ''internal''))')
WHERE type = 'table' AND name = 'messages';
-- RESET reloads the schema on this connection too and turns editing off.
PRAGMA writable_schema = RESET;

-- Who was @mentioned in which note; seen_at is set when the agent opens
-- the conversation (NULL: unseen).
CREATE TABLE mentions (
	message_id      INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	created_at      INTEGER NOT NULL,
	seen_at         INTEGER,
	PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;
-- A user's mentions, unseen first, newest first; and the badge's count.
CREATE INDEX mentions_user ON mentions (user_id, seen_at, created_at DESC);
CREATE INDEX mentions_conversation ON mentions (conversation_id, user_id);
