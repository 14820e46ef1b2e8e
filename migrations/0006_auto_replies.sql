-- Auto-replies. The settings are one document (inbox.AutoReplyConfig as
-- JSON): admins edit them together, and ingestion reads them whole.
CREATE TABLE auto_reply_config (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	config     TEXT NOT NULL,
	updated_at INTEGER NOT NULL
);

-- The out-of-office reply goes at most once per closed period per
-- conversation: period_start is the instant the team closed (the period's
-- key), and the primary key refuses a second reply.
CREATE TABLE auto_reply_out_of_office (
	conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	period_start    INTEGER NOT NULL,
	sent_at         INTEGER NOT NULL,
	PRIMARY KEY (conversation_id, period_start)
) WITHOUT ROWID;

-- Auto-replies a rule wanted to send and could not (window closed and no
-- template, hourly limit reached...), for the admins.
CREATE TABLE auto_reply_log (
	id              INTEGER PRIMARY KEY,
	at              INTEGER NOT NULL,
	conversation_id INTEGER REFERENCES conversations (id) ON DELETE CASCADE,
	rule            TEXT NOT NULL DEFAULT '',
	reason          TEXT NOT NULL
);

CREATE INDEX auto_reply_log_at ON auto_reply_log (at DESC, id DESC);

-- The rule that sent an auto-reply, for its bubble: "Auto-reply: <rule>".
ALTER TABLE messages ADD COLUMN auto_reply_rule TEXT NOT NULL DEFAULT '';
