package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserDetailsOnNarrowerScreens opens the details panel, hidden below
// 1180 px, from its button: over the thread on a tablet, in its place on a
// phone; a live update leaves it open; Escape and Close shut it.
func TestBrowserDetailsOnNarrowerScreens(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_d1", "msg_d1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.setScreen(tablet, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	shown := func(sel string) string {
		return `(() => { const e = document.querySelector('` + sel + `'); return !!e && e.getBoundingClientRect().width > 0; })()`
	}
	expanded := `document.querySelector('[data-testid=details-toggle]').getAttribute('aria-expanded')`
	b.waitFor("the thread, its details hidden behind their button", shown("[data-testid=thread-name]")+` && !`+shown("[data-testid=details]")+
		` && `+shown("[data-testid=details-toggle]")+` && `+expanded+` === 'false'`)

	b.do("Details", chromedp.Click(chromedp.CSS(`[data-testid=details-toggle]`)))
	b.waitFor("the details over the thread, focus on Close", shown("[data-testid=details]")+` && `+expanded+` === 'true' &&
		document.activeElement === document.querySelector('[data-testid=details-close]') &&
		document.querySelector('[data-testid=details]').getBoundingClientRect().right <= innerWidth`)
	b.fits("the details open at 1024x768")

	// Ana assigns the conversation to herself: the header and the details
	// are replaced live, and stay as she had them.
	b.eval(`fetch('/conversations/1/assign', {method: 'POST', headers: {'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content,
		'Content-Type': 'application/x-www-form-urlencoded'}, body: 'assignee=me'}); ""`)
	b.waitFor("the details show her, still open", `document.querySelector('[data-testid=details-assignee]').textContent.includes('Ana') &&
		`+shown("[data-testid=details]")+` && `+expanded+` === 'true'`)

	b.do("focus within the details, then Escape", chromedp.Focus(chromedp.CSS(`[data-testid=details-close]`)), chromedp.KeyEvent(kb.Escape))
	b.waitFor("Escape shuts them, focus back on their button", `!`+shown("[data-testid=details]")+` && `+expanded+` === 'false' &&
		document.activeElement === document.querySelector('[data-testid=details-toggle]')`)

	b.setScreen(phone, false)
	b.do("Details on a phone", chromedp.Click(chromedp.CSS(`[data-testid=details-toggle]`)))
	b.waitFor("the details in the thread's place", shown("[data-testid=details]")+` && (() => {
		const d = document.querySelector('[data-testid=details]').getBoundingClientRect(), t = document.querySelector('.thread-body').getBoundingClientRect();
		return d.left === t.left && d.width === t.width && d.bottom === t.bottom; })()`)
	b.fits("the details open at 390x844")
	b.accessible("the details open at 390x844", false)
	b.do("Close", chromedp.Click(chromedp.CSS(`[data-testid=details-close]`)))
	b.waitFor("the thread again", `!`+shown("[data-testid=details]")+` && `+shown("[data-testid=messages]"))

	b.setScreen(laptop, false)
	b.waitFor("on a laptop the details are always there, without the buttons", shown("[data-testid=details]")+` && !`+shown("[data-testid=details-toggle]")+
		` && !`+shown("[data-testid=details-close]"))
}

// On a tablet held upright and on a phone, Ana edits the customer's notes
// in the details, scrolled down to them, with the caret in the middle of
// what she wrote; Ben takes the conversation, which replaces the details
// live. The notes stay where they were on the screen, her caret and text
// where they were, so her next keys land where she meant.
func TestBrowserContactEditKeepsCaretAndPlace(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	ana := newTab(t, browser(t, exe))
	ana.login(ls.url(), "ana@example.com")
	ben := newTab(t, browser(t, exe))
	ben.login(ls.url(), "ben@example.com")
	ben.open(ls.url() + "/conversations/1")
	ben.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	const notes = `document.querySelector('#thread [data-testid=contact-notes-input]')`
	const panel = `document.querySelector('#thread [data-testid=details]')`
	for i, s := range []screenSize{smallPortrait, phone} {
		ana.setScreen(s, false)
		ana.open(ls.url() + "/conversations/1")
		ana.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
		ana.do("Details", chromedp.Click(chromedp.CSS(`#thread [data-testid=details-toggle]`)))
		ana.do("Edit name and notes", chromedp.Click(chromedp.CSS(`#thread [data-testid=contact-edit]`)))
		ana.do("write", chromedp.Click(chromedp.CSS(`#thread [data-testid=contact-notes-input]`)),
			chromedp.SendKeys(chromedp.CSS(`#thread [data-testid=contact-notes-input]`), "Prefers calls. Lives abroad."))
		ana.eval(panel + `.scrollTop = ` + panel + `.scrollHeight; ` + notes + `.setSelectionRange(14, 14); ""`)
		ana.waitFor("the panel is scrolled down to the notes", panel+`.scrollTop > 100 && document.activeElement === `+notes)
		at := ana.eval(`String(Math.round(` + notes + `.getBoundingClientRect().top))`)

		who := []string{"me", ""}[i] // Ben takes it, then gives it back
		ben.eval(`fetch('/conversations/1/assign', {method: 'POST', headers: {'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content,
			'Content-Type': 'application/x-www-form-urlencoded'}, body: 'assignee=` + who + `'}); ""`)
		want := map[string]string{"me": "Ben", "": "Nobody"}[who]
		ana.waitFor("Ana's details show Ben's change", `document.querySelector('#thread [data-testid=details-assignee]').textContent.includes('`+want+`')`)
		if got := ana.eval(`(() => { const out = [], ta = ` + notes + `;
			if (ta.value !== 'Prefers calls. Lives abroad.') out.push('the notes read "' + ta.value + '"');
			if (document.activeElement !== ta) out.push('the focus went to ' + document.activeElement.tagName);
			if (ta.selectionStart !== 14 || ta.selectionEnd !== 14) out.push('the caret moved from 14 to ' + ta.selectionStart);
			const top = Math.round(ta.getBoundingClientRect().top);
			if (Math.abs(top - ` + at + `) > 3) out.push('the notes moved on the screen from ` + at + ` to ' + top + ' px');
			return out.join('; '); })()`); got != "" {
			t.Errorf("at %s Ben changed the conversation while Ana edited the notes: %s", s.name, got)
		}
		ana.do("type on", chromedp.KeyEvent(" Email only."))
		ana.waitFor("her words go where the caret was", notes+`.value === 'Prefers calls. Email only. Lives abroad.'`)
	}
}
