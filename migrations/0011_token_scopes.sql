-- What an API token may do: 'read' only reads, 'write' may also send and
-- change conversations. Tokens made before scopes existed could do
-- everything, so they keep 'write'.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'write' CHECK (scope IN ('read', 'write'));

-- The admin who created a token on the admin pages; NULL for one made on
-- the command line.
ALTER TABLE api_tokens ADD COLUMN created_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
