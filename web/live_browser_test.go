package web_test

import (
	"fmt"
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

// Text the agent selects in the thread (a tracking number in a reply, to
// copy it) or in the details (the customer's number) stays selected when
// a live update redraws the bubble or the details around it: a read
// receipt, a reaction, a teammate taking the conversation.
func TestBrowserLiveUpdateKeepsTheSelectionInTheThread(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	now := time.Now()
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is order 4411?", now.Add(-time.Minute)))
	ls.post(echoFrom("evt_2", "msg_2", "+14155550101", "Your tracking number is ZX123456789GB", now.Add(-30*time.Second)))
	bctx := browser(t, exe)
	ana := newTab(t, bctx)
	ana.login(ls.url(), "ana@example.com")
	ana.open(ls.url() + "/conversations/1")
	ana.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	// selectIn selects the text of the element sel finds from the first
	// occurrence of what on; selected gives what is selected.
	selectIn := func(sel, what string) {
		t.Helper()
		ana.eval(`(() => { const e = document.querySelector('` + sel + `'), w = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
			for (let n; (n = w.nextNode());) { const i = n.data.indexOf('` + what + `');
				if (i >= 0) { getSelection().setBaseAndExtent(n, i, n, i + ` + fmt.Sprint(len(what)) + `); return ''; } }
			throw new Error('no ` + what + `'); })()`)
		if got := ana.eval(`getSelection().toString()`); got != what {
			t.Fatalf("selected %q, want %q", got, what)
		}
	}
	const selected = `getSelection().toString()`
	const ours = `[data-testid=message][data-direction=outbound]`

	selectIn(ours+` [data-testid=text]`, "ZX123456789GB")
	ls.post(statusEvent("evt_3", "message.read", "msg_2", now))
	ana.waitFor("the reply shows as read", `document.querySelector('`+ours+`').dataset.status === 'read'`)
	if got := ana.eval(selected); got != "ZX123456789GB" {
		t.Errorf("after the read receipt the selection is %q, want the tracking number", got)
	}

	selectIn(`[data-testid=message][data-direction=inbound] [data-testid=text]`, "4411")
	ls.post(reactionEvent("evt_4", "msg_1", "👍", "added", now))
	ana.waitFor("the reaction shows", `document.querySelectorAll('[data-testid=reaction]').length === 1`)
	if got := ana.eval(selected); got != "4411" {
		t.Errorf("after a reaction the selection is %q, want the order number", got)
	}

	selectIn(`[data-testid=details]`, "+14155550101")
	ben := newTab(t, bctx)
	ben.login(ls.url(), "ben@example.com")
	ben.open(ls.url() + "/conversations/1")
	ben.do("Ben takes it", chromedp.Click(chromedp.CSS(`[data-testid=assign-me]`)))
	ana.waitFor("Ana sees Ben as the assignee", `document.querySelector('[data-testid=details-assignee]').textContent.includes('Ben Agent')`)
	if got := ana.eval(selected); got != "+14155550101" {
		t.Errorf("after a teammate took the conversation the selection is %q, want the customer's number", got)
	}
}

// Text the agent selects in a row of the list (an order number in its
// preview, to copy it) stays selected when a live update redraws the row
// around it: a teammate taking the conversation, a label.
func TestBrowserLiveUpdateKeepsTheSelectionInAListRow(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	now := time.Now()
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is order 4411?", now.Add(-time.Minute)))
	ls.post(inboundFrom("evt_2", "msg_2", "+14155550102", "Yuri Tan", "Hello", now.Add(-2*time.Minute)))
	bctx := browser(t, exe)
	ana := newTab(t, bctx)
	ana.login(ls.url(), "ana@example.com")
	zoe := ana.conversationOf("Zoe Quinn")
	row := `document.getElementById('c-` + zoe + `')`
	ana.eval(`(() => { const w = document.createTreeWalker(` + row + `.querySelector('[data-testid=row-preview]'), NodeFilter.SHOW_TEXT);
		for (let n; (n = w.nextNode());) { const i = n.data.indexOf('4411');
			if (i >= 0) { getSelection().setBaseAndExtent(n, i, n, i + 4); return ''; } }
		throw new Error('no 4411'); })()`)
	const selected = `getSelection().toString()`
	if got := ana.eval(selected); got != "4411" {
		t.Fatalf("selected %q, want 4411", got)
	}
	ana.eval(`window.__rowRedrawn = false; new MutationObserver(() => { window.__rowRedrawn = true; }).observe(` + row + `, {childList: true}); ""`)

	ben := newTab(t, bctx)
	ben.login(ls.url(), "ben@example.com")
	ben.open(ls.url() + "/conversations/" + zoe)
	ben.do("Ben takes it", chromedp.Click(chromedp.CSS(`[data-testid=assign-me]`)))
	ana.waitFor("Ana's row shows Ben", row+`.dataset.assignee === '`+fmt.Sprint(ls.userID("ben@example.com"))+`' && !!`+row+`.querySelector('[data-testid=row-assignee]')`)
	if ana.eval(`String(window.__rowRedrawn)`) != "true" {
		t.Fatal("the row was not redrawn")
	}
	if got := ana.eval(selected); got != "4411" {
		t.Errorf("after a teammate took the conversation the selection is %q, want the order number", got)
	}

	// Yuri's name, selected, stays selected when his new message moves
	// his row to the top with a new preview.
	yuri := ana.conversationOf("Yuri Tan")
	ana.eval(`(n => getSelection().setBaseAndExtent(n.firstChild, 0, n.firstChild, 8))(document.querySelector('#c-` + yuri + ` [data-testid=row-name]')), ''`)
	if got := ana.eval(selected); got != "Yuri Tan" {
		t.Fatalf("selected %q, want Yuri Tan", got)
	}
	ls.post(inboundFrom("evt_3", "msg_3", "+14155550102", "Yuri Tan", "Are you there?", time.Now()))
	ana.waitFor("Yuri's row moves to the top", `document.querySelector('#conv-list .row').id === 'c-`+yuri+`' && document.querySelector('#c-`+yuri+` [data-testid=row-preview]').textContent.includes('Are you there?')`)
	if got := ana.eval(selected); got != "Yuri Tan" {
		t.Errorf("after Yuri's row moved the selection is %q, want his name", got)
	}
}
