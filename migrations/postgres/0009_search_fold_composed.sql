-- search_fold took off, after decomposing the text (NFD), the accents of
-- Latin, Greek and Cyrillic letters (U+0300-U+036F), and left the rest
-- decomposed: a Japanese kana with its voicing mark (ご, が, だ) became its
-- base kana and a mark of its own, which split the word there, and a
-- Korean syllable became its letters (jamo). The words were then not
-- SQLite's, whose tokenizer keeps those letters whole: ご注文の商品がまだ
-- 届きません was four words here, one there. The text is now composed
-- again (NFC) once the accents are off, and what was indexed otherwise is
-- indexed again.
CREATE OR REPLACE FUNCTION search_fold(s text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN lower(normalize(regexp_replace(normalize(s, NFD), '[\u0300-\u036f]', '', 'g'), NFC) COLLATE "und-x-icu");

UPDATE message_search s SET folded = f.folded, words = search_folded_vector(f.folded)
FROM (SELECT id, search_fold(body) AS folded FROM message_search) f
WHERE f.id = s.id AND f.folded <> s.folded;

UPDATE contact_search cs SET name_folded = search_fold(ct.name), phone_folded = search_fold(search_phone(ct.phone)),
	notes_folded = search_fold(ct.notes), words = search_vector(ct.name, search_phone(ct.phone), ct.notes)
FROM contacts ct
WHERE ct.id = cs.id AND (cs.name_folded <> search_fold(ct.name) OR cs.notes_folded <> search_fold(ct.notes));
