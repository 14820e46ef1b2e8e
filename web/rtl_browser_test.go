package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Arabic or Hebrew reads right to left in the reply box as it is typed and
// in the bubbles, customer's and ours, with its punctuation where its
// reader expects it; English beside it stays left to right.
func TestBrowserRightToLeftTextReadsRightToLeft(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.withZavu()
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_rtl1", "msg_rtl1", "+971501234567", "Layla", "مرحبا، أين طلبي رقم 4411؟", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	if d := b.eval(`getComputedStyle(document.querySelector('[data-testid=message][data-direction=inbound] [data-testid=text]')).direction`); d != "rtl" {
		t.Errorf("the customer's Arabic message reads %s", d)
	}
	b.do("type Arabic", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "طلبك في الطريق."))
	if d := b.eval(`getComputedStyle(document.querySelector('[data-testid=reply-text]')).direction`); d != "rtl" {
		t.Errorf("the reply box with Arabic in it reads %s", d)
	}
	b.do("send", chromedp.Click(chromedp.CSS(`[data-testid=send]`)))
	b.waitFor("the reply is in the thread", `!!document.querySelector('[data-testid=message][data-direction=outbound] [data-testid=text]')`)
	if d := b.eval(`getComputedStyle(document.querySelector('[data-testid=message][data-direction=outbound] [data-testid=text]')).direction`); d != "rtl" {
		t.Errorf("our Arabic reply reads %s", d)
	}
	b.do("type English", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Thanks!"))
	if d := b.eval(`getComputedStyle(document.querySelector('[data-testid=reply-text]')).direction`); d != "ltr" {
		t.Errorf("the reply box with English in it reads %s", d)
	}
}
