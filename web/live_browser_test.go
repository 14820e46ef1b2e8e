package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A live update that arrives while the agent writes a reply leaves the
// draft, the selection in it and the focus where they were.
func TestBrowserLiveUpdateKeepsTheDraftAndSelection(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	now := time.Now()
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", now))
	bctx := browser(t, exe)
	ana := newTab(t, bctx)
	ana.login(ls.url(), "ana@example.com")
	ana.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))

	// Ana writes half a reply and selects a word of it.
	ana.do("write a draft", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Your parcel left today"))
	ana.eval(`(() => { const ta = document.querySelector('[data-testid=reply-text]'); ta.focus(); ta.setSelectionRange(5, 11); return ""; })()`)

	// The customer writes, and a teammate takes the conversation: the
	// bubble, the header, the details and the row all change live.
	ls.post(inboundFrom("evt_2", "msg_2", "+14155550101", "Zoe Quinn", "Any news?", now.Add(time.Second)))
	ana.waitFor("the new message is in the thread",
		`document.querySelector('[data-testid=messages]').textContent.includes('Any news?')`)
	ben := newTab(t, bctx)
	ben.login(ls.url(), "ben@example.com")
	ben.do("Ben opens it", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=thread]`)))
	ben.do("Ben takes it", chromedp.Click(chromedp.CSS(`[data-testid=assign-me]`)))
	ana.waitFor("Ana sees Ben as the assignee",
		`document.querySelector('[data-testid=details-assignee]').textContent.includes('Ben Agent')`)

	got := ana.eval(`(() => { const ta = document.querySelector('[data-testid=reply-text]');
		return [ta.value, ta.selectionStart, ta.selectionEnd, document.activeElement === ta].join('|'); })()`)
	if want := "Your parcel left today|5|11|true"; got != want {
		t.Errorf("draft|selection|focused = %q, want %q", got, want)
	}

	// The same header bytes went to both; each page decided its own bits.
	ben.waitFor("Ben's page hides Assign to me from him", `document.querySelector('[data-testid=assign-me]').hidden === true`)
	ana.waitFor("Ana's page still offers it to her", `document.querySelector('[data-testid=assign-me]').hidden === false`)
	picker := `[...document.querySelectorAll('[data-testid=assignee] option')].map(o => o.textContent.trim() + (o.selected ? '*' : '')).join(',')`
	if got := ana.eval(picker); got != "Unassigned,Ana Admin (me),Ben Agent*" {
		t.Errorf("Ana's picker = %q", got)
	}
	if got := ben.eval(picker); got != "Unassigned,Ana Admin,Ben Agent (me)*" {
		t.Errorf("Ben's picker = %q", got)
	}
	// The live bubble's time was sent in UTC and shows as the page's clock.
	if got := ana.eval(`[...document.querySelectorAll('[data-testid=message] time')].pop().textContent`); len(got) != 5 || got[2] != ':' {
		t.Errorf("message time %q, want HH:MM", got)
	}
}
