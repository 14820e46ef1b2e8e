package inbox

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Each test here feeds the same events in every order it names and checks
// what an agent would see: the conversation list (latest activity, its
// preview, the WhatsApp window, unread) and the thread.

func newConvEv(id, msg string, min int, text string) *Event {
	return &Event{ID: id, Type: EventConversationNew, Timestamp: at(min), SenderID: snd, NewConversation: &NewConversation{
		Phone: customer, Channel: WhatsApp, FirstMessageID: msg, FirstMessageText: text, ProfileName: "Zoe Q",
	}}
}

// inboundAt is inboundEv whose payload carries the message's own time.
func inboundAt(id, msg string, min int, text string) *Event {
	ev := inboundEv(id, msg, min, text)
	ev.Inbound.At = at(min)
	return ev
}

// inEveryOrder ingests every permutation of evs into a fresh store and
// calls check with each.
func inEveryOrder(t *testing.T, evs []*Event, check func(t *testing.T, s *memTx)) {
	t.Helper()
	for _, order := range permutations(len(evs)) {
		s := newMemTx()
		name := ""
		for _, i := range order {
			mustIngest(t, s, evs[i])
			name += evs[i].ID + ","
		}
		t.Run(name[:len(name)-1], func(t *testing.T) { check(t, s) })
	}
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func messageByZavuID(t *testing.T, s *memTx, id string) Message {
	t.Helper()
	for _, m := range s.messages {
		if m.ID != 0 && m.ZavuID == id {
			return m
		}
	}
	t.Fatalf("no message %s", id)
	return Message{}
}

func TestWindowRunsFromTheInboundMessageNotItsAnnouncement(t *testing.T) {
	// Zavu announces the new contact three minutes after the message.
	evs := []*Event{newConvEv("e-new", "m1", 3, "Hi"), inboundAt("e-in", "m1", 0, "Hi")}
	inEveryOrder(t, evs, func(t *testing.T, s *memTx) {
		c := onlyConversation(t, s)
		if got := c.WindowClosesAt(); !got.Equal(at(24 * 60)) {
			t.Errorf("window closes at %v, want 24 h after the customer's message (%v)", got, at(24*60))
		}
		if !c.LastMessageAt.Equal(at(0)) {
			t.Errorf("last message at %v, want the message's time %v", c.LastMessageAt, at(0))
		}
		if m := messageByZavuID(t, s, "m1"); !m.CreatedAt.Equal(at(0)) {
			t.Errorf("message time %v, want %v", m.CreatedAt, at(0))
		}
		if c.InboundCount != 1 {
			t.Errorf("inbound count %d, want 1", c.InboundCount)
		}
	})
	// Announced alone, the announcement's time stands.
	s := newMemTx()
	mustIngest(t, s, newConvEv("e-new", "m1", 3, "Hi"))
	if c := onlyConversation(t, s); !c.WindowClosesAt().Equal(at(3 + 24*60)) {
		t.Errorf("announced only: window closes at %v", c.WindowClosesAt())
	}
}

func TestFirstSightingFixesAMessagesTime(t *testing.T) {
	// The same message under a new event id two hours later.
	evs := []*Event{inboundAt("e1", "m1", 0, "Where is my order?"), inboundAt("e1-copy", "m1", 120, "Where is my order?")}
	inEveryOrder(t, evs, func(t *testing.T, s *memTx) {
		c := onlyConversation(t, s)
		m := messageByZavuID(t, s, "m1")
		if !m.CreatedAt.Equal(at(0)) || !c.LastMessageAt.Equal(at(0)) {
			t.Errorf("message at %v, conversation at %v; want both at %v", m.CreatedAt, c.LastMessageAt, at(0))
		}
		if !c.WindowClosesAt().Equal(at(24 * 60)) {
			t.Errorf("window closes at %v, want %v", c.WindowClosesAt(), at(24*60))
		}
		if len(s.messages) != 1 || c.InboundCount != 1 {
			t.Errorf("%d messages, inbound count %d; want 1 and 1", len(s.messages), c.InboundCount)
		}
	})
	// An echo seen twice keeps its first time too.
	evs = []*Event{echoEv("e2", "m2", 5, "On my way", StatusSent), echoEv("e2-copy", "m2", 50, "On my way", StatusSent)}
	inEveryOrder(t, evs, func(t *testing.T, s *memTx) {
		if m := messageByZavuID(t, s, "m2"); !m.CreatedAt.Equal(at(5)) || !m.StatusTimes.Sent.Equal(at(5)) {
			t.Errorf("echo at %v, sent at %v; want both %v", m.CreatedAt, m.StatusTimes.Sent, at(5))
		}
	})
}

func TestAFilledInMessageNeverSinksTheConversation(t *testing.T) {
	// A status report leaves a placeholder late; the customer writes; the
	// echo then tells the placeholder's real, earlier time.
	evs := []*Event{
		statusEv("e-del", "m9", 10, StatusDelivered),
		inboundAt("e-in", "m2", 5, "Is it shipped?"),
		echoEv("e-echo", "m9", 1, "Sent from my phone", StatusSent),
	}
	inEveryOrder(t, evs, func(t *testing.T, s *memTx) {
		c := onlyConversation(t, s)
		if !c.LastMessageAt.Equal(at(5)) || c.LastMessagePreview != "Is it shipped?" {
			t.Errorf("latest %q at %v, want the customer's message at %v", c.LastMessagePreview, c.LastMessageAt, at(5))
		}
		if m := messageByZavuID(t, s, "m9"); !m.CreatedAt.Equal(at(1)) || m.Text != "Sent from my phone" || m.Status != StatusDelivered {
			t.Errorf("echo = %s %q at %v", m.Status, m.Text, m.CreatedAt)
		}
	})
	// A placeholder's earlier report moves it back under the newer message.
	evs = []*Event{
		statusEv("e-sent", "m8", 20, StatusSent),
		inboundAt("e-in", "m2", 15, "Hello?"),
		statusEv("e-queued", "m8", 10, StatusQueued),
	}
	inEveryOrder(t, evs, func(t *testing.T, s *memTx) {
		c := onlyConversation(t, s)
		if !c.LastMessageAt.Equal(at(15)) || c.LastMessagePreview != "Hello?" {
			t.Errorf("latest %q at %v, want the customer's message at %v", c.LastMessagePreview, c.LastMessageAt, at(15))
		}
	})
}

func TestStatusReportBelongsToTheConversationOfItsMessage(t *testing.T) {
	// As in Zavu's document: one message reported once as SMS, once as
	// WhatsApp.
	sms := statusEv("e-sent", "msg_abc123", 2, StatusSent)
	sms.Status.Channel = SMS
	wa := statusEv("e-del", "msg_abc123", 1, StatusDelivered)
	optedOut := statusEv("e-fail", "msg_abc123", 3, StatusFailed)
	optedOut.Status.Channel, optedOut.Status.ErrorCode = WhatsApp, "21610"
	for _, evs := range [][]*Event{{sms, wa}, {sms, wa, optedOut}} {
		inEveryOrder(t, evs, func(t *testing.T, s *memTx) {
			c := onlyConversation(t, s)
			m := messageByZavuID(t, s, "msg_abc123")
			if m.ConversationID != c.ID {
				t.Fatalf("message in conversation %d, want %d", m.ConversationID, c.ID)
			}
			if !c.LastMessageAt.Equal(at(1)) || !m.CreatedAt.Equal(at(1)) {
				t.Errorf("conversation at %v, message at %v; want the first report, %v", c.LastMessageAt, m.CreatedAt, at(1))
			}
			if len(evs) == 3 && !c.OptedOut {
				t.Errorf("the carrier's opt-out did not reach the message's conversation")
			}
		})
	}
}

func TestFailedIsFinalAndKeepsItsCodeInEveryOrder(t *testing.T) {
	fail := statusEv("e-fail", "m1", 3, StatusFailed)
	fail.Status.ErrorCode, fail.Status.ErrorMessage = "30003", "Unreachable destination handset"
	evs := []*Event{
		echoEv("e-echo", "m1", 0, "hi", StatusSent),
		statusEv("e-del", "m1", 2, StatusDelivered),
		fail,
		statusEv("e-read", "m1", 4, StatusRead),
	}
	inEveryOrder(t, evs, func(t *testing.T, s *memTx) {
		m := messageByZavuID(t, s, "m1")
		if m.Status != StatusFailed || m.ErrorCode != "30003" || m.ErrorMessage != "Unreachable destination handset" {
			t.Errorf("message = %s %q %q, want failed 30003", m.Status, m.ErrorCode, m.ErrorMessage)
		}
		if !m.StatusTimes.Failed.Equal(at(3)) || !m.StatusTimes.Delivered.Equal(at(2)) {
			t.Errorf("times = %+v", m.StatusTimes)
		}
	})
	// Two failure reports: the first one's code, whatever comes first.
	early := statusEv("e-f1", "m1", 1, StatusFailed)
	early.Status.ErrorCode = "131047"
	late := statusEv("e-f2", "m1", 5, StatusFailed)
	late.Status.ErrorCode = "30003"
	inEveryOrder(t, []*Event{early, late, statusEv("e-sent", "m1", 0, StatusSent)}, func(t *testing.T, s *memTx) {
		if m := messageByZavuID(t, s, "m1"); m.Status != StatusFailed || m.ErrorCode != "131047" || !m.StatusTimes.Failed.Equal(at(1)) {
			t.Errorf("message = %s %q failed at %v, want failed 131047 at %v", m.Status, m.ErrorCode, m.StatusTimes.Failed, at(1))
		}
	})
}

func TestAnEchoNeverRewritesAMessageWeSent(t *testing.T) {
	// Our reply, accepted by Zavu as m1; then a message.sent for m1 that
	// carries text, as if from the phone.
	s := newMemTx()
	mustIngest(t, s, inboundEv("e0", "m0", 0, "hello"))
	conv := onlyConversation(t, s)
	author := int64(7)
	m := Message{
		ZavuID: "m1", ConversationID: conv.ID, Direction: Outbound, Channel: WhatsApp, Type: TypeText,
		Text: "Typed in Switchboard", Status: StatusQueued, Source: SourceAgent, AuthorID: &author, CreatedAt: at(1),
	}
	if err := s.InsertMessage(t.Context(), &m); err != nil {
		t.Fatal(err)
	}
	mustIngest(t, s, echoEv("e1", "m1", 2, "something else", StatusDelivered))
	got := messageByZavuID(t, s, "m1")
	if got.Source != SourceAgent || got.Text != "Typed in Switchboard" || !got.CreatedAt.Equal(at(1)) {
		t.Errorf("our message became %s %q at %v", got.Source, got.Text, got.CreatedAt)
	}
	if got.Status != StatusDelivered {
		t.Errorf("status = %s, want delivered", got.Status)
	}
}

func TestReactionAndRemovalAtTheSameTimeLaterEventWins(t *testing.T) {
	same := at(5) // the reaction's own timestamp, the same on both
	react := func(id string, envelope int, emoji string, action ReactionAction) *Event {
		ev := reactionEv(id, "m1", envelope, emoji, action)
		ev.Reaction.At = same
		return ev
	}
	for _, tt := range []struct {
		name string
		evs  []*Event
		want []string
	}{
		{"removal later", []*Event{react("e-add", 6, "👍", ReactionAdded), react("e-rm", 7, "", ReactionRemoved)}, nil},
		{"reaction later", []*Event{react("e-rm", 6, "", ReactionRemoved), react("e-add", 7, "👍", ReactionAdded)}, []string{customer + " 👍"}},
		{"other emoji later", []*Event{react("e-a", 6, "👍", ReactionAdded), react("e-b", 7, "❤️", ReactionAdded)}, []string{customer + " ❤️"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inEveryOrder(t, append(tt.evs, echoEv("e-echo", "m1", 0, "Shipped", StatusSent)), func(t *testing.T, s *memTx) {
				if got := s.snapshot().Reactions["m1"]; fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("reactions = %v, want %v", got, tt.want)
				}
			})
		})
	}
}

