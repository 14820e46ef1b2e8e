package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/views"
)

// The agent screen walked through as a team uses it, in one browser and
// one tab against one server: every page at a laptop's and a phone's
// size, light and dark, must fit the screen and pass an accessibility
// check; then the list, the thread and the keyboard are used as an agent
// does. The steps run in order and share what they set up.

// screenSize is a screen the pages must fit.
type screenSize struct {
	name string
	w, h int64
}

var (
	laptop      = screenSize{"1440x900", 1440, 900}
	smallLaptop = screenSize{"1280x800", 1280, 800}
	tablet      = screenSize{"1024x768", 1024, 768}
	// portrait is a tablet held upright: the views are a rail of icons.
	portrait = screenSize{"820x1180", 820, 1180}
	// smallPortrait is the smallest such tablet: its thread is the
	// narrowest beside the list.
	smallPortrait = screenSize{"768x1024", 768, 1024}
	phone         = screenSize{"390x844", 390, 844}
)

// setScreen sizes the tab's viewport and its colour scheme.
func (b *tab) setScreen(s screenSize, dark bool) {
	b.t.Helper()
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	b.do("screen "+s.name+" "+scheme, chromedp.EmulateViewport(s.w, s.h, chromedp.EmulateScale(1)))
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		b.t.Fatalf("emulate %s: %v", scheme, err)
	}
}

// open loads a page and waits until it has loaded.
func (b *tab) open(url string) {
	b.t.Helper()
	b.do("open "+url, chromedp.Navigate(url))
	b.waitFor(url+" has loaded", `document.readyState === 'complete'`)
}

// fits reports, as an error, a page the document scrolls on: the app shell
// never scrolls, only its list, thread and panels do.
func (b *tab) fits(what string) {
	b.t.Helper()
	got := b.eval(`(() => { const d = document.scrollingElement;
		return d.scrollHeight <= innerHeight && d.scrollWidth <= innerWidth ? "" :
			"document " + d.scrollWidth + "x" + d.scrollHeight + " on a " + innerWidth + "x" + innerHeight + " screen; widest: " +
			[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
				.slice(-3).map(e => e.tagName + '.' + e.className).join(' ');
	})()`)
	if got != "" {
		b.t.Errorf("%s does not fit: %s", what, got)
	}
}

var axeSource = sync.OnceValues(func() (string, error) {
	body, err := os.ReadFile(filepath.Join("..", "static", "axe", "axe-core-4.14.1.min.js"))
	return string(body), err
})

// accessible runs axe-core on the page and reports its serious and
// critical violations. axe is injected through the DevTools protocol; the
// pages themselves never load it.
// With contrastOnly, only colour contrast is checked: what a colour scheme
// changes.
func (b *tab) accessible(what string, contrastOnly bool) {
	b.t.Helper()
	b.accessibleIn(what, "document", contrastOnly)
}

// accessibleIn is accessible for the part of the page the JavaScript
// expression within gives (an axe context): an open menu, say, whose
// targets are checked without the page's targets it covers.
func (b *tab) accessibleIn(what, within string, contrastOnly bool) {
	b.t.Helper()
	src, err := axeSource()
	if err != nil {
		b.t.Fatal(err)
	}
	if b.eval(`typeof window.axe`) != "object" {
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void](src+"\n;undefined")); err != nil {
			b.t.Fatalf("load axe: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(b.ctx, browserPatience)
	defer cancel()
	only := `{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}`
	if contrastOnly {
		only = `{type: 'rule', values: ['color-contrast']}`
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(`+within+`, {resultTypes: ['violations'], runOnly: `+only+`}).then(r => JSON.stringify(
		r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
			.map(v => v.id + ': ' + v.help + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", what, err)
	}
	var found []string
	if err := json.Unmarshal([]byte(res), &found); err != nil {
		b.t.Fatal(err)
	}
	for _, v := range found {
		b.t.Errorf("%s: %s", what, v)
	}
}

// key presses one key on the page as a keyboard does: a printable key's
// keydown carries its text, so a page that handles the keydown keeps the
// character out of whatever it focuses.
func (b *tab) key(k string) {
	b.t.Helper()
	if len(k) != 1 || k < " " {
		b.do("press "+k, chromedp.KeyEvent(k))
		return
	}
	b.do("press "+k, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: k, Text: k, UnmodifiedText: k}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: k})
		return err
	}))
}

func rowOf(name string) string {
	return `[...document.querySelectorAll('[data-testid=conv-row]')].find(r => r.querySelector('[data-testid=row-name]').textContent === '` + name + `')`
}

// atBottom is true when the open thread shows its last message.
const atBottom = `(() => { const s = document.querySelector('#thread .messages'); return !!s && s.scrollHeight - s.scrollTop - s.clientHeight < 4; })()`

