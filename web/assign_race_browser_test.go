package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
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
	ben := ls.userID("ben@example.com")
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
// waiting behind it, starts from it rather than being refused as a
// teammate's change. Cleo has it at the end.
func TestBrowserAssigneePickerStepsAreTheAgentsOwn(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.addUser("ben@example.com", "Ben")
	ls.addUser("cleo@example.com", "Cleo")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	// The page's live messages are held back, so that the answers come
	// first.
	b := heldThread(t, ls, exe, "ana@example.com")
	const picker = `document.querySelector('#thread [data-testid=assignee]')`
	b.waitFor("the picker lists the team", `[...`+picker+`.options].some(o => o.text === 'Cleo')`)
	choose := func(name string) string {
		return `(p => { p.value = [...p.options].find(o => o.text === '` + name + `').value; p.dispatchEvent(new Event('change', {bubbles: true})); })(` + picker + `); ""`
	}
	release := ls.holdAnswers("/assign")
	defer func() {
		if t.Failed() {
			t.Log(b.eval(`String(window.__held && window.__held.length) + ' ' + typeof window.__deliver + ' ' + (document.querySelector('[data-testid=action-error]') || {textContent: ''}).textContent`))
		}
	}()
	b.eval(`window.__mute = true; ""`)
	b.eval(choose("Ben"))
	b.eval(choose("Cleo"))
	release()
	cleo := ls.userID("cleo@example.com")
	b.waitFor("the requests are done", `!document.querySelector('#thread form.assign[aria-busy]')`)
	b.eval(`window.__deliver(); ""`)
	b.waitFor("Cleo has it", `document.querySelector('#thread [data-testid=thread-head]').dataset.assignee === '`+itoa(cleo)+`'`)
	if got := b.eval(`(document.querySelector('[data-testid=action-error]') || {textContent: ''}).textContent`); got != "" {
		t.Errorf("Ana's own second step was refused: %q", got)
	}
}

// heldThread is a new tab in which the user with that email has
// conversation 1 open, its live connection up, its live messages held as
// holdLive says.
func heldThread(t *testing.T, ls *liveServer, exe, email string) *tab {
	t.Helper()
	b := newTab(t, browser(t, exe))
	holdLive(b)
	b.login(ls.url(), email)
	b.open(ls.url() + "/conversations/1")
	b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	return b
}

// holdLive makes the page's live messages wait while window.__mute is
// set, in window.__held, until window.__deliver() hands them on: a test
// can then have a live update come at the moment it chooses. Call it
// before the page loads.
func holdLive(b *tab) {
	b.t.Helper()
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
}

