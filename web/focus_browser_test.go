package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox/zavu"
)

// ringCut is a JavaScript expression: the elements matching sel whose
// focus ring, once the keyboard gives them the focus, a part that scrolls
// (the list, the search's results, the admin menu on a phone, a report's
// table) cuts, each with the sides it cuts; "" when every ring shows
// whole. Each element is focused as the keyboard would, and scrolled
// wholly into view; the page must have had a key pressed, so that the
// focus shows.
func ringCut(sel string) string {
	return `(() => [...document.querySelectorAll('` + sel + `')].filter(e => e.checkVisibility()).flatMap(e => {
		e.focus();
		e.scrollIntoView({block: 'nearest', inline: 'nearest'});
		const st = getComputedStyle(e), r = e.getBoundingClientRect(), name = e.dataset.testid || e.textContent.trim().slice(0, 20);
		if (document.activeElement !== e || !e.matches(':focus-visible') || st.outlineStyle === 'none' || parseFloat(st.outlineWidth) < 2) {
			return [name + ' shows no ring (' + st.outlineStyle + ' ' + st.outlineWidth + ')'];
		}
		const o = parseFloat(st.outlineOffset) + parseFloat(st.outlineWidth);
		for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
			const as = getComputedStyle(a);
			if (as.overflowX === 'visible' && as.overflowY === 'visible') continue;
			const b = a.getBoundingClientRect(), cut = [];
			if (r.left - o < b.left - 1) cut.push('left');
			if (r.right + o > b.right + 1) cut.push('right');
			if (r.top - o < b.top - 1) cut.push('top');
			if (r.bottom + o > b.bottom + 1) cut.push('bottom');
			if (cut.length) return [name + ': ' + cut.join(', ')];
		}
		return [];
	}).join('; '))()`
}

// A row the keyboard moves to (j, k) shows its whole focus ring: the list
// scrolls and cuts what reaches past its edges, so the ring is drawn
// within the row, not around it where only its bottom edge showed.
func TestBrowserFocusedRowShowsItsWholeRing(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	for i, name := range []string{"Cleo", "Bram", "Abel"} {
		ls.post(inboundFrom(fmt.Sprintf("evt_f%d", i), fmt.Sprintf("msg_f%d", i), fmt.Sprintf("+1415555020%d", i), name, "Hi", now.Add(time.Duration(i)*time.Second)))
	}
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	for _, s := range []screenSize{phone, smallLaptop} {
		b.setScreen(s, false)
		b.open(ls.url() + "/inbox")
		b.waitFor("three rows", `document.querySelectorAll('[data-testid=conv-row]').length === 3`)
		for _, k := range []string{"j", "j"} {
			b.key(k)
		}
		b.waitFor("the second row has the focus", `document.activeElement === document.querySelectorAll('[data-testid=conv-row]')[1]`)
		if got := b.eval(`(() => {
			const row = document.activeElement, list = document.getElementById('conv-list').getBoundingClientRect(), st = getComputedStyle(row);
			if (!row.matches(':focus-visible') || st.outlineStyle === 'none' || parseFloat(st.outlineWidth) < 2) return 'no ring: ' + st.outlineStyle + ' ' + st.outlineWidth;
			const out = parseFloat(st.outlineOffset) + parseFloat(st.outlineWidth), r = row.getBoundingClientRect();
			const ring = {left: r.left - out, right: r.right + out, top: r.top - out, bottom: r.bottom + out};
			// The rows after it are drawn over what reaches below it.
			return ring.left < list.left || ring.right > list.right || ring.top < r.top - 0.5 || ring.bottom > r.bottom + 0.5 ?
				'the ring is ' + Math.round(ring.left) + '..' + Math.round(ring.right) + ' x ' + Math.round(ring.top) + '..' + Math.round(ring.bottom) +
				', the row ' + Math.round(r.top) + '..' + Math.round(r.bottom) + ' in a list ' + Math.round(list.left) + '..' + Math.round(list.right) : '';
		})()`); got != "" {
			t.Errorf("the focused row at %s: %s", s.name, got)
		}
	}
}

