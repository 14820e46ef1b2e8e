package web_test

import (
	"context"
	"fmt"
	"testing"

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
	if err := ls.db.UpdateUser(ctx, ana.ID, inbox.RoleAdmin, true); err != nil {
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
