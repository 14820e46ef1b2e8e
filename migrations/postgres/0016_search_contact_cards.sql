-- A message's searchable text named the first three shared contact cards
-- and the first two numbers of each, and none of their email addresses:
-- a search for a card's email, or for its third number, found nothing.
-- It now names every card's name, numbers and email addresses, in the
-- order the cards have them, as SQLite's (migration 0039; store:
-- cardsSearchText).
CREATE OR REPLACE FUNCTION search_message_body(text text, content text) RETURNS text
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
	j jsonb;
	card jsonb;
	item jsonb;
	cards text[] := '{}';
BEGIN
	IF content IS NULL THEN
		RETURN text;
	END IF;
	j := search_json(content);
	IF j IS NULL OR jsonb_typeof(j) <> 'object' THEN
		RETURN text;
	END IF;
	IF jsonb_typeof(j->'contacts') = 'array' THEN
		FOR card IN SELECT value FROM jsonb_array_elements(j->'contacts') LOOP
			IF jsonb_typeof(card) <> 'object' THEN
				CONTINUE;
			END IF;
			IF jsonb_typeof(card->'name') = 'string' AND card->>'name' <> '' THEN
				cards := cards || (card->>'name');
			END IF;
			IF jsonb_typeof(card->'phones') = 'array' THEN
				FOR item IN SELECT value FROM jsonb_array_elements(card->'phones') LOOP
					IF jsonb_typeof(item) = 'object' AND jsonb_typeof(item->'phone') = 'string' AND item->>'phone' <> '' THEN
						cards := cards || (item->>'phone');
					END IF;
				END LOOP;
			END IF;
			IF jsonb_typeof(card->'emails') = 'array' THEN
				FOR item IN SELECT value FROM jsonb_array_elements(card->'emails') LOOP
					IF jsonb_typeof(item) = 'object' AND jsonb_typeof(item->'email') = 'string' AND item->>'email' <> '' THEN
						cards := cards || (item->>'email');
					END IF;
				END LOOP;
			END IF;
		END LOOP;
	END IF;
	RETURN concat_ws(' ', text, j->>'filename', j->>'name', j->>'address', j->'interactiveReply'->>'title',
		nullif(array_to_string(cards, ' '), ''));
END $$;

-- SQLite's search reads a message's cards from search_cards (migration
-- 0039), which the store writes on both engines; PostgreSQL's reads the
-- same from the content.
ALTER TABLE messages ADD COLUMN search_cards TEXT;

-- The messages already stored, up to the last one now, are indexed again
-- a batch at a time in the background once the database is open (store:
-- redoCardSearch), so that a large database opens at once.
CREATE TABLE search_cards_redo (
	next_id BIGINT NOT NULL,
	last_id BIGINT NOT NULL
);
INSERT INTO search_cards_redo (next_id, last_id) SELECT (SELECT min(id) FROM messages), (SELECT max(id) FROM messages)
	WHERE EXISTS (SELECT 1 FROM messages);
