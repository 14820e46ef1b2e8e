-- Deactivating an agent hands their open and snoozed conversations back to
-- Unassigned; an agent deactivated before it did still holds theirs, and
-- their customers wait on someone who cannot sign in. They go back now,
-- each with the line in its thread a deactivation writes ("Unassigned: Ben
-- was deactivated"), by Switchboard, as no admin's name is known: the line
-- of an activity of kind unassigned, detail assignee_deactivated, whose
-- target is the agent. Resolved conversations keep their assignee, for
-- the record.
CREATE TEMP TABLE deactivated_hand_back AS
	SELECT c.id, c.channel, c.assignee_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) AS at
	FROM conversations c JOIN users u ON u.id = c.assignee_id
	WHERE c.status = 'open' AND u.active = 0;
UPDATE conversations SET assignee_id = NULL, updated_at = (SELECT at FROM deactivated_hand_back h WHERE h.id = conversations.id)
	WHERE id IN (SELECT id FROM deactivated_hand_back);
INSERT INTO messages (zavu_id, conversation_id, direction, channel, type, text, content, status,
	error_code, error_message, source, author_id, created_at, updated_at, auto_reply_rule, provisional)
	SELECT NULL, id, 'internal', channel, 'activity', '',
		'{"activity":{"kind":"unassigned","targetId":' || assignee_id || ',"detail":"assignee_deactivated"}}', '',
		'', '', 'switchboard', NULL, at, at, '', 0
	FROM deactivated_hand_back ORDER BY id;
DROP TABLE deactivated_hand_back;
