package inbox

import (
	"cmp"
	"context"
	"math"
	"math/bits"
	"slices"
	"time"
)

// Reports measure how fast the team answers and resolves. Their unit is an
// opening: a customer's message that opens a conversation, or reopens one
// that was resolved, starts one. Its first response is the reply by an
// agent or through the API written while it is open (after it, before its
// resolve) that reached the customer's channel first, at the time it
// reached it (ResponseAt): when Zavu reported it sent, or delivered or
// read if those came first. A reply on its way does not count yet; one
// that failed does not count at all (failed is final), unless an agent
// retries it: then it counts from when the retry was sent. So a first
// reply that failed and a second that went make the second the response;
// a good reply followed by a failed one leaves the good one the response.
// Auto-replies, messages typed in the WhatsApp Business phone app, and
// placeholders a status report left for a message Switchboard has not
// seen (another system's, or ours before Zavu's answer to the send was
// stored) do not count. Its resolution is the first resolve after it. A
// customer's message while an opening is still unresolved belongs to that
// opening. An agent reopening a conversation by hand starts nothing: only
// the customer's next message does. A resolve taken back within
// ResolveUndoWindow (the inbox's Undo, or a reopen as quick) is no
// resolve: the request it closed goes on.
//
// Openings are a function of a conversation's timeline (its customer
// messages, replies and resolves, by time), whatever order they were
// stored in.

// ResolveUndoWindow is how long after a resolve an agent's reopen takes
// it back, as if it had not happened: the inbox takes an Undo for a
// minute (and the satisfaction survey waits longer than that, CSATDelay).
const ResolveUndoWindow = time.Minute

// TimelineKind is what a timeline item is. At the same instant a
// customer's message comes before a reply, and a reply before a resolve.
type TimelineKind int

const (
	TimelineCustomer TimelineKind = iota // a customer's message
	TimelineReply                        // a reply by an agent or the API
	TimelineResolve                      // the conversation was resolved
)

// TimelineItem is one thing that happened in a conversation that reports
// count. UserID is the agent who replied or resolved (0 for none); ID tells
// items of one kind at the same instant apart. A reply's At is when it was
// written, which tells the opening it belongs to; SentAt is when it reached
// the customer's channel (ResponseAt), zero while it has not.
type TimelineItem struct {
	At     time.Time
	Kind   TimelineKind
	UserID int64
	ID     int64
	SentAt time.Time
}

// Opening is one request of a customer: when it opened, its first response
// and its resolution (zero times when they have not happened), and the
// agents who gave them (0 for the API or nobody).
type Opening struct {
	OpenedAt        time.Time
	FirstResponseAt time.Time
	FirstResponder  int64
	ResolvedAt      time.Time
	Resolver        int64
}

// FirstResponse is the time from opening to first response; ok is false
// when there has been none.
func (o Opening) FirstResponse() (d time.Duration, ok bool) {
	if o.FirstResponseAt.IsZero() {
		return 0, false
	}
	return o.FirstResponseAt.Sub(o.OpenedAt), true
}

// Resolution is the time from opening to resolve; ok is false while the
// opening is unresolved.
func (o Opening) Resolution() (d time.Duration, ok bool) {
	if o.ResolvedAt.IsZero() {
		return 0, false
	}
	return o.ResolvedAt.Sub(o.OpenedAt), true
}

// CountsAsResponse reports whether a message is a reply that answers a
// customer: one the business sent from Switchboard by an agent or through
// the API. Auto-replies and phone-app echoes do not.
func CountsAsResponse(d Direction, s Source) bool {
	return d == Outbound && (s == SourceAgent || s == SourceAPI)
}

// ReachedAt is when an outbound message with status s and times t reached
// the customer's channel: the earliest of its sent, delivered and read
// times, while its status is one of those. It is zero while the message is
// on its way (pending, queued, sending) and once it failed, for failed is
// final (AdvanceStatus) even after a delivery; an agent's retry clears the
// times of the failed attempt.
func ReachedAt(s Status, t StatusTimes) time.Time {
	if s != StatusSent && s != StatusDelivered && s != StatusRead {
		return time.Time{}
	}
	var at time.Time
	for _, x := range []time.Time{t.Sent, t.Delivered, t.Read} {
		if !x.IsZero() && (at.IsZero() || x.Before(at)) {
			at = x
		}
	}
	return at
}

