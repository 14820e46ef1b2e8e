package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserShowingAThreadMarksItRead: opening a conversation is a GET
// that changes nothing, so the page itself must mark the thread read once
// the agent sees it, whether it was opened from the list or by its link.
func TestBrowserShowingAThreadMarksItRead(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ana, err := ls.db.UserByEmail(context.Background(), "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	unreadFor := func(msgID string) func() int64 {
		m, err := ls.db.MessageByZavuID(context.Background(), msgID)
		if err != nil {
			t.Fatal(err)
		}
		return func() int64 {
			c, err := ls.db.ConversationFor(context.Background(), m.ConversationID, ana.ID)
			if err != nil {
				t.Fatal(err)
			}
			return c.UnreadCount
		}
	}
	waitRead := func(what string, unread func() int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for unread() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: still %d unread for Ana", what, unread())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	bctx := browser(t, exe)
	tab := newTab(t, bctx)
	tab.login(ls.url(), "ana@example.com")
	now := time.Now()
	ls.post(inboundFrom("evt_r1", "msg_r1", "+14155550111", "Zoe Quinn", "Where is my order?", now))
	tab.waitFor("the tab title counts the unread message", `document.title.startsWith('(1) ')`)
	zoe := unreadFor("msg_r1")

	// From the list.
	tab.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=thread]`)))
	waitRead("opened from the list", zoe)
	tab.waitFor("the list and the title show it read",
		`!document.title.startsWith('(') && !document.querySelector('[data-testid=conv-row].unread')`)

	// By its link, as a whole page.
	ls.post(inboundFrom("evt_r2", "msg_r2", "+14155550112", "Yuri Park", "Hello?", now.Add(time.Second)))
	tab.waitFor("the new conversation counts as unread", `document.title.startsWith('(1) ')`)
	yuri := unreadFor("msg_r2")
	m, _ := ls.db.MessageByZavuID(context.Background(), "msg_r2")
	tab.do("open the conversation's link", chromedp.Navigate(fmt.Sprintf("%s/conversations/%d", ls.url(), m.ConversationID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=thread]`)))
	waitRead("opened by its link", yuri)
}
