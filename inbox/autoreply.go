package inbox

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Auto-replies answer a customer's message by themselves: outside business
// hours, on a new conversation, on keywords, and to the SMS keywords HELP
// and STOP. Admins set them; ingestion applies them in the transaction of
// the message that triggers them.
//
// Precedence, when several rules could answer one message (at most one
// auto-reply goes per customer message, never two bubbles at once):
//
//  1. SMS STOP (and the other opt-out words): never answered, except by
//     the STOP confirmation when one is set. Nothing else runs.
//  2. A customer who opted out gets nothing; START gets nothing either
//     (carriers confirm it).
//  3. SMS HELP (or INFO): the HELP answer, when set.
//  4. Keyword rules, in their order: the first that matches.
//  5. The out-of-office reply, outside business hours, at most once per
//     closed period per conversation.
//  6. The greeting, on the conversation's first message.
//
// A message WhatsApp cannot show (a poll, a deleted or disappearing
// message) gets none.
//
// The first rule that applies decides. If it cannot send (the hourly limit
// is reached; the WhatsApp window is closed and the rule has no approved
// template) nothing goes and the reason is logged for the admins; a later
// rule is not tried instead.

// Fixed names of the built-in rules, as the thread shows them after
// "Auto-reply: ".
const (
	RuleOutOfOffice      = "Out of office"
	RuleGreeting         = "Greeting"
	RuleSMSHelp          = "SMS HELP"
	RuleStopConfirmation = "SMS STOP confirmation"
)

// Limits of the auto-reply settings.
const (
	DefaultAutoRepliesPerHour = 3
	MaxAutoRepliesPerHour     = 20
	MaxRuleName               = 60
	MaxKeywordRules           = 100
)

// AutoReplyConfig is every auto-reply setting of the team.
type AutoReplyConfig struct {
	Hours       BusinessHours    `json:"hours"`
	OutOfOffice AutoReplyMessage `json:"outOfOffice"`
	Greeting    AutoReplyMessage `json:"greeting"`
	// Keywords are tried in order; the first that matches answers.
	Keywords []KeywordRule    `json:"keywords,omitempty"`
	Help     AutoReplyMessage `json:"help"` // SMS only
	Stop     AutoReplyMessage `json:"stop"` // SMS only: the confirmation a STOP gets
	// MaxPerHour bounds the auto-replies one conversation gets in any
	// hour, so two bots answering each other stop quickly. 0 means
	// DefaultAutoRepliesPerHour.
	MaxPerHour int `json:"maxPerHour,omitempty"`
}

// Limit is the hourly limit in force.
func (c AutoReplyConfig) Limit() int {
	if c.MaxPerHour <= 0 {
		return DefaultAutoRepliesPerHour
	}
	return c.MaxPerHour
}

// Clone is a deep copy: changing it leaves c as it is.
func (c AutoReplyConfig) Clone() AutoReplyConfig {
	for d := range c.Hours.Days {
		c.Hours.Days[d] = slices.Clone(c.Hours.Days[d])
	}
	c.Hours.Holidays = slices.Clone(c.Hours.Holidays)
	c.OutOfOffice = c.OutOfOffice.clone()
	c.Greeting = c.Greeting.clone()
	c.Help = c.Help.clone()
	c.Stop = c.Stop.clone()
	c.Keywords = slices.Clone(c.Keywords)
	for i := range c.Keywords {
		c.Keywords[i].Keywords = slices.Clone(c.Keywords[i].Keywords)
		c.Keywords[i].AutoReplyMessage = c.Keywords[i].AutoReplyMessage.clone()
	}
	return c
}

func (m AutoReplyMessage) clone() AutoReplyMessage {
	m.TemplateValues = slices.Clone(m.TemplateValues)
	return m
}

// Active reports whether any rule could send anything.
func (c AutoReplyConfig) Active() bool {
	if c.OutOfOffice.Enabled || c.Greeting.Enabled || c.Help.Enabled || c.Stop.Enabled {
		return true
	}
	for _, k := range c.Keywords {
		if k.Enabled {
			return true
		}
	}
	return false
}

