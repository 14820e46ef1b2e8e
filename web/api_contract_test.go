package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// A message's source is one of customer, agent, auto_reply, phone_app and
// api (DESIGN.md), and api where a script did it: the thread's lines that
// record what a token changed through PATCH say so, as its notes and
// replies do, not switchboard (which marks a line no one did).
func TestAPIChangesRecordTheirLinesAsTheAPIs(t *testing.T) {
	ts := newTestServer(t)
	ts.label("refund", "red")
	ben := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	conv := ts.conversations(1)[0]
	until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	for _, body := range []string{
		`{"assigneeId":` + strconv.FormatInt(ben.ID, 10) + `,"labels":["refund"]}`,
		`{"status":"snoozed","snoozedUntil":"` + until.Format(time.RFC3339) + `"}`,
		`{"status":"resolved"}`,
	} {
		if status, _, e := ts.patch(ts.token, conv, body); status != http.StatusOK {
			t.Fatalf("PATCH %s: %d %+v", body, status, e)
		}
	}
	var page apiPage[apiMessage]
	ts.mustGet("/api/v1/conversations/"+itoa(conv)+"/messages", &page)
	lines := 0
	for _, m := range page.Items {
		if m.Type != "activity" {
			continue
		}
		lines++
		if m.Source != "api" || m.AuthorID != nil || m.Direction != "internal" {
			t.Errorf("line %v made through the API: source %q, author %v, direction %q; want api, none, internal",
				m.Content["activity"], m.Source, m.AuthorID, m.Direction)
		}
	}
	// Assigned, label added, snoozed, snooze ended, resolved.
	if lines != 5 {
		t.Errorf("%d activity lines, want 5: %+v", lines, page.Items)
	}
}

// A reply's and a note's body is {text} or {templateId,
// templateVariables} (and the send guard's draftSince): a field spelt
// otherwise is refused with 400 unknown_field, as PATCH refuses one, and
// nothing is sent. Ignored, a misspelt draftSince sent the reply without
// the guard, and a misspelt templateVariables failed later at Zavu.
func TestAPIReplyAndNoteRefuseUnknownFields(t *testing.T) {
	ts := newTestServer(t)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now().Add(-time.Minute)))
	conv := itoa(ts.mustMessage("msg_1").ConversationID)
	for _, c := range []struct{ path, body string }{
		{"/messages", `{"text":"Hi","draft_since":1}`},
		{"/messages", `{"text":"Hi","Draftsince":1}`},
		{"/messages", `{"Text":"Hi"}`},
		{"/messages", `{"templateId":"tmpl_1","templateVars":{"1":"Ann"}}`},
		{"/notes", `{"text":"Called them","author":"Ana"}`},
		{"/notes", `{"Text":"Called them"}`},
	} {
		status, e := ts.apiCall(ts.token, http.MethodPost, "/api/v1/conversations/"+conv+c.path, c.body)
		if status != http.StatusBadRequest || e.Error.Code != "unknown_field" {
			t.Errorf("POST %s %s: %d %+v, want 400 unknown_field", c.path, c.body, status, e)
		}
		// The answer names the fields there are, in words.
		if c.path == "/notes" && !strings.HasSuffix(e.Error.Message, "; use text.") {
			t.Errorf("POST %s %s: %q, want it to end \"; use text.\"", c.path, c.body, e.Error.Message)
		}
	}
	var page apiPage[apiMessage]
	ts.mustGet("/api/v1/conversations/"+conv+"/messages", &page)
	if len(page.Items) != 1 {
		t.Errorf("the thread holds %d messages, want only the customer's: %+v", len(page.Items), page.Items)
	}
	// The documented fields still go through.
	for _, c := range []struct {
		path, body string
		want       int
	}{
		{"/messages", `{"text":"Hi"}`, http.StatusAccepted},
		{"/notes", `{"text":"Called them"}`, http.StatusCreated},
	} {
		if status, e := ts.apiCall(ts.token, http.MethodPost, "/api/v1/conversations/"+conv+c.path, c.body); status != c.want {
			t.Errorf("POST %s %s: %d %+v, want %d", c.path, c.body, status, e, c.want)
		}
	}
}

// A field of a reply's or a note's body given as the wrong type is
// refused naming the field and what it takes: "draftSince": "42" (a
// message id as a string) was told only the body's shape, which does not
// mention draftSince, and nothing is sent.
func TestAPIReplyNamesAFieldOfTheWrongType(t *testing.T) {
	ts := newTestServer(t)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now().Add(-time.Minute)))
	conv := itoa(ts.mustMessage("msg_1").ConversationID)
	for _, c := range []struct{ path, body, says string }{
		{"/messages", `{"text":"Hi","draftSince":"42"}`, "draftSince must be a whole number"},
		{"/messages", `{"text":"Hi","draftSince":4.5}`, "draftSince must be a whole number"},
		{"/messages", `{"text":42}`, "text must be a string"},
		{"/messages", `{"templateId":"tmpl_1","templateVariables":{"1":42}}`, "each value of templateVariables must be a string"},
		{"/messages", `{"templateId":"tmpl_1","templateVariables":["Ann"]}`, "templateVariables must be an object"},
		{"/notes", `{"text":["Called them"]}`, "text must be a string"},
	} {
		status, e := ts.apiCall(ts.token, http.MethodPost, "/api/v1/conversations/"+conv+c.path, c.body)
		if status != http.StatusBadRequest || e.Error.Code != "invalid_body" || !strings.Contains(e.Error.Message, c.says) {
			t.Errorf("POST %s %s: %d %+v, want 400 invalid_body saying %q", c.path, c.body, status, e, c.says)
		}
	}
	var page apiPage[apiMessage]
	ts.mustGet("/api/v1/conversations/"+conv+"/messages", &page)
	if len(page.Items) != 1 {
		t.Errorf("the thread holds %d messages, want only the customer's: %+v", len(page.Items), page.Items)
	}
}

