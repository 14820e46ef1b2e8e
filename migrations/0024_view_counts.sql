-- The views' counts: open conversations by snooze and assignee, one walk
-- of this index (it covers the sender and channel filters too). A message
-- changes none of its columns, so it costs nothing to keep up on ingest.
CREATE INDEX conversations_counts ON conversations (status, assignee_id, snoozed_at, channel, sender_id);
