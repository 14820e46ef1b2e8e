package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
)

// closedToday is a settings form under which the team is closed now:
// weekday hours, with today (and the days around it, whatever the clock
// says) as holidays.
func closedToday(oooText string) url.Values {
	now := time.Now().UTC()
	var days []string
	for i := -1; i <= 1; i++ {
		days = append(days, now.AddDate(0, 0, i).Format(time.DateOnly))
	}
	return url.Values{
		"timezone": {"UTC"}, "day1": {"09:00-17:00"}, "day2": {"09:00-12:00, 13:00-17:00"}, "day3": {"09:00-17:00"},
		"day4": {"09:00-17:00"}, "day5": {"09:00-17:00"}, "holidays": {strings.Join(days, "\n")},
		"ooo_enabled": {"on"}, "ooo_text": {oooText}, "limit": {"3"},
	}
}

func TestAutoReplySettingsApplyToTheNextInboundMessage(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	a.get("/admin/auto-replies")
	p := a.submit("/admin/auto-replies", closedToday("Thanks {{contact.name}}, we are closed and will answer soon."))
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", p.status, p.find("auto-reply-error").Text())
	}
	page := a.get("/admin/auto-replies")
	if got := page.find("hours-day2").AttrOr("value", ""); got != "09:00-12:00, 13:00-17:00" {
		t.Errorf("Tuesday's hours read back as %q", got)
	}
	if !strings.Contains(page.find("hours-status").Text(), "Closed now") {
		t.Errorf("status: %q", page.find("hours-status").Text())
	}

	now := time.Now()
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello?", now))
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello?", now)) // delivered twice
	ts.mustPost(inboundText("evt_2", "msg_2", "Anyone?", now.Add(time.Second)))
	conv := ts.mustMessage("msg_1").ConversationID
	thread := a.get("/conversations/" + itoa(conv))
	var authors []string
	thread.find("author").Each(func(_ int, s *goquery.Selection) { authors = append(authors, s.Text()) })
	if len(authors) != 1 || authors[0] != "Auto-reply: Out of office" {
		t.Fatalf("authors in the thread: %q, want one out-of-office reply", authors)
	}
	if !strings.Contains(thread.body, "Thanks John Doe, we are closed") {
		t.Error("the reply's text with the customer's name is not in the thread")
	}
	audit := a.get("/admin/audit")
	if !strings.Contains(audit.find("audit-log").Text(), "auto_replies.update") {
		t.Error("the save is not in the audit log")
	}
}

func TestAutoReplySettingsRefuseMistakesInPlainWords(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	a.get("/admin/auto-replies")
	form := closedToday("")
	form.Set("timezone", "Mars/Olympus")
	form.Set("day1", "9 to 5")
	form.Set("holidays", "Christmas")
	p := a.submit("/admin/auto-replies", form)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", p.status)
	}
	for _, id := range []string{"timezone-error", "day1-error", "holidays-error", "ooo-error"} {
		if p.find(id).Text() == "" {
			t.Errorf("no %s shown", id)
		}
	}
	if got := p.find("hours-day1").AttrOr("value", ""); got != "9 to 5" {
		t.Errorf("what was typed is lost: %q", got)
	}
	cfg, err := ts.db.AutoReplyConfig(t.Context())
	if err != nil || cfg.OutOfOffice.Enabled {
		t.Errorf("refused settings were stored: %+v %v", cfg, err)
	}
}

