package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// longWord is a name of 300 characters without a space, where a page can
// break it nowhere but where it says.
var longWord = strings.Repeat("Supercalifragilistic", 15)

// smallLinksAlone names the links alone on their line in a page's main
// part (back to a list), not one within a sentence, less than 44 px tall.
const smallLinksAlone = `[...document.querySelectorAll('main p > a')].filter(a => a.parentElement.textContent.trim() === a.textContent.trim() && a.checkVisibility())
	.filter(a => a.getBoundingClientRect().height < 44).map(a => a.textContent + ' is ' + Math.round(a.getBoundingClientRect().height) + ' px tall').join('; ')`

// The admin pages, the reports and the agent's settings at 390x844, light
// and dark, with names of 300 characters without a space (an agent, a
// label, a token, a saved reply, a keyword rule, a sender, a template, a
// contact): nothing reaches past the screen or scrolls sideways, the
// fields take a thumb, their edges stand out and axe passes.
func TestBrowserAdminReportsAndSettingsWithLongWordsOnAPhone(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ctx := context.Background()
	now := time.Now().UTC()
	ana := ls.addAdmin("ana@example.com", "Ana "+longWord)
	long := ls.addAdmin(longWord+"@example.com", longWord)
	ls.post(inboundFrom("evt_l1", "msg_l1", "+14155550101", longWord, longWord, now.Add(-20*time.Minute)))
	var conv, contact int64
	for deadline := time.Now().Add(30 * time.Second); conv == 0; {
		cs, _, err := ls.db.Conversations(ctx, inbox.ConversationFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) > 0 {
			conv, contact = cs[0].ID, cs[0].Contact.ID
		} else if time.Now().After(deadline) {
			t.Fatal("the webhook made no conversation")
		} else {
			time.Sleep(20 * time.Millisecond) // poll again
		}
	}
	if _, _, err := ls.db.QueueReply(ctx, inbox.Reply{ConversationID: conv, AuthorID: &long, Source: inbox.SourceAgent,
		Type: inbox.TypeText, Text: longWord, IdempotencyKey: "k_l1", At: now.Add(-8 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.db.Assign(ctx, conv, &long, now.Add(-7*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.db.SetStatus(ctx, conv, inbox.Resolved, now.Add(-6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	tok := inbox.APIToken{Name: longWord, Hash: "hash-long", Scope: inbox.ScopeRead, CreatedAt: now, CreatedBy: &ana}
	if err := ls.db.CreateAPIToken(ctx, &tok); err != nil {
		t.Fatal(err)
	}
	if err := ls.db.SyncSenders(ctx, []inbox.Sender{{ID: "snd_abc123", Name: longWord, Phone: "+13125559876"}}, now); err != nil {
		t.Fatal(err)
	}
	if err := ls.db.SyncTemplates(ctx, []inbox.Template{{ID: "tpl_1", Name: strings.ToLower(longWord), Language: "en_US", Category: "UTILITY",
		Status: "approved", Body: "Hi {{1}}", UpdatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	if err := ls.db.CreateSavedReply(ctx, &inbox.SavedReply{Shortcut: strings.ToLower(longWord[:32]), Title: longWord[:80], Body: longWord}); err != nil {
		t.Fatal(err)
	}
	if err := ls.db.CreateLabel(ctx, &inbox.Label{Name: longWord[:40], Colour: "teal", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.db.UpdateAutoReplies(ctx, now, func(c *inbox.AutoReplyConfig) error {
		c.Keywords = append(c.Keywords, inbox.KeywordRule{ID: 1, Name: longWord[:60], Keywords: []string{longWord},
			AutoReplyMessage: inbox.AutoReplyMessage{Enabled: true, Text: longWord}})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := ls.db.AddAudit(ctx, inbox.AuditEntry{At: now, UserID: &long, Action: "user.add", Detail: longWord}); err != nil {
		t.Fatal(err)
	}

	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	pages := []string{"/admin", "/admin/auto-replies", "/admin/auto-replies/rules/1", "/admin/satisfaction", "/admin/saved-replies", "/admin/saved-replies/1", "/admin/labels",
		"/admin/agents", "/admin/agents/" + strconv.FormatInt(long, 10), "/admin/tokens", "/admin/senders", "/admin/templates",
		"/admin/webhooks", "/admin/audit", "/admin/settings", "/reports", "/settings/notifications"}
	for _, dark := range []bool{false, true} {
		b.setScreen(phone, dark)
		for _, p := range pages {
			b.open(ls.url() + p)
			b.eval(`document.querySelectorAll('main details').forEach(d => d.open = true), ''`)
			if got := b.eval(adminOnAPhone); got != "" {
				t.Errorf("%s at 390x844 (dark %v): %s", p, dark, got)
			}
			if got := b.eval(smallerThan(tapFields+`, main .btn, main summary`, 44)); got != "" {
				t.Errorf("%s at 390x844 (dark %v): %s", p, dark, got)
			}
			if got := b.eval(smallLinksAlone); got != "" {
				t.Errorf("%s at 390x844 (dark %v): %s", p, dark, got)
			}
			if got := b.eval(fieldBorderContrast); got != "" {
				t.Errorf("%s at 390x844 (dark %v): %s", p, dark, got)
			}
			b.accessible(p+" at 390x844 (dark "+strconv.FormatBool(dark)+")", dark)
		}
	}
	// An agent's own report leads back to the inbox, as big.
	ls.addUser("ben@example.com", "Ben")
	ben := newTab(t, browser(t, exe))
	ben.setScreen(phone, false)
	ben.login(ls.url(), "ben@example.com")
	ben.open(ls.url() + "/reports")
	if got := ben.eval(smallerThan(`main [data-testid=back-to-inbox]`, 44)); got != "" {
		t.Errorf("an agent's report at 390x844: %s", got)
	}

	// The contacts and mentions pages lead back to the inbox, and a
	// contact back to the contacts, as big.
	for _, p := range []string{"/contacts", "/contacts/" + strconv.FormatInt(contact, 10), "/mentions"} {
		ben.open(ls.url() + p)
		if got := ben.eval(`String(document.querySelectorAll('main [data-testid^=back-to]').length)`); got == "0" {
			t.Errorf("%s has no link back", p)
		}
		if got := ben.eval(smallLinksAlone); got != "" {
			t.Errorf("%s at 390x844: %s", p, got)
		}
	}

	// On a laptop the long names stay within the page too.
	b.setScreen(smallLaptop, false)
	for _, p := range pages {
		b.open(ls.url() + p)
		b.eval(`document.querySelectorAll('main details').forEach(d => d.open = true), ''`)
		if got := b.eval(`(() => { const d = document.scrollingElement, m = document.querySelector('main'), out = [];
			if (d.scrollWidth > innerWidth) out.push('the page is ' + d.scrollWidth + ' px wide');
			if (m.scrollWidth > m.clientWidth) out.push('main is ' + m.scrollWidth + ' px wide in ' + m.clientWidth);
			const past = [...m.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > m.getBoundingClientRect().right + 0.5 && e.getClientRects().length > 0);
			const innermost = past.filter(e => !past.some(c => c !== e && e.contains(c)));
			if (innermost.length) out.push('past its edge: ' + innermost.slice(0, 4).map(e => e.tagName.toLowerCase() + (e.dataset.testid ? '[' + e.dataset.testid + ']' : e.className ? '.' + e.className.split(' ')[0] : '') + ' ends at ' + Math.round(e.getBoundingClientRect().right)).join(', '));
			return out.join('; '); })()`); got != "" {
			t.Errorf("%s at 1280x800: %s", p, got)
		}
	}
}
