package web_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
)

// Ana, on a phone, ticks Zoe's and Yuri's conversations, both
// unassigned; before she chooses Cat in the bulk bar, Ben takes Zoe's,
// and her list shows it. Cat gets Yuri's only, and Ana is told that Zoe's
// was taken by Ben and left with Ben; her Undo takes Yuri's back and
// leaves Zoe's with Ben.
func TestBrowserBulkAssignLeavesWhatATeammateTook(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.addUser("ben@example.com", "Ben Okafor")
	ls.addUser("cat@example.com", "Cat")
	ben, cat := ls.userID("ben@example.com"), ls.userID("cat@example.com")
	now := time.Now()
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", now))
	ls.post(inboundFrom("evt_2", "msg_2", "+14155550102", "Yuri Park", "Can I change my address?", now.Add(time.Second)))

	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.setScreen(phone, false)
	zoe, err := strconv.ParseInt(b.conversationOf("Zoe Quinn"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	yuri, err := strconv.ParseInt(b.conversationOf("Yuri Park"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	b.do("tick both", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#c-%d [data-testid=row-select]`, zoe))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#c-%d [data-testid=row-select]`, yuri))))
	b.waitFor("two ticked", `document.querySelector('[data-testid=bulk-count]').textContent === '2 selected'`)

	// Ben takes Zoe's; Ana's list hears of it as from any teammate.
	if _, err := ls.db.Assign(t.Context(), zoe, &ben, time.Now()); err != nil {
		t.Fatal(err)
	}
	ls.web.Publish(inbox.Change{ConversationIDs: []int64{zoe}})
	b.waitFor("Zoe's row shows Ben, still ticked", fmt.Sprintf(`document.querySelector('#c-%d').dataset.assignee === '%d' && document.querySelector('#c-%d').classList.contains('checked')`, zoe, ben, zoe))

	b.eval(fmt.Sprintf(`(s => { s.value = '%d'; s.dispatchEvent(new Event('change', {bubbles: true})); return ""; })(document.querySelector('[data-testid=bulk-assign]'))`, cat))
	const toast = `(document.querySelector('[data-testid=toast]') || {textContent: ''})`
	b.waitFor("Ana is told one was assigned and one left with Ben",
		toast+`.textContent.includes('1 conversation assigned to Cat. 1 conversation was taken by Ben Okafor meanwhile and left with Ben Okafor.') && !!document.querySelector('[data-testid=toast] [data-testid=undo]')`)
	if got := b.eval(offScreen(`[data-testid=toast], [data-testid=toast] button`)); got != "" {
		t.Errorf("the message on a phone: %s", got)
	}
	assignee := func(id int64) any {
		c, err := ls.db.Conversation(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return idOrNil(c.AssigneeID)
	}
	if z, y := assignee(zoe), assignee(yuri); z != ben || y != cat {
		t.Errorf("after the bulk assignment Zoe's is %v and Yuri's %v, want Ben (%d) and Cat (%d)", z, y, ben, cat)
	}

	b.do("undo", chromedp.Click(chromedp.CSS(`[data-testid=toast] [data-testid=undo]`)))
	b.waitFor("undone", toast+`.textContent.includes('Undone.')`)
	if z, y := assignee(zoe), assignee(yuri); z != ben || y != "nobody" {
		t.Errorf("after the undo Zoe's is %v and Yuri's %v, want Ben (%d) and nobody", z, y, ben)
	}
}
