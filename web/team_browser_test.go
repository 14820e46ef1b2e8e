package web_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
)

// rowNames is a JavaScript expression: the list's names, in order.
const rowNames = `[...document.querySelectorAll('[data-testid=conv-row]')].map(r => r.querySelector('[data-testid=row-name]').textContent).join()`

// An agent selects three conversations (x, then shift-click), resolves
// them at once and undoes it; then snoozes one for an hour, which comes
// back live, at the top, with a "Snooze ended" line, when the hour has
// passed.
func TestBrowserBulkResolveUndoAndSnooze(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	for i, name := range []string{"Dora", "Cleo", "Bram", "Abel"} { // Abel is newest, first in the list
		ls.post(inboundFrom(fmt.Sprintf("evt_b%d", i), fmt.Sprintf("msg_b%d", i), fmt.Sprintf("+1415555030%d", i), name, "Hi from "+name, now.Add(time.Duration(i)*time.Second)))
	}
	// The snooze timer, on a clock the test moves.
	var ahead atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	timer := inbox.NewSnoozeTimer(ls.db, ls.web.Publish, clock, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); timer.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.waitFor("four rows", rowNames+` === 'Abel,Bram,Cleo,Dora'`)

	b.eval(`document.querySelector('[data-testid=conv-row]').focus(); ""`)
	b.do("x selects the focused row", chromedp.KeyEvent("x"))
	b.waitFor("one selected", `document.querySelector('[data-testid=bulk-count]').textContent === '1 selected'`)
	b.eval(`document.querySelectorAll('[data-testid=row-select]')[2].dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, shiftKey: true})); ""`)
	b.waitFor("three selected", `document.querySelector('[data-testid=bulk-count]').textContent === '3 selected' && !document.querySelector('[data-testid=bulk-bar]').hidden`)
	if open := b.eval(`document.querySelector('[data-testid=thread]') ? 'open' : ''`); open != "" {
		t.Fatal("selecting rows opened a conversation")
	}

	b.do("resolve them", chromedp.Click(chromedp.CSS(`[data-testid=bulk-resolve]`)))
	b.waitFor("only Dora is left open, live", rowNames+` === 'Dora'`)
	b.waitFor("the undo toast", `(document.querySelector('[data-testid=toast]') || {textContent: ''}).textContent.includes('3 conversations resolved') && !!document.querySelector('[data-testid=toast] [data-testid=undo]')`)
	b.do("undo", chromedp.Click(chromedp.CSS(`[data-testid=undo]`)))
	b.waitFor("the three are back in order, live", rowNames+` === 'Abel,Bram,Cleo,Dora'`)
	b.waitFor("one toast says so", `document.querySelectorAll('.toast').length === 1 && document.querySelector('[data-testid=toast]').textContent.includes('Undone.')`)

	// Snooze Bram for an hour from its header.
	b.do("open Bram", chromedp.Click(chromedp.CSS(`#conv-list .row:nth-of-type(2) [data-testid=row-name]`)))
	b.waitFor("Bram's thread", `(document.querySelector('[data-testid=thread-name]') || {}).textContent === 'Bram'`)
	b.do("snooze for an hour",
		chromedp.Click(chromedp.CSS(`[data-testid=snooze-menu] summary`)),
		chromedp.Click(chromedp.CSS(`[data-testid=snooze-1h]`)),
	)
	b.waitFor("Bram leaves the open list", rowNames+` === 'Abel,Cleo,Dora'`)
	b.waitFor("the header says until when", `!!document.querySelector('[data-testid=snoozed-pill] time')`)

	ahead.Store(int64(61 * time.Minute)) // the hour passes
	timer.Wake()
	b.waitFor("Bram comes back at the top, live", rowNames+` === 'Bram,Abel,Cleo,Dora'`)
	b.waitFor("the header shows it open again", `!document.querySelector('[data-testid=snoozed-pill]')`)
	b.waitFor("a snooze-ended line in the thread, live",
		`[...document.querySelectorAll('[data-testid=activity]')].some(e => e.textContent.includes('Snooze ended'))`)
}
