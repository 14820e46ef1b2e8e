package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"switchboard/inbox"
)

// Two agents on one conversation, on tablets held upright: while Ana has a
// menu of the thread's header open, Ben's changes and the customer's new
// message replace the header under it. Her menu stays open, with the time
// she typed and the focus where she left it, and its ticks follow Ben's.
func TestBrowserHeaderMenusStayOpenThroughLiveUpdates(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addAdmin("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	for _, n := range []string{"Refund", "VIP"} {
		if err := ls.db.CreateLabel(context.Background(), &inbox.Label{Name: n, Colour: "blue", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	ana := newTab(t, browser(t, exe))
	ana.setScreen(smallPortrait, false)
	ana.login(ls.url(), "ana@example.com")
	ben := newTab(t, browser(t, exe))
	ben.setScreen(portrait, false)
	ben.login(ls.url(), "ben@example.com")
	for _, b := range []*tab{ana, ben} {
		b.open(ls.url() + "/conversations/1")
		b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	}
	const snooze = `document.querySelector('#thread [data-testid=snooze-menu]')`
	const labels = `document.querySelector('#thread [data-testid=label-menu]')`
	const at = `document.querySelector('#thread [data-testid=snooze-at]')`

	// Ana starts to snooze it until a time of her own.
	ana.do("Ana opens Snooze", chromedp.Click(chromedp.CSS(`#thread [data-testid=snooze-menu] summary`)))
	ana.waitFor("the menu is open", snooze+`.open`)
	ana.do("and picks the time field", chromedp.Click(chromedp.CSS(`#thread [data-testid=snooze-at]`)))
	ana.eval(at + `.value = '2031-03-04T09:30'; ""`)
	ana.waitFor("the time field has the focus", `document.activeElement === `+at)

	ben.do("Ben assigns it to himself", chromedp.Click(chromedp.CSS(`#thread [data-testid=assign-me]`)))
	ana.waitFor("Ana's header shows Ben's change", `document.querySelector('#thread .thread-head').dataset.assignee === '2'`)
	if got := ana.eval(`(() => { const out = [];
		if (!` + snooze + `.open) out.push('the Snooze menu closed');
		if (` + at + `.value !== '2031-03-04T09:30') out.push('the time she typed is now "' + ` + at + `.value + '"');
		if (document.activeElement !== ` + at + `) out.push('the focus went to ' + document.activeElement.tagName);
		return out.join('; '); })()`); got != "" {
		t.Errorf("Ben assigned the conversation while Ana was snoozing it: %s", got)
	}

	ana.key(kb.Escape)
	ana.waitFor("Escape shuts the menu", `!`+snooze+`.open`)

	// She labels it while Ben does too, and the customer writes again.
	ana.do("Ana opens Labels", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-menu] summary`)))
	ana.waitFor("the menu is open", labels+`.open`)
	ana.do("and ticks Refund", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-option][value=Refund]`)))
	ana.waitFor("Refund is on the conversation", `document.querySelector('#thread [data-testid=thread-labels]').textContent.includes('Refund')`)
	ben.do("Ben labels it VIP", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-menu] summary`)),
		chromedp.Click(chromedp.CSS(`#thread [data-testid=label-option][value=VIP]`)))
	ana.waitFor("Ana sees VIP", `document.querySelector('#thread [data-testid=thread-labels]').textContent.includes('VIP')`)
	ls.post(inboundFrom("evt_2", "msg_2", "+14155550101", "Zoe Quinn", "Hello? Anyone there?", time.Now()))
	ana.waitFor("the customer's message is in", `document.querySelector('#thread [data-testid=messages]').textContent.includes('Anyone there?')`)
	if got := ana.eval(`(() => { const out = [];
		if (!` + labels + `.open) out.push('the Labels menu closed');
		const ticked = [...document.querySelectorAll('#thread [data-testid=label-option]:checked')].map(c => c.value).join();
		if (ticked !== 'Refund,VIP') out.push('the menu ticks "' + ticked + '"');
		if (!document.activeElement.matches('[data-testid=label-option][value=Refund]')) out.push('the focus went to ' + document.activeElement.tagName);
		return out.join('; '); })()`); got != "" {
		t.Errorf("labels changed while Ana had their menu open: %s", got)
	}

	// Snoozing from the menu still closes it, whichever comes first: the
	// answer or the header it changed (here the header).
	ana.do("Ana shuts Labels", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-menu] summary`)))
	ana.waitFor("the menu is shut", `!`+labels+`.open`)
	ana.do("Ana opens Snooze again", chromedp.Click(chromedp.CSS(`#thread [data-testid=snooze-menu] summary`)))
	ana.waitFor("it has found its place on the screen", `(b => { const r = b.getBoundingClientRect();
		return `+snooze+`.open && document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2) === b; })(document.querySelector('#thread [data-testid=snooze-1h]'))`)
	// The answer is held back until the live update has replaced the
	// header, as on a loaded server: the menu that took the old one's place
	// closes when the answer comes.
	release := ls.holdAnswers("/snooze")
	ana.do("and snoozes it for an hour", chromedp.Click(chromedp.CSS(`#thread [data-testid=snooze-1h]`)))
	ana.waitFor("the header says snoozed", `!!document.querySelector('#thread [data-testid=snoozed-pill]')`)
	release()
	ana.waitFor("and the menu is shut", `!`+snooze+`.open`)
}

