package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Send clicked twice in a row (a double click, or Enter then a click while
// the first is on its way) sends the reply once, and says nothing is
// wrong.
func TestBrowserDoubleClickOnSendSendsOnce(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_d1", "msg_d1", "+14155550111", "Maya Lopez", "Is it in stock?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	b.do("type", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Yes, 3 left"))
	b.eval(`(() => { const s = document.querySelector('[data-testid=send]'); s.click(); s.click(); return ""; })()`)
	b.waitFor("the reply is in the thread", `[...document.querySelectorAll('[data-testid=message][data-direction=outbound]')].length >= 1`)
	time.Sleep(1500 * time.Millisecond)
	if n := b.eval(`String(document.querySelectorAll('[data-testid=message][data-direction=outbound]').length)`); n != "1" {
		t.Errorf("the thread shows %s replies, want 1", n)
	}
	if e := b.eval(`document.querySelector('[data-testid=composer-error]')?.textContent || ''`); e != "" {
		t.Errorf("after a double click the composer says %q", e)
	}
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("Zavu got %d messages, want 1", n)
	}
}

// What an agent types while a reply is on its way (a slow network) stays
// in the box when the answer comes: only what was sent leaves it.
func TestBrowserTypingWhileSendingIsKept(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.withZavu()
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_d1", "msg_d1", "+14155550111", "Maya Lopez", "Where is my parcel?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	release := ls.holdAnswers("/messages")
	b.do("send a first reply", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Hi Maya"),
		chromedp.Click(chromedp.CSS(`[data-testid=send]`)))
	b.waitFor("the reply is on its way", `document.querySelector('form[data-composer]').classList.contains('htmx-request')`)
	b.do("go on typing", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), " It left our warehouse today"))
	release()
	b.waitFor("the reply is in the thread", `document.querySelectorAll('[data-testid=message][data-direction=outbound]').length === 1 && !document.querySelector('form[data-composer]').classList.contains('htmx-request')`)
	if v := b.eval(`document.querySelector('[data-testid=reply-text]').value`); v != "It left our warehouse today" {
		t.Errorf("after the answer the box holds %q, want what was typed after Send", v)
	}
}
