-- The Switchboard version that failed to apply a webhook event: the
-- webhook log tells the events an older version failed, which this one
-- may apply on a replay. Empty for events that failed before versions
-- were recorded.
ALTER TABLE webhook_events ADD COLUMN failed_version TEXT NOT NULL DEFAULT '';
