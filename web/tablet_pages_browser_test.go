package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
)

// Every page between a phone and a wide laptop: a tablet held upright
// (the views a rail of icons), the same tablet on its side, and a small
// laptop. With long names, e-mail addresses, template names and messages,
// nothing scrolls sideways (an admin table too wide for the page is
// cards, as on a phone), nothing of the navigation is cut off, and axe
// passes.
func TestBrowserPagesOnTabletsAndSmallLaptops(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	maxi := fillAdminPages(t, ls)
	ls.post(inboundFrom("evt_t1", "msg_t1", "+14155550101", "Zoe Quinn-Montgomery-Alexander",
		"Where is my order? "+strings.Repeat("It was due on Monday and nobody has called. ", 8), time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana.administrator@example.com")
	pages := []string{"/inbox", "/conversations/1", "/conversations/new", "/contacts", "/contacts/1", "/mentions",
		"/settings/notifications", "/admin", "/admin/auto-replies", "/admin/satisfaction", "/admin/saved-replies", "/admin/labels",
		"/admin/agents", "/admin/agents/" + strconv.FormatInt(maxi, 10), "/admin/tokens", "/admin/senders", "/admin/templates",
		"/admin/webhooks", "/admin/audit", "/admin/settings", "/reports"}
	for _, s := range []screenSize{portrait, tablet, smallLaptop} {
		b.setScreen(s, false)
		for _, p := range pages {
			b.open(ls.url() + p)
			if got := b.eval(`(document.querySelector('main.auth h1') || {}).textContent || ''`); got != "" {
				t.Fatalf("%s: an error page: %s", p, got) // not one of the pages meant
			}
			if got := b.eval(scrollsSideways("body, main, .list-pane, .thread-pane, .messages, .thread-head")); got != "" {
				t.Errorf("%s at %s: %s", p, s.name, got)
			}
			if b.eval(`String(!!document.querySelector('.nav'))`) == "true" {
				if got := b.eval(pastTheNav); got != "" {
					t.Errorf("%s at %s: %s", p, s.name, got)
				}
			}
			b.fits(p + " at " + s.name)
			b.accessible(p+" at "+s.name, false)
		}
	}
}

// A screen too short for the views, a phone on its side or a small laptop
// window: the views scroll on their own instead of the whole page, and
// Save this view, at their end, opens over the page in full; in a thread
// the header keeps to its short form on the short phone, so the messages
// keep room between it and the composer.
func TestBrowserShortScreens(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	id := ls.addAdmin("ana@example.com", "Ana Lopez")
	for i, name := range []string{"Refunds waiting on the warehouse", "Night shift", "Texts"} {
		if err := ls.db.CreateSavedView(context.Background(), &inbox.SavedView{UserID: id, Name: name,
			Filter: "channel=sms&view=" + []string{"open", "mine", "unassigned"}[i], CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	ls.post(inboundFrom("evt_s1", "msg_s1", "+14155550101", "Zoe Quinn",
		"Where is my order? "+strings.Repeat("It was due on Monday. ", 12), time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	for _, s := range []screenSize{{"844x390", 844, 390}, {"1280x600", 1280, 600}} {
		b.setScreen(s, false)
		b.open(ls.url() + "/conversations/1")
		b.fits("a thread at " + s.name)
		if got := b.eval(`String(Math.round(document.querySelector('#thread .messages').getBoundingClientRect().height))`); atoi(t, got) < 100 {
			t.Errorf("at %s the messages have %s px between the header and the composer", s.name, got)
		}
		b.accessible("a thread at "+s.name, false)

		b.eval(`(n => { n.scrollTop = n.scrollHeight; return ""; })(document.querySelector('.nav'))`)
		b.do("open Save this view", chromedp.Click(chromedp.CSS(`[data-testid=save-view-open]`)))
		b.waitFor("the form is open", `document.querySelector('.saved-views details.menu').open`)
		b.fits("the open form at " + s.name)
		// The page fits it to the screen as it opens (its toggle event).
		b.waitFor("the form ends within the screen", `(r => r.bottom <= innerHeight && r.right <= innerWidth)(document.querySelector('[data-testid=save-view]').getBoundingClientRect())`)
		// The form shows in full, over the page: each of its parts is the
		// element at its own centre, not cut off by the views' edge.
		if got := b.eval(`[...document.querySelectorAll('[data-testid=save-view-name], [data-testid=save-view] input[name=shared], [data-testid=save-view-submit]')]
			.map(e => [e, e.getBoundingClientRect()]).filter(([e, r]) => r.bottom > innerHeight || r.right > innerWidth ||
				!e.contains(document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2)))
			.map(([e, r]) => (e.dataset.testid || e.name) + ' at ' + Math.round(r.left) + ',' + Math.round(r.top)).join('; ')`); got != "" {
			t.Errorf("the Save this view form at %s is hidden: %s", s.name, got)
		}
		b.accessibleIn("the Save this view form at "+s.name, `document.querySelector('[data-testid=save-view]')`, false)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}
