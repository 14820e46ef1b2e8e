package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
)

// A conversation a delivery report's placeholder alone was in goes once
// the placeholder joins its reply. A page with its thread open says so in
// place of the thread, live, with the way back to the list; a page that
// missed the update (asleep) and acts in the thread (Resolve, a reply) is
// told the same, not only "There is nothing here with that id."
func TestBrowserAGoneConversationSaysSoInItsThread(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ls.addUser("cat@example.com", "Cat Agent")
	ctx := t.Context()
	now := time.Now()
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", now.Add(-time.Minute)))
	ls.post(event("evt_2", "message.delivered", now, map[string]any{
		"messageId": "msg_zavu", "to": "+14155550101", "channel": "sms", "status": "delivered"}))
	// The webhooks are stored once acknowledged.
	stored := func(zavuID string) int64 {
		for range 100 {
			if m, err := ls.db.MessageByZavuID(ctx, zavuID); err == nil {
				return m.ConversationID
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("message %s was not stored", zavuID)
		return 0
	}
	conv, other := stored("msg_1"), stored("msg_zavu")
	if conv == other {
		t.Fatalf("the report went into the reply's conversation; the test proves less than it should")
	}
	bctx := browser(t, exe)
	ana := newTab(t, bctx)
	ben := newTab(t, bctx)
	cat := newTab(t, bctx)
	sleepable(ben)
	sleepable(cat)
	for _, b := range []*tab{ana, ben, cat} {
		b.login(ls.url(), map[*tab]string{ana: "ana@example.com", ben: "ben@example.com", cat: "cat@example.com"}[b])
		b.do("open the conversation the report made", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#c-%d`, other))),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#thread .thread[data-conversation="%d"]`, other))))
	}
	ben.eval(`window.__sleep(); ""`)
	cat.eval(`window.__sleep(); ""`)

	m, _, err := ls.db.QueueReply(ctx, inbox.Reply{ConversationID: conv, Source: inbox.SourceAPI, Type: inbox.TypeText,
		Text: "On its way", IdempotencyKey: "k1", At: now})
	if err != nil {
		t.Fatal(err)
	}
	es, err := ls.db.ClaimOutbox(ctx, now, time.Minute, 8)
	if err != nil || len(es) != 1 || es[0].MessageID != m.ID {
		t.Fatalf("claimed %+v (%v), want the reply", es, err)
	}
	ch, err := ls.db.OutboxSent(ctx, es[0].ID, inbox.SendResult{ZavuID: "msg_zavu", Status: inbox.StatusQueued}, now)
	if err != nil {
		t.Fatal(err)
	}
	ls.web.Publish(ch)

	ana.waitFor("the thread says the conversation is gone", `(() => { const g = document.querySelector('#thread [data-testid=thread-gone]');
		return !!g && g.checkVisibility() && !document.querySelector('#thread .thread'); })()`)
	if s := ana.eval(`document.querySelector('#thread [data-testid=thread-gone]').textContent`); !strings.Contains(s, "no longer exists") {
		t.Errorf("the thread says %q", s)
	}
	if p := ana.eval(`location.pathname`); p != "/inbox" {
		t.Errorf("the address is %q, which a reload shows as an error", p)
	}
	ana.do("go back to the list", chromedp.Click(chromedp.CSS(`[data-testid=thread-gone-back]`)))
	ana.waitFor("the list, with the reply's conversation", fmt.Sprintf(`!document.querySelector('#thread [data-testid=thread-gone]') && !!document.querySelector('#c-%d') && !document.querySelector('#c-%d')`, conv, other))

	ben.do("resolve the conversation that is gone", chromedp.Click(chromedp.CSS(`#thread [data-testid=resolve]`)))
	ben.waitFor("the thread and the message say it is gone", `(() => { const g = document.querySelector('#thread [data-testid=thread-gone]'), e = document.querySelector('[data-testid=action-error]');
		return !!g && g.checkVisibility() && !!e && e.textContent.includes("no longer exists"); })()`)

	cat.do("reply in the conversation that is gone", chromedp.SendKeys(chromedp.CSS(`#thread [data-testid=reply-text]`), "Hello\r"))
	cat.waitFor("the thread and the message say it is gone", `(() => { const g = document.querySelector('#thread [data-testid=thread-gone]'), e = document.querySelector('[data-testid=action-error]');
		return !!g && g.checkVisibility() && !!e && e.textContent.includes("no longer exists"); })()`)
}
