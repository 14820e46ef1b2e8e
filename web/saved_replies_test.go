package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
)

func TestAdminManagesSavedReplies(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	agentUser := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)

	b := ts.newAgent()
	b.login(agentUser.Email)
	if p := b.get("/admin/saved-replies"); p.status != http.StatusForbidden {
		t.Fatalf("an agent on the saved replies page: %d, want 403", p.status)
	}
	if p := b.do(http.MethodPost, "/admin/saved-replies", url.Values{"shortcut": {"x"}, "body": {"x"}, "csrf": {b.csrf}}, nil); p.status != http.StatusForbidden {
		t.Fatalf("an agent adding a saved reply: %d, want 403", p.status)
	}

	a := ts.newAgent()
	a.login(admin.Email)
	p := a.get("/admin/saved-replies")
	if p.status != http.StatusOK || p.find("saved-replies-empty").Length() != 1 {
		t.Fatalf("the empty page: %d, empty state shown %v", p.status, p.find("saved-replies-empty").Length() == 1)
	}
	if p.find("admin-nav-saved-replies").AttrOr("aria-current", "") != "page" {
		t.Error("the admin navigation does not mark Saved replies as the current page")
	}
	add := func(shortcut, title, body string) page {
		t.Helper()
		return a.do(http.MethodPost, "/admin/saved-replies",
			url.Values{"shortcut": {shortcut}, "title": {title}, "body": {body}, "csrf": {a.csrf}}, nil)
	}

	// A form with mistakes comes back with each one said next to its field,
	// and what was typed kept.
	p = add("Re fund", "Refunds", "  ")
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("an invalid reply: %d, want 422", p.status)
	}
	if p.find("saved-reply-error").Length() != 1 ||
		!strings.Contains(p.find("saved-shortcut-error").Text(), "only lowercase letters, digits, - and _") ||
		!strings.Contains(p.find("saved-body-error").Text(), "Write the text") {
		t.Errorf("the errors shown: %q / %q / %q", p.find("saved-reply-error").Text(),
			p.find("saved-shortcut-error").Text(), p.find("saved-body-error").Text())
	}
	if p.find("saved-shortcut").AttrOr("value", "") != "Re fund" || p.find("saved-title").AttrOr("value", "") != "Refunds" ||
		p.find("saved-shortcut").AttrOr("aria-invalid", "") != "true" {
		t.Error("the form lost what was typed, or does not mark the shortcut invalid")
	}
	if p.find("saved-reply-row").Length() != 0 {
		t.Error("an invalid reply was listed")
	}
	if p := add("thanks", "", "Hi {{contact.nmae}}"); !strings.Contains(p.find("saved-body-error").Text(), "{{contact.nmae}}") {
		t.Errorf("a misspelt placeholder is not pointed out: %q", p.find("saved-body-error").Text())
	}

	// Added: listed, and audited.
	p = add("/thanks", "Thank them", "Thanks {{contact.name}}, {{agent.name}} here")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/saved-replies?done=added" {
		t.Fatalf("add: %d to %q", p.status, p.header.Get("Location"))
	}
	if p := add("refund", "", "Refunds take 5 working days."); p.status != http.StatusSeeOther {
		t.Fatalf("add /refund: %d %s", p.status, p.find("saved-reply-error").Text())
	}
	p = a.get("/admin/saved-replies?done=added")
	if !strings.Contains(p.find("saved-replies-notice").Text(), "added") {
		t.Error("no notice after adding")
	}
	rows := p.find("saved-reply-row")
	if rows.Length() != 2 || rows.First().AttrOr("data-shortcut", "") != "refund" || !strings.Contains(rows.Last().Text(), "/thanks") ||
		!strings.Contains(rows.Last().Text(), "Thanks {{contact.name}}, {{agent.name}} here") {
		t.Fatalf("the list: %q", rows.Text())
	}

	// A shortcut already taken is said on its field.
	p = add("THANKS", "", "Another")
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.find("saved-shortcut-error").Text(), "/thanks is already the shortcut") {
		t.Errorf("a taken shortcut: %d %q", p.status, p.find("saved-shortcut-error").Text())
	}

	// Edit.
	edit, _ := rows.Last().Find(`[data-testid="saved-reply-edit"]`).Attr("href")
	p = a.get(edit)
	if p.status != http.StatusOK || p.find("saved-body").Text() != "Thanks {{contact.name}}, {{agent.name}} here" {
		t.Fatalf("the edit page: %d, body %q", p.status, p.find("saved-body").Text())
	}
	p = a.do(http.MethodPost, edit, url.Values{"shortcut": {"refund"}, "title": {"Thank them"}, "body": {"Thank you!"}, "csrf": {a.csrf}}, nil)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.find("saved-shortcut-error").Text(), "/refund is already") {
		t.Errorf("renaming onto a taken shortcut: %d %q", p.status, p.find("saved-shortcut-error").Text())
	}
	p = a.do(http.MethodPost, edit, url.Values{"shortcut": {"ty"}, "title": {"Thank them"}, "body": {"Thank you, {{contact.name}}!"}, "csrf": {a.csrf}}, nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", p.status, p.find("saved-reply-error").Text())
	}
	rows = a.get("/admin/saved-replies").find("saved-reply-row")
	if rows.Length() != 2 || rows.Last().AttrOr("data-shortcut", "") != "ty" || !strings.Contains(rows.Last().Text(), "Thank you, {{contact.name}}!") {
		t.Errorf("after the update: %q", rows.Text())
	}
	if p := a.get("/admin/saved-replies/999"); p.status != http.StatusNotFound {
		t.Errorf("editing an unknown reply: %d, want 404", p.status)
	}

	// Delete.
	p = a.do(http.MethodPost, edit+"/delete", url.Values{"csrf": {a.csrf}}, nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/saved-replies?done=deleted" {
		t.Fatalf("delete: %d to %q", p.status, p.header.Get("Location"))
	}
	if rows := a.get("/admin/saved-replies").find("saved-reply-row"); rows.Length() != 1 || rows.AttrOr("data-shortcut", "") != "refund" {
		t.Errorf("after deleting /ty: %q", rows.Text())
	}

	// Every change is in the audit log, by Ana, newest first.
	var log []string
	a.get("/admin/audit").find("audit-entry").Each(func(_ int, s *goquery.Selection) {
		log = append(log, strings.Join(s.Find("td").Map(func(_ int, td *goquery.Selection) string { return td.Text() }), " "))
	})
	want := []string{
		"Ana saved_reply.delete /ty (Thank them): Thank you, {{contact.name}}!",
		"Ana saved_reply.update /thanks renamed /ty (Thank them): Thank you, {{contact.name}}!",
		"Ana saved_reply.create /refund: Refunds take 5 working days.",
		"Ana saved_reply.create /thanks (Thank them): Thanks {{contact.name}}, {{agent.name}} here",
	}
	if len(log) != len(want) {
		t.Fatalf("audit log: %q, want %d entries", log, len(want))
	}
	for i, w := range want {
		if !strings.Contains(log[i], w) {
			t.Errorf("audit entry %d: %q, want it to hold %q", i, log[i], w)
		}
	}
}

