package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"switchboard/inbox"
)

// TestBrowserDeactivatedAgentLeavesAtOnce: an admin deactivates an agent
// from the keyboard, with the confirmation; the agent's open inbox goes to
// the sign-in page by itself, which tells him why he cannot sign in.
func TestBrowserDeactivatedAgentLeavesAtOnce(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ctx := context.Background()
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ana, err := ls.db.UserByEmail(ctx, "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.db.SetRole(ctx, ana.ID, inbox.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	benUser, err := ls.db.UserByEmail(ctx, "ben@example.com")
	if err != nil {
		t.Fatal(err)
	}
	bctx := browser(t, exe)
	ben := newTab(t, bctx)
	ben.login(ls.url(), "ben@example.com")
	admin := newTab(t, bctx)
	admin.login(ls.url(), "ana@example.com")

	admin.do("open Ben's page from the list with the keyboard",
		chromedp.Navigate(ls.url()+"/admin/agents"),
		chromedp.Focus(chromedp.CSS(`[data-testid=agent-row][data-email="ben@example.com"] [data-testid=agent-manage]`)),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-deactivate-open]`)),
	)
	admin.waitFor("the confirmation is folded away", `!document.querySelector('[data-testid=agent-deactivate]').checkVisibility()`)
	admin.do("open the confirmation, Tab to it and confirm",
		chromedp.Focus(chromedp.CSS(`[data-testid=agent-deactivate-open]`)),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-deactivate]`)),
		chromedp.KeyEvent("\t"),
	)
	admin.waitFor("the confirm button has the focus", `document.activeElement.dataset.testid === 'agent-deactivate'`)
	admin.do("confirm", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-notice]`)))
	admin.waitFor("Ben's page says he is deactivated",
		fmt.Sprintf(`location.pathname === '/admin/agents/%d' && document.querySelector('[data-testid=agent-status]').textContent.includes('Deactivated')`, benUser.ID))

	ben.waitFor("Ben's open inbox goes to the sign-in page", `location.pathname === '/login'`)
	ben.do("Ben tries to sign in",
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "ben@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-error]`)),
	)
	ben.waitFor("he is told why", `document.querySelector('[data-testid=login-error]').textContent.includes('deactivated')`)
}