// The focus ring of a search result, of a section in the admin menu on a
// phone (a row that scrolls sideways) and of a report's Table button shows
// whole: each is drawn within its element, not around it where the part
// that scrolls cut it (a report's Table button showed no ring at all).
func TestBrowserFocusRingsInPartsThatScrollShowWhole(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addAdmin("ana@example.com", "Ana")
	now := time.Now()
	for i, name := range []string{"Cleo", "Bram", "Abel"} {
		ls.post(inboundFrom(fmt.Sprintf("evt_r%d", i), fmt.Sprintf("msg_r%d", i), fmt.Sprintf("+1415555020%d", i), name, "Where is my order?", now.Add(time.Duration(i)*time.Second)))
	}
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	for _, s := range []screenSize{phone, smallLaptop} {
		b.setScreen(s, false)
		b.open(ls.url() + "/inbox")
		b.do("search", chromedp.SendKeys(chromedp.CSS(`[data-testid=search-input]`), "order"))
		b.waitFor("three results", `document.querySelectorAll('[data-testid=search-hit]').length === 3`)
		if got := b.eval(ringCut(`[data-testid=search-hit]`)); got != "" {
			t.Errorf("search results at %s: %s", s.name, got)
		}
		b.open(ls.url() + "/reports")
		b.key("\t")
		if got := b.eval(ringCut(`.chart-table summary`)); got != "" {
			t.Errorf("the reports' Table buttons at %s: %s", s.name, got)
		}
		if s == phone {
			b.open(ls.url() + "/admin/agents")
			b.key("\t")
			if got := b.eval(ringCut(`.admin-nav a`)); got != "" {
				t.Errorf("the admin menu at %s: %s", s.name, got)
			}
		}
	}
}

// ringContrast is a JavaScript expression: the contrast ratio of the
// focused element's ring with the colour it is drawn on (the element's
// own background for a ring inside it, else the first background behind
// it), as WCAG counts it.
const ringContrast = `(() => {
	const e = document.activeElement, st = getComputedStyle(e);
	if (st.outlineStyle === 'none') return '0 (no ring)';
	const rgb = c => c.match(/[\d.]+/g).map(Number);
	const lum = c => { const [r, g, b] = rgb(c).slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
	let under = parseFloat(st.outlineOffset) < 0 ? e : e.parentElement;
	while (under && (rgb(getComputedStyle(under).backgroundColor)[3] === 0)) under = under.parentElement;
	const bg = under ? getComputedStyle(under).backgroundColor : 'rgb(255, 255, 255)';
	const a = lum(st.outlineColor), b = lum(bg);
	return ((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)).toFixed(2) + ' (' + st.outlineColor + ' on ' + bg + ')';
})()`

// The focus ring stands out from what it is drawn on, 3:1 at least (WCAG
// 1.4.11), light and dark: on the list's open row and on the composer's
// Send, beside the page's panes.
func TestBrowserFocusRingContrast(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	for i, name := range []string{"Cleo", "Bram"} {
		ls.post(inboundFrom(fmt.Sprintf("evt_c%d", i), fmt.Sprintf("msg_c%d", i), fmt.Sprintf("+1415555020%d", i), name, "Hi", now.Add(time.Duration(i)*time.Second)))
	}
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	for _, dark := range []bool{false, true} {
		b.setScreen(smallLaptop, dark)
		b.open(ls.url() + "/conversations/1")
		b.waitFor("the open row is marked", `!!document.querySelector('#conv-list .row.selected')`)
		b.key("\t")
		for _, el := range []string{"#conv-list .row.selected", "[data-testid=send]", "[data-testid=reply-text]"} {
			b.eval(`document.querySelector('` + el + `').focus(), ''`)
			got := b.eval(ringContrast)
			var ratio float64
			if _, err := fmt.Sscan(got, &ratio); err != nil {
				t.Fatal(err)
			}
			if ratio < 3 {
				t.Errorf("the focus ring of %s (dark %v): %s, want 3 or more", el, dark, got)
			}
		}
	}
}

// The hints in empty fields (the search's "Search /", the reply box's
// "Reply to Zoe...", the contacts' search) read at 4.5:1 at least, light
// and dark; the browser's own grey was 3.75:1 on the dark panes.
func TestBrowserPlaceholdersReadable(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_p1", "msg_p1", "+14155550101", "Zoe", "Hi", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	for _, dark := range []bool{false, true} {
		b.setScreen(smallLaptop, dark)
		for _, p := range []string{"/conversations/1", "/contacts"} {
			b.open(ls.url() + p)
			if got := b.eval(`(() => {
				const rgb = c => c.match(/[\d.]+/g).map(Number);
				const lum = c => { const [r, g, b] = rgb(c).slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
				return [...document.querySelectorAll('input[placeholder], textarea[placeholder]')].filter(e => e.checkVisibility()).flatMap(e => {
					const ph = getComputedStyle(e, '::placeholder'), bg = getComputedStyle(e).backgroundColor;
					const a = lum(ph.color), b = lum(bg), ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
					return ratio >= 4.5 && Number(ph.opacity) === 1 ? [] : [(e.dataset.testid || e.name) + ' ' + ratio.toFixed(2) + ' (' + ph.color + ' on ' + bg + ', opacity ' + ph.opacity + ')'];
				}).join('; ');
			})()`); got != "" {
				t.Errorf("%s (dark %v): %s", p, dark, got)
			}
		}
	}
}

