package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserBackAndForwardShowWhatCameMeanwhile goes Back to the list
// from a thread opened in it, and Forward to the thread again, after
// messages came for both: each shows what came while the agent was on the
// other, as it would have live.
func TestBrowserBackAndForwardShowWhatCameMeanwhile(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	ls.post(inboundFrom("evt_h1", "msg_h1", "+14155550101", "Zoe Quinn", "Hi from Zoe", now))
	ls.post(inboundFrom("evt_h2", "msg_h2", "+14155550102", "Max Lee", "Hi from Max", now.Add(time.Second)))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.waitFor("two rows", `document.querySelectorAll('[data-testid=conv-row]').length === 2`)
	b.do("open Zoe's conversation", chromedp.Click(chromedp.CSS(`#conv-list .row:last-child`)))
	b.waitFor("Zoe's thread, at its own address", `(document.querySelector('[data-testid=thread-name]') || {}).textContent === 'Zoe Quinn' &&
		location.pathname.startsWith('/conversations/')`)

	// While she reads Zoe's thread: Max writes again, and a new customer.
	ls.post(inboundFrom("evt_h3", "msg_h3", "+14155550102", "Max Lee", "Second message from Max", now.Add(2*time.Second)))
	ls.post(inboundFrom("evt_h4", "msg_h4", "+14155550103", "Ivy New", "First words from Ivy", now.Add(3*time.Second)))
	b.waitFor("the list beside the thread shows both", `document.querySelector('#conv-list').textContent.includes('Second message from Max') &&
		document.querySelector('#conv-list').textContent.includes('Ivy New')`)
	b.do("Back", chromedp.NavigateBack())
	b.waitAcrossLoads("the list as it is now, with no thread open", `location.pathname === '/inbox' && !document.querySelector('[data-testid=thread-name]') &&
		document.querySelectorAll('[data-testid=conv-row]').length === 3 &&
		document.querySelector('#conv-list').textContent.includes('Second message from Max')`)

	// While she is on the list: Zoe writes again.
	ls.post(inboundFrom("evt_h5", "msg_h5", "+14155550101", "Zoe Quinn", "Zoe again", now.Add(4*time.Second)))
	b.waitFor("the list shows it", `document.querySelector('#conv-list').textContent.includes('Zoe again')`)
	b.do("Forward", chromedp.NavigateForward())
	b.waitAcrossLoads("Zoe's thread with the message that came meanwhile", `(document.querySelector('[data-testid=thread-name]') || {}).textContent === 'Zoe Quinn' &&
		document.querySelector('[data-testid=messages]').textContent.includes('Zoe again')`)
	if got := b.eval(`String(sessionStorage.getItem('htmx-history-cache'))`); got != "null" {
		t.Errorf("the tab keeps copies of pages: %.200s", got)
	}
}
