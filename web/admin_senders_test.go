package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/web"
)

// allEvents is every event Switchboard needs from a sender's webhook.
func allEvents() []string {
	var out []string
	for _, e := range inbox.SenderEvents {
		out = append(out, string(e))
	}
	return out
}

func TestSendersSyncFromZavuWithWebhookWarnings(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(admin.Email)

	if p := a.get("/admin/senders"); p.status != http.StatusOK || p.find("senders-sync-status").Length() != 1 || p.find("sender").Length() != 0 {
		t.Fatalf("before a sync: %d, %q", p.status, p.find("senders-sync-status").Text())
	}

	ours := "http://localhost/webhooks/zavu"
	// Four senders: more than the fake's page of three, so the sync must
	// follow the cursor.
	ts.zavu.SetSenders([]zavu.Sender{
		{ID: "snd_main", Name: "Support", PhoneNumber: "+15550000001", IsDefault: true,
			Webhook: &zavu.SenderWebhook{URL: ours, Events: allEvents(), Active: true}},
		{ID: "snd_elsewhere", Name: "Sales", PhoneNumber: "+15550000002",
			Webhook: &zavu.SenderWebhook{URL: "https://old-crm.example.com/hooks/zavu", Events: allEvents(), Active: true}},
		{ID: "snd_partial", Name: "Billing", PhoneNumber: "+15550000003",
			Webhook: &zavu.SenderWebhook{URL: ours, Events: []string{"message.inbound", "conversation.new", "message.failed"}, Active: true}},
		{ID: "snd_bare", Name: "Alerts", PhoneNumber: "+15550000004"},
	})
	if p := a.post("/admin/senders/sync", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("sync: %d %s", p.status, p.body)
	}
	p := a.get("/admin/senders")
	if got := p.find("senders-sync-status").Text(); !strings.Contains(got, "4 senders") {
		t.Errorf("sync status %q, want it to count 4 senders", got)
	}
	if got := p.find("our-webhook-url").Text(); got != ours {
		t.Errorf("the page names %q as our webhook URL, want %q", got, ours)
	}
	cards := map[string]string{}
	warnings := map[string]string{}
	p.find("sender").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-sender-id")
		cards[id] = s.Text()
		warnings[id] = s.Find(`[data-testid="sender-warning"]`).Text()
	})
	if len(cards) != 4 {
		t.Fatalf("senders on the page: %v", cards)
	}
	if first, _ := p.find("sender").First().Attr("data-sender-id"); first != "snd_main" {
		t.Errorf("first sender %q, want the default one", first)
	}
	if !strings.Contains(cards["snd_main"], "Support") || !strings.Contains(cards["snd_main"], "+15550000001") ||
		!strings.Contains(cards["snd_main"], "Default") || warnings["snd_main"] != "" {
		t.Errorf("the well set up sender: %q, warnings %q", cards["snd_main"], warnings["snd_main"])
	}
	if w := warnings["snd_elsewhere"]; !strings.Contains(w, "https://old-crm.example.com/hooks/zavu") || !strings.Contains(w, ours) || strings.Contains(w, "leaves out") {
		t.Errorf("warning for a webhook pointing elsewhere: %q", w)
	}
	w := warnings["snd_partial"]
	for _, missing := range []string{"message.delivered", "message.read", "message.reaction", "template.status_changed"} {
		if !strings.Contains(w, missing) {
			t.Errorf("warning for missing events %q does not name %s", w, missing)
		}
	}
	if strings.Contains(w, "message.inbound") || strings.Contains(w, "not to Switchboard") {
		t.Errorf("warning for missing events names what is fine: %q", w)
	}
	if w := warnings["snd_bare"]; !strings.Contains(w, "no webhook") {
		t.Errorf("warning for a sender without a webhook: %q", w)
	}

	audit := a.get("/admin/audit").find("audit-entry").Text()
	if !strings.Contains(audit, "senders.sync") || !strings.Contains(audit, "Synced 4 senders") {
		t.Errorf("audit log: %q", audit)
	}
}

func TestSendersSyncFailureIsShownInPlainWords(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(admin.Email)

	ts.zavu.FailNext(1, zavu.Failure{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "Invalid or missing API key", AnyPath: true})
	if p := a.post("/admin/senders/sync", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("sync: %d %s", p.status, p.body)
	}
	p := a.get("/admin/senders")
	got := p.find("senders-sync-problem").Text()
	if !strings.Contains(got, "invalid API key") || !strings.Contains(got, "ZAVU_API_KEY") {
		t.Errorf("sync problem %q, want it to say the API key is invalid", got)
	}
	for _, goErr := range []string{"zavu:", "GET /v1/senders", "401"} {
		if strings.Contains(p.body, goErr) {
			t.Errorf("the page shows the Go error (%q)", goErr)
		}
	}
}

