package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
	"switchboard/web"
)

// An agent writes notes in a thread's details while the customer writes
// again: the live update of the details keeps what is typed; Save shows
// the notes and closes the form, even when its answer comes after the live
// update it caused.
func TestBrowserContactNotes(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	ls.post(inboundFrom("evt_n1", "msg_n1", "+14155550101", "Zoe Quinn", "Where is my order?", now.Add(-time.Minute)))

	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contact-panel]`)))
	b.do("open the form", chromedp.Click(chromedp.CSS(`[data-testid=contact-edit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contact-notes-input]`)))
	b.do("type notes", chromedp.SendKeys(chromedp.CSS(`[data-testid=contact-notes-input]`), "Call after 5pm"))

	b.eval(`document.querySelector('[data-testid=contact-panel]').__before = true; ''`)
	ls.post(inboundFrom("evt_n2", "msg_n2", "+14155550101", "Zoe Quinn", "Hello? Order #4411", now))
	b.waitFor("the new message is in the thread",
		`document.querySelector('[data-testid=messages]').textContent.includes('Order #4411')`)
	b.waitFor("the details were replaced live and keep the typed notes",
		`(() => { const p = document.querySelector('[data-testid=contact-panel]');
			return !p.__before && p.querySelector('.contact-edit').open
				&& p.querySelector('[data-testid=contact-notes-input]').value === 'Call after 5pm'; })()`)
	// Clicked in the page: a further live update may replace the details
	// between finding the button and clicking it. The answer is held back
	// until the save's own live update has replaced the details, as on a
	// loaded server: the form still closes when it comes.
	release := ls.holdAnswers("/contacts/1")
	b.eval(`document.querySelector('[data-testid=contact-panel]').__before = true; ''`)
	b.eval(`document.querySelector('[data-testid=contact-save]').click(); ''`)
	b.waitFor("the save's live update replaced the details",
		`(() => { const p = document.querySelector('[data-testid=contact-panel]');
			return !p.__before && p.querySelector('[data-testid=contact-notes]').textContent === 'Call after 5pm'; })()`)
	release()
	b.waitFor("the notes show, the form closed",
		`(() => { const p = document.querySelector('[data-testid=contact-panel]');
			return p.querySelector('[data-testid=contact-notes]').textContent === 'Call after 5pm'
				&& !p.querySelector('.contact-edit').open; })()`)
}

// Ana has the contact form open in a thread's details while a script of
// the team's CRM saves other notes. A form she has not typed notes into
// shows the new ones. Once she has typed hers, the next update keeps her
// text, and Save does not silently replace theirs: she is told, theirs
// show above the form, and Save again replaces them.
func TestBrowserContactNotesChangedMeanwhile(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ctx := t.Context()
	const secret = "sbt_crm_sync_0123456789abcdef0123456789abcdef"
	tok := inbox.APIToken{Name: "CRM sync", Hash: web.HashAPIToken(secret), Scope: inbox.ScopeWrite, CreatedAt: time.Now()}
	if err := ls.db.CreateAPIToken(ctx, &tok); err != nil {
		t.Fatal(err)
	}
	patch := func(notes string) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"notes": notes})
		req, _ := http.NewRequest(http.MethodPatch, ls.url()+"/api/v1/contacts/1", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the CRM's PATCH: %d", resp.StatusCode)
		}
	}
	ls.post(inboundFrom("evt_n1", "msg_n1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))

	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contact-panel]`)))
	b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	b.do("open the form", chromedp.Click(chromedp.CSS(`[data-testid=contact-edit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=contact-notes-input]`)))
	const form = `document.querySelector('#thread [data-testid=contact-panel]')`
	patch("Invoice W-55123 disputed")
	b.waitFor("the form she has not typed into shows the new notes",
		form+`.querySelector('.contact-edit').open && `+form+`.querySelector('[data-testid=contact-notes-input]').value === 'Invoice W-55123 disputed'`)

	b.eval(form + `.querySelector('[data-testid=contact-notes-input]').value = ''; ''`)
	b.do("type notes", chromedp.SendKeys(chromedp.CSS(`#thread [data-testid=contact-notes-input]`), "Call after 5pm"))
	patch("Refund sent on 12 Nov")
	b.waitFor("the details show the CRM's notes and keep Ana's text",
		form+`.querySelector('[data-testid=contact-notes]').textContent === 'Refund sent on 12 Nov' && `+
			form+`.querySelector('.contact-edit').open && `+form+`.querySelector('[data-testid=contact-notes-input]').value === 'Call after 5pm'`)
	b.eval(form + `.querySelector('[data-testid=contact-save]').click(); ''`)
	const toast = `(document.querySelector('[data-testid=action-error]') || {textContent: ''})`
	b.waitFor("Ana is told the notes changed", toast+`.textContent.includes('A script using the API changed these notes')`)
	if d, err := ls.db.ContactDetails(ctx, 1); err != nil || d.Notes != "Refund sent on 12 Nov" {
		t.Fatalf("after the refused save the notes are %q (%v), want the CRM's", d.Notes, err)
	}
	if got := b.eval(form + `.querySelector('[data-testid=contact-notes-input]').value`); got != "Call after 5pm" {
		t.Errorf("Ana's text after the refusal: %q", got)
	}
	b.eval(form + `.querySelector('[data-testid=contact-save]').click(); ''`)
	b.waitFor("saved again, her notes show and the form closes",
		form+`.querySelector('[data-testid=contact-notes]').textContent === 'Call after 5pm' && !`+form+`.querySelector('.contact-edit').open`)
}

