package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
	"switchboard/web"
)

// TestBrowserWebhookLogReplay replays a failed event from the webhook log
// in a real browser: the row is swapped in place, and Load more appends the
// next page to the same table.
func TestBrowserWebhookLogReplay(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	hash, err := web.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.db.CreateUser(context.Background(), &inbox.User{Email: "ana@example.com", Name: "Ana", Role: inbox.RoleAdmin, PasswordHash: hash, Active: true}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(-time.Hour)
	ls.post(event("evt_unknown", "contact.updated", now, map[string]any{"phoneNumber": "+14155551234"}))
	for i := range 52 {
		ls.post(inboundText(fmt.Sprintf("evt_%02d", i), fmt.Sprintf("msg_%02d", i), "Hello", now.Add(time.Duration(i)*time.Second)))
	}

	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the webhook log", chromedp.Navigate(ls.url()+"/admin/webhooks"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=events]`)))
	b.waitFor("the first page", `document.querySelectorAll('[data-testid=event]').length === 50`)
	b.do("load more", chromedp.Click(chromedp.CSS(`[data-testid=load-more]`)))
	b.waitFor("the next page in the same table", `document.querySelectorAll('[data-testid=events] tbody [data-testid=event]').length === 53 && !document.querySelector('[data-testid=load-more]')`)

	row := `document.querySelector('[data-event-id=evt_unknown]')`
	b.do("view the raw event", chromedp.Click(chromedp.CSS(`[data-event-id=evt_unknown] [data-testid=view]`)))
	b.waitFor("the raw JSON shows", row+`.querySelector('[data-testid=event-raw]').offsetHeight > 0`)
	b.do("replay", chromedp.Click(chromedp.CSS(`[data-event-id=evt_unknown] [data-testid=replay]`)))
	b.waitFor("the row says it failed again", row+` && `+row+`.querySelector('[data-testid=event-note]') && `+
		row+`.querySelector('[data-testid=event-attempts]').textContent.trim() === '2'`)
	if n := b.eval(`String(document.querySelectorAll('[data-event-id=evt_unknown]').length)`); n != "1" {
		t.Errorf("%s rows for the replayed event, want 1", n)
	}
}