func TestKeywordRulesAddReorderDeleteAndTryIt(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	a.get("/admin/auto-replies")
	for _, r := range [][2]string{{"Refunds", "refund, money back"}, {"Orders", "order, refund"}} {
		p := a.submit("/admin/auto-replies/rules", url.Values{"name": {r[0]}, "keywords": {r[1]}, "rule_enabled": {"on"}, "rule_text": {r[0] + " answer"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("add %s: %d %s", r[0], p.status, p.find("rule-error").Text())
		}
	}
	if p := a.submit("/admin/auto-replies/rules", url.Values{"name": {"Empty"}, "rule_text": {"x"}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.find("rule-error").Text(), "keyword") {
		t.Errorf("a rule without keywords: %d %q", p.status, p.find("rule-error").Text())
	}
	try := func(text string) string {
		p := a.post("/admin/auto-replies/try", url.Values{"channel": {"whatsapp"}, "text": {text}})
		return strings.Join(strings.Fields(p.find("try-outcome").Text()), " ")
	}
	if got := try("I want a refund"); !strings.Contains(got, `Sends "Auto-reply: Refunds"`) {
		t.Errorf("try before reordering: %q", got)
	}
	page := a.get("/admin/auto-replies")
	orders := page.find("keyword-rule").Last()
	action, _ := orders.Find(`form[action$="/move"]`).Attr("action")
	if p := a.submit(action, url.Values{"dir": {"up"}}); p.status != http.StatusSeeOther {
		t.Fatalf("move up: %d", p.status)
	}
	if got := try("I want a refund"); !strings.Contains(got, `Sends "Auto-reply: Orders"`) {
		t.Errorf("try after moving Orders first: %q", got)
	}
	if got := try("good morning"); !strings.Contains(got, "Nothing is sent") {
		t.Errorf("try with no match: %q", got)
	}
	edit, _ := a.get("/admin/auto-replies").find("rule-edit").First().Attr("href")
	if p := a.submit(edit+"/delete", nil); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.status)
	}
	if got := try("I want a refund"); !strings.Contains(got, `Sends "Auto-reply: Refunds"`) {
		t.Errorf("try after deleting Orders: %q", got)
	}
	p := a.post("/admin/auto-replies/try", url.Values{"channel": {"whatsapp"}, "text": {"refund"}, "window_closed": {"on"}})
	if got := p.find("try-outcome").Text(); !strings.Contains(got, "Nothing is sent") || !strings.Contains(got, string(inbox.SkipWindowClosed)) {
		t.Errorf("try with the window closed and no template: %q", got)
	}
}

// Saving a keyword rule that another admin deleted meanwhile keeps what
// was typed: the page comes back with it in the add form, saying what
// happened.
func TestKeywordRuleDeletedWhileEditedKeepsTheText(t *testing.T) {
	ts := newTestServer(t)
	ana, ben := ts.twoAdmins()
	edit := addPricesRule(ana)
	ana.get(edit)
	ben.get(edit)
	if p := ben.submit(edit+"/delete", nil); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.status)
	}
	typed := "Our prices start at 5 EUR; the full list is on our site."
	p := ana.submit(edit, url.Values{"name": {"Prices"}, "keywords": {"price, cost"}, "rule_enabled": {"on"}, "rule_text": {typed}})
	if p.status != http.StatusConflict {
		t.Errorf("save after the rule was deleted: %d, want 409", p.status)
	}
	if got := p.find("rule-text").Text(); got != typed {
		t.Errorf("the form shows %q, not what was typed", got)
	}
	if got := p.find("rule-keywords").AttrOr("value", ""); got != "price, cost" {
		t.Errorf("the keywords shown: %q", got)
	}
	if got := p.find("rule-error").Text(); !strings.Contains(got, "deleted") {
		t.Errorf("the form's error: %q", got)
	}
	if got := p.find("keyword-rule-form").AttrOr("action", ""); got != "/admin/auto-replies/rules" {
		t.Errorf("the form saves to %q, not as a new rule", got)
	}
}

