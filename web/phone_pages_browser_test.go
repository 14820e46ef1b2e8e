package web_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
)

// The agent's pages and dialogs beyond the list and the thread, on a phone
// (390x844) and a tablet (1024x768): each stays within the screen, with
// nothing to scroll sideways to, and passes axe.

// offScreen is a JavaScript expression: the elements matching sel that show
// and reach past either side of the screen, each with its edges; "" when
// every one is within it.
func offScreen(sel string) string {
	return `[...document.querySelectorAll('` + sel + `')].filter(e => e.getClientRects().length > 0).map(e => [e, e.getBoundingClientRect()])
		.filter(([e, r]) => r.left < 0 || r.right > innerWidth)
		.map(([e, r]) => (e.dataset.testid || e.className || e.tagName) + ' at ' + Math.round(r.left) + '..' + Math.round(r.right) + ' px of ' + innerWidth).join('; ')`
}

// scrollsSideways is a JavaScript expression: the elements matching sel
// whose content is wider than they are, so that they scroll sideways.
func scrollsSideways(sel string) string {
	return `[...document.querySelectorAll('` + sel + `')].filter(e => e.scrollWidth > e.clientWidth + 1)
		.map(e => (e.id || e.className) + ' is ' + e.scrollWidth + ' px wide in ' + e.clientWidth).join('; ')`
}

