package web_test

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// adminOnAPhone reports what on an admin page does not fit a phone: the
// page or its main part scrolling sideways, anything in it (a card, a
// button, a long value) reaching past the screen's edge, a table's header
// row in sight, or a button in a table smaller than a thumb.
const adminOnAPhone = `(() => {
	const out = [], main = document.querySelector('main'), d = document.scrollingElement;
	if (d.scrollWidth > innerWidth) out.push('the page scrolls sideways: ' + d.scrollWidth + ' px on a ' + innerWidth + ' px screen');
	if (main.scrollWidth > main.clientWidth) out.push('main scrolls sideways: ' + main.scrollWidth + ' px in ' + main.clientWidth);
	const name = e => e.tagName.toLowerCase() + (e.dataset.testid ? '[' + e.dataset.testid + ']' : e.className ? '.' + e.className.split(' ')[0] : '') +
		' "' + e.textContent.trim().replace(/\s+/g, ' ').slice(0, 24) + '"';
	// The admin menu's sections are a row that scrolls sideways on its own.
	const all = [...document.querySelectorAll('.admin-nav *, main *')].filter(e => !e.closest('thead, .sr-only, .admin-nav li') && e.getClientRects().length > 0);
	const past = all.filter(e => e.getBoundingClientRect().right > innerWidth + 0.5);
	const innermost = past.filter(e => !past.some(c => c !== e && e.contains(c)));
	if (past.length) out.push('past the screen: ' + innermost.slice(0, 4).map(e => name(e) + ' ends at ' + Math.round(e.getBoundingClientRect().right)).join(', '));
	const spill = all.filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible');
	if (spill.length) out.push('wider than its box: ' + spill.slice(-3).map(e => name(e) + ' ' + e.scrollWidth + ' px in ' + e.clientWidth).join(', '));
	for (const h of document.querySelectorAll('.admin-table thead')) {
		if (h.getBoundingClientRect().height > 1) out.push('a header row shows: ' + name(h));
	}
	for (const b of document.querySelectorAll('.admin-table .btn, .admin-table summary')) {
		const r = b.getBoundingClientRect();
		if (r.height > 0 && r.height < 44) out.push(name(b) + ' is ' + Math.round(r.height) + ' px tall');
	}
	return out.join('; ');
})()`

