-- Search on PostgreSQL: what SQLite's FTS5 indexes find (migrations 0015,
-- 0020 and 0026), from indexes of PostgreSQL's own. Every message with
-- text and every contact has a row in message_search or contact_search
-- holding its searchable text twice:
--
--  * as words (a tsvector, GIN): runs of letters and digits, lower case,
--    accents removed, each at its position, so that a phrase is words in
--    a row and a prefix finds every word it begins. The words are split
--    here before a text search configuration's parser sees them, which
--    would keep "invoice-2291.pdf" or an e-mail address as one word: the
--    same text gives the same words as SQLite's unicode61 tokenizer.
--  * folded (lower case, accents removed; pg_trgm's GIN index), for
--    substrings of three characters or more ("W-7781", "5512") with LIKE.
--
-- Triggers keep both in the transaction that writes the message or
-- contact: PostgreSQL's GIN indexes take a row at a time cheaply (their
-- pending list), so nothing waits in a queue as on SQLite. An update that
-- leaves the searchable text alone (a status, a media URL) writes nothing
-- to them.
--
-- Case and letters follow Unicode through the ICU root collation, not the
-- database's locale, so that every database splits and folds alike.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- search_fold is s in lower case without accents.
CREATE FUNCTION search_fold(s text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN lower(regexp_replace(normalize(s, NFD), '[\u0300-\u036f]', '', 'g') COLLATE "und-x-icu");

-- search_words are the words of s, folded, in order.
CREATE FUNCTION search_words(s text) RETURNS text[]
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN array_remove(regexp_split_to_array(search_fold(s) COLLATE "und-x-icu", '[^[:alnum:]]+'), '');

-- search_folded_vector is the words of folded text (search_fold) at their
-- positions. Between the words only spaces are left, so that the simple
-- configuration's parser takes each as a word as it is: it never sees the
-- hyphens, dots and @ of the compound words it would keep whole.
CREATE FUNCTION search_folded_vector(folded text) RETURNS tsvector
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN to_tsvector('simple'::regconfig, regexp_replace(folded COLLATE "und-x-icu", '[^[:alnum:]]+', ' ', 'g'));

-- search_vector is the words of parts, each part's with its weight (A, B,
-- C, D in order) and a position one past the previous part's last, so
-- that no phrase spans two parts.
CREATE FUNCTION search_vector(VARIADIC parts text[]) RETURNS tsvector
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
	lexemes text[] := '{}';
	pos int := 0;
	w text;
BEGIN
	FOR i IN 1 .. coalesce(array_length(parts, 1), 0) LOOP
		FOREACH w IN ARRAY coalesce(search_words(parts[i]), '{}') LOOP
			pos := pos + 1;
			-- A tsvector keeps positions up to 16383 and words shorter
			-- than 2 KB.
			IF octet_length(w) < 2047 THEN
				lexemes := lexemes || (quote_literal(w) || ':' || least(pos, 16383) || substr('ABCD', least(i, 4), 1));
			END IF;
		END LOOP;
		pos := pos + 1;
	END LOOP;
	RETURN array_to_string(lexemes, ' ')::tsvector;
END $$;

-- search_phrase is the tsquery text of term: its words in a row, the last
-- a prefix when prefix is true, each restricted to the parts weights
-- names ('' for any); NULL when term has no word.
CREATE FUNCTION search_phrase(term text, prefix boolean, weights text) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN (SELECT string_agg(quote_literal(w) || CASE WHEN prefix AND n = cardinality(ws) THEN ':*' || weights
			WHEN weights <> '' THEN ':' || weights ELSE '' END, ' <-> ' ORDER BY n)
		FROM (SELECT search_words(term) AS ws) s, unnest(ws) WITH ORDINALITY AS t(w, n));

-- search_json is content as JSON, or NULL when it is none.
CREATE FUNCTION search_json(content text) RETURNS jsonb
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
	RETURN content::jsonb;
EXCEPTION WHEN others THEN
	RETURN NULL;
END $$;

-- search_message_body is a message's searchable text, as SQLite's view
-- search_message_docs has it: its text and what its content names (a
-- file's name, a place's name and address, a button's title, the names
-- and numbers of the first three shared contact cards).
CREATE FUNCTION search_message_body(text text, content text) RETURNS text
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
	j jsonb;
