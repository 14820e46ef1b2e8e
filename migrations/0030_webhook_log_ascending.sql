-- The webhook log's index in the order events arrive. Descending, each new
-- event went in at the left edge of the index, where SQLite splits a full
-- page by spreading it over its neighbours: most commits of a burst
-- rewrote three leaves and their parent. Ascending, new events go in at
-- the right edge, a page at a time; the log reads it backwards, newest
-- first, as it read the old one forwards.
DROP INDEX webhook_events_received;
CREATE INDEX webhook_events_received ON webhook_events (received_at, id);
