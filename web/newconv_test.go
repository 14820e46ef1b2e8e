package web_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

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
	entry := claimOne(t, ts)
	out := entry.Message
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

// The From picker of a new conversation names the business's numbers as
// agents know them (the name given in Admin > Senders, else the number),
// never by Zavu's ids, and the form still sends the id.
func TestNewConversationNamesItsSenders(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hi", time.Now())) // makes sender snd_abc123 known
	if err := ts.db.SyncSenders(context.Background(), []inbox.Sender{
		{ID: "snd_abc123", Name: "Support line", Phone: "+13125559876"},
		{ID: "snd_sms", Phone: "+13125550000"},
	}, time.Now()); err != nil {
		t.Fatal(err)
	}
	a := ts.newAgent()
	a.login(ana.Email)
	form := a.htmx("/conversations/new")
	var got []string
	form.doc.Find(`[data-testid=new-sender] option`).Each(func(_ int, o *goquery.Selection) {
		got = append(got, o.AttrOr("value", "")+"="+strings.TrimSpace(o.Text()))
	})
	slices.Sort(got)
	if want := []string{"snd_abc123=Support line", "snd_sms=+13125550000"}; !slices.Equal(got, want) {
		t.Errorf("the From picker offers %q, want %q", got, want)
	}
}

// A conversation an agent starts is theirs: it goes to their Mine, not to
// Unassigned for a teammate to pick up. One a teammate has already keeps
// its assignee.
func TestAConversationAnAgentStartsIsTheirs(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ben := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hi", time.Now())) // makes sender snd_abc123 known
	a := ts.newAgent()
	a.login(ana.Email)
	start := func(phone string) apiConversation {
		t.Helper()
		p := a.post("/conversations", url.Values{"phone": {phone}, "channel": {"sms"}, "sender": {"snd_abc123"}, "text": {"Your table is ready."}})
		if p.find("thread").Length() != 1 {
			t.Fatalf("start: %d %s", p.status, p.find("new-error").Text())
		}
		for _, c := range all[apiConversation](ts, "/api/v1/conversations", "cursor") {
			if c.Contact.Phone == phone {
				return c
			}
		}
		t.Fatalf("no conversation with %s", phone)
		return apiConversation{}
	}
	if c := start("+14155550999"); c.AssigneeID == nil || *c.AssigneeID != ana.ID {
		t.Errorf("a conversation Ana started is assigned to %v, want Ana (%d)", c.AssigneeID, ana.ID)
	}

	if _, err := ts.db.Assign(context.Background(), start("+14155550777").ID, &ben.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if c := start("+14155550777"); c.AssigneeID == nil || *c.AssigneeID != ben.ID {
		t.Errorf("Ben's conversation, written to from New by Ana, is assigned to %v, want Ben (%d)", c.AssigneeID, ben.ID)
	}
}

// A text that starts an SMS conversation is taken as long as a reply in
// the thread may be: a paste longer than the form took was cut short by
// the browser without a word, and went out so. One longer than a reply
// may be comes back in the form, whole, with a sentence saying by how
// much, and no conversation is started.
func TestNewSMSConversationTakesAReplysLengthAndNeverCutsIt(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hi", time.Now())) // makes sender snd_abc123 known
	a := ts.newAgent()
	a.login(ana.Email)
	form := a.htmx("/conversations/new")
	box := form.find("new-text")
	if max, ok := box.Attr("maxlength"); ok {
		if n, _ := strconv.Atoi(max); n < inbox.MaxReplyLength {
			t.Errorf("the message box cuts a text at %s characters, where a reply takes %d", max, inbox.MaxReplyLength)
		}
	}
	long := strings.Repeat("Your table is ready. ", 205)[:inbox.MaxReplyLength+1]
	p := a.post("/conversations", url.Values{"phone": {"+14155550999"}, "channel": {"sms"}, "sender": {"snd_abc123"}, "text": {long}})
	if p.find("new-error").Length() != 1 || !strings.Contains(p.find("new-error").Text(), "4096") {
		t.Errorf("a text over the limit: %d, no error in the form: %s", p.status, p.body)
	}
	if got := p.find("new-text").Text(); got != long {
		t.Errorf("the form gives back %d characters of the text, want all %d", len(got), len(long))
	}
	if convs := all[apiConversation](ts, "/api/v1/conversations", "cursor"); len(convs) != 1 {
		t.Errorf("a refused text started a conversation: %d conversations", len(convs))
	}
	ok := long[:2000]
	if p := a.post("/conversations", url.Values{"phone": {"+14155550999"}, "channel": {"sms"}, "sender": {"snd_abc123"}, "text": {ok}}); p.find("thread").Length() != 1 {
		t.Fatalf("a text of 2,000 characters: %d %s", p.status, p.find("new-error").Text())
	}
	if entry := claimOne(t, ts); entry.Message.Text != strings.TrimRight(ok, " ") {
		t.Errorf("sent %d characters, want the %d written", len(entry.Message.Text), len(ok))
	}
}
