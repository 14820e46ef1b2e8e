package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// An agent types part of an order number a customer sent a year ago, sees
// the result with the part marked (and a channel filter take it away and
// give it back), and Enter opens the thread there: the earlier pages load
// until the message is on screen, marked.
func TestBrowserSearchOpensOldMessage(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	yearAgo := now.AddDate(-1, 0, 0)
	ls.post(inboundFrom("evt_old", "msg_old", "+4917612345678", "Greta", "Hi, my order W-778123 never came <b>", yearAgo))
	// More than a page of thread after it, so it is not on screen at first.
	for i := range 70 {
		ls.post(inboundFrom(fmt.Sprintf("evt_n%d", i), fmt.Sprintf("msg_n%d", i), "+4917612345678", "Greta",
			fmt.Sprintf("follow-up %d", i), now.Add(-time.Duration(70-i)*time.Minute)))
	}
	ls.post(inboundFrom("evt_other", "msg_other", "+14155550100", "Otto", "order W-100200 is fine", now))
	old, err := ls.db.MessageByZavuID(t.Context(), "msg_old")
	if err != nil {
		t.Fatal(err)
	}

	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.waitFor("the list", `document.querySelectorAll('[data-testid=conv-row]').length === 2`)
	b.do("/ focuses the search box", chromedp.KeyEvent("/"))
	b.waitFor("focus in the search box", `document.activeElement && document.activeElement.id === 'search-q'`)
	defer func() {
		if t.Failed() {
			t.Log(b.eval(`document.getElementById('search-q').value + ' / ' + document.getElementById('search-results').innerHTML`))
		}
	}()
	// A "/" sent through the DevTools protocol arrives as text too.
	b.eval(`document.getElementById('search-q').value = ''; ''`)
	b.do("type a fragment", chromedp.SendKeys(chromedp.CSS(`#search-q`), "8123"))
	b.waitFor("one result with the fragment marked",
		`(() => { const h = document.querySelectorAll('[data-testid=search-hit]');
			return h.length === 1 && h[0].querySelector('mark') && h[0].querySelector('mark').textContent === '8123'
				&& h[0].textContent.includes('Greta'); })()`)
	if got := b.eval(`document.querySelector('[data-testid=search-snippet]').innerHTML`); got != `Hi, my order W-77<mark>8123</mark> never came &lt;b&gt;` {
		t.Errorf("snippet HTML %q: want the text escaped and the match marked", got)
	}
	// More than a page of results: "More results", the listbox's last
	// option, brings the next as the agent scrolls to it.
	b.eval(`document.getElementById('search-q').value = ''; ''`)
	b.do("a word of many messages", chromedp.SendKeys(chromedp.CSS(`#search-q`), "follow"))
	b.waitFor("a page of results, and more", `document.querySelectorAll('[data-testid=search-hit]').length === 30 && !!document.querySelector('[data-testid=more-results]')`)
	b.accessible("search results with more to load", false)
	b.eval(`(r => { r.scrollTop = r.scrollHeight; })(document.getElementById("search-results")), ""`) // as an agent scrolls to it
	b.waitFor("the next page", `document.querySelectorAll('[data-testid=search-hit]').length >= 60`)
	b.eval(`document.getElementById('search-q').value = ''; ''`)
	b.do("the fragment again", chromedp.SendKeys(chromedp.CSS(`#search-q`), "8123"))
	b.waitFor("one result again", `document.querySelectorAll('[data-testid=search-hit]').length === 1`)
	// Leaving the box asks for nothing: the results stay as they are.
	b.eval(`window.__searches = 0; document.addEventListener('htmx:beforeRequest', e => { if (e.detail.requestConfig.path.startsWith('/search')) window.__searches++; }); ''`)
	b.eval(`document.getElementById('search-q').blur(); ''`)
	time.Sleep(300 * time.Millisecond) // longer than the box's pause before it asks
	if n := b.eval(`String(window.__searches)`); n != "0" {
		t.Errorf("leaving the search box asked for the results %s time(s) again", n)
	}
	b.eval(`document.getElementById('search-q').focus(); ''`)
	// A filter narrows the results as it changes: no SMS has the number.
	setChannel := func(v string) {
		b.eval(`(() => { const s = document.querySelector('[data-testid=search-channel]'); s.value = '` + v + `';
			s.dispatchEvent(new Event('change', { bubbles: true })); return ''; })()`)
	}
	setChannel("sms")
	b.waitFor("nothing found on SMS", `!!document.querySelector('[data-testid=search-empty]')`)
	setChannel("")
	b.waitFor("the result again on any channel", `document.querySelectorAll('[data-testid=search-hit]').length === 1`)
	target := fmt.Sprintf("m-%d", old.ID)
	b.do("Enter opens it", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(`#`+target)))
	b.waitFor("the thread opens at the old message, marked",
		`(() => { const m = document.getElementById('`+target+`');
			return !!m && m.classList.contains('search-target') && document.querySelector('[data-testid=thread-name]').textContent === 'Greta'; })()`)
	b.waitFor("the message is in view",
		`(() => { const r = document.getElementById('`+target+`').getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; })()`)
}

