-- Labels, snoozes and saved views.
--
-- A snoozed conversation keeps status 'open' with snoozed_at set; the
-- store reports its status as snoozed and the open lists leave it out.
-- snoozed_until is when it comes back by itself, NULL for "when the
-- customer writes". The snooze timer reads the earliest snoozed_until.
ALTER TABLE conversations ADD COLUMN snoozed_at INTEGER;
ALTER TABLE conversations ADD COLUMN snoozed_until INTEGER;

-- The Snoozed list, newest activity first, and the timer's next due time.
CREATE INDEX conversations_snoozed ON conversations (last_message_at DESC, id DESC) WHERE snoozed_at IS NOT NULL;
CREATE INDEX conversations_snooze_due ON conversations (snoozed_until) WHERE snoozed_until IS NOT NULL;

-- Labels an admin defines; colour is a key of the palette the pages know.
CREATE TABLE labels (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
	colour     TEXT NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE conversation_labels (
	conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	label_id        INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
	PRIMARY KEY (conversation_id, label_id)
) WITHOUT ROWID;

-- A label's conversations, for the list filtered by label.
CREATE INDEX conversation_labels_by_label ON conversation_labels (label_id, conversation_id);

-- Saved list filters: an agent's own (shared = 0) or the team's.
CREATE TABLE saved_views (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	shared     INTEGER NOT NULL DEFAULT 0,
	filter     TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX saved_views_by_user ON saved_views (user_id);
