package web_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox/zavu"
)

// Ben writes a reply while Ana answers the customer first: his Send is
// held with Ana's reply shown, and he chooses not to send his after all.
// Discard empties his box, takes the warning away and forgets the draft
// (a reload does not bring it back); nothing of his reaches Zavu. A
// warning he makes moot by emptying the box by hand goes too.
func TestBrowserHeldReplyCanBeDiscarded(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Can I cancel my order?", time.Now()))
	bctx := browser(t, exe)
	ana, ben := newTab(t, bctx), newTab(t, bctx)
	ana.openFirst(ls.url(), "ana@example.com")
	ben.openFirst(ls.url(), "ben@example.com")
	const held = `!!document.querySelector('[data-testid=draft-changed]') && !!document.querySelector('[data-testid=composer-error]')`
	const clear = `!document.querySelector('[data-testid=draft-changed]') && !document.querySelector('[data-testid=composer-error]')`

	ben.do("Ben writes", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Yes, I will cancel it"))
	ana.do("Ana answers first", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Cancelled, refund on its way\r"))
	waitSent(t, fake, 1)
	ben.do("Ben presses Send", chromedp.Click(chromedp.CSS(`[data-testid=send]`)))
	ben.waitFor("Ben's reply is held with Ana's shown",
		held+` && document.querySelector('[data-testid=draft-changed]').textContent.includes('Cancelled, refund on its way')`)
	// Its time reads as the same message's in the thread, in Ben's zone
	// and format.
	if box, thread := ben.eval(`document.querySelector('[data-testid=draft-changed] time').textContent`),
		ben.eval(`[...document.querySelectorAll('[data-testid=messages] [data-testid=message]')].find(m => m.textContent.includes('Cancelled, refund')).querySelector('time').textContent`); box != thread {
		t.Errorf("the held box says Ana replied at %q, the thread at %q", box, thread)
	}
	ben.do("Ben discards his reply", chromedp.Click(chromedp.CSS(`[data-testid=draft-discard]`)))
	ben.waitFor("the box is empty and the warning gone", clear+` && document.querySelector('[data-testid=reply-text]').value === ''`)
	ben.do("Ben reloads", chromedp.Reload())
	ben.waitFor("the discarded draft does not come back",
		`!!document.querySelector('[data-testid=reply-text]') && document.querySelector('[data-testid=reply-text]').value === ''`)

	// Held again; this time he empties the box himself.
	ben.do("Ben writes again", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Anything else?"))
	ls.post(inboundFrom("evt_2", "msg_2", "+14155550101", "Zoe Quinn", "Thanks!", time.Now()))
	ben.waitFor("the customer's message reaches Ben", `document.querySelector('[data-testid=messages]').textContent.includes('Thanks!')`)
	ben.do("Ben presses Send", chromedp.Click(chromedp.CSS(`[data-testid=send]`)))
	ben.waitFor("held", held)
	ben.eval(`(ta => { ta.focus(); ta.select(); document.execCommand('delete'); return ''; })(document.querySelector('[data-testid=reply-text]'))`)
	ben.waitFor("an empty box takes the warning away", clear)
	time.Sleep(300 * time.Millisecond)
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("Zavu got %d messages, want Ana's alone", n)
	}
}

// Ben's page loses its live connection (his network, or the server going
// away) while Ana is typing in the thread he has open: his page can no
// longer know who is there, so "Ana is typing" goes rather than staying
// on his screen for as long as he is cut off; once he is back, it shows
// who is there again.
func TestBrowserPresenceGoesWhenThePageIsCutOff(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	bctx := browser(t, exe)
	ana, ben := newTab(t, bctx), newTab(t, bctx)
	ben.openFirst(ls.url(), "ben@example.com")
	ana.openFirst(ls.url(), "ana@example.com")
	const line = `(document.querySelector('[data-testid=presence-text]') || {textContent: ''}).textContent`
	ana.do("Ana types", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Your parcel"))
	ben.waitFor("Ben sees Ana typing", line+`.includes('Ana Admin is typing')`)

	ls.stop() // the server goes away: every page is cut off
	ben.waitFor("Ben's page says it is reconnecting", `!document.querySelector('[data-testid=live-banner]').hidden`)
	ben.waitFor("and no longer says Ana is typing", line+` === ''`)

	ls.start(nil)
	ben.waitFor("Ben's page is back", `document.querySelector('[data-testid=live-banner]').hidden`)
	ben.waitFor("and shows Ana there again", line+` === 'Ana Admin is also viewing'`)
}

// Ana writes in Yan's conversation and, her draft unsent, opens Zoe's,
// where Ben is: Ben sees she is viewing it, not that she is typing, for
// she has typed nothing there.
func TestBrowserTypingStaysInTheThreadTypedIn(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	now := time.Now()
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550102", "Yan Park", "Do you ship to Canada?", now))
	ls.post(inboundFrom("evt_2", "msg_2", "+14155550101", "Zoe Quinn", "Where is my order?", now.Add(time.Second)))
	bctx := browser(t, exe)
	ana, ben := newTab(t, bctx), newTab(t, bctx)
	ben.login(ls.url(), "ben@example.com")
	openByName(ben, "Zoe Quinn")
	ana.login(ls.url(), "ana@example.com")
	openByName(ana, "Yan Park")
	const line = `(document.querySelector('[data-testid=presence-text]') || {textContent: ''}).textContent`
	// Ben's page records every presence line it shows.
	ben.eval(`window.__lines = []; new MutationObserver(() => window.__lines.push(` + line + `)).observe(document.querySelector('#thread'), {subtree: true, childList: true, characterData: true}); ""`)
	ana.do("Ana writes to Yan", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "We do, in 5 days"))
	openByName(ana, "Zoe Quinn")
	ben.waitFor("Ben sees Ana viewing", line+` === 'Ana Admin is also viewing'`)
	time.Sleep(3 * time.Second) // past the typing's few seconds
	if got := ben.eval(`window.__lines.filter(l => l.includes('typing')).join(' | ')`); got != "" {
		t.Errorf("Ben was told Ana was typing in Zoe's conversation: %s", got)
	}
}

// openByName opens the conversation of the row that names the contact,
// and waits for its thread and composer.
func openByName(b *tab, name string) {
	b.t.Helper()
	b.waitFor(name+"'s row", `[...document.querySelectorAll('[data-testid=conv-row]')].some(r => r.textContent.includes('`+name+`'))`)
	b.eval(`(() => { [...document.querySelectorAll('[data-testid=conv-row]')].find(r => r.textContent.includes('` + name + `')).click(); return ""; })()`)
	b.waitFor(name+"'s thread is open", `(document.querySelector('[data-testid=thread-name]') || {}).textContent === '`+name+`' && !!document.querySelector('[data-testid=reply-text]')`)
}

// Ben kept a draft for Zoe, whose WhatsApp window had closed; she writes
// again, the window opens and his reply box comes back with the draft in
// it. Ana answers her first; Ben, who has not touched his draft since,
// presses Send: it is held with Ana's answer, as any draft is.
func TestBrowserDraftBackWhenTheWindowOpensIsGuarded(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Is it in stock?", time.Now().Add(-25*time.Hour)))
	bctx := browser(t, exe)
	ana, ben := newTab(t, bctx), newTab(t, bctx)
	ana.login(ls.url(), "ana@example.com")
	ben.login(ls.url(), "ben@example.com")
	ben.eval(`localStorage.setItem('draft:` + itoa(ls.userID("ben@example.com")) + `:draft-1', 'Yes, we have it'); ""`)
	ben.open(ls.url() + "/conversations/1")
	ben.waitFor("Ben's page offers templates only", `!document.querySelector('[data-testid=reply-text]') && document.querySelector('[data-testid=live-banner]').hidden`)
	ana.open(ls.url() + "/conversations/1")

	ls.post(inboundFrom("evt_2", "msg_2", "+14155550101", "Zoe Quinn", "Hello? Anyone?", time.Now()))
	ben.waitFor("the window opens on Ben's page, with his draft",
		`document.querySelector('[data-testid=reply-text]')?.value === 'Yes, we have it'`)
	ana.waitFor("and on Ana's", `!!document.querySelector('[data-testid=reply-text]')`)
	anaAnswersFirst(t, ana, ben, fake, "Yes, in stock", `document.querySelector('[data-testid=reply-text]').value === ''`)
}

// anaAnswersFirst has Ana send answer (without quotes), then Ben press
// Send once it shows on his page: his draft must be held with her answer
// shown, not sent (sent is a script true once his box is cleared by a
// send).
func anaAnswersFirst(t *testing.T, ana, ben *tab, fake *zavu.Fake, answer, sent string) {
	t.Helper()
	ana.do("Ana answers", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), answer+"\r"))
	waitSent(t, fake, 1)
	ben.waitFor("Ana's answer reaches Ben", `document.querySelector('[data-testid=messages]').textContent.includes('`+answer+`')`)
	ben.do("Ben presses Send", chromedp.Click(chromedp.CSS(`[data-testid=send]`)))
	ben.waitFor("his draft is held or sent", `!!document.querySelector('[data-testid=draft-changed]') || `+sent)
	time.Sleep(500 * time.Millisecond)
	if n := len(fake.Sent()); n != 1 {
		t.Fatalf("Zoe got %d answers, want Ana's alone until Ben sends again", n)
	}
	ben.waitFor("Ben is shown Ana's answer", `document.querySelector('[data-testid=draft-changed]')?.textContent.includes('`+answer+`')`)
}