// Back from a result the agent opened brings the search back as it was
// left: the query and the filters in the box, the results below it, and
// the result opened chosen, so the arrows go on from there and Enter opens
// it again.
func TestBrowserBackFromAResultKeepsTheSearch(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	for i, name := range []string{"Greta", "Otto", "Ilse"} {
		ls.post(inboundFrom(fmt.Sprintf("evt_%d", i), fmt.Sprintf("msg_%d", i), fmt.Sprintf("+49176123456%02d", i), name,
			fmt.Sprintf("where is my parcel P-55%d", i), now.Add(-time.Duration(10-i)*time.Minute)))
	}
	ls.post(inboundFrom("evt_other", "msg_other", "+14155550100", "Fritz", "hello", now))

	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.eval(`document.getElementById('search-q').focus(); ''`)
	b.eval(`(() => { const s = document.querySelector('[data-testid=search-channel]'); s.value = 'whatsapp'; return ''; })()`)
	// The query comes in one go: results for a part of it, coming first,
	// would be replaced under the arrow keys.
	b.eval(`(q => { q.value = 'parcel'; q.dispatchEvent(new Event('input', { bubbles: true })); return ''; })(document.getElementById('search-q'))`)
	b.waitFor("three results", `document.querySelectorAll('[data-testid=search-hit]').length === 3`)
	b.do("choose the second", chromedp.KeyEvent(kb.ArrowDown))
	second := b.waitValue("the second result chosen", `(h => h && h.classList.contains('active') && h.getAttribute('href'))(document.querySelectorAll('[data-testid=search-hit]')[1])`)
	b.do("Enter opens it", chromedp.KeyEvent("\r"))
	b.waitAcrossLoads("the thread of the result", `location.pathname + location.search + location.hash === '`+second+`' && !!document.querySelector('[data-testid=thread-name]')`)

	b.do("Back", chromedp.NavigateBack())
	b.waitAcrossLoads("the search as it was left",
		`(() => { const h = document.querySelectorAll('[data-testid=search-hit]');
			return location.pathname === '/inbox' && document.getElementById('search-q').value === 'parcel'
				&& document.querySelector('[data-testid=search-channel]').value === 'whatsapp'
				&& h.length === 3 && h[1].classList.contains('active') && h[1].getAttribute('aria-selected') === 'true'; })()`)
	b.waitFor("the focus in the search box", `document.activeElement && document.activeElement.id === 'search-q'`)
	b.do("Enter opens the same result again", chromedp.KeyEvent("\r"))
	b.waitAcrossLoads("the same thread", `location.pathname + location.search + location.hash === '`+second+`'`)

	// Opening a conversation from the list, beside the results, and coming
	// Back finds the search too.
	b.do("Back again", chromedp.NavigateBack())
	b.waitAcrossLoads("the results again", `document.querySelectorAll('[data-testid=search-hit]').length === 3`)
	// (Its row lies under the results: a script's click reaches it.)
	b.eval(`document.querySelector('[data-testid=conv-row]').click(); ''`)
	b.waitFor("its thread, opened in the page", `location.pathname.startsWith('/conversations/') && !!document.querySelector('[data-testid=thread-name]')`)
	// Back to an entry htmx made loads the page anew: the old page, which
	// still shows the search, is marked so as not to be taken for it.
	b.eval(`window.__left = true; ''`)
	b.do("Back to the list", chromedp.NavigateBack())
	b.waitAcrossLoads("the list, loaded anew, with the search",
		`!window.__left && location.pathname === '/inbox' && document.getElementById('search-q').value === 'parcel' && document.querySelectorAll('[data-testid=search-hit]').length === 3`)

	// A search emptied (Escape) before leaving stays empty on the way back.
	b.eval(`document.getElementById('search-q').focus(); ''`)
	b.do("Escape empties the search", chromedp.KeyEvent(kb.Escape))
	b.do("open a conversation from the list", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)))
	b.waitAcrossLoads("its thread", `location.pathname.startsWith('/conversations/') && !!document.querySelector('[data-testid=thread-name]')`)
	b.eval(`window.__left = true; ''`)
	b.do("Back to the list", chromedp.NavigateBack())
	b.waitAcrossLoads("the list, loaded anew", `!window.__left && location.pathname === '/inbox' && document.readyState === 'complete' && !!document.querySelector('[data-testid=conv-row]')`)
	// Nothing to bring back: the page's entry holds no search.
	if got := b.eval(`JSON.stringify(history.state && history.state.search || null) + '|' + document.getElementById('search-q').value`); got != "null|" {
		t.Errorf("a search emptied before leaving was kept for Back: %q", got)
	}
}