BEGIN
	IF content IS NULL THEN
		RETURN text;
	END IF;
	j := search_json(content);
	IF j IS NULL OR jsonb_typeof(j) <> 'object' THEN
		RETURN text;
	END IF;
	RETURN concat_ws(' ', text, j->>'filename', j->>'name', j->>'address', j->'interactiveReply'->>'title',
		j#>>'{contacts,0,name}', j#>>'{contacts,0,phones,0,phone}', j#>>'{contacts,0,phones,1,phone}',
		j#>>'{contacts,1,name}', j#>>'{contacts,1,phones,0,phone}', j#>>'{contacts,1,phones,1,phone}',
		j#>>'{contacts,2,name}', j#>>'{contacts,2,phones,0,phone}', j#>>'{contacts,2,phones,1,phone}');
END $$;

-- search_phone is a contact's number as stored and in digits alone, so
-- that "+49 176 1234" and "1761234" find it alike.
CREATE FUNCTION search_phone(phone text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN phone || ' ' || translate(phone, '+ -().', '');

CREATE TABLE message_search (
	id     BIGINT PRIMARY KEY,
	body   TEXT NOT NULL,
	folded TEXT NOT NULL,
	words  TSVECTOR NOT NULL
);
-- A GIN index takes new rows into a pending list that every search reads
-- through and that the insert reaching its limit merges into the index: a
-- small list (256 kB, not 4 MB) keeps searches quick while messages come in.
CREATE INDEX message_search_words ON message_search USING gin (words) WITH (gin_pending_list_limit = 256);
CREATE INDEX message_search_folded ON message_search USING gin (folded gin_trgm_ops) WITH (gin_pending_list_limit = 256);

CREATE TABLE contact_search (
	id           BIGINT PRIMARY KEY,
	name_folded  TEXT NOT NULL,
	phone_folded TEXT NOT NULL,
	notes_folded TEXT NOT NULL,
	-- name A, number B, notes C
	words        TSVECTOR NOT NULL
);
CREATE INDEX contact_search_words ON contact_search USING gin (words) WITH (gin_pending_list_limit = 256);
CREATE INDEX contact_search_name ON contact_search USING gin (name_folded gin_trgm_ops) WITH (gin_pending_list_limit = 256);
CREATE INDEX contact_search_phone ON contact_search USING gin (phone_folded gin_trgm_ops) WITH (gin_pending_list_limit = 256);
CREATE INDEX contact_search_notes ON contact_search USING gin (notes_folded gin_trgm_ops) WITH (gin_pending_list_limit = 256);

-- A message with no text (media awaiting its caption, a reply's
-- placeholder) has nothing to find and no row.
CREATE FUNCTION messages_search() RETURNS trigger
	LANGUAGE plpgsql AS $$
DECLARE
	body text;
	folded text;
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM message_search WHERE id = OLD.id;
		RETURN NULL;
	END IF;
	body := CASE WHEN NEW.content IS NULL THEN NEW.text ELSE search_message_body(NEW.text, NEW.content) END;
	IF TG_OP = 'UPDATE' THEN
		IF OLD.id = NEW.id AND body IS NOT DISTINCT FROM search_message_body(OLD.text, OLD.content) THEN
			RETURN NULL;
		END IF;
		DELETE FROM message_search WHERE id = OLD.id;
	END IF;
	IF body <> '' THEN
		folded := search_fold(body);
		INSERT INTO message_search (id, body, folded, words) VALUES (NEW.id, body, folded, search_folded_vector(folded));
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
	FOR EACH ROW EXECUTE FUNCTION messages_search();
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
	FOR EACH ROW EXECUTE FUNCTION messages_search();
-- Status changes (sent, delivered, read) leave the text alone and cost the
-- indexes nothing.
CREATE TRIGGER messages_search_update AFTER UPDATE OF id, text, content ON messages
	FOR EACH ROW WHEN (OLD.id <> NEW.id OR OLD.text IS DISTINCT FROM NEW.text OR OLD.content IS DISTINCT FROM NEW.content)
	EXECUTE FUNCTION messages_search();

CREATE FUNCTION contacts_search() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		DELETE FROM contact_search WHERE id = OLD.id;
	END IF;
	IF TG_OP <> 'DELETE' THEN
		INSERT INTO contact_search (id, name_folded, phone_folded, notes_folded, words)
		VALUES (NEW.id, search_fold(NEW.name), search_fold(search_phone(NEW.phone)), search_fold(NEW.notes),
			search_vector(NEW.name, search_phone(NEW.phone), NEW.notes));
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts
	FOR EACH ROW EXECUTE FUNCTION contacts_search();
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts
	FOR EACH ROW EXECUTE FUNCTION contacts_search();
-- Every inbound message upserts its contact; only a new name, number or
-- notes touch the indexes.
CREATE TRIGGER contacts_search_update AFTER UPDATE OF id, name, phone, notes ON contacts
	FOR EACH ROW WHEN (OLD.id <> NEW.id OR OLD.name <> NEW.name OR OLD.phone <> NEW.phone OR OLD.notes <> NEW.notes)
	EXECUTE FUNCTION contacts_search();

-- What is stored already.
INSERT INTO message_search (id, body, folded, words)
SELECT id, body, folded, search_folded_vector(folded)
FROM (SELECT id, body, search_fold(body) AS folded
	FROM (SELECT id, search_message_body(text, content) AS body FROM messages) m WHERE body <> '') f;
INSERT INTO contact_search (id, name_folded, phone_folded, notes_folded, words)
SELECT id, search_fold(name), search_fold(search_phone(phone)), search_fold(notes), search_vector(name, search_phone(phone), notes)
FROM contacts;
