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

// TestBrowserDraftsAreTheAgentsOwn shares one browser between two agents,
// as a shop's front desk does: what Ana left unsent in a conversation is
// hers, kept for her next sign-in, never shown to Ben there.
func TestBrowserDraftsAreTheAgentsOwn(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.addUser("ben@example.com", "Ben")
	ls.post(inboundFrom("evt_d1", "msg_d1", "+14155550101", "Zoe Quinn", "Is the shop open on Sunday?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	// A draft kept under the conversation alone, by an earlier Switchboard,
	// belongs to no one.
	b.eval(`localStorage.setItem('draft-1', 'Written by whoever'); ""`)
	open := func(who string) {
		b.open(ls.url() + "/conversations/1")
		b.waitFor(who+" sees the composer", `!!document.querySelector('[data-testid=reply-text]')`)
	}
	open("Ana")
	if v := b.eval(`document.querySelector('[data-testid=reply-text]').value + '|' + localStorage.getItem('draft-1')`); v != "|null" {
		t.Errorf("the draft kept under the conversation alone: composer and storage %q, want both empty", v)
	}
	b.do("Ana starts a reply", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Yes, 10 to 4"))
	b.do("Ana signs out", chromedp.Click(chromedp.CSS(`[data-testid=logout]`)), chromedp.WaitVisible(chromedp.CSS(`input[type=password]`)))

	b.login(ls.url(), "ben@example.com")
	open("Ben")
	if v := b.eval(`document.querySelector('[data-testid=reply-text]').value`); v != "" {
		t.Errorf("Ben's composer holds Ana's draft %q", v)
	}
	b.do("Ben signs out", chromedp.Click(chromedp.CSS(`[data-testid=logout]`)), chromedp.WaitVisible(chromedp.CSS(`input[type=password]`)))

	b.login(ls.url(), "ana@example.com")
	open("Ana again")
	b.waitFor("Ana's draft is back for her", `document.querySelector('[data-testid=reply-text]').value === 'Yes, 10 to 4'`)
}
