package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// rowsCutShort reports, for every row of the list, a name cut short while
// the row's labels take room it could have had (more than their first
// 3em), a time not wholly within the row, and labels that run into the
// time or past the row.
const rowsCutShort = `(() => [...document.querySelectorAll('[data-testid=conv-row]')].flatMap(row => {
	const top = row.querySelector('.row-top').getBoundingClientRect();
	const name = row.querySelector('.row-name'), time = row.querySelector('.row-time').getBoundingClientRect();
	const labels = row.querySelector('.row-labels'), who = name.textContent.trim();
	const out = [];
	if (time.width === 0 || time.left < top.left || time.right > top.right + 0.5) {
		out.push(who + ': the time at ' + Math.round(time.left) + '..' + Math.round(time.right) + ' px, the row ' + Math.round(top.left) + '..' + Math.round(top.right));
	}
	if (!labels) return out;
	const l = labels.getBoundingClientRect();
	const em = parseFloat(getComputedStyle(labels).fontSize);
	if (name.scrollWidth > name.clientWidth + 1 && l.width > 3 * em + 1) {
		out.push(who + ': the name shows ' + name.clientWidth + ' of ' + name.scrollWidth + ' px beside ' + Math.round(l.width) + ' px of labels');
	}
	if (l.right > time.left + 0.5 || l.right > top.right + 0.5) {
		out.push(who + ': labels end at ' + Math.round(l.right) + ' px, the time starts at ' + Math.round(time.left));
	}
	return out;
}).join('; '))()`

// Labels never hide who wrote or when: in a list row the name and the
// time show whatever the labels, which take the room left between them;
// on a tablet held upright the thread's header takes its short form, as
// on a phone, so that a labelled conversation leaves the messages room.
func TestBrowserLabelsLeaveTheNameAndTime(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ana := ls.addAdmin("ana@example.com", "Ana Lopez")
	ctx := context.Background()
	now := time.Now()
	customers := []string{"Zoe Quinn-Montgomery-Alexander", "Al", "Bartholomew Featherstonehaugh-Cholmondeley", "Cy Long-Labels"}
	for i, name := range customers {
		n := string(rune('1' + i))
		ls.post(inboundFrom("evt_l"+n, "msg_l"+n, "+1415555010"+n, name,
			"Where is my order? "+strings.Repeat("It was due on Monday. ", 6), now.Add(time.Duration(i)*time.Second)))
	}
	long := []string{"Billing", "Refund requested by the customer", "Shipping delay - warehouse 3", "VIP"}
	for i, name := range long {
		if err := ls.db.CreateLabel(ctx, &inbox.Label{Name: name, Colour: inbox.LabelColours[i+1], CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}

	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.waitFor("every conversation is listed", `document.querySelectorAll('[data-testid=conv-row]').length === 4`)
	byName := map[string]int64{}
	for _, name := range customers {
		byName[name] = int64(atoi(t, b.conversationOf(name)))
	}
	vip := []string{"VIP"}
	for _, u := range []struct {
		who    []string
		labels *[]string
	}{
		{[]string{customers[0], customers[3]}, &long},
		{[]string{customers[1], customers[2]}, &vip},
	} {
		ids := []int64{byName[u.who[0]], byName[u.who[1]]}
		if _, _, err := ls.db.UpdateConversations(ctx, ids, inbox.ConversationUpdate{Labels: u.labels, Assign: true, AssigneeID: &ana, By: ana}, now); err != nil {
			t.Fatal(err)
		}
	}

	for _, s := range []screenSize{phone, smallPortrait, portrait, tablet, laptop} {
		b.setScreen(s, false)
		b.open(ls.url() + "/inbox")
		b.waitFor("the labels show", `document.querySelectorAll('[data-testid=conv-row] [data-testid=label-chip]').length === 10`)
		if got := b.eval(rowsCutShort); got != "" {
			t.Errorf("at %s: %s", s.name, got)
		}
		// A short name beside long labels shows whole.
		if got := b.eval(`(() => { const n = document.getElementById('c-` + itoa(byName["Cy Long-Labels"]) + `').querySelector('.row-name');
			return n.scrollWidth > n.clientWidth ? n.clientWidth + ' of ' + n.scrollWidth + ' px' : '' })()`); got != "" {
			t.Errorf("at %s: Cy Long-Labels shows %s of the name", s.name, got)
		}
		if s.w > 960 || s.w <= 760 {
			continue
		}
		b.open(ls.url() + "/conversations/" + itoa(byName[customers[0]]))
		head := atoi(t, b.eval(`String(Math.round(document.querySelector('.thread-head').getBoundingClientRect().height))`))
		if int64(head) > s.h/5 {
			t.Errorf("at %s the thread's header is %d px tall", s.name, head)
		}
		b.fits("a labelled thread at " + s.name)
		b.accessible("a labelled thread at "+s.name, false)
	}
}