// On a phone and on a tablet, a header menu closes when the agent taps
// anywhere else, as menus do: opening Labels shuts Snooze instead of
// stacking one over the other, and a tap on the thread shuts Labels.
func TestBrowserHeaderMenusCloseOnATapOutside(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	if err := ls.db.CreateLabel(context.Background(), &inbox.Label{Name: "Refund", Colour: "blue", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	const snooze = `document.querySelector('#thread [data-testid=snooze-menu]')`
	const labels = `document.querySelector('#thread [data-testid=label-menu]')`
	for _, s := range []screenSize{phone, smallPortrait} {
		b.setScreen(s, false)
		b.open(ls.url() + "/conversations/1")
		b.do("open Snooze", chromedp.Click(chromedp.CSS(`#thread [data-testid=snooze-menu] summary`)))
		b.waitFor("Snooze is open", snooze+`.open`)
		b.do("tap Labels", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-menu] summary`)))
		b.waitFor("Labels is open", labels+`.open`)
		if b.eval(`String(`+snooze+`.open)`) == "true" {
			t.Errorf("at %s Snooze stays open under Labels", s.name)
		}
		b.do("tick Refund", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-option][value=Refund]`)))
		b.waitFor("Refund is on", `document.querySelector('#thread [data-testid=thread-labels]').textContent.includes('Refund')`)
		if b.eval(`String(`+labels+`.open)`) != "true" {
			t.Errorf("at %s a tap inside Labels shut it", s.name)
		}
		b.do("tap the thread", chromedp.Click(chromedp.CSS(`#thread [data-testid=messages]`)))
		b.waitFor("Labels shuts", `!`+labels+`.open`)
		b.do("untick Refund", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-menu] summary`)),
			chromedp.Click(chromedp.CSS(`#thread [data-testid=label-option][value=Refund]`)))
		b.waitFor("Refund is off", `!document.querySelector('#thread [data-testid=thread-labels]').textContent.includes('Refund')`)
	}
}