func TestComposerOffersSavedRepliesFilledForTheConversation(t *testing.T) {
	ts := newTestServer(t)
	ben := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	ctx := context.Background()
	now := time.Now()
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Hi there", now))
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550102", "", "Hello?", now))
	zoe := ts.mustMessage("msg_1").ConversationID
	nameless := ts.mustMessage("msg_2").ConversationID

	b := ts.newAgent()
	b.login(ben.Email)
	suggest := func(conv int64, q string) page {
		t.Helper()
		p := b.htmx(fmt.Sprintf("/conversations/%d/saved-replies?q=%s", conv, url.QueryEscape(q)))
		if p.status != http.StatusOK {
			t.Fatalf("suggestions for %q: %d %s", q, p.status, p.body)
		}
		return p
	}
	if p := suggest(zoe, ""); !strings.Contains(p.find("saved-none").Text(), "No saved replies yet") {
		t.Errorf("with none saved: %q", p.find("saved-none").Text())
	}
	for _, r := range []inbox.SavedReply{
		{Shortcut: "thanks", Title: "Thank them", Body: "Thanks {{contact.name}}, {{agent.name}} here"},
		{Shortcut: "refund", Title: "Refund policy", Body: "Refunds take 5 days. We will text {{contact.phone}}."},
		{Shortcut: "prefund", Body: "A deposit holds your order."},
		{Shortcut: "hours", Body: "We are open 9 to 5."},
	} {
		if err := ts.db.CreateSavedReply(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}

	// The composer carries the list, tied to the reply box.
	thread := b.htmx(fmt.Sprintf("/conversations/%d", zoe))
	list, box := thread.find("saved-suggest"), thread.find("reply-text")
	if list.AttrOr("role", "") != "listbox" || list.AttrOr("id", "") == "" || box.AttrOr("aria-controls", "") != list.AttrOr("id", "-") ||
		box.AttrOr("aria-autocomplete", "") != "list" {
		t.Errorf("the composer's list is not a listbox the reply box controls: list %v, box aria-controls %q",
			list.Nodes, box.AttrOr("aria-controls", ""))
	}
	if box.AttrOr("data-saved-replies", "") != fmt.Sprintf("/conversations/%d/saved-replies", zoe) {
		t.Errorf("the reply box asks %q for its saved replies", box.AttrOr("data-saved-replies", ""))
	}

	// The agent sees the text filled for this customer and for themselves.
	opts := suggest(zoe, "tha").find("saved-option")
	if opts.Length() != 1 || opts.AttrOr("role", "") != "option" || opts.AttrOr("data-text", "") != "Thanks Zoe Quinn, Ben Agent here" ||
		!strings.Contains(opts.Text(), "Thanks Zoe Quinn, Ben Agent here") {
		t.Fatalf("/tha offers %d options: %q", opts.Length(), opts.AttrOr("data-text", ""))
	}
	// A customer with no name: the text reads well without one.
	if got := suggest(nameless, "thanks").find("saved-option").AttrOr("data-text", ""); got != "Thanks, Ben Agent here" {
		t.Errorf("without a name: %q", got)
	}
	// Shortcuts starting with what was typed come first.
	var order []string
	suggest(zoe, "/REF").find("saved-option").Each(func(_ int, s *goquery.Selection) {
		order = append(order, s.AttrOr("data-shortcut", ""))
	})
	if strings.Join(order, " ") != "refund prefund" {
		t.Errorf("/REF offers %q, want refund then prefund", order)
	}
	if got := suggest(zoe, "refund").find("saved-option").First().AttrOr("data-text", ""); got != "Refunds take 5 days. We will text +14155550101." {
		t.Errorf("/refund fills to %q", got)
	}
	if p := suggest(zoe, "zzz"); p.find("saved-option").Length() != 0 || !strings.Contains(p.find("saved-none").Text(), "No saved reply matches /zzz") {
		t.Errorf("/zzz: %q", p.find("saved-none").Text())
	}
	if p := b.htmx("/conversations/999/saved-replies?q=tha"); p.status != http.StatusNotFound {
		t.Errorf("an unknown conversation: %d, want 404", p.status)
	}
	if p := ts.newAgent().get(fmt.Sprintf("/conversations/%d/saved-replies?q=tha", zoe)); p.status != http.StatusSeeOther {
		t.Errorf("signed out: %d, want a redirect to sign in", p.status)
	}
}

// Saving a saved reply that another admin deleted meanwhile keeps what
// was typed: the form comes back as an add form, with the text, saying
// what happened.
func TestSavedReplyDeletedWhileEditedKeepsTheText(t *testing.T) {
	ts := newTestServer(t)
	ana, ben := ts.twoAdmins()
	edit := addRefundReply(ana)
	ana.get(edit)
	ben.get(edit)
	if p := ben.submit(edit+"/delete", nil); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.status)
	}
	typed := "Refunds take 5 to 7 working days; I have started yours."
	p := ana.submit(edit, url.Values{"shortcut": {"refund"}, "title": {"Refunds"}, "body": {typed}})
	if p.status != http.StatusConflict {
		t.Errorf("save after the reply was deleted: %d, want 409", p.status)
	}
	if got := p.find("saved-body").Text(); got != typed {
		t.Errorf("the form shows %q, not what was typed", got)
	}
	if got := p.find("saved-reply-error").Text(); !strings.Contains(got, "deleted") {
		t.Errorf("the form's error: %q", got)
	}
	if got := p.find("saved-reply-form").AttrOr("action", ""); got != "/admin/saved-replies" {
		t.Errorf("the form saves to %q, not as a new saved reply", got)
	}
}

