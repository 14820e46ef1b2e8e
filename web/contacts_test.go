package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

type apiContactDetails struct {
	ID            int64   `json:"id"`
	Phone         string  `json:"phone"`
	Name          *string `json:"name"`
	Notes         string  `json:"notes"`
	OptedOut      bool    `json:"optedOut"`
	FirstContact  *string `json:"firstContactAt"`
	LastContact   *string `json:"lastContactAt"`
	Conversations []struct {
		ID      int64  `json:"id"`
		Channel string `json:"channel"`
	} `json:"conversations"`
}

// contactFixture: Greta writes on WhatsApp and by SMS (two conversations
// with one contact), Otto on WhatsApp.
func contactFixture(ts *testServer) (greta apiMessage) {
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i, m := range []struct{ from, channel, text, name string }{
		{"+4917612345678", "whatsapp", "where is my parcel", "gretchen99"},
		{"+4917612345678", "sms", "STOP", ""},
		{"+14155550100", "whatsapp", "hello", "Otto"},
	} {
		ts.mustPost(event(fmt.Sprintf("evt_c%d", i), "message.inbound", base.Add(time.Duration(i)*time.Minute), map[string]any{
			"messageId": fmt.Sprintf("msg_c%d", i), "from": m.from, "to": "+13125559876",
			"channel": m.channel, "messageType": "text", "text": m.text, "profileName": m.name,
		}))
	}
	return ts.mustMessage("msg_c0")
}

// Scripts list, search, read and change contacts; a read token may not
// change one; the new name and notes are searchable at once.
func TestAPIContacts(t *testing.T) {
	ts := newTestServer(t)
	contactFixture(ts)
	var list struct {
		Items []struct {
			ID                int64  `json:"id"`
			Phone             string `json:"phone"`
			ConversationCount int    `json:"conversationCount"`
		} `json:"items"`
	}
	ts.mustGet("/api/v1/contacts?q="+url.QueryEscape("+49 (0)176 1234-5678"), &list)
	if len(list.Items) != 1 || list.Items[0].Phone != "+4917612345678" || list.Items[0].ConversationCount != 2 {
		t.Fatalf("search by a number written with its trunk 0: %+v", list)
	}
	id := list.Items[0].ID
	var c apiContactDetails
	ts.mustGet(fmt.Sprintf("/api/v1/contacts/%d", id), &c)
	if len(c.Conversations) != 2 || !c.OptedOut || c.FirstContact == nil || c.LastContact == nil || c.Name == nil || *c.Name != "gretchen99" {
		t.Errorf("contact: %+v", c)
	}

	read, _ := ts.newToken("reader", inbox.ScopeRead)
	body := `{"name": "Greta Müller", "notes": "Prefers SMS. Refund case R-99812 open."}`
	if status, e := ts.apiCall(read, http.MethodPatch, fmt.Sprintf("/api/v1/contacts/%d", id), body); status != http.StatusForbidden || e.Error.Code != "forbidden" {
		t.Errorf("PATCH with a read token: %d %+v", status, e)
	}
	write, _ := ts.newToken("writer", inbox.ScopeWrite)
	if status, e := ts.apiCall(write, http.MethodPatch, fmt.Sprintf("/api/v1/contacts/%d", id), body); status != http.StatusOK {
		t.Fatalf("PATCH: %d %+v", status, e)
	}
	ts.mustGet(fmt.Sprintf("/api/v1/contacts/%d", id), &c)
	if c.Name == nil || *c.Name != "Greta Müller" || !strings.Contains(c.Notes, "R-99812") {
		t.Errorf("after PATCH: %+v", c)
	}
	var found apiSearchPage
	for _, q := range []string{"muller", "9981"} {
		ts.mustGet("/api/v1/search?q="+url.QueryEscape(q), &found)
		if len(found.Items) != 2 || found.Items[0].MessageID != nil || found.Items[0].Contact.ID != id {
			t.Errorf("search %q after PATCH: %+v", q, found)
		}
	}
	for _, bad := range []struct {
		id, body, code string
		status         int
	}{
		{fmt.Sprint(id), `{"notes": "` + strings.Repeat("x", inbox.MaxContactNotes+1) + `"}`, "invalid_parameter", http.StatusBadRequest},
		{fmt.Sprint(id), `{}`, "invalid_body", http.StatusBadRequest},
		{fmt.Sprint(id), `not json`, "invalid_body", http.StatusBadRequest},
		{"99999", `{"notes": "x"}`, "not_found", http.StatusNotFound},
	} {
		if status, e := ts.apiCall(write, http.MethodPatch, "/api/v1/contacts/"+bad.id, bad.body); status != bad.status || e.Error.Code != bad.code || e.Error.Message == "" {
			t.Errorf("PATCH %s %.30s: %d %+v, want %d %s", bad.id, bad.body, status, e, bad.status, bad.code)
		}
	}
}

