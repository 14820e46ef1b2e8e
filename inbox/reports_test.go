package inbox

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

var rt0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func rat(min int) time.Time { return rt0.Add(time.Duration(min) * time.Minute) }

func cmsg(min int, id int64) TimelineItem {
	return TimelineItem{At: rat(min), Kind: TimelineCustomer, ID: id}
}

// rreply is a reply written at min and sent at once; sent is one written
// at min and sent at sentMin, or never when sentMin is negative.
func rreply(min int, user, id int64) TimelineItem { return sent(min, min, user, id) }
func sent(min, sentMin int, user, id int64) TimelineItem {
	it := TimelineItem{At: rat(min), Kind: TimelineReply, UserID: user, ID: id}
	if sentMin >= 0 {
		it.SentAt = rat(sentMin)
	}
	return it
}
func rresolve(min int, user, id int64) TimelineItem {
	return TimelineItem{At: rat(min), Kind: TimelineResolve, UserID: user, ID: id}
}

func TestOpeningsFromTimelines(t *testing.T) {
	tests := []struct {
		name  string
		items []TimelineItem
		want  []Opening
	}{
		{"no customer message, no opening", []TimelineItem{rreply(0, 1, 1), rresolve(5, 1, 1)}, nil},
		{
			"first response and resolution",
			[]TimelineItem{cmsg(0, 1), cmsg(2, 2), rreply(7, 4, 3), rreply(9, 5, 4), rresolve(30, 5, 1)},
			[]Opening{{OpenedAt: rat(0), FirstResponseAt: rat(7), FirstResponder: 4, ResolvedAt: rat(30), Resolver: 5}},
		},
		{
			"a customer's message after a resolve is a new opening",
			[]TimelineItem{cmsg(0, 1), rreply(1, 4, 2), rresolve(2, 4, 1), cmsg(60, 3), rreply(90, 5, 4), rresolve(120, 5, 2)},
			[]Opening{
				{OpenedAt: rat(0), FirstResponseAt: rat(1), FirstResponder: 4, ResolvedAt: rat(2), Resolver: 4},
				{OpenedAt: rat(60), FirstResponseAt: rat(90), FirstResponder: 5, ResolvedAt: rat(120), Resolver: 5},
			},
		},
		{
			"a reply before the opening answers nothing; a second resolve counts nothing",
			[]TimelineItem{rreply(0, 4, 1), cmsg(10, 2), rresolve(20, 4, 1), rresolve(25, 5, 2)},
			[]Opening{{OpenedAt: rat(10), ResolvedAt: rat(20), Resolver: 4}},
		},
		{
			"unanswered and unresolved",
			[]TimelineItem{cmsg(0, 1)},
			[]Opening{{OpenedAt: rat(0)}},
		},
		{
			"a reply that failed is none; the next that went is the response",
			[]TimelineItem{cmsg(0, 1), sent(4, -1, 4, 2), sent(6, 7, 5, 3), rresolve(30, 5, 1)},
			[]Opening{{OpenedAt: rat(0), FirstResponseAt: rat(7), FirstResponder: 5, ResolvedAt: rat(30), Resolver: 5}},
		},
		{
			"a reply retried and sent counts from when it was sent, if no other went before",
			[]TimelineItem{cmsg(0, 1), sent(4, 12, 4, 2), sent(6, 10, 5, 3), cmsg(20, 4), sent(21, 40, 4, 5)},
			[]Opening{{OpenedAt: rat(0), FirstResponseAt: rat(10), FirstResponder: 5}},
		},
		{
			"a reply written before the resolve and sent after it answers its opening",
			[]TimelineItem{cmsg(0, 1), sent(4, 6, 4, 2), rresolve(5, 4, 1)},
			[]Opening{{OpenedAt: rat(0), FirstResponseAt: rat(6), FirstResponder: 4, ResolvedAt: rat(5), Resolver: 4}},
		},
		{
			"same instant: the customer first, then the reply, then the resolve",
			[]TimelineItem{rresolve(5, 4, 1), rreply(5, 4, 2), cmsg(5, 3)},
			[]Opening{{OpenedAt: rat(5), FirstResponseAt: rat(5), FirstResponder: 4, ResolvedAt: rat(5), Resolver: 4}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Openings(tt.items)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("openings:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestOpeningsDoNotDependOnOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var items []TimelineItem
		for i := range r.IntN(20) {
			it := TimelineItem{At: rat(r.IntN(30)), Kind: TimelineKind(r.IntN(3)), UserID: int64(r.IntN(3)), ID: int64(i)}
			if it.Kind == TimelineReply && r.IntN(4) > 0 {
				it.SentAt = it.At.Add(time.Duration(r.IntN(10)) * time.Minute)
			}
			items = append(items, it)
		}
		want := Openings(append([]TimelineItem(nil), items...))
		r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		if got := Openings(items); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffled timeline gave %+v, want %+v", got, want)
		}
	}
}

func TestAutoRepliesAndEchoesAreNoResponse(t *testing.T) {
	for _, tt := range []struct {
		d    Direction
		s    Source
		want bool
	}{
		{Outbound, SourceAgent, true},
		{Outbound, SourceAPI, true},
		{Outbound, SourceAutoReply, false},
		{Outbound, SourcePhoneApp, false},
		{Inbound, SourceCustomer, false},
	} {
		if got := CountsAsResponse(tt.d, tt.s); got != tt.want {
			t.Errorf("CountsAsResponse(%s, %s) = %v, want %v", tt.d, tt.s, got, tt.want)
		}
	}
}

// A reply is a response once it reached the customer's channel, from
// then: not while on its way, never once failed (even after a delivery
// report), and a status report's placeholder for a message not known to
// be ours is none.
func TestResponseAtIsWhenTheReplyReachedTheChannel(t *testing.T) {
	reply := Message{Direction: Outbound, Source: SourceAgent}
	for _, tt := range []struct {
		name string
		m    func(m *Message)
		want time.Time
	}{
		{"pending", func(m *Message) { m.Status = StatusPending }, time.Time{}},
		{"queued at Zavu", func(m *Message) { m.Status, m.StatusTimes.Queued = StatusQueued, rat(1) }, time.Time{}},
		{"sent", func(m *Message) { m.Status, m.StatusTimes.Queued, m.StatusTimes.Sent = StatusSent, rat(1), rat(2) }, rat(2)},
		{"delivered reported before sent", func(m *Message) {
			m.Status, m.StatusTimes.Sent, m.StatusTimes.Delivered = StatusDelivered, rat(4), rat(3)
		}, rat(3)},
		{"failed", func(m *Message) { m.Status, m.StatusTimes.Failed = StatusFailed, rat(2) }, time.Time{}},
		{"failed after a delivery", func(m *Message) {
			m.Status, m.StatusTimes.Sent, m.StatusTimes.Delivered, m.StatusTimes.Failed = StatusFailed, rat(2), rat(3), rat(4)
		}, time.Time{}},
		{"through the API", func(m *Message) { m.Source, m.Status, m.StatusTimes.Sent = SourceAPI, StatusSent, rat(2) }, rat(2)},
		{"a status report's placeholder", func(m *Message) {
			m.Source, m.Type, m.Provisional, m.Status, m.StatusTimes.Sent = SourceAPI, TypeUnknown, true, StatusSent, rat(2)
		}, time.Time{}},
		{"an auto-reply", func(m *Message) { m.Source, m.Status, m.StatusTimes.Sent = SourceAutoReply, StatusSent, rat(2) }, time.Time{}},
	} {
		m := reply
		tt.m(&m)
		if got := ResponseAt(m); !got.Equal(tt.want) {
			t.Errorf("%s: ResponseAt = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPercentiles(t *testing.T) {
	for _, tt := range []struct {
		values   []float64
		p50, p90 float64
	}{
		{nil, 0, 0},
		{[]float64{42}, 42, 42},
		{[]float64{10, 1, 5, 3, 2, 8, 4, 7, 6, 9}, 5, 9},
		{[]float64{1, 100}, 1, 100},
	} {
		s := SpreadOf(append([]float64(nil), tt.values...))
		if s.P50 != tt.p50 || s.P90 != tt.p90 || s.Count != len(tt.values) {
			t.Errorf("SpreadOf(%v) = %+v, want p50 %v p90 %v count %d", tt.values, s, tt.p50, tt.p90, len(tt.values))
		}
	}
}

func TestResponseBuckets(t *testing.T) {
	for secs, want := range map[float64]int{0: 0, 60: 0, 61: 1, 900: 2, 3601: 4, 86400: 5, 90000: 6} {
		if got := ResponseBucket(secs); got != want {
			t.Errorf("ResponseBucket(%v) = %d, want %d", secs, got, want)
		}
	}
}
