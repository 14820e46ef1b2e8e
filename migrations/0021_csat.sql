-- Satisfaction surveys (inbox/csat_survey.go). The settings are one
-- document in settings (key csat). Each resolve earns at most one survey:
-- its row is written when the survey goes, or is skipped or cancelled,
-- and holds the customer's answer once it comes.
CREATE TABLE csat_surveys (
	resolve_id        INTEGER PRIMARY KEY, -- conversation_resolves.id
	conversation_id   INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	opened_at         INTEGER,             -- the opening asked about (openings.opened_at)
	agent_id          INTEGER,             -- who resolved it, credited with the answer
	sender_id         TEXT NOT NULL,
	channel           TEXT NOT NULL,
	sent_at           INTEGER NOT NULL,
	message_id        INTEGER,             -- the survey; NULL when it did not go
	skip              TEXT NOT NULL DEFAULT '',
	score             INTEGER,             -- 1-5 once answered
	answered_at       INTEGER,
	answer_message_id INTEGER
);
-- The survey a customer's message may answer; an opening's answer.
CREATE INDEX csat_surveys_conversation ON csat_surveys (conversation_id, sent_at);
-- The answers of a period, for the reports.
CREATE INDEX csat_surveys_answered ON csat_surveys (answered_at, sender_id, channel, agent_id, score) WHERE score IS NOT NULL;
-- The resolves whose survey falls due.
CREATE INDEX conversation_resolves_at ON conversation_resolves (at);
