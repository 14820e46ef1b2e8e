-- Search: every message and contact in two full-text indexes each. The
-- word index (unicode61, accents removed) finds words and their prefixes
-- and ranks them; the trigram index finds any substring of three
-- characters or more ("W-7781", "5512"). A message's searchable text is
-- its text (a caption for media) and what its content names: a file's
-- name, a place's name and address, a button's title, the names and
-- numbers on shared contact cards (the first three cards, two numbers
-- each: a trigger cannot walk a JSON array). A contact's is its name, and
-- its number as stored and in digits alone, so that "+49 176 1234" and
-- "1761234" find it alike.
--
-- The indexes keep no copy of the text: they read it from the views below
-- (FTS5 external content). Triggers keep them in step with every write to
-- messages and contacts: each queues the text to add, or the old text to
-- remove, in search_queue, and the writer applies the queue to the
-- indexes at the end of each write transaction, before its commit. So a
-- message is found the moment it is stored, and the indexes take one
-- write a transaction, not one for each event in it (FTS5 writes what it
-- holds at every savepoint, and the writer has one for each event). A
-- trigger removes a row's old text with the same expression the view
-- computes, so the two must stay alike.

-- target is 'm' (a message: a is its text) or 'c' (a contact: a is its
-- name, b its number); op is NULL to add, 'delete' to remove; doc is the
-- row's id.
CREATE TABLE search_queue (
	seq    INTEGER PRIMARY KEY,
	target TEXT NOT NULL,
	op     TEXT,
	doc    INTEGER NOT NULL,
	a      TEXT,
	b      TEXT
);

CREATE VIEW search_message_docs (id, body) AS
	SELECT m.id, CASE WHEN m.content IS NULL OR NOT json_valid(m.content) THEN m.text
		ELSE concat_ws(' ', m.text, json_extract(m.content, '$.filename'), json_extract(m.content, '$.name'),
			json_extract(m.content, '$.address'), json_extract(m.content, '$.interactiveReply.title'),
			json_extract(m.content, '$.contacts[0].name'),
			json_extract(m.content, '$.contacts[0].phones[0].phone'),
			json_extract(m.content, '$.contacts[0].phones[1].phone'),
			json_extract(m.content, '$.contacts[1].name'),
			json_extract(m.content, '$.contacts[1].phones[0].phone'),
			json_extract(m.content, '$.contacts[1].phones[1].phone'),
			json_extract(m.content, '$.contacts[2].name'),
			json_extract(m.content, '$.contacts[2].phones[0].phone'),
			json_extract(m.content, '$.contacts[2].phones[1].phone')) END FROM messages m;

