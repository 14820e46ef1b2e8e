-- The secret a sender's webhook secret replaced, still accepted until
-- previous_until (ms): deliveries Zavu signed before the switch, and its
-- retries of them, are not refused while both ends change over. Empty
-- when there is none.
ALTER TABLE sender_secrets ADD COLUMN previous_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE sender_secrets ADD COLUMN previous_hint TEXT NOT NULL DEFAULT '';
ALTER TABLE sender_secrets ADD COLUMN previous_until INTEGER NOT NULL DEFAULT 0;
