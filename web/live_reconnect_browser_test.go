package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
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

// sleepable lets a test cut a page off as a laptop's sleep would: after
// window.__sleep(), the page's live socket drops what the server sends;
// window.__wake() ends that socket, and the page reconnects. Call it
// before the page loads.
func sleepable(b *tab) {
	b.t.Helper()
	b.do("make the page's live socket sleepable", chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: `(() => {
			const WS = window.WebSocket;
			let last = null, asleep = false;
			window.WebSocket = function (...a) {
				const ws = new WS(...a);
				last = ws;
				ws.addEventListener('message', e => { if (asleep && ws === last) { e.stopImmediatePropagation(); } });
				return ws;
			};
			Object.assign(window.WebSocket, WS);
			window.WebSocket.prototype = WS.prototype;
			window.__sleep = () => { asleep = true; };
			window.__wake = () => { asleep = false; last.close(); };
		})()`})
		return chromedp.Void{}, err
	}))
}

// A page cut off for a while (a laptop asleep) catches up when it is back,
// without a reload: the new conversation and message, and what its agent
// read meanwhile in another tab (the row's unread count and the tab's
// title), once each.
func TestBrowserLivePageCatchesUpAfterASleep(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	now := time.Now()
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", now))
	bctx := browser(t, exe)
	tab := newTab(t, bctx)
	sleepable(tab)
	tab.login(ls.url(), "ana@example.com")
	tab.waitFor("the title counts the unread message", `document.title.startsWith('(1) ')`)
	tab.eval(`window.__page = "kept"; window.__sleep(); ""`)

	ls.post(inboundFrom("evt_2", "msg_2", "+14155550102", "Oliver Grant", "Can I change the address?", now.Add(time.Second)))
	other := newTab(t, bctx)
	other.login(ls.url(), "ana@example.com")
	other.waitFor("the other tab has both", `document.querySelectorAll('[data-testid=conv-row]').length === 2`)
	other.do("Ana reads Zoe's conversation in another tab",
		chromedp.Click(chromedp.CSS(`#c-1`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=thread]`)))
	other.waitFor("the other tab's title counts Oliver's only", `document.title.startsWith('(1) ')`)
	time.Sleep(time.Second) // the read mark went out, to a page asleep

	tab.eval(`window.__wake(); ""`)
	tab.waitFor("the new conversation is in the list, once",
		`document.querySelectorAll('[data-testid=conv-row]').length === 2 && !!document.querySelector('#c-2')`)
	tab.waitFor("Zoe's row shows it read, and the title counts Oliver's message only",
		`document.title.startsWith('(1) ') && document.querySelector('#c-1 [data-testid=row-unread]').hidden`)
	tab.waitFor("the navigation counts both open", `document.querySelector('[data-testid=nav-count-open]').textContent.trim() === '2'`)

	// Asleep with a thread open: its new messages are there once each.
	tab.do("open Oliver's conversation", chromedp.Click(chromedp.CSS(`#c-2`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=thread]`)))
	tab.eval(`window.__sleep(); ""`)
	ls.post(inboundFrom("evt_3", "msg_3", "+14155550102", "Oliver Grant", "To 12 Elm Street", now.Add(2*time.Second)))
	time.Sleep(time.Second)
	tab.eval(`window.__wake(); ""`)
	tab.waitFor("the message that came meanwhile is in the thread, once",
		`[...document.querySelectorAll('[data-testid=message]')].filter(m => m.textContent.includes('12 Elm Street')).length === 1`)
	ls.post(inboundFrom("evt_4", "msg_4", "+14155550102", "Oliver Grant", "Thanks!", now.Add(3*time.Second)))
	tab.waitFor("and the next one comes live",
		`[...document.querySelectorAll('[data-testid=message]')].filter(m => m.textContent.includes('Thanks!')).length === 1`)
	if n := tab.eval(`String(document.querySelectorAll('[data-testid=message]').length)`); n != "3" {
		t.Fatalf("%s bubbles in Oliver's thread, want 3", n)
	}
	if tab.eval(`window.__page || ""`) != "kept" {
		t.Fatal("the page reloaded")
	}
}