CREATE VIRTUAL TABLE messages_fts USING fts5(body, content = 'search_message_docs', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE messages_tri USING fts5(body, content = 'search_message_docs', content_rowid = 'id',
	tokenize = 'trigram remove_diacritics 1');

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
	INSERT INTO search_queue (target, op, doc, a) VALUES ('m', NULL, NEW.id, CASE WHEN NEW.content IS NULL OR NOT json_valid(NEW.content) THEN NEW.text
		ELSE concat_ws(' ', NEW.text, json_extract(NEW.content, '$.filename'), json_extract(NEW.content, '$.name'),
			json_extract(NEW.content, '$.address'), json_extract(NEW.content, '$.interactiveReply.title'),
			json_extract(NEW.content, '$.contacts[0].name'),
			json_extract(NEW.content, '$.contacts[0].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[0].phones[1].phone'),
			json_extract(NEW.content, '$.contacts[1].name'),
			json_extract(NEW.content, '$.contacts[1].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[1].phones[1].phone'),
			json_extract(NEW.content, '$.contacts[2].name'),
			json_extract(NEW.content, '$.contacts[2].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[2].phones[1].phone')) END);
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
	INSERT INTO search_queue (target, op, doc, a) VALUES ('m', 'delete', OLD.id, CASE WHEN OLD.content IS NULL OR NOT json_valid(OLD.content) THEN OLD.text
		ELSE concat_ws(' ', OLD.text, json_extract(OLD.content, '$.filename'), json_extract(OLD.content, '$.name'),
			json_extract(OLD.content, '$.address'), json_extract(OLD.content, '$.interactiveReply.title'),
			json_extract(OLD.content, '$.contacts[0].name'),
			json_extract(OLD.content, '$.contacts[0].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[0].phones[1].phone'),
			json_extract(OLD.content, '$.contacts[1].name'),
			json_extract(OLD.content, '$.contacts[1].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[1].phones[1].phone'),
			json_extract(OLD.content, '$.contacts[2].name'),
			json_extract(OLD.content, '$.contacts[2].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[2].phones[1].phone')) END);
END;

-- Status changes (sent, delivered, read) leave the text alone and cost the
-- indexes nothing.
CREATE TRIGGER messages_search_update AFTER UPDATE OF id, text, content ON messages
	WHEN OLD.id IS NOT NEW.id OR OLD.text IS NOT NEW.text OR OLD.content IS NOT NEW.content BEGIN
	INSERT INTO search_queue (target, op, doc, a) VALUES ('m', 'delete', OLD.id, CASE WHEN OLD.content IS NULL OR NOT json_valid(OLD.content) THEN OLD.text
		ELSE concat_ws(' ', OLD.text, json_extract(OLD.content, '$.filename'), json_extract(OLD.content, '$.name'),
			json_extract(OLD.content, '$.address'), json_extract(OLD.content, '$.interactiveReply.title'),
			json_extract(OLD.content, '$.contacts[0].name'),
			json_extract(OLD.content, '$.contacts[0].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[0].phones[1].phone'),
			json_extract(OLD.content, '$.contacts[1].name'),
			json_extract(OLD.content, '$.contacts[1].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[1].phones[1].phone'),
			json_extract(OLD.content, '$.contacts[2].name'),
			json_extract(OLD.content, '$.contacts[2].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[2].phones[1].phone')) END);
	INSERT INTO search_queue (target, op, doc, a) VALUES ('m', NULL, NEW.id, CASE WHEN NEW.content IS NULL OR NOT json_valid(NEW.content) THEN NEW.text
		ELSE concat_ws(' ', NEW.text, json_extract(NEW.content, '$.filename'), json_extract(NEW.content, '$.name'),
			json_extract(NEW.content, '$.address'), json_extract(NEW.content, '$.interactiveReply.title'),
			json_extract(NEW.content, '$.contacts[0].name'),
			json_extract(NEW.content, '$.contacts[0].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[0].phones[1].phone'),
			json_extract(NEW.content, '$.contacts[1].name'),
			json_extract(NEW.content, '$.contacts[1].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[1].phones[1].phone'),
			json_extract(NEW.content, '$.contacts[2].name'),
			json_extract(NEW.content, '$.contacts[2].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[2].phones[1].phone')) END);
END;

CREATE VIEW search_contact_docs (id, name, phone) AS
	SELECT ct.id, ct.name, ct.phone || ' ' || replace(replace(replace(replace(replace(replace(ct.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', '') FROM contacts ct;

CREATE VIRTUAL TABLE contacts_fts USING fts5(name, phone, content = 'search_contact_docs', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE contacts_tri USING fts5(name, phone, content = 'search_contact_docs', content_rowid = 'id',
	tokenize = 'trigram remove_diacritics 1');

CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
	INSERT INTO search_queue (target, op, doc, a, b) VALUES ('c', NULL, NEW.id, NEW.name, NEW.phone || ' ' || replace(replace(replace(replace(replace(replace(NEW.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''));
END;

CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
	INSERT INTO search_queue (target, op, doc, a, b) VALUES ('c', 'delete', OLD.id, OLD.name, OLD.phone || ' ' || replace(replace(replace(replace(replace(replace(OLD.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''));
END;

-- Every inbound message upserts its contact; only a new name or number
-- touches the indexes.
CREATE TRIGGER contacts_search_update AFTER UPDATE OF id, name, phone ON contacts
	WHEN OLD.id IS NOT NEW.id OR OLD.name IS NOT NEW.name OR OLD.phone IS NOT NEW.phone BEGIN
	INSERT INTO search_queue (target, op, doc, a, b) VALUES ('c', 'delete', OLD.id, OLD.name, OLD.phone || ' ' || replace(replace(replace(replace(replace(replace(OLD.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''));
	INSERT INTO search_queue (target, op, doc, a, b) VALUES ('c', NULL, NEW.id, NEW.name, NEW.phone || ' ' || replace(replace(replace(replace(replace(replace(NEW.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''));
END;

-- What is stored already the store indexes after this file, in the same
-- transaction, a batch of rows at a time with its progress in the log
-- (store/migrate.go).

-- A contact's conversations, for a contact found by name or number.
CREATE INDEX conversations_by_contact ON conversations (contact_id);
