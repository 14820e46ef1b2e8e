package web_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/web"
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
	kathmandu := b.inZone("Asia/Kathmandu")
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

// A reply waiting for its retry (Zavu answers it 503) when a reply to
// another customer, sent through the API, meets a 429 asking every send
// to wait two minutes: the open page says at once that the reply waits
// for the pause and when it ends, in the agent's time ("Not sent yet: Zavu
// asked Switchboard to send more slowly (429). Trying again at 16:27."),
// not its own next attempt, which the pause holds back; a reload says the
// same; on a phone, within the screen.
func TestBrowserReplyHeldByARateLimitSaysWhenThePauseEnds(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_p1", "msg_p1", "+14155550101", "Zoe Quinn", "Has my parcel left?", time.Now()))
	ls.post(inboundFrom("evt_p2", "msg_p2", "+14155550102", "Max Lee", "Is the shop open?", time.Now()))
	const pause = 2 * time.Minute
	fake.FailWhen(func(r zavu.SendRequest) (zavu.Failure, bool) {
		switch r.To {
		case "+14155550101":
			return zavu.Failure{Status: http.StatusServiceUnavailable}, true
		case "+14155550102":
			return zavu.Failure{Status: http.StatusTooManyRequests, RetryAfter: pause}, true
		}
		return zavu.Failure{}, false
	})
	secret, hash, err := web.NewAPIToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.db.CreateAPIToken(context.Background(), &inbox.APIToken{Name: "shop", Hash: hash, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	b := newTab(t, browser(t, exe))
	kathmandu := b.inZone("Asia/Kathmandu")
	b.setScreen(phone, false)
	b.login(ls.url(), "ana@example.com")
	b.open(ls.url() + "/conversations/1")
	b.do("send", chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Your parcel left this morning.\r"))
	const note = `document.querySelector('[data-testid=message][data-direction=outbound] [data-testid=send-wait]')`
	b.waitFor("the reply says Zavu is unavailable", note+`?.textContent.includes('Zavu is unavailable (503)')`)

	// A script replies to the other customer; Zavu refuses it with a 429.
	before := time.Now()
	req, err := http.NewRequest(http.MethodPost, ls.url()+"/api/v1/conversations/2/messages", bytes.NewReader([]byte(`{"text":"Yes, until 18:00."}`)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("the API's reply: %d", resp.StatusCode)
	}

	const why = "Zavu asked Switchboard to send more slowly (429)"
	says := func(where string) {
		t.Helper()
		b.waitFor(where+": the reply says it waits for the pause", note+`?.textContent.includes('`+why+`')`)
		at, err := time.Parse(time.RFC3339, b.eval(note+`.querySelector('time').getAttribute('datetime')`))
		if err != nil {
			t.Fatal(err)
		}
		if at.Before(before.Add(pause).Truncate(time.Millisecond)) || at.After(time.Now().Add(pause)) {
			t.Errorf("%s: the reply is tried again at %s, want the pause's end, %s after the 429 (sent after %s)", where, at, pause, before)
		}
		want := "Not sent yet: " + why + ". Trying again at " + at.In(kathmandu).Format("15:04") + "."
		if got := b.eval(note + `.textContent.replace(/\s+/g, ' ').trim()`); got != want {
			t.Errorf("%s: the reply says %q, want %q", where, got, want)
		}
		if got := b.eval(offScreen(`[data-testid=send-wait], [data-testid=message][data-direction=outbound] .bubble`)); got != "" {
			t.Errorf("%s at 390 px: %s", where, got)
		}
		b.fits(where + ": the thread with a reply held by a pause at 390x844")
	}
	says("live")
	b.open(ls.url() + "/conversations/1")
	says("after a reload")
	if got := b.eval(`document.querySelector('[data-testid=message][data-direction=outbound]').dataset.status`); got != "pending" {
		t.Errorf("a reply held by the pause is %q, want pending (the clock)", got)
	}
}

// inZone has the browser take the time zone name as its own, and returns
// that zone.
func (b *tab) inZone(name string) *time.Location {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: name}); err != nil {
		b.t.Fatal(err)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		b.t.Fatal(err)
	}
	return loc
}
