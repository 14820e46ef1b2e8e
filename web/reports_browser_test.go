package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
)

// TestBrowserReportsPage: an admin opens Reports after a customer wrote and
// an agent answered; every chart is drawn with that data at a real size
// under the strict CSP, and the CSV link downloads the conversation.
func TestBrowserReportsPage(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ctx := context.Background()
	ls.addUser("ana@example.com", "Ana Admin")
	ana, err := ls.db.UserByEmail(ctx, "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.db.SetRole(ctx, ana.ID, inbox.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ls.post(inboundText("evt_r1", "msg_r1", "Is my parcel lost?", now.Add(-20*time.Minute)))
	var conv int64
	deadline := time.Now().Add(30 * time.Second)
	for conv == 0 {
		cs, _, err := ls.db.Conversations(ctx, inbox.ConversationFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) > 0 {
			conv = cs[0].ID
		} else if time.Now().After(deadline) {
			t.Fatal("the webhook made no conversation")
		} else {
			time.Sleep(20 * time.Millisecond) // poll again
		}
	}
	sendReply(t, ls.db, inbox.Reply{ConversationID: conv, AuthorID: &ana.ID, Source: inbox.SourceAgent,
		Type: inbox.TypeText, Text: "Found it", IdempotencyKey: "k_r1", At: now.Add(-8 * time.Minute)})

	admin := newTab(t, browser(t, exe))
	admin.login(ls.url(), "ana@example.com")
	admin.do("open Reports",
		chromedp.Navigate(ls.url()+"/reports"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=chart-days]`)),
	)
	for _, id := range []string{"chart-days", "chart-heatmap", "chart-histogram", "chart-agents"} {
		if w := admin.eval(`String(Math.round(document.querySelector('[data-testid=` + id + `]').getBoundingClientRect().width))`); w == "0" {
			t.Errorf("%s is not drawn", id)
		}
	}
	if got := admin.eval(`document.querySelector('[data-testid=chart-days] .chart-inbound').getAttribute('points')`); !strings.Contains(got, ",") {
		t.Errorf("the volume line has no points: %q", got)
	}
	if got := admin.eval(`getComputedStyle(document.querySelector('[data-testid=chart-heatmap] .heat-5')).fill`); got == "" || got == "none" {
		t.Errorf("the busiest hour is not shaded: fill %q", got)
	}
	if got := admin.eval(`String(document.querySelectorAll('[data-testid=chart-histogram] rect.chart-bar[height]:not([height="0"])').length)`); got != "1" {
		t.Errorf("%s histogram bars with height, want 1", got)
	}
	if got := admin.eval(`document.querySelector('[data-testid=figure-first-response-p50] .report-value').textContent.trim()`); got != "12 min" {
		t.Errorf("first response median %q, want 12 min", got)
	}
	admin.do("download the CSV through the page's link",
		chromedp.Evaluate[chromedp.Void](`fetch(document.querySelector('[data-testid=report-export]').href).then(r => r.text()).then(t => { window.__csv = t })`),
	)
	admin.waitFor("the CSV arrives", `typeof window.__csv === 'string'`)
	csv := admin.eval(`window.__csv`)
	if lines := strings.Split(strings.TrimSpace(csv), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "conversation_id,") || !strings.Contains(lines[1], "Ana Admin") {
		t.Errorf("CSV %q", csv)
	}
}

// TestBrowserReportChartsReadableOnSmallScreens: on a phone and on a
// tablet held upright the charts shrink to the screen; their labels (days,
// hours, weekdays, the histogram's bars, agents' names and counts) stay
// at least as large as the app's smallest text, 11 px, on the screen, and
// clear of each other; a long name is cut short. So on a laptop, where a
// month's last day was cut off at the chart's edge.
func TestBrowserReportChartsReadableOnSmallScreens(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ctx := context.Background()
	ana := ls.addAdmin("ana@example.com", "Bartholomew Featherstonehaugh")
	now := time.Now().UTC()
	ls.post(inboundText("evt_r1", "msg_r1", "Is my parcel lost?", now.Add(-20*time.Minute)))
	var conv int64
	deadline := time.Now().Add(30 * time.Second)
	for conv == 0 {
		cs, _, err := ls.db.Conversations(ctx, inbox.ConversationFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) > 0 {
			conv = cs[0].ID
		} else if time.Now().After(deadline) {
			t.Fatal("the webhook made no conversation")
		} else {
			time.Sleep(20 * time.Millisecond) // poll again
		}
	}
	sendReply(t, ls.db, inbox.Reply{ConversationID: conv, AuthorID: &ana, Source: inbox.SourceAgent,
		Type: inbox.TypeText, Text: "Found it", IdempotencyKey: "k_r1", At: now.Add(-8 * time.Minute)})
	// Ana resolves it too: her two counts stand one above the other.
	if _, err := ls.db.Assign(ctx, conv, &ana, now.Add(-7*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.db.SetStatus(ctx, conv, inbox.Resolved, now.Add(-6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	month := now.AddDate(0, 0, -30).Format(time.DateOnly) + "&to=" + now.Format(time.DateOnly)
	for _, s := range []screenSize{phone, smallPortrait, laptop} {
		b.setScreen(s, false)
		for _, path := range []string{"/reports", "/reports?from=" + month} {
			b.open(ls.url() + path)
			got := b.eval(`[...document.querySelectorAll('svg.chart')].flatMap(svg => {
				const box = svg.getBoundingClientRect(), scale = box.width / svg.viewBox.baseVal.width;
				// What the chart does not clip, the screen does.
				const clip = getComputedStyle(svg).overflow === 'visible' ? {left: 0, right: document.documentElement.clientWidth} : box;
				const labels = [...svg.querySelectorAll('text.chart-label')].map(l => ({l, r: l.getBoundingClientRect(),
					what: svg.dataset.testid + ' "' + l.textContent.trim() + '"'}));
				return labels.map(({l, r, what}, i) => {
					const size = parseFloat(getComputedStyle(l).fontSize) * scale;
					if (size < 10.9) return what + ' is ' + size.toFixed(1) + ' px';
					if (r.left < clip.left - 0.5 || r.right > clip.right + 0.5) return what + ' is cut off';
					// Side by side, they need a space between them.
					const o = labels.slice(i + 1).find(m => Math.min(r.right, m.r.right) - Math.max(r.left, m.r.left) > -3 &&
						Math.min(r.bottom, m.r.bottom) - Math.max(r.top, m.r.top) > 1);
					return o ? what + ' runs into ' + o.what : '';
				});
			}).filter(Boolean).slice(0, 8).join('; ')`)
			if got != "" {
				t.Errorf("the charts of %s at %s: %s", path, s.name, got)
			}
		}
	}
}

// TestBrowserOneDayReportDrawsItsDay: a report of one day (the same first
// and last day) draws that day's messages in the day chart, each way, as
// a longer period does: a line needs two days, so the day is a dot.
func TestBrowserOneDayReportDrawsItsDay(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addAdmin("ana@example.com", "Ana")
	now := time.Now().UTC()
	ls.post(inboundText("evt_r1", "msg_r1", "Is my parcel lost?", now))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	day := now.Format(time.DateOnly)
	b.open(ls.url() + "/reports?from=" + day + "&to=" + day)
	b.waitFor("the day's message is counted", `document.querySelector('[data-testid=figure-inbound] .report-value').textContent.trim() === '1'`)
	if got := b.eval(`['chart-inbound', 'chart-outbound'].filter(c => ![...document.querySelectorAll('[data-testid=chart-days] .' + c)].some(e => {
			const r = e.getBoundingClientRect(); return r.width > 2 && r.height > 2 && getComputedStyle(e).visibility !== 'hidden'; })).join(', ')`); got != "" {
		t.Errorf("the day chart of one day draws nothing for %s", got)
	}
}