// From the keyboard, Resolve then Reopen in the thread's header: the
// header comes back live with the other button, which takes the focus, so
// Enter again undoes it and Tab goes on from there.
func TestBrowserResolveAndReopenKeepTheFocus(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.setScreen(smallPortrait, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	b.do("focus Resolve", chromedp.Focus(chromedp.CSS(`#thread [data-testid=resolve]`)))
	b.key("\r")
	b.waitFor("the header offers Reopen", `!!document.querySelector('#thread [data-testid=reopen]')`)
	if got := b.eval(`document.activeElement.dataset.testid || document.activeElement.tagName`); got != "reopen" {
		t.Errorf("after Resolve the focus is on %s, want Reopen", got)
	}
	b.key("\r")
	b.waitFor("the header offers Resolve", `!!document.querySelector('#thread [data-testid=resolve]')`)
	if got := b.eval(`document.activeElement.dataset.testid || document.activeElement.tagName`); got != "resolve" {
		t.Errorf("after Reopen the focus is on %s, want Resolve", got)
	}
}

// Ben labels the conversation VIP a moment before Ana ticks Refund, too
// soon for his change to have reached her screen (as on a slow network or
// while her page reconnects): her tick adds Refund and leaves his VIP.
func TestBrowserLabelTickKeepsATeammatesLabel(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ben := ls.addAdmin("ben@example.com", "Ben Agent")
	ctx := context.Background()
	for _, n := range []string{"Refund", "VIP"} {
		if err := ls.db.CreateLabel(ctx, &inbox.Label{Name: n, Colour: "blue", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	b.do("Ana opens Labels", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-menu] summary`)))
	b.waitFor("the menu is open", `document.querySelector('#thread [data-testid=label-menu]').open`)

	// Ben's label, stored but not yet on Ana's screen.
	if _, _, err := ls.db.UpdateConversations(ctx, []int64{1}, inbox.ConversationUpdate{AddLabels: []string{"VIP"}, By: ben}, time.Now()); err != nil {
		t.Fatal(err)
	}
	b.do("Ana ticks Refund", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-option][value=Refund]`)))
	b.waitFor("Refund is on the conversation", `document.querySelector('#thread [data-testid=thread-labels]').textContent.includes('Refund')`)
	c, err := ls.db.Conversation(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range c.Labels {
		names = append(names, l.Name)
	}
	if strings.Join(names, ",") != "Refund,VIP" {
		t.Errorf("after Ben's VIP and Ana's Refund the conversation has labels %q, want Refund and VIP", names)
	}
	b.waitFor("Ana's header shows both", `(t => t.includes('Refund') && t.includes('VIP'))(document.querySelector('#thread [data-testid=thread-labels]').textContent)`)

	b.do("Ana unticks Refund", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-option][value=Refund]`)))
	b.waitFor("only VIP is left", `document.querySelector('#thread [data-testid=thread-labels]').textContent.trim() === 'VIP'`)
}

// From the keyboard, Escape closes the pop-ups that open over the page as
// it closes the header's menus: the reaction picker under a customer's
// message, the search's filters and its help. It does so from the pop-up's
// button or from within it, and the focus goes back to its button.
func TestBrowserEscapeClosesThePopUps(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	for _, p := range []struct{ name, summary string }{
		{"the reaction picker", `#thread [data-testid=react-open]`},
		{"the search's filters", `[data-testid=search-filters] summary`},
		{"the search's help", `[data-testid=search-help] summary`},
	} {
		for _, within := range []bool{false, true} {
			b.eval(`document.querySelector('` + p.summary + `').focus(), ''`)
			b.do("open "+p.name, chromedp.KeyEvent(kb.Enter))
			b.waitFor(p.name+" is open", `document.querySelector('`+p.summary+`').parentElement.open`)
			if within {
				b.eval(`(d => (d.querySelector('button, select, input, a[href]') || d).focus())(document.querySelector('` + p.summary + `').parentElement), ''`)
			}
			b.do("Escape", chromedp.KeyEvent(kb.Escape))
			if got := b.eval(`(s => s.parentElement.open ? 'still open' : document.activeElement === s ? '' : 'closed, the focus on ' + document.activeElement.outerHTML.slice(0, 60))(document.querySelector('` + p.summary + `'))`); got != "" {
				t.Errorf("%s after Escape (from within: %v): %s", p.name, within, got)
			}
			b.eval(`document.querySelectorAll('details[open]').forEach(d => d.open = false), ''`)
		}
	}
}

// Ana snoozes until a time that has passed: she is told to pick a time in
// the future, with no Try again, which would only send the same time to
// be refused again; a refusal the same request may get past (Zavu busy)
// keeps its Try again (TestBrowserScreen's refused reaction).
func TestBrowserARefusedChoiceOffersNoTryAgain(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addAdmin("ana@example.com", "Ana Admin")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	ana := newTab(t, browser(t, exe))
	ana.openFirst(ls.url(), "ana@example.com")
	ana.eval(`document.querySelector('#thread [data-testid=snooze-menu]').open = true;
		document.querySelector('#thread [data-testid=snooze-at]').value = '2020-01-06T09:00'; ""`)
	ana.do("snooze until then", chromedp.Click(chromedp.CSS(`#thread [data-testid=snooze-custom]`)))
	ana.waitFor("Ana is told to pick a time in the future",
		`(document.querySelector('[data-testid=action-error]') || {textContent: ''}).textContent.includes('Pick a time in the future.')`)
	if ana.eval(`String(!!document.querySelector('[data-testid=action-error] [data-testid=action-retry]'))`) != "false" {
		t.Error("the message offers Try again")
	}
}

// The header's Resolve offers Undo as the e key does: Undo opens the
// conversation again, back in the list of open ones, where it stays.
func TestBrowserResolveButtonOffersUndo(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	now := time.Now()
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", now))
	ls.post(inboundFrom("evt_2", "msg_2", "+14155550102", "Yuri Tan", "Hello", now.Add(-time.Minute)))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	zoe := b.conversationOf("Zoe Quinn")
	b.open(ls.url() + "/conversations/" + zoe)
	b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	b.do("resolve", chromedp.Click(chromedp.CSS(`#thread [data-testid=resolve]`)))
	b.waitFor("Zoe leaves the open list", `!document.getElementById('c-`+zoe+`')`)
	b.waitFor("the toast says so, with Undo", `(document.querySelector('[data-testid=toast]') || {textContent: ''}).textContent.includes('Resolved Zoe Quinn.') && !!document.querySelector('[data-testid=toast] [data-testid=undo]')`)
	b.do("undo", chromedp.Click(chromedp.CSS(`[data-testid=toast] [data-testid=undo]`)))
	b.waitFor("the header offers Resolve again", `!!document.querySelector('#thread [data-testid=resolve]')`)
	b.waitFor("Zoe is back in the list", `!!document.getElementById('c-`+zoe+`')`)
	id, _ := strconv.ParseInt(zoe, 10, 64)
	c, err := ls.db.Conversation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != inbox.Open {
		t.Errorf("after Undo the conversation is %s, want open", c.Status)
	}
	time.Sleep(time.Second)
	if got := b.eval(`String(!!document.getElementById('c-` + zoe + `'))`); got != "true" {
		t.Error("a second after Undo Zoe has left the list again")
	}
	b.open(ls.url() + "/inbox")
	if got := b.eval(`[...document.querySelectorAll('[data-testid=row-name]')].map(n => n.textContent).join()`); got != "Zoe Quinn,Yuri Tan" {
		t.Errorf("after Undo the open list is %q, want Zoe Quinn,Yuri Tan", got)
	}
}

// Undo of a resolve puts back what the resolve changed, as a bulk
// action's Undo does: a conversation snoozed until a time, and assigned
// to a teammate, comes back snoozed until that time with that teammate,
// not open; from the header's Resolve and from the e key alike.
func TestBrowserUndoOfAResolveBringsBackTheSnooze(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ana := ls.addAdmin("ana@example.com", "Ana Admin")
	ben := ls.addAdmin("ben@example.com", "Ben Agent")
	now := time.Now()
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", now))
	ls.post(inboundFrom("evt_2", "msg_2", "+14155550102", "Yuri Tan", "Hello", now.Add(-time.Minute)))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	zoe := b.conversationOf("Zoe Quinn")
	id, _ := strconv.ParseInt(zoe, 10, 64)
	ctx := context.Background()
	snoozed, until := inbox.Snoozed, now.Add(3*time.Hour).Truncate(time.Millisecond)
	if _, _, err := ls.db.UpdateConversations(ctx, []int64{id}, inbox.ConversationUpdate{Status: &snoozed, SnoozedUntil: until,
		Assign: true, AssigneeID: &ben, By: ana}, time.Now()); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		c, err := ls.db.Conversation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		s := string(c.Status)
		if c.Status == inbox.Snoozed {
			s += " until " + c.SnoozedUntil.UTC().Format(time.RFC3339Nano)
		}
		if c.AssigneeID != nil {
			s += " with " + strconv.FormatInt(*c.AssigneeID, 10)
		}
		return s
	}
	want := state()
	if !strings.HasPrefix(want, "snoozed until ") {
		t.Fatalf("before: %s", want)
	}
	waitState := func(what, want string) {
		t.Helper()
		var got string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if got = state(); got == want {
				return
			}
		}
		t.Errorf("%s: the conversation is %s, want %s", what, got, want)
	}
	resolvedWithBen := "resolved with " + strconv.FormatInt(ben, 10)

	for _, how := range []string{"the header's Resolve", "e"} {
		b.open(ls.url() + "/conversations/" + zoe)
		b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
		b.waitFor("the thread", `(document.querySelector('[data-testid=thread-name]') || {}).textContent === 'Zoe Quinn'`)
		if how == "e" {
			b.eval(`document.activeElement && document.activeElement.blur(), ""`)
			b.key("e")
		} else {
			b.do("resolve", chromedp.Click(chromedp.CSS(`#thread [data-testid=resolve]`)))
		}
		b.waitFor("the toast says so, with Undo", `(document.querySelector('[data-testid=toast]') || {textContent: ''}).textContent.includes('Resolved Zoe Quinn.') && !!document.querySelector('[data-testid=toast] [data-testid=undo]')`)
		waitState(how+" resolves", resolvedWithBen)
		b.do("undo", chromedp.Click(chromedp.CSS(`[data-testid=toast] [data-testid=undo]`)))
		waitState("Undo after "+how, want)
	}
}
