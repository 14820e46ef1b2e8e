package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
	"switchboard/web"
)

// TestBrowserOutOfOfficeReplyInTheThread: an admin sets business hours and
// an out-of-office text in the admin page; a customer writes outside those
// hours, and the thread shows the automatic reply with its rule's name,
// delivered once.
func TestBrowserOutOfOfficeReplyInTheThread(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	hash, err := web.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.db.CreateUser(context.Background(), &inbox.User{Email: "ana@example.com", Name: "Ana Admin", Role: inbox.RoleAdmin, PasswordHash: hash, Active: true}); err != nil {
		t.Fatal(err)
	}
	// Open on weekdays, with today a holiday: closed now, whatever the
	// clock says (the days around it too, for any time zone).
	now := time.Now().UTC()
	var holidays []string
	for i := -1; i <= 1; i++ {
		holidays = append(holidays, now.AddDate(0, 0, i).Format(time.DateOnly))
	}
	bctx := browser(t, exe)
	ana := newTab(t, bctx)
	ana.login(ls.url(), "ana@example.com")
	field := func(id string) chromedp.CSS { return chromedp.CSS(`[data-testid=` + id + `]`) }
	ana.do("set business hours and the out-of-office reply",
		chromedp.Navigate(ls.url()+"/admin/auto-replies"),
		chromedp.WaitVisible(field("timezone")),
		chromedp.SendKeys(field("hours-day1"), "09:00-17:00"),
		chromedp.SendKeys(field("hours-day2"), "09:00-17:00"),
		chromedp.SendKeys(field("hours-day3"), "09:00-17:00"),
		chromedp.SendKeys(field("holidays"), strings.Join(holidays, ", ")),
		chromedp.Click(field("ooo-enabled")),
		chromedp.SendKeys(field("ooo-text"), "We are closed today, {{contact.name}}. We answer tomorrow."),
		chromedp.Click(field("save-auto-replies")),
		chromedp.WaitVisible(field("auto-replies-notice")),
	)
	if got := ana.eval(`document.querySelector('[data-testid=hours-status]').textContent`); !strings.Contains(got, "Closed now") {
		t.Fatalf("after saving, the page says %q", got)
	}
	ana.do("try it", chromedp.SendKeys(field("try-text"), "hello"), chromedp.Click(field("try-submit")))
	ana.waitFor("the try-it box says the out-of-office reply goes",
		`(document.querySelector('[data-testid=try-outcome]') || {textContent: ''}).textContent.includes('Auto-reply: Out of office')`)

	ls.post(inboundFrom("evt_ar1", "msg_ar1", "+14155550101", "Zoe Quinn", "Hello, are you there?", time.Now()))
	ls.post(inboundFrom("evt_ar2", "msg_ar2", "+14155550101", "Zoe Quinn", "Hello??", time.Now()))
	// Clicked from the page: a live update may replace the row between
	// finding it and a click through DevTools.
	ana.do("open the inbox", chromedp.Navigate(ls.url()+"/inbox"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=conv-row]`)))
	ana.eval(`document.querySelector('[data-testid=conv-row]').click(); ""`)
	ana.do("open the conversation", chromedp.WaitVisible(chromedp.CSS(`[data-testid=message]`)))
	ana.waitFor("the automatic reply is in the thread, marked with its rule, delivered",
		`[...document.querySelectorAll('[data-testid=message][data-direction=outbound]')].some(m =>
			m.querySelector('[data-testid=author]').textContent === 'Auto-reply: Out of office' &&
			m.textContent.includes('We are closed today, Zoe Quinn.') && ['delivered', 'read'].includes(m.dataset.status))`)
	if got := ana.eval(`String(document.querySelectorAll('[data-testid=message][data-direction=outbound]').length)`); got != "1" {
		t.Errorf("%s replies in the thread, want 1 for two messages in one closed period", got)
	}
	if sent := fake.Sent(); len(sent) != 1 || !strings.HasPrefix(sent[0].Text, "We are closed today, Zoe Quinn.") {
		t.Errorf("Zavu got %+v, want the out-of-office reply once", sent)
	}
}
