// Package views renders Switchboard's pages with templ. Handlers in web/
// build the view models defined here; components never query anything.
// The same component renders a widget inside the full page and as the
// fragment that htmx or the websocket swaps in.
package views

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"switchboard/inbox"
)

// Page is what every page's frame needs.
type Page struct {
	Title   string
	CSRF    string    // the session's CSRF token, sent by htmx as a header
	User    *UserView // nil on the login and setup pages
	Sandbox bool      // no Zavu key: say so on every page
	// TZ is the agent's IANA time zone, in which the page shows times
	// (app.js formats every <time datetime> in it).
	TZ string
}

// UserView is the signed-in agent.
type UserView struct {
	ID       int64
	Name     string
	Initials string
	Admin    bool
}

// Filter is the inbox list's selection, kept in the URL.
type Filter struct {
	View     string // open, mine, unassigned, snoozed, resolved
	SenderID string
	Channel  string
	Label    string // a label's name, or empty for any
}

// Views are the inbox's four lists, in the order the navigation shows them.
// Icon names each one's symbol in static/icons.svg.
var Views = []struct{ Key, Label, Icon string }{
	{"open", "Open", "inbox"}, {"mine", "Mine", "user"}, {"unassigned", "Unassigned", "user-x"},
	{"snoozed", "Snoozed", "alarm-clock"}, {"resolved", "Resolved", "circle-check"},
}

// Query is the filter as a URL query, without the leading "?".
func (f Filter) Query() string {
	v := url.Values{}
	if f.View != "" && f.View != "open" {
		v.Set("view", f.View)
	}
	if f.SenderID != "" {
		v.Set("sender", f.SenderID)
	}
	if f.Channel != "" {
		v.Set("channel", f.Channel)
	}
	if f.Label != "" {
		v.Set("label", f.Label)
	}
	return v.Encode()
}

// With returns the filter's URL for path with extra query values.
func (f Filter) With(path string, kv ...string) string {
	v, _ := url.ParseQuery(f.Query())
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	if q := v.Encode(); q != "" {
		return path + "?" + q
	}
	return path
}

// InboxView is the whole inbox page.
type InboxView struct {
	Page
	Filter  Filter
	Senders []SenderOption
	List    ListView
	Thread  *ThreadView // nil when no conversation is open
	// ThreadGone is set when the address named a conversation that no
	// longer exists: the pane says so in place of the thread.
	ThreadGone bool
	NewConv    *NewConversationView
	// Agents are the active teammates, rendered once in the page for
	// every thread's assignee picker.
	Agents []AgentOption
	Live   LiveMark
	// Mentions counts the agent's conversations with unseen @mentions:
	// the badge on the Mentions view.
	Mentions int
	// Labels are every label, for the filter and the bulk actions;
	// SavedViews the agent's and the team's saved filters.
	Labels     []inbox.Label
	SavedViews []SavedViewLink
	// Counts are the views' numbers in the navigation, by their filter's
	// query (Filter.Query); a view without one has no number.
	Counts map[string]int
	// Notice says, once, why the user landed here (an admin who made
	// themselves an agent).
	Notice string
}

// LiveMark is where a page or fragment stands in the live-update stream:
// the server's run (Epoch) and the last change published before the page
// read the database (Seq). On connecting, the page asks for everything
// after Seq; the hub replays it or tells the page to fetch again.
type LiveMark struct {
	Epoch string
	Seq   uint64
}

// ListView is the conversation list, or one more page of it.
type ListView struct {
	Filter     Filter
	Rows       []RowView
	NextCursor string
	Unread     int64  // unread messages in the rows shown, for the tab title
	WebhookURL string // shown in the empty state
	Filtered   bool   // the list is empty because of the filter, not for want of conversations
	Live       LiveMark
}

