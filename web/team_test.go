package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
)

// teamConversation is a conversation as the API gives it, with labels and
// snooze.
type teamConversation struct {
	ID           int64      `json:"id"`
	Status       string     `json:"status"`
	AssigneeID   *int64     `json:"assigneeId"`
	Labels       []string   `json:"labels"`
	SnoozedUntil *time.Time `json:"snoozedUntil"`
}

// patch sends PATCH /api/v1/conversations/{id} and decodes the answer.
func (ts *testServer) patch(token string, id int64, body string) (int, teamConversation, apiErrorBody) {
	ts.t.Helper()
	req, err := http.NewRequest(http.MethodPatch, ts.srv.URL+"/api/v1/conversations/"+strconv.FormatInt(id, 10), strings.NewReader(body))
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
	var c teamConversation
	var e apiErrorBody
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &c); err != nil {
			ts.t.Fatalf("PATCH %d: %v in %s", id, err, b)
		}
	} else {
		_ = json.Unmarshal(b, &e)
	}
	return resp.StatusCode, c, e
}

// conversations starts n conversations with different customers, the
// last one newest.
func (ts *testServer) conversations(n int) []int64 {
	ts.t.Helper()
	var ids []int64
	for i := range n {
		c, err := ts.db.StartConversation(context.Background(), "snd_1", inbox.WhatsApp,
			fmt.Sprintf("+1415555%04d", i), time.Now().Add(time.Duration(i)*time.Second))
		if err != nil {
			ts.t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

func (ts *testServer) label(name, colour string) {
	ts.t.Helper()
	if err := ts.db.CreateLabel(context.Background(), &inbox.Label{Name: name, Colour: colour, CreatedAt: time.Now()}); err != nil {
		ts.t.Fatal(err)
	}
}

func listed(t *testing.T, ts *testServer, query string) []int64 {
	t.Helper()
	var page apiPage[teamConversation]
	ts.mustGet("/api/v1/conversations?"+query, &page)
	var ids []int64
	for _, c := range page.Items {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestAPIPatchConversation(t *testing.T) {
	ts := newTestServer(t)
	ts.label("refund", "red")
	ts.label("vip", "blue")
	ids := ts.conversations(2)
	a, b := ids[0], ids[1]
	agent := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)

	status, c, e := ts.patch(ts.token, a, `{"labels":["Refund","vip"],"assigneeId":`+strconv.FormatInt(agent.ID, 10)+`}`)
	if status != http.StatusOK || !slices.Equal(c.Labels, []string{"refund", "vip"}) || c.AssigneeID == nil || *c.AssigneeID != agent.ID {
		t.Fatalf("labels and assignee: %d %+v %+v", status, c, e)
	}
	if got := listed(t, ts, "label=refund"); !slices.Equal(got, []int64{a}) {
		t.Errorf("label=refund lists %v, want %d", got, a)
	}

	until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	status, c, e = ts.patch(ts.token, b, `{"status":"snoozed","snoozedUntil":"`+until.Format(time.RFC3339)+`"}`)
	if status != http.StatusOK || c.Status != "snoozed" || c.SnoozedUntil == nil || !c.SnoozedUntil.Equal(until) {
		t.Fatalf("snooze: %d %+v %+v", status, c, e)
	}
	if got := listed(t, ts, "status=open"); !slices.Equal(got, []int64{a}) {
		t.Errorf("open lists %v: a snoozed conversation leaves the open list", got)
	}
	if got := listed(t, ts, "status=snoozed"); !slices.Equal(got, []int64{b}) {
		t.Errorf("snoozed lists %v", got)
	}
	var one teamConversation
	ts.mustGet("/api/v1/conversations/"+strconv.FormatInt(b, 10), &one)
	if one.Status != "snoozed" || one.SnoozedUntil == nil || one.Labels == nil {
		t.Errorf("GET a snoozed conversation: %+v (labels must be a list, not null)", one)
	}

	status, c, _ = ts.patch(ts.token, b, `{"status":"open"}`)
	if status != http.StatusOK || c.Status != "open" || c.SnoozedUntil != nil {
		t.Errorf("reopen: %d %+v", status, c)
	}
	status, c, _ = ts.patch(ts.token, a, `{"assigneeId":null,"labels":[]}`)
	if status != http.StatusOK || c.AssigneeID != nil || len(c.Labels) != 0 {
		t.Errorf("unassign and clear labels: %d %+v", status, c)
	}
}

func TestAPIPatchConversationErrors(t *testing.T) {
	ts := newTestServer(t)
	ts.label("refund", "red")
	id := ts.conversations(1)[0]
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	gone := ts.addUser("gone@example.com", "Gone", inbox.RoleAgent)
	if _, err := ts.db.DeactivateUser(context.Background(), gone.ID, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	soon := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{`not json`, 400, "invalid_body"},
		{`[]`, 400, "invalid_body"},
		{`{}`, 400, "invalid_body"},
		{`{"colour":"red"}`, 400, "unknown_field"},
		{`{"status":"closed"}`, 400, "invalid_status"},
		{`{"status":3}`, 400, "invalid_status"},
		{`{"status":"snoozed","snoozedUntil":"tomorrow"}`, 400, "invalid_snooze"},
		{`{"status":"snoozed","snoozedUntil":"` + past + `"}`, 400, "invalid_snooze"},
		{`{"snoozedUntil":"` + soon + `"}`, 400, "invalid_snooze"},
		{`{"status":"resolved","snoozedUntil":"` + soon + `"}`, 400, "invalid_snooze"},
		{`{"status":"snoozed","snoozedUntil":"9999-12-31T23:59:59Z"}`, 400, "invalid_snooze"},
		{`{"status":"snoozed","snoozedUntil":"` + time.Now().AddDate(1, 0, 2).UTC().Format(time.RFC3339) + `"}`, 400, "invalid_snooze"},
		{`{"assigneeId":0}`, 400, "invalid_assignee"},
		{`{"assigneeId":"ben"}`, 400, "invalid_assignee"},
		{`{"assigneeId":` + strconv.FormatInt(gone.ID, 10) + `}`, 400, "invalid_assignee"},
		{`{"labels":"refund"}`, 400, "invalid_labels"},
		{`{"labels":null}`, 400, "invalid_labels"},
		{`{"labels":["refund","nope"]}`, 400, "unknown_label"},
	} {
		status, _, e := ts.patch(ts.token, id, tc.body)
		if status != tc.status || e.Error.Code != tc.code || e.Error.Message == "" || strings.Contains(e.Error.Message, "%!") {
			t.Errorf("%s: %d %+v, want %d %s", tc.body, status, e, tc.status, tc.code)
		}
	}
	if status, _, e := ts.patch(ts.token, id+100, `{"status":"resolved"}`); status != http.StatusNotFound || e.Error.Code != "not_found" {
		t.Errorf("unknown conversation: %d %+v", status, e)
	}
	read, _ := ts.newToken("dashboard", inbox.ScopeRead)
	if status, _, e := ts.patch(read, id, `{"status":"resolved"}`); status != http.StatusForbidden || e.Error.Code != "forbidden" {
		t.Errorf("read token: %d %+v", status, e)
	}
	var c teamConversation
	ts.mustGet("/api/v1/conversations/"+strconv.FormatInt(id, 10), &c)
	if c.Status != "open" || len(c.Labels) != 0 || c.AssigneeID != nil {
		t.Errorf("refused changes changed the conversation: %+v", c)
	}
}

// A bulk action from the list can be undone by the agent who did it, once.
func TestBulkActionAndUndo(t *testing.T) {
	ts := newTestServer(t)
	ts.label("refund", "red")
	ids := ts.conversations(3)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	ana, ben := ts.newAgent(), ts.newAgent()
	ana.login("ana@example.com")
	ben.login("ben@example.com")
	// One of them carries a label before, which the undo keeps.
	if status, _, _ := ts.patch(ts.token, ids[0], `{"labels":["refund"]}`); status != http.StatusOK {
		t.Fatal(status)
	}

	form := url.Values{"action": {"resolve"}}
	for _, id := range ids {
		form.Add("id", strconv.FormatInt(id, 10))
	}
	p := ana.post("/conversations/bulk", form)
	var res struct {
		Count   int    `json:"count"`
		Message string `json:"message"`
		Undo    string `json:"undo"`
	}
	if p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &res) != nil || res.Count != 3 || res.Undo == "" {
		t.Fatalf("bulk resolve: %d %s", p.status, p.body)
	}
	if got := listed(t, ts, "status=resolved"); len(got) != 3 {
		t.Fatalf("resolved after bulk: %v", got)
	}
	if p := ben.post("/conversations/bulk/undo", url.Values{"undo": {res.Undo}}); p.status != http.StatusGone {
		t.Errorf("another agent's undo: %d", p.status)
	}
	if p := ana.post("/conversations/bulk/undo", url.Values{"undo": {res.Undo}}); p.status != http.StatusNoContent {
		t.Fatalf("undo: %d %s", p.status, p.body)
	}
	if got := listed(t, ts, "status=open"); len(got) != 3 {
		t.Errorf("open after undo: %v", got)
	}
	if got := listed(t, ts, "label=refund"); !slices.Equal(got, []int64{ids[0]}) {
		t.Errorf("labels after undo: %v", got)
	}
	if p := ana.post("/conversations/bulk/undo", url.Values{"undo": {res.Undo}}); p.status != http.StatusGone {
		t.Errorf("a second undo: %d", p.status)
	}
	// Label and snooze in bulk; a label nobody defined is refused.
	form.Set("action", "label")
	form.Set("value", "nope")
	if p := ana.post("/conversations/bulk", form); p.status != http.StatusBadRequest || !strings.Contains(p.body, "unknown_label") {
		t.Errorf("unknown label: %d %s", p.status, p.body)
	}
	form.Set("action", "snooze")
	form.Set("value", "tomorrow")
	if p := ana.post("/conversations/bulk", form); p.status != http.StatusOK {
		t.Fatalf("bulk snooze: %d %s", p.status, p.body)
	}
	if got := listed(t, ts, "status=snoozed"); len(got) != 3 {
		t.Errorf("snoozed after bulk: %v", got)
	}
}

// An admin defines labels; an agent filters the list by one, saves that
// as a view and sees it in the navigation with its count.
func TestLabelsPageFilterAndSavedView(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	admin, ben := ts.newAgent(), ts.newAgent()
	admin.login("ana@example.com")
	ben.login("ben@example.com")

	admin.get("/admin/labels")
	if p := admin.post("/admin/labels", url.Values{"name": {"refund"}, "colour": {"red"}, "csrf": {admin.csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("add a label: %d %s", p.status, p.body)
	}
	p := admin.post("/admin/labels", url.Values{"name": {"Refund"}, "colour": {"blue"}, "csrf": {admin.csrf}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.find("label-error").Text(), "Another label has that name") {
		t.Errorf("a taken name: %d %q", p.status, p.find("label-error").Text())
	}
	if p := ben.get("/admin/labels"); p.status != http.StatusForbidden {
		t.Errorf("an agent opens the labels page: %d", p.status)
	}
	if p := admin.get("/admin/labels"); p.find("label-row").Length() != 1 || !strings.Contains(p.find("label-row").Text(), "refund") {
		t.Errorf("labels page: %q", p.find("labels").Text())
	}

	ids := ts.conversations(3)
	if status, _, _ := ts.patch(ts.token, ids[1], `{"labels":["refund"]}`); status != http.StatusOK {
		t.Fatal(status)
	}
	p = ben.get("/inbox?label=refund")
	if rows := p.find("conv-row"); rows.Length() != 1 || rows.AttrOr("data-conversation", "") != strconv.FormatInt(ids[1], 10) ||
		rows.Find(`[data-testid=label-chip]`).Text() != "refund" {
		t.Fatalf("the list by label: %d rows", rows.Length())
	}
	if v, _ := p.find("filter-label").Find("option[selected]").Attr("value"); v != "refund" {
		t.Errorf("the label filter shows %q", v)
	}
	if p := ben.post("/views", url.Values{"name": {"Refunds"}, "filter": {"label=refund"}, "csrf": {ben.csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("save a view: %d %s", p.status, p.body)
	}
	p = ben.get("/inbox")
	sv := p.find("saved-view")
	if sv.Length() != 1 || !strings.Contains(sv.Text(), "Refunds") || sv.Find(`[data-testid=saved-view-count]`).Text() != "1" ||
		sv.AttrOr("href", "") != "/inbox?label=refund" {
		t.Errorf("saved view in the nav: %d %q %q", sv.Length(), sv.Text(), sv.AttrOr("href", ""))
	}
	if p := admin.get("/inbox"); p.find("saved-view").Length() != 0 {
		t.Error("a personal view shows in a teammate's nav")
	}
}

// An admin renames and recolours a label: the conversations wearing it
// show the new chip, the audit log records the change, a taken name is
// refused, and an agent cannot do it.
func TestLabelRenameAndRecolour(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	admin, ben := ts.newAgent(), ts.newAgent()
	admin.login("ana@example.com")
	ben.login("ben@example.com")
	admin.get("/admin/labels")
	for _, name := range []string{"refund", "vip"} {
		if p := admin.post("/admin/labels", url.Values{"name": {name}, "colour": {"red"}, "csrf": {admin.csrf}}); p.status != http.StatusSeeOther {
			t.Fatalf("add %s: %d %s", name, p.status, p.body)
		}
	}
	ids := ts.conversations(1)
	if status, _, _ := ts.patch(ts.token, ids[0], `{"labels":["refund"]}`); status != http.StatusOK {
		t.Fatal(status)
	}
	var refundID string
	admin.get("/admin/labels").find("label-edit-form").Each(func(_ int, f *goquery.Selection) {
		if f.Find(`[data-testid=label-edit-name]`).AttrOr("value", "") == "refund" {
			refundID = strings.TrimPrefix(f.AttrOr("action", ""), "/admin/labels/")
		}
	})
	if refundID == "" {
		t.Fatal("no edit form for refund")
	}
	path := "/admin/labels/" + refundID
	if p := ben.post(path, url.Values{"name": {"money back"}, "colour": {"green"}, "csrf": {ben.csrf}}); p.status != http.StatusForbidden {
		t.Errorf("an agent renames a label: %d", p.status)
	}
	p := admin.post(path, url.Values{"name": {"VIP"}, "colour": {"green"}, "csrf": {admin.csrf}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.find("label-edit-error").Text(), "Another label has that name") {
		t.Errorf("rename to a taken name: %d %q", p.status, p.find("label-edit-error").Text())
	}
	if p := admin.post(path, url.Values{"name": {"money back"}, "colour": {"green"}, "csrf": {admin.csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("rename: %d %s", p.status, p.body)
	}
	if p := admin.post("/admin/labels/999999", url.Values{"name": {"x"}, "colour": {"green"}, "csrf": {admin.csrf}}); p.status != http.StatusConflict {
		t.Errorf("rename an unknown (deleted) label: %d, want 409", p.status)
	}
	chip := ben.get("/conversations/" + strconv.FormatInt(ids[0], 10)).find("label-chip")
	if chip.Length() == 0 {
		t.Error("no label chip in the thread after rename")
	}
	chip.Each(func(_ int, c *goquery.Selection) {
		if c.Text() != "money back" || !c.HasClass("chip-green") {
			t.Errorf("thread chip after rename: %q %q", c.Text(), c.AttrOr("class", ""))
		}
	})
	row := ben.get("/inbox").find("conv-row").Find(`[data-testid=label-chip]`)
	if row.Text() != "money back" || !row.HasClass("chip-green") {
		t.Errorf("list chip after rename: %q %q", row.Text(), row.AttrOr("class", ""))
	}
	if got := ben.get("/inbox?label=money+back").find("conv-row").Length(); got != 1 {
		t.Errorf("filter by the new name: %d rows", got)
	}
	if !hasEntry(auditActions(admin), "label.update", `"refund" (red)`, `"money back" (green)`) {
		t.Errorf("audit log: %v", auditActions(admin))
	}
}

// A rename the server refuses is answered in the label's own edit form,
// open, with what the admin typed, not under "Add a label".
func TestLabelRenameRefusedStaysInItsForm(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.admin()
	ts.label("refund", "red")
	ts.label("vip", "blue")
	var path string
	admin.get("/admin/labels").find("label-edit-form").Each(func(_ int, f *goquery.Selection) {
		if f.Find(`[data-testid=label-edit-name]`).AttrOr("value", "") == "refund" {
			path = f.AttrOr("action", "")
		}
	})
	p := admin.submit(path, url.Values{"name": {"VIP"}, "colour": {"green"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("rename to a taken name: %d", p.status)
	}
	if got := p.find("label-error").Length(); got != 0 {
		t.Errorf("the add form says %q about a rename", p.find("label-error").Text())
	}
	form := p.doc.Find(`form[action="` + path + `"]`)
	if !form.Closest("details").Is("[open]") {
		t.Error("the refused rename's form is closed")
	}
	if got := form.Find(`[data-testid=label-edit-error]`).Text(); !strings.Contains(got, "Another label has that name") {
		t.Errorf("the rename form's error: %q", got)
	}
	if got := form.Find(`[data-testid=label-edit-name]`).AttrOr("value", ""); got != "VIP" {
		t.Errorf("the rename form shows %q, not what was typed", got)
	}
	if got := form.Find(`[data-testid=label-edit-colour] option[selected]`).AttrOr("value", ""); got != "green" {
		t.Errorf("the rename form's colour: %q, not what was picked", got)
	}
	if got := form.Find(`[data-testid=label-edit-name]`).AttrOr("aria-invalid", ""); got != "true" {
		t.Errorf("the name field's aria-invalid: %q", got)
	}
}

// Label names are unique regardless of case, in every alphabet: "Ärger"
// and "ärger" would show as two chips that mean the same.
func TestLabelNamesDifferingOnlyInCaseAreRefused(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.admin()
	ts.label("Ärger", "red")
	ts.label("Δέμα", "red")
	ts.label("vip", "blue")
	admin.get("/admin/labels")
	for _, name := range []string{"ärger", "ÄRGER", "δέμα", "VIP"} {
		p := admin.submit("/admin/labels", url.Values{"name": {name}, "colour": {"green"}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.find("label-error").Text(), "Another label has that name") {
			t.Errorf("add %q beside a label of that name: %d %q", name, p.status, p.find("label-error").Text())
		}
	}
	var vipPath string
	admin.get("/admin/labels").find("label-edit-form").Each(func(_ int, f *goquery.Selection) {
		if f.Find(`[data-testid=label-edit-name]`).AttrOr("value", "") == "vip" {
			vipPath = f.AttrOr("action", "")
		}
	})
	if p := admin.submit(vipPath, url.Values{"name": {"äRGER"}, "colour": {"blue"}}); p.status != http.StatusUnprocessableEntity {
		t.Errorf("rename vip to äRGER: %d", p.status)
	}
	if p := admin.submit(vipPath, url.Values{"name": {"VIP"}, "colour": {"blue"}}); p.status != http.StatusSeeOther {
		t.Errorf("rename vip to VIP, its own name in capitals: %d", p.status)
	}
	if got := admin.get("/admin/labels").find("label-row").Length(); got != 3 {
		t.Errorf("%d labels listed, want 3", got)
	}
}

// Deleting a label takes it off every conversation and cannot be undone:
// the first click on Delete asks, as revoking a token does, instead of
// doing it.
func TestDeletingALabelAsksFirst(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.admin()
	ts.label("refund", "red")
	p := admin.get("/admin/labels")
	del := p.find("label-delete")
	if del.Length() != 1 {
		t.Fatalf("%d delete buttons", del.Length())
	}
	confirm := del.Closest("details")
	if confirm.Length() == 0 {
		t.Fatal("the label's Delete button deletes at the first click, with nothing asked")
	}
	if _, open := confirm.Attr("open"); open {
		t.Error("the confirmation is open before Delete is clicked")
	}
	if got := confirm.ChildrenFiltered("summary").Text(); !strings.Contains(got, "Delete") {
		t.Errorf("the first button reads %q", got)
	}
	if got := del.Closest("form").Text(); !strings.Contains(got, "every conversation") || !strings.Contains(got, "cannot be undone") {
		t.Errorf("the confirmation says %q", strings.Join(strings.Fields(got), " "))
	}
}

// Deleting a label or a keyword rule that is gone already (a second click,
// or another admin was first) says so on its page, not on an error page.
func TestDeletingWhatIsGoneAlreadySaysSo(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.admin()
	ts.label("refund", "red")
	del := admin.get("/admin/labels").find("label-delete").Closest("form").AttrOr("action", "")
	if p := admin.submit(del, nil); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.status)
	}
	p := admin.submit(del, nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("delete the deleted label: %d %s", p.status, strings.Join(strings.Fields(p.doc.Find("main").Text()), " "))
	}
	if got := admin.get(p.header.Get("Location")).find("labels-notice").Text(); !strings.Contains(got, "deleted already") {
		t.Errorf("the labels page says %q", got)
	}

	admin.get("/admin/auto-replies")
	if p := admin.submit("/admin/auto-replies/rules", url.Values{"name": {"Prices"}, "keywords": {"price"}, "rule_enabled": {"on"}, "rule_text": {"From 5 EUR."}}); p.status != http.StatusSeeOther {
		t.Fatalf("add a rule: %d", p.status)
	}
	edit := admin.get("/admin/auto-replies").find("rule-edit").AttrOr("href", "")
	if p := admin.submit(edit+"/delete", nil); p.status != http.StatusSeeOther {
		t.Fatalf("delete the rule: %d", p.status)
	}
	for _, path := range []string{edit + "/delete", edit + "/move"} {
		p := admin.submit(path, url.Values{"dir": {"up"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("%s of the deleted rule: %d %s", path, p.status, strings.Join(strings.Fields(p.doc.Find("main").Text()), " "))
		}
		if got := admin.get(p.header.Get("Location")).find("auto-replies-notice").Text(); !strings.Contains(got, "deleted already") {
			t.Errorf("after %s the page says %q", path, got)
		}
	}
}

// Renaming a label another admin deleted meanwhile keeps what was typed,
// in the add form, and says what happened.
func TestLabelRenamedAfterItWasDeletedKeepsTheName(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.admin()
	ts.label("refund", "red")
	p := admin.get("/admin/labels")
	path := p.find("label-edit-form").AttrOr("action", "")
	if p := admin.submit(path+"/delete", nil); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.status)
	}
	p = admin.submit(path, url.Values{"name": {"refund requested"}, "colour": {"green"}})
	if p.status != http.StatusConflict {
		t.Errorf("rename after the label was deleted: %d, want 409", p.status)
	}
	if got := p.find("label-error").Text(); !strings.Contains(got, "deleted") {
		t.Errorf("the labels page says %q", got)
	}
	if got := p.find("label-name").AttrOr("value", ""); got != "refund requested" {
		t.Errorf("the add form shows %q, not what was typed", got)
	}
	if got := p.find("label-form").Find(`input[name=colour][checked]`).AttrOr("value", ""); got != "green" {
		t.Errorf("the add form's colour: %q", got)
	}
}

// An agent keeps at most inbox.MaxSavedViews views: each shared one is
// drawn, with its count, in every teammate's navigation, so thousands of
// them (a script posting /views) made everyone's inbox megabytes long.
func TestSavedViewsAreBounded(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	admin, ben := ts.newAgent(), ts.newAgent()
	admin.login("ana@example.com")
	ben.login("ben@example.com")
	for i := range 60 {
		p := ben.post("/views", url.Values{"name": {fmt.Sprintf("View %d", i)}, "shared": {"1"},
			"filter": {"channel=sms&sender=s" + strconv.Itoa(i)}, "csrf": {ben.csrf}})
		if i < inbox.MaxSavedViews && p.status != http.StatusSeeOther {
			t.Fatalf("view %d: %d %s", i, p.status, p.body)
		}
		if i >= inbox.MaxSavedViews && p.status != http.StatusBadRequest {
			t.Errorf("view %d: %d, want 400", i, p.status)
		}
	}
	if n := admin.get("/inbox").find("saved-view").Length(); n != inbox.MaxSavedViews {
		t.Errorf("a teammate's nav shows %d of Ben's views, want %d", n, inbox.MaxSavedViews)
	}
}
