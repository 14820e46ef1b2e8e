package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"switchboard/inbox/zavu"
)

// An agent in Kathmandu (UTC+05:45) on a phone sends a reply while Zavu
// answers 503: the bubble says at once why it has not gone and when it is
// tried again, in the agent's time ("Not sent yet: Zavu is unavailable
// (503). Trying again at 16:25."), within the screen. The next attempt
// gets a 502 and the sentence follows it; the one after goes, and the
// sentence leaves the reply to its ticks.
func TestBrowserReplyWaitingForARetrySaysWhyAndWhen(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_w1", "msg_w1", "+14155550101", "Zoe Quinn", "Has my parcel left?", time.Now()))
	secondAttempt, thirdAttempt := make(chan struct{}), make(chan struct{})
	fake.FailNext(1, zavu.Failure{Status: http.StatusServiceUnavailable})
	fake.FailNext(1, zavu.Failure{Status: http.StatusBadGateway, Hold: secondAttempt})
	fake.FailNext(1, zavu.Failure{Hold: thirdAttempt}) // then accepted
	t.Cleanup(func() {
		for _, ch := range []chan struct{}{secondAttempt, thirdAttempt} {
			select {
			case <-ch:
			default:
				close(ch)
			}
		}
	})

	b := newTab(t, browser(t, exe))
	if _, err := chromedp.Call(b.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Kathmandu"}); err != nil {
		t.Fatal(err)
	}
	kathmandu, err := time.LoadLocation("Asia/Kathmandu")
	if err != nil {
		t.Fatal(err)
	}
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	if tz := b.eval(`document.body.dataset.tz`); tz != "Asia/Kathmandu" && tz != "Asia/Katmandu" {
		t.Fatalf("the page's zone is %q, want the browser's", tz)
	}
	b.do("send", chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Your parcel left this morning.\r"))

	const note = `document.querySelector('[data-testid=message][data-direction=outbound] [data-testid=send-wait]')`
	// says waits until the note names reason, and checks the whole
	// sentence, with its time in the agent's zone.
	says := func(reason string) {
		t.Helper()
		b.waitFor("the reply says "+reason, note+`?.textContent.includes('`+reason+`')`)
		at, err := time.Parse(time.RFC3339, b.eval(note+`.querySelector('time').getAttribute('datetime')`))
		if err != nil {
			t.Fatal(err)
		}
		want := "Not sent yet: " + reason + ". Trying again at " + at.In(kathmandu).Format("15:04") + "."
		if got := b.eval(note + `.textContent.replace(/\s+/g, ' ').trim()`); got != want {
			t.Errorf("the reply says %q, want %q", got, want)
		}
		if got := b.eval(offScreen(`[data-testid=send-wait], [data-testid=message][data-direction=outbound] .bubble`)); got != "" {
			t.Errorf("at 390 px: %s", got)
		}
		b.fits("the thread with a reply waiting at 390x844")
	}
	says("Zavu is unavailable (503)")
	if got := b.eval(`document.querySelector('[data-testid=message][data-direction=outbound]').dataset.status`); got != "pending" {
		t.Errorf("a reply waiting for its retry is %q, want pending (the clock)", got)
	}
	b.accessible("a reply waiting for its retry at 390x844", false)

	close(secondAttempt)
	says("Zavu is unavailable (502)")

	close(thirdAttempt)
	b.waitFor("the reply goes and the note with it",
		`!`+note+` && ['sent', 'delivered', 'read'].includes(document.querySelector('[data-testid=message][data-direction=outbound]').dataset.status)`)
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("Zavu took %d messages, want the reply once", n)
	}
	if strings.Contains(b.eval(`document.body.textContent`), "Not sent yet") {
		t.Error("the page still says the reply has not gone")
	}
}
