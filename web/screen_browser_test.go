package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"switchboard/inbox"
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
	laptop = screenSize{"1440x900", 1440, 900}
	phone  = screenSize{"390x844", 390, 844}
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
func (b *tab) accessible(what string) {
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
	res, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(
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

// key presses one key on the page.
func (b *tab) key(k string) {
	b.t.Helper()
	b.do("press "+k, chromedp.KeyEvent(k))
}

func rowOf(name string) string {
	return `[...document.querySelectorAll('[data-testid=conv-row]')].find(r => r.querySelector('[data-testid=row-name]').textContent === '` + name + `')`
}

// atBottom is true when the open thread shows its last message.
const atBottom = `(() => { const s = document.querySelector('#thread .messages'); return !!s && s.scrollHeight - s.scrollTop - s.clientHeight < 4; })()`

func TestBrowserScreen(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.withZavu()
	ctx := context.Background()
	ls.addUser("ana@example.com", "Ana Admin")
	ana, err := ls.db.UserByEmail(ctx, "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.db.UpdateUser(ctx, ana.ID, inbox.RoleAdmin, true); err != nil {
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

	b := newTab(t, browser(t, exe))
	b.setScreen(laptop, false)
	b.login(ls.url(), "ana@example.com")
	b.waitFor("every conversation is listed", `document.querySelectorAll('[data-testid=conv-row]').length === 15`)
	zoe := b.eval(rowOf("Zoe Quinn") + `.dataset.conversation`)

	t.Run("every page fits the screen and passes axe", func(t *testing.T) {
		b.t = t
		pages := []string{"/inbox", "/conversations/" + zoe, "/conversations/new", "/admin", "/admin/auto-replies",
			"/admin/saved-replies", "/admin/agents", "/admin/tokens", "/admin/senders", "/admin/templates",
			"/admin/webhooks", "/admin/audit", "/admin/settings", "/reports"}
		for _, s := range []screenSize{phone, laptop} {
			for _, dark := range []bool{false, true} {
				b.setScreen(s, dark)
				scheme := map[bool]string{false: "light", true: "dark"}[dark]
				for _, p := range pages {
					b.open(ls.url() + p)
					what := p + " at " + s.name + " " + scheme
					b.fits(what)
					if s == laptop || p == "/inbox" || p == "/conversations/"+zoe {
						b.accessible(what)
					}
				}
				// Search: the results open over the list.
				b.open(ls.url() + "/inbox")
				b.do("search", chromedp.SendKeys(chromedp.CSS(`[data-testid=search-input]`), "order"))
				b.waitFor("results show", `document.querySelectorAll('#search-results a').length > 0`)
				b.fits("search results at " + s.name + " " + scheme)
				b.accessible("search results at " + s.name + " " + scheme)
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
		b.setScreen(laptop, false)
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

var _ = strings.Contains
