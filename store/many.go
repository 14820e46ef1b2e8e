package store

import (
	"context"
	"fmt"
	"strings"

	"switchboard/inbox"
)

// Reads of many rows at once, for the live render: one coalesced update
// names many conversations and messages, which it reads in a few
// statements rather than a few each.

// manyIDs is the most ids one statement of these reads names; more go in
// several.
const manyIDs = 500

// inIDs is "IN (?, ?, ...)" for n ids, and the ids as arguments.
func inIDs(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return `IN (?` + strings.Repeat(`, ?`, len(ids)-1) + `)`, args
}

// inChunks calls read with each run of at most manyIDs distinct ids.
func inChunks(ids []int64, read func(chunk []int64) error) error {
	seen := make(map[int64]struct{}, len(ids))
	var uniq []int64
	for _, id := range ids {
		if _, ok := seen[id]; !ok {
			seen[id] = struct{}{}
			uniq = append(uniq, id)
		}
	}
	for len(uniq) > 0 {
		n := min(len(uniq), manyIDs)
		if err := read(uniq[:n]); err != nil {
			return err
		}
		uniq = uniq[n:]
	}
	return nil
}

// ConversationsByID returns the conversations with these ids that exist,
// each once, as Conversation returns them (the unread count from the
// furthest any user has read), in no particular order.
func (db *DB) ConversationsByID(ctx context.Context, ids []int64) ([]inbox.Conversation, error) {
	var out []inbox.Conversation
	err := inChunks(ids, func(chunk []int64) error {
		in, args := inIDs(chunk)
		rows, err := db.reader.QueryContext(ctx, `SELECT `+conversationCols+`, `+unreadCol+`
			FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id `+in, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanConversation(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("conversations by id: %w", err)
	}
	return out, nil
}

// MessagesByID returns the messages with these ids that exist, each once,
// with their reactions, as Message returns them, in no particular order.
func (db *DB) MessagesByID(ctx context.Context, ids []int64) ([]inbox.Message, error) {
	var out []inbox.Message
	err := inChunks(ids, func(chunk []int64) error {
		in, args := inIDs(chunk)
		ms, err := db.queryMessages(ctx, `SELECT `+messageCols+` FROM messages m WHERE m.id `+in, args...)
		if err != nil {
			return err
		}
		if err := db.attachOthers(ctx, ms); err != nil {
			return err
		}
		out = append(out, ms...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("messages by id: %w", err)
	}
	return out, nil
}

// ContactDetailsByID returns the contacts with these ids that exist, by
// id, each as ContactDetails returns it.
func (db *DB) ContactDetailsByID(ctx context.Context, ids []int64) (map[int64]inbox.ContactDetails, error) {
	out := make(map[int64]inbox.ContactDetails, len(ids))
	err := inChunks(ids, func(chunk []int64) error {
		in, args := inIDs(chunk)
		rows, err := db.reader.QueryContext(ctx, `SELECT `+contactDetailsCols+` FROM contacts WHERE id `+in, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanContactDetails(rows)
			if err != nil {
				return err
			}
			out[d.ID] = d
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		// Each contact's conversations, in the order ContactDetails gives
		// them.
		crows, err := db.reader.QueryContext(ctx, `SELECT `+conversationCols+`, `+unreadCol+`
			FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
			WHERE c.contact_id `+in+` ORDER BY c.contact_id, c.last_message_at DESC, c.id DESC`, args...)
		if err != nil {
			return err
		}
		defer crows.Close()
		for crows.Next() {
			c, err := scanConversation(crows)
			if err != nil {
				return err
			}
			d, ok := out[c.Contact.ID]
			if !ok {
				continue // a contact made between the two reads
			}
			addConversation(&d, c)
			out[c.Contact.ID] = d
		}
		return crows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("contacts by id: %w", err)
	}
	return out, nil
}