// TestBrowserAdminPagesOnAPhone: every admin page at 390x844, filled with
// long names, e-mail addresses, a long token name, webhook events with long
// ids (one failed with its error, deliveries refused for their signature)
// and audit entries, fits the screen: nothing scrolls sideways, each table
// row is a card within the screen whose buttons can be tapped, also with
// every folded part (confirmations, raw events, report tables) open, and
// axe passes. On a laptop the tables have their header rows again.
func TestBrowserAdminPagesOnAPhone(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	maxi := fillAdminPages(t, ls)

	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana.administrator@example.com")
	pages := []string{"/admin", "/admin/auto-replies", "/admin/satisfaction", "/admin/saved-replies", "/admin/labels",
		"/admin/agents", "/admin/agents/" + strconv.FormatInt(maxi, 10), "/admin/tokens", "/admin/senders", "/admin/templates",
		"/admin/webhooks", "/admin/audit", "/admin/settings", "/reports"}
	for _, p := range pages {
		b.open(ls.url() + p)
		if got := b.eval(adminOnAPhone); got != "" {
			t.Errorf("%s at 390x844: %s", p, got)
		}
		b.accessible(p+" at 390x844", false)
		if p != "/reports" {
			// The sections: one row above the page, the current one in sight.
			if got := b.eval(`(() => {
				const nav = document.querySelector('.admin-nav').getBoundingClientRect(), cur = document.querySelector('.admin-nav [aria-current=page]');
				const out = [];
				if (nav.height > 60) out.push('the admin menu is ' + Math.round(nav.height) + ' px tall');
				if (cur) {
					const r = cur.getBoundingClientRect();
					if (r.left < 0 || r.right > innerWidth) out.push('the current section, ' + cur.textContent + ', is out of sight at ' + Math.round(r.left) + '-' + Math.round(r.right) + ' px');
				}
				return out.join('; ');
			})()`); got != "" {
				t.Errorf("%s at 390x844: %s", p, got)
			}
		}
		// Open every folded part: a confirmation, a raw event, a chart's table.
		b.eval(`document.querySelectorAll('main details').forEach(d => d.open = true), ''`)
		if got := b.eval(adminOnAPhone); got != "" {
			t.Errorf("%s at 390x844 with its folded parts open: %s", p, got)
		}
	}

	// The cards say what a value is where the value alone does not.
	b.open(ls.url() + "/admin/webhooks")
	b.waitFor("the failed event, the refused delivery and the broadcast are listed", `document.querySelector('[data-testid=event] [data-testid=event-error]') &&
		document.querySelector('[data-testid=sig-failure]') && document.querySelector('[data-testid=activity-entry]')`)
	b.open(ls.url() + "/admin/tokens")
	if got := b.eval(`getComputedStyle(document.querySelector('[data-testid=token-last-used]'), '::before').content`); !strings.HasPrefix(got, `"Last used"`) {
		t.Errorf("a token's card names its last use %s, want \"Last used\"", got)
	}

	b.setScreen(laptop, false)
	for _, p := range []string{"/admin/tokens", "/admin/agents", "/admin/webhooks", "/admin/audit"} {
		b.open(ls.url() + p)
		b.waitFor(p+" has a table with its header row on a laptop", `[...document.querySelectorAll('.admin-table')].every(t =>
			getComputedStyle(t).display === 'table' && t.tHead.getBoundingClientRect().height > 10 &&
			[...t.querySelectorAll('td')].every(c => getComputedStyle(c, '::before').content === 'none'))`)
	}
}