// AutoReplyMessage is what a rule sends: its text, and the approved
// WhatsApp template that goes instead when the 24-hour window is closed.
type AutoReplyMessage struct {
	Enabled bool   `json:"enabled"`
	Text    string `json:"text"`
	// TemplateID, when set, is sent on WhatsApp when the window is
	// closed; without it the rule is skipped then.
	TemplateID string `json:"templateId,omitempty"`
	// TemplateValues fill {{1}}, {{2}}... in order; they may hold
	// {{contact.name}} and {{contact.phone}}.
	TemplateValues []string `json:"templateValues,omitempty"`
}

// KeywordRule answers messages that contain one of its keywords.
type KeywordRule struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Keywords are words or phrases matched whole, whatever the case and
	// accents: "refund" matches "Refund please!" but not "refunded",
	// "información" matches "informacion".
	Keywords []string `json:"keywords"`
	SenderID string   `json:"senderId,omitempty"` // empty: any sender
	Channel  Channel  `json:"channel,omitempty"`  // empty: any channel
	AutoReplyMessage
}

// BusinessHours are when the team answers, in one time zone: spans per
// weekday, and holidays (whole days closed).
type BusinessHours struct {
	TimeZone string `json:"timeZone"` // IANA name, such as Europe/Berlin
	// Days holds the open spans of each weekday, indexed by time.Weekday
	// (Sunday first). A day without spans is closed.
	Days     [7][]Span `json:"days"`
	Holidays []string  `json:"holidays,omitempty"` // dates as 2006-01-02, sorted
}

// Span is one opening on a day, in minutes after local midnight: open
// from Open up to (not including) Close. Close may be 24*60, midnight at
// the end of the day.
type Span struct {
	Open  int `json:"open"`
	Close int `json:"close"`
}

// ParseClock reads "09:30" (or "9:30", "24:00") as minutes after midnight.
func ParseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) || len(m) != 2 {
		return 0, fmt.Errorf("%q is not a time of day like 09:30: %w", s, ErrInvalid)
	}
	return hh*60 + mm, nil
}

