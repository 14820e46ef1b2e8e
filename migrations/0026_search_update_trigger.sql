-- A message's content changes more often than its searchable text: a
-- media message's content gains its URL once the file is fetched, a
-- sent message's its provider's ids. The trigger of migration 0015
-- queued a removal and an addition for each such change, and the indexes
-- paid for both; it now queues them only when the text the indexes hold
-- (the view search_message_docs) changes. What the indexes hold is the
-- same as before, so nothing is rebuilt.
DROP TRIGGER messages_search_update;

CREATE TRIGGER messages_search_update AFTER UPDATE OF id, text, content ON messages
	WHEN OLD.id IS NOT NEW.id OR ((OLD.text IS NOT NEW.text OR OLD.content IS NOT NEW.content)
		AND (CASE WHEN OLD.content IS NULL OR NOT json_valid(OLD.content) THEN OLD.text
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
			json_extract(OLD.content, '$.contacts[2].phones[1].phone')) END)
		IS NOT (CASE WHEN NEW.content IS NULL OR NOT json_valid(NEW.content) THEN NEW.text
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
			json_extract(NEW.content, '$.contacts[2].phones[1].phone')) END)) BEGIN
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
