package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Two agents with the same thread open see each other there, and who of
// them types; an agent who leaves is gone from the other's page.
func TestBrowserPresenceShowsWhoIsTyping(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	now := time.Now()
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550102", "Yan Park", "Do you ship to Canada?", now))
	ls.post(inboundFrom("evt_2", "msg_2", "+14155550101", "Zoe Quinn", "Where is my order?", now.Add(time.Second)))
	bctx := browser(t, exe)
	open := func(b *tab, name string) {
		b.t.Helper()
		b.eval(`(() => { [...document.querySelectorAll('[data-testid=conv-row]')].find(r => r.textContent.includes('` + name + `')).click(); return ""; })()`)
		b.waitFor(name+"'s thread is open", `(document.querySelector('[data-testid=thread-name]') || {}).textContent === '`+name+`'`)
	}
	// What the presence line says (its initials are only for the eye).
	const line = `(document.querySelector('[data-testid=presence-text]') || {textContent: ''}).textContent`

	ben := newTab(t, bctx)
	ben.login(ls.url(), "ben@example.com")
	open(ben, "Zoe Quinn")
	ana := newTab(t, bctx)
	ana.login(ls.url(), "ana@example.com")
	open(ana, "Zoe Quinn")
	ben.waitFor("Ben sees Ana in the thread", line+` === 'Ana Admin is also viewing'`)
	ana.waitFor("Ana sees Ben, never herself", line+` === 'Ben Agent is also viewing'`)
	if got := ben.eval(`document.querySelector('[data-testid=presence]').getAttribute('aria-live')`); got != "polite" {
		t.Errorf("presence line aria-live = %q, want polite", got)
	}

	// Ana types a reply: Ben sees it; Ana's page does not tell her.
	ana.do("Ana types", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Your parcel"))
	ben.waitFor("Ben sees Ana typing", line+`.includes('Ana Admin is typing')`)
	if got := ana.eval(line); strings.Contains(got, "Ana Admin") {
		t.Errorf("Ana's own page names her: %q", got)
	}

	// Ana opens another thread: she is gone from Zoe's at once.
	open(ana, "Yan Park")
	ben.waitFor("Ana is gone from Ben's thread", line+` === ''`)

	// She comes back and types; then her tab closes.
	open(ana, "Zoe Quinn")
	ana.do("Ana types again", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), " left today"))
	ben.waitFor("Ben sees Ana typing again", line+`.includes('Ana Admin is typing')`)
	ana.do("Ana's tab closes", chromedp.Navigate("about:blank"))
	ben.waitFor("Ana is gone when her tab closes", line+` === ''`)
}