// FormatClock writes minutes after midnight as "09:30".
func FormatClock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// Location is the hours' time zone; UTC when it is not set or unknown.
func (h BusinessHours) Location() *time.Location {
	if h.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(h.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// wallAt is the instant of minute min of the local day of d (whose clock is
// ignored); 24*60 is the next day's first instant. A wall time skipped by a
// DST change is the instant the clocks reach after the change (where they
// jump over midnight, as in Santiago, Havana or Cairo, a day begins at
// 01:00); one that happens twice is the first.
func wallAt(d time.Time, min int, loc *time.Location) time.Time {
	y, mo, day := d.Date()
	if min >= 24*60 {
		y, mo, day = time.Date(y, mo, day+1, 12, 0, 0, 0, time.UTC).Date()
		min -= 24 * 60
	}
	t := time.Date(y, mo, day, min/60, min%60, 0, 0, loc)
	// Where Go put a skipped time: on the clock of the same day or, for
	// midnight, of the day before.
	want := time.Date(y, mo, day, min/60, min%60, 0, 0, time.UTC)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	switch {
	case got.After(want): // after the change: it is when t's zone began
		start, _ := t.ZoneBounds()
		return start
	case got.Before(want): // before the change: it is when t's zone ends
		_, end := t.ZoneBounds()
		return end
	}
	return t
}

// DayStart is the first instant of the local day of t in loc: its
// midnight, or the instant the clocks jump to where summer time begins at
// midnight (Santiago, Havana, Cairo). Go's time.Date and AddDate give
// 23:00 the day before there.
func DayStart(t time.Time, loc *time.Location) time.Time {
	return DaysAfter(t, 0, loc)
}

// DaysAfter is the first instant of the local day n days after t's in loc
// (before it for a negative n), as DayStart.
func DaysAfter(t time.Time, n int, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return wallAt(time.Date(y, m, d+n, 12, 0, 0, 0, loc), 0, loc)
}

func (h BusinessHours) holiday(d time.Time) bool {
	return slices.Contains(h.Holidays, d.Format(time.DateOnly))
}

// localDay is noon of the local day i days before t's, a safe anchor for
// the date whatever DST does.
func localDay(t time.Time, i int, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d-i, 12, 0, 0, 0, loc)
}

// OpenAt reports whether the team is open at t.
func (h BusinessHours) OpenAt(t time.Time) bool { return h.openAt(t, h.Location()) }

func (h BusinessHours) openAt(t time.Time, loc *time.Location) bool {
	day := localDay(t, 0, loc)
	if h.holiday(day) {
		return false
	}
	for _, s := range h.Days[day.Weekday()] {
		if !t.Before(wallAt(day, s.Open, loc)) && t.Before(wallAt(day, s.Close, loc)) {
			return true
		}
	}
	return false
}

// ClosedSince returns the start of the closed period t is in: the instant
// the team last closed, as a stable key for "once per closed period"
// (every message of one night, weekend or holiday shares it, across DST
// changes). ok is false when the team is open at t. A team that has never
// been open in the week before t (and its holidays) gets the zero time: one
// long closed period.
func (h BusinessHours) ClosedSince(t time.Time) (since time.Time, ok bool) {
	loc := h.Location()
	if h.openAt(t, loc) {
		return time.Time{}, false
	}
	lookback := 8 + len(h.Holidays)
	for i := 0; i <= lookback; i++ {
		day := localDay(t, i, loc)
		if h.holiday(day) {
			continue
		}
		spans := h.Days[day.Weekday()]
		var latest time.Time
		for _, s := range spans {
			end := wallAt(day, s.Close, loc)
			if !end.After(t) && end.After(latest) {
				latest = end
			}
		}
		if !latest.IsZero() {
			return latest.UTC(), true
		}
	}
	return time.Time{}, true
}

// NextOpening is when the team opens next after t, or the zero time when
// it never does within a year.
func (h BusinessHours) NextOpening(t time.Time) time.Time {
	loc := h.Location()
	for i := 0; i <= 366; i++ {
		day := localDay(t, -i, loc)
		if h.holiday(day) {
			continue
		}
		var first time.Time
		for _, s := range h.Days[day.Weekday()] {
			start := wallAt(day, s.Open, loc)
			if start.After(t) && (first.IsZero() || start.Before(first)) {
				first = start
			}
		}
		if !first.IsZero() {
			return first
		}
	}
	return time.Time{}
}

// words splits text into lowercase words without accents: runs of
// letters, digits and marks.
func words(text string) []string {
	return strings.FieldsFunc(strings.Map(withoutAccent, strings.ToLower(text)), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
}

// latinBases are the letters U+00C0 to U+017F without their accents (á is
// a, Ł stays Ł): customers often type "informacion" for "información".
var latinBases = []rune("AAAAAAÆCEEEEIIIIÐNOOOOO×ØUUUUYÞßaaaaaaæceeeeiiiiðnooooo÷øuuuuyþy" +
	"AaAaAaCcCcCcCcDdĐđEeEeEeEeEeGgGgGgGgHhĦħIiIiIiIiIıĲĳJjKkĸLlLlLlĿŀŁłNnNnNnŉŊŋ" +
	"OoOoOoŒœRrRrRrSsSsSsSsTtTtŦŧUuUuUuUuUuUuWwYyYZzZzZzſ")

// moreLatinBases are the other accented Latin letters, of Latin
// Extended-B and Latin Extended Additional, with their base letters:
// Vietnamese (ơ, ư, ệ...), Romanian (ș, ț), pinyin (ǎ, ǚ). Each is what
// is left of it once decomposed without its marks.
var moreLatinBases = func() map[rune]rune {
	from := []rune("ƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔ" +
		"ȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤ" +
		"ḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠ" +
		"ṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẠạẢ" +
		"ảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞ" +
		"ởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ")
	to := []rune("OoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrU" +
		"uUuSsTtHhAaEeOoOoOoOoYyAaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhH" +
		"hHhHhHhIiIiKkKkKkLlLlLlLlMmMmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrS" +
		"sSsSsSsSsTtTtTtTtUuUuUuUuUuVvVvWwWwWwWwWwXxXxYyZzZzZzhtwyAaA" +
		"aAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoO" +
		"oOoOoUuUuUuUuUuUuUuYyYyYyYy")
	m := make(map[rune]rune, len(from))
	for i, r := range from {
		m[r] = to[i]
	}
	return m
}()

// withoutAccent maps an accented Latin letter to its base letter and
// drops a combining accent (U+0300 to U+036F), which a phone may send
// after its letter (e and U+0301 for é). Other marks, part of the letters
// of their scripts, stay.
func withoutAccent(r rune) rune {
	switch {
	case r >= 0x300 && r <= 0x36f:
		return -1
	case r >= 0xc0 && r < 0xc0+rune(len(latinBases)):
		return latinBases[r-0xc0]
	case r >= 0x180 && r < 0x250 || r >= 0x1e00 && r < 0x1f00:
		if b, ok := moreLatinBases[r]; ok {
			return b
		}
	}
	return r
}

// spaceless are the scripts written without spaces between words
// (Chinese, Japanese, Thai...): a word of theirs is found inside a run of
// letters, not only as the whole run.
var spaceless = []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar}

// containsPhrase reports whether the words of phrase appear together, in
// order, in ws. A phrase in a script written without spaces ("注文" in
// "注文したい") may start or end inside a word of ws.
func containsPhrase(ws []string, phrase string) bool {
	p := words(phrase)
	if len(p) == 0 {
		return false
	}
	if strings.ContainsFunc(phrase, func(r rune) bool { return unicode.IsOneOf(spaceless, r) }) {
		return containsSpaceless(strings.Join(ws, " "), strings.Join(p, " "))
	}
	for i := 0; i+len(p) <= len(ws); i++ {
		if slices.Equal(ws[i:i+len(p)], p) {
			return true
		}
	}
	return false
}

// containsSpaceless reports whether phrase is in text (both words joined
// by spaces), where an end of phrase in a script written with spaces
// ("LINE" in "LINE 注文") is an end of a word of text.
func containsSpaceless(text, phrase string) bool {
	first, _ := utf8.DecodeRuneInString(phrase)
	last, _ := utf8.DecodeLastRuneInString(phrase)
	for i := 0; i <= len(text)-len(phrase); {
		j := strings.Index(text[i:], phrase)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(phrase)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (start == 0 || before == ' ' || unicode.IsOneOf(spaceless, first) && unicode.IsOneOf(spaceless, before)) &&
			(end == len(text) || after == ' ' || unicode.IsOneOf(spaceless, last) && unicode.IsOneOf(spaceless, after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		i = start + size
	}
	return false
}

// Matches reports whether the rule answers text on this sender and
// channel.
func (k KeywordRule) Matches(senderID string, ch Channel, text string) bool {
	if !k.Enabled || (k.SenderID != "" && k.SenderID != senderID) || (k.Channel != "" && k.Channel != ch) {
		return false
	}
	ws := words(text)
	for _, kw := range k.Keywords {
		if containsPhrase(ws, kw) {
			return true
		}
	}
	return false
}

// ShadowedKeyword is a keyword of a rule that an earlier rule always
// answers first.
type ShadowedKeyword struct {
	Keyword string
	By      string // the earlier rule's name
}

// Shadowed lists the keywords of the rule with this id that never get its
// reply: an earlier rule, on, on every sender and channel this rule
// covers, matches every message that contains them ("price" above
// answers "price list").
func (c AutoReplyConfig) Shadowed(id int64) []ShadowedKeyword {
	i := slices.IndexFunc(c.Keywords, func(k KeywordRule) bool { return k.ID == id })
	if i < 0 || !c.Keywords[i].Enabled {
		return nil
	}
	k := c.Keywords[i]
	var out []ShadowedKeyword
	for _, kw := range k.Keywords {
		ws := words(kw)
		for _, e := range c.Keywords[:i] {
			covers := e.Enabled && (e.SenderID == "" || e.SenderID == k.SenderID) && (e.Channel == "" || e.Channel == k.Channel)
			if covers && slices.ContainsFunc(e.Keywords, func(ekw string) bool { return containsPhrase(ws, ekw) }) {
				out = append(out, ShadowedKeyword{Keyword: kw, By: e.Name})
				break
			}
		}
	}
	return out
}

// HelpKeyword reports whether an SMS asks for help: the whole message is
// HELP or INFO.
func HelpKeyword(text string) bool {
	w := strings.ToUpper(strings.Trim(strings.TrimSpace(text), ".!?"))
	return w == "HELP" || w == "INFO"
}

// CustomerMessage is a customer's message as the auto-reply rules see it.
type CustomerMessage struct {
	SenderID string
	Channel  Channel
	Type     MessageType
	Text     string
	// First is set when this is the conversation's first message.
	First bool
	// OptedOut is the conversation's state after this message (a STOP
	// sets it).
	OptedOut bool
	// WindowOpen says whether free text may go now (always on SMS).
	WindowOpen bool
}

// AutoReplyState is what has already happened in the conversation.
type AutoReplyState struct {
	// LastHour counts the auto-replies the conversation got in the hour
	// before now; asked only once a rule would answer. Nil counts none.
	LastHour func() int
	// OutOfOfficeSent reports whether the out-of-office reply went in the
	// closed period that started at since.
	OutOfOfficeSent func(since time.Time) bool
	// TemplateApproved reports whether a template may be sent.
	TemplateApproved func(id string) bool
}

// SkipReason says why no auto-reply went.
type SkipReason string

const (
	SkipNoRule          SkipReason = "No auto-reply rule applies to this message."
	SkipStop            SkipReason = "STOP is never answered, and no STOP confirmation is set."
	SkipOptedOut        SkipReason = "The customer opted out of messages."
	SkipOptIn           SkipReason = "START is not answered: the carrier confirms it."
	SkipWindowClosed    SkipReason = "The WhatsApp window is closed and the rule has no template."
	SkipTemplate        SkipReason = "The WhatsApp window is closed and the rule's template is not approved."
	SkipLimit           SkipReason = "The conversation reached its hourly limit of auto-replies."
	SkipOwnNumber       SkipReason = "The message came from one of our own numbers."
	SkipAlreadyAnswered SkipReason = "An auto-reply already answered this message."
	SkipUnsupported     SkipReason = "WhatsApp could not show the message (a poll, a deleted or disappearing message)."
)

// AutoReplyDecision is what the rules do about one message: send (Rule
// set) or not (Skip set). Logged is set for a skip an admin should see:
// a rule applied but could not send.
type AutoReplyDecision struct {
	Rule string // the rule's name, shown on the bubble
	// OutOfOffice is set for the out-of-office reply; Period is then the
	// start of its closed period.
	OutOfOffice bool
	Period      time.Time
	Type        MessageType // text or template
	Text        string
	TemplateID  string
	// TemplateValues are the template's values, {{contact...}} not yet
	// filled.
	TemplateValues []string
	Skip           SkipReason
	Logged         bool
}

// Send reports whether the decision sends something.
func (d AutoReplyDecision) Send() bool { return d.Rule != "" && d.Skip == "" }

// Decide applies the auto-reply rules to one customer message received
// now (see the precedence above). It is pure: everything it needs is in
// its arguments.
func (c AutoReplyConfig) Decide(in CustomerMessage, st AutoReplyState, now time.Time) AutoReplyDecision {
	if in.Type == TypeUnsupported {
		// Nothing the customer wrote: a poll, or the notice of a message
		// they deleted, is not a message to greet or answer.
		return AutoReplyDecision{Skip: SkipUnsupported}
	}
	text := in.Text
	if in.Type != TypeText && in.Type != "" {
		text = "" // keywords are for typed text
	}
	if in.Channel == SMS && text != "" {
		if stop, start := OptKeyword(text); stop {
			if !c.Stop.Enabled {
				return AutoReplyDecision{Skip: SkipStop}
			}
			// The confirmation goes to a customer who just opted out,
			// once per STOP, whatever the hourly limit.
			return AutoReplyDecision{Rule: RuleStopConfirmation, Type: TypeText, Text: c.Stop.Text}
		} else if start {
			return AutoReplyDecision{Skip: SkipOptIn}
		}
	}
	if in.OptedOut {
		return AutoReplyDecision{Skip: SkipOptedOut}
	}
	d, ok := c.match(in, text, st, now)
	if !ok {
		return AutoReplyDecision{Skip: SkipNoRule}
	}
	if st.LastHour != nil && st.LastHour() >= c.Limit() {
		return AutoReplyDecision{Rule: d.Rule, Skip: SkipLimit, Logged: true}
	}
	return d
}

// match finds the rule that answers and what it sends.
func (c AutoReplyConfig) match(in CustomerMessage, text string, st AutoReplyState, now time.Time) (AutoReplyDecision, bool) {
	if in.Channel == SMS && c.Help.Enabled && HelpKeyword(text) {
		return c.send(RuleSMSHelp, c.Help, in, st), true
	}
	if text != "" {
		for _, k := range c.Keywords {
			if k.Matches(in.SenderID, in.Channel, text) {
				return c.send(k.Name, k.AutoReplyMessage, in, st), true
			}
		}
	}
	if c.OutOfOffice.Enabled {
		if since, closed := c.Hours.ClosedSince(now); closed && (st.OutOfOfficeSent == nil || !st.OutOfOfficeSent(since)) {
			d := c.send(RuleOutOfOffice, c.OutOfOffice, in, st)
			d.OutOfOffice, d.Period = true, since
			return d, true
		}
	}
	if c.Greeting.Enabled && in.First {
		return c.send(RuleGreeting, c.Greeting, in, st), true
	}
	return AutoReplyDecision{}, false
}

// send is what rule sends given the window: the text while it is open, the
// approved template when it is closed.
func (c AutoReplyConfig) send(rule string, m AutoReplyMessage, in CustomerMessage, st AutoReplyState) AutoReplyDecision {
	d := AutoReplyDecision{Rule: rule}
	switch {
	case in.Channel != WhatsApp || in.WindowOpen:
		d.Type, d.Text = TypeText, m.Text
	case m.TemplateID == "":
		d.Skip, d.Logged = SkipWindowClosed, true
	case st.TemplateApproved != nil && !st.TemplateApproved(m.TemplateID):
		d.Skip, d.Logged = SkipTemplate, true
	default:
		d.Type, d.TemplateID, d.TemplateValues = TypeTemplate, m.TemplateID, m.TemplateValues
	}
	return d
}

// TemplateVariables fills the decision's template values for a contact,
// as Zavu takes them: {"1": ..., "2": ...}.
func (d AutoReplyDecision) TemplateVariables(c Contact) map[string]string {
	if len(d.TemplateValues) == 0 {
		return nil
	}
	out := make(map[string]string, len(d.TemplateValues))
	for i, v := range d.TemplateValues {
		out[strconv.Itoa(i+1)] = FillPlaceholders(v, PlaceholderValues{ContactName: c.Name, ContactPhone: c.Phone})
	}
	return out
}

// FillText is the decision's text for a contact.
func (d AutoReplyDecision) FillText(c Contact) string {
	return FillPlaceholders(d.Text, PlaceholderValues{ContactName: c.Name, ContactPhone: c.Phone})
}

// InvalidAutoReplies says, field by field, why auto-reply settings cannot
// be saved, in sentences an admin can act on. Keys are the form's field
// names. It matches ErrInvalid.
type InvalidAutoReplies map[string]string

func (e InvalidAutoReplies) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e[k])
	}
	return "auto-replies: " + strings.Join(parts, " ")
}

