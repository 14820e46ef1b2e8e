-- When each contact last exchanged a message with the team, either way
-- (notes and activity lines are the team's own): the contacts list shows
-- the most recent first. The writer keeps it as it stores messages; 0 for
-- a contact with no message yet.
ALTER TABLE contacts ADD COLUMN last_contact_at INTEGER NOT NULL DEFAULT 0;
UPDATE contacts SET last_contact_at = coalesce((
	SELECT max(m.created_at) FROM conversations c JOIN messages m ON m.conversation_id = c.id
	WHERE c.contact_id = contacts.id AND m.direction <> 'internal'), 0);
CREATE INDEX contacts_by_last_contact ON contacts (last_contact_at DESC, id DESC);
