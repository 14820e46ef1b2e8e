package web_test

import (
	"net/http"
	"net/url"
	"strings"
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

// A saved view of a label an admin deleted since: the inbox showing it
// says which label it filters by and that the label is gone, rather than
// showing "All labels" over an empty list.
func TestSavedViewOfADeletedLabelSaysSo(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.admin()
	admin.get("/admin/labels")
	if p := admin.post("/admin/labels", url.Values{"name": {"refund"}, "colour": {"red"}, "csrf": {admin.csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("add a label: %d %s", p.status, p.body)
	}
	ids := ts.conversations(2)
	if status, _, _ := ts.patch(ts.token, ids[1], `{"labels":["refund"]}`); status != http.StatusOK {
		t.Fatal(status)
	}
	labels, err := ts.db.Labels(t.Context())
	if err != nil || len(labels) != 1 {
		t.Fatalf("labels: %v %v", labels, err)
	}
	if _, err := ts.db.DeleteLabel(t.Context(), labels[0].ID); err != nil {
		t.Fatal(err)
	}
	sel := admin.get("/inbox?label=refund").find("filter-label").Find("option[selected]")
	if sel.Length() != 1 || sel.AttrOr("value", "") != "refund" || !strings.Contains(sel.Text(), "deleted") {
		t.Errorf("the label filter of a view of the deleted label refund shows %d chosen (%q %q), want refund, deleted",
			sel.Length(), sel.AttrOr("value", ""), sel.Text())
	}
}