// Sentences are the problems in words, for a page, in the order of their
// settings' keys.
func (e InvalidAutoReplies) Sentences() string {
	keys := slices.Sorted(maps.Keys(e))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, e[k])
	}
	return strings.Join(parts, " ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e InvalidAutoReplies) Is(target error) bool { return target == ErrInvalid }

// AsInvalidAutoReplies returns the field errors in err, if it carries any.
func AsInvalidAutoReplies(err error) (InvalidAutoReplies, bool) {
	var inv InvalidAutoReplies
	ok := errors.As(err, &inv)
	return inv, ok
}

// Normalize tidies what an admin typed: spaces around texts, empty
// keywords, duplicate and unsorted holidays; no time zone is UTC.
func (c *AutoReplyConfig) Normalize() {
	c.Hours.TimeZone = strings.TrimSpace(c.Hours.TimeZone)
	if c.Hours.TimeZone == "" {
		c.Hours.TimeZone = "UTC"
	}
	hs := c.Hours.Holidays[:0:0]
	for _, h := range c.Hours.Holidays {
		if h = strings.TrimSpace(h); h != "" && !slices.Contains(hs, h) {
			hs = append(hs, h)
		}
	}
	slices.Sort(hs)
	c.Hours.Holidays = hs
	for i := range c.Hours.Days {
		slices.SortFunc(c.Hours.Days[i], func(a, b Span) int { return a.Open - b.Open })
	}
	for _, m := range []*AutoReplyMessage{&c.OutOfOffice, &c.Greeting, &c.Help, &c.Stop} {
		m.normalize()
	}
	for i := range c.Keywords {
		k := &c.Keywords[i]
		k.Name = strings.TrimSpace(k.Name)
		var kws []string
		for _, kw := range k.Keywords {
			kw = strings.Join(strings.Fields(kw), " ")
			// Of keywords that match alike ("price", "PRICE!"), the first.
			ws := words(kw)
			same := func(x string) bool { return x == kw || len(ws) > 0 && slices.Equal(words(x), ws) }
			if kw != "" && !slices.ContainsFunc(kws, same) {
				kws = append(kws, kw)
			}
		}
		k.Keywords = kws
		k.AutoReplyMessage.normalize()
	}
}

func (m *AutoReplyMessage) normalize() {
	m.Text = strings.TrimSpace(strings.ReplaceAll(m.Text, "\r\n", "\n"))
	m.TemplateID = strings.TrimSpace(m.TemplateID)
	vs := m.TemplateValues[:0:0]
	for _, v := range m.TemplateValues {
		vs = append(vs, strings.TrimSpace(v))
	}
	for len(vs) > 0 && vs[len(vs)-1] == "" {
		vs = vs[:len(vs)-1]
	}
	m.TemplateValues = vs
}

// Validate reports every setting that cannot be saved as it is, as
// InvalidAutoReplies; nil when all is fine. Call Normalize first. Whether
// a template exists is for the caller to check (see CheckTemplate).
func (c AutoReplyConfig) Validate() error {
	e := InvalidAutoReplies{}
	if _, err := time.LoadLocation(c.Hours.TimeZone); err != nil || c.Hours.TimeZone == "Local" || c.Hours.TimeZone == "" {
		e["timezone"] = fmt.Sprintf("%q is not a time zone Switchboard knows. Use a name such as Europe/Berlin or America/New_York.", c.Hours.TimeZone)
	}
	for d, spans := range c.Hours.Days {
		for i, s := range spans {
			day, next := time.Weekday(d), time.Weekday((d+1)%7)
			switch {
			case s.Close == 0 && s.Open > 0 && s.Open < 24*60:
				// Open until midnight, written as 00:00.
				e[fmt.Sprintf("day%d", d)] = fmt.Sprintf("On %s, write an opening until midnight as %s-24:00.", day, FormatClock(s.Open))
			case s.Open > s.Close && s.Open < 24*60 && s.Close > 0:
				// Open past midnight: it is two openings, one on each day.
				e[fmt.Sprintf("day%d", d)] = fmt.Sprintf("On %s, %s to %s closes the next day: write %s-24:00 on %s and 00:00-%s on %s.",
					day, FormatClock(s.Open), FormatClock(s.Close), FormatClock(s.Open), day, FormatClock(s.Close), next)
			case s.Open < 0 || s.Close > 24*60 || s.Open >= s.Close:
				e[fmt.Sprintf("day%d", d)] = fmt.Sprintf("On %s, each opening must close after it opens (%s to %s does not).",
					day, FormatClock(s.Open), FormatClock(s.Close))
			case i > 0 && s.Open < spans[i-1].Close:
				e[fmt.Sprintf("day%d", d)] = fmt.Sprintf("On %s, the openings overlap.", day)
			}
		}
	}
	for _, h := range c.Hours.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			e["holidays"] = fmt.Sprintf("%q is not a date. Write holidays as 2026-12-25, one per line.", h)
			break
		}
	}
	if c.MaxPerHour < 0 || c.MaxPerHour > MaxAutoRepliesPerHour {
		e["limit"] = fmt.Sprintf("The hourly limit must be between 1 and %d.", MaxAutoRepliesPerHour)
	}
	for key, m := range map[string]AutoReplyMessage{"ooo": c.OutOfOffice, "greeting": c.Greeting, "help": c.Help, "stop": c.Stop} {
		if msg := m.problem(); msg != "" {
			e[key] = msg
		}
	}
	if c.OutOfOffice.Enabled && !c.Hours.hasSpans() && e["ooo"] == "" {
		// Allowed, but surely a mistake: the team would never be open.
		e["ooo"] = "Set your business hours first: with no opening on any day, every message would be out of hours."
	}
	if len(c.Keywords) > MaxKeywordRules {
		e["rules"] = fmt.Sprintf("At most %d keyword rules.", MaxKeywordRules)
	}
	for _, k := range c.Keywords {
		if msg := k.problem(); msg != "" {
			e[fmt.Sprintf("rule%d", k.ID)] = msg
		}
	}
	if len(e) == 0 {
		return nil
	}
	return e
}