// The New conversation form, with a template of a long name and three
// variables, and a sender of a long name, fits a phone and a tablet; its
// template picker has a name.
func TestBrowserNewConversationOnSmallerScreens(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_n1", "msg_n1", "+14155550101", "Zoe Quinn", "Hi", time.Now())) // makes the sender known
	if err := ls.db.SyncTemplates(context.Background(), []inbox.Template{{ID: "tpl_order", Name: "order_update_with_the_delivery_date_and_tracking",
		Language: "en_GB", Status: "approved", Body: "Hi {{1}}, your order {{2}} has shipped and arrives on {{3}}.", UpdatedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if err := ls.db.SyncSenders(context.Background(), []inbox.Sender{{ID: "snd_abc123", Name: "Customer support line for the Benelux and the Nordics",
		Phone: "+13125559876"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	for _, s := range []screenSize{phone, tablet} {
		b.setScreen(s, false)
		b.open(ls.url() + "/conversations/new")
		b.eval(`(s => { s.value = 'tpl_order'; s.dispatchEvent(new Event('change', {bubbles: true})); return ""; })(document.querySelector('[data-testid=template-select]'))`)
		b.waitFor("a field for each variable", `document.querySelectorAll('[data-testid=template-var]').length === 3`)
		if got := b.eval(scrollsSideways(".new-body") + ` + ' ' + ` + offScreen(".new-form fieldset, [data-testid=new-sender], [data-testid=template-select], [data-testid=template-var], [data-testid=template-preview]")); got != " " {
			t.Errorf("the form at %s: %s", s.name, got)
		}
		b.accessible("the New conversation form at "+s.name, false)
	}
}

// The snooze and label menus in a thread's header open within the screen,
// also with a time chosen; on a phone their choices are large enough for
// a thumb.
func TestBrowserThreadMenusOnSmallerScreens(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	if err := ls.db.CreateLabel(context.Background(), &inbox.Label{Name: "vip-customer-priority", Colour: "blue", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	ls.post(inboundFrom("evt_m1", "msg_m1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	for _, s := range []screenSize{phone, tablet} {
		b.setScreen(s, false)
		b.open(ls.url() + "/conversations/1")
		// The page's own handlers of a menu's toggle event run before this
		// one, added after them.
		b.eval(`window.__opened = ''; document.addEventListener('toggle', e => { if (e.target.open) window.__opened = e.target.dataset.testid; }, true); ""`)
		b.do("open Snooze", chromedp.Click(chromedp.CSS(`#thread [data-testid=snooze-menu] summary`)))
		b.waitFor("the snooze menu is open", `window.__opened === 'snooze-menu'`)
		if got := b.eval(offScreen("#thread [data-testid=snooze-menu] .menu-body, #thread [data-testid=snooze-menu] .menu-item")); got != "" {
			t.Errorf("the snooze menu at %s: %s", s.name, got)
		}
		if got := b.eval(tooSmallToTap("#thread [data-testid=snooze-menu] .menu-item")); s == phone && got != "" {
			t.Errorf("the snooze menu's choices at %s: %s", s.name, got)
		}
		b.do("choose a time", chromedp.SendKeys(chromedp.CSS(`#thread [data-testid=snooze-at]`), "12312030\t0930PM"))
		b.waitFor("a time is chosen", `!!document.querySelector('#thread [data-testid=snooze-at]').value`)
		if got := b.eval(offScreen("#thread [data-testid=snooze-menu] .menu-body, #thread [data-testid=snooze-at], #thread [data-testid=snooze-custom]")); got != "" {
			t.Errorf("the snooze menu with a time at %s: %s", s.name, got)
		}
		b.fits("the snooze menu at " + s.name)
		if s == phone {
			// On a tablet the open menu covers part of the header's buttons,
			// which axe's target-size counts against them.
			b.accessible("the snooze menu at "+s.name, false)
		}
		b.do("open Labels", chromedp.Click(chromedp.CSS(`#thread [data-testid=label-menu] summary`)))
		b.waitFor("the label menu is open", `window.__opened === 'label-menu'`)
		if got := b.eval(offScreen("#thread [data-testid=label-menu] .menu-body")); got != "" {
			t.Errorf("the label menu at %s: %s", s.name, got)
		}
		if got := b.eval(tooSmallToTap("#thread [data-testid=label-menu] .menu-item")); s == phone && got != "" {
			t.Errorf("the label menu's labels at %s: %s", s.name, got)
		}
	}
}

// On a phone the reaction picker's button shows under a customer's message
// (a phone has no hover to reveal it), large enough for a thumb, and the
// reactions open within the screen, as large.
func TestBrowserReactionPickerOnAPhone(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_r1", "msg_r1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	if got := b.eval(`getComputedStyle(document.querySelector('#thread [data-testid=react-open]')).opacity`); got != "1" {
		t.Errorf("on a phone the react button is invisible (opacity %s)", got)
	}
	// A thumb's target: the button and each reaction at least 32 px each way.
	small := func(sel string) string {
		return b.eval(`[...document.querySelectorAll('` + sel + `')].map(e => e.getBoundingClientRect())
			.filter(r => r.width < 32 || r.height < 32).map(r => Math.round(r.width) + 'x' + Math.round(r.height)).join(' ')`)
	}
	if got := small("#thread [data-testid=react-open]"); got != "" {
		t.Errorf("on a phone the react button is %s px", got)
	}
	b.do("open the reaction picker", chromedp.Click(chromedp.CSS(`#thread [data-testid=react-open]`)))
	b.waitFor("the reactions are offered", `document.querySelectorAll('#thread [data-testid=react]').length === 6`)
	if got := b.eval(offScreen("#thread .react-options")); got != "" {
		t.Errorf("the reactions on a phone: %s", got)
	}
	if got := small("#thread .react-options .btn"); got != "" {
		t.Errorf("on a phone the reactions offered are %s px", got)
	}
}

// A location, a contact card and a document with very long names wrap
// within their bubbles on a phone: the thread never scrolls sideways.
func TestBrowserLongNamesInBubblesOnAPhone(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	msg := func(id, typ string, at time.Time, content map[string]any) {
		ls.post(event("evt_"+id, "message.inbound", at, map[string]any{"messageId": "msg_" + id, "from": "+14155550130", "to": "+13125559876",
			"channel": "whatsapp", "messageType": typ, "text": "", "profileName": "Maximiliana Von Longname", "content": content}))
	}
	msg("doc", "document", now.Add(-3*time.Minute), map[string]any{"mediaId": "m_doc", "mimeType": "application/pdf",
		"filename": "Quarterly_statement_for_account_0000123456789_final_FINAL_v2_signed_copy.pdf"})
	msg("loc", "location", now.Add(-2*time.Minute), map[string]any{"latitude": 48.1, "longitude": 11.6,
		"name": "Krankenhaus-Parkplatzeinfahrtsschrankenanlage-Nord", "address": "Donaudampfschifffahrtsgesellschaftskapitänsstraße 123456, 80331 München"})
	msg("cnt", "contact", now.Add(-time.Minute), map[string]any{"contacts": []any{map[string]any{
		"name":   "Bartholomew-Maximilian Featherstonehaugh-Cholmondeley",
		"phones": []any{map[string]any{"phone": "+441234567890123", "type": "MOBILE"}},
		"emails": []any{map[string]any{"email": "bartholomew.featherstonehaugh-cholmondeley@averyveryverylongcompanydomain.example.co.uk", "type": "WORK"}}}}})
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	b.waitFor("the three bubbles", `document.querySelectorAll('#thread [data-testid=message]').length === 3`)
	if got := b.eval(scrollsSideways("#thread .messages") + ` + ' ' + ` + offScreen("#thread .bubble, #thread .file-card, #thread .location, #thread .contact-card")); got != " " {
		t.Errorf("the bubbles on a phone: %s", got)
	}
	b.accessible("long names in bubbles at 390x844", false)
}

// Under a reply on a phone, an agent's long name wraps beside the time,
// and the time stays whole: it broke in two ("18:2" above "5").
func TestBrowserLongAuthorLeavesTheTimeWholeOnAPhone(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Anastasia Konstantinopolskaya-Wolfeschlegelsteinhausen")
	ana := ls.userID("ana@example.com")
	now := time.Now()
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", now.Add(-time.Minute)))
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.waitFor("the conversation is in the list", `!!document.querySelector('[data-testid=conv-row]')`)
	sendReply(t, ls.db, inbox.Reply{ConversationID: 1, AuthorID: &ana, Source: inbox.SourceAgent,
		Type: inbox.TypeText, Text: "It left the warehouse this morning", IdempotencyKey: "k_1", At: now})
	b.open(ls.url() + "/conversations/1")
	b.waitFor("the reply and its author", `!!document.querySelector('#thread [data-direction=outbound] [data-testid=author]')`)
	if got := b.eval(`(() => {
		const out = [], meta = document.querySelector('#thread [data-direction=outbound] .meta'), time = meta.querySelector('time');
		const r = document.createRange();
		r.selectNodeContents(time);
		const lines = new Set([...r.getClientRects()].map(c => Math.round(c.top))).size;
		if (lines !== 1) out.push('the time ' + JSON.stringify(time.textContent) + ' takes ' + lines + ' lines');
		const bubble = meta.closest('.bubble').getBoundingClientRect();
		for (const e of meta.children) {
			const b = e.getBoundingClientRect();
			if (b.left < bubble.left - 1 || b.right > bubble.right + 1) out.push(e.className || e.tagName + ' reaches past the bubble');
		}
		return out.join('; ');
	})()`); got != "" {
		t.Error(got)
	}
}

// An agent's report on a phone, its tables open: the page never scrolls
// sideways; a table too wide for the screen scrolls within its own box.
func TestBrowserReportsOnAPhone(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_r1", "msg_r1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now().Add(-5*time.Minute)))
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/reports")
	b.eval(`document.querySelectorAll('details.chart-table').forEach(d => d.open = true); ""`)
	if got := b.eval(scrollsSideways("main") + ` + ' ' + ` + offScreen("details.chart-table, .report-filters .btn, .report-filters select, .report-filters input")); got != " " {
		t.Errorf("the report at 390x844: %s", got)
	}
	b.fits("the report at 390x844")
	b.accessible("the report at 390x844", false)
}

// On a phone the send guard's box grows the composer: the thread keeps its
// end in view above it, with the customer's newest message, instead of
// leaving it behind the composer.
func TestBrowserSendGuardOnAPhone(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	for i := range 12 {
		ls.post(inboundFrom(fmt.Sprintf("evt_g%d", i), fmt.Sprintf("msg_g%d", i), "+14155550101", "Zoe Quinn",
			fmt.Sprintf("Message %d about my order", i), now.Add(time.Duration(i-20)*time.Minute)))
	}
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	b.waitFor("the thread shows its end", `document.querySelectorAll('#thread [data-testid=message]').length === 12 && `+atBottom)
	b.do("write a reply", chromedp.SendKeys(chromedp.CSS(`#thread [data-testid=reply-text]`), "Let me check"))
	ls.post(inboundFrom("evt_g12", "msg_g12", "+14155550101", "Zoe Quinn", "Hello? Is anyone there? I have been waiting for an answer all morning", now))
	b.waitFor("the customer's message comes in view", `[...document.querySelectorAll('#thread [data-testid=text]')].at(-1).textContent.includes('all morning') && `+atBottom)
	b.do("Send", chromedp.Click(chromedp.CSS(`#thread [data-testid=send]`)))
	b.waitFor("the send is stopped, with what changed", `!!document.querySelector('#thread [data-testid=draft-changed]')`)
	if got := b.eval(`(() => { const s = document.querySelector('#thread .messages'), last = [...s.querySelectorAll('[data-testid=message]')].at(-1).getBoundingClientRect();
		return s.scrollHeight - s.scrollTop - s.clientHeight < 4 && last.bottom <= s.getBoundingClientRect().bottom ? '' :
			'the newest message ends at ' + Math.round(last.bottom) + ' px, the thread at ' + Math.round(s.getBoundingClientRect().bottom) + ' px, ' +
			Math.round(s.scrollHeight - s.scrollTop - s.clientHeight) + ' px above its end'; })()`); got != "" {
		t.Errorf("with the send guard's box: %s", got)
	}
	if got := b.eval(offScreen("#thread [data-testid=draft-changed], #thread [data-testid=send]")); got != "" {
		t.Errorf("the send guard on a phone: %s", got)
	}
	b.accessible("the send guard at 390x844", false)
}

// An empty view on a phone and a tablet says so and passes axe: its words
// are outside the listbox, which holds only rows. A conversation that comes
// live takes their place; once it leaves the view they are back.
func TestBrowserEmptyListOnSmallerScreens(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	shown := `(e => !!e && e.getBoundingClientRect().height > 0 && e.getBoundingClientRect().right <= innerWidth)(document.querySelector('[data-testid=empty-list]'))`
	for _, s := range []screenSize{phone, tablet} {
		b.setScreen(s, false)
		b.open(ls.url() + "/inbox")
		b.waitFor("the empty list says what to do", shown+` && document.querySelector('[data-testid=empty-list]').textContent.includes('No conversations yet')`)
		b.fits("the empty list at " + s.name)
		b.accessible("the empty list at "+s.name, false)
	}
	b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	ls.post(inboundFrom("evt_e1", "msg_e1", "+14155550101", "Zoe Quinn", "Hi", time.Now()))
	b.waitFor("the conversation takes the empty list's place", `document.querySelectorAll('[data-testid=conv-row]').length === 1 && !`+shown)
	b.accessible("the list with a row", false)
	b.eval(`fetch('/conversations/1/status', {method: 'POST', headers: {'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content,
		'Content-Type': 'application/x-www-form-urlencoded'}, body: 'status=resolved'}); ""`)
	b.waitFor("resolved, it leaves the list, and the empty list is back", `document.querySelectorAll('[data-testid=conv-row]').length === 0 && `+shown)
}

// On a phone and on a tablet held upright, a reply or a note sent while
// Switchboard cannot be reached (the connection dropped, the server
// restarting) says so in the composer, in plain words, and keeps the
// text; once back, Send again sends it and the message goes.
func TestBrowserReplyThatCannotGoSaysSo(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	const composerError = `(document.querySelector('#thread [data-testid=composer-error]') || {textContent: ''}).textContent`
	for _, s := range []screenSize{phone, smallPortrait} {
		for _, what := range []struct{ tab, box, send, text string }{
			{"tab-reply", "reply-text", "send", "It left the warehouse today " + s.name},
			{"tab-note", "note-text", "send-note", "Called the warehouse " + s.name},
		} {
			b.setScreen(s, false)
			b.open(ls.url() + "/conversations/1")
			b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
			b.do("write", chromedp.Click(chromedp.CSS(`#thread [data-testid=`+what.tab+`]`)),
				chromedp.SendKeys(chromedp.CSS(`#thread [data-testid=`+what.box+`]`), what.text))
			ls.stop()
			b.waitFor("the page knows the server is away", `document.querySelector('[data-testid=live-banner]').hidden === false`)
			b.do("send", chromedp.Click(chromedp.CSS(`#thread [data-testid=`+what.send+`]`)))
			b.waitFor("the composer says it did not go ("+what.send+" at "+s.name+")", composerError+`.includes('could not be reached')`)
			if got := b.eval(`document.querySelector('#thread [data-testid=` + what.box + `]').value`); got != what.text {
				t.Errorf("at %s the box holds %q after the failed send, want %q", s.name, got, what.text)
			}
			ls.start(nil)
			b.waitFor("back online", `document.querySelector('[data-testid=live-banner]').hidden === true`)
			b.do("send again", chromedp.Click(chromedp.CSS(`#thread [data-testid=`+what.send+`]`)))
			b.waitFor("it is in the thread and the error has gone", `document.querySelector('#thread [data-testid=messages]').textContent.includes('`+what.text+`') && `+composerError+` === ''`)
		}
	}
}

// On a phone and on a tablet held upright, an action that fails (a snooze
// for a time already past) says why in a message that stays until
// dismissed; it shows above the composer, leaving the reply being written
// and Send in sight.
func TestBrowserErrorLeavesTheComposerInSight(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	for _, s := range []screenSize{phone, smallPortrait} {
		b.setScreen(s, false)
		b.open(ls.url() + "/conversations/1")
		b.do("write a reply", chromedp.SendKeys(chromedp.CSS(`#thread [data-testid=reply-text]`), "It left the warehouse today"))
		b.do("open Snooze", chromedp.Click(chromedp.CSS(`#thread [data-testid=snooze-menu] summary`)))
		b.waitFor("the menu is open", `document.querySelector('#thread [data-testid=snooze-menu]').open`)
		b.eval(`document.querySelector('#thread [data-testid=snooze-at]').value = '2020-01-01T09:00'; ""`)
		b.do("snooze until then", chromedp.Click(chromedp.CSS(`#thread [data-testid=snooze-custom]`)))
		b.waitFor("the failure shows", `(document.querySelector('[data-testid=action-error]') || {textContent: ''}).textContent.includes('future')`)
		if got := b.eval(`(() => { const t = document.querySelector('[data-testid=action-error]').getBoundingClientRect();
			return [...document.querySelectorAll('#thread [data-testid=reply-text], #thread [data-testid=send]')].filter(e => {
				const r = e.getBoundingClientRect(); return r.left < t.right && t.left < r.right && r.top < t.bottom && t.top < r.bottom; })
				.map(e => e.dataset.testid).concat(t.top < 0 || t.bottom > innerHeight || t.left < 0 || t.right > innerWidth ? ['the screen\'s edge'] : []).join(); })()`); got != "" {
			t.Errorf("at %s the error covers %s", s.name, got)
		}
		b.do("dismiss", chromedp.Click(chromedp.CSS(`[data-testid=toast-close]`)))
	}
}

// In sandbox mode the banner that says so takes one line of a phone's
// screen, not three of its width: the list and the thread keep their room.
func TestBrowserSandboxBannerOnAPhone(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.sandbox = true
	ls.stop()
	ls.start(nil)
	ls.addUser("ana@example.com", "Ana")
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	for _, s := range []screenSize{phone, tablet} {
		b.setScreen(s, false)
		b.open(ls.url() + "/")
		got := b.eval(`(e => e && e.offsetParent ? Math.round(e.getBoundingClientRect().height) + ' px: ' + e.innerText : 'hidden')(document.querySelector('[data-testid=sandbox-banner]'))`)
		if h, _, _ := strings.Cut(got, " "); got == "hidden" || atoi(t, h) > 40 {
			t.Errorf("the sandbox banner at %s is %s", s.name, got)
		}
		b.accessible("the sandbox banner at "+s.name, false)
	}
}

// tooSmallToTap is a JavaScript expression: the elements matching sel
// that show (not in a closed menu) and are less than 40 px wide or tall, each with its size; ""
// when every one is large enough for a thumb.
func tooSmallToTap(sel string) string { return smallerThan(sel, 40) }

// smallerThan is tooSmallToTap for px.
func smallerThan(sel string, px int) string {
	return `[...document.querySelectorAll('` + sel + `')].filter(e => e.checkVisibility()).map(e => [e, e.getBoundingClientRect()])
		.filter(([e, r]) => r.width < ` + strconv.Itoa(px) + ` || r.height < ` + strconv.Itoa(px) + `)
		.map(([e, r]) => (e.dataset.testid || e.getAttribute('aria-label') || e.name || e.className || e.tagName) + ' is ' + Math.round(r.width) + 'x' + Math.round(r.height)).join('; ')`
}

// tapFields are the fields of a form an agent types in or picks from,
// and the labels that hold a tick box or a choice (whose whole box takes
// the tap).
const tapFields = `input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), select, textarea, label:has(> input[type=checkbox], > input[type=radio])`

// On a phone every form field, and every tick box or choice with its
// label, is at least 44 px tall, the size a thumb needs: the list's
// search and picker, the thread's assignee and reply box, a new
// conversation, the contacts' search, the reports' filters, the agent's
// settings and the admin pages. On a laptop they stay as compact as
// before, under 40 px.
func TestBrowserFormFieldsLargeEnoughToTapOnAPhone(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addAdmin("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_t1", "msg_t1", "+14155550101", "Zoe Quinn", "Hi", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	pages := []string{"/inbox", "/conversations/1", "/conversations/new", "/contacts", "/reports", "/settings/notifications",
		"/admin/agents", "/admin/auto-replies", "/admin/saved-replies", "/admin/tokens", "/admin/settings", "/admin/satisfaction"}
	for _, p := range pages {
		b.setScreen(phone, false)
		b.open(ls.url() + p)
		if got := b.eval(`String(document.querySelectorAll('` + tapFields + `').length)`); got == "0" {
			t.Fatalf("%s has no field", p)
		}
		if got := b.eval(smallerThan(tapFields, 44)); got != "" {
			t.Errorf("%s at 390x844: %s", p, got)
		}
		b.setScreen(smallLaptop, false)
		if got := b.eval(`[...document.querySelectorAll('input[type=text], input[type=search], input[type=email], select')].filter(e => e.checkVisibility())
			.filter(e => e.getBoundingClientRect().height >= 40).map(e => (e.dataset.testid || e.name) + ' is ' + Math.round(e.getBoundingClientRect().height) + ' px tall').join('; ')`); got != "" {
			t.Errorf("%s at 1280x800: %s", p, got)
		}
	}
}

// On a phone the controls an agent taps all day (the views, Sign out, the
// search's tools, New, the list's filters; in a thread Back, the header's
// tools, the assignee, Resolve, the reaction picker, Reply and Note,
// Attach and Send, a note's Edit or delete) are at least 40 px each way (TestBrowserPhoneLayout bounds the thread's header they make
// taller).
func TestBrowserControlsLargeEnoughToTapOnAPhone(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_t1", "msg_t1", "+14155550101", "Zoe Quinn", "Hi", time.Now()))
	if err := ls.db.CreateLabel(context.Background(), &inbox.Label{Name: "vip", Colour: "teal", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	if got := b.eval(tooSmallToTap(`.nav a, [data-testid=logout], [data-testid=save-view-open], [data-testid=new-conversation-open], .search-help summary, .list-head select`)); got != "" {
		t.Errorf("the list at 390x844: %s", got)
	}
	b.open(ls.url() + "/conversations/1")
	if got := b.eval(tooSmallToTap(`.thread-pane .back, [data-testid=thread-head] .btn, [data-testid=thread-head] select, [data-testid=react-open], .composer-tabs [role=tab], label.attach, [data-testid=send]`)); got != "" {
		t.Errorf("the thread at 390x844: %s", got)
	}
	b.fits("the thread at 390x844")
	b.do("write a note", chromedp.Click(chromedp.CSS(`[data-testid=tab-note]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=note-text]`), "Call the courier\r"))
	b.waitFor("the note offers Edit or delete", `!!document.querySelector('[data-testid=note-actions]')?.checkVisibility()`)
	if got := b.eval(tooSmallToTap(`[data-testid=note-actions]`)); got != "" {
		t.Errorf("the note at 390x844: %s", got)
	}
	b.open(ls.url() + "/inbox")
	b.fits("the list at 390x844")
}

// On a phone the Mentions page's link to itself, with its count of unseen
// mentions, says Mentions beside its icon, as on a laptop: the views'
// icons stand alone only in the views' bar, where it showed a lone @.
func TestBrowserMentionsPageSaysMentionsOnAPhone(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	for _, s := range []screenSize{phone, smallLaptop} {
		b.setScreen(s, false)
		b.open(ls.url() + "/mentions")
		if w := b.eval(`String(Math.round(document.querySelector('main [data-testid=nav-mentions] .nav-label').getBoundingClientRect().width))`); atoi(t, w) < 40 {
			t.Errorf("the Mentions page's link at %s shows its name %s px wide", s.name, w)
		}
	}
	b.setScreen(phone, false)
	b.open(ls.url() + "/inbox")
	if w := b.eval(`String(Math.round(document.querySelector('.nav [data-testid=nav-mentions] .nav-label').getBoundingClientRect().width))`); w != "1" {
		t.Errorf("the views' bar at 390x844 shows Mentions in words, %s px wide", w)
	}
}

// On a phone, after a long reply to a customer of a long name is sent, the
// empty reply box shows its "Reply to ..." from its first line: it kept
// the scroll of the text sent, and the placeholder showed cut at the top.
func TestBrowserReplyBoxShowsItsPlaceholderWholeAfterASend(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Maria-Guadalupe Esperanza Fernández de la Concepción y Montenegro", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	b.waitFor("the reply box", `!!document.querySelector('#thread [data-testid=reply-text]')`)
	b.do("Ana sends a long reply", chromedp.SendKeys(chromedp.CSS(`#thread [data-testid=reply-text]`),
		strings.Repeat("Your parcel left the warehouse this morning and reaches you tomorrow. ", 6)+"\r"))
	b.waitFor("the reply is in the thread, the box empty", `!!document.querySelector('#thread [data-direction=outbound]') &&
		document.querySelector('#thread [data-testid=reply-text]').value === ''`)
	if got := b.eval(`String(document.querySelector('#thread [data-testid=reply-text]').scrollTop)`); got != "0" {
		t.Errorf("the empty reply box is scrolled %s px down its placeholder", got)
	}
}

// On a phone the reply box's "Reply to <name>…" fits its two lines
// whatever the customer's name: a long name is cut, with an ellipsis,
// rather than the placeholder running to a third line out of sight.
func TestBrowserReplyBoxPlaceholderFitsWithALongName(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Maria-Guadalupe Esperanza Fernández de la Concepción y Montenegro", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	b.waitFor("the reply box", `!!document.querySelector('#thread [data-testid=reply-text]')`)
	ph := b.eval(`document.querySelector('#thread [data-testid=reply-text]').placeholder`)
	if !strings.HasPrefix(ph, "Reply to Maria-Guadalupe") {
		t.Errorf("the placeholder is %q, which does not say whom the reply goes to", ph)
	}
	// The placeholder's text, put in the box, needs no more than its height.
	if got := b.eval(`(() => { const ta = document.querySelector('#thread [data-testid=reply-text]');
		ta.value = ta.placeholder; const over = ta.scrollHeight - ta.clientHeight; ta.value = ''; return String(over); })()`); got != "0" {
		t.Errorf("the placeholder %q runs %s px past the box", ph, got)
	}
}
