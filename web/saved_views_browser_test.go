package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pastTheNav is a JavaScript expression: the parts of the views' navigation
// that show and reach past its edges (cut off by the list beside it), "" when
// none does. A menu's body opens over the page, and is left out.
const pastTheNav = `(() => { const n = document.querySelector('.nav').getBoundingClientRect();
	return [...document.querySelectorAll('.nav *')].filter(e => e.getClientRects().length > 0 && !e.closest('.menu-body'))
		.map(e => [e, e.getBoundingClientRect()]).filter(([e, r]) => r.width > 1 && (r.left < n.left - 0.5 || r.right > n.right + 0.5))
		.map(([e, r]) => (e.dataset.testid || e.getAttribute('class') || e.tagName) + ' at ' + Math.round(r.left) + '..' + Math.round(r.right) +
			' px, the nav ' + Math.round(n.left) + '..' + Math.round(n.right)).join('; ');
})()`

// navRows is a JavaScript expression: how many rows the navigation's
// links and buttons stand in (a menu's body, which opens over the page,
// left out).
const navRows = `(() => {
	const mids = [...document.querySelectorAll('.nav a, .nav summary, .nav button')]
		.filter(e => e.getClientRects().length > 0 && !e.closest('.menu-body'))
		.map(e => { const r = e.getBoundingClientRect(); return (r.top + r.bottom) / 2; }).sort((a, b) => a - b);
	return String(mids.filter((m, i) => i === 0 || m - mids[i - 1] > 12).length);
})()`

// An agent saves the view they are looking at, shared with the team, on a
// laptop, on a tablet held upright (where the views are a rail of icons)
// and on a phone: the form opens within the screen, the saved view shows
// in the navigation with its count, and opens the same conversations.
// Nothing of the navigation is cut off, and each step passes axe.
func TestBrowserSaveAView(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addAdmin("ana@example.com", "Ana Lopez-Fitzgerald")
	ls.post(inboundFrom("evt_v1", "msg_v1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	ls.post(event("evt_v2", "message.inbound", time.Now(), map[string]any{
		"messageId": "msg_v2", "from": "+14155550102", "to": "+13125559876", "channel": "sms",
		"messageType": "text", "text": "Is the shop open tonight?",
	}))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	for _, s := range []screenSize{laptop, portrait, phone} {
		name := "Texts for the night team at " + s.name
		b.setScreen(s, false)
		b.open(ls.url() + "/inbox?channel=sms")
		b.waitFor("the SMS conversation alone", `document.querySelectorAll('#conv-list [data-testid=conv-row]').length === 1`)
		if got := b.eval(pastTheNav); got != "" {
			t.Errorf("at %s: %s", s.name, got)
		}
		b.fits("the inbox at " + s.name)

		b.do("open Save this view", chromedp.Click(chromedp.CSS(`[data-testid=save-view-open]`)))
		b.waitFor("the form is open", `document.querySelector('.saved-views details.menu').open`)
		if got := b.eval(offScreen(`[data-testid=save-view], [data-testid=save-view] input, [data-testid=save-view] button`)); got != "" {
			t.Errorf("the form at %s: %s", s.name, got)
		}
		// The open form covers part of the page, whose targets under it axe
		// would count: the form is checked on its own.
		b.accessibleIn("the Save this view form at "+s.name, `document.querySelector('[data-testid=save-view]')`, false)
		b.do("name the view", chromedp.SendKeys(chromedp.CSS(`[data-testid=save-view-name]`), name))
		b.do("share it", chromedp.Click(chromedp.CSS(`[data-testid=save-view] input[name=shared]`)))
		b.do("save it", chromedp.Click(chromedp.CSS(`[data-testid=save-view-submit]`)))
		saved := `[...document.querySelectorAll('[data-testid=saved-view]')].find(a => a.title === '` + name + `')`
		b.waitAcrossLoads("the view is in the navigation", `!!`+saved)
		if got := b.eval(saved + `.querySelector('[data-testid=saved-view-count]').textContent`); got != "1" {
			t.Errorf("the saved view's count at %s is %q, want 1", s.name, got)
		}
		if got := b.eval(pastTheNav); got != "" {
			t.Errorf("with the saved views at %s: %s", s.name, got)
		}
		b.fits("the inbox with the saved views at " + s.name)
		b.accessible("the inbox with the saved views at "+s.name, false)
		if s == phone {
			// Above the list on a phone, the views, three saved views and
			// the menu, each 40 px for a thumb, take three rows at most,
			// under a fifth of the screen.
			height := b.eval(`String(Math.round(document.querySelector('.nav').getBoundingClientRect().height))`)
			if rows := b.eval(navRows); atoi(t, rows) > 3 || atoi(t, height) > int(s.h)/5 {
				t.Errorf("on a phone the views above the list take %s rows (%s px)", rows, height)
			}
		}

		b.open(ls.url() + "/inbox")
		b.waitFor("both conversations", `document.querySelectorAll('#conv-list [data-testid=conv-row]').length === 2`)
		b.do("open the saved view", chromedp.Click(chromedp.CSS(`[data-testid=saved-view][title="`+name+`"]`)))
		b.waitAcrossLoads("the saved view's conversations", `location.search === '?channel=sms' &&
			document.querySelectorAll('#conv-list [data-testid=conv-row]').length === 1`)
		if got := b.eval(`String(` + saved + `.classList.contains('active'))`); got != "true" {
			t.Errorf("the saved view at %s is not marked as the one shown", s.name)
		}
	}

	// The views saved above are deleted, each from the inbox showing it.
	for n := 3; n > 0; n-- {
		b.do("open Save this view", chromedp.Click(chromedp.CSS(`[data-testid=save-view-open]`)))
		b.waitFor("the form is open", `document.querySelector('.saved-views details.menu').open`)
		b.do("delete the view shown", chromedp.Click(chromedp.CSS(`[data-testid=saved-view-delete]`)))
		b.waitAcrossLoads("one view fewer", fmt.Sprintf(`document.querySelectorAll('[data-testid=saved-view]').length === %d`, n-1))
		if n > 1 {
			b.open(ls.url() + "/inbox?channel=sms")
		}
	}
}
