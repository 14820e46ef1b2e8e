-- The sender whose own webhook secret alone signed a stored event, empty
-- when one of the project's secrets did: such an event may touch only
-- that sender's messages, which is checked again as it is applied (and
-- replayed), after the acknowledgement.
ALTER TABLE webhook_events ADD COLUMN signed_by TEXT NOT NULL DEFAULT '';
