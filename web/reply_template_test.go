package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// A template goes out only with every variable filled: WhatsApp refuses a
// template with an empty parameter, so one left blank (or only spaces) in
// the thread's picker or the API is refused with a sentence, as starting a
// conversation refuses it, and nothing is queued. A variable the template
// does not have ({{3}} of a template of two, "name") is refused too,
// rather than dropped, as are variables sent with text and no template.
func TestTemplateReplyNeedsEveryVariable(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now().Add(-25*time.Hour)))
	conv := ts.mustMessage("msg_1").ConversationID
	ctx := context.Background()
	if err := ts.db.SyncTemplates(ctx, []inbox.Template{
		{ID: "tpl_order", Name: "order_update", Language: "en", Status: "approved", Body: "Hi {{1}}, your order {{2}} has shipped.", UpdatedAt: time.Now()},
	}); err != nil {
		t.Fatal(err)
	}
	a := ts.newAgent()
	a.login(ana.Email)

	for name, v := range map[string]url.Values{
		"a blank variable":     {"templateId": {"tpl_order"}, "var1": {"Oliver"}, "var2": {""}},
		"a variable of spaces": {"templateId": {"tpl_order"}, "var1": {"   "}, "var2": {"#4411"}},
		"a variable not sent":  {"templateId": {"tpl_order"}, "var1": {"Oliver"}},
	} {
		p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), v)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "template_variables") {
			t.Errorf("page, %s: %d %s, want 400 template_variables", name, p.status, p.body)
		}
	}
	for _, body := range []string{
		`{"templateId":"tpl_order","templateVariables":{"1":"Oliver","2":""}}`,
		`{"templateId":"tpl_order","templateVariables":{"1":" ","2":"#4411"}}`,
		`{"templateId":"tpl_order","templateVariables":{"1":"Oliver","3":"#4411"}}`,
		`{"templateId":"tpl_order","templateVariables":{"1":"Oliver","2":"#4411","3":"tomorrow"}}`,
		`{"templateId":"tpl_order","templateVariables":{"name":"Oliver","1":"Oliver","2":"#4411"}}`,
	} {
		status, out := ts.apiCall(ts.token, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/messages", conv), body)
		if status != http.StatusBadRequest || out.Error.Code != "template_variables" {
			t.Errorf("API %s: %d %s, want 400 template_variables", body, status, out)
		}
	}
	if status, out := ts.apiCall(ts.token, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/messages", conv),
		`{"text":"Hi Oliver","templateVariables":{"1":"Oliver"}}`); status != http.StatusBadRequest || out.Error.Code != "invalid_body" ||
		!strings.Contains(out.Error.Message, "templateId") {
		t.Errorf("API text with templateVariables: %d %+v, want 400 invalid_body naming templateId", status, out)
	}
	if entries, err := ts.db.ClaimOutbox(ctx, time.Now(), time.Minute, 10); err != nil || len(entries) != 0 {
		t.Fatalf("outbox after refused templates: %+v %v, want nothing", entries, err)
	}

	// Filled in, it goes, with the values as typed (without the spaces
	// around them).
	p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"templateId": {"tpl_order"}, "var1": {" Oliver "}, "var2": {"#4411"}})
	if p.status != http.StatusOK {
		t.Fatalf("a filled template: %d %s", p.status, p.body)
	}
	entry := claimOne(t, ts)
	if out := entry.Message; out.Text != "Hi Oliver, your order #4411 has shipped." || out.Content.TemplateVariables["1"] != "Oliver" {
		t.Errorf("sent %q with %v", out.Text, out.Content.TemplateVariables)
	}
}

