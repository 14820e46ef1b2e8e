package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// The API names an agent's attachment as the agents' pages do, by its
// /media path, which serves it to signed-in agents only: never by the
// signed link Zavu fetches it from, which hands the file to whoever holds
// it for a week, whatever becomes of the token that read it.
func TestTheAPIGivesAnAttachmentsMediaPathNotItsSignedLink(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Can you send a photo?", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	p := a.upload(fmt.Sprintf("/conversations/%d/messages", conv), "shelf.png", pngBytes(t), "Here it is")
	if p.status != http.StatusOK {
		t.Fatalf("upload: %d %s", p.status, p.body)
	}
	src := p.find("message").Find("img").AttrOr("src", "")
	var one apiMessage
	if status := ts.get("/api/v1/messages/"+strings.TrimPrefix(src, "/media/"), &one); status != http.StatusOK {
		t.Fatalf("message: %d", status)
	}
	var thread struct{ Items []apiMessage }
	ts.mustGet(fmt.Sprintf("/api/v1/conversations/%d/messages", conv), &thread)
	for _, m := range append(thread.Items, one) {
		if m.Direction != "outbound" {
			continue
		}
		if got := m.Content["mediaUrl"]; got != src || m.Content["mimeType"] != "image/png" || m.Content["filename"] != "shelf.png" {
			t.Errorf("message %d: content %v, want mediaUrl %q, image/png, shelf.png", m.ID, m.Content, src)
		}
	}
	if strings.Contains(fmt.Sprint(one.Content, thread.Items), "/files/") {
		t.Errorf("the API gave the signed link: %v", one.Content)
	}
	stored, err := ts.db.Message(t.Context(), one.ID)
	if err != nil || stored.Content == nil || !strings.Contains(stored.Content.MediaURL, "/files/") {
		t.Errorf("stored content %+v (%v): Zavu's link is gone", stored.Content, err)
	}
}
