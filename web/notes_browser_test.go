package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// waitSent waits until the fake Zavu has had n sends, and returns them.
func waitSent(t *testing.T, fake *zavu.Fake, n int) []zavu.Message {
	t.Helper()
	deadline := time.Now().Add(browserPatience)
	for {
		sent := fake.Sent()
		if len(sent) >= n || time.Now().After(deadline) {
			if len(sent) != n {
				t.Fatalf("Zavu got %d messages, want %d", len(sent), n)
			}
			return sent
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two agents on one conversation: Ben answers while Ana has a draft, and
// Ana's Send is stopped with Ben's answer shown until she sends again;
// Ana's note with @Ben reaches Ben's Mentions badge live and never Zavu.
func TestBrowserSendGuardAndMentionedNote(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ls.post(inboundFrom("evt_g1", "msg_g1", "+14155550121", "Zoe Quinn", "Where is my parcel?", time.Now()))
	bctx := browser(t, exe)
	ana, ben := newTab(t, bctx), newTab(t, bctx)
	ana.openFirst(ls.url(), "ana@example.com")
	ben.openFirst(ls.url(), "ben@example.com")

	ana.do("Ana starts a draft", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Let me look into it"))
	ben.do("Ben answers", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "It left the depot today\r"))
	ana.waitFor("Ben's answer reaches Ana's thread",
		`document.querySelector('[data-testid=messages]').textContent.includes('It left the depot today')`)
	// The list's preview says whose the answer is: "You" on Ben's page,
	// his name on Ana's (one row, rendered once for both).
	const preview = `document.querySelector('[data-testid=row-preview]').innerText.trim()`
	ben.waitFor("Ben's preview says You", preview+` === 'You: It left the depot today'`)
	ana.waitFor("Ana's preview names Ben", preview+` === 'Ben: It left the depot today'`)

	ana.do("Ana presses Send", chromedp.Click(chromedp.CSS(`[data-testid=send]`)))
	ana.waitFor("the send is stopped with Ben's answer shown",
		`document.querySelector('[data-testid=draft-changed]')?.textContent.includes('It left the depot today') &&
		 document.querySelector('[data-testid=composer-error]')?.textContent.includes('Ben Agent replied')`)
	if v := ana.eval(`document.querySelector('[data-testid=reply-text]').value`); v != "Let me look into it" {
		t.Errorf("the stopped draft is %q", v)
	}
	if n := len(fake.Sent()); n > 1 {
		t.Fatalf("Zavu got %d messages after the stopped send", n)
	}
	ana.do("Ana sends again", chromedp.Click(chromedp.CSS(`[data-testid=send]`)))
	ana.waitFor("Ana's reply is in the thread and the box is gone",
		`[...document.querySelectorAll('[data-testid=message][data-direction=outbound]')].some(m => m.textContent.includes('Let me look into it')) &&
		 !document.querySelector('[data-testid=draft-changed]') && !document.querySelector('[data-testid=composer-error]')`)

	// A note with @Ben, picked from the list. Ben also has his Mentions
	// page open in another tab.
	ben.waitFor("Ben has no unseen mention", `document.querySelector('[data-testid=mentions-badge]').hidden`)
	benMentions := newTab(t, bctx)
	benMentions.login(ls.url(), "ben@example.com")
	benMentions.do("Ben opens his Mentions", chromedp.Navigate(ls.url()+"/mentions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=mentions-empty]`)))
	waitFor(t, "three live pages", func() bool { return ls.web.Hub().Clients() == 3 })
	ana.do("Ana switches to a note and types @Be",
		chromedp.Click(chromedp.CSS(`[data-testid=tab-note]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=note-text]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=note-text]`), "@Be"))
	ana.waitFor("the picker offers Ben, with his avatar",
		`[...document.querySelectorAll('[data-testid=mention-option]')].map(o => o.textContent).join() === 'BABen Agent' &&
		 document.querySelector('[data-testid=mention-option] [data-testid=avatar]').textContent === 'BA'`)
	ana.do("pick Ben and send the note",
		chromedp.Click(chromedp.CSS(`[data-testid=mention-option]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=note-text]`), "can you call the courier?\r"))
	ana.waitFor("the note shows as Ana's note",
		`document.querySelector('[data-testid=note]')?.textContent.includes('@Ben Agent can you call the courier?') &&
		 document.querySelector('[data-testid=note-label]').textContent.includes('Note by Ana Admin')`)
	ben.waitFor("Ben's badge counts the mention, live",
		`(b => !b.hidden && b.textContent === '1')(document.querySelector('[data-testid=mentions-badge]'))`)
	ben.waitFor("Ben's thread shows the note", `!!document.querySelector('[data-testid=note]')`)
	benMentions.waitFor("the mention comes to Ben's open Mentions page, live",
		`(i => !!i && i.textContent.includes('Zoe Quinn') && i.textContent.includes('can you call the courier?') &&
		  i.textContent.includes('Ana Admin'))(document.querySelector('[data-testid=mention-item]'))`)

	// A reply after the note goes out behind anything queued before it:
	// once Zavu has it, the note would have gone too, and it did not.
	ana.do("Ana replies after the note",
		chromedp.Click(chromedp.CSS(`[data-testid=tab-reply]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Back to you shortly\r"))
	sent := waitSent(t, fake, 3)
	for _, m := range sent {
		if strings.Contains(m.Text, "courier") {
			t.Errorf("the note reached Zavu: %+v", m)
		}
	}
	// The nav's counts follow assignments and resolutions on every page.
	count := func(view string) string {
		return `(document.querySelector('[data-testid=nav-count-` + view + `]') || {}).textContent`
	}
	for _, tb := range []*tab{ana, ben} {
		tb.waitFor("one open, unassigned conversation", count("open")+` === '1' && `+count("unassigned")+` === '1' && `+count("mine")+` === '0'`)
	}
	// A live update may redraw the header at any moment: each click is
	// one script, once htmx has wired up what the last swap brought.
	settled := `!document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping')`
	ben.waitFor("Ben's header has settled", settled)
	ben.eval(`document.querySelector('[data-testid=assign-me]').click(); ""`)
	ben.waitFor("Ben's Mine and Unassigned follow", count("mine")+` === '1' && `+count("unassigned")+` === '0'`)
	ana.waitFor("Ana's Unassigned follows; her Mine stays", count("unassigned")+` === '0' && `+count("mine")+` === '0'`)
	ana.waitFor("Ana's header has settled", settled)
	ana.eval(`document.querySelector('[data-testid=resolve]').click(); ""`)
	ben.waitFor("Ben's Open and Mine empty, live", count("open")+` === '0' && `+count("mine")+` === '0'`)

	// A note's actions: Ana edits and deletes her own; Ben, an agent,
	// sees none on hers; made an admin, he may delete it, not edit it.
	actions := `(d => !d || d.hidden ? '' : [...d.querySelectorAll('summary > span, form')].filter(e => !e.hidden).map(e => e.tagName === 'FORM' ? 'form:' + e.getAttribute('hx-post').split('/').pop() : e.textContent).join())(document.querySelector('[data-note-actions]'))`
	ana.waitFor("Ana may edit or delete her note", actions+` === 'Edit or delete,form:`+ana.eval(`document.querySelector('[data-testid=note]').closest('[id^=m-]').id.slice(2)`)+`,form:delete'`)
	if got := ben.eval(actions); got != "" {
		t.Errorf("an agent sees actions on a teammate's note: %s", got)
	}
	benUser, err := ls.db.UserByEmail(context.Background(), "ben@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.db.SetRole(context.Background(), benUser.ID, inbox.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	// Ana rewrites her note: Ben's open Mentions page shows its new text.
	ana.eval(`(id => fetch('/conversations/1/notes/' + id, {method: 'POST', headers: {'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content,
		'Content-Type': 'application/x-www-form-urlencoded'}, body: 'text=' + encodeURIComponent('@Ben Agent the courier comes Tuesday')}))(
		document.querySelector('[data-testid=note]').closest('[id^=m-]').id.slice(2)); ""`)
	benMentions.waitFor("Ben's Mentions page shows the note as Ana rewrote it",
		`(i => !!i && i.textContent.includes('the courier comes Tuesday') && !i.textContent.includes('call the courier'))(document.querySelector('[data-testid=mention-item]'))`)
	ben.do("Ben's page again, as an admin", chromedp.Reload())
	ben.waitFor("Ben may delete Ana's note, not edit it", actions+` === 'Delete,form:delete'`)
	ben.eval(`window.confirm = () => true; document.querySelector('[data-note-actions]').open = true;
		document.querySelector('[data-testid=note-delete]').click(); ""`)
	ana.waitFor("the note leaves Ana's thread, live", `!document.querySelector('[data-testid=note]')`)
	benMentions.waitFor("and Ben's Mentions page no longer lists it", `!document.querySelector('[data-testid=mention-item]')`)
}

// On a phone, Ana writes a note about a conversation whose WhatsApp window
// has closed, with @Be typed and the picker offering Ben; the customer
// writes again, which opens the window and turns the composer from
// templates to free text under her. She stays on her note: its text, the
// caret, the focus and the picker are as they were, and the next keys go
// on with the mention.
func TestBrowserNoteKeptWhenTheWindowOpens(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now().Add(-25*time.Hour)))
	b := newTab(t, browser(t, exe))
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	b.waitFor("the composer offers templates", `document.querySelector('#thread .composer').dataset.mode === 'template'`)
	b.do("Note", chromedp.Click(chromedp.CSS(`#thread [data-testid=tab-note]`)))
	b.do("type a note", chromedp.SendKeys(chromedp.CSS(`#thread [data-testid=note-text]`), "Called twice today, @Be"))
	b.waitFor("the picker offers Ben", `!!document.querySelector('#thread [data-testid=mention-option]')`)

	ls.post(inboundFrom("evt_2", "msg_2", "+14155550101", "Zoe Quinn", "Hello again", time.Now()))
	b.waitFor("the window opens", `document.querySelector('#thread .composer').dataset.mode !== 'template'`)
	if got := b.eval(`(() => { const out = [], c = document.querySelector('#thread .composer'), ta = c.querySelector('[data-testid=note-text]');
		if (c.dataset.tab !== 'note' || c.querySelector('[data-testid=tab-note]').getAttribute('aria-selected') !== 'true') out.push('the composer shows ' + c.dataset.tab);
		if (ta.value !== 'Called twice today, @Be') out.push('the note reads "' + ta.value + '"');
		if (document.activeElement !== ta) out.push('the focus is on ' + document.activeElement.tagName + '#' + document.activeElement.id);
		if (ta.selectionStart !== ta.value.length) out.push('the caret is at ' + ta.selectionStart);
		if (!c.querySelector('[data-testid=mention-option]') || c.querySelector('[data-testid=mention-suggest]').hidden) out.push('the picker closed');
		return out.join('; '); })()`); got != "" {
		t.Errorf("the customer wrote while Ana was writing a note: %s", got)
	}
	b.do("go on typing", chromedp.KeyEvent("n"))
	b.waitFor("the keys go on in the note", `document.querySelector('#thread [data-testid=note-text]').value === 'Called twice today, @Ben'`)
}

// A note edited or deleted from the keyboard leaves the keyboard where it
// was: saved, the focus is on the note's "Edit or delete" again; deleted,
// on the composer. The note's bubble, redrawn or gone, took the focus with
// it to the page itself, and Tab started again from "Skip to content".
func TestBrowserNoteEditedOrDeletedKeepsTheFocus(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ana := ls.userID("ana@example.com")
	ls.post(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe Quinn", "Where is my order?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.openFirst(ls.url(), "ana@example.com")
	if _, _, _, err := ls.db.AddNote(t.Context(), inbox.Note{ConversationID: 1, AuthorID: &ana, Text: "Call the courier", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	b.do("the thread again, with her note", chromedp.Reload())
	focused := `(a => a.dataset.testid || a.tagName)(document.activeElement)`

	b.waitFor("her note offers its actions", `!document.querySelector('[data-note-actions]').hidden`)
	b.eval(`document.querySelector('[data-testid=note-actions]').focus(); ""`)
	b.key("\r")
	b.waitFor("the actions are open", `document.querySelector('[data-note-actions]').open`)
	b.eval(`(t => { t.focus(); t.select(); })(document.querySelector('[data-testid=note-edit-text]')); ""`)
	b.do("she rewrites it", chromedp.SendKeys(chromedp.CSS(`[data-testid=note-edit-text]`), "Call the courier before noon"))
	b.eval(`document.querySelector('[data-testid=note-edit-save]').focus(); ""`)
	b.key("\r")
	b.waitFor("the note is saved", `document.querySelector('[data-testid=note]').textContent.includes('before noon') && !document.querySelector('#thread .htmx-request')`)
	b.waitFor("the focus is on the note's Edit or delete again", focused+` === 'note-actions'`)

	b.eval(`window.confirm = () => true; document.querySelector('[data-note-actions]').open = true; document.querySelector('[data-testid=note-delete]').focus(); ""`)
	b.key("\r")
	b.waitFor("the note is gone", `!document.querySelector('[data-testid=note]')`)
	b.waitFor("the focus is on the composer", `['reply-text', 'note-text'].includes(`+focused+`)`)
}