// Two admins edit the same saved reply: the second save does not silently
// replace the first's. It comes back with what was typed and the other
// admin's text; saving again then replaces it.
func TestSavedReplyEditedByTwoAdminsKeepsBoth(t *testing.T) {
	ts := newTestServer(t)
	ana, ben := ts.twoAdmins()
	edit := addRefundReply(ana)
	anaForm, benForm := formFields(ana.get(edit), "saved-reply-form"), formFields(ben.get(edit), "saved-reply-form")
	benForm.Set("body", "Refunds take 5 working days.")
	if p := ben.submit(edit, benForm); p.status != http.StatusSeeOther {
		t.Fatalf("Ben's save: %d", p.status)
	}
	anaForm.Set("body", "Refunds take 5 days; I have started yours.")
	p := ana.submit(edit, anaForm)
	if p.status != http.StatusConflict {
		t.Fatalf("Ana's save over Ben's: %d, want 409", p.status)
	}
	if got := p.find("saved-body").Text(); got != "Refunds take 5 days; I have started yours." {
		t.Errorf("Ana's form shows %q, not what she typed", got)
	}
	if got := p.find("saved-reply-error").Text(); !strings.Contains(got, "Refunds take 5 working days.") {
		t.Errorf("the error does not show Ben's text: %q", got)
	}
	if got := ana.get("/admin/saved-replies").find("saved-reply-row").Text(); !strings.Contains(got, "5 working days") {
		t.Errorf("Ben's text was replaced: %q", got)
	}
	if p := ana.submit(edit, formFields(p, "saved-reply-form")); p.status != http.StatusSeeOther {
		t.Fatalf("Ana saves again, having seen Ben's: %d", p.status)
	}
	if got := ana.get("/admin/saved-replies").find("saved-reply-row").Text(); !strings.Contains(got, "I have started yours") {
		t.Errorf("Ana's second save did not go: %q", got)
	}
}

