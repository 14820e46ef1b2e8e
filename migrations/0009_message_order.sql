-- A message known only from events about it, not from its own event: the
-- first message of a new contact as conversation.new announced it, or an
-- outbound placeholder left by status reports. Its own event (message.inbound,
-- an echo) replaces its content and its time.
ALTER TABLE messages ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET provisional = 1 WHERE type = 'unknown' AND direction = 'outbound';

-- A conversation's unread count and WhatsApp window come from its inbound
-- messages: their number and the latest one's time, read from this index
-- after every change.
CREATE INDEX messages_inbound ON messages (conversation_id, created_at) WHERE direction = 'inbound';

-- The envelope time of the event that set a reaction: of a reaction and its
-- removal at the same reaction time, the later event wins.
ALTER TABLE reactions ADD COLUMN event_at INTEGER NOT NULL DEFAULT 0;