// ResponseAt is when m answered the customer, as reports count a response:
// a reply by an agent or through the API (CountsAsResponse) that reached
// the customer's channel (ReachedAt). It is zero for any other message,
// and for an outbound placeholder a status report left (Provisional): it
// is not known to be ours until Zavu's answer to our send claims it.
func ResponseAt(m Message) time.Time {
	if !CountsAsResponse(m.Direction, m.Source) || m.Provisional {
		return time.Time{}
	}
	return ReachedAt(m.Status, m.StatusTimes)
}

// SortTimeline orders items by time; at the same instant customer messages
// come first, then replies, then resolves, each by ID.
func SortTimeline(items []TimelineItem) {
	slices.SortFunc(items, func(a, b TimelineItem) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// Openings computes the openings of one conversation's timeline, oldest
// first. items is sorted in place. A reply answers the opening it was
// written in, if it reached the customer; of several, the one that
// reached them first.
func Openings(items []TimelineItem) []Opening {
	SortTimeline(items)
	var out []Opening
	open := false // the last opening is unresolved
	for _, it := range items {
		switch it.Kind {
		case TimelineCustomer:
			if !open {
				out = append(out, Opening{OpenedAt: it.At})
				open = true
			}
		case TimelineReply:
			if o := last(out); open && !it.SentAt.IsZero() && (o.FirstResponseAt.IsZero() || it.SentAt.Before(o.FirstResponseAt)) {
				o.FirstResponseAt, o.FirstResponder = it.SentAt, it.UserID
			}
		case TimelineResolve:
			if o := last(out); open {
				o.ResolvedAt, o.Resolver = it.At, it.UserID
				open = false
			}
		}
	}
	return out
}

func last(os []Opening) *Opening {
	if len(os) == 0 {
		return nil
	}
	return &os[len(os)-1]
}

// Percentile returns the p-th percentile (0 < p <= 1) of values by the
// nearest-rank method: the smallest value at least p of them are at or
// below. values is reordered in place; an empty one gives 0.
func Percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(values)))) - 1
	return nthSmallest(values, min(max(rank, 0), len(values)-1))
}

// nthSmallest returns the value that would be at index k were values
// sorted, in time linear in len(values) on average: it partitions values
// around pivots (median of three, equal values in the middle, so that many
// equal durations cost nothing), and sorts what is left when the pivots
// are unlucky too often.
func nthSmallest(v []float64, k int) float64 {
	lo, hi := 0, len(v) // k is within v[lo:hi]
	for budget := 2 * bits.Len(uint(len(v))); hi-lo > 16; budget-- {
		if budget == 0 {
			slices.Sort(v[lo:hi])
			return v[k]
		}
		a, b, c := v[lo], v[lo+(hi-lo)/2], v[hi-1]
		pivot := max(min(a, b), min(max(a, b), c))
		// v[lo:lt] < pivot, v[lt:i] == pivot, v[gt:hi] > pivot.
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch x := v[i]; {
			case x < pivot:
				v[lt], v[i] = v[i], v[lt]
				lt++
				i++
			case x > pivot:
				gt--
				v[gt], v[i] = v[i], v[gt]
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt
		case k >= gt:
			lo = gt
		default:
			return pivot
		}
	}
	slices.Sort(v[lo:hi])
	return v[k]
}

// Spread is the median and 90th percentile of durations in seconds, and
// how many there were.
type Spread struct {
	P50   float64
	P90   float64
	Count int
}

// SpreadOf summarises durations in seconds; values is reordered in place.
func SpreadOf(values []float64) Spread {
	return Spread{P50: Percentile(values, 0.5), P90: Percentile(values, 0.9), Count: len(values)}
}

