-- The Zavu ids a reply had before an agent's Retry sent it again under a
-- new one. A status report for an earlier attempt that comes after the
-- Retry (Zavu's webhooks come late and twice) finds its message here,
-- rather than being taken for a message sent outside Switchboard.
CREATE TABLE retired_zavu_ids (
	zavu_id    TEXT PRIMARY KEY,
	message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	retired_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX retired_zavu_ids_message ON retired_zavu_ids (message_id);