// inboundFor is an inbound SMS to sender, as Zavu delivers it.
func inboundFor(sender, evtID string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"type":"message.inbound","timestamp":%d,"senderId":%q,"projectId":"prj_1",
		"data":{"messageId":"msg_%s","from":"+14155550111","to":"+15550000009","channel":"sms","messageType":"text","text":"Hello"}}`,
		evtID, time.Now().UnixMilli(), sender, evtID))
}

func TestPerSenderSecretWorksAtOnceAndIsNeverShown(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(admin.Email)
	ts.zavu.SetSenders([]zavu.Sender{{ID: "snd_new", Name: "New line", PhoneNumber: "+15550000009"}})
	a.post("/admin/senders/sync", url.Values{})

	const secret = "whsec_perSender0123456789QRST"
	deliver := func(evtID string) int {
		t.Helper()
		body := inboundFor("snd_new", evtID)
		status, _ := ts.postWith(body, zavu.Sign(secret, time.Now(), body), nil)
		return status
	}
	if got := deliver("evt_before"); got != http.StatusUnauthorized {
		t.Fatalf("signed with a secret not yet entered: %d, want 401", got)
	}

	// A malformed secret is refused in plain words, and not echoed back.
	p := a.post("/admin/senders/snd_new/secret", url.Values{"secret": {"sk_live_notAWebhookSecret"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.find("secret-error").Text(), "whsec_") {
		t.Fatalf("malformed secret: %d %q", p.status, p.find("secret-error").Text())
	}
	if strings.Contains(p.body, "notAWebhookSecret") {
		t.Error("the refused secret is shown back on the page")
	}

	if p := a.post("/admin/senders/snd_new/secret", url.Values{"secret": {secret}}); p.status != http.StatusSeeOther {
		t.Fatalf("save secret: %d %s", p.status, p.body)
	}
	if got := deliver("evt_after"); got != http.StatusOK {
		t.Fatalf("signed with the secret just saved: %d, want 200 without a restart", got)
	}
	// The configured secret still works beside it.
	ts.mustPost(inboundFor("snd_new", "evt_env"))
	// It signs snd_new's events only: not another sender's, and not a
	// project-level event, which carries no sender.
	other := inboundFor("snd_other", "evt_other")
	if got, _ := ts.postWith(other, zavu.Sign(secret, time.Now(), other), nil); got != http.StatusUnauthorized {
		t.Errorf("another sender's event signed with snd_new's secret: %d, want 401", got)
	}
	project := fixture(t, "seed_broadcast_status_changed") // no senderId
	if got, _ := ts.postWith(project, zavu.Sign(secret, time.Now(), project), nil); got != http.StatusUnauthorized {
		t.Errorf("a project-level event signed with snd_new's secret: %d, want 401", got)
	}
	ts.mustPost(project)

	p = a.get("/admin/senders?done=secret-saved")
	if got := p.find("secret-state").Text(); !strings.Contains(got, "Set, ending in …QRST") {
		t.Errorf("secret state %q", got)
	}
	if p.find("remove-secret").Length() != 1 || !strings.Contains(p.find("senders-notice").Text(), "saved") {
		t.Errorf("no Remove button or notice after saving")
	}
	// Removing it refuses the sender's webhooks at once: the page asks
	// first, saying so.
	if c := p.find("remove-secret").Closest("details.confirm"); c.Length() != 1 || c.Find(`[data-testid="remove-secret-open"]`).Length() != 1 ||
		!strings.Contains(c.Text(), "refused") {
		t.Errorf("Remove secret goes at one click, without saying what it does")
	}
	for _, path := range []string{"/admin/senders", "/admin/audit", "/admin/webhooks", "/admin/templates", "/admin/settings"} {
		if b := a.get(path).body; strings.Contains(b, secret) || strings.Contains(b, "perSender0123") {
			t.Errorf("%s shows the secret", path)
		}
	}
	if audit := a.get("/admin/audit").find("audit-entry").Text(); !strings.Contains(audit, "sender.secret_set") {
		t.Errorf("audit log: %q", audit)
	}

	if p := a.post("/admin/senders/snd_new/secret/delete", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("remove secret: %d %s", p.status, p.body)
	}
	if got := deliver("evt_removed"); got != http.StatusUnauthorized {
		t.Errorf("signed with a removed secret: %d, want 401", got)
	}
	if got := a.get("/admin/senders").find("secret-state").Text(); strings.Contains(got, "Set") {
		t.Errorf("secret state after removal: %q", got)
	}
}

// A sync that finds one sender or one template says "1 sender", "1
// template", not "1 senders".
func TestSyncOfOneSaysItInTheSingular(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(admin.Email)
	ts.zavu.SetSenders([]zavu.Sender{{ID: "snd_main", Name: "Support", PhoneNumber: "+15550000001", IsDefault: true}})
	ts.zavu.SetTemplates([]zavu.Template{{ID: "tmpl_ship", Name: "order_shipped", Language: "en", Status: "approved",
		Category: "UTILITY", Body: "Hi {{1}}, your order has shipped."}})
	for _, page := range []string{"senders", "templates"} {
		if p := a.post("/admin/"+page+"/sync", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("sync %s: %d %s", page, p.status, p.body)
		}
		got := strings.Join(strings.Fields(a.get("/admin/"+page).find(page+"-sync-status").Text()), " ")
		if want := ": 1 " + strings.TrimSuffix(page, "s") + "."; !strings.HasSuffix(got, want) {
			t.Errorf("the %s page says %q, want it to end %q", page, got, want)
		}
	}
}

// Replacing a sender's secret does not refuse the webhooks Zavu signed
// with the old one before the switch (and its retries of them): the page
// says until when the old one counts, and can stop it at once.
func TestReplacingASendersSecretKeepsTheOldOneForTheSwitch(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(admin.Email)
	ts.zavu.SetSenders([]zavu.Sender{{ID: "snd_new", Name: "New line", PhoneNumber: "+15550000009"}})
	a.post("/admin/senders/sync", url.Values{})

	const old, next = "whsec_oldOldOld12345678ABCD", "whsec_newNewNew87654321WXYZ"
	deliver := func(secret, evtID string) int {
		t.Helper()
		body := inboundFor("snd_new", evtID)
		status, _ := ts.postWith(body, zavu.Sign(secret, time.Now(), body), nil)
		return status
	}
	if p := a.post("/admin/senders/snd_new/secret", url.Values{"secret": {old}}); p.status != http.StatusSeeOther {
		t.Fatalf("save secret: %d %s", p.status, p.body)
	}
	if p := a.post("/admin/senders/snd_new/secret", url.Values{"secret": {next}}); p.status != http.StatusSeeOther {
		t.Fatalf("replace secret: %d %s", p.status, p.body)
	}
	if got := deliver(next, "evt_new"); got != http.StatusOK {
		t.Fatalf("signed with the new secret: %d, want 200", got)
	}
	if got := deliver(old, "evt_signed_before_the_switch"); got != http.StatusOK {
		t.Fatalf("signed with the secret just replaced: %d, want 200 while Zavu may still send it", got)
	}

	p := a.get("/admin/senders?done=secret-replaced")
	if got := p.find("previous-secret").Text(); !strings.Contains(got, "…ABCD") || !strings.Contains(got, "still accepted until") {
		t.Errorf("the page says of the old secret: %q", got)
	}
	if got := p.find("senders-notice").Text(); !strings.Contains(got, "old one for 24 hours") {
		t.Errorf("notice after replacing: %q", got)
	}
	if strings.Contains(p.body, "oldOldOld") {
		t.Error("the page shows the old secret")
	}

	if p := a.post("/admin/senders/snd_new/secret/previous/delete", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("stop the old secret: %d %s", p.status, p.body)
	}
	if got := deliver(old, "evt_after_stop"); got != http.StatusUnauthorized {
		t.Errorf("signed with the old secret once stopped: %d, want 401", got)
	}
	if got := deliver(next, "evt_new_again"); got != http.StatusOK {
		t.Errorf("signed with the new secret once the old one stopped: %d, want 200", got)
	}
	if p := a.get("/admin/senders"); p.find("previous-secret").Length() != 0 {
		t.Errorf("the old secret is still shown once stopped: %q", p.find("previous-secret").Text())
	}
	if audit := a.get("/admin/audit").find("audit-entry").Text(); !strings.Contains(audit, "sender.secret_remove_previous") {
		t.Errorf("audit log: %q", audit)
	}
}

// Without ZAVU_WEBHOOK_SECRET, a sender's webhooks get in only with the
// secret entered for it on the page: the page does not say they are
// checked with ZAVU_WEBHOOK_SECRET, but that every one is refused, and
// removing the secret says so too.
func TestSendersWithoutAnySecretSayTheirWebhooksAreRefused(t *testing.T) {
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) {
		w := d.Webhooks.(zavu.Webhooks)
		w.Secrets = nil
		d.Webhooks = w
	})
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(admin.Email)
	ts.zavu.SetSenders([]zavu.Sender{{ID: "snd_new", Name: "New line", PhoneNumber: "+15550000009"}})
	a.post("/admin/senders/sync", url.Values{})

	p := a.get("/admin/senders")
	if got := p.find("secret-state").Text(); strings.Contains(got, "checked with ZAVU_WEBHOOK_SECRET") || !strings.Contains(got, "refuses every webhook") {
		t.Errorf("with no secret anywhere, the page says: %q", got)
	}
	body := inboundFor("snd_new", "evt_unsigned_for_us")
	if status, _ := ts.postWith(body, zavu.Sign(testSecret, time.Now(), body), nil); status != http.StatusUnauthorized {
		t.Fatalf("a webhook with no secret to check it: %d, want 401 as the page says", status)
	}

	const secret = "whsec_perSender0123456789QRST"
	if p := a.post("/admin/senders/snd_new/secret", url.Values{"secret": {secret}}); p.status != http.StatusSeeOther {
		t.Fatalf("save secret: %d", p.status)
	}
	p = a.get("/admin/senders")
	if p.find("secret-missing").Length() != 0 {
		t.Error("the warning stays once the secret is set")
	}
	if got := p.find("remove-secret").Closest("details.confirm").Text(); !strings.Contains(got, "Every webhook of this sender is refused") {
		t.Errorf("removing the only secret says: %q", got)
	}
}
