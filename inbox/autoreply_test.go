package inbox

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// weekdays9to17 is open Monday to Friday, 09:00 to 17:00, in tz.
func weekdays9to17(tz string, holidays ...string) BusinessHours {
	h := BusinessHours{TimeZone: tz, Holidays: holidays}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Days[d] = []Span{{Open: 9 * 60, Close: 17 * 60}}
	}
	return h
}

func mustTime(t *testing.T, tz, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBusinessHoursOpenInTheirTimeZone(t *testing.T) {
	h := weekdays9to17("America/New_York")
	for _, c := range []struct {
		at   string // UTC
		open bool
	}{
		{"2026-06-10 12:59", false}, // 08:59 in New York (EDT)
		{"2026-06-10 13:00", true},  // 09:00
		{"2026-06-10 20:59", true},  // 16:59
		{"2026-06-10 21:00", false}, // 17:00: closing time is closed
		{"2026-06-13 15:00", false}, // Saturday
		{"2026-01-14 13:59", false}, // 08:59 in winter (EST)
		{"2026-01-14 14:00", true},
	} {
		if got := h.OpenAt(mustTime(t, "UTC", c.at)); got != c.open {
			t.Errorf("open at %s UTC = %v, want %v", c.at, got, c.open)
		}
	}
}

func TestClosedPeriodIsOneKeyFromClosingToOpening(t *testing.T) {
	const tz = "Europe/Berlin"
	h := weekdays9to17(tz)
	friClose := mustTime(t, tz, "2026-06-12 17:00")
	for _, at := range []string{"2026-06-12 17:00", "2026-06-12 23:59", "2026-06-13 12:00", "2026-06-15 08:59"} {
		since, closed := h.ClosedSince(mustTime(t, tz, at))
		if !closed || !since.Equal(friClose) {
			t.Errorf("at %s: closed since %v (%v), want %v", at, since, closed, friClose)
		}
	}
	if _, closed := h.ClosedSince(mustTime(t, tz, "2026-06-15 09:00")); closed {
		t.Error("Monday 09:00 counts as closed")
	}
	monClose := mustTime(t, tz, "2026-06-15 17:00")
	if since, _ := h.ClosedSince(mustTime(t, tz, "2026-06-15 17:30")); !since.Equal(monClose) {
		t.Errorf("Monday evening: closed since %v, want %v: a new period", since, monClose)
	}
}

func TestClosedPeriodAcrossDSTChanges(t *testing.T) {
	const tz = "Europe/Berlin"
	h := weekdays9to17(tz)
	// Clocks went forward on Sunday 29 March 2026 and back on Sunday 25
	// October 2026: each weekend is one closed period, whatever the clocks.
	for _, c := range []struct{ closing, before, after, monday string }{
		{"2026-03-27 17:00", "2026-03-29 01:30", "2026-03-29 03:30", "2026-03-30 08:59"},
		{"2026-10-23 17:00", "2026-10-25 01:30", "2026-10-25 04:00", "2026-10-26 08:59"},
	} {
		want := mustTime(t, tz, c.closing)
		for _, at := range []string{c.before, c.after, c.monday} {
			if since, closed := h.ClosedSince(mustTime(t, tz, at)); !closed || !since.Equal(want) {
				t.Errorf("at %s: closed since %v, want %v", at, since, want)
			}
		}
	}
	// Monday after the change opens at 09:00 local, not 09:00 of the old offset.
	if h.OpenAt(mustTime(t, "UTC", "2026-03-30 06:30")) {
		t.Error("open at 08:30 local on the Monday after the spring change")
	}
	if !h.OpenAt(mustTime(t, "UTC", "2026-03-30 07:00")) {
		t.Error("closed at 09:00 local on the Monday after the spring change")
	}
	// A span that starts in the hour the clocks skip opens when they land.
	night := BusinessHours{TimeZone: tz}
	night.Days[time.Sunday] = []Span{{Open: 2*60 + 30, Close: 6 * 60}}
	if !night.OpenAt(mustTime(t, "UTC", "2026-03-29 01:00")) { // 03:00 CEST, right after the jump
		t.Error("a span opening at 02:30 on the spring change day is not open at 03:00")
	}
	if night.OpenAt(mustTime(t, "UTC", "2026-03-29 00:59")) { // 01:59 CET
		t.Error("open before the clocks jumped")
	}
}

func TestHolidaysCloseTheWholeDayAndJoinPeriods(t *testing.T) {
	const tz = "Europe/Berlin"
	h := weekdays9to17(tz, "2026-12-25")
	if h.OpenAt(mustTime(t, tz, "2026-12-25 10:00")) {
		t.Error("open on a holiday")
	}
	// Thursday 17:00 to Monday 09:00 is one period: Friday is a holiday.
	want := mustTime(t, tz, "2026-12-24 17:00")
	for _, at := range []string{"2026-12-24 18:00", "2026-12-25 10:00", "2026-12-27 10:00"} {
		if since, _ := h.ClosedSince(mustTime(t, tz, at)); !since.Equal(want) {
			t.Errorf("at %s: closed since %v, want %v", at, since, want)
		}
	}
	if got, want := h.NextOpening(mustTime(t, tz, "2026-12-24 18:00")), mustTime(t, tz, "2026-12-28 09:00"); !got.Equal(want) {
		t.Errorf("next opening %v, want %v", got, want)
	}
}

func TestNeverOpenIsOneLongClosedPeriod(t *testing.T) {
	h := BusinessHours{TimeZone: "UTC"}
	a, closedA := h.ClosedSince(mustTime(t, "UTC", "2026-06-01 10:00"))
	b, closedB := h.ClosedSince(mustTime(t, "UTC", "2026-09-01 10:00"))
	if !closedA || !closedB || !a.Equal(b) {
		t.Errorf("never open: periods %v and %v", a, b)
	}
}

func TestKeywordsMatchWholeWordsAndPhrases(t *testing.T) {
	k := KeywordRule{Keywords: []string{"refund", "money back"}, AutoReplyMessage: AutoReplyMessage{Enabled: true, Text: "x"}}
	for text, want := range map[string]bool{
		"I want a REFUND!":         true,
		"refund":                   true,
		"can I get my money back?": true,
		"Money   BACK":             true,
		"refunded already":         false,
		"money is back":            false,
		"":                         false,
	} {
		if got := k.Matches("s1", SMS, text); got != want {
			t.Errorf("%q matches = %v, want %v", text, got, want)
		}
	}
	k.SenderID, k.Channel = "s1", WhatsApp
	if k.Matches("s1", SMS, "refund") || k.Matches("s2", WhatsApp, "refund") || !k.Matches("s1", WhatsApp, "refund") {
		t.Error("sender and channel filters are not applied")
	}
}

// TestKeywordsMatchWhateverTheAccents: customers type "informacion" for
// "información", and a phone may send an accent as a separate mark
// (e + U+0301) where the admin typed é; each is the same word.
func TestKeywordsMatchWhateverTheAccents(t *testing.T) {
	k := KeywordRule{Keywords: []string{"información", "cafe", "Straße"}, AutoReplyMessage: AutoReplyMessage{Enabled: true, Text: "x"}}
	for text, want := range map[string]bool{
		"quiero informacion":    true,
		"INFORMACIÓN por favor": true,
		"informacio\u0301n":     true,
		"un café?":              true,
		"CAFÉ":                  true,
		"cafe\u0301s":           false,
		"in der STRASSE":        false,
		"straße 5":              true,
		"informaciones":         false,
	} {
		if got := k.Matches("s1", SMS, text); got != want {
			t.Errorf("%q matches = %v, want %v", text, got, want)
		}
	}
	// Vietnamese and Romanian, with their letters precomposed or not, and
	// typed without accents.
	vi := KeywordRule{Keywords: []string{"giá phở", "mulțumesc"}, AutoReplyMessage: AutoReplyMessage{Enabled: true, Text: "x"}}
	for text, want := range map[string]bool{
		"gia pho bao nhieu?":          true,
		"Giá phở bao nhiêu?":          true,
		"gia\u0301 pho\u031b\u0309 ạ": true,
		"multumesc frumos":            true,
		"MULȚUMESC":                   true,
		"gia phong":                   false,
	} {
		if got := vi.Matches("s1", SMS, text); got != want {
			t.Errorf("%q matches = %v, want %v", text, got, want)
		}
	}
	hindi := KeywordRule{Keywords: []string{"किताब"}, AutoReplyMessage: AutoReplyMessage{Enabled: true, Text: "x"}}
	if !hindi.Matches("s1", SMS, "मुझे किताब चाहिए") || hindi.Matches("s1", SMS, "कताब") {
		t.Error("a script whose marks are part of its letters no longer matches whole words")
	}
}

// TestKeywordsMatchInScriptsWithoutSpaces: Chinese, Japanese and Thai
// are written without spaces between words, so a keyword is found inside
// a sentence, not only as a whole message; a keyword in a script with
// spaces stays a whole word beside it.
func TestKeywordsMatchInScriptsWithoutSpaces(t *testing.T) {
	k := KeywordRule{Keywords: []string{"注文", "返金", "คืนเงิน", "LINE 予約"}, AutoReplyMessage: AutoReplyMessage{Enabled: true, Text: "x"}}
	for text, want := range map[string]bool{
		"注文したいです":            true,
		"昨日の注文はどこ？":          true,
		"返金をお願いします。":         true,
		"ต้องการคืนเงินครับ": true,
		"注":            false,
		"予約したい":        false,
		"LINE 予約できますか": true,
		"OFFLINE予約":    false,
	} {
		if got := k.Matches("s1", SMS, text); got != want {
			t.Errorf("%q matches = %v, want %v", text, got, want)
		}
	}
	// A rule above with "注文" answers every message with "注文番号".
	c := AutoReplyConfig{Keywords: []KeywordRule{
		{ID: 1, Name: "Orders", Keywords: []string{"注文"}, AutoReplyMessage: AutoReplyMessage{Enabled: true, Text: "x"}},
		{ID: 2, Name: "Order numbers", Keywords: []string{"注文番号"}, AutoReplyMessage: AutoReplyMessage{Enabled: true, Text: "y"}},
	}}
	if sh := c.Shadowed(2); len(sh) != 1 || sh[0].By != "Orders" {
		t.Errorf("shadowed: %v, want 注文番号 answered first by Orders", sh)
	}
}

var openNow = AutoReplyState{}

func rulesConfig() AutoReplyConfig {
	c := AutoReplyConfig{
		Hours:       weekdays9to17("UTC"),
		OutOfOffice: AutoReplyMessage{Enabled: true, Text: "We are closed.", TemplateID: "tpl_ooo"},
		Greeting:    AutoReplyMessage{Enabled: true, Text: "Hello {{contact.name}}!"},
		Help:        AutoReplyMessage{Enabled: true, Text: "Reply STOP to stop."},
		Stop:        AutoReplyMessage{Enabled: true, Text: "You will get no more messages."},
	}
	c.PutRule(KeywordRule{Name: "Refunds", Keywords: []string{"refund"}, AutoReplyMessage: AutoReplyMessage{Enabled: true, Text: "Refunds take 5 days."}})
	c.PutRule(KeywordRule{Name: "Anything about orders", Keywords: []string{"order", "refund"}, AutoReplyMessage: AutoReplyMessage{Enabled: true, Text: "Orders ship daily."}})
	return c
}

func TestDecidePrecedence(t *testing.T) {
	c := rulesConfig()
	open := mustTime(t, "UTC", "2026-06-10 10:00")
	closed := mustTime(t, "UTC", "2026-06-10 20:00")
	msg := func(ch Channel, text string, first bool) CustomerMessage {
		return CustomerMessage{SenderID: "s1", Channel: ch, Type: TypeText, Text: text, First: first, WindowOpen: true}
	}
	for _, tc := range []struct {
		name string
		in   CustomerMessage
		now  time.Time
		rule string
		skip SkipReason
	}{
		{"STOP gets the confirmation only", msg(SMS, "stop", false), closed, RuleStopConfirmation, ""},
		{"HELP on SMS", msg(SMS, "Help", true), closed, RuleSMSHelp, ""},
		{"HELP on WhatsApp is just text", msg(WhatsApp, "help", false), open, "", SkipNoRule},
		{"first keyword in order wins", msg(WhatsApp, "refund my order", false), closed, "Refunds", ""},
		{"second keyword rule", msg(WhatsApp, "where is my order", false), open, "Anything about orders", ""},
		{"out of office before greeting", msg(WhatsApp, "hi", true), closed, RuleOutOfOffice, ""},
		{"greeting in hours", msg(WhatsApp, "hi", true), open, RuleGreeting, ""},
		{"nothing for a plain message in hours", msg(WhatsApp, "hi", false), open, "", SkipNoRule},
		{"START is not answered", msg(SMS, "START", true), closed, "", SkipOptIn},
		{"opted out gets nothing", CustomerMessage{Channel: SMS, Type: TypeText, Text: "hello?", OptedOut: true}, closed, "", SkipOptedOut},
		{"an image outside hours", CustomerMessage{Channel: WhatsApp, Type: TypeImage, Text: "refund", WindowOpen: true}, closed, RuleOutOfOffice, ""},
		{"an unsupported message (a poll, a deleted one) outside hours", CustomerMessage{Channel: WhatsApp, Type: TypeUnsupported, First: true, WindowOpen: true}, closed, "", SkipUnsupported},
		{"an unsupported first message in hours", CustomerMessage{Channel: WhatsApp, Type: TypeUnsupported, First: true, WindowOpen: true}, open, "", SkipUnsupported},
	} {
		d := c.Decide(tc.in, openNow, tc.now)
		if d.Rule != tc.rule || d.Skip != tc.skip {
			t.Errorf("%s: rule %q skip %q, want %q %q", tc.name, d.Rule, d.Skip, tc.rule, tc.skip)
		}
	}
	c.Stop.Enabled = false
	if d := c.Decide(msg(SMS, "STOP", false), openNow, closed); d.Send() || d.Skip != SkipStop {
		t.Errorf("STOP without a confirmation: %+v", d)
	}
	if d := c.Decide(msg(SMS, "please stop sending refund info", false), openNow, open); d.Rule != "Refunds" {
		t.Errorf("a sentence with stop in it is not an opt-out: %+v", d)
	}
}

func TestOutOfOfficeOncePerPeriod(t *testing.T) {
	c := rulesConfig()
	c.Greeting.Enabled = false
	sent := map[time.Time]bool{}
	st := AutoReplyState{OutOfOfficeSent: func(since time.Time) bool { return sent[since] }}
	in := CustomerMessage{Channel: WhatsApp, Type: TypeText, Text: "hello", WindowOpen: true}
	var got []string
	for _, at := range []string{"2026-06-12 18:00", "2026-06-13 10:00", "2026-06-15 08:00", "2026-06-15 10:00", "2026-06-15 18:00"} {
		d := c.Decide(in, st, mustTime(t, "UTC", at))
		if d.Send() && d.OutOfOffice {
			sent[d.Period] = true
		}
		got = append(got, d.Rule)
	}
	want := []string{RuleOutOfOffice, "", "", "", RuleOutOfOffice}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("rules over a weekend and a Monday: %q, want %q", got, want)
		}
	}
}