// Ana steps down the header's assignee picker with the arrow key, from
// herself to Ben and on to Cleo; her step to Ben is on its way (its answer
// held back, as on a loaded server) when the live update of the header
// comes and replaces the picker. Her last step still goes: Cleo has the
// conversation, and the picker says so.
func TestBrowserAssigneePickerStepsGoThroughALiveUpdate(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.addUser("ben@example.com", "Ben")
	ls.addUser("cleo@example.com", "Cleo")
	ana, ben, cleo := ls.userID("ana@example.com"), ls.userID("ben@example.com"), ls.userID("cleo@example.com")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	if err := ls.db.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.db.Assign(t.Context(), 1, &ana, time.Now()); err != nil {
		t.Fatal(err)
	}
	b := heldThread(t, ls, exe, "ana@example.com")
	const picker = `document.querySelector('#thread [data-testid=assignee]')`
	b.waitFor("the picker lists the team", `[...`+picker+`.options].map(o => o.text).join() === 'Unassigned,Ana (me),Ben,Cleo'`)
	b.eval(picker + `.focus(); ""`)
	defer func() {
		if t.Failed() {
			t.Log(b.eval(`String(window.__held && window.__held.length) + ' ' + (document.querySelector('[data-testid=action-error]') || {textContent: ''}).textContent`))
		}
	}()

	release := ls.holdAnswers("/assign")
	b.eval(`window.__mute = true; ""`)
	b.do("Ana steps to Ben", chromedp.KeyEvent(kb.ArrowDown))
	b.waitFor("her step is on its way", picker+`.value === '`+itoa(ben)+`'`)
	b.do("and on to Cleo", chromedp.KeyEvent(kb.ArrowDown))
	b.waitFor("the picker shows Cleo", picker+`.value === '`+itoa(cleo)+`'`)
	b.waitFor("the live update of her step to Ben has come", `window.__held.some(e => String(e.data).includes('data-assignee="`+itoa(ben)+`"'))`)
	b.eval(`window.__deliver(); ""`)
	b.waitFor("the header is Ben's", `document.querySelector('#thread [data-testid=thread-head]').dataset.assignee === '`+itoa(ben)+`'`)
	if got := b.eval(picker + `.selectedOptions[0].text`); got != "Cleo" {
		t.Errorf("while Ana's steps are on their way the picker shows %q, want Cleo, her last choice", got)
	}
	release()
	b.waitFor("the header and the picker agree", `(p => !p.form.hasAttribute('aria-busy') && p.closest('[data-assignee]').dataset.assignee === p.value)(`+picker+`)`)
	c, err := ls.db.Conversation(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.AssigneeID == nil || *c.AssigneeID != cleo {
		t.Errorf("the conversation ends assigned to %s, want Cleo (%d), Ana's last choice", idOrNobody(c.AssigneeID), cleo)
	}
	if got := b.eval(picker + `.selectedOptions[0].text`); got != "Cleo" {
		t.Errorf("the picker ends on %q, want Cleo", got)
	}
	if got := b.eval(`(document.querySelector('[data-testid=action-error]') || {textContent: ''}).textContent`); got != "" {
		t.Errorf("Ana was told %q", got)
	}
	if got := b.eval(`document.activeElement === ` + picker + ` ? '' : document.activeElement.outerHTML.slice(0, 80)`); got != "" {
		t.Errorf("the focus left the picker for %s", got)
	}
}

func idOrNobody(id *int64) string {
	if id == nil {
		return "nobody"
	}
	return itoa(*id)
}

// As Ana steps from Ben on to Cleo, her step to Ben on its way, Dan takes
// the conversation: the live updates of both replace the header, and her
// step to Cleo, which started from Ben, is refused as the guard refuses
// any change made from a screen that had not seen Dan's. She is told Dan
// has it, and the picker shows Dan.
func TestBrowserAssigneePickerStepAfterATeammatesChangeIsTold(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.addUser("ben@example.com", "Ben")
	ls.addUser("cleo@example.com", "Cleo")
	ls.addUser("dan@example.com", "Dan")
	ana, ben, dan := ls.userID("ana@example.com"), ls.userID("ben@example.com"), ls.userID("dan@example.com")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	if err := ls.db.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.db.Assign(t.Context(), 1, &ana, time.Now()); err != nil {
		t.Fatal(err)
	}
	b := heldThread(t, ls, exe, "ana@example.com")
	const picker = `document.querySelector('#thread [data-testid=assignee]')`
	b.waitFor("the picker lists the team", `[...`+picker+`.options].map(o => o.text).join() === 'Unassigned,Ana (me),Ben,Cleo,Dan'`)
	b.eval(picker + `.focus(); ""`)

	release := ls.holdAnswers("/assign")
	b.eval(`window.__mute = true; ""`)
	b.do("Ana steps to Ben", chromedp.KeyEvent(kb.ArrowDown))
	b.waitFor("the live update of her step to Ben has come", `window.__held.some(e => String(e.data).includes('data-assignee="`+itoa(ben)+`"'))`)
	b.do("and on to Cleo", chromedp.KeyEvent(kb.ArrowDown))
	// Dan's answer is held back too, but his change is made.
	danAgent := (&testServer{t: t, srv: &httptest.Server{URL: ls.url()}}).newAgent()
	danAgent.login("dan@example.com")
	took := make(chan int, 1)
	go func() {
		took <- danAgent.post("/conversations/1/assign", url.Values{"assignee": {"me"}, "from": {itoa(ben)}}).status
	}()
	b.waitFor("the live update of Dan's change has come", `window.__held.some(e => String(e.data).includes('data-assignee="`+itoa(dan)+`"'))`)
	b.eval(`window.__deliver(); ""`)
	release()
	if status := <-took; status != http.StatusNoContent {
		t.Fatalf("Dan takes it: %d", status)
	}
	b.waitFor("Ana is told Dan has it", `(document.querySelector('[data-testid=action-error]') || {textContent: ''}).textContent.includes('Dan has this conversation now')`)
	b.waitFor("the picker is done", `!document.querySelector('#thread form.assign[aria-busy]')`)
	if got := b.eval(picker + `.selectedOptions[0].text`); got != "Dan" {
		t.Errorf("the picker ends on %q, want Dan", got)
	}
	c, err := ls.db.Conversation(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.AssigneeID == nil || *c.AssigneeID != dan {
		t.Errorf("the conversation ends assigned to %s, want Dan (%d)", idOrNobody(c.AssigneeID), dan)
	}
}