func TestBrowserScreen(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ctx := context.Background()
	ls.addUser("ana@example.com", "Ana Admin")
	ana, err := ls.db.UserByEmail(ctx, "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.db.SetRole(ctx, ana.ID, inbox.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	ls.addUser("ben@example.com", "Ben Agent")

	// A working morning: a dozen customers, one with a long question, one
	// whose WhatsApp window closes within the hour, Zoe with a long thread
	// and Yara who last wrote yesterday.
	now := time.Now()
	long := "I ordered the blue jacket last week and it still has not arrived, could you check the tracking number for me please?"
	for i := range 12 {
		text := fmt.Sprintf("Question number %d about my order", i)
		if i == 3 {
			text = long
		}
		ls.post(inboundFrom(fmt.Sprintf("evt_c%d", i), fmt.Sprintf("msg_c%d", i), fmt.Sprintf("+1415555030%02d", i),
			fmt.Sprintf("Customer %02d", i), text, now.Add(-time.Duration(i+1)*2*time.Minute)))
	}
	for i := range 18 {
		ls.post(inboundFrom(fmt.Sprintf("evt_z%d", i), fmt.Sprintf("msg_z%d", i), "+14155550101", "Zoe Quinn",
			fmt.Sprintf("Zoe's message %d", i), now.Add(-time.Duration(60-i)*time.Minute)))
	}
	ls.post(inboundFrom("evt_w", "msg_w", "+14155550120", "Wendy Window", "Are you there?", now.Add(-23*time.Hour)))
	ls.post(inboundFrom("evt_y", "msg_y", "+14155550140", "Yara Old", "See you tomorrow", now.Add(-30*time.Hour)))

	bctx := browser(t, exe)
	b := newTab(t, bctx)
	b.setScreen(laptop, false)
	b.login(ls.url(), "ana@example.com")
	b.waitFor("every conversation is listed", `document.querySelectorAll('[data-testid=conv-row]').length === 15`)
	zoe := b.conversationOf("Zoe Quinn")

	if err := ls.db.AddAudit(ctx, inbox.AuditEntry{At: now, UserID: &ana.ID, Action: "auto_replies.rule_update",
		Detail: "Out of hours rule changed"}); err != nil {
		t.Fatal(err)
	}
	// step runs one part of the walk as a subtest, on the shared tab.
	step := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			b.t = t
			defer func() { b.t = t }()
			f(t)
		})
		b.t = t
	}

	step("every page fits the screen and passes axe", func(t *testing.T) {
		pages := []string{"/inbox", "/conversations/" + zoe, "/conversations/new", "/admin", "/admin/auto-replies",
			"/admin/saved-replies", "/admin/agents", "/admin/tokens", "/admin/senders", "/admin/templates",
			"/admin/webhooks", "/admin/audit", "/admin/settings", "/admin/satisfaction", "/reports"}
		for _, s := range []screenSize{phone, laptop} {
			for _, dark := range []bool{false, true} {
				b.setScreen(s, dark)
				scheme := map[bool]string{false: "light", true: "dark"}[dark]
				for _, p := range pages {
					// Dark mode changes colours, not layout: on the phone it is
					// checked on the agent's own screens.
					agentScreen := p == "/inbox" || p == "/conversations/"+zoe
					if s == phone && dark && !agentScreen {
						continue
					}
					b.open(ls.url() + p)
					what := p + " at " + s.name + " " + scheme
					b.fits(what)
					if s == laptop || agentScreen {
						b.accessible(what, dark)
					}
				}
				// Search: the results open over the list.
				b.open(ls.url() + "/inbox")
				b.do("search", chromedp.SendKeys(chromedp.CSS(`[data-testid=search-input]`), "order"))
				b.waitFor("results show", `document.querySelectorAll('#search-results a').length > 0`)
				b.fits("search results at " + s.name + " " + scheme)
				b.accessible("search results at "+s.name+" "+scheme, dark)
			}
		}
		// On the phone every row is whole: its time, unread count and the
		// navigation's buttons are on the screen.
		b.setScreen(phone, false)
		b.open(ls.url() + "/inbox")
		if out := b.eval(`[...document.querySelectorAll('.row-time, .count:not([hidden]), [data-testid=logout], [data-testid=new-conversation-open]')]
			.filter(e => e.getBoundingClientRect().right > innerWidth).map(e => e.className || e.dataset.testid).join()`); out != "" {
			t.Errorf("off a 390 px screen: %s", out)
		}
		// Audit codes stay whole on a phone.
		b.open(ls.url() + "/admin/audit")
		if n := b.eval(`String([...document.querySelectorAll('[data-testid=audit-log] code')].filter(c => c.getClientRects().length > 1).length)`); n != "0" {
			t.Errorf("%s audit codes break across lines at 390 px", n)
		}
		b.setScreen(laptop, false)
		// The agent's own name is whole in the navigation; buttons centre
		// their labels; phone numbers are styled as the other fields; the
		// list shows a dozen conversations on a laptop.
		b.open(ls.url() + "/conversations/new")
		if got := b.eval(`(() => { const u = document.querySelector('.nav-user'), tel = document.querySelector('[data-testid=new-phone]'),
			sel = document.querySelector('[data-testid=new-channel]'), btn = document.querySelector('[data-testid=new-conversation-open]');
			const out = [];
			if (u.scrollWidth > u.clientWidth) out.push('the name is cut to ' + u.clientWidth + ' px');
			if (getComputedStyle(tel).borderRadius !== getComputedStyle(sel).borderRadius ||
				getComputedStyle(tel).paddingLeft !== getComputedStyle(sel).paddingLeft) out.push('the phone field is unstyled');
			if (getComputedStyle(btn).justifyContent !== 'center') out.push('button labels are not centred');
			const list = document.getElementById('conv-list').getBoundingClientRect();
			const shown = [...document.querySelectorAll('[data-testid=conv-row]')].filter(r => r.getBoundingClientRect().bottom <= list.bottom).length;
			if (shown < 12) out.push('the list shows ' + shown + ' rows, want 12 or more');
			return out.join('; '); })()`); got != "" {
			t.Error(got)
		}
	})

	step("icons come from the sprite; avatars show initials in each person's colour", func(t *testing.T) {
		b.setScreen(laptop, false)
		b.open(ls.url() + "/conversations/" + zoe)
		b.waitFor("the nav's icons are drawn", `[...document.querySelectorAll('.nav a use')].every(u => u.getBBox().width > 0)`)
		b.waitFor("the ticks' and buttons' icons are drawn", `(u => !!u && u.getBBox().width > 0)(document.querySelector('[data-testid=resolve] use'))`)
		if got := b.eval(`[document.querySelector('.nav-foot [data-testid=avatar]'), ` + rowOf("Zoe Quinn") + `.querySelector('.row-avatar [data-testid=avatar]'),
			document.querySelector('[data-testid=thread-head] [data-testid=avatar]')].map(a => a.textContent.trim() + ' ' + [...a.classList].find(c => c.startsWith('tone-'))).join()`); got != fmt.Sprintf("AA tone-%d,ZQ tone-%d,ZQ tone-%[2]d", views.AgentTone(ana.ID), views.ContactTone("+14155550101")) {
			t.Errorf("avatars (Ana in the nav, Zoe's row, Zoe's thread): %s", got)
		}
		if got := b.eval(`(a => getComputedStyle(a).backgroundColor + ' ' + getComputedStyle(a).color)(document.querySelector('.nav-foot [data-testid=avatar]'))`); strings.Count(got, "rgb(") != 2 || strings.Contains(got, "rgba(0, 0, 0, 0)") {
			t.Errorf("Ana's avatar is not coloured: %s", got)
		}
	})

	b.open(ls.url() + "/inbox")
	b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	anaID := fmt.Sprint(ana.ID)

	step("the open conversation keeps its highlight and place through live updates", func(t *testing.T) {
		b.do("open Zoe", chromedp.Click(chromedp.CSS(`#c-`+zoe)))
		b.waitFor("Zoe's thread", `(document.querySelector('[data-testid=thread-name]') || {}).textContent === 'Zoe Quinn'`)
		ls.post(inboundFrom("evt_c5b", "msg_c5b", "+141555503005", "Customer 05", "One more thing", time.Now()))
		b.waitFor("Customer 05 moves to the top", `document.querySelector('[data-testid=row-name]').textContent === 'Customer 05'`)
		if got := b.eval(`(() => { const r = document.getElementById('c-` + zoe + `'); return r.classList.contains('selected') + ' ' + r.getAttribute('aria-selected'); })()`); got != "true true" {
			t.Errorf("Zoe's row after a live update: selected, aria-selected = %s", got)
		}
		b.eval(`document.querySelector('#thread .messages').focus(); ""`)
		want := b.eval(`document.getElementById('c-` + zoe + `').nextElementSibling.querySelector('[data-testid=row-name]').textContent`)
		b.key("j")
		b.waitFor("j goes on from Zoe", `document.activeElement.matches('.row') && document.activeElement.textContent.includes('`+want+`')`)
	})

	step("the list is one Tab stop", func(t *testing.T) {
		if n := b.eval(`String([...document.querySelectorAll('[data-testid=conv-row]')].filter(r => r.tabIndex >= 0).length)`); n != "1" {
			t.Errorf("%s rows are Tab stops, want 1", n)
		}
		b.key("\t")
		b.waitFor("Tab leaves the list", `!document.activeElement.matches('.row')`)
		b.do("back to Zoe", chromedp.Click(chromedp.CSS(`#c-`+zoe)))
		b.waitFor("Zoe's thread", `(document.querySelector('[data-testid=thread-name]') || {}).textContent === 'Zoe Quinn'`)
	})

	step("a refused reaction says so, with Try again", func(t *testing.T) {
		if got := b.eval(`getComputedStyle(document.querySelector('#thread [data-testid=react-open]')).opacity`); got != "0" {
			t.Errorf("the react button shows under every bubble (opacity %s)", got)
		}
		// htmx wires up what a swap brought in once it settles: a
		// click before that (no person is that quick) does nothing.
		b.waitFor("the thread has settled", `!document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping, .htmx-request')`)
		b.eval(`window.__reacts = 0; document.addEventListener('htmx:beforeRequest', e => { if (e.detail.requestConfig.path.endsWith('/react')) window.__reacts++; }); ""`)
		// The bubbles carry no reactions of their own: the picker gets
		// the thread's one set when it opens.
		if n := b.eval(`String(document.querySelectorAll('#thread .msg [data-testid=react]').length)`); n != "0" {
			t.Errorf("%s reaction buttons in the bubbles before any picker opened", n)
		}
		b.eval(`[...document.querySelectorAll('#thread .msg-inbound')].at(-1).querySelector('details').open = true; ""`)
		b.waitFor("the picker offers the reactions", `[...document.querySelectorAll('#thread .msg-inbound')].at(-1).querySelectorAll('[data-testid=react]').length === 6`)
		b.eval(`[...document.querySelectorAll('#thread .msg-inbound')].at(-1).querySelector('[data-testid=react]').click(); ""`)
		b.waitFor("the failure shows", `(document.querySelector('[data-testid=action-error]') || {}).textContent?.includes('Zavu did not take the reaction')`)
		b.do("try again", chromedp.Click(chromedp.CSS(`[data-testid=action-retry]`)))
		b.waitFor("the reaction is sent again, and fails again", `window.__reacts === 2 && !!document.querySelector('[data-testid=action-error]')`)
		b.eval(`document.querySelector('[data-testid=action-error] .toast-close').click(); ""`)
	})

	step("a reaction from the thread's picker reaches Zavu", func(t *testing.T) {
		// Zavu knows Zoe's latest message now.
		fake.AddInbound(zavu.Message{ID: "msg_z17", From: "+14155550101", Text: "Zoe's message 17"})
		last := `[...document.querySelectorAll('#thread .msg-inbound')].at(-1)`
		b.eval(last + `.querySelector('details').open = false; ""`)
		b.do("open the picker", chromedp.Click(chromedp.CSS(`#thread .msg-inbound:last-of-type [data-testid=react-open]`)))
		b.waitFor("the picker offers the reactions", last+`.querySelectorAll('[data-testid=react]').length === 6`)
		b.do("react with a heart", chromedp.Click(chromedp.CSS(`#thread .msg-inbound:last-of-type [aria-label="React with ❤️"]`)))
		b.waitFor("the heart is under the message", last+`.querySelector('[data-testid=reactions]')?.textContent.includes('❤️') === true`)
		if got := fake.Reaction("msg_z17"); got != "❤️" {
			t.Errorf("Zavu has reaction %q on Zoe's message, want ❤️", got)
		}
	})

	step("the thread follows the agent's own text and photo", func(t *testing.T) {
		// The agent scrolls up (again while pictures above load and the
		// thread settles), then sends.
		scrollUp := `(() => { const s = document.querySelector('#thread .messages'); s.scrollTop = 0; return s.scrollHeight > s.clientHeight + 100; })()`
		if b.eval(`String(`+scrollUp+`)`) != "true" {
			t.Fatal("Zoe's thread is too short to scroll")
		}
		b.waitFor("scrolled up", scrollUp+` && !`+atBottom)
		b.do("send a reply", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "On my way\r"))
		b.waitFor("the reply is in view", `[...document.querySelectorAll('#thread [data-testid=text]')].some(p => p.textContent === 'On my way') && `+atBottom)
		b.waitFor("scrolled up", scrollUp+` && !`+atBottom)
		b.do("attach a photo", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=attach]`), []string{pngFile(t)}))
		b.waitFor("the file's name shows", `document.querySelector('[data-testid=attach-name]').textContent === 'tall.png'`)
		b.do("send it", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "\r"))
		b.waitFor("the photo is in view", `[...document.querySelectorAll('#thread .msg-outbound img')].some(i => i.complete && i.naturalWidth === 120) && `+atBottom)
	})

	step("shortcuts: ?, a, r, ;", func(t *testing.T) {
		b.eval(`document.activeElement.blur(); ""`)
		b.key("?")
		b.waitFor("the shortcuts show", `!!document.getElementById('shortcuts')?.open`)
		if got := b.eval(`document.getElementById('shortcuts').textContent`); !strings.Contains(got, "Assign to me") || !strings.Contains(got, "Resolve") {
			t.Errorf("the shortcuts say %q", got)
		}
		b.accessible("the shortcuts", false)
		b.key("\x1b") // Escape
		b.waitFor("the shortcuts close", `!document.getElementById('shortcuts').open`)
		b.eval(`document.activeElement.blur(); ""`)
		b.key("a")
		b.waitFor("Zoe is assigned to Ana", `document.querySelector('#thread .thread-head').dataset.assignee === '`+anaID+`'`)
		b.key("r")
		b.waitFor("the composer has the focus", `document.activeElement.matches('[data-testid=reply-text]')`)
		b.eval(`document.activeElement.blur(); ""`)
		b.key(";")
		defer func() {
			if t.Failed() {
				t.Log(b.eval(`document.activeElement.outerHTML.slice(0, 200) + ' ' + JSON.stringify(document.activeElement.value) + ' ' + document.querySelector('[data-testid=saved-suggest]').outerHTML`))
			}
		}()
		b.waitFor("the saved replies open", `document.activeElement.matches('[data-testid=reply-text]') && document.activeElement.value === '/' && !document.querySelector('[data-testid=saved-suggest]').hidden`)
		b.eval(`(() => { const ta = document.activeElement; ta.value = ''; ta.dispatchEvent(new Event('input', {bubbles: true})); ta.blur(); return ""; })()`)
	})

	step("e resolves, opens the next conversation and offers Undo", func(t *testing.T) {
		next := b.eval(`document.getElementById('c-` + zoe + `').nextElementSibling.querySelector('[data-testid=row-name]').textContent`)
		b.key("e")
		b.waitFor("the next conversation opens", `(document.querySelector('[data-testid=thread-name]') || {}).textContent === '`+next+`'`)
		b.waitFor("with the focus on its row", `document.activeElement.matches('.row') && document.activeElement.textContent.includes('`+next+`')`)
		b.waitFor("Zoe leaves the open list", `!document.getElementById('c-`+zoe+`')`)
		b.do("undo", chromedp.Click(chromedp.CSS(`[data-testid=undo]`)))
		b.waitFor("Zoe is back", `!!document.getElementById('c-`+zoe+`')`)
	})

	step("a separator put in live reads as the server's", func(t *testing.T) {
		yara := b.conversationOf("Yara Old")
		b.do("open Yara", chromedp.Click(chromedp.CSS(`#c-`+yara)))
		b.waitFor("Yara's thread", `(document.querySelector('[data-testid=thread-name]') || {}).textContent === 'Yara Old'`)
		ls.post(inboundFrom("evt_y2", "msg_y2", "+14155550140", "Yara Old", "Good morning", time.Now()))
		b.waitFor("today's separator is put in", `document.querySelectorAll('#thread [data-testid=day]').length === 2`)
		day := b.eval(`[...document.querySelectorAll('#thread [data-testid=day]')].at(-1).dataset.day`)
		live := b.eval(`[...document.querySelectorAll('#thread [data-testid=day]')].at(-1).textContent`)
		b.do("reload", chromedp.Reload())
		b.waitFor("the thread is back", `document.querySelectorAll('#thread [data-testid=day]').length === 2`)
		if server := b.eval(`document.querySelector('#thread [data-testid=day][data-day="` + day + `"]').textContent`); server != live {
			t.Errorf("the live separator says %q, the server's %q", live, server)
		}
	})

	step("senders show by their names, never their ids", func(t *testing.T) {
		id := b.eval(`document.querySelector('#thread .thread-head [data-sender-name]').dataset.senderName`)
		if err := ls.db.SyncSenders(ctx, []inbox.Sender{{ID: id, Name: "Main line", Phone: "+13125559876"},
			{ID: "snd_other", Name: "Support SMS", Phone: "+13125550000"}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		b.do("reload", chromedp.Reload())
		defer func() {
			if t.Failed() {
				t.Log(id, b.eval(`document.querySelector('#sender-names')?.innerHTML + ' | ' + document.querySelector('#thread .thread-head')?.outerHTML.slice(0, 600) + ' | ' + [...document.querySelectorAll('.row-sender')].map(s => s.outerHTML).slice(0, 2).join() + ' | ' + document.querySelector('#f-sender')?.outerHTML`))
			}
		}()
		b.waitFor("the thread and the rows name the sender", `document.querySelector('#thread .thread-head [data-sender-name]')?.textContent === 'Main line' &&
			document.querySelectorAll('.row-sender').length > 0 && [...document.querySelectorAll('.row-sender')].every(s => s.textContent === 'Main line') &&
			[...document.querySelectorAll('#f-sender option')].some(o => o.textContent === 'Support SMS')`)
		ls.post(inboundFrom("evt_c7b", "msg_c7b", "+141555503007", "Customer 07", "Still waiting", time.Now()))
		b.waitFor("a live row names it too", `(() => { const r = `+rowOf("Customer 07")+`;
			return r.textContent.includes('Still waiting') && !r.textContent.includes('`+id+`'); })()`)
	})

	step("reconnecting waits at most about 5 s between tries", func(t *testing.T) {
		// The page's timers are recorded and run at once: the test sees the
		// delays the page asks for without waiting them out.
		b.eval(`window.__delays = []; const st = window.setTimeout;
			window.setTimeout = (f, ms, ...a) => { if (f && f.name === 'connect') { window.__delays.push(ms); ms = 20; } return st(f, ms, ...a); }; ""`)
		ls.stop()
		b.waitFor("ten tries", `window.__delays.length >= 10`)
		var delays []float64
		if err := json.Unmarshal([]byte(b.eval(`JSON.stringify(window.__delays)`)), &delays); err != nil {
			t.Fatal(err)
		}
		distinct := map[float64]bool{}
		for _, d := range delays {
			if d > 5000 {
				t.Errorf("a try waits %.0f ms", d)
			}
			distinct[d] = true
		}
		if len(distinct) < len(delays)/2 {
			t.Errorf("the delays have no jitter: %v", delays)
		}
		b.eval(`document.querySelectorAll('#conv-list .row').forEach(r => r.dataset.before = '1'); ""`)
		ls.start(nil)
		b.waitFor("back", `document.querySelector('[data-testid=live-banner]').hidden === true`)
		// A server started again has another epoch: the page fetches its
		// list again, and the rows it gets name their sender as the rows
		// it loaded with did.
		b.waitFor("the list fetched again", `document.querySelectorAll('#conv-list .row').length > 0 && !document.querySelector('#conv-list .row[data-before]')`)
		if got := b.eval(`[...document.querySelectorAll('#conv-list .row-sender')].map(s => s.textContent).filter(n => n !== 'Main line').join()`); got != "" {
			t.Errorf("rows fetched again name their sender %q, want Main line", got)
		}
	})

	step("a photo Zavu cannot give says why, and Retry loads it in place", func(t *testing.T) {
		fake.AddInbound(zavu.Message{ID: "msg_photo", From: "+14155550160", MessageType: "image",
			Content: &zavu.Content{MediaID: "media_photo", MimeType: "image/jpeg"}})
		fake.FailMedia("msg_photo", http.StatusGone)
		ls.post(event("evt_photo", "message.inbound", time.Now(), map[string]any{
			"messageId": "msg_photo", "from": "+14155550160", "to": "+13125559876", "channel": "whatsapp",
			"messageType": "image", "text": "", "profileName": "Pia Photo",
			"content": map[string]any{"mediaId": "media_photo", "mimeType": "image/jpeg"}}))
		b.waitFor("Pia is listed", `!!`+rowOf("Pia Photo"))
		pia := b.conversationOf("Pia Photo")
		b.setScreen(phone, false)
		b.open(ls.url() + "/conversations/" + pia)
		const reason = "The photo could not be loaded from Zavu: the link expired."
		b.waitFor("the card says why", `(document.querySelector('#thread [data-testid=media-reason]') || {}).textContent === '`+reason+`' &&
			document.querySelector('#thread a.media-frame').hidden`)
		if got := b.eval(`(() => { const c = document.querySelector('#thread [data-testid=media-failed]').getBoundingClientRect();
			return c.left >= 0 && c.right <= innerWidth ? '' : c.left + '..' + c.right; })()`); got != "" {
			t.Errorf("the card is off a 390 px screen: %s", got)
		}
		b.fits("the card at 390x844")
		b.accessible("the card at 390x844 light", false)
		b.setScreen(phone, true)
		b.accessible("the card at 390x844 dark", true)
		b.setScreen(laptop, false)
		fake.FailMedia("msg_photo", 0)
		b.eval(`window.__samePage = true; ""`)
		b.do("retry", chromedp.Click(chromedp.CSS(`#thread [data-testid=media-retry]`)))
		b.waitFor("the photo shows in place", `(() => { const a = document.querySelector('#thread a.media-frame'), i = a && a.querySelector('img');
			return !!i && !a.hidden && i.complete && i.naturalWidth === 96 && !document.querySelector('#thread [data-testid=media-failed]'); })()`)
		if b.eval(`String(window.__samePage === true)`) != "true" {
			t.Error("Retry reloaded the page")
		}
	})

	step("an attached photo shows a thumbnail and can be taken out before sending", func(t *testing.T) {
		b.do("attach a photo", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=attach]`), []string{pngFile(t)}))
		b.waitFor("its thumbnail and name show", `(() => { const i = document.querySelector('[data-testid=attach-thumb]');
			return !!i && i.complete && i.naturalWidth === 120 &&
				document.querySelector('[data-testid=attach-chip]').textContent.includes('tall.png'); })()`)
		b.accessible("the composer with an attachment", false)
		b.do("remove it", chromedp.Click(chromedp.CSS(`[data-testid=attach-remove]`)))
		b.waitFor("it leaves the composer", `!document.querySelector('[data-testid=attach-preview]') &&
			document.querySelector('[data-testid=attach]').files.length === 0 &&
			document.querySelector('[data-testid=attach-name]').textContent === ''`)
		b.do("send text only", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "The photo follows later\r"))
		b.waitFor("the reply is in the thread", `[...document.querySelectorAll('#thread [data-testid=text]')].some(p => p.textContent === 'The photo follows later')`)
		deadline := time.Now().Add(browserPatience)
		for {
			var got *zavu.Message
			for _, m := range fake.Sent() {
				if m.Text == "The photo follows later" {
					got = &m
				}
			}
			if got != nil {
				if got.MessageType != "text" || (got.Content != nil && got.Content.MediaURL != "") {
					t.Errorf("the removed photo was sent: %s %+v", got.MessageType, got.Content)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("Zavu never got the reply")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	step("a document Zavu cannot give says why, and Retry downloads it", func(t *testing.T) {
		fake.AddInbound(zavu.Message{ID: "msg_doc", From: "+14155550170", MessageType: "document",
			Content: &zavu.Content{MediaID: "media_doc", MimeType: "application/pdf", Filename: "invoice.pdf"}})
		fake.FailMedia("msg_doc", http.StatusGone)
		ls.post(event("evt_doc", "message.inbound", time.Now(), map[string]any{
			"messageId": "msg_doc", "from": "+14155550170", "to": "+13125559876", "channel": "whatsapp",
			"messageType": "document", "text": "", "profileName": "Dora Doc",
			"content": map[string]any{"mediaId": "media_doc", "mimeType": "application/pdf", "filename": "invoice.pdf"}}))
		b.waitFor("Dora is listed", `!!`+rowOf("Dora Doc"))
		dora := b.conversationOf("Dora Doc")
		b.open(ls.url() + "/conversations/" + dora)
		b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true && !!document.querySelector('#thread a.file-open')`)
		// Clicks on the link that go ahead are counted, and their download
		// is called off so that no file lands on the disk.
		b.eval(`window.__downloads = 0; window.addEventListener('click', e => {
			if (e.target.closest && e.target.closest('a.file-open') && !e.defaultPrevented) { window.__downloads++; e.preventDefault(); } }); ""`)
		b.eval(`document.querySelector('#thread a.file-open').click(); ""`) // the agent opens the document
		const reason = "The document could not be loaded from Zavu: the link expired."
		defer func() {
			if t.Failed() {
				t.Log(b.eval(`(document.querySelector('#thread .file-card')?.closest('.bubble')?.outerHTML || '').slice(0, 600) + ' downloads=' + window.__downloads`))
			}
		}()
		b.waitFor("the card says why, beside the file's name", `(document.querySelector('#thread [data-testid=media-reason]') || {}).textContent === '`+reason+`' &&
			!document.querySelector('#thread .file-card').hidden && document.querySelector('#thread .file-name').textContent.trim() === 'invoice.pdf'`)
		if n := b.eval(`String(window.__downloads)`); n != "0" {
			t.Errorf("the link went on to the error (%s clicks went ahead)", n)
		}
		b.accessible("the document's card", false)
		fake.FailMedia("msg_doc", 0)
		b.eval(`document.querySelector('#thread [data-testid=media-retry]').click(); ""`)
		b.waitFor("the card goes and the document downloads", `window.__downloads === 1 && !document.querySelector('#thread [data-testid=media-failed]')`)
		b.eval(`document.querySelector('#thread a.file-open').click(); ""`) // and again
		b.waitFor("it downloads", `window.__downloads === 2 && !document.querySelector('#thread [data-testid=media-failed]')`)
	})

	step("shortcuts: the overlay lists z, n and x; n writes a note; z snoozes", func(t *testing.T) {
		dora := b.conversationOf("Dora Doc")
		b.eval(`document.activeElement.blur(); ""`)
		b.key("?")
		b.waitFor("the shortcuts show", `!!document.getElementById('shortcuts')?.open`)
		if got := b.eval(`[...document.querySelectorAll('#shortcuts dt')].map(d => d.textContent).join(' ')`); !strings.Contains(" "+got+" ", " z ") ||
			!strings.Contains(" "+got+" ", " n ") || !strings.Contains(" "+got+" ", " x ") {
			t.Errorf("the shortcuts list %q", got)
		}
		b.key("\x1b")
		b.waitFor("the shortcuts close", `!document.getElementById('shortcuts').open`)
		b.eval(`document.activeElement.blur(); ""`)
		b.key("n")
		b.waitFor("the note box has the focus", `document.activeElement.matches('#thread [data-testid=note-text]') &&
			document.querySelector('#thread [data-testid=tab-note]').getAttribute('aria-selected') === 'true'`)
		if got := b.eval(`document.activeElement.value`); got != "" {
			t.Errorf("n was typed into the note: %q", got)
		}
		b.key("z")
		b.waitFor("z does nothing while typing", `document.activeElement.matches('#thread [data-testid=note-text]') && !document.querySelector('#thread [data-testid=snooze-menu]').open`)
		b.eval(`document.activeElement.value = ''; document.activeElement.blur(); ""`)
		b.key("z")
		b.waitFor("the snooze menu opens on its first preset", `document.querySelector('#thread [data-testid=snooze-menu]').open &&
			document.activeElement.matches('#thread [data-testid=snooze-1h]')`)
		b.accessible("the snooze menu", false)
		b.do("down", chromedp.KeyEvent(kb.ArrowDown))
		b.waitFor("the arrow moves to the next preset", `!document.activeElement.matches('[data-testid=snooze-1h]') && document.activeElement.matches('#thread [data-snooze]')`)
		b.do("up", chromedp.KeyEvent(kb.ArrowUp))
		b.waitFor("and back", `document.activeElement.matches('#thread [data-testid=snooze-1h]')`)
		b.do("pick it", chromedp.KeyEvent(kb.Enter))
		b.waitFor("Dora is snoozed and leaves the open list", `!document.getElementById('c-`+dora+`')`)
		id, err := strconv.ParseInt(dora, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := ls.db.Conversation(ctx, id); err != nil || c.Status != inbox.Snoozed || time.Until(c.SnoozedUntil) <= 0 || time.Until(c.SnoozedUntil) > time.Hour {
			t.Errorf("Dora's conversation after z, Enter: %s until %v (%v), want snoozed for an hour", c.Status, c.SnoozedUntil, err)
		}
	})

	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		return
	}
	step("screenshots for the README", func(t *testing.T) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		sandboxMorning(t, ls, 60)
		benUser, err := ls.db.UserByEmail(ctx, "ben@example.com")
		if err != nil {
			t.Fatal(err)
		}
		b.setScreen(laptop, false)
		b.open(ls.url() + "/inbox")
		b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
		// The sandbox's conversations, the latest first: the test's own came after them.
		rows := b.eval(`[...document.querySelectorAll('[data-testid=conv-row]')].filter(r => r.querySelector('[data-sender-name=snd_main]'))
			.slice(0, 6).map(r => r.dataset.conversation).join()`)
		ids := strings.Split(rows, ",")
		if len(ids) < 6 {
			t.Fatalf("the sandbox made %d conversations", len(ids))
		}
		// Ana takes two, Ben three; the first she answers while Ben looks on.
		b.eval(`window.__assigned = 0; ""`)
		for i, id := range ids[1:] {
			who := fmt.Sprint(benUser.ID)
			if i%2 == 1 {
				who = "me"
			}
			b.eval(`fetch('/conversations/` + id + `/assign', {method: 'POST', headers: {'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content,
				'Content-Type': 'application/x-www-form-urlencoded'}, body: 'assignee=` + who + `'}).then(r => { if (r.ok) window.__assigned++; }); ""`)
		}
		b.waitFor("five are assigned", `window.__assigned === 5`)
		b.open(ls.url() + "/conversations/" + ids[0])
		b.do("Ana replies", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Hi! Let me check that for you.\r"))
		b.waitFor("her reply is delivered", `[...document.querySelectorAll('[data-testid=tick]')].some(t => t.dataset.status === 'delivered' || t.dataset.status === 'read')`)
		ben := newTab(t, bctx)
		ben.login(ls.url(), "ben@example.com")
		ben.open(ls.url() + "/conversations/" + ids[0])
		b.waitFor("Ana sees Ben there", `(document.querySelector('[data-testid=presence-text]') || {textContent: ''}).textContent.includes('Ben')`)
		b.screenshot(dir, "inbox")
		b.setScreen(laptop, true)
		b.screenshot(dir, "dark")
		b.setScreen(phone, false)
		b.screenshot(dir, "phone")
		b.setScreen(laptop, false)
		b.open(ls.url() + "/conversations/" + ids[1])
		b.do("Ana writes a note to Ben",
			chromedp.Click(chromedp.CSS(`[data-testid=tab-note]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=note-text]`)),
			chromedp.SendKeys(chromedp.CSS(`[data-testid=note-text]`), "Refund approved, can you let them know? @Be"))
		b.waitFor("the picker offers Ben", `!!document.querySelector('[data-testid=mention-option]')`)
		b.screenshot(dir, "thread")
		b.open(ls.url() + "/admin/agents")
		b.screenshot(dir, "admin")

	})
}

// pngFile writes a small picture for the composer to attach.
func pngFile(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 120, 400))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "tall.png")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// conversationOf waits for the list row of the named customer and gives its
// conversation's id.
func (b *tab) conversationOf(name string) string {
	b.t.Helper()
	return b.waitValue(name+"'s row", rowOf(name)+`?.dataset.conversation`)
}
