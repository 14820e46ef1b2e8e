package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/store"
)

// A page whose agent was deactivated while the server was down goes to the
// sign-in page once the server is back, instead of trying to reconnect for
// ever: the server refuses its websocket before it opens (401).
func TestBrowserLivePageOfAnEndedSessionGoesToSignInAfterARestart(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	admin := ls.addAdmin("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ben := ls.userID("ben@example.com")
	bctx := browser(t, exe)
	tab := newTab(t, bctx)
	tab.login(ls.url(), "ben@example.com")

	ls.stop()
	tab.waitFor("the reconnecting banner shows", `document.querySelector('[data-testid=live-banner]').hidden === false`)
	db, err := store.Open(ls.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeactivateUser(context.Background(), ben, admin, time.Now()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ls.start(nil)
	tab.waitAcrossLoads("the page is at the sign-in page", `location.pathname === '/login'`)
}

// A page the server closed for sending more than it allows (here, presence
// messages) says so and waits before it tries again, rather than
// reconnecting at once into the same limit; then it is back.
func TestBrowserLivePageOverItsLimitsWaitsAndSaysSo(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Hello", time.Now()))
	tab := newTab(t, browser(t, exe))
	tab.openFirst(ls.url(), "ana@example.com")
	tab.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)

	// The page says where it is each time its visibility changes: a burst
	// of them goes over the server's presence limit.
	dials := ls.dials.Load()
	tab.eval(`for (let i = 0; i < 200; i++) document.dispatchEvent(new Event('visibilitychange')); ""`)
	tab.waitFor("the banner says live updates are paused",
		`(b => !b.hidden && b.textContent.includes('paused'))(document.querySelector('[data-testid=live-banner]'))`)
	time.Sleep(2 * time.Second)
	if n := ls.dials.Load() - dials; n != 0 {
		t.Fatalf("the page reconnected %d times within 2 s of being closed for its limits", n)
	}
	tab.waitFor("the page is back", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	if n := ls.dials.Load() - dials; n != 1 {
		t.Fatalf("the page reconnected %d times, want 1", n)
	}
}

// A page past the user's limit of live pages says why, and gets in once
// another of the user's pages closes, without a reload. The Mentions page
// is live too, and says so as the inbox does.
func TestBrowserLivePagePastTheLimitSaysSoAndGetsInWhenAnotherCloses(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.livePages = 1
	ls.stop()
	ls.start(nil)
	ls.addUser("ana@example.com", "Ana Admin")
	bctx := browser(t, exe)
	first := newTab(t, bctx)
	first.login(ls.url(), "ana@example.com")
	first.waitFor("the first page is live", `document.querySelector('[data-testid=live-banner]').hidden === true`)

	second := newTab(t, bctx)
	second.do("sign in again, and open Mentions",
		chromedp.Navigate(ls.url()+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "ana@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=conv-list]`)),
		chromedp.Navigate(ls.url()+"/mentions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=mentions-nav], h1`)))
	second.eval(`window.__page = "kept"; ""`)
	second.waitFor("the page says too many tabs are open",
		`(b => b && !b.hidden && b.textContent.includes('tabs'))(document.querySelector('[data-testid=live-banner]'))`)

	first.do("close the first page", chromedp.Navigate("about:blank"))
	second.waitFor("the page gets in", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	if second.eval(`window.__page || ""`) != "kept" {
		t.Fatal("the page reloaded")
	}
}