// The keyboard goes on from where an action in the thread's header left
// it: "Assign to me", pressed with Enter, is gone once the conversation is
// the agent's, and its focus goes to the assignee picker beside it, which
// shows them; a snooze picked from its menu gives the focus back to the
// menu's button. Both left it on the page itself, and Tab started again
// from "Skip to content".
func TestBrowserHeaderActionsKeepTheFocus(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.openFirst(ls.url(), "ana@example.com")
	focused := `(document.activeElement.dataset.testid || document.activeElement.tagName)`

	b.eval(`document.querySelector('#thread [data-testid=assign-me]').focus(); ""`)
	b.key("\r")
	b.waitFor("the conversation is Ana's", `document.querySelector('#thread [data-testid=assign-me]').hidden`)
	if got := b.waitValue("the focus", focused); got != "assignee" {
		t.Errorf("after Assign to me the focus is on %s, want the assignee picker", got)
	}

	b.eval(`document.activeElement.blur(); ""`)
	b.key("z")
	b.waitFor("the snooze menu is open, on its first choice", `document.activeElement.dataset.testid === 'snooze-1h'`)
	b.key("\r")
	b.waitFor("the conversation is snoozed", `!!document.querySelector('#thread [data-testid=snoozed-pill]') &&
		!document.querySelector('#thread [data-testid=snooze-menu]').open && !document.querySelector('#thread .htmx-request')`)
	if got := b.waitValue("the focus", `document.activeElement === document.querySelector('#thread [data-testid=snooze-menu] summary') ? 'the menu button' : `+focused); got != "the menu button" {
		t.Errorf("after a snooze the focus is on %s, want the snooze menu's button", got)
	}
}

// A reaction picked from the keyboard leaves the focus on the picker's
// button: the bubble, redrawn with the reaction under it, took the focus
// with it to the page itself, and Tab started again from "Skip to
// content".
func TestBrowserReactionFromTheKeyboardKeepsTheFocus(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	fake.AddInbound(zavu.Message{ID: "msg_1", From: "+14155550101", Text: "Where is my order?"})
	b := newTab(t, browser(t, exe))
	b.openFirst(ls.url(), "ana@example.com")

	b.eval(`document.querySelector('#thread [data-testid=react-open]').focus(); ""`)
	b.key("\r")
	b.waitFor("the picker offers the reactions", `document.querySelectorAll('#thread [data-testid=react]').length === 6`)
	b.key("\t")
	b.waitFor("the first reaction has the focus", `document.activeElement.dataset.testid === 'react'`)
	b.key("\r")
	b.waitFor("the reaction is under the message", `document.querySelectorAll('#thread [data-testid=reaction]').length === 1 && !document.querySelector('#thread .htmx-request')`)
	if got := b.waitValue("the focus", `(a => a.dataset.testid || a.tagName)(document.activeElement)`); got != "react-open" {
		t.Errorf("after reacting the focus is on %s, want the picker's button", got)
	}
}

// Undo in the message a resolve leaves, reached with Tab and pressed with
// Enter, gives the focus back to where the agent was, the header's
// Resolve: the message went with the focus in it, to the page itself, and
// Tab started again from "Skip to content". Its × does the same.
func TestBrowserUndoGivesTheFocusBack(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.openFirst(ls.url(), "ana@example.com")
	focused := `(a => a.dataset.testid || a.tagName)(document.activeElement)`

	b.eval(`document.querySelector('#thread [data-testid=resolve]').focus(); ""`)
	b.key("\r")
	b.waitFor("the resolve offers Undo", `!!document.querySelector('[data-testid=toast] [data-testid=undo]') && !!document.querySelector('#thread [data-testid=reopen]')`)
	b.eval(`document.querySelector('[data-testid=undo]').focus(); ""`)
	b.key("\r")
	b.waitFor("the conversation is open again", `!!document.querySelector('#thread [data-testid=resolve]') && !document.querySelector('#thread .htmx-request')`)
	if got := b.waitValue("the focus", focused); got != "resolve" {
		t.Errorf("after Undo the focus is on %s, want the header's Resolve", got)
	}

	b.key("\r")
	b.waitFor("resolved again, with Undo", `!!document.querySelector('[data-testid=toast] [data-testid=undo]') && !!document.querySelector('#thread [data-testid=reopen]')`)
	b.eval(`document.querySelector('[data-testid=toast-close]').focus(); ""`)
	b.key("\r")
	b.waitFor("the message is gone", `!document.querySelector('[data-testid=toast]')`)
	if got := b.waitValue("the focus", focused); got != "reopen" {
		t.Errorf("after dismissing the message the focus is on %s, want the header's Reopen", got)
	}
}

