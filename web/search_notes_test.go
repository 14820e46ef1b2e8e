package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A note found by the search box says it is a note, so that an agent does
// not take the team's own words for what the customer wrote or was sent.
func TestSearchSaysWhichResultIsANote(t *testing.T) {
	ts := newTestServer(t)
	a := ts.admin()
	ts.mustPost(inboundText("evt_1", "msg_1", "I want a refund for the blue shoes", time.Now().Add(-time.Minute)))
	conv := ts.mustMessage("msg_1").ConversationID
	var note apiMessage
	if status := ts.apiJSON(ts.token, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/notes", conv),
		`{"text":"No refund: the shoes were worn, says the warehouse"}`, &note); status != http.StatusCreated {
		t.Fatalf("POST notes: %d", status)
	}
	ts.settle()
	var hits []string
	deadline := time.Now().Add(30 * time.Second) // the index follows the writer; a loaded machine is slow
	for {
		p := a.htmx("/search?q=refund")
		hits = hits[:0]
		notes := 0
		sel := p.find("search-hit")
		for i := range sel.Length() {
			h := sel.Eq(i)
			kind := strings.TrimSpace(h.Find(".search-hit-kind").Text())
			hits = append(hits, h.AttrOr("href", "")+" ["+kind+"]")
			isNote := strings.Contains(h.AttrOr("href", ""), fmt.Sprintf("at=%d#", note.ID))
			if isNote != (kind == "Note") {
				t.Fatalf("search results %v: the note must be marked Note, and only the note", hits)
			}
			if isNote {
				notes++
			}
		}
		if notes == 1 && len(hits) == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("search results %v, want the message and the note", hits)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
