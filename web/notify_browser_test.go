package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestBrowserAssignmentRaisesTitleBadgeAndDesktopNotification: with the
// browser's permission granted, a conversation a teammate assigns to the
// agent counts in the tab title and on the icon, and shows a desktop
// notification; opening it clears the count.
func TestBrowserAssignmentRaisesTitleBadgeAndDesktopNotification(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Agent")
	ls.addUser("ben@example.com", "Ben Agent")
	ctx := context.Background()
	ben, err := ls.db.UserByEmail(ctx, "ben@example.com")
	if err != nil {
		t.Fatal(err)
	}
	// A conversation Ben has read: nothing in it counts for him.
	ls.post(inboundFrom("evt_n1", "msg_n1", "+14155550121", "Zoe Quinn", "Where is my order?", time.Now()))
	if err := ls.db.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := ls.db.MessageByZavuID(ctx, "msg_n1")
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.db.MarkRead(ctx, m.ConversationID, ben.ID, time.Now()); err != nil {
		t.Fatal(err)
	}

	bctx := browser(t, exe)
	tab := newTab(t, bctx)
	if _, err := chromedp.CallBrowser(tab.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "notifications"}, Setting: cdpbrowser.PermissionSettingGranted,
		Origin: ls.url(), BrowserContextID: chromedp.FromContext(tab.ctx).BrowserContextID,
	}); err != nil {
		t.Fatalf("grant notifications: %v", err)
	}
	tab.login(ls.url(), "ben@example.com")
	if got := tab.eval(`document.title + "|" + (document.querySelector('link[rel=icon]').getAttribute('data-badge') || "")`); strings.HasPrefix(got, "(") || !strings.HasSuffix(got, "|") {
		t.Fatalf("before anything happens the page shows %q (title|badge)", got)
	}
	// Record the desktop notifications the page creates.
	tab.eval(`(function () {
		var N = window.Notification;
		window.__shown = [];
		window.Notification = function (title, opts) { window.__shown.push(title + "|" + (opts && opts.body)); return new N(title, opts); };
		window.Notification.permission = N.permission;
		window.Notification.requestPermission = N.requestPermission.bind(N);
		return "";
	})()`)

	// Ana assigns it to Ben from her own browser.
	ana := (&testServer{t: t, srv: &httptest.Server{URL: ls.url()}}).newAgent()
	ana.login("ana@example.com")
	if p := ana.post(fmt.Sprintf("/conversations/%d/assign", m.ConversationID), url.Values{"assignee": {fmt.Sprint(ben.ID)}}); p.status != http.StatusNoContent {
		t.Fatalf("assign: %d", p.status)
	}
	tab.waitFor("the title counts the assignment", `document.title.startsWith("(1) ")`)
	tab.waitFor("the icon carries a badge", `document.querySelector('link[rel=icon]').getAttribute('data-badge') === "1" &&
		document.querySelector('link[rel=icon]').getAttribute('href').startsWith("data:image/png")`)
	tab.waitFor("a desktop notification was shown", `window.__shown.length === 1`)
	if got := tab.eval(`window.__shown[0]`); got != "Ana Agent assigned you the conversation with Zoe Quinn|Where is my order?" {
		t.Errorf("desktop notification %q", got)
	}

	// Opening the conversation is looking at it: the count and the badge go.
	tab.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=thread]`)))
	tab.waitFor("the count and badge are gone", `!document.title.startsWith("(") &&
		!document.querySelector('link[rel=icon]').hasAttribute('data-badge')`)
}
