package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"switchboard/inbox"
)

// Cases a support lead meets, each figure worked out by hand.

// reportDesk is a small team on a fresh database: Ana and Ben, agents.
type reportDesk struct {
	t        *testing.T
	db       *DB
	ctx      context.Context
	ana, ben inbox.User
	n        int
}

func newReportDesk(t *testing.T) *reportDesk {
	d := &reportDesk{t: t, db: openTest(t), ctx: context.Background()}
	d.ana = inbox.User{Email: "ana@example.com", Name: "Ana", Role: inbox.RoleAgent, Active: true}
	d.ben = inbox.User{Email: "ben@example.com", Name: "Ben", Role: inbox.RoleAgent, Active: true}
	for _, u := range []*inbox.User{&d.ana, &d.ben} {
		if err := d.db.CreateUser(d.ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// customer stores a customer's message from phone at at, and returns its
// conversation.
func (d *reportDesk) customer(phone string, at time.Time) int64 {
	d.t.Helper()
	d.n++
	id := fmt.Sprint(d.n)
	if _, err := d.db.Ingest(d.ctx, inboundEvent("evt_c"+id, phone, "msg_c"+id, "Hello", at), inbox.Apply); err != nil {
		d.t.Fatal(err)
	}
	var conv int64
	if err := d.db.reader.QueryRow(`SELECT conversation_id FROM messages WHERE zavu_id = ?`, "msg_c"+id).Scan(&conv); err != nil {
		d.t.Fatal(err)
	}
	return conv
}

// reply writes a reply from src (author nil for the API or an auto-reply)
// that Zavu sends at once.
func (d *reportDesk) reply(conv int64, author *int64, src inbox.Source, at time.Time) {
	d.t.Helper()
	d.send(d.write(conv, author, src, at), at, inbox.StatusSent)
}

// write writes a reply from src and returns its message's id; it waits
// in the outbox until send.
func (d *reportDesk) write(conv int64, author *int64, src inbox.Source, at time.Time) int64 {
	d.t.Helper()
	d.n++
	m, _, err := d.db.QueueReply(d.ctx, inbox.Reply{ConversationID: conv, AuthorID: author, Source: src, Type: inbox.TypeText,
		Text: "Hi", IdempotencyKey: fmt.Sprint("k", d.n), At: at, AutoReplyRule: "r"})
	if err != nil {
		d.t.Fatal(err)
	}
	return m.ID
}

// send sends the waiting reply msg at at, and returns its Zavu id: Zavu
// answers with status st, or refuses it for good when st is failed.
func (d *reportDesk) send(msg int64, at time.Time, st inbox.Status) string {
	d.t.Helper()
	return sendQueued(d.t, d.db, msg, at, st)
}

// retry is an agent's Retry of the failed reply msg at at.
func (d *reportDesk) retry(msg int64, at time.Time) {
	d.t.Helper()
	d.n++
	if _, _, err := d.db.RetryReply(d.ctx, msg, fmt.Sprint("k", d.n), at); err != nil {
		d.t.Fatal(err)
	}
}

// echo stores a message typed in the phone app to phone.
func (d *reportDesk) echo(phone string, at time.Time) {
	d.t.Helper()
	d.n++
	ev := &inbox.Event{ID: fmt.Sprint("evt_e", d.n), Type: inbox.EventMessageSent, Timestamp: at, SenderID: "snd_1",
		Raw:  []byte(`{}`),
		Echo: &inbox.Echo{MessageID: fmt.Sprint("msg_e", d.n), From: "+13125550000", To: phone, Channel: inbox.WhatsApp, Text: "from the phone", Status: inbox.StatusSent}}
	if _, err := d.db.Ingest(d.ctx, ev, inbox.Apply); err != nil {
		d.t.Fatal(err)
	}
}

func (d *reportDesk) assign(conv int64, to *int64, at time.Time) {
	d.t.Helper()
	if _, err := d.db.Assign(d.ctx, conv, to, at); err != nil {
		d.t.Fatal(err)
	}
}

func (d *reportDesk) status(conv int64, s inbox.ConversationStatus, at time.Time) {
	d.t.Helper()
	if _, err := d.db.SetStatus(d.ctx, conv, s, at); err != nil {
		d.t.Fatal(err)
	}
}

func (d *reportDesk) summary(from, to time.Time, agent int64) inbox.Summary {
	d.t.Helper()
	s, err := d.db.ReportSummary(d.ctx, inbox.ReportFilter{From: from, To: to, AgentID: agent}, time.UTC)
	if err != nil {
		d.t.Fatal(err)
	}
	return s
}

// agentFigures is a summary's figures of one agent, names aside.
func agentFigures(s inbox.Summary, id int64) inbox.AgentFigures {
	for _, a := range s.ByAgent {
		if a.AgentID == id {
			a.Name = ""
			return a
		}
	}
	return inbox.AgentFigures{AgentID: id}
}

// TestReportOfAReopenedConversation: a customer writes twice, the second
// time after the conversation was resolved. Each request has its first
// response (by an agent, then through the API: the auto-reply, the
// phone-app message and the note before them are none) and its
// resolution, credited to the assignee of the moment.
func TestReportOfAReopenedConversation(t *testing.T) {
	d := newReportDesk(t)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	min := func(m int) time.Time { return at.Add(time.Duration(m) * time.Minute) }
	const phone = "+15550101"
	c := d.customer(phone, min(0))
	d.reply(c, nil, inbox.SourceAutoReply, min(0).Add(time.Second))
	d.echo(phone, min(1))
	if _, _, _, err := d.db.AddNote(d.ctx, inbox.Note{ConversationID: c, AuthorID: &d.ben.ID, Text: "Ana, yours", At: min(2)}); err != nil {
		t.Fatal(err)
	}
	d.assign(c, &d.ana.ID, min(3)) // an activity line
	d.reply(c, &d.ana.ID, inbox.SourceAgent, min(5))
	d.reply(c, &d.ana.ID, inbox.SourceAgent, min(6))
	d.status(c, inbox.Resolved, min(30))
	// The customer writes again: a second request, given to Ben and
	// answered through the API.
	d.customer(phone, min(60))
	d.customer(phone, min(61)) // still the second request
	d.assign(c, &d.ben.ID, min(62))
	d.reply(c, nil, inbox.SourceAPI, min(80))
	d.status(c, inbox.Resolved, min(120))

	s := d.summary(at.Add(-time.Hour), at.Add(24*time.Hour), 0)
	// Inbound 3; outbound: auto-reply, echo, Ana twice, the API.
	if s.Conversations != 2 || s.InboundMessages != 3 || s.OutboundMessages != 5 {
		t.Fatalf("conversations %d, inbound %d, outbound %d; want 2, 3, 5", s.Conversations, s.InboundMessages, s.OutboundMessages)
	}
	// First responses 5 min and 20 min; resolutions 30 min and 60 min.
	if s.FirstResponse != (inbox.Spread{P50: 300, P90: 1200, Count: 2}) {
		t.Errorf("first response %+v, want p50 300 s, p90 1200 s, 2", s.FirstResponse)
	}
	if s.Resolution != (inbox.Spread{P50: 1800, P90: 3600, Count: 2}) {
		t.Errorf("resolution %+v, want p50 1800 s, p90 3600 s, 2", s.Resolution)
	}
	if a := agentFigures(s, d.ana.ID); a != (inbox.AgentFigures{AgentID: d.ana.ID, Replies: 2, FirstResponses: 1, FirstResponseP50: 300, Resolved: 1}) {
		t.Errorf("Ana %+v, want 2 replies, 1 first response of 300 s, 1 resolved", a)
	}
	if b := agentFigures(s, d.ben.ID); b != (inbox.AgentFigures{AgentID: d.ben.ID, Resolved: 1}) {
		t.Errorf("Ben %+v, want 1 resolved and nothing else (the API answered, his note is none)", b)
	}
}

// TestReportOfACustomerWritingWhileSnoozed: the customer's message while
// the conversation is snoozed wakes it, and belongs to the same request.
func TestReportOfACustomerWritingWhileSnoozed(t *testing.T) {
	d := newReportDesk(t)
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	min := func(m int) time.Time { return at.Add(time.Duration(m) * time.Minute) }
	c := d.customer("+15550102", min(0))
	d.assign(c, &d.ana.ID, min(1))
	d.reply(c, &d.ana.ID, inbox.SourceAgent, min(4))
	snoozed := inbox.Snoozed
	if _, _, err := d.db.UpdateConversations(d.ctx, []int64{c}, inbox.ConversationUpdate{Status: &snoozed,
		SnoozedUntil: min(24 * 60), By: d.ana.ID}, min(5)); err != nil {
		t.Fatal(err)
	}
	d.customer("+15550102", min(30))
	d.reply(c, &d.ana.ID, inbox.SourceAgent, min(40))
	d.status(c, inbox.Resolved, min(50))

	s := d.summary(at, at.Add(24*time.Hour), 0)
	if s.Conversations != 1 || s.FirstResponse != (inbox.Spread{P50: 240, P90: 240, Count: 1}) ||
		s.Resolution != (inbox.Spread{P50: 3000, P90: 3000, Count: 1}) {
		t.Fatalf("conversations %d, first response %+v, resolution %+v; want 1, 240 s, 3000 s",
			s.Conversations, s.FirstResponse, s.Resolution)
	}
}

// TestReportOfAConversationHandedOver: Ana answers first and hands the
// conversation to Ben, who resolves it. The first response is Ana's, the
// resolve Ben's; each agent's own report keeps the conversation.
func TestReportOfAConversationHandedOver(t *testing.T) {
	d := newReportDesk(t)
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	min := func(m int) time.Time { return at.Add(time.Duration(m) * time.Minute) }
	c := d.customer("+15550103", min(0))
	d.assign(c, &d.ana.ID, min(1))
	d.reply(c, &d.ana.ID, inbox.SourceAgent, min(2))
	d.assign(c, &d.ben.ID, min(10))
	d.reply(c, &d.ben.ID, inbox.SourceAgent, min(12))
	d.status(c, inbox.Resolved, min(15))

	s := d.summary(at, at.Add(24*time.Hour), 0)
	if a := agentFigures(s, d.ana.ID); a != (inbox.AgentFigures{AgentID: d.ana.ID, Replies: 1, FirstResponses: 1, FirstResponseP50: 120}) {
		t.Errorf("Ana %+v, want 1 reply, the first response of 120 s, no resolve", a)
	}
	if b := agentFigures(s, d.ben.ID); b != (inbox.AgentFigures{AgentID: d.ben.ID, Replies: 1, Resolved: 1}) {
		t.Errorf("Ben %+v, want 1 reply, no first response, 1 resolved", b)
	}
	for _, who := range []int64{d.ana.ID, d.ben.ID} {
		if s := d.summary(at, at.Add(24*time.Hour), who); s.Conversations != 1 || s.OutboundMessages != 1 {
			t.Errorf("agent %d's report: %d conversations, %d replies; want 1, 1", who, s.Conversations, s.OutboundMessages)
		}
	}
}

// TestReportKeepsADeactivatedAgentsFigures: an agent who leaves keeps
// their name and figures in the reports of the time they worked.
func TestReportKeepsADeactivatedAgentsFigures(t *testing.T) {
	d := newReportDesk(t)
	admin := inbox.User{Email: "boss@example.com", Name: "Boss", Role: inbox.RoleAdmin, Active: true}
	if err := d.db.CreateUser(d.ctx, &admin); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	c := d.customer("+15550104", at)
	d.assign(c, &d.ana.ID, at.Add(time.Minute))
	d.reply(c, &d.ana.ID, inbox.SourceAgent, at.Add(3*time.Minute))
	d.status(c, inbox.Resolved, at.Add(10*time.Minute))
	open := d.customer("+15550105", at.Add(20*time.Minute))
	d.assign(open, &d.ana.ID, at.Add(21*time.Minute))
	d.reply(open, &d.ana.ID, inbox.SourceAgent, at.Add(22*time.Minute))
	if _, err := d.db.DeactivateUser(d.ctx, d.ana.ID, admin.ID, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s := d.summary(at, at.Add(24*time.Hour), 0)
	var ana inbox.AgentFigures
	for _, a := range s.ByAgent {
		if a.AgentID == d.ana.ID {
			ana = a
		}
	}
	if ana != (inbox.AgentFigures{AgentID: d.ana.ID, Name: "Ana", Replies: 2, FirstResponses: 2, FirstResponseP50: 120, Resolved: 1}) {
		t.Fatalf("Ana after she left: %+v; want her name, 2 replies, 2 first responses (p50 120 s), 1 resolved", ana)
	}
	if s := d.summary(at, at.Add(24*time.Hour), d.ana.ID); s.Conversations != 2 {
		t.Fatalf("Ana's own report after she left: %d conversations, want 2", s.Conversations)
	}
}

// TestReportSpreadsOfOneAndTwo: with one response its time is the median
// and the 90th percentile; with two (nearest rank) the median is the
// faster and the 90th percentile the slower.
func TestReportSpreadsOfOneAndTwo(t *testing.T) {
	d := newReportDesk(t)
	at := time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC)
	c := d.customer("+15550106", at)
	d.reply(c, &d.ana.ID, inbox.SourceAgent, at.Add(90*time.Second))
	day := at.Add(24 * time.Hour)
	if s := d.summary(at, day, 0); s.FirstResponse != (inbox.Spread{P50: 90, P90: 90, Count: 1}) {
		t.Fatalf("one response: %+v, want 90 s twice", s.FirstResponse)
	}
	c2 := d.customer("+15550107", at.Add(time.Hour))
	d.reply(c2, &d.ben.ID, inbox.SourceAgent, at.Add(time.Hour+10*time.Minute))
	if s := d.summary(at, day, 0); s.FirstResponse != (inbox.Spread{P50: 90, P90: 600, Count: 2}) {
		t.Fatalf("two responses: %+v, want p50 90 s, p90 600 s", s.FirstResponse)
	}
}

// TestReportOfAnUndoneResolve: Ana resolves by mistake and takes it back
// at once (Undo); the customer writes again meanwhile and she resolves
// for real an hour later. One request, resolved in an hour, by one
// resolve.
func TestReportOfAnUndoneResolve(t *testing.T) {
	d := newReportDesk(t)
	at := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	min := func(m int) time.Time { return at.Add(time.Duration(m) * time.Minute) }
	c := d.customer("+15550108", min(0))
	d.assign(c, &d.ana.ID, min(1))
	d.reply(c, &d.ana.ID, inbox.SourceAgent, min(5))
	d.status(c, inbox.Resolved, min(10))
	d.status(c, inbox.Open, min(10).Add(5*time.Second)) // Undo
	d.customer("+15550108", min(20))
	d.status(c, inbox.Resolved, min(60))

	s := d.summary(at, at.Add(24*time.Hour), 0)
	if s.Conversations != 1 || s.Resolution != (inbox.Spread{P50: 3600, P90: 3600, Count: 1}) {
		t.Fatalf("conversations %d, resolution %+v; want 1 request resolved in 3600 s", s.Conversations, s.Resolution)
	}
	if a := agentFigures(s, d.ana.ID); a.Resolved != 1 {
		t.Fatalf("Ana resolved %d, want 1", a.Resolved)
	}

	// The same through a bulk action and its Undo.
	c2 := d.customer("+15550110", min(0))
	d.reply(c2, &d.ana.ID, inbox.SourceAgent, min(2))
	resolved := inbox.Resolved
	changes, _, err := d.db.UpdateConversations(d.ctx, []int64{c2}, inbox.ConversationUpdate{Status: &resolved, By: d.ana.ID}, min(3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.db.RestoreConversations(d.ctx, changes, d.ana.ID, min(3).Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	d.status(c2, inbox.Resolved, min(40))
	// A reopen later than the Undo is no undo: the request stays
	// resolved at its first resolve (the customer's next message starts
	// another), and the resolve after it closes nothing.
	c3 := d.customer("+15550111", min(0))
	d.status(c3, inbox.Resolved, min(5))
	d.status(c3, inbox.Open, min(7))
	d.status(c3, inbox.Resolved, min(50))

	// A customer who writes within the minute reopens the conversation:
	// that is no Undo, the resolve stands and a second request begins.
	c4 := d.customer("+15550112", min(0))
	d.status(c4, inbox.Resolved, min(8))
	d.customer("+15550112", min(8).Add(20*time.Second))

	s = d.summary(at, at.Add(24*time.Hour), 0)
	if s.Conversations != 5 || s.Resolution != (inbox.Spread{P50: 480, P90: 3600, Count: 4}) {
		t.Fatalf("conversations %d, resolution %+v; want 5 requests, 4 resolved in 300, 480, 2400 and 3600 s", s.Conversations, s.Resolution)
	}
}

// TestReportOfALateMessageAfterItsHourWasPacked: a customer's message
// that Zavu saw before the one that opened the request, delivered after
// the hour was packed, opens the request earlier; its first response
// grows accordingly, before and after the hour is packed again.
func TestReportOfALateMessageAfterItsHourWasPacked(t *testing.T) {
	d := newReportDesk(t)
	at := time.Date(2026, 3, 10, 10, 5, 0, 0, time.UTC)
	c := d.customer("+15550109", at)
	d.reply(c, &d.ana.ID, inbox.SourceAgent, at.Add(10*time.Minute))
	d.status(c, inbox.Resolved, at.Add(20*time.Minute))
	pack := func() {
		t.Helper()
		for {
			more, err := d.db.PackOpeningHours(d.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !more {
				return
			}
		}
	}
	pack()
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	if s := d.summary(day, day.Add(24*time.Hour), 0); s.FirstResponse.P50 != 600 {
		t.Fatalf("first response %+v before the late message, want 600 s", s.FirstResponse)
	}
	// Seen at 09:50, in the hour before; delivered now.
	d.customer("+15550109", at.Add(-15*time.Minute))
	check := func(when string) {
		t.Helper()
		s := d.summary(day, day.Add(24*time.Hour), 0)
		if s.Conversations != 1 || s.InboundMessages != 2 || s.FirstResponse != (inbox.Spread{P50: 1500, P90: 1500, Count: 1}) ||
			s.Resolution != (inbox.Spread{P50: 2100, P90: 2100, Count: 1}) {
			t.Fatalf("%s: conversations %d, inbound %d, first response %+v, resolution %+v; want 1, 2, 1500 s, 2100 s",
				when, s.Conversations, s.InboundMessages, s.FirstResponse, s.Resolution)
		}
		// Only the hour of 09:50 holds the request now.
		if s := d.summary(at.Truncate(time.Hour), day.Add(24*time.Hour), 0); s.Conversations != 0 {
			t.Fatalf("%s: the hour of 10:00 still holds %d requests", when, s.Conversations)
		}
	}
	check("before packing")
	pack()
	check("after packing")
}

// TestReportAcrossClockChanges: New York's clocks go forward on Sunday 8
// March 2026, Berlin's back on Sunday 25 October 2026. A request of Friday
// 16:00 in New York answered on Monday 10:00 waited 65 h on the clock (the
// weekend lost an hour) and 2 h within weekday hours 09:00-17:00. In
// Berlin, open round the clock, Saturday noon to Monday noon is 49 h both
// ways, and 25 October is one day of 25 hours whose 02:00 comes twice.
func TestReportAcrossClockChanges(t *testing.T) {
	ny, err1 := time.LoadLocation("America/New_York")
	berlin, err2 := time.LoadLocation("Europe/Berlin")
	if err1 != nil || err2 != nil {
		t.Skip("no time zone data")
	}
	d := newReportDesk(t)
	hours := func(tz string, days []time.Weekday, span inbox.Span) {
		t.Helper()
		h := inbox.BusinessHours{TimeZone: tz}
		for _, wd := range days {
			h.Days[wd] = []inbox.Span{span}
		}
		if _, err := d.db.UpdateAutoReplies(d.ctx, time.Now(), func(c *inbox.AutoReplyConfig) error { c.Hours = h; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	fri := time.Date(2026, 3, 6, 16, 0, 0, 0, ny)
	c := d.customer("+15550201", fri)
	d.customer("+15550201", time.Date(2026, 3, 9, 9, 30, 0, 0, ny)) // opens the window again
	d.reply(c, &d.ana.ID, inbox.SourceAgent, time.Date(2026, 3, 9, 10, 0, 0, 0, ny))
	hours("America/New_York", []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, inbox.Span{Open: 9 * 60, Close: 17 * 60})
	s, err := d.db.ReportSummary(d.ctx, inbox.ReportFilter{From: time.Date(2026, 3, 2, 0, 0, 0, 0, ny), To: time.Date(2026, 3, 9, 0, 0, 0, 0, ny)}, ny)
	if err != nil {
		t.Fatal(err)
	}
	if s.FirstResponse.P50 != 65*3600 || s.FirstResponseBusiness.P50 != 2*3600 {
		t.Errorf("New York: first response %v s, within business hours %v s; want 234000 and 7200", s.FirstResponse.P50, s.FirstResponseBusiness.P50)
	}

	sat := time.Date(2026, 10, 24, 12, 0, 0, 0, berlin)
	c2 := d.customer("+15550202", sat)
	for _, at := range []time.Time{
		time.Date(2026, 10, 25, 0, 30, 0, 0, berlin),
		time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), // 02:30 CEST
		time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), // 02:30 CET
		time.Date(2026, 10, 25, 23, 30, 0, 0, berlin),
		time.Date(2026, 10, 26, 11, 0, 0, 0, berlin),
	} {
		d.customer("+15550202", at)
	}
	d.reply(c2, &d.ana.ID, inbox.SourceAgent, time.Date(2026, 10, 26, 12, 0, 0, 0, berlin))
	all := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	hours("Europe/Berlin", all, inbox.Span{Open: 0, Close: 24 * 60})
	s, err = d.db.ReportSummary(d.ctx, inbox.ReportFilter{From: time.Date(2026, 10, 24, 0, 0, 0, 0, berlin), To: time.Date(2026, 10, 27, 0, 0, 0, 0, berlin)}, berlin)
	if err != nil {
		t.Fatal(err)
	}
	if s.FirstResponse.P50 != 49*3600 || s.FirstResponseBusiness.P50 != 49*3600 {
		t.Errorf("Berlin: first response %v s, within business hours %v s; want 176400 both", s.FirstResponse.P50, s.FirstResponseBusiness.P50)
	}
	if len(s.ByDay) != 3 || s.ByDay[0].Inbound != 1 || s.ByDay[1].Inbound != 4 || s.ByDay[2].Inbound != 1 {
		t.Errorf("Berlin by day %+v; want 1, 4 and 1 messages on 24, 25 and 26 October", s.ByDay)
	}
	if s.ByHour[0] != 1 || s.ByHour[2] != 2 || s.ByHour[23] != 1 || s.ByHour[12] != 1 || s.ByHour[11] != 1 || s.ByWeekday[6] != 4 {
		t.Errorf("Berlin by hour %v, by weekday %v; want 00, twice 02, 23 on Sunday; 11 and 12", s.ByHour, s.ByWeekday)
	}
}

// TestReportCountsMessagesByTheQuarterHour: requests and their times are
// counted to the millisecond, messages by the quarter hour that holds
// them (README): a period from 10:07 counts the message of 10:05 but not
// its request.
func TestReportCountsMessagesByTheQuarterHour(t *testing.T) {
	d := newReportDesk(t)
	at := time.Date(2026, 3, 11, 10, 5, 0, 0, time.UTC)
	d.customer("+15550301", at)
	d.customer("+15550302", at.Add(4*time.Minute))
	s := d.summary(at.Add(2*time.Minute), at.Add(3*time.Minute), 0)
	if s.Conversations != 0 || s.InboundMessages != 2 {
		t.Fatalf("10:07 to 10:08: %d conversations, %d messages; want 0 and the quarter's 2", s.Conversations, s.InboundMessages)
	}
	s = d.summary(at.Add(2*time.Minute), at.Add(10*time.Minute), 0)
	if s.Conversations != 1 || s.InboundMessages != 2 {
		t.Fatalf("10:07 to 10:15: %d conversations, %d messages; want 1, 2", s.Conversations, s.InboundMessages)
	}
}

// TestReportOfLateStatusesAfterTheHourWasPacked: Ana's reply, which Zavu
// queued, answers the customer when it reached them: its "delivered"
// after 30 minutes, then its "sent", seen earlier (20 minutes) but
// arriving after the hour was packed, moves the first response earlier.
func TestReportOfLateStatusesAfterTheHourWasPacked(t *testing.T) {
	d := newReportDesk(t)
	at := time.Date(2026, 3, 12, 10, 0, 0, 0, time.UTC)
	c := d.customer(customerPhone, at)
	zavuID := d.send(d.write(c, &d.ana.ID, inbox.SourceAgent, at.Add(time.Minute)), at.Add(time.Minute), inbox.StatusQueued)
	day := at.Truncate(24 * time.Hour)
	if s := d.summary(day, day.Add(24*time.Hour), 0); s.FirstResponse.Count != 0 {
		t.Fatalf("first response %+v while Zavu holds the reply, want none yet", s.FirstResponse)
	}
	mustIngest(t, d.db, statusEvent("evt_delivered", zavuID, inbox.StatusDelivered, at.Add(30*time.Minute)))
	for more := true; more; {
		var err error
		if more, err = d.db.PackOpeningHours(d.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if s := d.summary(day, day.Add(24*time.Hour), 0); s.FirstResponse != (inbox.Spread{P50: 1800, P90: 1800, Count: 1}) {
		t.Fatalf("first response %+v, want 1800 s by the delivered message", s.FirstResponse)
	}
	mustIngest(t, d.db, statusEvent("evt_sent", zavuID, inbox.StatusSent, at.Add(20*time.Minute)))
	if s := d.summary(day, day.Add(24*time.Hour), 0); s.FirstResponse != (inbox.Spread{P50: 1200, P90: 1200, Count: 1}) || s.OutboundMessages != 1 {
		t.Fatalf("first response %+v, outbound %d; want 1200 s by the time it was sent, 1 message", s.FirstResponse, s.OutboundMessages)
	}
}

// TestReportWhereSummerTimeBeginsAtMidnight: in Santiago the clocks jump
// from 00:00 to 01:00 on Sunday 6 September 2026 (Go reads that midnight
// as 23:00 on Saturday). A report of Friday to Monday has four days, and
// the messages of late Saturday and early Sunday fall on their own days.
func TestReportWhereSummerTimeBeginsAtMidnight(t *testing.T) {
	santiago, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Skip("no time zone data")
	}
	d := newReportDesk(t)
	d.customer("+15550401", time.Date(2026, 9, 5, 23, 30, 0, 0, santiago))
	d.customer("+15550402", time.Date(2026, 9, 6, 4, 30, 0, 0, time.UTC)) // 01:30 -03
	from := time.Date(2026, 9, 4, 0, 0, 0, 0, santiago)
	s, err := d.db.ReportSummary(d.ctx, inbox.ReportFilter{From: from, To: time.Date(2026, 9, 8, 0, 0, 0, 0, santiago)}, santiago)
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, day := range s.ByDay {
		days = append(days, fmt.Sprintf("%s %d", day.Day.Format("Mon 2 15:04"), day.Inbound))
	}
	if got := fmt.Sprint(days); got != "[Fri 4 00:00 0 Sat 5 00:00 1 Sun 6 01:00 1 Mon 7 00:00 0]" {
		t.Errorf("by day %s; want Friday to Monday, Sunday from 01:00, a message on Saturday and Sunday", got)
	}
	if s.ByHour[23] != 1 || s.ByHour[1] != 1 || s.ByWeekday[5] != 1 || s.ByWeekday[6] != 1 {
		t.Errorf("by hour %v, by weekday %v; want 23:00 Saturday and 01:00 Sunday", s.ByHour, s.ByWeekday)
	}
}

// TestReportOfAPhoneMessageWhoseStatusCameFirst: the "delivered" of a
// message typed in the phone app arrives before its echo. Until the echo
// comes, the message is a placeholder known only by that report, not
// known to be ours: it answers nobody (it counted as an answer through
// the API). The echo says it came from the phone, which answers nobody
// either (DESIGN).
func TestReportOfAPhoneMessageWhoseStatusCameFirst(t *testing.T) {
	d := newReportDesk(t)
	at := time.Date(2026, 3, 13, 10, 0, 0, 0, time.UTC)
	d.customer(customerPhone, at)
	mustIngest(t, d.db, statusEvent("evt_delivered", "msg_phone", inbox.StatusDelivered, at.Add(6*time.Minute)))
	day := at.Truncate(24 * time.Hour)
	if s := d.summary(day, day.Add(24*time.Hour), 0); s.Conversations != 1 || s.FirstResponse.Count != 0 {
		t.Fatalf("before the echo: %d conversations, first response %+v; want 1, none", s.Conversations, s.FirstResponse)
	}
	mustIngest(t, d.db, &inbox.Event{ID: "evt_echo", Type: inbox.EventMessageSent, Timestamp: at.Add(5 * time.Minute), SenderID: "snd_1",
		Raw:  []byte(`{}`),
		Echo: &inbox.Echo{MessageID: "msg_phone", From: "+13125550000", To: customerPhone, Channel: inbox.WhatsApp, Text: "from the phone", Status: inbox.StatusSent}})
	if s := d.summary(day, day.Add(24*time.Hour), 0); s.Conversations != 1 || s.FirstResponse.Count != 0 || s.OutboundMessages != 1 {
		t.Fatalf("after the echo: %d conversations, first response %+v, outbound %d; want 1, none, 1", s.Conversations, s.FirstResponse, s.OutboundMessages)
	}
}

// TestReportOfOurReplyWhoseStatusCameFirst: the "delivered" of Ana's
// reply arrives before Zavu's answer to the send was stored, and leaves a
// placeholder, which answers nobody; the answer then claims it as Ana's
// reply, which answered the customer when it was delivered.
func TestReportOfOurReplyWhoseStatusCameFirst(t *testing.T) {
	d := newReportDesk(t)
	at := time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
	c := d.customer(customerPhone, at)
	d.write(c, &d.ana.ID, inbox.SourceAgent, at.Add(time.Minute))
	es, err := d.db.ClaimOutbox(d.ctx, at.Add(time.Minute), time.Minute, 1)
	if err != nil || len(es) != 1 {
		t.Fatalf("claim the reply: %v %v", es, err)
	}
	mustIngest(t, d.db, statusEvent("evt_delivered", "msg_ours", inbox.StatusDelivered, at.Add(3*time.Minute)))
	day := at.Truncate(24 * time.Hour)
	if s := d.summary(day, day.Add(24*time.Hour), 0); s.FirstResponse.Count != 0 {
		t.Fatalf("with the placeholder and the reply on its way: first response %+v, want none", s.FirstResponse)
	}
	if _, err := d.db.OutboxSent(d.ctx, es[0].ID, inbox.SendResult{ZavuID: "msg_ours", Status: inbox.StatusQueued}, at.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	s := d.summary(day, day.Add(24*time.Hour), 0)
	if s.FirstResponse != (inbox.Spread{P50: 180, P90: 180, Count: 1}) || s.OutboundMessages != 1 {
		t.Fatalf("once claimed: first response %+v, outbound %d; want 180 s, 1 message", s.FirstResponse, s.OutboundMessages)
	}
	if a := agentFigures(s, d.ana.ID); a.FirstResponses != 1 || a.FirstResponseP50 != 180 {
		t.Fatalf("Ana: %+v, want the first response in 180 s", a)
	}
}

// TestReportOfFailedReplies: a reply Zavu refused never reached the
// customer, so it is no response; retried and sent, it is one from when
// it was sent. Four customers write at 10:00:
//   - A: Ana's reply of 10:02 fails; she retries it at 10:10 and it is
//     sent at 10:11: the first response takes 660 s, Ana's.
//   - B: Ana's reply of 10:05 fails and is never retried; Ben resolves
//     at 10:30: resolved, never answered.
//   - C: Ben's reply of 10:04 is sent; his second, of 10:06, fails: the
//     first response is the first, 240 s.
//   - D: Ana's reply of 10:03 is sent, then reported failed at 10:08 (the
//     carrier could not deliver it; failed is final): no response.
//
// First responses 240 and 660 s: p50 240, p90 660.
func TestReportOfFailedReplies(t *testing.T) {
	d := newReportDesk(t)
	at := time.Date(2026, 3, 17, 10, 0, 0, 0, time.UTC)
	min := func(m int) time.Time { return at.Add(time.Duration(m) * time.Minute) }
	a, b, c := d.customer("+15550601", at), d.customer("+15550602", at), d.customer("+15550603", at)
	dd := d.customer(customerPhone, at)

	ra := d.write(a, &d.ana.ID, inbox.SourceAgent, min(2))
	d.send(ra, min(2), inbox.StatusFailed)
	d.reply(dd, &d.ana.ID, inbox.SourceAgent, min(3))
	d.reply(c, &d.ben.ID, inbox.SourceAgent, min(4))
	d.send(d.write(b, &d.ana.ID, inbox.SourceAgent, min(5)), min(5), inbox.StatusFailed)
	d.send(d.write(c, &d.ben.ID, inbox.SourceAgent, min(6)), min(6), inbox.StatusFailed)
	var zavuD string
	if err := d.db.reader.QueryRow(`SELECT zavu_id FROM messages WHERE conversation_id = ? AND direction = 'outbound'`, dd).Scan(&zavuD); err != nil {
		t.Fatal(err)
	}
	ev := statusEvent("evt_failed", zavuD, inbox.StatusFailed, min(8))
	ev.Status.ErrorCode = "30003"
	mustIngest(t, d.db, ev)

	day := at.Truncate(24 * time.Hour)
	s := d.summary(day, day.Add(24*time.Hour), 0)
	if s.Conversations != 4 || s.FirstResponse != (inbox.Spread{P50: 240, P90: 240, Count: 1}) {
		t.Fatalf("before the retry: %d conversations, first response %+v; want 4, Ben's 240 s alone", s.Conversations, s.FirstResponse)
	}
	d.retry(ra, min(10))
	if s := d.summary(day, day.Add(24*time.Hour), 0); s.FirstResponse.Count != 1 {
		t.Fatalf("while the retry is on its way: first response %+v, want Ben's alone", s.FirstResponse)
	}
	d.send(ra, min(11), inbox.StatusSent)
	d.assign(b, &d.ben.ID, min(29))
	d.status(b, inbox.Resolved, min(30))

	s = d.summary(day, day.Add(24*time.Hour), 0)
	if s.Conversations != 4 || s.FirstResponse != (inbox.Spread{P50: 240, P90: 660, Count: 2}) ||
		s.Resolution != (inbox.Spread{P50: 1800, P90: 1800, Count: 1}) {
		t.Fatalf("%d conversations, first response %+v, resolution %+v; want 4, 240/660 s of 2, 1800 s of 1",
			s.Conversations, s.FirstResponse, s.Resolution)
	}
	if got := s.ResponseBuckets; got[1] != 1 || got[2] != 1 {
		t.Errorf("response buckets %v, want one within 5 minutes and one within 15", got)
	}
	ana, ben := agentFigures(s, d.ana.ID), agentFigures(s, d.ben.ID)
	if ana.FirstResponses != 1 || ana.FirstResponseP50 != 660 || ben.FirstResponses != 1 || ben.FirstResponseP50 != 240 || ben.Resolved != 1 {
		t.Fatalf("Ana %+v, Ben %+v; want a first response each, Ana's 660 s, Ben's 240 s, and Ben's resolve", ana, ben)
	}
}

// TestReportOfARequestAcrossThePeriodsStart: a customer writes at 23:50
// on Monday and again at 00:10 on Tuesday, one request; Ana answers at
// 00:20 and resolves at 00:30. The request is Monday's, answered in 30
// minutes and resolved in 40, though both happened on Tuesday; Tuesday
// has its messages (one each way), Ana's reply and her resolve, and no
// request of its own.
func TestReportOfARequestAcrossThePeriodsStart(t *testing.T) {
	d := newReportDesk(t)
	tue := time.Date(2026, 3, 17, 0, 0, 0, 0, time.UTC)
	mon := tue.Add(-24 * time.Hour)
	c := d.customer("+15550701", tue.Add(-10*time.Minute))
	d.customer("+15550701", tue.Add(10*time.Minute))
	d.assign(c, &d.ana.ID, tue.Add(15*time.Minute))
	d.reply(c, &d.ana.ID, inbox.SourceAgent, tue.Add(20*time.Minute))
	d.status(c, inbox.Resolved, tue.Add(30*time.Minute))

	s := d.summary(mon, tue, 0)
	if s.Conversations != 1 || s.InboundMessages != 1 || s.OutboundMessages != 0 ||
		s.FirstResponse != (inbox.Spread{P50: 1800, P90: 1800, Count: 1}) || s.Resolution != (inbox.Spread{P50: 2400, P90: 2400, Count: 1}) {
		t.Errorf("Monday: %d conversations, %d in, %d out, first response %+v, resolution %+v; want 1, 1, 0, 1800 s, 2400 s",
			s.Conversations, s.InboundMessages, s.OutboundMessages, s.FirstResponse, s.Resolution)
	}
	if a := agentFigures(s, d.ana.ID); a != (inbox.AgentFigures{AgentID: d.ana.ID, FirstResponses: 1, FirstResponseP50: 1800}) {
		t.Errorf("Ana on Monday: %+v, want the first response to Monday's request alone", a)
	}
	s = d.summary(tue, tue.Add(24*time.Hour), 0)
	if s.Conversations != 0 || s.InboundMessages != 1 || s.OutboundMessages != 1 || s.FirstResponse.Count != 0 || s.Resolution.Count != 0 {
		t.Errorf("Tuesday: %d conversations, %d in, %d out, first response %+v, resolution %+v; want 0, 1, 1, none, none",
			s.Conversations, s.InboundMessages, s.OutboundMessages, s.FirstResponse, s.Resolution)
	}
	if a := agentFigures(s, d.ana.ID); a != (inbox.AgentFigures{AgentID: d.ana.ID, Replies: 1, Resolved: 1}) {
		t.Errorf("Ana on Tuesday: %+v, want her reply and her resolve", a)
	}
	if s := d.summary(tue, tue.Add(24*time.Hour), d.ana.ID); s.Conversations != 0 || s.OutboundMessages != 1 {
		t.Errorf("Ana's own Tuesday: %d conversations, %d replies; want 0, 1", s.Conversations, s.OutboundMessages)
	}
}

// TestReportOfAFailedReplyRetriedByTheNextAssignee: Ana, assigned at
// 10:01, answers at 10:02, but Zavu refuses it; the conversation goes to
// Ben at 10:05, who retries her reply at 10:06 (sent at 10:07), writes
// his own at 10:08 and resolves at 10:20. The first response is Ana's
// words, in 7 minutes; the resolve, in 20, is Ben's. Each agent's own
// report keeps the request.
func TestReportOfAFailedReplyRetriedByTheNextAssignee(t *testing.T) {
	d := newReportDesk(t)
	at := time.Date(2026, 3, 18, 10, 0, 0, 0, time.UTC)
	min := func(m int) time.Time { return at.Add(time.Duration(m) * time.Minute) }
	c := d.customer("+15550801", at)
	d.assign(c, &d.ana.ID, min(1))
	r := d.write(c, &d.ana.ID, inbox.SourceAgent, min(2))
	d.send(r, min(2), inbox.StatusFailed)
	d.assign(c, &d.ben.ID, min(5))
	d.retry(r, min(6))
	d.send(r, min(7), inbox.StatusSent)
	d.reply(c, &d.ben.ID, inbox.SourceAgent, min(8))
	d.status(c, inbox.Resolved, min(20))

	day := at.Truncate(24 * time.Hour)
	s := d.summary(day, day.Add(24*time.Hour), 0)
	if s.Conversations != 1 || s.FirstResponse != (inbox.Spread{P50: 420, P90: 420, Count: 1}) ||
		s.Resolution != (inbox.Spread{P50: 1200, P90: 1200, Count: 1}) || s.OutboundMessages != 2 {
		t.Errorf("%d conversations, first response %+v, resolution %+v, %d out; want 1, 420 s, 1200 s, 2",
			s.Conversations, s.FirstResponse, s.Resolution, s.OutboundMessages)
	}
	if a := agentFigures(s, d.ana.ID); a != (inbox.AgentFigures{AgentID: d.ana.ID, Replies: 1, FirstResponses: 1, FirstResponseP50: 420}) {
		t.Errorf("Ana %+v, want her reply and the first response of 420 s", a)
	}
	if b := agentFigures(s, d.ben.ID); b != (inbox.AgentFigures{AgentID: d.ben.ID, Replies: 1, Resolved: 1}) {
		t.Errorf("Ben %+v, want his reply and the resolve, no first response", b)
	}
	for _, who := range []int64{d.ana.ID, d.ben.ID} {
		if s := d.summary(day, day.Add(24*time.Hour), who); s.Conversations != 1 || s.OutboundMessages != 1 {
			t.Errorf("agent %d's report: %d conversations, %d replies; want 1, 1", who, s.Conversations, s.OutboundMessages)
		}
	}
}
