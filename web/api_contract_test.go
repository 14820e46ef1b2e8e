package web_test

import (
	"net/http"
	"strconv"
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