// A step of a stream that is not only webhooks: an event, or what the
// outbox records of Zavu's answer to a send.
type step struct {
	name string
	do   func(t *testing.T, s *memTx)
}

func eventStep(ev *Event) step {
	return step{ev.ID, func(t *testing.T, s *memTx) { mustIngest(t, s, ev) }}
}

// stepsInEveryOrder runs setup on a fresh store, then every permutation
// of steps, and calls check with each.
func stepsInEveryOrder(t *testing.T, setup func(t *testing.T, s *memTx), steps []step, check func(t *testing.T, s *memTx)) {
	t.Helper()
	for _, order := range permutations(len(steps)) {
		s := newMemTx()
		setup(t, s)
		name := ""
		for _, i := range order {
			steps[i].do(t, s)
			name += steps[i].name + ","
		}
		t.Run(name[:len(name)-1], func(t *testing.T) { check(t, s) })
	}
}

// An agent's reply went out as Zavu's z1 and failed; the agent pressed
// Retry and it went again as z2. Reports about z1 still come afterwards
// (Zavu delivers webhooks late and twice; its "delivered" may follow its
// "failed"), in any order with z2's reports and with Zavu's answer to the
// second send. Whatever the order, the thread holds the one reply, as the
// second attempt left it: no "sent outside Switchboard" bubble for z1,
// and z1's failure never fails the delivered reply.
func TestReportsOfAnAttemptBeforeARetryStayWithItsReply(t *testing.T) {
	ctx := context.Background()
	failed := statusEv("e-z1-failed", "z1", 2, StatusFailed)
	failed.Status.ErrorCode, failed.Status.ErrorMessage = "30003", "Unreachable destination handset"
	failedAgain := *failed
	failedAgain.ID, failedAgain.Timestamp = "e-z1-failed-copy", at(9)
	var reply int64
	setup := func(t *testing.T, s *memTx) {
		mustIngest(t, s, inboundEv("e-in", "m0", 0, "Where is my order?"))
		m, _, err := QueueReply(ctx, s, textReply(1, "k1", "On its way", 1))
		if err != nil {
			t.Fatal(err)
		}
		reply = m.ID
		if _, err := RecordSent(ctx, s, reply, SendResult{ZavuID: "z1", Status: StatusQueued}, at(1)); err != nil {
			t.Fatal(err)
		}
		mustIngest(t, s, failed)
		if _, _, err := RetryReply(ctx, s, reply, "k2", at(3)); err != nil {
			t.Fatal(err)
		}
	}
	steps := []step{
		{"answer-z2", func(t *testing.T, s *memTx) {
			if _, err := RecordSent(ctx, s, reply, SendResult{ZavuID: "z2", Status: StatusQueued}, at(4)); err != nil {
				t.Fatal(err)
			}
		}},
		eventStep(statusEv("e-z2-sent", "z2", 5, StatusSent)),
		eventStep(statusEv("e-z2-delivered", "z2", 6, StatusDelivered)),
		eventStep(failed), // the same event again
		eventStep(&failedAgain),
		eventStep(statusEv("e-z1-delivered", "z1", 8, StatusDelivered)),
	}
	var first *snapshot
	stepsInEveryOrder(t, setup, steps, func(t *testing.T, s *memTx) {
		var outbound []Message
		for _, m := range s.messages {
			if m.ID != 0 && m.Direction == Outbound {
				outbound = append(outbound, m)
			}
		}
		if len(outbound) != 1 || outbound[0].ID != reply {
			t.Fatalf("outbound messages %+v, want the reply alone", outbound)
		}
		m := outbound[0]
		want := StatusTimes{Queued: at(4), Sent: at(5), Delivered: at(6)}
		if m.ZavuID != "z2" || m.Status != StatusDelivered || m.ErrorCode != "" || m.ErrorMessage != "" || m.StatusTimes != want {
			t.Errorf("reply = %s %s error %q %q times %+v; want z2 delivered, no error, times %+v",
				m.ZavuID, m.Status, m.ErrorCode, m.ErrorMessage, m.StatusTimes, want)
		}
		if c := onlyConversation(t, s); c.LastMessageID != reply || c.LastMessagePreview != "On its way" {
			t.Errorf("conversation shows message %d %q last, want the reply", c.LastMessageID, c.LastMessagePreview)
		}
		snap := s.snapshot()
		if first == nil {
			first = &snap
		} else if !reflect.DeepEqual(snap, *first) {
			t.Errorf("state differs from the first order's:\n%+v\nwant\n%+v", snap, *first)
		}
	})
}