// Ben attaches a photo, with no words, while Ana answers the customer:
// his Send is held with her answer, as a written reply is; sent again,
// the photo goes.
func TestBrowserPhotoWithoutWordsIsGuarded(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Can I see the blue one?", time.Now()))
	var pic bytes.Buffer
	if err := png.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 20, 20))); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "blue.png")
	if err := os.WriteFile(file, pic.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	bctx := browser(t, exe)
	ana, ben := newTab(t, bctx), newTab(t, bctx)
	ana.login(ls.url(), "ana@example.com")
	ben.login(ls.url(), "ben@example.com")
	openByName(ana, "Zoe Quinn")
	openByName(ben, "Zoe Quinn")
	ben.do("Ben attaches a photo", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=attach]`), []string{file}))
	ben.waitFor("the file's name shows", `document.querySelector('[data-testid=attach-name]').textContent === 'blue.png'`)
	anaAnswersFirst(t, ana, ben, fake, "Sold out, sorry", `document.querySelector('[data-testid=attach-name]').textContent === ''`)
	ben.do("Ben sends anyway", chromedp.Click(chromedp.CSS(`[data-testid=send]`)))
	if sent := waitSent(t, fake, 2); sent[1].Content == nil || sent[1].Content.MimeType != "image/png" {
		t.Errorf("Ben's second Send sent %+v", sent[1])
	}
}

// Ana types in the thread Ben has open: Ben sees it, and sees it end
// when she stops, when she sends, and when her page goes silent (her
// connection dead without a goodbye), each within seconds (with room for
// a loaded machine), never left on.
func TestBrowserTypingEndsWhenAnaStopsSendsOrGoesQuiet(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	bctx := browser(t, exe)
	ana, ben := newTab(t, bctx), newTab(t, bctx)
	ben.login(ls.url(), "ben@example.com")
	openByName(ben, "Zoe Quinn")
	ana.login(ls.url(), "ana@example.com")
	openByName(ana, "Zoe Quinn")
	const line = `(document.querySelector('[data-testid=presence-text]') || {textContent: ''}).textContent`
	ben.waitFor("Ben sees Ana", line+` === 'Ana Admin is also viewing'`)
	within := func(what, expr string, limit time.Duration) {
		t.Helper()
		start := time.Now()
		ben.waitFor(what, expr)
		if d := time.Since(start); d > limit {
			t.Errorf("%s took %v, want %v at most", what, d.Round(100*time.Millisecond), limit)
		}
	}

	ana.do("Ana types", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Your parcel"))
	ben.waitFor("Ben sees Ana typing", line+`.includes('Ana Admin is typing')`)
	within("the typing ends when she stops", line+` === 'Ana Admin is also viewing'`, 10*time.Second)

	ana.do("Ana types on and sends", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), " left today\r"))
	ben.waitFor("Ben sees Ana typing", line+`.includes('Ana Admin is typing')`)
	within("the typing ends when she sends", line+` === 'Ana Admin is also viewing'`, 5*time.Second)

	ana.do("Ana types again", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "One more thing"))
	ben.waitFor("Ben sees Ana typing", line+`.includes('Ana Admin is typing')`)
	ana.eval(`WebSocket.prototype.send = function () {}; ""`) // nothing of hers reaches the server any more
	within("she is gone when her page goes silent", line+` === ''`, 10*time.Second)
}
