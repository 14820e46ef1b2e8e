package web_test

import (
	"context"
	"testing"
	"time"

	"switchboard/inbox"
)

// The agent's pages and dialogs beyond the list and the thread, on a phone
// (390x844) and a tablet (1024x768): each stays within the screen, with
// nothing to scroll sideways to, and passes axe.

// offScreen is a JavaScript expression: the elements matching sel that show
// and reach past either side of the screen, each with its edges; "" when
// every one is within it.
func offScreen(sel string) string {
	return `[...document.querySelectorAll('` + sel + `')].filter(e => e.getClientRects().length > 0).map(e => [e, e.getBoundingClientRect()])
		.filter(([e, r]) => r.left < 0 || r.right > innerWidth)
		.map(([e, r]) => (e.dataset.testid || e.className || e.tagName) + ' at ' + Math.round(r.left) + '..' + Math.round(r.right) + ' px of ' + innerWidth).join('; ')`
}

// scrollsSideways is a JavaScript expression: the elements matching sel
// whose content is wider than they are, so that they scroll sideways.
func scrollsSideways(sel string) string {
	return `[...document.querySelectorAll('` + sel + `')].filter(e => e.scrollWidth > e.clientWidth + 1)
		.map(e => (e.id || e.className) + ' is ' + e.scrollWidth + ' px wide in ' + e.clientWidth).join('; ')`
}

// The New conversation form, with a template of a long name and three
// variables, fits a phone and a tablet; its template picker has a name.
func TestBrowserNewConversationOnSmallerScreens(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_n1", "msg_n1", "+14155550101", "Zoe Quinn", "Hi", time.Now())) // makes the sender known
	if err := ls.db.SyncTemplates(context.Background(), []inbox.Template{{ID: "tpl_order", Name: "order_update_with_the_delivery_date_and_tracking",
		Language: "en_GB", Status: "approved", Body: "Hi {{1}}, your order {{2}} has shipped and arrives on {{3}}.", UpdatedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	tablet := screenSize{"1024x768", 1024, 768}
	for _, s := range []screenSize{phone, tablet} {
		b.setScreen(s, false)
		b.open(ls.url() + "/conversations/new")
		b.eval(`(s => { s.value = 'tpl_order'; s.dispatchEvent(new Event('change', {bubbles: true})); return ""; })(document.querySelector('[data-testid=template-select]'))`)
		b.waitFor("a field for each variable", `document.querySelectorAll('[data-testid=template-var]').length === 3`)
		if got := b.eval(scrollsSideways(".new-body") + ` + ' ' + ` + offScreen(".new-form fieldset, [data-testid=template-select], [data-testid=template-var], [data-testid=template-preview]")); got != " " {
			t.Errorf("the form at %s: %s", s.name, got)
		}
		b.accessible("the New conversation form at "+s.name, false)
	}
}