// A carrier's opt-out (21610) reported for an attempt that a Retry
// replaced still closes the conversation: the customer opted out whatever
// the attempt, and the retried reply, still waiting, does not go.
func TestAnOptOutReportedForAnEarlierAttemptClosesTheConversation(t *testing.T) {
	ctx := context.Background()
	s, m := queued(t)
	if _, err := RecordSent(ctx, s, m.ID, SendResult{ZavuID: "z1", Status: StatusQueued}, at(1)); err != nil {
		t.Fatal(err)
	}
	failed := statusEv("e-z1-failed", "z1", 2, StatusFailed)
	failed.Status.ErrorCode = "30003"
	mustIngest(t, s, failed)
	if _, _, err := RetryReply(ctx, s, m.ID, "k2", at(3)); err != nil {
		t.Fatal(err)
	}
	optedOut := statusEv("e-z1-optout", "z1", 4, StatusFailed)
	optedOut.Status.ErrorCode = "21610"
	mustIngest(t, s, optedOut)
	if c := onlyConversation(t, s); !c.OptedOut {
		t.Error("the conversation is still open to replies after the carrier said the customer opted out")
	}
	got, _ := s.MessageByID(ctx, m.ID)
	if got.Status != StatusFailed || !strings.Contains(got.ErrorMessage, "opted out") {
		t.Errorf("the retried reply waiting to go is %s %q, want failed because the customer opted out", got.Status, got.ErrorMessage)
	}
	if len(s.messages) != 2 {
		t.Errorf("%d messages, want the customer's and the reply", len(s.messages))
	}
}

