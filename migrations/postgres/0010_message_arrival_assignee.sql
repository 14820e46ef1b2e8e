-- Who had the conversation when a customer's message was stored (0: no
-- one): its notice goes to them, or to the whole team for a first message
-- no one had, however late the notifier reads it and whoever has the
-- conversation by then. NULL for the team's own messages, and for those
-- stored before (the conversation's assignee then stands in).
ALTER TABLE messages ADD COLUMN arrival_assignee_id BIGINT;
