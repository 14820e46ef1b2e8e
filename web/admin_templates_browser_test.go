package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// TestBrowserTemplateStatusFollowsZavu: an admin syncs the templates, sees
// one rejected with its reason, and when Zavu says by webhook that it was
// approved the open page shows it without a reload.
func TestBrowserTemplateStatusFollowsZavu(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	fake.SetTemplates([]zavu.Template{
		{ID: "tmpl_promo", Name: "spring_promo", Language: "en", Status: "rejected", Category: "MARKETING",
			RejectionReason: "Promotional content is not allowed in this category."},
		{ID: "tmpl_ship", Name: "order_shipped", Language: "en", Status: "approved", Category: "UTILITY"},
	})
	fake.SetSenders([]zavu.Sender{
		{ID: "snd_main", Name: "Support", PhoneNumber: "+15550000001", IsDefault: true,
			Webhook: &zavu.SenderWebhook{URL: ls.url() + "/webhooks/zavu", Events: allEvents(), Active: true}},
		{ID: "snd_old", Name: "Sales", PhoneNumber: "+15550000002",
			Webhook: &zavu.SenderWebhook{URL: "https://old-crm.example.com/zavu", Events: []string{"message.inbound"}, Active: true}},
	})
	ctx := context.Background()
	ls.addUser("ana@example.com", "Ana Admin")
	ana, err := ls.db.UserByEmail(ctx, "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.db.SetRole(ctx, ana.ID, inbox.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")

	b.do("sync the senders",
		chromedp.Navigate(ls.url()+"/admin/senders"),
		chromedp.Click(chromedp.CSS(`[data-testid=sync-senders]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-sender-id=snd_old] [data-testid=sender-warning]`)),
	)
	shot(t, b, "senders.png")

	b.do("sync the templates",
		chromedp.Navigate(ls.url()+"/admin/templates"),
		chromedp.Click(chromedp.CSS(`[data-testid=sync-templates]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-template-id=tmpl_promo] [data-testid=template-rejection]`)),
	)
	shot(t, b, "templates.png")
	b.eval(`String(window.stillTheSamePage = true)`)

	ls.post(event("evt_tmpl_ok", "template.status_changed", time.Now().Add(time.Second), map[string]any{
		"templateId": "tmpl_promo", "templateName": "spring_promo", "language": "en",
		"previousStatus": "rejected", "currentStatus": "approved", "rejectionReason": nil,
	}))
	// The table refreshes itself every 10 s.
	wait, cancel := context.WithTimeout(b.ctx, 25*time.Second)
	defer cancel()
	if _, err := chromedp.Run(wait, chromedp.Poll[chromedp.Void](
		`document.querySelector('[data-template-id=tmpl_promo] [data-testid=template-status]').textContent === 'Approved'`,
		chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("waiting for the approval to show: %v", err)
	}
	if b.eval(`String(window.stillTheSamePage === true && !document.querySelector('[data-template-id=tmpl_promo] [data-testid=template-rejection]'))`) != "true" {
		t.Error("the page reloaded, or the rejection reason stayed after the approval")
	}
}

// shot keeps a picture of the page in the test's temporary folder, or in
// SWITCHBOARD_SHOTS when set.
func shot(t *testing.T, b *tab, name string) {
	t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("SWITCHBOARD_SHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