// An agent edits a contact from the thread's details: the form needs the
// CSRF token; the details then show the name and notes, the other
// conversation and the opt-out; the contacts page finds the contact.
func TestContactPages(t *testing.T) {
	ts := newTestServer(t)
	m := contactFixture(ts)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	a := ts.newAgent()
	a.login("ana@example.com")
	a.get("/inbox")

	th := a.htmx(fmt.Sprintf("/conversations/%d", m.ConversationID))
	panel := th.find("contact-panel")
	if panel.Length() != 1 || th.find("contact-conv").Length() != 2 || !strings.Contains(panel.Find(`[data-testid=contact-optout]`).Text(), "Opted out") {
		t.Fatalf("details panel: %s", th.body)
	}
	href, _ := panel.Find(`[data-testid=contact-link]`).Attr("href")
	form := url.Values{"name": {"Greta Müller"}, "notes": {"Allergic to peanuts"}}
	forged := a.do(http.MethodPost, href, form, func(r *http.Request) { r.Header.Set("HX-Request", "true") })
	if forged.status != http.StatusForbidden {
		t.Errorf("a post without the CSRF token: %d", forged.status)
	}
	if p := a.post(href, form); p.status != http.StatusNoContent {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	th = a.htmx(fmt.Sprintf("/conversations/%d", m.ConversationID))
	if got := th.find("details").Find("dd").First().Text(); got != "Greta Müller" {
		t.Errorf("name in the details: %q", got)
	}
	if got := th.find("contact-notes").Text(); got != "Allergic to peanuts" {
		t.Errorf("notes in the details: %q", got)
	}

	list := a.get("/contacts?q=" + url.QueryEscape("peanut"))
	if list.status != http.StatusOK || list.find("contact-row").Length() != 1 || list.find("contact-row").Find("mark").Text() != "peanut" {
		t.Errorf("contacts search: %s", list.body)
	}
	cp := a.get(href)
	if cp.find("contact-heading").Text() != "Greta Müller" || cp.find("contact-conv").Length() != 2 {
		t.Errorf("contact page: %s", cp.body)
	}
	// The page's own form: a plain post with the token in the form.
	csrf, _ := cp.find("contact-form-page").Find(`input[name=csrf]`).Attr("value")
	p := a.do(http.MethodPost, href, url.Values{"name": {"Greta M."}, "notes": {"x"}, "csrf": {csrf}}, nil)
	if p.status != http.StatusSeeOther || !strings.HasSuffix(p.header.Get("Location"), "?saved=1") {
		t.Errorf("form post: %d %q", p.status, p.header.Get("Location"))
	}
}

// Two agents edit a contact's notes at once: the second save is refused
// with the first one's notes shown and the second one's text kept; saved
// again, it replaces them. A form whose notes were left alone saves its
// new name without putting back the notes it showed. From the details
// (htmx), the refusal is a 409 that says which notes to count from.
func TestContactNotesSavedByTwoAgentsAtOnce(t *testing.T) {
	ts := newTestServer(t)
	m := contactFixture(ts)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	a, b := ts.newAgent(), ts.newAgent()
	a.login("ana@example.com")
	b.login("ben@example.com")
	href, _ := a.htmx(fmt.Sprintf("/conversations/%d", m.ConversationID)).find("contact-link").Attr("href")
	anaPage, benPage := a.get(href), b.get(href)
	notes := func() string {
		return b.htmx(fmt.Sprintf("/conversations/%d", m.ConversationID)).find("contact-notes").Text()
	}

	benForm := formFields(benPage, "contact-form-page")
	benForm.Set("notes", "Invoice W-55123 disputed <b>")
	if p := b.do(http.MethodPost, href, benForm, nil); p.status != http.StatusSeeOther {
		t.Fatalf("Ben's save: %d %s", p.status, p.body)
	}
	anaForm := formFields(anaPage, "contact-form-page")
	anaForm.Set("notes", "Prefers calls after 17:00")
	p := a.do(http.MethodPost, href, anaForm, nil)
	if p.status != http.StatusConflict {
		t.Fatalf("Ana's save over Ben's notes: %d, want 409", p.status)
	}
	if msg := p.find("contact-error").Text(); !strings.Contains(msg, "Ben changed these notes") {
		t.Errorf("the refusal says %q", msg)
	}
	if theirs := p.find("contact-notes-theirs").Text(); !strings.Contains(theirs, "Invoice W-55123 disputed <b>") || !strings.Contains(theirs, "Ben") {
		t.Errorf("Ben's notes as the page shows them: %q", theirs)
	}
	if got := formFields(p, "contact-form-page").Get("notes"); got != "Prefers calls after 17:00" {
		t.Errorf("Ana's text in the form after the refusal: %q", got)
	}
	if got := notes(); got != "Invoice W-55123 disputed <b>" {
		t.Errorf("after the refused save the notes are %q, want Ben's", got)
	}
	if again := a.do(http.MethodPost, href, formFields(p, "contact-form-page"), nil); again.status != http.StatusSeeOther {
		t.Fatalf("Ana saves again: %d %s", again.status, again.body)
	}
	if got := notes(); got != "Prefers calls after 17:00" {
		t.Errorf("after saving again the notes are %q, want Ana's", got)
	}

	// Ben's page still shows his notes; he changes the name only.
	benForm = formFields(benPage, "contact-form-page")
	benForm.Set("name", "Greta Müller")
	if p := b.do(http.MethodPost, href, benForm, nil); p.status != http.StatusSeeOther {
		t.Fatalf("Ben's new name: %d %s", p.status, p.body)
	}
	th := b.htmx(fmt.Sprintf("/conversations/%d", m.ConversationID))
	if name, got := th.find("details").Find("dd").First().Text(), th.find("contact-notes").Text(); name != "Greta Müller" || got != "Prefers calls after 17:00" {
		t.Errorf("after a new name from a form with the notes left alone: %q, notes %q; want the name and Ana's notes", name, got)
	}

	// From the thread's details.
	form := formFields(th, "contact-form-panel")
	stale := form.Get("notes_was")
	form.Set("notes", "Ben's notes")
	if p := b.post(href, form); p.status != http.StatusNoContent {
		t.Fatalf("Ben's save from the details: %d %s", p.status, p.body)
	}
	form.Set("notes", "Ana's notes")
	p = a.post(href, form)
	var refused struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		NotesWas string `json:"notesWas"`
	}
	if p.status != http.StatusConflict || json.Unmarshal([]byte(p.body), &refused) != nil || refused.Error.Code != "notes_changed" ||
		refused.NotesWas != inbox.TextVersion("Ben's notes") || refused.NotesWas == stale {
		t.Fatalf("a save from the details over Ben's notes: %d %s", p.status, p.body)
	}
	form.Set("notes_was", refused.NotesWas)
	if p := a.post(href, form); p.status != http.StatusNoContent || notes() != "Ana's notes" {
		t.Errorf("saved again from the details: %d, notes %q", p.status, notes())
	}
}