// A snooze's line in the thread gives its time as the conversation's
// snoozedUntil gives it, in UTC to the millisecond, whatever the script
// wrote: the line gave back "2030-01-01T00:00:00.123456+05:00" as typed
// beside a snoozedUntil of "2029-12-31T19:00:00.123Z", so a script
// comparing them found a snooze changed.
func TestAPISnoozeLineInUTCAsTheConversation(t *testing.T) {
	ts := newTestServer(t)
	conv := ts.conversations(1)[0]
	until := time.Now().Add(2 * time.Hour).In(time.FixedZone("", 5*3600)).Truncate(time.Second).Add(123456 * time.Microsecond)
	status, c, e := ts.patch(ts.token, conv, `{"status":"snoozed","snoozedUntil":"`+until.Format(time.RFC3339Nano)+`"}`)
	if status != http.StatusOK || c.SnoozedUntil == nil {
		t.Fatalf("snooze: %d %+v %+v", status, c, e)
	}
	var page apiPage[apiMessage]
	ts.mustGet("/api/v1/conversations/"+itoa(conv)+"/messages", &page)
	lines := 0
	for _, m := range page.Items {
		act, _ := m.Content["activity"].(map[string]any)
		if act["kind"] != "snoozed" {
			continue
		}
		lines++
		s, _ := act["until"].(string)
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !strings.HasSuffix(s, "Z") || !at.Equal(*c.SnoozedUntil) {
			t.Errorf("the snooze's line says until %q, the conversation %s: want the same time, in UTC", s, c.SnoozedUntil.UTC().Format(time.RFC3339Nano))
		}
	}
	if lines != 1 {
		t.Errorf("%d snooze lines, want 1: %+v", lines, page.Items)
	}
}

// A read refuses a query parameter it does not take, naming those it
// does: ?assigneeId=5 on the conversations list (the search takes it,
// the list does not) answered every conversation, as if filtered, and a
// misspelt ?labelid= or ?Status= alike.
func TestAPIReadsRefuseUnknownParameters(t *testing.T) {
	ts := newTestServer(t)
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my order?", time.Now().Add(-time.Minute)))
	m := ts.mustMessage("msg_1")
	conv, msg := itoa(m.ConversationID), itoa(m.ID)
	for _, c := range []struct{ path, param, names string }{
		{"/api/v1/conversations?assigneeId=5", "assigneeId", "status, label, limit or cursor"},
		{"/api/v1/conversations?status=open&Status=resolved", "Status", "status, label, limit or cursor"},
		{"/api/v1/conversations/" + conv + "?fields=id", "fields", "it takes none"},
		{"/api/v1/conversations/" + conv + "/messages?cursor=x", "cursor", "limit or before"},
		{"/api/v1/messages/" + msg + "?expand=reactions", "expand", "it takes none"},
		{"/api/v1/events?status=failed", "status", "state, limit or cursor"},
		{"/api/v1/search?q=order&labelid=3", "labelid", "labelId"},
		{"/api/v1/contacts?name=Ana", "name", "q, limit or cursor"},
		{"/api/v1/contacts/" + itoa(m.ConversationID) + "?x=1", "x", "it takes none"},
		{"/api/v1/reports/summary?agent=1", "agent", "agentId"},
		{"/api/v1/reports/export.csv?compare=previous", "compare", "labelId"},
	} {
		status, out := ts.apiCall(ts.token, http.MethodGet, c.path, "")
		if status != http.StatusBadRequest || out.Error.Code != "unknown_parameter" ||
			!strings.Contains(out.Error.Message, `"`+c.param+`"`) || !strings.Contains(out.Error.Message, c.names) {
			t.Errorf("GET %s: %d %+v, want 400 unknown_parameter naming %s and %s", c.path, status, out, c.param, c.names)
		}
	}
	for _, path := range []string{
		"/api/v1/conversations?status=open&label=&limit=5&cursor=",
		"/api/v1/conversations/" + conv + "/messages?limit=5",
		"/api/v1/search?q=order&assigneeId=none&from=2020-01-01",
		"/api/v1/reports/summary?compare=previous&channel=whatsapp",
	} {
		if status, out := ts.apiCall(ts.token, http.MethodGet, path, ""); status != http.StatusOK {
			t.Errorf("GET %s: %d %+v, want 200", path, status, out)
		}
	}
}
