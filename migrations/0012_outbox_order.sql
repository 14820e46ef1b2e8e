-- The outbox sends a conversation's replies one at a time, in the order
-- they were written: an entry goes only when no earlier entry of its
-- conversation is still queued or sending. The entry carries its
-- conversation so that this check is one lookup in outbox_pending.
ALTER TABLE outbox ADD COLUMN conversation_id INTEGER REFERENCES conversations (id);
UPDATE outbox SET conversation_id = (SELECT m.conversation_id FROM messages m WHERE m.id = outbox.message_id);
CREATE INDEX outbox_pending ON outbox (conversation_id, id) WHERE state IN ('queued', 'sending');