// RowView is one conversation in the list.
type RowView struct {
	ID         int64
	Name       string
	Phone      string
	Channel    inbox.Channel
	SenderID   string
	ShowSender bool
	Preview    string
	// From says whose the preview's message is when it is not the
	// customer's: a teammate's first name, or "Auto-reply", "Phone",
	// "API". FromID is the agent's id: the page says "You" in place of
	// the name when it is the signed-in agent's.
	From    string
	FromID  int64
	At      time.Time
	AtLabel string // "2m", "3h", "Mon", "12 Mar"
	Unread  int64
	// Inbound counts the customer's messages ever and Read those the
	// viewer has read: the page derives the unread count from both, so a
	// live row (rendered once for everyone) keeps each agent's own count.
	Inbound      int64
	Read         int64
	AssigneeID   int64
	Assignee     string // initials, empty when unassigned
	AssigneeName string
	WindowSoon   bool // the WhatsApp window closes within 2 hours
	WindowLabel  string
	Resolved     bool
	Selected     bool
	Labels       []inbox.Label
	Snoozed      bool
	SnoozedUntil time.Time // zero: until the customer writes
}

// ThreadView is one open conversation.
type ThreadView struct {
	Conv        ConvView
	Items       []ThreadItem
	OlderCursor string // empty when the first message is shown
	Composer    ComposerView
	Live        LiveMark
}

// ConvView is a conversation's header and details.
type ConvView struct {
	ID           int64
	Name         string
	Phone        string
	Channel      inbox.Channel
	SenderID     string
	Resolved     bool
	AssigneeID   int64
	AssigneeName string
	Window       WindowView
	StartedAt    time.Time
	Labels       []inbox.Label
	Snoozed      bool
	SnoozedUntil time.Time     // zero: until the customer writes
	AllLabels    []inbox.Label // for the label picker
	// Contact is what the team knows about the contact; nil leaves the
	// panel out.
	Contact *ContactPanelView
}

// WindowView is the WhatsApp 24-hour window as agents read it.
type WindowView struct {
	Applies bool // WhatsApp only
	Open    bool
	Soon    bool
	Label   string // "Closes in 3 h 12 m", "Closed 2 days ago", "Opens when the customer writes"
}

// AgentOption is a teammate a conversation can be assigned to.
type AgentOption struct {
	ID   int64
	Name string
}

// ThreadItem is a day separator or a message.
type ThreadItem struct {
	Day     string // set for a separator
	Message *MessageView
}

// MessageView is one bubble.
type MessageView struct {
	M            inbox.Message
	Time         string // "10:02"
	Times        string // each status and its UTC time, a line each ("Sent 2026-11-23T10:02:00Z"), for the hover
	Day          string // "2026-11-23", to place day separators live
	Author       string // "Ana", "Sent from phone", "Auto-reply"
	Rating       string // a survey answer's line: "Rated 5: Good"
	Failure      string // why it failed, in plain words
	FailureCode  string // the error's code and Zavu's own words where Failure leaves them out, for support
	StatusTitle  string // when each status came, for the hover
	TextParts    []TextPart
	Reactions    []ReactionView
	MapURL       string
	MediaLabel   string // "Photo", "Voice message", "PDF document"
	ContactsText []ContactCardView
	CanRetry     bool // a failed reply sent from Switchboard: offer Retry
	// NeedsWindow is set on a WhatsApp reply Retry sends again only while
	// the 24-hour window is open (anything but a template): once it has
	// closed, the thread shows why instead of Retry.
	NeedsWindow bool
	MediaSrc    string // where the browser gets the media, when it can
	CanReact    bool   // a customer's WhatsApp message: offer the reaction picker
	// Activity is an activity line's sentence ("Maya assigned this to
	// Ben"); ActivityUntil, when set, is a time that follows it (a
	// snooze's end), shown in the agent's zone.
	Activity      string
	ActivityUntil time.Time
	// WaitUntil is when a reply waiting for a retry (M.Waiting) is tried
	// again, or one a pause holds before its first attempt is sent,
	// "10:42" in the zone of the page's first render; the page shows it in
	// the agent's zone.
	WaitUntil string
}