// Two admins edit the auto-reply settings at once: the second save does
// not silently undo the first's change.
func TestAutoReplySettingsSavedByTwoAdminsKeepsBoth(t *testing.T) {
	ts := newTestServer(t)
	ana, ben := ts.twoAdmins()
	anaForm := formFields(ana.get("/admin/auto-replies"), "auto-reply-settings")
	benForm := formFields(ben.get("/admin/auto-replies"), "auto-reply-settings")
	benForm.Set("day1", "09:00-17:00")
	benForm.Set("greeting_enabled", "on")
	benForm.Set("greeting_text", "Hello! We answer within the hour.")
	if p := ben.submit("/admin/auto-replies", benForm); p.status != http.StatusSeeOther {
		t.Fatalf("Ben's save: %d %s", p.status, p.find("auto-reply-error").Text())
	}
	anaForm.Set("day1", "08:00-16:00")
	p := ana.submit("/admin/auto-replies", anaForm)
	if p.status != http.StatusConflict {
		t.Fatalf("Ana's save over Ben's: %d, want 409", p.status)
	}
	if got := p.find("hours-day1").AttrOr("value", ""); got != "08:00-16:00" {
		t.Errorf("Monday's hours shown to Ana: %q, not what she typed", got)
	}
	if got := p.find("auto-reply-error").Text(); !strings.Contains(got, "Hello! We answer within the hour.") {
		t.Errorf("the error does not say what Ben saved: %q", got)
	}
	if got := ana.get("/admin/auto-replies").find("hours-day1").AttrOr("value", ""); got != "09:00-17:00" {
		t.Errorf("Ben's hours were replaced: %q", got)
	}
	again := formFields(p, "auto-reply-settings")
	again.Set("greeting_enabled", "on")
	again.Set("greeting_text", "Hello! We answer within the hour.")
	if p := ana.submit("/admin/auto-replies", again); p.status != http.StatusSeeOther {
		t.Fatalf("Ana saves again, having seen Ben's: %d %s", p.status, p.find("auto-reply-error").Text())
	}
	if got := ana.get("/admin/auto-replies").find("hours-day1").AttrOr("value", ""); got != "08:00-16:00" {
		t.Errorf("Ana's second save did not go: %q", got)
	}
}

// Two admins edit the same keyword rule: the second save does not
// silently replace the first's.
func TestKeywordRuleEditedByTwoAdminsKeepsBoth(t *testing.T) {
	ts := newTestServer(t)
	ana, ben := ts.twoAdmins()
	edit := addPricesRule(ana)
	anaForm, benForm := formFields(ana.get(edit), "keyword-rule-form"), formFields(ben.get(edit), "keyword-rule-form")
	benForm.Set("rule_text", "From 6 EUR since May.")
	if p := ben.submit(edit, benForm); p.status != http.StatusSeeOther {
		t.Fatalf("Ben's save: %d %s", p.status, p.find("rule-error").Text())
	}
	anaForm.Set("keywords", "price, cost")
	p := ana.submit(edit, anaForm)
	if p.status != http.StatusConflict {
		t.Fatalf("Ana's save over Ben's: %d, want 409", p.status)
	}
	if got := p.find("rule-keywords").AttrOr("value", ""); got != "price, cost" {
		t.Errorf("the keywords shown to Ana: %q, not what she typed", got)
	}
	if got := p.find("rule-error").Text(); !strings.Contains(got, "From 6 EUR since May.") {
		t.Errorf("the error does not say what Ben saved: %q", got)
	}
	if got := ana.get("/admin/auto-replies").find("keyword-rule").Text(); !strings.Contains(got, "From 6 EUR") {
		t.Errorf("Ben's text was replaced: %q", got)
	}
	again := formFields(p, "keyword-rule-form")
	again.Set("rule_text", "From 6 EUR since May.")
	if p := ana.submit(edit, again); p.status != http.StatusSeeOther {
		t.Fatalf("Ana saves again, having seen Ben's: %d %s", p.status, p.find("rule-error").Text())
	}
	if got := ana.get("/admin/auto-replies").find("keyword-rule").Text(); !strings.Contains(got, "cost") {
		t.Errorf("Ana's second save did not go: %q", got)
	}
}

// The audit log records a keyword rule as it was saved (name trimmed,
// keywords once each), not as it was typed.
func TestKeywordRuleAuditShowsTheRuleAsSaved(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	a.get("/admin/auto-replies")
	if p := a.submit("/admin/auto-replies/rules", url.Values{"name": {"  Prices  "}, "keywords": {"price,price,  price   list "}, "rule_enabled": {"on"}, "rule_text": {"  From 5 EUR.  "}}); p.status != http.StatusSeeOther {
		t.Fatalf("add: %d %s", p.status, p.find("rule-error").Text())
	}
	want := `Prices: keywords price, price list; reply "From 5 EUR."`
	if got := auditActions(a); !hasEntry(got, "auto_replies.rule_add", want) || hasEntry(got, " Prices ") {
		t.Errorf("audit log: %q, want an entry with %q", got, want)
	}
}

