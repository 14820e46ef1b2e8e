package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"switchboard/inbox"
)

// TestBrowserAdminCreatesAndRevokesAToken: an admin creates a read token
// on the page, sees it once with its copy button, a script reads with it,
// and the admin revokes it through the folded confirmation; the script's
// next request is refused.
func TestBrowserAdminCreatesAndRevokesAToken(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ctx := context.Background()
	ls.addUser("ana@example.com", "Ana Admin")
	ana, err := ls.db.UserByEmail(ctx, "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.db.SetRole(ctx, ana.ID, inbox.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	admin := newTab(t, browser(t, exe))
	admin.login(ls.url(), "ana@example.com")

	admin.do("create a read token",
		chromedp.Navigate(ls.url()+"/admin/tokens"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=token-name-input]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=token-name-input]`), "Uptime check"),
		chromedp.Click(chromedp.CSS(`[data-testid=token-create]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=shown-token]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=copy-token]`)),
	)
	secret := strings.TrimSpace(admin.eval(`document.querySelector('[data-testid=new-token]').textContent`))
	if !strings.HasPrefix(secret, "sbt_") {
		t.Fatalf("shown token %q", secret)
	}
	if scope := admin.eval(`document.querySelector('[data-testid=token-row][data-name="Uptime check"] [data-testid=token-scope]').textContent`); scope != "read" {
		t.Errorf("the token was created with scope %q, want read, the form's default", scope)
	}
	call := func() int {
		req, _ := http.NewRequest(http.MethodGet, ls.url()+"/api/v1/conversations", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := call(); s != http.StatusOK {
		t.Fatalf("the new token cannot read: %d", s)
	}

	row := `[data-testid=token-row][data-name="Uptime check"] `
	admin.waitFor("the confirmation is folded away", `!document.querySelector('`+row+`[data-testid=token-revoke]').checkVisibility()`)
	admin.do("open the confirmation from the keyboard and confirm",
		chromedp.Focus(chromedp.CSS(row+`[data-testid=token-revoke-open]`)),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-testid=token-revoke]`)),
		chromedp.Click(chromedp.CSS(row+`[data-testid=token-revoke]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=tokens-notice]`)),
	)
	admin.waitFor("the row says revoked", `document.querySelector('`+row+`[data-testid=token-status]').textContent.trim().startsWith('Revoked')`)
	if admin.eval(`document.body.textContent.includes('`+secret+`') ? 'shown' : ''`) != "" {
		t.Error("the token is on the page again")
	}
	if s := call(); s != http.StatusUnauthorized {
		t.Errorf("the revoked token: %d, want 401", s)
	}
}