func (h BusinessHours) hasSpans() bool {
	for _, d := range h.Days {
		if len(d) > 0 {
			return true
		}
	}
	return false
}

// problem is what is wrong with a rule's message, or "".
func (m AutoReplyMessage) problem() string {
	n := utf8.RuneCountInString(m.Text)
	switch {
	case m.Enabled && m.Text == "":
		return "Write the text of the reply, or turn it off."
	case n > MaxReplyLength:
		return fmt.Sprintf("The text is %d characters long; a reply can be at most %d.", n, MaxReplyLength)
	case strings.Contains(m.Text+strings.Join(m.TemplateValues, " "), "{{"+PlaceholderAgentName):
		return "An auto-reply has no agent: remove {{agent.name}}."
	}
	if bad := unknownPlaceholders(m.Text + "\n" + strings.Join(m.TemplateValues, "\n")); len(bad) > 0 {
		return fmt.Sprintf("Switchboard does not know %s. Use {{contact.name}} or {{contact.phone}}.", strings.Join(bad, ", "))
	}
	return ""
}

// problem is what is wrong with a keyword rule, or "".
func (k KeywordRule) problem() string {
	switch {
	case k.Name == "":
		return "Give the rule a name; the thread shows it on every reply it sends."
	case utf8.RuneCountInString(k.Name) > MaxRuleName:
		return fmt.Sprintf("A rule's name can be at most %d characters long.", MaxRuleName)
	case len(k.Keywords) == 0:
		return "Give the rule at least one keyword or phrase."
	case k.Channel != "" && k.Channel != WhatsApp && k.Channel != SMS:
		return "Choose WhatsApp, SMS or any channel."
	case k.Text == "":
		return "Write the text of the reply."
	}
	for _, kw := range k.Keywords {
		if len(words(kw)) == 0 {
			return fmt.Sprintf("%q has no letters or digits to match.", kw)
		}
	}
	return k.AutoReplyMessage.problem()
}