// addRefundReply adds the saved reply /refund as a, and returns the
// address of its edit form.
func addRefundReply(a *agent) string {
	a.t.Helper()
	a.get("/admin/saved-replies")
	if p := a.submit("/admin/saved-replies", url.Values{"shortcut": {"refund"}, "body": {"Refunds take 5 days."}}); p.status != http.StatusSeeOther {
		a.t.Fatalf("add: %d", p.status)
	}
	return a.get("/admin/saved-replies").find("saved-reply-edit").AttrOr("href", "")
}

// Deleting a saved reply, or a keyword rule, asks first: the delete button
// sits behind a confirmation that says what it does, as the other
// destructive actions of the admin pages.
func TestSavedReplyAndKeywordRuleDeleteAskFirst(t *testing.T) {
	ts := newTestServer(t)
	ana, _ := ts.twoAdmins()
	edit := addRefundReply(ana)
	p := ana.get(edit)
	if c := p.find("saved-reply-delete").Closest("details.confirm"); c.Length() != 1 || c.Find(`[data-testid="saved-reply-delete-open"]`).Length() != 1 ||
		!strings.Contains(c.Text(), "cannot be undone") {
		t.Errorf("the saved reply's delete button is not behind a confirmation: %q", p.find("saved-reply-delete").Parent().Text())
	}
	if r := ana.submit("/admin/auto-replies/rules", url.Values{"name": {"Refunds"}, "keywords": {"refund"}, "rule_enabled": {"on"}, "rule_text": {"Refunds answer"}}); r.status != http.StatusSeeOther {
		t.Fatalf("add a rule: %d", r.status)
	}
	rule, _ := ana.get("/admin/auto-replies").find("rule-edit").First().Attr("href")
	p = ana.get(rule)
	if c := p.find("rule-delete").Closest("details.confirm"); c.Length() != 1 || c.Find(`[data-testid="rule-delete-open"]`).Length() != 1 ||
		!strings.Contains(c.Text(), "cannot be undone") {
		t.Errorf("the keyword rule's delete button is not behind a confirmation: %q", p.find("rule-delete").Parent().Text())
	}
}