func TestHourlyLimitStopsLoops(t *testing.T) {
	c := rulesConfig()
	in := CustomerMessage{Channel: WhatsApp, Type: TypeText, Text: "refund", WindowOpen: true}
	now := mustTime(t, "UTC", "2026-06-10 10:00")
	if d := c.Decide(in, AutoReplyState{LastHour: func() int { return 2 }}, now); !d.Send() {
		t.Fatalf("under the limit: %+v", d)
	}
	d := c.Decide(in, AutoReplyState{LastHour: func() int { return 3 }}, now)
	if d.Send() || d.Skip != SkipLimit || !d.Logged || d.Rule != "Refunds" {
		t.Errorf("at the default limit of 3: %+v", d)
	}
	c.MaxPerHour = 5
	if d := c.Decide(in, AutoReplyState{LastHour: func() int { return 4 }}, now); !d.Send() {
		t.Errorf("under a limit of 5: %+v", d)
	}
	stop := CustomerMessage{Channel: SMS, Type: TypeText, Text: "STOP", OptedOut: true}
	if d := c.Decide(stop, AutoReplyState{LastHour: func() int { return 10 }}, now); !d.Send() {
		t.Errorf("the STOP confirmation is held back by the limit: %+v", d)
	}
}

func TestWindowClosedSendsTheTemplateOrSkips(t *testing.T) {
	c := rulesConfig()
	now := mustTime(t, "UTC", "2026-06-10 20:00")
	in := CustomerMessage{Channel: WhatsApp, Type: TypeText, Text: "hello", WindowOpen: false}
	approved := AutoReplyState{TemplateApproved: func(id string) bool { return id == "tpl_ooo" }}
	d := c.Decide(in, approved, now)
	if !d.Send() || d.Type != TypeTemplate || d.TemplateID != "tpl_ooo" {
		t.Errorf("window closed, template set: %+v", d)
	}
	if d := c.Decide(in, AutoReplyState{TemplateApproved: func(string) bool { return false }}, now); d.Send() || d.Skip != SkipTemplate || !d.Logged {
		t.Errorf("window closed, template not approved: %+v", d)
	}
	c.OutOfOffice.TemplateID = ""
	if d := c.Decide(in, approved, now); d.Send() || d.Skip != SkipWindowClosed || !d.Logged || d.Rule != RuleOutOfOffice {
		t.Errorf("window closed, no template: %+v", d)
	}
	sms := CustomerMessage{Channel: SMS, Type: TypeText, Text: "hello"}
	if d := c.Decide(sms, approved, now); !d.Send() || d.Type != TypeText {
		t.Errorf("SMS has no window: %+v", d)
	}
}