// Undo lives in the message at the foot of the screen, last in the Tab
// order, for 10 seconds: u presses it from wherever the agent is, but
// types a u in the reply box.
func TestBrowserUndoFromTheKeyboardWithU(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.openFirst(ls.url(), "ana@example.com")

	b.do("resolve", chromedp.Click(chromedp.CSS(`#thread [data-testid=resolve]`)))
	b.waitFor("the resolve offers Undo", `!!document.querySelector('[data-testid=toast] [data-testid=undo]') && !!document.querySelector('#thread [data-testid=reopen]')`)
	b.eval(`document.querySelector('#thread [data-testid=reply-text]').focus(); ""`)
	b.key("u")
	if v := b.eval(`document.querySelector('#thread [data-testid=reply-text]').value`); v != "u" {
		t.Errorf("u in the reply box left %q in it", v)
	}
	if b.eval(`String(!!document.querySelector('[data-testid=toast] [data-testid=undo]'))`) != "true" {
		t.Fatal("u typed in the reply box pressed Undo")
	}
	b.eval(`document.querySelector('#thread [data-testid=reopen]').focus(); ""`)
	b.key("u")
	b.waitFor("the conversation is open again", `!!document.querySelector('#thread [data-testid=resolve]') && !document.querySelector('[data-testid=undo]')`)
}

// The contact's name and notes, saved from the keyboard in the details,
// close their form and give the focus to its "Edit name and notes": the
// form closed with the focus in it, and Tab started again from "Skip to
// content".
func TestBrowserContactSavedKeepsTheFocus(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.openFirst(ls.url(), "ana@example.com")

	b.eval(`document.querySelector('#thread [data-testid=contact-edit]').focus(); ""`)
	b.key("\r")
	b.waitFor("the form is open", `document.querySelector('#thread details.contact-edit').open`)
	b.eval(`document.querySelector('#thread [data-testid=contact-notes-input]').focus(); ""`)
	b.do("she writes a note", chromedp.SendKeys(chromedp.CSS(`#thread [data-testid=contact-notes-input]`), "Prefers calls after 5pm"))
	b.eval(`document.querySelector('#thread [data-testid=contact-save]').focus(); ""`)
	b.key("\r")
	b.waitFor("saved, the form closes", `!document.querySelector('#thread details.contact-edit').open &&
		document.querySelector('#thread [data-testid=contact-notes]').textContent.includes('after 5pm')`)
	if got := b.waitValue("the focus", `(a => a.dataset.testid || a.tagName)(document.activeElement)`); got != "contact-edit" {
		t.Errorf("after saving the contact the focus is on %s, want its Edit name and notes", got)
	}
}

// Retry under a failed reply, pressed from the keyboard, goes with the
// failure once the reply is on its way again: the focus goes to the reply
// box, where the agent goes on, not to the page itself, from which Tab
// started again at "Skip to content".
func TestBrowserRetryHandsTheFocusToTheComposer(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Do you ship to Canada?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.openFirst(ls.url(), "ana@example.com")

	fake.FailNext(1, zavu.Failure{Status: http.StatusPaymentRequired, Code: "insufficient_balance", Message: "Insufficient balance"})
	b.do("Ana replies", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Yes, in 3 days.\r"))
	b.waitFor("the failure shows, with Retry", `!!document.querySelector('#thread [data-testid=retry]')`)
	b.eval(`document.querySelector('#thread [data-testid=retry]').focus(); ""`)
	b.key("\r")
	b.waitFor("the reply is sent", `!document.querySelector('#thread [data-testid=failure]') &&
		document.querySelector('#thread [data-direction=outbound]').dataset.status !== 'failed'`)
	if got := b.waitValue("the focus", `(a => a.dataset.testid || a.tagName)(document.activeElement)`); got != "reply-text" {
		t.Errorf("after Retry the focus is on %s, want the reply box", got)
	}
}
