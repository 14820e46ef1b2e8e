package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/inbox"
)

// An author edits their note: search finds the new words and no longer
// the old, a newly mentioned agent gets a mention, a removed one loses
// it, and the note reads as edited. A teammate can neither edit nor
// delete it; an admin deletes it, and then search and mentions forget it.
func TestEditAndDeleteNote(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben := notesTeam(t, db)
	cara := &inbox.User{Email: "cara@example.com", Name: "Cara", Role: inbox.RoleAgent, Active: true}
	if err := db.CreateUser(ctx, cara); err != nil {
		t.Fatal(err)
	}
	conv := conversationWith(t, db, customerPhone, t0)
	note, _, _, err := db.AddNote(ctx, inbox.Note{ConversationID: conv, AuthorID: &ana,
		Text: "Refund zebracode approved, @Ben Okafor please confirm", At: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	found := func(q string) int {
		t.Helper()
		hits, _, err := db.Search(ctx, inbox.SearchFilter{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, h := range hits {
			if h.MessageID == note.ID {
				n++
			}
		}
		return n
	}
	mentions := func(uid int64) int {
		t.Helper()
		ms, err := db.Mentions(ctx, uid, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}
	if found("zebracode") != 1 || mentions(ben) != 1 {
		t.Fatalf("before the edit: found %d, Ben's mentions %d", found("zebracode"), mentions(ben))
	}

	edit := inbox.NoteChange{ConversationID: conv, NoteID: note.ID, ByID: &ben, Text: "hijacked", At: t0.Add(2 * time.Minute)}
	if _, _, _, _, err := db.EditNote(ctx, edit); !errors.Is(err, inbox.ErrForbidden) {
		t.Errorf("a teammate edits the note: %v", err)
	}
	if _, _, _, err := db.DeleteNote(ctx, inbox.NoteChange{ConversationID: conv, NoteID: note.ID, ByID: &ben}); !errors.Is(err, inbox.ErrForbidden) {
		t.Errorf("a teammate deletes the note: %v", err)
	}
	if _, _, _, _, err := db.EditNote(ctx, inbox.NoteChange{ConversationID: conv + 1, NoteID: note.ID, ByID: &ana, Text: "x"}); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("the note through another conversation: %v", err)
	}

	m, added, removed, ch, err := db.EditNote(ctx, inbox.NoteChange{ConversationID: conv, NoteID: note.ID, ByID: &ana,
		Text: "Refund quokkacode approved, @Cara please confirm", At: t0.Add(3 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 1 || added[0] != cara.ID || len(removed) != 1 || removed[0] != ben || len(ch.MessageIDs) != 1 {
		t.Errorf("added %v removed %v change %+v", added, removed, ch)
	}
	if !inbox.NoteEdited(m) {
		t.Error("the edited note does not read as edited")
	}
	got, err := db.Message(ctx, note.ID)
	if err != nil || got.Text != "Refund quokkacode approved, @Cara please confirm" || !inbox.NoteEdited(got) {
		t.Errorf("stored note %+v, %v", got, err)
	}
	if got.Rev != note.Rev+1 || m.Rev != got.Rev {
		t.Errorf("rev %d before the edit, %d stored and %d returned after it", note.Rev, got.Rev, m.Rev)
	}
	if found("zebracode") != 0 || found("quokkacode") != 1 {
		t.Errorf("search after the edit: old %d, new %d", found("zebracode"), found("quokkacode"))
	}
	if mentions(ben) != 0 || mentions(cara.ID) != 1 {
		t.Errorf("mentions after the edit: Ben %d, Cara %d", mentions(ben), mentions(cara.ID))
	}
	// Saving the same mentions again notifies no one twice.
	_, added, _, _, err = db.EditNote(ctx, inbox.NoteChange{ConversationID: conv, NoteID: note.ID, ByID: &ana,
		Text: "Refund quokkacode approved, @Cara please confirm today", At: t0.Add(4 * time.Minute)})
	if err != nil || len(added) != 0 {
		t.Errorf("a second edit mentions %v again (%v)", added, err)
	}

	_, mentioned, ch, err := db.DeleteNote(ctx, inbox.NoteChange{ConversationID: conv, NoteID: note.ID, ByID: &ben, Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(mentioned) != 1 || mentioned[0] != cara.ID || len(ch.DeletedMessageIDs) != 1 || ch.DeletedMessageIDs[0] != note.ID {
		t.Errorf("delete: mentioned %v, change %+v", mentioned, ch)
	}
	if _, err := db.Message(ctx, note.ID); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("the deleted note is still there: %v", err)
	}
	if found("quokkacode") != 0 || mentions(cara.ID) != 0 {
		t.Errorf("after the delete: found %d, Cara's mentions %d", found("quokkacode"), mentions(cara.ID))
	}
	// Only notes: a customer's message is neither edited nor deleted.
	ms, _, err := db.Messages(ctx, conv, inbox.MessageFilter{Limit: 10})
	if err != nil || len(ms) == 0 {
		t.Fatalf("messages %v %v", ms, err)
	}
	if _, _, _, err := db.DeleteNote(ctx, inbox.NoteChange{ConversationID: conv, NoteID: ms[0].ID, ByID: &ana, Admin: true}); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("delete a customer's message as a note: %v", err)
	}
}
