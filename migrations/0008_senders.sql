-- Senders as Zavu lists them: the default flag and the webhook Zavu has
-- for each. synced_at is NULL for a sender known only from webhooks (or
-- one Zavu no longer listed at the last sync). webhook_events is the
-- comma-separated list of event types Zavu sends.
ALTER TABLE senders ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0;
ALTER TABLE senders ADD COLUMN webhook_url TEXT NOT NULL DEFAULT '';
ALTER TABLE senders ADD COLUMN webhook_events TEXT NOT NULL DEFAULT '';
ALTER TABLE senders ADD COLUMN webhook_active INTEGER NOT NULL DEFAULT 0;
ALTER TABLE senders ADD COLUMN synced_at INTEGER;

-- Webhook secrets admins entered per sender, besides ZAVU_WEBHOOK_SECRET.
-- The secret is read only to check webhook signatures; pages see the hint
-- (its last characters).
CREATE TABLE sender_secrets (
	sender_id TEXT PRIMARY KEY REFERENCES senders (id) ON DELETE CASCADE,
	secret    TEXT NOT NULL,
	hint      TEXT NOT NULL,
	set_at    INTEGER NOT NULL
) WITHOUT ROWID;

-- A template's category (UTILITY, MARKETING, AUTHENTICATION) when Zavu says.
ALTER TABLE templates ADD COLUMN category TEXT NOT NULL DEFAULT '';
