package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
)

// Ana snoozes the conversation for an hour, then, her choice still on its
// way (its answer held back, as on a loaded server), thinks better of it
// and picks "Until the customer writes" in the menu that is still open;
// the live update of her first choice replaces the header meanwhile. Her
// second choice still goes: the conversation ends snoozed until the
// customer writes, and the header says so.
func TestBrowserSnoozeChoiceGoesThroughALiveUpdate(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := heldThread(t, ls, exe, "ana@example.com")
	const snooze = `document.querySelector('#thread [data-testid=snooze-menu]')`
	b.do("Ana opens Snooze", chromedp.Click(chromedp.CSS(`#thread [data-testid=snooze-menu] summary`)))
	b.waitFor("it has found its place on the screen", `(b => { const r = b.getBoundingClientRect();
		return `+snooze+`.open && document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2) === b; })(document.querySelector('#thread [data-testid=snooze-1h]'))`)

	release := ls.holdAnswers("/snooze")
	b.eval(`window.__mute = true; ""`)
	b.do("she snoozes it for an hour", chromedp.Click(chromedp.CSS(`#thread [data-testid=snooze-1h]`)))
	b.waitFor("the live update of it has come", `window.__held.some(e => String(e.data).includes('data-testid="snoozed-pill"'))`)
	b.do("and then until the customer writes", chromedp.Click(chromedp.CSS(`#thread [data-testid=snooze-customer]`)))
	b.eval(`window.__deliver(); ""`)
	b.waitFor("the header says snoozed", `!!document.querySelector('#thread [data-testid=snoozed-pill]')`)
	release()
	b.waitFor("the menu is shut", `!`+snooze+`.open`)
	b.waitFor("the header settles", `!document.querySelector('#thread .htmx-request')`)
	c, err := ls.db.Conversation(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != inbox.Snoozed || !c.SnoozedUntil.IsZero() {
		t.Errorf("the conversation ends %s until %v, want snoozed until the customer writes, Ana's last choice", c.Status, c.SnoozedUntil)
	}
	b.waitFor("the header says until the customer writes", `document.querySelector('#thread [data-testid=snoozed-pill]').textContent.includes('until the customer writes')`)
}

// Ana ticks Refund in the Labels menu and, her tick still on its way,
// unticks it; the live update of her tick replaces the header meanwhile.
// Her untick still goes: the conversation ends without Refund, and the
// menu, still open, shows it unticked.
func TestBrowserLabelUntickGoesThroughALiveUpdate(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	if err := ls.db.CreateLabel(t.Context(), &inbox.Label{Name: "Refund", Colour: "blue", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := heldThread(t, ls, exe, "ana@example.com")
	const refund = `document.querySelector('#thread [data-testid=label-option][value=Refund]')`
	b.do("Ana opens Labels", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-menu] summary`)))
	b.waitFor("the menu is open", `document.querySelector('#thread [data-testid=label-menu]').open`)

	release := ls.holdAnswers("/labels")
	b.eval(`window.__mute = true; ""`)
	b.do("she ticks Refund", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-option][value=Refund]`)))
	b.waitFor("the live update of it has come", `window.__held.some(e => String(e.data).includes('>Refund<'))`)
	b.do("and unticks it", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-option][value=Refund]`)))
	b.eval(`window.__deliver(); ""`)
	b.waitFor("the header shows Refund", `document.querySelector('#thread [data-testid=thread-labels]').textContent.includes('Refund')`)
	if b.eval(`String(`+refund+`.checked)`) != "false" {
		t.Errorf("while her untick is on its way the menu shows Refund ticked")
	}
	release()
	b.waitFor("the header has no Refund", `!document.querySelector('#thread [data-testid=thread-labels]').textContent.includes('Refund')`)
	c, err := ls.db.Conversation(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Labels) != 0 {
		t.Errorf("the conversation ends with labels %v, want none: Ana took Refund off", c.Labels)
	}
	if got := b.eval(`(m => (m.open ? 'open' : 'shut') + ' ' + ` + refund + `.checked)(document.querySelector('#thread [data-testid=label-menu]'))`); got != "open false" {
		t.Errorf("the Labels menu is %q, want open with Refund unticked", got)
	}
}
