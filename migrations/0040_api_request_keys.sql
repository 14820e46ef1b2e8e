-- The Idempotency-Key a script sent with a reply over the API, per API
-- token: the same key with the same request within a day gives back the
-- reply it made instead of sending another; with another request it is
-- refused. fingerprint is what was asked (the conversation and the
-- body), hashed. Keys older than a day are forgotten.
CREATE TABLE api_request_keys (
	token_id    INTEGER NOT NULL,
	request_key TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (token_id, request_key)
) WITHOUT ROWID;
CREATE INDEX api_request_keys_created ON api_request_keys (created_at);
CREATE INDEX api_request_keys_message ON api_request_keys (message_id);