// Keywords match whatever the case and punctuation, so a rule keeps one
// of those that match alike ("price", "PRICE", "Price!").
func TestKeywordRuleKeepsOneOfKeywordsThatMatchAlike(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	a.get("/admin/auto-replies")
	if p := a.submit("/admin/auto-replies/rules", url.Values{"name": {"Prices"}, "keywords": {"price, PRICE, Price!, price list, Price  List"}, "rule_enabled": {"on"}, "rule_text": {"From 5 EUR."}}); p.status != http.StatusSeeOther {
		t.Fatalf("add: %d %s", p.status, p.find("rule-error").Text())
	}
	edit := a.get("/admin/auto-replies").find("rule-edit").AttrOr("href", "")
	if got := a.get(edit).find("rule-keywords").AttrOr("value", ""); got != "price, price list" {
		t.Errorf("the rule's keywords: %q, want \"price, price list\"", got)
	}
}

// A keyword that a rule above answers first, on every sender and channel
// the rule covers, never gets this rule's reply: the list says so.
func TestKeywordRulesSayWhichKeywordsAnEarlierRuleAnswers(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	a.get("/admin/auto-replies")
	for _, r := range []url.Values{
		{"name": {"Prices"}, "keywords": {"price"}, "rule_enabled": {"on"}, "rule_text": {"From 5 EUR."}},
		{"name": {"SMS refunds"}, "keywords": {"refund"}, "channel": {"sms"}, "rule_enabled": {"on"}, "rule_text": {"Reply with your order number."}},
		{"name": {"Catalogue"}, "keywords": {"PRICE LIST, catalogue"}, "rule_enabled": {"on"}, "rule_text": {"Here is our list."}},
		{"name": {"Refunds"}, "keywords": {"refund"}, "rule_enabled": {"on"}, "rule_text": {"Refunds take 5 days."}},
	} {
		if p := a.submit("/admin/auto-replies/rules", r); p.status != http.StatusSeeOther {
			t.Fatalf("add %s: %d %s", r.Get("name"), p.status, p.find("rule-error").Text())
		}
	}
	warnings := map[string]string{}
	a.get("/admin/auto-replies").find("keyword-rule").Each(func(_ int, s *goquery.Selection) {
		warnings[s.AttrOr("data-name", "")] = strings.Join(strings.Fields(s.Find(`[data-testid=rule-shadowed]`).Text()), " ")
	})
	if got := warnings["Catalogue"]; !strings.Contains(got, `"PRICE LIST"`) || !strings.Contains(got, "Prices") || strings.Contains(got, "catalogue") {
		t.Errorf("Catalogue's warning: %q, want one about \"PRICE LIST\" and Prices", got)
	}
	for _, name := range []string{"Prices", "SMS refunds", "Refunds"} {
		if got := warnings[name]; got != "" {
			t.Errorf("%s is warned about: %q", name, got)
		}
	}
}

// The reply texts say how long they can be, and the browser stops there,
// well before a form too large for the server to read.
func TestAutoReplyTextsSayTheirLimit(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	p := a.get("/admin/auto-replies")
	for _, name := range []string{"ooo_text", "greeting_text", "help_text", "stop_text", "rule_text"} {
		ta := p.doc.Find(`textarea[name="` + name + `"]`)
		if ta.Length() != 1 {
			t.Errorf("%d textareas %s", ta.Length(), name)
			continue
		}
		if got := ta.AttrOr("maxlength", ""); got != strconv.Itoa(inbox.MaxReplyLength) {
			t.Errorf("%s's maxlength: %q, want %d", name, got, inbox.MaxReplyLength)
		}
		if got := ta.Closest("label").Text(); !strings.Contains(got, strconv.Itoa(inbox.MaxReplyLength)+" characters") {
			t.Errorf("%s's label does not say its limit: %q", name, strings.Join(strings.Fields(got), " "))
		}
	}
}

