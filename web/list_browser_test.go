package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
)

// TestBrowserListLoadsMoreRowsAsItShowsTheFirst: the rows "Load more"
// brings are rendered the same for every agent, as the first page's are;
// the page shows them as it shows the first page: the sender's name in
// place of its id, the unread ones marked; and it follows them live, as
// it does the first page's: one a teammate resolves leaves the list.
func TestBrowserListLoadsMoreRowsAsItShowsTheFirst(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ctx := context.Background()
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	now := time.Now()
	// Two senders: each row names the one it came through.
	if err := ls.db.SyncSenders(ctx, []inbox.Sender{{ID: "snd_abc123", Name: "Main line", Phone: "+13125559876"},
		{ID: "snd_other", Name: "Support SMS", Phone: "+13125550000"}}, now); err != nil {
		t.Fatal(err)
	}
	const customers = 56 // more than a page of 50
	for i := range customers {
		ls.post(inboundFrom(fmt.Sprintf("evt_l%d", i), fmt.Sprintf("msg_l%d", i), fmt.Sprintf("+14155560%03d", i),
			fmt.Sprintf("Customer %02d", i), "Where is my order?", now.Add(-time.Duration(i+1)*time.Minute)))
	}

	bctx := browser(t, exe)
	b := newTab(t, bctx)
	b.setScreen(laptop, false)
	b.login(ls.url(), "ana@example.com")
	b.waitFor("the first page is listed", `document.querySelectorAll('[data-testid=conv-row]').length === 50`)
	b.accessible("a list with more to load", false)
	b.eval(`document.querySelector('[data-testid=load-more]').scrollIntoView(); ""`)
	b.waitFor("the rest is loaded", fmt.Sprintf(`document.querySelectorAll('[data-testid=conv-row]').length === %d`, customers))

	if got := b.eval(`[...document.querySelectorAll('[data-testid=conv-row]')].map(r => r.querySelector('.row-sender')?.textContent)
		.filter(n => n !== 'Main line').join()`); got != "" {
		t.Errorf("rows name their sender %q, want Main line", got)
	}
	if got := b.eval(`[...document.querySelectorAll('[data-testid=conv-row]')].filter(r => !r.classList.contains('unread'))
		.map(r => r.querySelector('[data-testid=row-name]').textContent).join()`); got != "" {
		t.Errorf("unread rows not marked so: %s", got)
	}

	// Ben resolves the oldest conversation, on the page Ana loaded last.
	last := b.conversationOf(fmt.Sprintf("Customer %02d", customers-1))
	ben := newTab(t, bctx)
	ben.login(ls.url(), "ben@example.com")
	ben.open(ls.url() + "/conversations/" + last)
	ben.do("Ben resolves it", chromedp.Click(chromedp.CSS(`[data-testid=resolve]`)))
	b.waitFor("it leaves Ana's list", `!document.getElementById('c-`+last+`')`)
}

// On a phone the list hides while a thread is open, and new conversations
// arrive above meanwhile. Back from the thread, the list is where the
// agent left it: the row they opened at the same place on the screen.
func TestBrowserBackToTheListKeepsItsPlace(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	for i := range 30 {
		ls.post(inboundFrom(fmt.Sprintf("evt_%d", i), fmt.Sprintf("msg_%d", i), fmt.Sprintf("+141555501%02d", i),
			fmt.Sprintf("Customer %02d", i), "Where is my order?", now.Add(-time.Duration(i)*time.Minute)))
	}
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.eval(`document.querySelector('#conv-list').scrollTop = 800; ""`)
	b.waitFor("the list is scrolled", `document.querySelector('#conv-list').scrollTop === 800`)
	id := b.eval(`(() => { const l = document.querySelector('#conv-list').getBoundingClientRect();
		return [...document.querySelectorAll('#conv-list .row')].find(r => r.getBoundingClientRect().top > l.top + 100).id; })()`)
	top := b.eval(`String(Math.round(document.getElementById('` + id + `').getBoundingClientRect().top))`)
	b.do("open it", chromedp.Click(chromedp.CSS(`#`+id+` [data-testid=row-name]`)))
	b.waitFor("its thread", `!!document.querySelector('[data-testid=thread-name]')`)
	for i := range 3 {
		ls.post(inboundFrom(fmt.Sprintf("evt_new%d", i), fmt.Sprintf("msg_new%d", i), fmt.Sprintf("+1415555990%d", i),
			fmt.Sprintf("Newcomer %d", i), "Hi", time.Now()))
	}
	b.waitFor("they reach the hidden list", `document.querySelectorAll('#conv-list .row').length === 33`)
	b.do("back", chromedp.Click(chromedp.CSS(`.thread-pane .back`)))
	b.waitFor("the list again", `location.pathname === '/inbox' && document.activeElement.id === '`+id+`'`)
	if got := b.eval(`String(Math.round(document.getElementById('` + id + `').getBoundingClientRect().top))`); got != top {
		t.Errorf("the row opened was at %s px, and is at %s px back in the list", top, got)
	}
}

// "Load more", reached with Tab, gives the focus to the first row it
// brings: the button left with the focus, and Tab started again from
// "Skip to content".
func TestBrowserLoadMoreHandsTheFocusToItsRows(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	const customers = 53 // more than a page of 50
	for i := range customers {
		ls.post(inboundFrom(fmt.Sprintf("evt_l%d", i), fmt.Sprintf("msg_l%d", i), fmt.Sprintf("+14155560%03d", i),
			fmt.Sprintf("Customer %02d", i), "Where is my order?", now.Add(-time.Duration(i+1)*time.Minute)))
	}
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.waitFor("the first page is listed", `document.querySelectorAll('[data-testid=conv-row]').length === 50`)
	b.eval(`document.querySelectorAll('[data-testid=conv-row]')[49].focus(); ""`)
	b.key("\t")
	b.waitFor("the rest is loaded", fmt.Sprintf(`document.querySelectorAll('[data-testid=conv-row]').length === %d`, customers))
	if got := b.waitValue("the focus", `(a => a.matches('[data-testid=conv-row]') ? a.querySelector('[data-testid=row-name]').textContent : a.dataset.testid || a.tagName)(document.activeElement)`); got != "Customer 50" {
		t.Errorf("after Load more the focus is on %s, want the first row it brought, Customer 50", got)
	}
}
