-- While an entry is being sent, next_attempt_at is when its lease ends.
-- attempt_due_at keeps when the attempt under way was due: what a reply
-- waiting for its retry said it would be tried again at, which a page
-- loaded during the attempt shows as the page open before it does.
ALTER TABLE outbox ADD COLUMN attempt_due_at INTEGER NOT NULL DEFAULT 0;
