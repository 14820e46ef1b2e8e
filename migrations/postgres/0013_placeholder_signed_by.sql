-- The sender whose own webhook secret alone signed a report an outbound
-- placeholder holds, or a reaction's latest change (see webhook_events.
-- signed_by); empty when the project's secrets signed them, and for those
-- stored before. A message of another sender's that takes the Zavu id
-- takes neither: the placeholder goes, the reaction does not show on it.
ALTER TABLE messages ADD COLUMN signed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE reactions ADD COLUMN signed_by TEXT NOT NULL DEFAULT '';