// A contact's new name and notes reach, live, a page that shows another
// of its conversations: the details panel and the list row.
func TestLiveContactEdit(t *testing.T) {
	ts := newTestServer(t)
	contactFixture(ts)
	ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	b := ts.newAgent()
	b.login("ben@example.com")
	sms := ts.mustMessage("msg_c1").ConversationID
	c := b.live()
	waitClients(t, ts, 1)
	subscribe(t, ts, c, "all", sms, sms)

	write, _ := ts.newToken("writer", inbox.ScopeWrite)
	var d apiContactDetails
	ts.mustGet(fmt.Sprintf("/api/v1/conversations/%d", sms), &struct {
		Contact *struct {
			ID *int64 `json:"id"`
		} `json:"contact"`
	}{Contact: &struct {
		ID *int64 `json:"id"`
	}{ID: &d.ID}})
	if status, e := ts.apiCall(write, http.MethodPatch, fmt.Sprintf("/api/v1/contacts/%d", d.ID),
		`{"name": "Greta Müller", "notes": "Call back Tuesday"}`); status != http.StatusOK {
		t.Fatalf("PATCH: %d %+v", status, e)
	}
	got := nextContaining(t, c, "Call back Tuesday")
	if panel := fragment(t, got, `<section class="contact-panel"`, `</section>`); !strings.Contains(panel, "Greta Müller") {
		t.Errorf("the live details panel has no new name:\n%s", panel)
	}
	if row := fragment(t, got, fmt.Sprintf(`id="c-%d"`, sms), `</a>`); !strings.Contains(row, "Greta Müller") {
		t.Errorf("the live row has no new name:\n%s", row)
	}
}

// A contact opened from a search of the contacts goes back to that
// search: the page's "← Contacts" and the page after saving its form
// lead to the results as they were, not to every contact.
func TestContactPageGoesBackToTheSearch(t *testing.T) {
	ts := newTestServer(t)
	contactFixture(ts)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	a := ts.newAgent()
	a.login("ana@example.com")
	list := a.get("/contacts?q=" + url.QueryEscape("+49 176"))
	rows := list.find("contact-row")
	if rows.Length() != 1 {
		t.Fatalf("contacts +49 176: %d rows", rows.Length())
	}
	href, _ := rows.Find("a").First().Attr("href")
	want := "/contacts?q=" + url.QueryEscape("+49 176")
	cp := a.get(href)
	if back, _ := cp.find("back-to-contacts").Attr("href"); back != want {
		t.Errorf("the contact page's way back: %q, want %q", back, want)
	}
	form := formFields(cp, "contact-form-page")
	form.Set("notes", "Calls after six")
	p := a.do(http.MethodPost, cp.find("contact-form-page").AttrOr("action", ""), form, nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.status)
	}
	saved := a.get(p.header.Get("Location"))
	if back, _ := saved.find("back-to-contacts").Attr("href"); back != want || saved.find("contact-saved").Length() != 1 {
		t.Errorf("after saving, the way back: %q, want %q (saved shown: %d)", back, want, saved.find("contact-saved").Length())
	}
	// Opened from elsewhere (the thread's details), it goes to every contact.
	if back, _ := a.get(strings.SplitN(href, "?", 2)[0]).find("back-to-contacts").Attr("href"); back != "/contacts" {
		t.Errorf("opened on its own, the way back: %q, want /contacts", back)
	}
}
