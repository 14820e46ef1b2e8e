-- Browser sessions are kept under the SHA-256 of their token ("sha256:"
-- and 64 hex digits), never the token itself: the cookie value a browser
-- holds is not in the database, its WAL or its backups. Sessions stored
-- before cannot be converted, so everyone signs in again once.
DELETE FROM sessions;
ALTER TABLE sessions RENAME COLUMN token TO token_hash;