// Enter pressed straight after the last key, before the results for what
// was typed have come, opens the best result for what was typed, not the
// first of the results still on screen for the part typed before.
func TestBrowserEnterRightAfterTypingOpensWhatWasTyped(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	ls.post(inboundFrom("evt_otto", "msg_otto", "+14155550100", "Otto", "my order W-100 is late", now.Add(-time.Hour)))
	ls.post(inboundFrom("evt_greta", "msg_greta", "+4917612345678", "Greta", "my order W-1002345 is late", now.Add(-2*time.Hour)))
	if err := ls.db.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	greta, err := ls.db.MessageByZavuID(t.Context(), "msg_greta")
	if err != nil {
		t.Fatal(err)
	}

	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.eval(`document.getElementById('search-q').focus(); ''`)
	b.do("type the start of the order number", chromedp.SendKeys(chromedp.CSS(`#search-q`), "W-100"))
	b.waitFor("Otto's order first", `(h => h.length === 2 && h[0].textContent.includes('Otto'))(document.querySelectorAll('[data-testid=search-hit]'))`)
	b.do("type the rest and Enter at once", chromedp.SendKeys(chromedp.CSS(`#search-q`), "2345\r"))
	b.waitAcrossLoads("a thread opened", `location.pathname.startsWith('/conversations/') && !!document.querySelector('[data-testid=thread-name]')`)
	if got := b.eval(`document.querySelector('[data-testid=thread-name]').textContent`); got != "Greta" {
		t.Errorf("Enter opened %q's conversation, want Greta's: her order is what was typed", got)
	}
	if want := fmt.Sprintf("#m-%d", greta.ID); b.eval(`location.hash`) != want {
		t.Errorf("opened at %q, want %q", b.eval(`location.hash`), want)
	}
}

// The search box tells a screen reader which result the arrows have
// chosen, as the @mention picker does: the focus stays in the box, and
// the box names the chosen result and says whether results are open. The
// first result is chosen as the results settle; an arrow pressed as they
// come, before that, moves from the first too.
func TestBrowserSearchSaysWhichResultIsChosen(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	for i, name := range []string{"Greta", "Otto"} {
		ls.post(inboundFrom(fmt.Sprintf("evt_%d", i), fmt.Sprintf("msg_%d", i), fmt.Sprintf("+49176123456%02d", i), name,
			"where is my parcel", now.Add(-time.Duration(10-i)*time.Minute)))
	}
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	if got := b.eval(`(q => q.getAttribute('role') + ' ' + q.getAttribute('aria-expanded'))(document.getElementById('search-q'))`); got != "combobox false" {
		t.Errorf("the search box before a search: role and aria-expanded %q, want \"combobox false\"", got)
	}
	// Results that take a second to settle: the arrow comes before.
	b.eval(`htmx.config.defaultSettleDelay = 1000, ''`)
	b.eval(`(q => { q.focus(); q.value = 'parcel'; q.dispatchEvent(new Event('input', { bubbles: true })); return ''; })(document.getElementById('search-q'))`)
	b.waitFor("two results", `document.querySelectorAll('[data-testid=search-hit]').length === 2`)
	b.do("choose the second", chromedp.KeyEvent(kb.ArrowDown))
	b.waitFor("the box names the second result, which is there and chosen",
		`(q => { const id = q.getAttribute('aria-activedescendant'), h = document.querySelectorAll('[data-testid=search-hit]');
			return q.getAttribute('aria-expanded') === 'true' && !!id && document.getElementById(id) === h[1] && h[1].getAttribute('aria-selected') === 'true'
				&& document.activeElement === q; })(document.getElementById('search-q'))`)
	b.accessibleIn("the search box with a result chosen", `document.querySelector('[data-testid=search]')`, false)
	b.do("Escape closes the results", chromedp.KeyEvent(kb.Escape))
	if got := b.eval(`(q => q.getAttribute('aria-expanded') + ' ' + q.hasAttribute('aria-activedescendant'))(document.getElementById('search-q'))`); got != "false false" {
		t.Errorf("after Escape: aria-expanded and aria-activedescendant %q, want \"false false\"", got)
	}
}