// CheckTemplate says what is wrong with a rule's template, or "": it must
// be known, and get a value for each of its variables.
func CheckTemplate(m AutoReplyMessage, t Template, known bool) string {
	switch {
	case m.TemplateID == "":
		return ""
	case !known:
		return "That template is not known. Sync templates from Zavu, or choose another."
	case t.Body != "" && t.Variables() != len(m.TemplateValues):
		return fmt.Sprintf("The template %s has %d variables; give one value per line for each.", t.Name, t.Variables())
	}
	return ""
}

// Rule returns the keyword rule with this id.
func (c AutoReplyConfig) Rule(id int64) (KeywordRule, bool) {
	i := slices.IndexFunc(c.Keywords, func(k KeywordRule) bool { return k.ID == id })
	if i < 0 {
		return KeywordRule{}, false
	}
	return c.Keywords[i], true
}

// PutRule adds k at the end (k.ID 0: it gets a fresh id) or replaces the
// rule with its id, keeping its place. An unknown id is ErrNotFound.
func (c *AutoReplyConfig) PutRule(k KeywordRule) (KeywordRule, error) {
	if k.ID == 0 {
		for _, x := range c.Keywords {
			k.ID = max(k.ID, x.ID)
		}
		k.ID++
		c.Keywords = append(c.Keywords, k)
		return k, nil
	}
	i := slices.IndexFunc(c.Keywords, func(x KeywordRule) bool { return x.ID == k.ID })
	if i < 0 {
		return KeywordRule{}, fmt.Errorf("keyword rule %d: %w", k.ID, ErrNotFound)
	}
	c.Keywords[i] = k
	return k, nil
}

// DeleteRule removes a keyword rule and returns it.
func (c *AutoReplyConfig) DeleteRule(id int64) (KeywordRule, error) {
	i := slices.IndexFunc(c.Keywords, func(x KeywordRule) bool { return x.ID == id })
	if i < 0 {
		return KeywordRule{}, fmt.Errorf("keyword rule %d: %w", id, ErrNotFound)
	}
	k := c.Keywords[i]
	c.Keywords = slices.Delete(c.Keywords, i, i+1)
	return k, nil
}

// MoveRule moves a keyword rule one place earlier (by -1) or later (+1);
// at either end it stays.
func (c *AutoReplyConfig) MoveRule(id int64, by int) error {
	i := slices.IndexFunc(c.Keywords, func(x KeywordRule) bool { return x.ID == id })
	if i < 0 {
		return fmt.Errorf("keyword rule %d: %w", id, ErrNotFound)
	}
	j := i + by
	if j < 0 || j >= len(c.Keywords) {
		return nil
	}
	c.Keywords[i], c.Keywords[j] = c.Keywords[j], c.Keywords[i]
	return nil
}
