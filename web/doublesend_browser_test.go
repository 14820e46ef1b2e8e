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