// QuickReactions are the emoji the reaction picker offers.
var QuickReactions = []string{"👍", "❤️", "😂", "😮", "🙏", "✅"}

// ReactionView is one chip under a bubble.
type ReactionView struct {
	Emoji string
	Who   string
}

// ContactCardView is one shared contact.
type ContactCardView struct {
	Name   string
	Phones []ContactLine
	Emails []ContactLine
}

// ContactLine is one number or address on a shared contact, with its kind
// as the customer's phone labels it ("mobile", "work"), if any.
type ContactLine struct {
	Value string
	Kind  string
}

// TextPart is a run of message text, or a link in it.
type TextPart struct {
	Text string
	URL  string
}

// LoginView is the sign-in form.
type LoginView struct {
	Page
	Email string
	Error string
	Next  string
	// Notice says why the user is here, once (an admin who deactivated
	// their own account).
	Notice string
}

// SetupView is the first-run form that creates the first admin.
type SetupView struct {
	Page
	// NeedCode asks for the setup's code (the link in the log) first;
	// Code is the one given, carried by the form.
	NeedCode bool
	Code     string
	Name     string
	Email    string
	Error    string
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

func seqStr(n uint64) string { return strconv.FormatUint(n, 10) }

// isoTime is the UTC form every <time datetime> carries; app.js shows it
// in the agent's zone.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func convURL(id int64, f Filter) string { return f.With("/conversations/" + idStr(id)) }

func msgDOMID(id int64) string { return "m-" + idStr(id) }

// Plural is n with its noun: "1 message", "3 messages"; one and many may
// be longer phrases ("conversation was", "conversations were").
func Plural(n int64, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// tickLabel is the accessible name of an outbound message's status mark.
func tickLabel(s inbox.Status) string {
	switch s {
	case inbox.StatusPending:
		return "Sending"
	case inbox.StatusQueued, inbox.StatusSending:
		return "Queued"
	case inbox.StatusSent:
		return "Sent"
	case inbox.StatusDelivered:
		return "Delivered"
	case inbox.StatusRead:
		return "Read"
	case inbox.StatusFailed:
		return "Failed"
	}
	return strings.ToUpper(string(s[:min(1, len(s))])) + string(s[min(1, len(s)):])
}

// dayLabel turns "2006-01-02" into "Monday, 23 November 2026".
func dayLabel(day string) string {
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		return day
	}
	return t.Format("Monday, 2 January 2006")
}

// ComposerView is the reply box of one conversation.
type ComposerView struct {
	ConvID      int64
	FreeText    bool   // text may be sent (the WhatsApp window is open, or SMS)
	SMS         bool   // show the segment counter
	Closed      string // why nothing can be sent at all (opted out), or empty
	WindowLabel string // "Window closes in 3 h 12 m", or why only templates go
	// WindowCloses is when the free text box gives way to the template
	// picker (UTC, RFC 3339), while the WhatsApp window is open: the page
	// asks for the composer again then.
	WindowCloses string
	Placeholder  string
	// MaxLength is the most characters a reply may have; the page counts
	// them as the end comes near rather than cutting a paste short.
	MaxLength int
	// MaxCaption is the most characters the text may have with a file
	// attached (its caption).
	MaxCaption int
	Templates  []TemplateOption
}

// TemplateOption is an approved WhatsApp template.
type TemplateOption struct {
	ID       string
	Name     string
	Language string
	Body     string // with {{1}}, {{2}}... where the variables go
	Vars     int
}

// Mode names what the composer offers; a live update swaps the composer
// only when it changes, so a half-written reply stays where it is.
func (c ComposerView) Mode() string {
	switch {
	case c.Closed != "":
		return "closed"
	case c.FreeText:
		return "text"
	}
	return "template"
}

// SenderOption is one of the business's senders as agents know it: its
// name from Admin > Senders, else its number, else its id.
type SenderOption struct {
	ID, Label string
}
