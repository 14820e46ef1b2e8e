package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"switchboard/inbox"
	"switchboard/web"
)

// TestBrowserSavedReplyFromTheComposer: an admin adds /thanks in the admin
// page; an agent types /tha in a conversation, picks it with Enter, gets
// it filled for the customer and for themselves, and sends it.
func TestBrowserSavedReplyFromTheComposer(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ctx := context.Background()
	hash, err := web.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.db.CreateUser(ctx, &inbox.User{Email: "ana@example.com", Name: "Ana Admin", Role: inbox.RoleAdmin, PasswordHash: hash, Active: true}); err != nil {
		t.Fatal(err)
	}
	ls.addUser("ben@example.com", "Ben Agent")
	if err := ls.db.CreateSavedReply(ctx, &inbox.SavedReply{Shortcut: "hours", Title: "Opening hours", Body: "We are open 9 to 5."}); err != nil {
		t.Fatal(err)
	}
	ls.post(inboundFrom("evt_sr1", "msg_sr1", "+14155550101", "Zoe Quinn", "Thanks for the help!", time.Now()))
	bctx := browser(t, exe)

	ana := newTab(t, bctx)
	ana.login(ls.url(), "ana@example.com")
	ana.do("add /thanks in the admin page",
		chromedp.Navigate(ls.url()+"/admin/saved-replies"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=saved-shortcut]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=saved-shortcut]`), "thanks"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=saved-title]`), "Thank the customer"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=saved-body]`), "Thanks {{contact.name}}, {{agent.name}} here"),
		chromedp.Click(chromedp.CSS(`[data-testid=saved-reply-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=saved-reply-row][data-shortcut=thanks]`)),
	)

	ben := newTab(t, bctx)
	ben.login(ls.url(), "ben@example.com")
	ben.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	box := `document.querySelector('[data-testid=reply-text]')`
	list := `document.querySelector('[data-testid=saved-suggest]')`
	options := `[...document.querySelectorAll('[data-testid=saved-option]')].map(o => o.dataset.shortcut).join()`
	active := `(document.getElementById(` + box + `.getAttribute('aria-activedescendant')) || {dataset: {}}).dataset.shortcut`

	ben.eval(`window.__sends = 0; document.addEventListener('htmx:beforeRequest', e => {
		if (e.detail.requestConfig.verb === 'post' && e.detail.pathInfo.requestPath.endsWith('/messages')) window.__sends++;
	}); ""`)

	// "/" lists every saved reply; the arrows move the choice; Escape
	// closes the list and keeps what was typed.
	ben.do("type /", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "/"))
	ben.waitFor("both saved replies are offered", `!`+list+`.hidden && `+options+` === 'hours,thanks'`)
	ben.waitFor("the first is the active option", active+` === 'hours'`)
	ben.do("Down", chromedp.KeyEvent(kb.ArrowDown))
	ben.waitFor("Down makes /thanks the active option", active+` === 'thanks'`)
	ben.do("Escape", chromedp.KeyEvent(kb.Escape))
	ben.waitFor("Escape closes the list", list+`.hidden && !`+box+`.hasAttribute('aria-activedescendant') && `+box+`.value === '/'`)

	// "/tha" narrows it to /thanks; Enter inserts it, filled, and sends
	// nothing.
	ben.do("type tha", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "tha"))
	ben.waitFor("only /thanks is offered", `!`+list+`.hidden && `+options+` === 'thanks' && `+active+` === 'thanks'`)
	ben.do("Enter picks it", pressEnter())
	ben.waitFor("the composer holds the filled text", box+`.value === 'Thanks Zoe Quinn, Ben Agent here'`)
	// htmx starts a send within the key's own event handling, so a send
	// the Enter caused would be counted by now.
	if got := ben.eval(`String(` + list + `.hidden) + ' ' + window.__sends`); got != "true 0" {
		t.Fatalf("after picking: list hidden and sends = %q, want the list closed and nothing sent", got)
	}
	if got := ben.eval(`localStorage.getItem('draft:' + document.body.dataset.userId + ':' + ` + box + `.dataset.draftKey) || ''`); got != "Thanks Zoe Quinn, Ben Agent here" {
		t.Errorf("the draft kept %q", got)
	}

	// The next Enter sends it, and it is delivered.
	ben.do("Enter sends", pressEnter())
	ben.waitFor("the reply is in the thread, delivered",
		`[...document.querySelectorAll('[data-testid=message][data-direction=outbound]')].some(m =>
			m.textContent.includes('Thanks Zoe Quinn, Ben Agent here') && ['delivered', 'read'].includes(m.dataset.status))`)
	if got := ben.eval(`String(window.__sends)`); got != "1" {
		t.Errorf("%s sends, want 1", got)
	}
	if sent := fake.Sent(); len(sent) != 1 || sent[0].Text != "Thanks Zoe Quinn, Ben Agent here" {
		t.Errorf("Zavu got %+v, want the filled reply once", sent)
	}

	// A click picks an option too.
	ben.waitFor("the box is empty again", box+`.value === ''`)
	ben.do("type /hou", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "/hou"))
	// Each key typed asks for the list anew: the one for "/hou", the last,
	// is the one clicked.
	ben.waitFor("/hours is offered", `!`+list+`.hidden && `+list+`.dataset.query === 'hou' && `+options+` === 'hours'`)
	ben.do("click it", chromedp.Click(chromedp.CSS(`[data-testid=saved-option]`)))
	ben.waitFor("the composer holds its text", box+`.value === 'We are open 9 to 5.' && `+list+`.hidden && document.activeElement === `+box)

	// Enter pressed before the list has come still inserts the saved
	// reply: the customer never gets "/thanks".
	ben.do("type ' /thanks' and Enter at once", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), " /thanks"), pressEnter())
	ben.waitFor("the saved reply is inserted", box+`.value === 'We are open 9 to 5. Thanks Zoe Quinn, Ben Agent here'`)
	if got := ben.eval(`String(window.__sends)`); got != "1" {
		t.Errorf("%s sends after a quick Enter, want still 1", got)
	}
}

// pressEnter presses Enter as a keyboard does: one keyDown that carries the
// text, so that a page which cancels the keydown gets no new line.
// chromedp.KeyEvent sends the text in a separate char event, which Chrome
// types even when the keydown was cancelled.
func pressEnter() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []string{"keyDown", "keyUp"} {
			p := map[string]any{"type": typ, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13}
			if typ == "keyDown" {
				p["text"], p["unmodifiedText"] = "\r", "\r"
			}
			if err := t.Call(ctx, "Input.dispatchKeyEvent", p, nil); err != nil {
				return err
			}
		}
		return nil
	})
}