// Templates are WhatsApp's: a template reply to an SMS conversation, by
// the API or a form posted by hand (the composer offers no template on
// SMS), is refused at once with template_not_supported naming SMS, rather
// than accepted with 202 and left for Zavu to fail. Nothing is queued;
// text goes as ever.
func TestTemplateReplyOnSMSIsRefused(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(fixture(t, "extra_message_inbound_sms"))
	conv := ts.mustMessage("msg_x_sms").ConversationID
	ctx := context.Background()
	if err := ts.db.SyncTemplates(ctx, []inbox.Template{
		{ID: "tpl_hello", Name: "hello", Language: "en", Status: "approved", Body: "Hello!", UpdatedAt: time.Now()},
		{ID: "tpl_paused", Name: "paused", Language: "en", Status: "paused", Body: "Hello again!", UpdatedAt: time.Now()},
	}); err != nil {
		t.Fatal(err)
	}
	a := ts.newAgent()
	a.login(ana.Email)
	path := fmt.Sprintf("/conversations/%d/messages", conv)
	if p := a.get(fmt.Sprintf("/conversations/%d", conv)); p.doc.Find(`[data-testid=template-select]`).Length() != 0 ||
		p.doc.Find(`[data-testid=reply-text]`).Length() != 1 {
		t.Errorf("the SMS conversation's composer offers a template, or no text box")
	}

	// The channel is the first refusal: a paused template, or one Zavu
	// does not know, is refused for SMS too, not for its approval.
	for _, tpl := range []string{"tpl_hello", "tpl_paused", "tpl_nowhere"} {
		status, out := ts.apiCall(ts.token, http.MethodPost, "/api/v1"+path, `{"templateId":"`+tpl+`"}`)
		if status != http.StatusBadRequest || out.Error.Code != "template_not_supported" || !strings.Contains(out.Error.Message, "SMS") {
			t.Errorf("API template %s on SMS: %d %+v, want 400 template_not_supported naming SMS", tpl, status, out)
		}
		if p := a.post(path, url.Values{"templateId": {tpl}}); p.status != http.StatusBadRequest ||
			!strings.Contains(p.body, `"template_not_supported"`) {
			t.Errorf("form template %s on SMS: %d %s, want 400 template_not_supported", tpl, p.status, p.body)
		}
	}
	if entries, err := ts.db.ClaimOutbox(ctx, time.Now(), time.Minute, 10); err != nil || len(entries) != 0 {
		t.Fatalf("outbox after refused templates: %+v %v, want nothing", entries, err)
	}
	if status, out := ts.apiCall(ts.token, http.MethodPost, "/api/v1"+path, `{"text":"Hello!"}`); status != http.StatusAccepted {
		t.Errorf("API text on SMS: %d %+v, want 202", status, out)
	}
}

// A reply refused for its text says why, in the same words on the page and
// in the API: an empty one asks for text (blank or "", which the API
// called invalid_body), a too long one gives the limit and its length,
// not "A parameter is not valid."
func TestReplyTextRefusedWithTheReason(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	long := strings.Repeat("Thanks for waiting. ", 250) // 5,000 characters
	for _, c := range []struct {
		text, code, says string
	}{
		{"   \n ", "empty_reply", "Write a reply"},
		{"", "empty_reply", "Write a reply"},
		{long, "reply_too_long", "4096 characters"},
	} {
		p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {c.text}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, `"`+c.code+`"`) || !strings.Contains(p.body, c.says) {
			t.Errorf("page, %.10q: %d %s, want 400 %s saying %q", c.text, p.status, p.body, c.code, c.says)
		}
		body, _ := json.Marshal(map[string]string{"text": c.text})
		status, out := ts.apiCall(ts.token, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/messages", conv), string(body))
		if status != http.StatusBadRequest || out.Error.Code != c.code || !strings.Contains(out.Error.Message, c.says) {
			t.Errorf("API, %.10q: %d %+v, want 400 %s saying %q", c.text, status, out, c.code, c.says)
		}
	}
}