func TestFillsContactPlaceholders(t *testing.T) {
	d := AutoReplyDecision{Text: "Hello {{contact.name}}!", TemplateValues: []string{"{{contact.name}}", "x"}}
	c := Contact{Name: "Zoe", Phone: "+1555"}
	if got := d.FillText(c); got != "Hello Zoe!" {
		t.Errorf("text %q", got)
	}
	if v := d.TemplateVariables(c); v["1"] != "Zoe" || v["2"] != "x" {
		t.Errorf("variables %v", v)
	}
}

func TestValidateSaysWhatToFix(t *testing.T) {
	c := rulesConfig()
	c.Hours.TimeZone = "Mars/Olympus"
	c.Hours.Days[time.Monday] = []Span{{Open: 17 * 60, Close: 9 * 60}}
	c.Hours.Holidays = []string{"25.12.2026"}
	c.Greeting.Text = ""
	c.Keywords[0].Keywords = nil
	c.MaxPerHour = 99
	c.Normalize()
	inv, ok := AsInvalidAutoReplies(c.Validate())
	if !ok {
		t.Fatal("no field errors")
	}
	for _, k := range []string{"timezone", "day1", "holidays", "greeting", "rule1", "limit"} {
		if inv[k] == "" {
			t.Errorf("no error for %s in %v", k, inv)
		}
	}
	if err := rulesConfig().Validate(); err != nil {
		t.Errorf("a sound config: %v", err)
	}
}

