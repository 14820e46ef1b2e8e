package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Ben took the conversation a moment before Ana, whose screen had not yet
// shown it, pressed Assign to me (and then the a key): she is told Ben
// has it, with no Try again that would only be refused again, and Ben
// keeps it.
func TestBrowserAssignToMeTooLateSaysWhoHasIt(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.addUser("ben@example.com", "Ben Okafor")
	benUser, err := ls.db.UserByEmail(t.Context(), "ben@example.com")
	if err != nil {
		t.Fatal(err)
	}
	ben := benUser.ID
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	// Straight into the database: Ana's page hears nothing of it yet.
	if _, err := ls.db.Assign(t.Context(), 1, &ben, time.Now()); err != nil {
		t.Fatal(err)
	}
	const toast = `(document.querySelector('[data-testid=action-error]') || {textContent: ''})`
	for _, press := range []struct {
		name string
		act  chromedp.Action[chromedp.Void]
	}{
		{"click Assign to me", chromedp.Click(chromedp.CSS(`#thread [data-testid=assign-me]`))},
		{"press a", chromedp.KeyEvent("a")},
	} {
		if press.name == "press a" {
			b.eval(`document.activeElement.blur(); ""`)
		}
		b.do(press.name, press.act)
		b.waitFor("Ana is told Ben has it ("+press.name+")", toast+`.textContent.includes('Ben Okafor has this conversation now')`)
		if b.eval(`String(!!document.querySelector('[data-testid=action-error] [data-testid=action-retry]'))`) != "false" {
			t.Errorf("%s: the message offers Try again", press.name)
		}
		b.eval(`document.querySelector('[data-testid=action-error] .toast-close').click(); ""`)
		b.waitFor("the message is dismissed", `!document.querySelector('[data-testid=action-error]')`)
	}
	if c, err := ls.db.Conversation(t.Context(), 1); err != nil || c.AssigneeID == nil || *c.AssigneeID != ben {
		t.Errorf("after Ana's tries the assignee is %v (%v), want Ben", c.AssigneeID, err)
	}
}

// Ana goes down the assignee picker (the arrow keys change it at each
// step), from Ben to Cleo, faster than the answers come: her first step's
// answer comes before the live update of the header, and the next step,
// queued behind it, starts from it rather than being refused as a
// teammate's change. Cleo has it at the end.
func TestBrowserAssigneePickerStepsAreTheAgentsOwn(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.addUser("ben@example.com", "Ben")
	ls.addUser("cleo@example.com", "Cleo")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	// The page's live messages can be held back (window.__mute), so that
	// the answers come first.
	b.do("record the page's websockets", chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: `(() => {
			const WS = window.WebSocket;
			window.__held = [];
			window.WebSocket = function (...a) {
				const ws = new WS(...a);
				let handler = null;
				Object.defineProperty(ws, 'onmessage', {set(f) { handler = f; }, get() { return handler; }});
				ws.addEventListener('message', e => { if (window.__mute) { window.__held.push(e); } else if (handler) { handler.call(ws, e); } });
				window.__deliver = () => { window.__mute = false; window.__held.splice(0).forEach(e => handler && handler.call(ws, e)); };
				return ws;
			};
			Object.assign(window.WebSocket, WS);
			window.WebSocket.prototype = WS.prototype;
		})()`})
		return chromedp.Void{}, err
	}))
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	const picker = `document.querySelector('#thread [data-testid=assignee]')`
	b.waitFor("the picker lists the team", `[...`+picker+`.options].some(o => o.text === 'Cleo')`)
	choose := func(name string) string {
		return `(p => { p.value = [...p.options].find(o => o.text === '` + name + `').value; p.dispatchEvent(new Event('change', {bubbles: true})); })(` + picker + `); ""`
	}
	release := ls.holdAnswers("/assign")
	b.eval(`window.__reqs = []; document.addEventListener('htmx:configRequest', e => window.__reqs.push(JSON.stringify(Object.fromEntries(e.detail.formData))), true); ""`)
	defer func() {
		if t.Failed() {
			t.Log(b.eval(`String(window.__held && window.__held.length) + ' ' + typeof window.__deliver + ' ' + JSON.stringify(window.__reqs) + ' ' + (document.querySelector('[data-testid=action-error]') || {textContent: ''}).textContent`))
		}
	}()
	b.eval(`window.__mute = true; ""`)
	b.eval(choose("Ben"))
	b.eval(choose("Cleo"))
	release()
	cleo, err := ls.db.UserByEmail(t.Context(), "cleo@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b.waitFor("the requests are done", `!document.querySelector('#thread .htmx-request')`)
	b.eval(`window.__deliver(); ""`)
	b.waitFor("Cleo has it", `document.querySelector('#thread [data-testid=thread-head]').dataset.assignee === '`+itoa(cleo.ID)+`'`)
	if got := b.eval(`(document.querySelector('[data-testid=action-error]') || {textContent: ''}).textContent`); got != "" {
		t.Errorf("Ana's own second step was refused: %q", got)
	}
}
