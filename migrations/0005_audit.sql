-- What admins changed: who, what, when. Kept for good.
CREATE TABLE audit_log (
	id      INTEGER PRIMARY KEY,
	at      INTEGER NOT NULL,
	user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
	action  TEXT NOT NULL,
	detail  TEXT NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