// Hours past midnight, which cannot be one opening, say how to write
// them, on which days.
func TestValidateSaysHowToWriteHoursPastMidnight(t *testing.T) {
	for _, tc := range []struct {
		day  time.Weekday
		span Span
		want string
	}{
		{time.Friday, Span{Open: 22 * 60, Close: 2 * 60}, "write 22:00-24:00 on Friday and 00:00-02:00 on Saturday"},
		{time.Saturday, Span{Open: 20 * 60, Close: 1 * 60}, "write 20:00-24:00 on Saturday and 00:00-01:00 on Sunday"},
		{time.Monday, Span{Open: 18 * 60, Close: 0}, "write an opening until midnight as 18:00-24:00"},
		{time.Monday, Span{Open: 9 * 60, Close: 9 * 60}, "must close after it opens"},
	} {
		c := rulesConfig()
		c.Hours.Days[tc.day] = []Span{tc.span}
		c.Normalize()
		inv, _ := AsInvalidAutoReplies(c.Validate())
		if got := inv[fmt.Sprintf("day%d", tc.day)]; !strings.Contains(got, tc.want) {
			t.Errorf("%s %s-%s: %q, want it to say %q", tc.day, FormatClock(tc.span.Open), FormatClock(tc.span.Close), got, tc.want)
		}
	}
}

