-- Contacts as the team keeps them: notes shared by the team (who wrote
-- them last, and when), and a name an agent set, which a profile name in
-- a later webhook no longer replaces (name_by is the agent; NULL while
-- the name is the customer's profile name).
ALTER TABLE contacts ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN notes_by INTEGER;
ALTER TABLE contacts ADD COLUMN notes_at INTEGER;
ALTER TABLE contacts ADD COLUMN name_by INTEGER;

-- A contact's notes are searchable like its name and number: the
-- contact indexes of migration 0015 get a third column. search_queue's
-- new column c carries the notes, as a and b carry the name and number.
-- The store fills the new indexes after this file, with progress in the
-- log (store/migrate.go).
ALTER TABLE search_queue ADD COLUMN c TEXT;

DROP TRIGGER contacts_search_insert;
DROP TRIGGER contacts_search_delete;
DROP TRIGGER contacts_search_update;
DROP TABLE contacts_fts;
DROP TABLE contacts_tri;
DROP VIEW search_contact_docs;

CREATE VIEW search_contact_docs (id, name, phone, notes) AS
	SELECT ct.id, ct.name, ct.phone || ' ' || replace(replace(replace(replace(replace(replace(ct.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), ct.notes FROM contacts ct;

CREATE VIRTUAL TABLE contacts_fts USING fts5(name, phone, notes, content = 'search_contact_docs', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE contacts_tri USING fts5(name, phone, notes, content = 'search_contact_docs', content_rowid = 'id',
	tokenize = 'trigram remove_diacritics 1');

CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
	INSERT INTO search_queue (target, op, doc, a, b, c) VALUES ('c', NULL, NEW.id, NEW.name, NEW.phone || ' ' || replace(replace(replace(replace(replace(replace(NEW.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), NEW.notes);
END;

CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
	INSERT INTO search_queue (target, op, doc, a, b, c) VALUES ('c', 'delete', OLD.id, OLD.name, OLD.phone || ' ' || replace(replace(replace(replace(replace(replace(OLD.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), OLD.notes);
END;

CREATE TRIGGER contacts_search_update AFTER UPDATE OF id, name, phone, notes ON contacts
	WHEN OLD.id IS NOT NEW.id OR OLD.name IS NOT NEW.name OR OLD.phone IS NOT NEW.phone OR OLD.notes IS NOT NEW.notes BEGIN
	INSERT INTO search_queue (target, op, doc, a, b, c) VALUES ('c', 'delete', OLD.id, OLD.name, OLD.phone || ' ' || replace(replace(replace(replace(replace(replace(OLD.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), OLD.notes);
	INSERT INTO search_queue (target, op, doc, a, b, c) VALUES ('c', NULL, NEW.id, NEW.name, NEW.phone || ' ' || replace(replace(replace(replace(replace(replace(NEW.phone, '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), NEW.notes);
END;