// Zavu may deliver a customer's message again under a new event id, hours
// later. A copy of a message written before the customer changed their
// WhatsApp profile name is as old as the message: the newer name stays.
func TestALateCopyOfAnOldMessageBringsBackNoOldName(t *testing.T) {
	first := inboundEv("e1", "m1", 0, "Hi")
	first.Inbound.ProfileName = "Zoe"
	renamed := inboundEv("e2", "m2", 10, "Still there?")
	renamed.Inbound.ProfileName = "Zoe Quinn"
	again := inboundEv("e1-copy", "m1", 200, "Hi")
	again.Inbound.ProfileName = "Zoe"
	announcedAgain := newConvEv("e0-copy", "m1", 300, "Hi")
	announcedAgain.NewConversation.ProfileName = "Zoe"
	for _, order := range [][]*Event{{first, renamed, again}, {first, again, renamed}, {renamed, first, again}, {first, renamed, announcedAgain}} {
		s := newMemTx()
		mustIngest(t, s, order...)
		if c := onlyConversation(t, s); c.Contact.Name != "Zoe Quinn" {
			t.Errorf("order %s, %s, %s: the contact is %q, want the newer name %q", order[0].ID, order[1].ID, order[2].ID, c.Contact.Name, "Zoe Quinn")
		}
	}
}