// The contacts page on a phone: each contact is a card within the screen
// (name, latest contact, number, conversations), with nothing to scroll
// sideways to; on a laptop, a table with its headings.
func TestBrowserContactsOnAPhone(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	ls.post(inboundFrom("evt_p1", "msg_p1", "+14155550101", "Maximiliana Von Long-Name der Dritte", "Hi", now.Add(-time.Minute)))
	ls.post(inboundFrom("evt_p2", "msg_p2", "+14155550102", "Zoe Quinn", "Hello", now))
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/contacts")
	if got := b.eval(`(() => {
		const out = [], main = document.querySelector('main');
		if (main.scrollWidth > main.clientWidth) out.push('the page scrolls sideways: ' + main.scrollWidth + ' px in ' + main.clientWidth);
		for (const r of document.querySelectorAll('[data-testid=contact-row]')) {
			const box = r.getBoundingClientRect();
			if (box.right > innerWidth) out.push(r.textContent.trim().slice(0, 20) + ' ends at ' + box.right + ' px');
			const last = r.querySelector('.contact-last').getBoundingClientRect(), name = r.cells[0].getBoundingClientRect();
			if (last.width === 0 || last.top !== name.top) out.push(r.textContent.trim().slice(0, 20) + ': the latest contact is not beside the name');
		}
		const first = document.querySelector('[data-testid=contact-row]').textContent.replace(/\s+/g, ' ');
		if (!first.includes('Zoe Quinn') || !first.includes('1 conversation')) out.push('first card: ' + first);
		return out.join('; ');
	})()`); got != "" {
		t.Error(got)
	}
	b.accessible("the contacts at 390x844", false)
	// The whole card opens the contact, not the name's line alone (18 px
	// tall): a tap on the number does.
	var x, y float64
	if _, err := fmt.Sscan(b.eval(`(r => (r.left + r.width / 2) + ' ' + (r.top + r.height / 2))(document.querySelector('[data-testid=contact-row] .contact-phone').getBoundingClientRect())`), &x, &y); err != nil {
		t.Fatal(err)
	}
	b.do("tap Zoe's number", chromedp.MouseClickXY(x, y))
	b.waitAcrossLoads("Zoe's page opens", `location.pathname.startsWith('/contacts/') && document.querySelector('h1')?.textContent.includes('Zoe Quinn')`)
	b.open(ls.url() + "/contacts")
	b.setScreen(laptop, false)
	b.waitFor("a table with its headings on a laptop", `document.querySelector('.contacts-table thead').getBoundingClientRect().height > 1 &&
		getComputedStyle(document.querySelector('.contact-count-unit')).display === 'none'`)
}

// A contact's conversations say which of the business's numbers each was
// with by the name agents gave it, on the contact's page and in a thread's
// details, not by Zavu's id for it.
func TestBrowserContactConversationsNameTheirSender(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	if err := ls.db.SyncSenders(context.Background(), []inbox.Sender{{ID: "snd_abc123", Name: "Support line", Phone: "+13125559876"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	ls.post(inboundFrom("evt_s1", "msg_s1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now().Add(-time.Minute)))
	// The thread's details list the contact's conversations when it has
	// more than the one on screen: a text message makes a second.
	ls.post(event("evt_s2", "message.inbound", time.Now(), map[string]any{"messageId": "msg_s2", "from": "+14155550101",
		"to": "+13125559876", "channel": "sms", "messageType": "text", "text": "Also by text"}))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	id := b.conversationOf("Zoe Quinn")
	b.open(ls.url() + "/conversations/" + id)
	b.waitFor("the thread's details name the sender", `document.querySelector('[data-testid=contact-panel] [data-testid=contact-conv]').textContent.includes('via Support line')`)
	b.open(b.eval(`document.querySelector('[data-testid=contact-panel] [data-testid=contact-link]').href`))
	if got := b.eval(`document.querySelector('[data-testid=contact-conv]').textContent.replace(/\s+/g, ' ').trim()`); !strings.Contains(got, "via Support line") {
		t.Errorf("the contact page lists the conversation as %q", got)
	}
}
