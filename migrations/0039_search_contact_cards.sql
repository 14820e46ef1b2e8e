-- A message's searchable text named the first three shared contact cards
-- and the first two numbers of each, and none of their email addresses:
-- a search for a card's email, or for its third number, found nothing.
-- Each message now keeps the names, numbers and email addresses of all
-- its cards, in the order the cards have them, in search_cards (store:
-- cardsSearchText), and its searchable text names them. A message whose
-- search_cards is NULL, stored before, keeps the text the indexes hold.
ALTER TABLE messages ADD COLUMN search_cards TEXT;

-- The messages stored before, up to the last one now, get their
-- search_cards, and so are indexed again, a batch at a time in the
-- background once the database is open (store: redoCardSearch), so that
-- a large database opens at once.
CREATE TABLE search_cards_redo (
	next_id INTEGER NOT NULL,
	last_id INTEGER NOT NULL
);
INSERT INTO search_cards_redo (next_id, last_id) SELECT (SELECT min(id) FROM messages), (SELECT max(id) FROM messages)
	WHERE EXISTS (SELECT 1 FROM messages);

DROP VIEW search_message_docs;
CREATE VIEW search_message_docs (id, body) AS
	SELECT m.id, CASE WHEN m.content IS NULL OR NOT json_valid(m.content) THEN m.text
		WHEN m.search_cards IS NULL THEN concat_ws(' ', m.text, json_extract(m.content, '$.filename'),
			json_extract(m.content, '$.name'),
			json_extract(m.content, '$.address'),
			json_extract(m.content, '$.interactiveReply.title'),
			json_extract(m.content, '$.contacts[0].name'),
			json_extract(m.content, '$.contacts[0].phones[0].phone'),
			json_extract(m.content, '$.contacts[0].phones[1].phone'),
			json_extract(m.content, '$.contacts[1].name'),
			json_extract(m.content, '$.contacts[1].phones[0].phone'),
			json_extract(m.content, '$.contacts[1].phones[1].phone'),
			json_extract(m.content, '$.contacts[2].name'),
			json_extract(m.content, '$.contacts[2].phones[0].phone'),
			json_extract(m.content, '$.contacts[2].phones[1].phone'))
		ELSE concat_ws(' ', m.text, json_extract(m.content, '$.filename'), json_extract(m.content, '$.name'),
			json_extract(m.content, '$.address'), json_extract(m.content, '$.interactiveReply.title'),
			nullif(m.search_cards, '')) END FROM messages m;

DROP TRIGGER messages_search_insert;
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
	INSERT INTO search_queue (target, op, doc, a) VALUES ('m', NULL, NEW.id, CASE WHEN NEW.content IS NULL OR NOT json_valid(NEW.content) THEN NEW.text
		WHEN NEW.search_cards IS NULL THEN concat_ws(' ', NEW.text, json_extract(NEW.content, '$.filename'),
			json_extract(NEW.content, '$.name'),
			json_extract(NEW.content, '$.address'),
			json_extract(NEW.content, '$.interactiveReply.title'),
			json_extract(NEW.content, '$.contacts[0].name'),
			json_extract(NEW.content, '$.contacts[0].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[0].phones[1].phone'),
			json_extract(NEW.content, '$.contacts[1].name'),
			json_extract(NEW.content, '$.contacts[1].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[1].phones[1].phone'),
			json_extract(NEW.content, '$.contacts[2].name'),
			json_extract(NEW.content, '$.contacts[2].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[2].phones[1].phone'))
		ELSE concat_ws(' ', NEW.text, json_extract(NEW.content, '$.filename'), json_extract(NEW.content, '$.name'),
			json_extract(NEW.content, '$.address'), json_extract(NEW.content, '$.interactiveReply.title'),
			nullif(NEW.search_cards, '')) END);
END;

DROP TRIGGER messages_search_delete;
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
	INSERT INTO search_queue (target, op, doc, a) VALUES ('m', 'delete', OLD.id, CASE WHEN OLD.content IS NULL OR NOT json_valid(OLD.content) THEN OLD.text
		WHEN OLD.search_cards IS NULL THEN concat_ws(' ', OLD.text, json_extract(OLD.content, '$.filename'),
			json_extract(OLD.content, '$.name'),
			json_extract(OLD.content, '$.address'),
			json_extract(OLD.content, '$.interactiveReply.title'),
			json_extract(OLD.content, '$.contacts[0].name'),
			json_extract(OLD.content, '$.contacts[0].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[0].phones[1].phone'),
			json_extract(OLD.content, '$.contacts[1].name'),
			json_extract(OLD.content, '$.contacts[1].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[1].phones[1].phone'),
			json_extract(OLD.content, '$.contacts[2].name'),
			json_extract(OLD.content, '$.contacts[2].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[2].phones[1].phone'))
		ELSE concat_ws(' ', OLD.text, json_extract(OLD.content, '$.filename'), json_extract(OLD.content, '$.name'),
			json_extract(OLD.content, '$.address'), json_extract(OLD.content, '$.interactiveReply.title'),
			nullif(OLD.search_cards, '')) END);
END;

