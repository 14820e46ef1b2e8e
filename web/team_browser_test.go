package web_test

import (
	"context"
	"fmt"
	"strings"
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

// On a phone and on a tablet held upright, an agent ticks rows one after
// another with a finger: the bar of bulk actions appears when the first
// is ticked, and no row moves under the finger for it, at the top of the
// list or scrolled down; its controls are on the screen and usable; a
// customer writing meanwhile keeps the ticks where they were.
func TestBrowserSelectingRowsLeavesThemInPlace(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	if err := ls.db.CreateLabel(context.Background(), &inbox.Label{Name: "Refund", Colour: "blue", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 30 {
		ls.post(inboundFrom(fmt.Sprintf("evt_%d", i), fmt.Sprintf("msg_%d", i), fmt.Sprintf("+141555501%02d", i),
			fmt.Sprintf("Customer %02d", i), "Where is my order?", now.Add(-time.Duration(i)*time.Minute)))
	}
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	tops := `JSON.stringify([...document.querySelectorAll('#conv-list .row')].map(r => Math.round(r.getBoundingClientRect().top)))`
	for _, s := range []screenSize{phone, smallPortrait} {
		b.setScreen(s, false)
		for _, scroll := range []int{0, 600} {
			b.open(ls.url() + "/inbox")
			b.waitFor("the rows", `document.querySelectorAll('#conv-list .row').length === 30`)
			b.eval(fmt.Sprintf(`document.querySelector('#conv-list').scrollTop = %d; ""`, scroll))
			// The rows in the middle of the list's part of the screen.
			ids := strings.Split(b.eval(`(() => { const l = document.querySelector('#conv-list').getBoundingClientRect();
				return [...document.querySelectorAll('#conv-list .row')].filter(r => { const b = r.getBoundingClientRect(); return b.top >= l.top && b.bottom <= l.bottom; })
					.slice(1, 3).map(r => r.id).join(); })()`), ",")
			before := b.eval(tops)
			b.do("tick a row", chromedp.Click(chromedp.CSS(`#`+ids[0]+` [data-testid=row-select]`)))
			b.waitFor("the bar shows", `!document.querySelector('[data-testid=bulk-bar]').hidden`)
			if after := b.eval(tops); after != before {
				t.Errorf("at %s, scrolled %d px, the rows moved when the bar appeared: from %.80s to %.80s", s.name, scroll, before, after)
			}
			b.do("tick the next", chromedp.Click(chromedp.CSS(`#`+ids[1]+` [data-testid=row-select]`)))
			b.waitFor("two ticked", `document.querySelector('[data-testid=bulk-count]').textContent === '2 selected'`)
			if got := b.eval(`[...document.querySelectorAll('.row.checked')].map(r => r.id).join()`); got != strings.Join(ids, ",") {
				t.Errorf("at %s, scrolled %d px, the ticked rows are %s, want %s", s.name, scroll, got, strings.Join(ids, ","))
			}
			if got := b.eval(`[...document.querySelectorAll('#bulk-bar button, #bulk-bar select')].filter(e => { const r = e.getBoundingClientRect();
				return r.left < 0 || r.right > innerWidth || r.top < 0 || r.bottom > innerHeight || r.height < 24 ||
					document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2) !== e; }).map(e => e.dataset.testid).join()`); got != "" {
				t.Errorf("at %s the bar's %s are hidden or too small to tap", s.name, got)
			}
			b.fits("the list with the bar at " + s.name)
			ls.post(inboundFrom(fmt.Sprintf("evt_new_%s_%d", s.name, scroll), fmt.Sprintf("msg_new_%s_%d", s.name, scroll),
				"+14155550129", "Customer 29", "Any news?", time.Now()))
			b.waitFor("Customer 29 moves to the top", `document.querySelector('#conv-list .row [data-testid=row-name]').textContent === 'Customer 29'`)
			if got := b.eval(`[...document.querySelectorAll('.row.checked')].map(r => r.id).join() + ' ' + document.querySelector('[data-testid=bulk-count]').textContent`); got != strings.Join(ids, ",")+" 2 selected" {
				t.Errorf("at %s after a live update the ticks are %s", s.name, got)
			}
			b.do("clear", chromedp.Click(chromedp.CSS(`[data-testid=bulk-clear]`)))
			b.waitFor("the bar goes", `document.querySelector('[data-testid=bulk-bar]').hidden`)
		}
	}
}

// On a phone a row's tick box (14 px) takes a thumb's tap around it, 40
// px each way within its row: a tap a little off the box ticks the row
// rather than opening the conversation. A tap on the row above still
// opens that one.
func TestBrowserRowTickBoxTakesAThumbsTap(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	for i := range 3 {
		ls.post(inboundFrom(fmt.Sprintf("evt_%d", i), fmt.Sprintf("msg_%d", i), fmt.Sprintf("+141555501%02d", i),
			fmt.Sprintf("Customer %02d", i), "Where is my order?", now.Add(-time.Duration(i)*time.Minute)))
	}
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.waitFor("the rows", `document.querySelectorAll('#conv-list .row').length === 3`)
	box := `document.querySelectorAll('#conv-list .row')[1].querySelector('[data-testid=row-select]').getBoundingClientRect()`
	var x, y float64
	if _, err := fmt.Sscan(b.eval(`(r => (r.left + r.width / 2) + ' ' + (r.top + r.height / 2))(`+box+`)`), &x, &y); err != nil {
		t.Fatal(err)
	}
	for _, off := range [][2]float64{{-17, -6}, {17, 20}, {17, -6}, {-17, 20}} {
		b.eval(`document.querySelectorAll('#conv-list .row.checked').forEach(r => r.querySelector('[data-select]').click()), ''`)
		b.do(fmt.Sprintf("tap %+.0f,%+.0f px from the box", off[0], off[1]), chromedp.MouseClickXY(x+off[0], y+off[1]))
		b.waitFor("the tap is taken", `document.querySelectorAll('#conv-list .row.checked').length > 0 || location.pathname !== '/inbox'`)
		if got := b.eval(`location.pathname + ' ' + [...document.querySelectorAll('#conv-list .row.checked')].map(r => r.querySelector('[data-testid=row-name]').textContent).join()`); got != "/inbox Customer 01" {
			t.Fatalf("a tap %+.0f,%+.0f px from Customer 01's box: %s, want it ticked", off[0], off[1], got)
		}
	}
	// A tap on the foot of the row above opens that row's conversation.
	b.eval(`document.querySelectorAll('#conv-list .row.checked').forEach(r => r.querySelector('[data-select]').click()), ''`)
	top := b.eval(`String(document.querySelectorAll('#conv-list .row')[1].getBoundingClientRect().top)`)
	var rowTop float64
	if _, err := fmt.Sscan(top, &rowTop); err != nil {
		t.Fatal(err)
	}
	b.do("tap the foot of the row above", chromedp.MouseClickXY(x, rowTop-2))
	b.waitAcrossLoads("Customer 00's conversation opens", `location.pathname.startsWith('/conversations/') &&
		(document.querySelector('[data-testid=thread-name]') || {}).textContent === 'Customer 00'`)
}

// The bar of bulk actions hides once its action is done (or the
// selection cleared), and the keyboard goes on from the list: Resolve,
// pressed with Enter, left the focus on the page itself, and Tab started
// again from "Skip to content".
func TestBrowserBulkBarHandsTheFocusToTheList(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	for i, name := range []string{"Cleo", "Bram", "Abel"} { // Abel is newest, first in the list
		ls.post(inboundFrom(fmt.Sprintf("evt_b%d", i), fmt.Sprintf("msg_b%d", i), fmt.Sprintf("+1415555030%d", i), name, "Hi from "+name, now.Add(time.Duration(i)*time.Second)))
	}
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.waitFor("three rows", rowNames+` === 'Abel,Bram,Cleo'`)
	focused := `(a => a.matches('[data-testid=conv-row]') ? 'row ' + a.querySelector('[data-testid=row-name]').textContent : a.dataset.testid || a.tagName)(document.activeElement)`

	b.eval(`document.querySelector('[data-testid=conv-row]').focus(); ""`)
	b.key("x")
	b.waitFor("Abel is selected", `document.querySelector('[data-testid=bulk-count]').textContent === '1 selected'`)
	b.eval(`document.querySelector('[data-testid=bulk-clear]').focus(); ""`)
	b.key("\r")
	b.waitFor("the bar hides", `document.querySelector('[data-testid=bulk-bar]').hidden`)
	if got := b.waitValue("the focus", focused); got != "row Abel" {
		t.Errorf("after Clear the focus is on %s, want the row Abel", got)
	}

	b.key("x")
	b.waitFor("Abel is selected again", `document.querySelector('[data-testid=bulk-count]').textContent === '1 selected'`)
	b.eval(`document.querySelector('[data-testid=bulk-resolve]').focus(); ""`)
	b.key("\r")
	b.waitFor("Abel is resolved, live", rowNames+` === 'Bram,Cleo'`)
	b.waitFor("the bar hides", `document.querySelector('[data-testid=bulk-bar]').hidden`)
	if got := b.waitValue("the focus", focused); got != "row Bram" {
		t.Errorf("after resolving Abel the focus is on %s, want the row Bram", got)
	}
}
