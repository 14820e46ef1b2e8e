package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
)

// apiJSON calls the API with a JSON body and decodes the answer into out.
func (ts *testServer) apiJSON(token, method, path, body string, out any) int {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.srv.URL+path, strings.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			ts.t.Fatalf("%s %s: %v in %q", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// POST /api/v1/conversations/{id}/notes: 201 with the note, listed in the
// thread in time order as an internal message; a read token gets 403.
func TestAPINote(t *testing.T) {
	ts := newTestServer(t)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now().Add(-time.Minute)))
	conv := ts.mustMessage("msg_1").ConversationID
	path := "/api/v1/conversations/" + itoa(conv) + "/notes"

	var note apiMessage
	if status := ts.apiJSON(ts.token, http.MethodPost, path, `{"text":"Called them, order W-7781 is late"}`, &note); status != http.StatusCreated {
		t.Fatalf("POST notes: %d", status)
	}
	if note.Direction != "internal" || note.Type != "note" || note.Text != "Called them, order W-7781 is late" || note.ConversationID != conv {
		t.Errorf("note = %+v", note)
	}
	var msgs struct{ Items []apiMessage }
	ts.mustGet("/api/v1/conversations/"+itoa(conv)+"/messages", &msgs)
	if len(msgs.Items) != 2 || msgs.Items[0].Direction != "inbound" || msgs.Items[1].ID != note.ID {
		t.Errorf("thread = %+v, want the message then the note", msgs.Items)
	}
	var c struct {
		LastMessagePreview string `json:"lastMessagePreview"`
	}
	ts.mustGet("/api/v1/conversations/"+itoa(conv), &c)
	if c.LastMessagePreview != "Hello" {
		t.Errorf("the note became the conversation's preview: %+v", c)
	}
	var found struct {
		Items []struct {
			MessageID *int64 `json:"messageId"`
		} `json:"items"`
	}
	ts.mustGet("/api/v1/search?q=W-7781", &found)
	if len(found.Items) != 1 || found.Items[0].MessageID == nil || *found.Items[0].MessageID != note.ID {
		t.Errorf("search found %+v, want the note", found.Items)
	}

	var e apiErrorBody
	if status := ts.apiJSON(ts.token, http.MethodPost, path, `{"text":"  "}`, &e); status != http.StatusBadRequest || e.Error.Code != "empty_note" {
		t.Errorf("empty note: %d %+v", status, e)
	}
	read, _ := ts.newToken("dashboard", inbox.ScopeRead)
	if status := ts.apiJSON(read, http.MethodPost, path, `{"text":"hi"}`, &e); status != http.StatusForbidden || e.Error.Code != "forbidden" {
		t.Errorf("read token: %d %+v", status, e)
	}
	if status := ts.apiJSON(ts.token, http.MethodPost, "/api/v1/conversations/999/notes", `{"text":"hi"}`, &e); status != http.StatusNotFound {
		t.Errorf("note on no conversation: %d", status)
	}
}

// The API's send guard is off unless draftSince is given; with it, a
// reply after a customer's new message is 409 with what changed.
func TestAPIReplySendGuard(t *testing.T) {
	ts := newTestServer(t)
	now := time.Now().Add(-time.Minute)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", now))
	first := ts.mustMessage("msg_1")
	path := "/api/v1/conversations/" + itoa(first.ConversationID) + "/messages"
	ts.mustPost(inboundText("evt_2", "msg_2", "Are you there?", now.Add(time.Second)))
	second := ts.mustMessage("msg_2")

	var stopped struct {
		Error    struct{ Code, Message string }
		Latest   int64
		Messages []apiMessage
	}
	status := ts.apiJSON(ts.token, http.MethodPost, path, `{"text":"Hi!","draftSince":`+itoa(first.ID)+`}`, &stopped)
	if status != http.StatusConflict || stopped.Error.Code != "draft_changed" || stopped.Latest != second.ID ||
		len(stopped.Messages) != 1 || stopped.Messages[0].Text != "Are you there?" {
		t.Fatalf("guarded reply: %d %+v", status, stopped)
	}
	if !strings.Contains(stopped.Error.Message, "the customer wrote again") {
		t.Errorf("message %q", stopped.Error.Message)
	}
	var sent apiMessage
	if status := ts.apiJSON(ts.token, http.MethodPost, path, `{"text":"Hi!","draftSince":`+itoa(stopped.Latest)+`}`, &sent); status != http.StatusAccepted {
		t.Errorf("second send: %d", status)
	}
	if status := ts.apiJSON(ts.token, http.MethodPost, path, `{"text":"No guard"}`, &sent); status != http.StatusAccepted {
		t.Errorf("reply without draftSince: %d", status)
	}
}

