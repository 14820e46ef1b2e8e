-- A webhook event is stored first, acknowledged, and applied to the
-- conversation model right after, in a later transaction of the writer:
-- pending marks the stored events not applied yet. After a crash they are
-- applied at the next start. The partial index holds only those few rows,
-- in the order they arrived (rowid).
ALTER TABLE webhook_events ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX webhook_events_pending ON webhook_events (pending) WHERE pending = 1;
