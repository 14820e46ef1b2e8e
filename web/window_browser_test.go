package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox/zavu"
)

// A thread left open while its WhatsApp window closes changes with it: the
// reply box gives way to the template picker, and the details stop saying
// the window is open, with nothing else happening in the conversation
// (no message, no reload), and the half-written reply stays for later.
func TestBrowserComposerFollowsTheWindowClosing(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.withZavu()
	ls.addUser("ana@example.com", "Ana Admin")
	closes := time.Now().Add(8 * time.Second)
	ls.post(inboundFrom("evt_w1", "msg_w1", "+14155550111", "Maya Lopez", "Do you ship to Canada?", closes.Add(-24*time.Hour)))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	if w := b.eval(`document.querySelector('#thread [data-testid=window]').textContent`); !strings.Contains(w, "Closes in") {
		t.Fatalf("before it closes the details say %q", w)
	}
	b.do("start a reply", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Yes, we do"))

	b.waitFor("the template picker in place of the reply box once the window closed",
		`document.querySelector('#thread [data-testid=composer]').dataset.mode === 'template' && !document.querySelector('#thread [data-testid=reply-text]')`)
	if time.Now().Before(closes) {
		t.Errorf("the reply box went %v before the window closed", closes.Sub(time.Now()))
	}
	if w := b.eval(`document.querySelector('#thread [data-testid=window]').textContent`); !strings.Contains(w, "only templates") {
		t.Errorf("after it closed the details say %q", w)
	}
	if d := b.eval(`Object.keys(localStorage).filter(k => k.startsWith('draft:')).map(k => localStorage.getItem(k)).join('|')`); d != "Yes, we do" {
		t.Errorf("the draft kept is %q", d)
	}
}

// A text reply that failed offers Retry while the WhatsApp window is
// open; once it closes, a Retry could only be refused ("window closed"):
// the button gives way to a sentence saying the reply can go again only
// as an approved template, from the picker below, with nothing else
// happening in the conversation.
func TestBrowserRetryGivesWayToATemplateOnceTheWindowCloses(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana Admin")
	closes := time.Now().Add(10 * time.Second)
	ls.post(inboundFrom("evt_w1", "msg_w1", "+14155550111", "Maya Lopez", "Do you ship to Canada?", closes.Add(-24*time.Hour)))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	fake.FailNext(1, zavu.Failure{Status: http.StatusPaymentRequired, Code: "insufficient_balance", Message: "Insufficient balance"})
	b.do("send a reply Zavu refuses", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Yes, we do.\r"))
	b.waitFor("the failure with Retry", `(() => { const r = document.querySelector('#thread [data-testid=retry]'); return !!r && r.checkVisibility(); })()`)
	if v := b.eval(`String(!!document.querySelector('#thread [data-testid=retry-window]')?.checkVisibility())`); v != "false" {
		t.Errorf("the window is open and the bubble says only a template can go")
	}

	b.waitFor("Retry gives way to the template sentence once the window closed",
		`(() => { const r = document.querySelector('#thread [data-testid=retry]'), n = document.querySelector('#thread [data-testid=retry-window]');
			return !!r && !r.checkVisibility() && !!n && n.checkVisibility(); })()`)
	if time.Now().Before(closes) {
		t.Errorf("Retry went %v before the window closed", closes.Sub(time.Now()))
	}
	if n := b.eval(`document.querySelector('#thread [data-testid=retry-window]').textContent`); !strings.Contains(n, "template") {
		t.Errorf("the bubble says %q", n)
	}
}

// A reply that failed offers Retry; once the customer opts out (STOP), a
// Retry could only be refused ("opted out"): the button gives way to a
// sentence saying why, live, and comes back once they text START.
func TestBrowserRetryGivesWayWhileTheCustomerIsOptedOut(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana Admin")
	now := time.Now()
	ls.post(smsFrom("evt_o1", "msg_o1", "+14155550112", "Do you ship to Canada?", now.Add(-time.Minute)))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	fake.FailNext(1, zavu.Failure{Status: http.StatusPaymentRequired, Code: "insufficient_balance", Message: "Insufficient balance"})
	b.do("send a reply Zavu refuses", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Yes, we do.\r"))
	b.waitFor("the failure with Retry", `(() => { const r = document.querySelector('#thread [data-testid=retry]'); return !!r && r.checkVisibility(); })()`)
	if v := b.eval(`String(!!document.querySelector('#thread [data-testid=retry-optout]')?.checkVisibility())`); v != "false" {
		t.Errorf("the customer has not opted out and the bubble says they did")
	}

	ls.post(smsFrom("evt_o2", "msg_o2", "+14155550112", "STOP", now))
	b.waitFor("Retry gives way to the opt-out sentence",
		`(() => { const r = document.querySelector('#thread [data-testid=retry]'), n = document.querySelector('#thread [data-testid=retry-optout]');
			return !!r && !r.checkVisibility() && !!n && n.checkVisibility(); })()`)
	if n := b.eval(`document.querySelector('#thread [data-testid=retry-optout]').textContent`); !strings.Contains(n, "START") {
		t.Errorf("the bubble says %q", n)
	}

	ls.post(smsFrom("evt_o3", "msg_o3", "+14155550112", "START", now.Add(time.Second)))
	b.waitFor("Retry is back once they texted START",
		`(() => { const r = document.querySelector('#thread [data-testid=retry]'), n = document.querySelector('#thread [data-testid=retry-optout]');
			return !!r && r.checkVisibility() && !!n && !n.checkVisibility(); })()`)
}