// In the pages: a note with @Ben reaches Ben's Mentions badge and view;
// Ben's reply stops Ana's draft with his answer shown, and her second
// Send goes; assigning and resolving leave activity lines.
func TestPagesNotesMentionsGuardAndActivity(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana María", inbox.RoleAgent)
	benUser := ts.addUser("ben@example.com", "Ben Okafor", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my order?", time.Now().Add(-time.Minute)))
	first := ts.mustMessage("msg_1")
	conv := itoa(first.ConversationID)
	ana, ben := ts.newAgent(), ts.newAgent()
	ana.login("ana@example.com")
	ben.login("ben@example.com")

	if p := ben.get("/inbox"); p.find("mentions-badge").Text() != "0" {
		t.Fatalf("badge before any mention: %q", p.find("mentions-badge").Text())
	}
	p := ana.post("/conversations/"+conv+"/notes", url.Values{"text": {"@Ben Okafor can you check the courier?"}})
	if p.status != http.StatusOK || p.find("note").Length() != 1 || !strings.Contains(p.find("note-label").Text(), "Note by Ana María") {
		t.Fatalf("note: %d %s", p.status, p.body)
	}
	if got := ben.get("/inbox").find("mentions-badge"); got.Text() != "1" || got.AttrOr("hidden", "none") != "none" {
		t.Errorf("Ben's badge %q", got.Text())
	}
	if got := ana.get("/inbox").find("mentions-badge").Text(); got != "0" {
		t.Errorf("Ana's badge %q", got)
	}
	m := ben.get("/mentions")
	if items := m.find("mention-item"); items.Length() != 1 || items.AttrOr("data-unseen", "") != "true" ||
		!strings.Contains(items.Text(), "can you check the courier") {
		t.Errorf("Ben's mentions: %s", m.body)
	}
	th := ben.htmx("/conversations/" + conv)
	if th.find("note").Length() != 1 {
		t.Errorf("the thread shows %d notes", th.find("note").Length())
	}
	if got := ben.get("/inbox").find("mentions-badge").Text(); got != "0" {
		t.Errorf("Ben's badge after opening the thread: %q", got)
	}

	// Ana starts a draft from the note (the newest message she has); Ben
	// answers; Ana's Send is stopped with Ben's answer.
	draft := th.find("note").AttrOr("id", "")[2:]
	if p := ben.post("/conversations/"+conv+"/messages", url.Values{"text": {"It left today"}}); p.status != http.StatusOK {
		t.Fatalf("Ben's reply: %d %s", p.status, p.body)
	}
	p = ana.post("/conversations/"+conv+"/messages", url.Values{"text": {"Let me check"}, "draftSince": {draft}})
	var stopped struct {
		Error  struct{ Code, Message string }
		Latest int64
		HTML   string
	}
	if err := json.Unmarshal([]byte(p.body), &stopped); err != nil || p.status != http.StatusConflict ||
		stopped.Error.Code != "draft_changed" || !strings.Contains(stopped.HTML, "It left today") ||
		!strings.Contains(stopped.Error.Message, "Ben Okafor replied") {
		t.Fatalf("guarded send: %d %s", p.status, p.body)
	}
	if p := ana.post("/conversations/"+conv+"/messages", url.Values{"text": {"Let me check"}, "draftSince": {itoa(stopped.Latest)}}); p.status != http.StatusOK {
		t.Fatalf("second send: %d %s", p.status, p.body)
	}

	// Ana assigns it to Ben and resolves it: both show in the thread.
	if p := ana.post("/conversations/"+conv+"/assign", url.Values{"assignee": {itoa(benUser.ID)}}); p.status != http.StatusNoContent {
		t.Fatalf("assign: %d", p.status)
	}
	if p := ana.post("/conversations/"+conv+"/status", url.Values{"status": {"resolved"}}); p.status != http.StatusNoContent {
		t.Fatalf("resolve: %d", p.status)
	}
	// The same assignment again records nothing.
	ana.post("/conversations/"+conv+"/assign", url.Values{"assignee": {itoa(benUser.ID)}})
	lines := ana.htmx("/conversations/" + conv).find("activity-text")
	var got []string
	lines.Each(func(_ int, s *goquery.Selection) { got = append(got, strings.Join(strings.Fields(s.Text()), " ")) })
	if strings.Join(got, "|") != "Ana María assigned this to Ben Okafor|Resolved by Ana María" {
		t.Errorf("activity lines %q", got)
	}
}