// TestBrowserDeactivatingAnAgentHandsBackTheirConversations: Ana, on a
// phone, deactivates Ben, who holds two open conversations; the
// confirmation says they go back to Unassigned, and the notice after says
// they went, both within the screen. Cat, with the Unassigned list open,
// sees both arrive and the count follow without reloading, and each
// thread says why.
func TestBrowserDeactivatingAnAgentHandsBackTheirConversations(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ctx := context.Background()
	ls.addAdmin("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ls.addUser("cat@example.com", "Cat Agent")
	benUser, err := ls.db.UserByEmail(ctx, "ben@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i, name := range []string{"Zoe Quinn", "Yuri Park"} {
		ls.post(inboundFrom(fmt.Sprintf("evt_d%d", i), fmt.Sprintf("msg_d%d", i), fmt.Sprintf("+1415555070%d", i), name, "Where is my order?", now.Add(time.Duration(i)*time.Second)))
		m, err := ls.db.MessageByZavuID(ctx, fmt.Sprintf("msg_d%d", i))
		for deadline := time.Now().Add(browserPatience); err != nil && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond) // applied just after the webhook's answer
			m, err = ls.db.MessageByZavuID(ctx, fmt.Sprintf("msg_d%d", i))
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ls.db.Assign(ctx, m.ConversationID, &benUser.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	bctx := browser(t, exe)
	cat := newTab(t, bctx)
	cat.login(ls.url(), "cat@example.com")
	cat.open(ls.url() + "/inbox?view=unassigned")
	cat.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	cat.waitFor("nothing unassigned", `document.querySelectorAll('[data-testid=conv-row]').length === 0 && document.querySelector('[data-testid=nav-count-unassigned]').textContent.trim() === '0'`)

	admin := newTab(t, bctx)
	admin.login(ls.url(), "ana@example.com")
	admin.setScreen(phone, false)
	admin.open(fmt.Sprintf("%s/admin/agents/%d", ls.url(), benUser.ID))
	admin.do("open the confirmation", chromedp.Click(chromedp.CSS(`[data-testid=agent-deactivate-open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-deactivate]`)))
	admin.waitFor("it says what becomes of his conversations",
		`document.querySelector('[data-testid=agent-deactivate-what]').textContent.includes('Their 2 conversations still open or snoozed go back to Unassigned')`)
	if got := admin.eval(offScreen(`[data-testid=agent-deactivate-what], [data-testid=agent-deactivate]`) + ` + (document.scrollingElement.scrollWidth > innerWidth ? ' the page scrolls sideways' : '')`); got != "" {
		t.Errorf("the confirmation on a phone: %s", got)
	}
	admin.do("confirm", chromedp.Click(chromedp.CSS(`[data-testid=agent-deactivate]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-notice]`)))
	admin.waitFor("the notice says how many went back",
		`document.querySelector('[data-testid=agent-notice]').textContent.includes('2 conversations of theirs, open or snoozed, went back to Unassigned')`)
	if got := admin.eval(offScreen(`[data-testid=agent-notice]`) + ` + (document.scrollingElement.scrollWidth > innerWidth ? ' the page scrolls sideways' : '')`); got != "" {
		t.Errorf("the notice on a phone: %s", got)
	}
	admin.accessible("Ben's page after his deactivation, on a phone", false)

	cat.waitFor("both arrive in Cat's Unassigned list, live",
		`[...document.querySelectorAll('[data-testid=conv-row] [data-testid=row-name]')].map(e => e.textContent).sort().join() === 'Yuri Park,Zoe Quinn'`)
	cat.waitFor("the Unassigned count follows", `document.querySelector('[data-testid=nav-count-unassigned]').textContent.trim() === '2'`)
	cat.do("open Zoe's", chromedp.Click(chromedp.CSS(`#conv-list .row:last-of-type [data-testid=row-name]`)))
	cat.waitFor("the thread says why it is unassigned",
		`[...document.querySelectorAll('[data-testid=activity]')].some(e => e.textContent.includes('Unassigned: Ben Agent was deactivated'))`)
}

// TestBrowserTheListsPickersFollowTheTeam: Cat has the inbox open while
// Ana adds Dee and then deactivates Ben. The list's bulk "Assign to" and
// the search's Assignee filter offer Dee and no longer Ben without a
// reload, as a thread's assignee picker does.
func TestBrowserTheListsPickersFollowTheTeam(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addAdmin("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ls.addUser("cat@example.com", "Cat Agent")
	ben := ls.userID("ben@example.com")
	bctx := browser(t, exe)
	cat := newTab(t, bctx)
	cat.login(ls.url(), "cat@example.com")
	const pickers = `['bulk-assign', 'search-assignee'].map(id =>
		[...document.querySelectorAll('[data-testid=' + id + '] option')].map(o => o.textContent).join(',')).join(' | ')`
	if got, want := cat.eval(pickers), "Assign…,Me,Nobody,Ana Admin,Ben Agent,Cat Agent | Anyone,Me,Nobody,Ana Admin,Ben Agent,Cat Agent"; got != want {
		t.Fatalf("the pickers offer %q, want %q", got, want)
	}

	admin := newTab(t, bctx)
	admin.login(ls.url(), "ana@example.com")
	admin.do("add Dee", chromedp.Navigate(ls.url()+"/admin/agents"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=agent-name]`), "Dee Agent"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=agent-email]`), "dee@example.com"),
		chromedp.Click(chromedp.CSS(`[data-testid=agent-add]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=new-password]`)))
	cat.waitFor("Dee is offered, live",
		pickers+` === "Assign…,Me,Nobody,Ana Admin,Ben Agent,Cat Agent,Dee Agent | Anyone,Me,Nobody,Ana Admin,Ben Agent,Cat Agent,Dee Agent"`)

	admin.do("deactivate Ben", chromedp.Navigate(fmt.Sprintf("%s/admin/agents/%d", ls.url(), ben)),
		chromedp.Click(chromedp.CSS(`[data-testid=agent-deactivate-open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-deactivate]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=agent-deactivate]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=agent-notice]`)))
	cat.waitFor("Ben is no longer offered, live",
		pickers+` === "Assign…,Me,Nobody,Ana Admin,Cat Agent,Dee Agent | Anyone,Me,Nobody,Ana Admin,Cat Agent,Dee Agent"`)
}

// TestBrowserTheListsLabelPickersFollowTheLabels: Cat has a conversation
// open before the team has any label. Ana adds "refund" and then renames
// it "refunds": the list's label filter, the bulk bar's "Add a label", the
// search's Label filter and the open thread's Labels menu offer it
// without a reload.
func TestBrowserTheListsLabelPickersFollowTheLabels(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addAdmin("ana@example.com", "Ana Admin")
	ls.addUser("cat@example.com", "Cat Agent")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	bctx := browser(t, exe)
	cat := newTab(t, bctx)
	cat.openFirst(ls.url(), "cat@example.com")
	const pickers = `['filter-label', 'bulk-label', 'search-label'].map(id => (s =>
		!s ? 'none' : s.hidden || s.disabled || (s.closest('label') || {}).hidden ? 'hidden' :
			[...s.options].map(o => o.textContent).join(','))(document.querySelector('[data-testid=' + id + ']'))).join(' | ') +
		' | ' + [...document.querySelectorAll('#thread [data-testid=label-option]')].map(o => o.value).join(',')`
	if got := cat.eval(pickers); strings.Contains(got, "refund") {
		t.Fatalf("with no label yet the pickers offer %q", got)
	}

	admin := newTab(t, bctx)
	admin.login(ls.url(), "ana@example.com")
	admin.do("add the label refund", chromedp.Navigate(ls.url()+"/admin/labels"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=label-name]`), "refund"),
		chromedp.Click(chromedp.CSS(`[data-testid=label-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=label-edit]`)))
	cat.waitFor("refund is offered, live", pickers+` === "All labels,refund | Label…,refund | Any,refund | refund"`)

	admin.do("rename it refunds",
		chromedp.Click(chromedp.CSS(`[data-testid=label-edit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=label-edit-name]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid=label-edit-name]`), "refunds"),
		chromedp.Click(chromedp.CSS(`[data-testid=label-edit-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=label-form]`)))
	cat.waitFor("the new name is offered, live", pickers+` === "All labels,refunds | Label…,refunds | Any,refunds | refunds"`)
}
