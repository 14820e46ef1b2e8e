package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"switchboard/inbox"
)

// writeTx implements inbox.Tx on the writer's open transaction. Its methods
// run inside the savepoint of the event being applied, so everything they
// write commits or rolls back with that event.
var _ inbox.Tx = (*writeTx)(nil)

// The columns a new message is stored with, in the order of messageArgs.
const (
	insertMessageCols = `zavu_id, conversation_id, direction, channel, type, text, content, status,
		queued_at, sending_at, sent_at, delivered_at, read_at, failed_at,
		error_code, error_message, source, author_id, created_at, updated_at, auto_reply_rule, provisional, signed_by,
		search_cards`
	insertMessageValues = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`
)

var (
	stUpsertSender = writerStatement(`INSERT INTO senders (id, phone, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?3)
		ON CONFLICT (id) DO UPDATE SET phone = excluded.phone, updated_at = excluded.updated_at
		WHERE excluded.phone <> '' AND excluded.phone <> senders.phone`)

	stContactByPhone = writerStatement(`SELECT id, phone, name, name_at, created_at, updated_at, name_by IS NOT NULL
		FROM contacts WHERE phone = ?`)
	// A name replaces the stored one unless that came from a newer event.
	// The update always happens, so that RETURNING always gives the row.
	stUpsertContact = writerStatement(`INSERT INTO contacts (phone, name, name_at, created_at, updated_at)
		VALUES (?1, ?2, CASE WHEN ?2 <> '' THEN ?3 END, ?3, ?3)
		ON CONFLICT (phone) DO UPDATE SET
			name       = CASE WHEN ` + newerName + ` THEN excluded.name ELSE contacts.name END,
			updated_at = CASE WHEN ` + newerName + ` AND excluded.name <> contacts.name THEN excluded.updated_at ELSE contacts.updated_at END,
			name_at    = CASE WHEN ` + newerName + ` THEN excluded.name_at ELSE contacts.name_at END
		RETURNING id, phone, name, name_at, created_at, updated_at, name_by IS NOT NULL`)

	stConversationByKey = writerStatement(`SELECT ` + conversationCols + `, 0
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.sender_id = ? AND c.channel = ? AND c.contact_id = ?`)
	stInsertConversation = writerStatement(`INSERT INTO conversations
		(sender_id, channel, contact_id, status, last_message_at, created_at, updated_at)
		VALUES (?1, ?2, ?3, 'open', ?4, ?4, ?4)`)
	stSaveConversation = writerStatement(`UPDATE conversations SET
		status = ?, assignee_id = ?, zavu_conversation_id = ?, inbound_count = ?,
		last_message_id = ?, last_message_at = ?, last_message_preview = ?, last_inbound_at = ?,
		opted_out = ?, opt_changed_at = ?, updated_at = ?,
		snoozed_at = CASE WHEN ? THEN snoozed_at END, snoozed_until = CASE WHEN ? THEN snoozed_until END
		WHERE id = ?`)

	// A message to or from the contact is its latest contact, unless a
	// later one is known (contacts_by_last_contact orders the contacts
	// list).
	stTouchContact = writerStatement(`UPDATE contacts SET last_contact_at = ?1
		WHERE id = (SELECT contact_id FROM conversations WHERE id = ?2) AND last_contact_at < ?1`)
	// Saving a conversation sets its contact's latest contact to the time
	// of the latest message of all their conversations, each of which
	// keeps its own (last_message_id): it comes down as well as up when a
	// message's time moves, as an earlier copy of it comes. Where the
	// contact's time is this conversation's latest, as it is after a
	// message came (stTouchContact), nothing is read again: applying an
	// event pays one row's lookup for it.
	stContactLatest = writerStatement(`UPDATE contacts SET last_contact_at = (
			SELECT coalesce(max(m.created_at), 0)
			FROM conversations c LEFT JOIN messages m ON m.id = c.last_message_id
			WHERE c.contact_id = contacts.id)
		WHERE id = (SELECT contact_id FROM conversations WHERE id = ?1) AND last_contact_at <> ?2`)

	stMessageByZavuID = writerStatement(`SELECT ` + messageCols + ` FROM messages m WHERE m.zavu_id = ?`)
	// The message that had a Zavu id before an agent's Retry.
	stMessageByRetiredZavuID = writerStatement(`SELECT ` + messageCols + `
		FROM retired_zavu_ids r JOIN messages m ON m.id = r.message_id WHERE r.zavu_id = ?`)
	stInsertMessage = writerStatement(`INSERT INTO messages (` + insertMessageCols + `)
		VALUES (` + insertMessageValues + `)`)
	// A customer's message keeps who had its conversation as it came (0:
	// no one), for its notice (InboundSince).
	stInsertInbound = writerStatement(`INSERT INTO messages (` + insertMessageCols + `, arrival_assignee_id)
		VALUES (` + insertMessageValues + `, coalesce((SELECT assignee_id FROM conversations WHERE id = ?), 0))`)
	stUpdateMessage = writerStatement(`UPDATE messages SET
		zavu_id = ?, conversation_id = ?, direction = ?, channel = ?, type = ?, text = ?, content = ?, status = ?,
		queued_at = ?, sending_at = ?, sent_at = ?, delivered_at = ?, read_at = ?, failed_at = ?,
		error_code = ?, error_message = ?, source = ?, author_id = ?, created_at = ?, updated_at = ?,
		auto_reply_rule = ?, provisional = ?, signed_by = ?, search_cards = ?, rev = rev + 1
		WHERE id = ?`)

	// The latest message of a conversation walks messages_thread from its
	// end; messages at the same instant are told apart by their Zavu id,
	// not by the order they were stored in. Notes and activity lines are
	// never the latest: the preview is what the customer sees. The
	// customer's messages are counted on their own index.
	stLatestMessage = writerStatement(`SELECT ` + messageCols + ` FROM messages m
		WHERE m.conversation_id = ? AND m.direction <> 'internal'
		ORDER BY m.created_at DESC, m.zavu_id DESC, m.id DESC LIMIT 1`)
	stInboundSummary = writerStatement(`SELECT count(*), max(created_at) FROM messages
		WHERE conversation_id = ? AND direction = 'inbound'`)

	stReaction    = writerStatement(`SELECT emoji, at, event_at, signed_by FROM reactions WHERE message_zavu_id = ? AND from_addr = ?`)
	stPutReaction = writerStatement(`INSERT INTO reactions (message_zavu_id, from_addr, emoji, at, event_at, signed_by) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (message_zavu_id, from_addr) DO UPDATE SET
			emoji = excluded.emoji, at = excluded.at, event_at = excluded.event_at, signed_by = excluded.signed_by`)

	stTemplate    = writerStatement(`SELECT id, name, language, status, category, rejection_reason, body, updated_at FROM templates WHERE id = ?`)
	stPutTemplate = writerStatement(`INSERT INTO templates (id, name, language, status, category, rejection_reason, body, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, language = excluded.language, status = excluded.status,
			rejection_reason = excluded.rejection_reason, updated_at = excluded.updated_at,
			category = CASE WHEN excluded.category <> '' THEN excluded.category ELSE templates.category END,
			body = CASE WHEN excluded.body <> '' THEN excluded.body ELSE templates.body END`)

	// An event adds at most one activity, so a replay adds none.
	stAddActivity = writerStatement(`INSERT INTO activities
		(event_id, kind, subject_id, name, status, previous_status, detail, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (event_id) WHERE event_id IS NOT NULL DO NOTHING`)
)

// newerName is true in the contact upsert when the incoming name should
// replace the stored one: it comes from a newer event or, from an event at
// the same time, it is the greater name, so that the outcome never depends
// on the order events arrive in. A name an agent set (name_by) stays.
const newerName = `(excluded.name <> '' AND contacts.name_by IS NULL AND (contacts.name_at IS NULL OR contacts.name_at < excluded.name_at
	OR (contacts.name_at = excluded.name_at AND excluded.name > contacts.name)))`

// UpsertSender records one of our numbers. An empty phone keeps the known
// one.
func (w *writeTx) UpsertSender(ctx context.Context, id, phone string) error {
	// Every event upserts its sender, mostly one of a few: once in a
	// transaction that holds the write lock is enough, unless undone.
	if known, ok := w.senders[id]; ok && (phone == "" || phone == known) {
		return nil
	}
	if _, err := w.exec(ctx, stUpsertSender, id, phone, w.db.now().UnixMilli()); err != nil {
		return fmt.Errorf("upsert sender %s: %w", id, err)
	}
	if w.senders != nil && phone != "" {
		w.senders[id] = phone
	}
	return nil
}

// UpsertContact returns the contact with this address, creating it if
// needed. A non-empty name replaces the stored one unless that came from a
// newer event than at, or an agent set it.
func (w *writeTx) UpsertContact(ctx context.Context, phone, name string, at time.Time) (inbox.Contact, error) {
	if phone == "" {
		return inbox.Contact{}, fmt.Errorf("upsert contact: no address: %w", inbox.ErrInvalid)
	}
	if w.db.dialect.postgres {
		return w.upsertContact(ctx, phone, name, at) // in one round trip (contact_pg.go)
	}
	// Most events come from a known contact whose name has not changed:
	// read it, and write only when there is something new, so that the
	// page stays clean.
	c, agentNamed, err := scanContact(w.queryRow(ctx, stContactByPhone, phone))
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return inbox.Contact{}, fmt.Errorf("find contact %s: %w", phone, err)
	case name == "" || agentNamed || c.NameAt.After(stored(at)) || (name == c.Name && c.NameAt.Equal(stored(at))):
		return c, nil
	}
	c, _, err = scanContact(w.queryRow(ctx, stUpsertContact, phone, name, msOf(at)))
	if err != nil {
		return inbox.Contact{}, fmt.Errorf("upsert contact %s: %w", phone, err)
	}
	return c, nil
}

// scanContact reads a contact, and whether an agent set its name (which
// then no profile name replaces).
func scanContact(row scanner) (c inbox.Contact, agentNamed bool, err error) {
	err = row.Scan(&c.ID, &c.Phone, &c.Name, msTime{&c.NameAt}, msTime{&c.CreatedAt}, msTime{&c.UpdatedAt}, &agentNamed)
	return c, agentNamed, err
}

// EnsureConversation returns the conversation for key, creating an open one
// whose latest activity is at if there is none. Contact is filled in;
// UnreadCount is not computed on the write path and is 0.
func (w *writeTx) EnsureConversation(ctx context.Context, key inbox.ConversationKey, at time.Time) (inbox.Conversation, error) {
	c, err := scanConversation(w.queryRow(ctx, stConversationByKey, key.SenderID, string(key.Channel), key.ContactID))
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return inbox.Conversation{}, fmt.Errorf("find conversation %+v: %w", key, err)
	}
	if w.db.dialect.postgres {
		return w.createConversation(ctx, key, msOf(at))
	}
	if _, err := w.exec(ctx, stInsertConversation, key.SenderID, string(key.Channel), key.ContactID, msOf(at)); err != nil {
		return inbox.Conversation{}, fmt.Errorf("create conversation %+v: %w", key, err)
	}
	c, err = scanConversation(w.queryRow(ctx, stConversationByKey, key.SenderID, string(key.Channel), key.ContactID))
	if err != nil {
		return inbox.Conversation{}, fmt.Errorf("read new conversation %+v: %w", key, err)
	}
	return c, nil
}

// SaveConversation writes the conversation's mutable fields: everything but
// its key (sender, channel, contact) and creation time. Times in c are set
// to what was stored: UTC, to the millisecond.
func (w *writeTx) SaveConversation(ctx context.Context, c *inbox.Conversation) error {
	status := c.Status
	if status == "" {
		status = inbox.Open
	}
	var lastID any
	if c.LastMessageID != 0 {
		lastID = c.LastMessageID
	}
	column := status
	if status == inbox.Snoozed {
		column = inbox.Open // a snooze is kept in snoozed_at; status stays open
	}
	r, err := w.exec(ctx, stSaveConversation, string(column), nullID(c.AssigneeID), c.ZavuConversationID,
		c.InboundCount, lastID, msOf(c.LastMessageAt), c.LastMessagePreview, nullMS(c.LastInboundAt),
		c.OptedOut, nullMS(c.OptChangedAt), msOf(c.UpdatedAt), status == inbox.Snoozed, status == inbox.Snoozed, c.ID)
	if err != nil {
		return fmt.Errorf("save conversation %d: %w", c.ID, err)
	}
	if n, err := r.RowsAffected(); err != nil {
		return fmt.Errorf("save conversation %d: %w", c.ID, err)
	} else if n == 0 {
		return fmt.Errorf("save conversation %d: %w", c.ID, inbox.ErrNotFound)
	}
	if _, err := w.exec(ctx, stContactLatest, c.ID, msOf(c.LastMessageAt)); err != nil {
		return fmt.Errorf("save conversation %d: its contact's latest contact: %w", c.ID, err)
	}
	c.Status = status
	c.LastMessageAt, c.LastInboundAt, c.UpdatedAt = stored(c.LastMessageAt), stored(c.LastInboundAt), stored(c.UpdatedAt)
	c.OptChangedAt = stored(c.OptChangedAt)
	return nil
}

// MessageByZavuID returns the message with this Zavu id, or an error
// wrapping inbox.ErrNotFound. Reactions are not loaded on the write path.
func (w *writeTx) MessageByZavuID(ctx context.Context, zavuID string) (inbox.Message, error) {
	if zavuID == "" {
		return inbox.Message{}, fmt.Errorf("message with no zavu id: %w", inbox.ErrNotFound)
	}
	m, err := scanMessage(w.queryRow(ctx, stMessageByZavuID, zavuID))
	if err != nil {
		return inbox.Message{}, notFound(err, "message %s", zavuID)
	}
	return m, nil
}

// MessageByRetiredZavuID returns the message that had this Zavu id before
// an agent's Retry sent it again under a new one, or an error wrapping
// inbox.ErrNotFound.
func (w *writeTx) MessageByRetiredZavuID(ctx context.Context, zavuID string) (inbox.Message, error) {
	m, err := scanMessage(w.queryRow(ctx, stMessageByRetiredZavuID, zavuID))
	if err != nil {
		return inbox.Message{}, notFound(err, "message that had zavu id %s", zavuID)
	}
	return m, nil
}

// SummarizeMessages reads what a conversation's messages say about it: its
// latest message (by time; at the same instant, by Zavu id, then by id),
// and the number and latest time of the customer's messages. Two indexed
// lookups, whatever the length of the thread but for the count, which
// reads the customer's messages on their own index.
func (w *writeTx) SummarizeMessages(ctx context.Context, conversationID int64) (inbox.MessageSummary, error) {
	if w.db.dialect.postgres {
		return w.summarizeMessages(ctx, conversationID)
	}
	var s inbox.MessageSummary
	m, err := scanMessage(w.queryRow(ctx, stLatestMessage, conversationID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return s, fmt.Errorf("latest message of conversation %d: %w", conversationID, err)
	default:
		s.Latest = m
	}
	if err := w.queryRow(ctx, stInboundSummary, conversationID).Scan(&s.InboundCount, msTime{&s.LastInboundAt}); err != nil {
		return s, fmt.Errorf("inbound messages of conversation %d: %w", conversationID, err)
	}
	return s, nil
}

// messageArgs are m's columns in the order of stInsertMessage and
// stUpdateMessage.
func messageArgs(m *inbox.Message) ([]any, error) {
	content, err := contentJSON(m.Content)
	if err != nil {
		return nil, err
	}
	st := m.StatusTimes
	return []any{
		nullText(m.ZavuID), m.ConversationID, string(m.Direction), string(m.Channel), string(m.Type),
		m.Text, content, string(m.Status),
		nullMS(st.Queued), nullMS(st.Sending), nullMS(st.Sent), nullMS(st.Delivered), nullMS(st.Read), nullMS(st.Failed),
		m.ErrorCode, m.ErrorMessage, string(m.Source), nullID(m.AuthorID), msOf(m.CreatedAt), msOf(m.UpdatedAt),
		m.AutoReplyRule, m.Provisional, m.SignedBy, cardsSearchText(m.Content),
	}, nil
}

// normalizeTimes sets m's times to what was stored: UTC, to the
// millisecond, so that the caller's copy compares like the stored one.
func normalizeTimes(m *inbox.Message) {
	st := &m.StatusTimes
	st.Queued, st.Sending, st.Sent = stored(st.Queued), stored(st.Sending), stored(st.Sent)
	st.Delivered, st.Read, st.Failed = stored(st.Delivered), stored(st.Read), stored(st.Failed)
	m.CreatedAt, m.UpdatedAt = stored(m.CreatedAt), stored(m.UpdatedAt)
}

// InsertMessage stores a new message and sets its ID. A Zavu id that is
// taken gives an error wrapping inbox.ErrConflict.
func (w *writeTx) InsertMessage(ctx context.Context, m *inbox.Message) error {
	args, err := messageArgs(m)
	if err != nil {
		return fmt.Errorf("insert message %s: %w", m.ZavuID, err)
	}
	st := stInsertMessage
	if m.Direction == inbox.Inbound {
		st, args = stInsertInbound, append(args, m.ConversationID)
	}
	id, err := w.execID(ctx, st, args...)
	if isUniqueViolation(err) {
		return fmt.Errorf("insert message: zavu id %s is taken: %w", m.ZavuID, inbox.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert message %s: %w", m.ZavuID, err)
	}
	m.ID = id
	normalizeTimes(m)
	if m.Direction != inbox.Internal {
		if _, err := w.exec(ctx, stTouchContact, msOf(m.CreatedAt), m.ConversationID); err != nil {
			return fmt.Errorf("insert message %s: the contact's latest contact: %w", m.ZavuID, err)
		}
	}
	return nil
}

// UpdateMessage writes every field of an existing message but its ID (and
// its reactions, which are stored apart), and counts the change in its Rev.
func (w *writeTx) UpdateMessage(ctx context.Context, m *inbox.Message) error {
	args, err := messageArgs(m)
	if err != nil {
		return fmt.Errorf("update message %d: %w", m.ID, err)
	}
	r, err := w.exec(ctx, stUpdateMessage, append(args, m.ID)...)
	if isUniqueViolation(err) {
		return fmt.Errorf("update message %d: zavu id %s is taken: %w", m.ID, m.ZavuID, inbox.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("update message %d: %w", m.ID, err)
	}
	if n, err := r.RowsAffected(); err != nil {
		return fmt.Errorf("update message %d: %w", m.ID, err)
	} else if n == 0 {
		return fmt.Errorf("update message %d: %w", m.ID, inbox.ErrNotFound)
	}
	m.Rev++ // as stored: m was read in this transaction
	normalizeTimes(m)
	return nil
}

// Reaction returns the latest reaction of one person on one message,
// including a removal (empty Emoji); ok is false if there is none.
func (w *writeTx) Reaction(ctx context.Context, messageZavuID, from string) (inbox.Reaction, bool, error) {
	r := inbox.Reaction{MessageZavuID: messageZavuID, From: from}
	err := w.queryRow(ctx, stReaction, messageZavuID, from).Scan(&r.Emoji, msTime{&r.At}, msTime{&r.EventAt}, &r.SignedBy)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return inbox.Reaction{}, false, nil
	case err != nil:
		return inbox.Reaction{}, false, fmt.Errorf("reaction of %s on %s: %w", from, messageZavuID, err)
	}
	return r, true, nil
}

// PutReaction stores a reaction, replacing the person's previous one on the
// message, with the sender whose own secret alone signed it; an empty
// Emoji records its removal (a tombstone).
func (w *writeTx) PutReaction(ctx context.Context, r inbox.Reaction) error {
	if _, err := w.exec(ctx, stPutReaction, r.MessageZavuID, r.From, r.Emoji, msOf(r.At), msOf(r.EventAt), r.SignedBy); err != nil {
		return fmt.Errorf("put reaction of %s on %s: %w", r.From, r.MessageZavuID, err)
	}
	return nil
}

// Template returns the template, or an error wrapping inbox.ErrNotFound.
func (w *writeTx) Template(ctx context.Context, id string) (inbox.Template, error) {
	var t inbox.Template
	err := w.queryRow(ctx, stTemplate, id).
		Scan(&t.ID, &t.Name, &t.Language, &t.Status, &t.Category, &t.RejectionReason, &t.Body, msTime{&t.UpdatedAt})
	if err != nil {
		return inbox.Template{}, notFound(err, "template %s", id)
	}
	return t, nil
}

// PutTemplate creates or replaces a template.
func (w *writeTx) PutTemplate(ctx context.Context, t inbox.Template) error {
	if _, err := w.exec(ctx, stPutTemplate, t.ID, t.Name, t.Language, t.Status, t.Category, t.RejectionReason, t.Body, msOf(t.UpdatedAt)); err != nil {
		return fmt.Errorf("put template %s: %w", t.ID, err)
	}
	return nil
}

// AddActivity adds an entry to the activity feed. An event adds at most
// one: a second entry with the same EventID is ignored.
func (w *writeTx) AddActivity(ctx context.Context, a inbox.Activity) error {
	if _, err := w.exec(ctx, stAddActivity, nullText(a.EventID), a.Kind, a.SubjectID, a.Name, a.Status,
		a.PreviousStatus, a.Detail, msOf(a.At)); err != nil {
		return fmt.Errorf("add activity for event %s: %w", a.EventID, err)
	}
	return nil
}
