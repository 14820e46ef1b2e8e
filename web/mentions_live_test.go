package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// An open Mentions page is live: a new mention of its agent comes over
// its websocket as the item to put at the top.
func TestLiveMentionReachesAnOpenMentionsPage(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana María", inbox.RoleAgent)
	ts.addUser("ben@example.com", "Ben Okafor", inbox.RoleAgent)
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550001", "Zoe", "Where is my order?", time.Now().Add(-time.Minute)))
	conv := itoa(ts.mustMessage("msg_1").ConversationID)
	ana, ben := ts.newAgent(), ts.newAgent()
	ana.login("ana@example.com")
	ben.login("ben@example.com")

	page := ben.get("/mentions")
	if !strings.Contains(page.body, `data-live="/ws"`) || page.find("mentions-empty").Length() != 1 {
		t.Fatalf("the Mentions page is not live or not empty:\n%s", page.body)
	}
	cb := ben.live()
	waitClients(t, ts, 1)
	subscribe(t, ts, cb, "", 0)

	if p := ana.post("/conversations/"+conv+"/notes", url.Values{"text": {"@Ben Okafor can you check the courier?"}}); p.status != http.StatusOK {
		t.Fatalf("note: %d", p.status)
	}
	got := nextContaining(t, cb, `data-live="mention-item"`)
	item := fragment(t, got, `<template data-live="mention-item">`, `</template>`)
	for _, want := range []string{`id="mention-c-` + conv + `"`, "Zoe", "Ana María", "can you check the courier?", `data-unseen="true"`} {
		if !strings.Contains(item, want) {
			t.Errorf("the live item lacks %s:\n%s", want, item)
		}
	}
}

// Ben has his Mentions page open when Ana edits the note that mentions him,
// then deletes it: the page shows the note's new text, then no longer
// lists it, rather than a note that is no longer so, or no longer there.
func TestLiveMentionsPageFollowsANoteEditedAndDeleted(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana María", inbox.RoleAgent)
	ts.addUser("ben@example.com", "Ben Okafor", inbox.RoleAgent)
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550001", "Zoe", "Where is my order?", time.Now().Add(-time.Minute)))
	conv := itoa(ts.mustMessage("msg_1").ConversationID)
	ana, ben := ts.newAgent(), ts.newAgent()
	ana.login("ana@example.com")
	ben.login("ben@example.com")

	p := ana.post("/conversations/"+conv+"/notes", url.Values{"text": {"@Ben Okafor can you check the courier?"}})
	if p.status != http.StatusOK {
		t.Fatalf("note: %d", p.status)
	}
	path := "/conversations/" + conv + "/notes/" + p.find("note").AttrOr("id", "")[2:]
	if n := ben.get("/mentions").find("mention-item").Length(); n != 1 {
		t.Fatalf("Ben's Mentions page lists %d items, want 1", n)
	}
	cb := ben.live()
	waitClients(t, ts, 1)
	subscribe(t, ts, cb, "", 0)

	if p := ana.post(path, url.Values{"text": {"@Ben Okafor the courier says Tuesday, tell Zoe"}}); p.status != http.StatusOK {
		t.Fatalf("edit: %d %s", p.status, p.body)
	}
	got := nextContaining(t, cb, `data-live="mention-item"`)
	item := fragment(t, got, `<template data-live="mention-item"`, `</template>`)
	if !strings.Contains(item, `id="mention-c-`+conv+`"`) || !strings.Contains(item, "the courier says Tuesday") {
		t.Errorf("Ben's item after the edit:\n%s", item)
	}
	if p := ana.post(path+"/delete", url.Values{}); p.status != http.StatusOK {
		t.Fatalf("delete: %d %s", p.status, p.body)
	}
	got = nextContaining(t, cb, `data-live="mention-gone"`)
	if !strings.Contains(got, `data-conversation="`+conv+`"`) {
		t.Errorf("Ben's page is not told which mention is gone:\n%s", got)
	}
}
