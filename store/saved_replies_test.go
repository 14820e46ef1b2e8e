package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

func TestSavedRepliesCRUD(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()

	thanks := inbox.SavedReply{Shortcut: " /Thanks ", Title: "Thank them", Body: "Thanks {{contact.name}}, {{agent.name}} here\r\n", CreatedAt: t0}
	if err := db.CreateSavedReply(ctx, &thanks); err != nil {
		t.Fatal(err)
	}
	if thanks.ID == 0 || thanks.Shortcut != "thanks" || thanks.Body != "Thanks {{contact.name}}, {{agent.name}} here" ||
		!thanks.CreatedAt.Equal(t0) || !thanks.UpdatedAt.Equal(t0) {
		t.Errorf("created %+v: want an id, the shortcut and body tidied, and the times set", thanks)
	}
	refund := inbox.SavedReply{Shortcut: "refund", Body: "Refunds take 5 working days."}
	if err := db.CreateSavedReply(ctx, &refund); err != nil {
		t.Fatal(err)
	}
	if refund.CreatedAt.IsZero() {
		t.Error("a reply created without a time has none")
	}

	got, err := db.SavedReply(ctx, thanks.ID)
	if err != nil || got != thanks {
		t.Errorf("SavedReply = %+v, %v; want %+v", got, err, thanks)
	}
	list, err := db.SavedReplies(ctx)
	if err != nil || len(list) != 2 || list[0].Shortcut != "refund" || list[1].Shortcut != "thanks" {
		t.Fatalf("SavedReplies = %+v, %v; want refund then thanks", list, err)
	}

	// A shortcut is taken once, whatever the case it was typed in.
	dup := inbox.SavedReply{Shortcut: "THANKS", Body: "Another thanks"}
	err = db.CreateSavedReply(ctx, &dup)
	if !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("a second /thanks: %v, want a conflict", err)
	}
	if inv, ok := inbox.AsInvalidSavedReply(err); !ok || !strings.Contains(inv.Shortcut, "/thanks is already") {
		t.Errorf("a second /thanks says %+v", inv)
	}
	if dup.ID != 0 {
		t.Error("a refused reply got an id")
	}
	// What the rules refuse is not written.
	if err := db.CreateSavedReply(ctx, &inbox.SavedReply{Shortcut: "no body"}); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("an invalid reply: %v, want ErrInvalid", err)
	}

	// Edit: a new shortcut and body; the old shortcut is free again.
	edit := inbox.SavedReply{ID: thanks.ID, Shortcut: "ty", Title: "Thank them", Body: "Thank you!", UpdatedAt: t0.Add(time.Hour)}
	if err := db.UpdateSavedReply(ctx, &edit); err != nil {
		t.Fatal(err)
	}
	if !edit.CreatedAt.Equal(t0) || !edit.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after the update: created %v updated %v", edit.CreatedAt, edit.UpdatedAt)
	}
	if got, _ := db.SavedReply(ctx, thanks.ID); got != edit {
		t.Errorf("stored %+v, want %+v", got, edit)
	}
	if err := db.CreateSavedReply(ctx, &inbox.SavedReply{Shortcut: "thanks", Body: "Thanks again"}); err != nil {
		t.Errorf("the freed shortcut: %v", err)
	}
	taken := inbox.SavedReply{ID: thanks.ID, Shortcut: "refund", Body: "x"}
	if err := db.UpdateSavedReply(ctx, &taken); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("renaming onto /refund: %v, want a conflict", err)
	}
	if err := db.UpdateSavedReply(ctx, &inbox.SavedReply{ID: thanks.ID, Shortcut: "ty", Body: ""}); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("emptying the body: %v, want ErrInvalid", err)
	}
	if got, _ := db.SavedReply(ctx, thanks.ID); got != edit {
		t.Errorf("refused updates changed the reply to %+v", got)
	}
	if err := db.UpdateSavedReply(ctx, &inbox.SavedReply{ID: 999, Shortcut: "x", Body: "x"}); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("updating an unknown reply: %v, want ErrNotFound", err)
	}

	// Delete returns what it removed.
	gone, err := db.DeleteSavedReply(ctx, thanks.ID)
	if err != nil || gone != edit {
		t.Errorf("DeleteSavedReply = %+v, %v; want %+v", gone, err, edit)
	}
	if _, err := db.SavedReply(ctx, thanks.ID); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("the deleted reply: %v, want ErrNotFound", err)
	}
	if _, err := db.DeleteSavedReply(ctx, thanks.ID); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
	if list, _ := db.SavedReplies(ctx); len(list) != 2 {
		t.Errorf("%d saved replies left, want 2", len(list))
	}
}

func TestSavedRepliesListUsesTheShortcutIndex(t *testing.T) {
	db := openTest(t)
	if plan := explain(t, db, savedRepliesQuery); badStep(plan) != "" {
		t.Errorf("the saved replies list sorts or scans:\n%s", plan)
	}
}