DROP TRIGGER messages_search_update;
CREATE TRIGGER messages_search_update AFTER UPDATE OF id, text, content, search_cards ON messages
	WHEN OLD.id IS NOT NEW.id OR ((OLD.text IS NOT NEW.text OR OLD.content IS NOT NEW.content OR OLD.search_cards IS NOT NEW.search_cards)
		AND (CASE WHEN OLD.content IS NULL OR NOT json_valid(OLD.content) THEN OLD.text
		WHEN OLD.search_cards IS NULL THEN concat_ws(' ', OLD.text, json_extract(OLD.content, '$.filename'),
			json_extract(OLD.content, '$.name'),
			json_extract(OLD.content, '$.address'),
			json_extract(OLD.content, '$.interactiveReply.title'),
			json_extract(OLD.content, '$.contacts[0].name'),
			json_extract(OLD.content, '$.contacts[0].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[0].phones[1].phone'),
			json_extract(OLD.content, '$.contacts[1].name'),
			json_extract(OLD.content, '$.contacts[1].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[1].phones[1].phone'),
			json_extract(OLD.content, '$.contacts[2].name'),
			json_extract(OLD.content, '$.contacts[2].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[2].phones[1].phone'))
		ELSE concat_ws(' ', OLD.text, json_extract(OLD.content, '$.filename'), json_extract(OLD.content, '$.name'),
			json_extract(OLD.content, '$.address'), json_extract(OLD.content, '$.interactiveReply.title'),
			nullif(OLD.search_cards, '')) END)
		IS NOT (CASE WHEN NEW.content IS NULL OR NOT json_valid(NEW.content) THEN NEW.text
		WHEN NEW.search_cards IS NULL THEN concat_ws(' ', NEW.text, json_extract(NEW.content, '$.filename'),
			json_extract(NEW.content, '$.name'),
			json_extract(NEW.content, '$.address'),
			json_extract(NEW.content, '$.interactiveReply.title'),
			json_extract(NEW.content, '$.contacts[0].name'),
			json_extract(NEW.content, '$.contacts[0].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[0].phones[1].phone'),
			json_extract(NEW.content, '$.contacts[1].name'),
			json_extract(NEW.content, '$.contacts[1].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[1].phones[1].phone'),
			json_extract(NEW.content, '$.contacts[2].name'),
			json_extract(NEW.content, '$.contacts[2].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[2].phones[1].phone'))
		ELSE concat_ws(' ', NEW.text, json_extract(NEW.content, '$.filename'), json_extract(NEW.content, '$.name'),
			json_extract(NEW.content, '$.address'), json_extract(NEW.content, '$.interactiveReply.title'),
			nullif(NEW.search_cards, '')) END)) BEGIN
	INSERT INTO search_queue (target, op, doc, a) VALUES ('m', 'delete', OLD.id, CASE WHEN OLD.content IS NULL OR NOT json_valid(OLD.content) THEN OLD.text
		WHEN OLD.search_cards IS NULL THEN concat_ws(' ', OLD.text, json_extract(OLD.content, '$.filename'),
			json_extract(OLD.content, '$.name'),
			json_extract(OLD.content, '$.address'),
			json_extract(OLD.content, '$.interactiveReply.title'),
			json_extract(OLD.content, '$.contacts[0].name'),
			json_extract(OLD.content, '$.contacts[0].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[0].phones[1].phone'),
			json_extract(OLD.content, '$.contacts[1].name'),
			json_extract(OLD.content, '$.contacts[1].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[1].phones[1].phone'),
			json_extract(OLD.content, '$.contacts[2].name'),
			json_extract(OLD.content, '$.contacts[2].phones[0].phone'),
			json_extract(OLD.content, '$.contacts[2].phones[1].phone'))
		ELSE concat_ws(' ', OLD.text, json_extract(OLD.content, '$.filename'), json_extract(OLD.content, '$.name'),
			json_extract(OLD.content, '$.address'), json_extract(OLD.content, '$.interactiveReply.title'),
			nullif(OLD.search_cards, '')) END);
	INSERT INTO search_queue (target, op, doc, a) VALUES ('m', NULL, NEW.id, CASE WHEN NEW.content IS NULL OR NOT json_valid(NEW.content) THEN NEW.text
		WHEN NEW.search_cards IS NULL THEN concat_ws(' ', NEW.text, json_extract(NEW.content, '$.filename'),
			json_extract(NEW.content, '$.name'),
			json_extract(NEW.content, '$.address'),
			json_extract(NEW.content, '$.interactiveReply.title'),
			json_extract(NEW.content, '$.contacts[0].name'),
			json_extract(NEW.content, '$.contacts[0].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[0].phones[1].phone'),
			json_extract(NEW.content, '$.contacts[1].name'),
			json_extract(NEW.content, '$.contacts[1].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[1].phones[1].phone'),
			json_extract(NEW.content, '$.contacts[2].name'),
			json_extract(NEW.content, '$.contacts[2].phones[0].phone'),
			json_extract(NEW.content, '$.contacts[2].phones[1].phone'))
		ELSE concat_ws(' ', NEW.text, json_extract(NEW.content, '$.filename'), json_extract(NEW.content, '$.name'),
			json_extract(NEW.content, '$.address'), json_extract(NEW.content, '$.interactiveReply.title'),
			nullif(NEW.search_cards, '')) END);
END;
