package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A WhatsApp reply longer than WhatsApp takes (4,096 characters), pasted
// into the box, is neither cut short without a word nor sent: the box
// keeps all of it, a count says how far over the limit it is before Send,
// and Enter leaves it in the box with the reason.
func TestBrowserLongReplyIsCountedNotCut(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_l1", "msg_l1", "+14155550111", "Maya Lopez", "Can you send me the whole policy?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	long := strings.Repeat("Returns are free within 30 days. ", 150) + "Anna" // 4,954 characters
	b.eval(`(() => { const ta = document.querySelector('[data-testid=reply-text]'); ta.focus();
		document.execCommand('insertText', false, ` + "`" + long + "`" + `); return ""; })()`)
	if n := b.eval(`String(document.querySelector('[data-testid=reply-text]').value.length)`); n != "4954" {
		t.Errorf("the box holds %s characters of the 4954 pasted", n)
	}
	b.waitFor("the count says the reply is too long",
		`(document.querySelector('[data-testid=length-meter]')?.textContent || '').includes('4954 / 4096')`)
	b.do("press Enter", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "\r"))
	b.waitFor("the reason shows", `(document.querySelector('[data-testid=composer-error]')?.textContent || '').includes('at most 4096 characters')`)
	if n := b.eval(`String(document.querySelector('[data-testid=reply-text]').value.trimEnd().length)`); n != "4954" {
		t.Errorf("after Enter the box holds %s characters, want the 4954 still there", n)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(fake.Sent()); n != 0 {
		t.Errorf("Zavu got %d messages, want none", n)
	}
}

// With a file attached, the count is of the caption against WhatsApp's
// 1,024 characters, before Send.
func TestBrowserCaptionIsCountedAgainstItsLimit(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.withZavu()
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_c1", "msg_c1", "+14155550111", "Maya Lopez", "Can you send a photo of the shelf?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	caption := strings.Repeat("The shelf on the left. ", 50) + "Anna" // 1,154 characters
	b.eval(`(() => { const ta = document.querySelector('[data-testid=reply-text]'); ta.focus();
		document.execCommand('insertText', false, ` + "`" + caption + "`" + `); return ""; })()`)
	if m := b.eval(`document.querySelector('[data-testid=length-meter]').textContent`); m != "" {
		t.Errorf("with no file the meter says %q, want nothing yet", m)
	}
	b.eval(`(() => { const f = document.querySelector('[data-testid=attach]'), dt = new DataTransfer();
		dt.items.add(new File([new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10])], 'shelf.png', {type: 'image/png'}));
		f.files = dt.files; f.dispatchEvent(new Event('change', {bubbles: true})); return ""; })()`)
	b.waitFor("the count says the caption is too long",
		`(document.querySelector('[data-testid=length-meter]')?.textContent || '').includes('1154 / 1024')`)
}