// ReportFilter narrows a report: openings and messages from From
// (inclusive) to To (exclusive), and when set, on one sender, one channel,
// handled by one agent (who gave the first response or resolved), or with
// one label.
type ReportFilter struct {
	From, To time.Time
	SenderID string
	Channel  Channel
	AgentID  int64
	// LabelID, when set, keeps the conversations that carry the label
	// now; their messages are then counted from the messages themselves.
	LabelID int64
}

// AgentFigures are one agent's figures in a report.
type AgentFigures struct {
	AgentID          int64
	Name             string
	Replies          int
	FirstResponses   int     // the first responses the agent gave to openings of the period
	FirstResponseP50 float64 // their median; 0 when there were none
	Resolved         int
	CSAT             CSATScore // answers to the surveys of the agent's resolves
}

// Summary is the report of a period, in the reporting time zone: openings
// in it and their response and resolution times, messages in each
// direction, the agents' figures, and inbound messages by hour of day and
// by weekday (Monday first). ByDay counts inbound messages per calendar
// day of the period, and the histogram counts first responses in
// ResponseBuckets.
type Summary struct {
	Conversations    int
	InboundMessages  int
	OutboundMessages int
	FirstResponse    Spread
	Resolution       Spread
	// Business tells that business hours are set; FirstResponseBusiness
	// and ResolutionBusiness then count only the time within them.
	Business              bool
	FirstResponseBusiness Spread
	ResolutionBusiness    Spread
	ByAgent               []AgentFigures
	ByHour                [24]int
	ByWeekday             [7]int
	ByDay                 []DayCount
	ResponseBuckets       []int // counts per ResponseBucketBounds
	HourWeekday           [7][24]int
	// CSAT scores the survey answers given in the period.
	CSAT CSATScore
}

// DayCount is the inbound and outbound messages of one day.
type DayCount struct {
	Day      time.Time // midnight in the reporting zone
	Inbound  int
	Outbound int
}

// ResponseBucketBounds are the upper bounds, in seconds, of the first
// response histogram's bars; the last bar holds everything slower.
var ResponseBucketBounds = []float64{60, 5 * 60, 15 * 60, 60 * 60, 4 * 3600, 24 * 3600, math.Inf(1)}

// ResponseBucket returns the histogram bar for a first response in
// seconds.
func ResponseBucket(secs float64) int {
	for i, b := range ResponseBucketBounds {
		if secs <= b {
			return i
		}
	}
	return len(ResponseBucketBounds) - 1
}

// Weekday returns t's weekday with Monday as 0.
func Weekday(t time.Time) int { return (int(t.Weekday()) + 6) % 7 }

// ReportRow is one opening in the CSV export, with its conversation.
type ReportRow struct {
	ConversationID int64
	ContactPhone   string
	ContactName    string
	SenderID       string
	Channel        Channel
	Opening        Opening
	Assignee       string
	Labels         []string // the conversation's labels now, by name
	FirstResponder string
	Resolver       string
	Inbound        int // the conversation's messages in each direction
	Outbound       int
	CSAT           int // the survey's answer about this opening, 1-5; 0 for none
}

// ReportStore reads reports from rollups kept up to date as conversations
// change.
type ReportStore interface {
	// ReportSummary is the report of f's period in loc. A period that
	// does not end after it starts is an error wrapping ErrInvalid.
	ReportSummary(ctx context.Context, f ReportFilter, loc *time.Location) (Summary, error)
	// ReportRows gives the openings of f's period, oldest first, to fn.
	ReportRows(ctx context.Context, f ReportFilter, fn func(ReportRow) error) error
}

// SettingReportTimeZone is the setting that holds the time zone reports
// count hours and days in: an IANA name; UTC when unset.
const SettingReportTimeZone = "report_time_zone"

// ReportLocation is the reports' time zone for the setting's value: UTC
// when it is empty or unknown.
func ReportLocation(name string) *time.Location {
	if name == "" || name == "Local" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}
