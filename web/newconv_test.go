package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

func TestStartAConversationWithATemplateOrText(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hi", time.Now())) // makes sender snd_abc123 known
	ctx := context.Background()
	if err := ts.db.SyncTemplates(ctx, []inbox.Template{
		{ID: "tpl_order", Name: "order_update", Language: "en", Status: "approved", Body: "Hi {{1}}, your order {{2}} has shipped.", UpdatedAt: time.Now()},
		{ID: "tpl_draft", Name: "promo", Language: "en", Status: "pending", Body: "Sale!", UpdatedAt: time.Now()},
	}); err != nil {
		t.Fatal(err)
	}
	a := ts.newAgent()
	a.login(ana.Email)
	form := a.htmx("/conversations/new")
	if n := form.doc.Find(`[data-testid=template-select] option[value]`).Length(); n != 2 { // the prompt and the approved one
		t.Fatalf("template options: %d, want the approved template only", n)
	}

	post := func(v url.Values) page {
		t.Helper()
		return a.post("/conversations", v)
	}
	base := url.Values{"phone": {"+447700900123"}, "channel": {"whatsapp"}, "sender": {"snd_abc123"}}
	for name, edit := range map[string]func(url.Values){
		"bad phone":         func(v url.Values) { v.Set("phone", "07700 900123") },
		"no template":       func(v url.Values) {},
		"missing variables": func(v url.Values) { v.Set("templateId", "tpl_order"); v.Set("var1", "Oliver") },
		"unknown sender":    func(v url.Values) { v.Set("sender", "snd_other"); v.Set("templateId", "tpl_order") },
		"draft template":    func(v url.Values) { v.Set("templateId", "tpl_draft") },
	} {
		v := url.Values{}
		for k, x := range base {
			v[k] = x
		}
		edit(v)
		if p := post(v); p.find("new-error").Length() != 1 {
			t.Errorf("%s: no error shown (%d)", name, p.status)
		}
	}
	if convs := all[apiConversation](ts, "/api/v1/conversations", "cursor"); len(convs) != 1 {
		t.Fatalf("refused forms created conversations: %d", len(convs))
	}

	v := url.Values{"phone": {"+447700900123"}, "channel": {"whatsapp"}, "sender": {"snd_abc123"},
		"templateId": {"tpl_order"}, "var1": {"Oliver"}, "var2": {"#4411"}}
	p := post(v)
	if p.find("thread").Length() != 1 || !strings.HasPrefix(p.header.Get("HX-Push-Url"), "/conversations/") {
		t.Fatalf("start: %d %s", p.status, p.find("new-error").Text())
	}
	entries, err := ts.db.ClaimOutbox(ctx, time.Now(), time.Minute, 10)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox: %+v %v", entries, err)
	}
	out := entries[0].Message
	if out.Type != inbox.TypeTemplate || out.To != "+447700900123" || out.Content.TemplateID != "tpl_order" ||
		out.Content.TemplateVariables["1"] != "Oliver" || out.Content.TemplateVariables["2"] != "#4411" {
		t.Errorf("outgoing %+v %+v", out, out.Content)
	}
	if got := p.find("message").Find(`[data-testid=text]`).Text(); got != "Hi Oliver, your order #4411 has shipped." {
		t.Errorf("the thread shows %q, want the filled template", got)
	}

	sms := url.Values{"phone": {"+14155550999"}, "channel": {"sms"}, "sender": {"snd_abc123"}, "text": {"Your table is ready."}}
	if p := post(sms); p.find("thread").Length() != 1 {
		t.Fatalf("SMS start: %s", p.find("new-error").Text())
	}
	if convs := all[apiConversation](ts, "/api/v1/conversations", "cursor"); len(convs) != 3 {
		t.Errorf("conversations: %d, want 3", len(convs))
	}
}
