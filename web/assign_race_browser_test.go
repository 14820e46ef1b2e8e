package web_test

import (
	"testing"
	"time"

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