// fillAdminPages fills every admin page with what makes a page wide: long
// names and e-mail addresses, a long token name and a revoked token, webhook
// events with long ids (one failed), a delivery refused for its signature,
// a broadcast's status, audit entries, a saved reply, a label, two keyword
// rules (the second warned of a keyword the first answers) and a rejected
// template, all with long words. It returns the id of Maximiliana, an
// admin with a long name; Ana Administrator signs in.
func fillAdminPages(t *testing.T, ls *liveServer) (maxi int64) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	ana := ls.addAdmin("ana.administrator@example.com", "Ana Administrator")
	maxi = ls.addAdmin("maximiliana.von-long-name.der-dritte@customer-support.example.com", "Maximiliana Von Long-Name der Dritte")
	ls.addUser("bartholomew.featherstonehaugh-cholmondeley@example.co.uk", "Bartholomew Featherstonehaugh-Cholmondeley")
	bart, err := ls.db.UserByEmail(ctx, "bartholomew.featherstonehaugh-cholmondeley@example.co.uk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ls.db.DeactivateUser(ctx, bart.ID, 0, time.Now()); err != nil {
		t.Fatal(err)
	}

	for i, name := range []string{"Nightly export of every resolved conversation to the analytics warehouse (prod-eu-west-1)", "Uptime check"} {
		tok := inbox.APIToken{Name: name, Hash: "hash-" + strconv.Itoa(i), Scope: inbox.ScopeRead, CreatedAt: now, CreatedBy: &maxi}
		if err := ls.db.CreateAPIToken(ctx, &tok); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if _, err := ls.db.RevokeAPIToken(ctx, tok.ID, now); err != nil {
				t.Fatal(err)
			}
		}
	}

	if err := ls.db.SyncSenders(ctx, []inbox.Sender{{ID: "snd_abc123", Name: "Customer support line for the Benelux and the Nordics", Phone: "+13125559876",
		Webhook: &inbox.SenderWebhook{URL: "https://support.example.com/webhooks/zavu/an-old-path-nobody-remembers", Events: []string{"message.inbound"}, Active: true}}}, now); err != nil {
		t.Fatal(err)
	}
	// A secret replaced: the page names the old one, still accepted.
	for _, secret := range []string{"whsec_theOldSecretOfTheBeneluxLine0001", "whsec_theNewSecretOfTheBeneluxLine0002"} {
		if err := ls.db.SetSenderSecret(ctx, "snd_abc123", secret, now); err != nil {
			t.Fatal(err)
		}
	}
	ls.post(inboundFrom("evt_01JDQ2XKZ8Y7M3N4P5Q6R7S8T9VWXYZ0123456789", "msg_01JDQ2XKZ8Y7M3N4P5Q6R7S8T9", "+14155550101",
		"Maximiliana Von Long-Name der Dritte", "Hello, where is my parcel?", now.Add(-time.Minute)))
	ls.post(event("evt_01JDQ2XKZ8Y7M3N4P5Q6R7S8TA_contact_updated_and_more", "contact.updated", now, map[string]any{"phoneNumber": "+14155551234"}))
	ls.post(fixture(t, "seed_broadcast_status_changed"))
	refused := inboundText("evt_refused", "msg_refused", "Hi", now)
	req, _ := http.NewRequest(http.MethodPost, ls.url()+"/webhooks/zavu", bytes.NewReader(refused))
	req.Header.Set("X-Zavu-Signature", zavu.Sign("whsec_not_ours_at_all", now, refused))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("a delivery with a wrong signature was taken")
	}

	for _, e := range []inbox.AuditEntry{
		{At: now, UserID: &ana, Action: "user.add", Detail: `"Maximiliana Von Long-Name der Dritte" <maximiliana.von-long-name.der-dritte@customer-support.example.com>, admin`},
		{At: now, UserID: &maxi, Action: "auto_replies.rule_update", Detail: "Refunds and returns for international orders: keywords refund, return my order, money back"},
	} {
		if err := ls.db.AddAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := ls.db.CreateSavedReply(ctx, &inbox.SavedReply{Shortcut: "refund-intl-orders-and-customs", Title: "Refund policy for orders shipped outside the European Union",
		Body: "Hi {{contact.name}}, orders shipped abroad can be returned within 30 days; see https://shop.example.com/help/returns/international-orders-and-customs-duties"}); err != nil {
		t.Fatal(err)
	}
	if err := ls.db.CreateLabel(ctx, &inbox.Label{Name: "awaiting-customs-clearance-international", Colour: "teal", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.db.UpdateAutoReplies(ctx, now, func(c *inbox.AutoReplyConfig) error {
		c.Keywords = append(c.Keywords, inbox.KeywordRule{ID: 1, Name: "Refunds and returns for international orders",
			Keywords: []string{"refund", "return my order", "money back", "chargeback", "reimbursement"},
			AutoReplyMessage: inbox.AutoReplyMessage{Enabled: true,
				Text: "Thanks for writing! Our returns team answers refund questions within two working days: https://shop.example.com/help/returns/international-orders"}},
			// Below the first, which answers its first keyword: the list
			// says so.
			inbox.KeywordRule{ID: 2, Name: "Return labels", Keywords: []string{"return my order with a prepaid label please", "label"},
				AutoReplyMessage: inbox.AutoReplyMessage{Enabled: true, Text: "We send a prepaid label the same day."}})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := ls.db.SyncTemplates(ctx, []inbox.Template{{ID: "tpl_1", Name: "order_shipped_with_tracking_link_and_estimated_delivery_date_v2",
		Language: "en_US", Category: "UTILITY", Status: "rejected", UpdatedAt: now,
		RejectionReason: "The template's body has a variable at its very start or end (INVALID_FORMAT_VARIABLE_AT_START_OR_END_OF_BODY)"}}); err != nil {
		t.Fatal(err)
	}
	return maxi
}
