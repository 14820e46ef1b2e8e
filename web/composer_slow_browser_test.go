package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// On a slow network an agent presses Enter and goes on writing the next
// message while the first is on its way: when its answer comes, the box
// lets go of what was sent and keeps what was typed since, for a reply
// and for a note alike.
func TestBrowserTypingOnWhileSendingKeepsTheText(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	for _, what := range []struct{ tab, box, path, first, next string }{
		{"tab-reply", "reply-text", "/messages", "It left the warehouse today", "Tracking W-7781"},
		{"tab-note", "note-text", "/notes", "Called the warehouse", "They call back at 3"},
	} {
		release := ls.holdAnswers(what.path)
		box := `document.querySelector('#thread [data-testid=` + what.box + `]')`
		b.do("write and send", chromedp.Click(chromedp.CSS(`#thread [data-testid=`+what.tab+`]`)),
			chromedp.SendKeys(chromedp.CSS(`#thread [data-testid=`+what.box+`]`), what.first+"\r"))
		b.waitFor("it is in the thread (its answer held back)", `document.querySelector('#thread [data-testid=messages]').textContent.includes('`+what.first+`')`)
		b.do("go on writing", chromedp.SendKeys(chromedp.CSS(`#thread [data-testid=`+what.box+`]`), what.next))
		b.waitFor("the next words are in the box", box+`.value.endsWith('`+what.next+`')`)
		release()
		b.waitFor("the answer has come", `!document.querySelector('#thread form.htmx-request')`)
		if got := b.eval(box + `.value`); got != what.next {
			t.Errorf("%s: after the answer the box holds %q, want what was typed since, %q", what.box, got, what.next)
		}
		b.eval(box + `.value = ''; ""`)
	}
}
