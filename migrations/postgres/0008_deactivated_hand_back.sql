-- Deactivating an agent hands their open and snoozed conversations back to
-- Unassigned; an agent deactivated before it did still holds theirs, and
-- their customers wait on someone who cannot sign in. They go back now,
-- each with the line in its thread a deactivation writes ("Unassigned: Ben
-- was deactivated"), by Switchboard, as no admin's name is known: the line
-- of an activity of kind unassigned, detail assignee_deactivated, whose
-- target is the agent. Resolved conversations keep their assignee, for
-- the record. The time is the migration's transaction's.
INSERT INTO messages (zavu_id, conversation_id, direction, channel, type, text, content, status,
	error_code, error_message, source, author_id, created_at, updated_at, auto_reply_rule, provisional)
	SELECT NULL, c.id, 'internal', c.channel, 'activity', '',
		'{"activity":{"kind":"unassigned","targetId":' || c.assignee_id || ',"detail":"assignee_deactivated"}}', '',
		'', '', 'switchboard', NULL, floor(extract(epoch FROM now()) * 1000)::bigint, floor(extract(epoch FROM now()) * 1000)::bigint, '', 0
	FROM conversations c JOIN users u ON u.id = c.assignee_id
	WHERE c.status = 'open' AND u.active = 0
	ORDER BY c.id;
UPDATE conversations c SET assignee_id = NULL, updated_at = floor(extract(epoch FROM now()) * 1000)::bigint
	FROM users u
	WHERE u.id = c.assignee_id AND c.status = 'open' AND u.active = 0;
