package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/web"
)

// A WhatsApp window that closes, or closed, less than a minute from now
// says so in words: not "Closes in 0 m" nor "Closed 0 m ago"; and a
// countdown rounds down, never promising more time than is left.
func TestWindowUnderAMinuteSaysLessThanAMinute(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Second)
	clock := &testClock{t: base}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(ana.Email)
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe", "Where is my order?", base.Add(-24*time.Hour)))
	conv := ts.mustMessage("msg_1").ConversationID
	for _, c := range []struct {
		at          time.Duration // from the window's close
		window, box string
	}{
		{-20 * time.Second, "Closes in less than a minute", "WhatsApp window closes in less than a minute"},
		{-50 * time.Second, "Closes in less than a minute", "WhatsApp window closes in less than a minute"},
		{-90 * time.Second, "Closes in 1 m", "WhatsApp window closes in 1 m"},
		{-(2*time.Hour + 59*time.Minute + 50*time.Second), "Closes in 2 h 59 m", "WhatsApp window closes in 2 h 59 m"},
		{-(49*time.Hour + 59*time.Minute), "Closes in 2 d 1 h", "WhatsApp window closes in 2 d 1 h"},
		{20 * time.Second, "Closed less than a minute ago", ""},
		{50 * time.Second, "Closed less than a minute ago", ""},
		{3 * time.Minute, "Closed 3 m ago", ""},
	} {
		clock.set(base.Add(c.at))
		page := a.htmx(fmt.Sprintf("/conversations/%d", conv))
		if got := page.find("window").Text(); !strings.Contains(got, c.window) {
			t.Errorf("%v from the close the details say %q, want %q", c.at, got, c.window)
		}
		if got := page.find("composer-hint").Text(); c.box != "" && !strings.Contains(got, c.box) {
			t.Errorf("%v from the close the reply box says %q, want %q", c.at, got, c.box)
		}
	}
}