// Retry of a failed template reply whose template Meta has since paused or
// rejected is refused with the reason, rather than sent to Zavu to fail
// again with Zavu's words.
func TestRetryOfATemplateNoLongerApproved(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now().Add(-25*time.Hour)))
	conv := ts.mustMessage("msg_1").ConversationID
	ctx := context.Background()
	tpl := inbox.Template{ID: "tpl_order", Name: "order_update", Language: "en", Status: "approved", Body: "Your order {{1}} has shipped.", UpdatedAt: time.Now()}
	if err := ts.db.SyncTemplates(ctx, []inbox.Template{tpl}); err != nil {
		t.Fatal(err)
	}
	a := ts.newAgent()
	a.login(ana.Email)
	if p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"templateId": {"tpl_order"}, "var1": {"#4411"}}); p.status != http.StatusOK {
		t.Fatalf("send: %d %s", p.status, p.body)
	}
	entry := claimOne(t, ts)
	if _, err := ts.db.OutboxFail(ctx, entry.ID, "503", "Zavu could not be reached after 10 attempts (503).", time.Now()); err != nil {
		t.Fatal(err)
	}
	tpl.Status, tpl.UpdatedAt = "paused", time.Now()
	if err := ts.db.SyncTemplates(ctx, []inbox.Template{tpl}); err != nil {
		t.Fatal(err)
	}
	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	p := a.post(thread.find("retry").AttrOr("hx-post", ""), nil)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "template_not_approved") || !strings.Contains(p.body, "order_update") {
		t.Errorf("retry of a paused template: %d %s, want 400 template_not_approved naming it", p.status, p.body)
	}
	if again, err := ts.db.ClaimOutbox(ctx, time.Now(), time.Minute, 10); err != nil || len(again) != 0 {
		t.Errorf("outbox after the refused retry: %+v %v, want nothing", again, err)
	}
}

// WhatsApp refuses a template whose parameter holds a line break, a tab
// or more than four spaces in a row: such a variable, from the API or a
// form, is refused at once with a sentence naming it, as starting a
// conversation refuses it, rather than accepted and failed by Zavu later;
// nothing is queued and no conversation is started.
func TestTemplateVariableWhatsAppRefusesIsRefused(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now().Add(-25*time.Hour)))
	conv := ts.mustMessage("msg_1").ConversationID
	ctx := context.Background()
	if err := ts.db.SyncTemplates(ctx, []inbox.Template{
		{ID: "tpl_order", Name: "order_update", Language: "en", Status: "approved", Body: "Hi {{1}}, your order {{2}} has shipped.", UpdatedAt: time.Now()},
	}); err != nil {
		t.Fatal(err)
	}
	a := ts.newAgent()
	a.login(ana.Email)
	for _, bad := range []string{"Oliver\nSmith", "Oliver\r\nSmith", "Oliver\tSmith", "Oliver     Smith"} {
		p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"templateId": {"tpl_order"}, "var1": {"Ana"}, "var2": {bad}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "template_variables") || !strings.Contains(p.body, "{{2}}") {
			t.Errorf("page, %q: %d %s, want 400 template_variables naming {{2}}", bad, p.status, p.body)
		}
		body, _ := json.Marshal(map[string]any{"templateId": "tpl_order", "templateVariables": map[string]string{"1": bad, "2": "#4411"}})
		status, out := ts.apiCall(ts.token, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/messages", conv), string(body))
		if status != http.StatusBadRequest || out.Error.Code != "template_variables" {
			t.Errorf("API, %q: %d %v, want 400 template_variables", bad, status, out)
		}
		start := a.post("/conversations", url.Values{"phone": {"+14155550188"}, "channel": {"whatsapp"},
			"sender": {"snd_abc123"}, "templateId": {"tpl_order"}, "var1": {bad}, "var2": {"#4411"}})
		if !strings.Contains(start.body, "{{1}}") {
			t.Errorf("new conversation, %q: %d, the form does not name {{1}}: %s", bad, start.status, start.body)
		}
	}
	if entries, err := ts.db.ClaimOutbox(ctx, time.Now(), time.Minute, 10); err != nil || len(entries) != 0 {
		t.Fatalf("outbox after refused templates: %+v %v, want nothing", entries, err)
	}
	var list struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	ts.mustGet("/api/v1/conversations?status=all", &list)
	if len(list.Items) != 1 {
		t.Errorf("%d conversations, want the customer's alone", len(list.Items))
	}
	// Four spaces in a row are fine.
	if p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"templateId": {"tpl_order"}, "var1": {"Ana"}, "var2": {"#44    11"}}); p.status != http.StatusOK {
		t.Errorf("four spaces in a row: %d %s", p.status, p.body)
	}
}