func TestRuleOrderEdits(t *testing.T) {
	c := rulesConfig()
	third, _ := c.PutRule(KeywordRule{Name: "Third"})
	if err := c.MoveRule(third.ID, -1); err != nil {
		t.Fatal(err)
	}
	if c.Keywords[1].Name != "Third" {
		t.Errorf("order after moving up: %v", names(c))
	}
	c.MoveRule(c.Keywords[0].ID, -1) // already first: stays
	if _, err := c.DeleteRule(1); err != nil || len(c.Keywords) != 2 || c.Keywords[0].Name != "Third" {
		t.Errorf("after deleting the first: %v, %v", names(c), err)
	}
	if next, _ := c.PutRule(KeywordRule{Name: "New"}); next.ID != 4 {
		t.Errorf("a new rule got id %d; ids are never reused while the highest exists", next.ID)
	}
}

func names(c AutoReplyConfig) []string {
	var out []string
	for _, k := range c.Keywords {
		out = append(out, k.Name)
	}
	return out
}

func TestAutoReplyConfigCloneIsDeep(t *testing.T) {
	c := AutoReplyConfig{Hours: BusinessHours{TimeZone: "UTC", Holidays: []string{"2026-12-25"}}}
	c.Hours.Days[time.Monday] = []Span{{Open: 540, Close: 1020}}
	c.OutOfOffice.TemplateValues = []string{"a"}
	c.Keywords = []KeywordRule{{Name: "Prices", Keywords: []string{"price"}, AutoReplyMessage: AutoReplyMessage{TemplateValues: []string{"b"}}}}
	d := c.Clone()
	d.Hours.Days[time.Monday][0].Open = 0
	d.Hours.Holidays[0] = "x"
	d.OutOfOffice.TemplateValues[0] = "x"
	d.Keywords[0].Name = "x"
	d.Keywords[0].Keywords[0] = "x"
	d.Keywords[0].TemplateValues[0] = "x"
	if c.Hours.Days[time.Monday][0].Open != 540 || c.Hours.Holidays[0] != "2026-12-25" || c.OutOfOffice.TemplateValues[0] != "a" ||
		c.Keywords[0].Name != "Prices" || c.Keywords[0].Keywords[0] != "price" || c.Keywords[0].TemplateValues[0] != "b" {
		t.Errorf("changing the clone changed the original: %+v", c)
	}
}
