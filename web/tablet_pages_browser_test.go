package web_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
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
