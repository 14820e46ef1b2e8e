-- Saved replies: snippets the team shares, typed as /shortcut in the
-- composer. The UNIQUE index on shortcut also serves the list, which is by
-- shortcut.
CREATE TABLE saved_replies (
	id         INTEGER PRIMARY KEY,
	shortcut   TEXT NOT NULL UNIQUE,
	title      TEXT NOT NULL DEFAULT '',
	body       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
