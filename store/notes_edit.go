package store

import (
	"context"
	"fmt"

	"switchboard/inbox"
)

var stNoteMentions = writerStatement(`SELECT user_id FROM mentions WHERE message_id = ? ORDER BY user_id`)

// mentionedIn lists the users a note mentions.
func (w *writeTx) mentionedIn(ctx context.Context, noteID int64) ([]int64, error) {
	rows, err := w.query(ctx, stNoteMentions, noteID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// EditNote replaces a note's text (see inbox.CheckNoteChange for who may)
// in one transaction with its search index entry and its mentions: it
// returns the note, the users newly mentioned (to notify), those no
// longer mentioned, and the change to publish.
func (db *DB) EditNote(ctx context.Context, c inbox.NoteChange) (m inbox.Message, added, removed []int64, ch inbox.Change, err error) {
	text, err := inbox.NoteText(c.Text)
	if err != nil {
		return m, nil, nil, ch, err
	}
	team, err := db.Users(ctx)
	if err != nil {
		return m, nil, nil, ch, err
	}
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var err error
		if m, err = w.MessageByID(ctx, c.NoteID); err != nil {
			return err
		}
		if err := inbox.CheckNoteChange(m, c, false); err != nil {
			return err
		}
		before, err := w.mentionedIn(ctx, m.ID)
		if err != nil {
			return err
		}
		added, removed = inbox.MentionDiff(before, inbox.ParseMentions(text, team), m.AuthorID)
		m.Text, m.UpdatedAt = text, stored(c.At)
		if !m.UpdatedAt.After(m.CreatedAt) {
			m.UpdatedAt = m.CreatedAt.Add(1e6) // an edit always shows as one
		}
		if _, err := w.execSQL(ctx, `UPDATE messages SET text = ?, updated_at = ?, rev = rev + 1 WHERE id = ?`,
			m.Text, msOf(m.UpdatedAt), m.ID); err != nil {
			return err
		}
		m.Rev++
		for _, id := range removed {
			if _, err := w.execSQL(ctx, `DELETE FROM mentions WHERE message_id = ? AND user_id = ?`, m.ID, id); err != nil {
				return err
			}
		}
		for _, id := range added {
			if err := w.AddMention(ctx, m.ID, id, m.ConversationID, c.At); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return inbox.Message{}, nil, nil, ch, fmt.Errorf("edit note %d: %w", c.NoteID, err)
	}
	return m, added, removed, inbox.Change{MessageIDs: []int64{m.ID}, ConversationIDs: []int64{m.ConversationID}}, nil
}

// DeleteNote removes a note (see inbox.CheckNoteChange for who may) with
// its search index entry and its mentions, in one transaction. It returns
// the note as it was, the users it mentioned, and the change to publish.
func (db *DB) DeleteNote(ctx context.Context, c inbox.NoteChange) (m inbox.Message, mentioned []int64, ch inbox.Change, err error) {
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var err error
		if m, err = w.MessageByID(ctx, c.NoteID); err != nil {
			return err
		}
		if err := inbox.CheckNoteChange(m, c, true); err != nil {
			return err
		}
		if mentioned, err = w.mentionedIn(ctx, m.ID); err != nil {
			return err
		}
		if _, err := w.execSQL(ctx, `DELETE FROM mentions WHERE message_id = ?`, m.ID); err != nil {
			return err
		}
		return w.DeleteMessage(ctx, m.ID)
	})
	if err != nil {
		return inbox.Message{}, nil, ch, fmt.Errorf("delete note %d: %w", c.NoteID, err)
	}
	return m, mentioned, inbox.Change{DeletedMessageIDs: []int64{m.ID}, ConversationIDs: []int64{m.ConversationID}}, nil
}
