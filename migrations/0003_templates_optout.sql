-- A template's text, with {{1}}, {{2}}... where its variables go, synced
-- from Zavu so agents see what they send.
ALTER TABLE templates ADD COLUMN body TEXT NOT NULL DEFAULT '';

-- A customer who texted STOP (or whose carrier answered 21610) until they
-- text START; opt_changed_at is the time of the message that decided it,
-- so the latest wins whatever order webhooks arrive in.
ALTER TABLE conversations ADD COLUMN opted_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN opt_changed_at INTEGER;