// The "Try it" box works without script (or before it has loaded): it
// posts, never puts the CSRF token in the address, and the answer is the
// whole page with the result under the box and what was typed kept.
func TestTryAutoReplyWithoutScript(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	a.get("/admin/auto-replies")
	if p := a.submit("/admin/auto-replies/rules", url.Values{"name": {"Prices"}, "keywords": {"price"}, "rule_enabled": {"on"}, "rule_text": {"From 5 EUR."}}); p.status != http.StatusSeeOther {
		t.Fatalf("add: %d", p.status)
	}
	form := a.get("/admin/auto-replies").find("try-form")
	if got := strings.ToLower(form.AttrOr("method", "get")); got != "post" {
		t.Errorf("the try box submits by %s without script: the CSRF token goes into the address", strings.ToUpper(got))
	}
	if got := form.AttrOr("action", ""); got != "/admin/auto-replies/try" {
		t.Errorf("the try box's action: %q", got)
	}
	p := a.submit("/admin/auto-replies/try", url.Values{"text": {"What is the price?"}, "channel": {"sms"}})
	if p.status != http.StatusOK || p.doc.Find("title").Length() == 0 || p.find("try-form").Length() != 1 {
		t.Fatalf("without script the box answers %d, a page: %v", p.status, p.doc.Find("title").Length() > 0)
	}
	if got := p.find("try-result").Find(`[data-testid=try-text-out]`).Text(); got != "From 5 EUR." {
		t.Errorf("the result under the box: %q", got)
	}
	if got := p.find("try-text").AttrOr("value", ""); got != "What is the price?" {
		t.Errorf("the message typed: %q", got)
	}
	if got := p.find("try-channel").Find("option[selected]").AttrOr("value", ""); got != "sms" {
		t.Errorf("the channel chosen: %q", got)
	}
	// With htmx, the result alone, for the box.
	h := a.post("/admin/auto-replies/try", url.Values{"text": {"What is the price?"}})
	if h.doc.Find("title").Length() != 0 || h.find("try-outcome").Length() != 1 {
		t.Errorf("with htmx the box gets more than its result")
	}
}

// addPricesRule adds the keyword rule Prices as a, and returns the address
// of its edit form.
func addPricesRule(a *agent) string {
	a.t.Helper()
	a.get("/admin/auto-replies")
	if p := a.submit("/admin/auto-replies/rules", url.Values{"name": {"Prices"}, "keywords": {"price"}, "rule_enabled": {"on"}, "rule_text": {"From 5 EUR."}}); p.status != http.StatusSeeOther {
		a.t.Fatalf("add: %d %s", p.status, p.find("rule-error").Text())
	}
	return a.get("/admin/auto-replies").find("rule-edit").AttrOr("href", "")
}

// Adding a keyword rule beyond the most Switchboard keeps says so in
// words, keeping what was typed, not as settings to fix.
func TestKeywordRuleBeyondTheMostSaysSoInWords(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	_, err := ts.db.UpdateAutoReplies(t.Context(), time.Now(), func(cfg *inbox.AutoReplyConfig) error {
		for i := range inbox.MaxKeywordRules {
			n := strconv.Itoa(i + 1)
			if _, err := cfg.PutRule(inbox.KeywordRule{Name: "Rule " + n, Keywords: []string{"word" + n},
				AutoReplyMessage: inbox.AutoReplyMessage{Enabled: true, Text: "Answer " + n}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a.get("/admin/auto-replies")
	p := a.submit("/admin/auto-replies/rules", url.Values{"name": {"Shipping"}, "keywords": {"delivery, parcel"}, "rule_enabled": {"on"}, "rule_text": {"It ships in 2 days."}})
	got := p.find("rule-error").Text()
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(got, "Delete one") || strings.Contains(got, "auto-replies:") || strings.Contains(got, "rules:") ||
		strings.Contains(got, "need fixing") {
		t.Errorf("the rule past the most: %d %q, want it said in words", p.status, got)
	}
	if v := p.find("rule-keywords").AttrOr("value", ""); v != "delivery, parcel" || p.find("rule-name").AttrOr("value", "") != "Shipping" {
		t.Errorf("the form lost what was typed: name %q, keywords %q", p.find("rule-name").AttrOr("value", ""), v)
	}
}
