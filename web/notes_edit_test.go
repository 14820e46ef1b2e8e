package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// Through the pages: Ana edits her note; Ben's open thread gets the new
// bubble marked edited over the websocket, Ben is no longer mentioned and
// Cara is; Ben cannot edit or delete Ana's note; Ana deletes it and Ben's
// page drops the bubble.
func TestPagesEditAndDeleteNote(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana María", inbox.RoleAgent)
	ts.addUser("ben@example.com", "Ben Okafor", inbox.RoleAgent)
	ts.addUser("cara@example.com", "Cara", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my order?", time.Now().Add(-time.Minute)))
	convID := ts.mustMessage("msg_1").ConversationID
	conv := itoa(convID)
	ana, ben, cara := ts.newAgent(), ts.newAgent(), ts.newAgent()
	ana.login("ana@example.com")
	ben.login("ben@example.com")
	cara.login("cara@example.com")

	p := ana.post("/conversations/"+conv+"/notes", url.Values{"text": {"@Ben Okafor can you check the courier?"}})
	if p.status != http.StatusOK {
		t.Fatalf("note: %d %s", p.status, p.body)
	}
	noteID := p.find("note").AttrOr("id", "")[2:]
	path := "/conversations/" + conv + "/notes/" + noteID
	if n := ben.get("/mentions").find("mention-item").Length(); n != 1 {
		t.Fatalf("Ben's mentions before the edit: %d", n)
	}
	ben.get("/inbox")
	conn := ben.live()
	subscribe(t, ts, conn, "", convID)

	if p := ben.post(path, url.Values{"text": {"mine now"}}); p.status != http.StatusForbidden {
		t.Errorf("Ben edits Ana's note: %d %s", p.status, p.body)
	}
	if p := ben.post(path+"/delete", nil); p.status != http.StatusForbidden {
		t.Errorf("Ben deletes Ana's note: %d %s", p.status, p.body)
	}
	p = ana.post(path, url.Values{"text": {"@Cara can you check the courier?"}})
	if p.status != http.StatusOK || p.find("note-edited").Length() != 1 || !strings.Contains(p.find("note").Text(), "@Cara can you check") {
		t.Fatalf("edit: %d %s", p.status, p.body)
	}
	msg := nextContaining(t, conn, "@Cara can you check")
	if !strings.Contains(msg, `id="m-`+noteID+`"`) || !strings.Contains(msg, "note-edited") {
		t.Errorf("Ben's page got %s", msg)
	}
	if n := ben.get("/mentions").find("mention-item").Length(); n != 0 {
		t.Errorf("Ben still lists %d mentions", n)
	}
	if items := cara.get("/mentions").find("mention-item"); items.Length() != 1 || !strings.Contains(items.Text(), "@Cara can you check") {
		t.Errorf("Cara's mentions: %d", items.Length())
	}
	if got := ana.post(path, url.Values{"text": {"  "}}); got.status != http.StatusBadRequest {
		t.Errorf("empty edit: %d", got.status)
	}

	if p := ana.post(path+"/delete", nil); p.status != http.StatusOK {
		t.Fatalf("delete: %d %s", p.status, p.body)
	}
	nextContaining(t, conn, `data-live="gone-msg" data-message="`+noteID+`"`)
	if n := ben.htmx("/conversations/" + conv).find("note").Length(); n != 0 {
		t.Errorf("the thread still shows %d notes", n)
	}
	if n := cara.get("/mentions").find("mention-item").Length(); n != 0 {
		t.Errorf("Cara still lists %d mentions", n)
	}
}

// PATCH and DELETE /api/v1/conversations/{id}/notes/{noteId}: 200 with
// the edited note, 204 on delete, errors in the API's shape.
func TestAPIEditAndDeleteNote(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana María", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now().Add(-time.Minute)))
	first := ts.mustMessage("msg_1")
	conv := itoa(first.ConversationID)
	var note apiMessage
	if status := ts.apiJSON(ts.token, http.MethodPost, "/api/v1/conversations/"+conv+"/notes", `{"text":"order W-7781 late"}`, &note); status != http.StatusCreated {
		t.Fatalf("POST notes: %d", status)
	}
	path := "/api/v1/conversations/" + conv + "/notes/" + itoa(note.ID)

	var edited apiMessage
	if status := ts.apiJSON(ts.token, http.MethodPatch, path, `{"text":"order W-9902 late"}`, &edited); status != http.StatusOK ||
		edited.ID != note.ID || edited.Text != "order W-9902 late" || edited.Type != "note" {
		t.Errorf("PATCH: %d %+v", status, edited)
	}
	var found struct{ Items []struct{ MessageID *int64 } }
	ts.mustGet("/api/v1/search?q=W-7781", &found)
	if len(found.Items) != 0 {
		t.Errorf("the old text is still found: %+v", found.Items)
	}
	ts.mustGet("/api/v1/search?q=W-9902", &found)
	if len(found.Items) != 1 {
		t.Errorf("the new text is not found: %+v", found.Items)
	}

	var e apiErrorBody
	if status := ts.apiJSON(ts.token, http.MethodPatch, path, `{"text":" "}`, &e); status != http.StatusBadRequest || e.Error.Code != "empty_note" {
		t.Errorf("empty: %d %+v", status, e)
	}
	if status := ts.apiJSON(ts.token, http.MethodPatch, "/api/v1/conversations/"+conv+"/notes/"+itoa(first.ID), `{"text":"x"}`, &e); status != http.StatusNotFound || e.Error.Code != "not_found" {
		t.Errorf("a customer's message as a note: %d %+v", status, e)
	}
	read, _ := ts.newToken("dashboard", inbox.ScopeRead)
	if status := ts.apiJSON(read, http.MethodDelete, path, ``, &e); status != http.StatusForbidden || e.Error.Code != "forbidden" {
		t.Errorf("read token deletes: %d %+v", status, e)
	}
	// An agent's note is the agent's to edit; a token may delete it.
	agentNote, _, _, err := ts.db.AddNote(t.Context(), inbox.Note{ConversationID: first.ConversationID, AuthorID: &ana.ID, Text: "mine", At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	agentPath := "/api/v1/conversations/" + conv + "/notes/" + itoa(agentNote.ID)
	if status := ts.apiJSON(ts.token, http.MethodPatch, agentPath, `{"text":"theirs"}`, &e); status != http.StatusForbidden || e.Error.Code != "forbidden" {
		t.Errorf("a token edits an agent's note: %d %+v", status, e)
	}
	if status := ts.apiJSON(ts.token, http.MethodDelete, agentPath, ``, nil); status != http.StatusNoContent {
		t.Errorf("a token deletes an agent's note: %d", status)
	}
	if status := ts.apiJSON(ts.token, http.MethodDelete, path, ``, nil); status != http.StatusNoContent {
		t.Errorf("DELETE: %d", status)
	}
	if status := ts.apiJSON(ts.token, http.MethodDelete, path, ``, &e); status != http.StatusNotFound || e.Error.Code != "not_found" {
		t.Errorf("DELETE again: %d %+v", status, e)
	}
	ts.mustGet("/api/v1/search?q=W-9902", &found)
	if len(found.Items) != 0 {
		t.Errorf("the deleted note is still found: %+v", found.Items)
	}
}
