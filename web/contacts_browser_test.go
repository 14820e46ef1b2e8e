package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// An agent writes notes in a thread's details while the customer writes
// again: the live update of the details keeps what is typed; Save shows
// the notes and closes the form.
func TestBrowserContactNotes(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	ls.post(inboundFrom("evt_n1", "msg_n1", "+14155550101", "Zoe Quinn", "Where is my order?", now.Add(-time.Minute)))

	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contact-panel]`)))
	b.do("open the form", chromedp.Click(chromedp.CSS(`[data-testid=contact-edit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contact-notes-input]`)))
	b.do("type notes", chromedp.SendKeys(chromedp.CSS(`[data-testid=contact-notes-input]`), "Call after 5pm"))

	b.eval(`document.querySelector('[data-testid=contact-panel]').__before = true; ''`)
	ls.post(inboundFrom("evt_n2", "msg_n2", "+14155550101", "Zoe Quinn", "Hello? Order #4411", now))
	b.waitFor("the new message is in the thread",
		`document.querySelector('[data-testid=messages]').textContent.includes('Order #4411')`)
	b.waitFor("the details were replaced live and keep the typed notes",
		`(() => { const p = document.querySelector('[data-testid=contact-panel]');
			return !p.__before && p.querySelector('.contact-edit').open
				&& p.querySelector('[data-testid=contact-notes-input]').value === 'Call after 5pm'; })()`)
	// Clicked in the page: a further live update may replace the details
	// between finding the button and clicking it.
	b.eval(`document.querySelector('[data-testid=contact-save]').click(); ''`)
	b.waitFor("the notes show, the form closed",
		`(() => { const p = document.querySelector('[data-testid=contact-panel]');
			return p.querySelector('[data-testid=contact-notes]').textContent === 'Call after 5pm'
				&& !p.querySelector('.contact-edit').open; })()`)
}
