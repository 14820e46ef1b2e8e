package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"switchboard/inbox"
)

// An agent deletes a view they saved, from the inbox showing it; a shared
// view of a teammate offers them no delete (an admin may delete it).
func TestSavedViewCanBeDeletedFromTheInbox(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	ts.addUser("cleo@example.com", "Cleo", inbox.RoleAgent)
	ben, cleo := ts.newAgent(), ts.newAgent()
	ben.login("ben@example.com")
	cleo.login("cleo@example.com")
	if p := ben.post("/views", url.Values{"name": {"Texts"}, "filter": {"channel=sms"}, "shared": {"1"}, "csrf": {ben.csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("save a view: %d %s", p.status, p.body)
	}
	if p := cleo.get("/inbox?channel=sms"); p.find("saved-view-delete").Length() != 0 {
		t.Errorf("Cleo is offered to delete Ben's shared view")
	}
	p := ben.get("/inbox?channel=sms")
	del := p.find("saved-view-delete")
	if del.Length() != 1 {
		t.Fatalf("the inbox showing Ben's view offers no way to delete it (%d buttons)", del.Length())
	}
	action := del.AttrOr("formaction", "")
	fields := formFields(p, "save-view")
	if got := ben.do(http.MethodPost, action, fields, nil); got.status != http.StatusSeeOther {
		t.Fatalf("delete the view: %d %s", got.status, got.body)
	}
	for who, a := range map[string]*agent{"Ben": ben, "Cleo": cleo} {
		if n := a.get("/inbox").find("saved-view").Length(); n != 0 {
			t.Errorf("%s's navigation still has %d saved views", who, n)
		}
	}
}
