package inbox

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// at is t0 plus some minutes.
func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

const (
	snd      = "snd_1"
	customer = "+14155551234"
	ourPhone = "+13125559876"
)

func inboundEv(id, msg string, min int, text string) *Event {
	return &Event{ID: id, Type: EventMessageInbound, Timestamp: at(min), SenderID: snd, Inbound: &InboundMessage{
		MessageID: msg, From: customer, To: ourPhone, Channel: WhatsApp, Type: TypeText, Text: text, ProfileName: "Zoe Q",
	}}
}

func statusEv(id, msg string, min int, s Status) *Event {
	return &Event{ID: id, Type: EventType("message." + string(s)), Timestamp: at(min), SenderID: snd, Status: &StatusReport{
		MessageID: msg, To: customer, Channel: WhatsApp, Status: s,
	}}
}

func echoEv(id, msg string, min int, text string, s Status) *Event {
	return &Event{ID: id, Type: EventMessageSent, Timestamp: at(min), SenderID: snd, Echo: &Echo{
		MessageID: msg, From: ourPhone, To: customer, Channel: WhatsApp, Type: TypeText, Text: text, Status: s,
	}}
}

func reactionEv(id, msg string, min int, emoji string, action ReactionAction) *Event {
	return &Event{ID: id, Type: EventMessageReaction, Timestamp: at(min), SenderID: snd, Reaction: &ReactionChange{
		MessageID: msg, From: customer, Emoji: emoji, Action: action, At: at(min),
	}}
}

func mustIngest(t *testing.T, s *memTx, evs ...*Event) {
	t.Helper()
	for _, ev := range evs {
		if _, err := s.ingest(ev); err != nil {
			t.Fatalf("ingest %s: %v", ev.ID, err)
		}
	}
}

func onlyConversation(t *testing.T, s *memTx) Conversation {
	t.Helper()
	if len(s.conversations) != 1 {
		t.Fatalf("conversations = %d, want 1", len(s.conversations))
	}
	return s.conversations[0]
}

func TestInboundCreatesThread(t *testing.T) {
	s := newMemTx()
	ch, err := s.ingest(inboundEv("e1", "m1", 0, "Where is my order?"))
	if err != nil {
		t.Fatal(err)
	}
	c := onlyConversation(t, s)
	if c.Contact.Name != "Zoe Q" || c.Contact.Phone != customer || c.SenderID != snd || c.Channel != WhatsApp {
		t.Errorf("conversation = %+v", c)
	}
	if c.InboundCount != 1 || c.LastMessagePreview != "Where is my order?" || !c.LastMessageAt.Equal(at(0)) {
		t.Errorf("activity: count %d preview %q at %v", c.InboundCount, c.LastMessagePreview, c.LastMessageAt)
	}
	if got := c.WindowClosesAt(); !got.Equal(at(24 * 60)) {
		t.Errorf("window closes %v, want 24 h after the message", got)
	}
	if s.senders[snd] != ourPhone {
		t.Errorf("sender phone = %q", s.senders[snd])
	}
	if len(ch.ConversationIDs) != 1 || len(ch.MessageIDs) != 1 {
		t.Errorf("change = %+v", ch)
	}
	m := s.messages[0]
	if m.Direction != Inbound || m.Status != StatusReceived || m.Source != SourceCustomer {
		t.Errorf("message = %+v", m)
	}
}

func TestConversationNewAndInboundInEitherOrder(t *testing.T) {
	newConv := &Event{ID: "e-new", Type: EventConversationNew, Timestamp: at(0), SenderID: snd, NewConversation: &NewConversation{
		Phone: customer, Channel: WhatsApp, FirstMessageID: "m1", FirstMessageText: "Look at this", ProfileName: "Zoe Q",
	}}
	image := inboundEv("e-in", "m1", 0, "Look at this")
	image.Inbound.Type = TypeImage
	image.Inbound.Content = &Content{MediaID: "123", MimeType: "image/jpeg"}

	for name, order := range map[string][]*Event{"new first": {newConv, image}, "inbound first": {image, newConv}} {
		t.Run(name, func(t *testing.T) {
			s := newMemTx()
			mustIngest(t, s, order...)
			c := onlyConversation(t, s)
			if len(s.messages) != 1 {
				t.Fatalf("messages = %d, want 1", len(s.messages))
			}
			m := s.messages[0]
			if m.Type != TypeImage || m.Content == nil || m.Content.MediaID != "123" {
				t.Errorf("message = %+v, want the image from message.inbound", m)
			}
			if c.InboundCount != 1 {
				t.Errorf("inbound count = %d, want 1", c.InboundCount)
			}
			if c.LastMessagePreview != "📷 Photo: Look at this" {
				t.Errorf("preview = %q", c.LastMessagePreview)
			}
		})
	}
}

func TestLateRetryDoesNotLookNew(t *testing.T) {
	s := newMemTx()
	mustIngest(t, s, inboundEv("e2", "m2", 60, "second"), inboundEv("e1", "m1", 0, "first, retried late"))
	c := onlyConversation(t, s)
	if c.LastMessagePreview != "second" || !c.LastMessageAt.Equal(at(60)) {
		t.Errorf("latest = %q at %v, want the second message", c.LastMessagePreview, c.LastMessageAt)
	}
	if !c.LastInboundAt.Equal(at(60)) {
		t.Errorf("window runs from %v, want the latest message's time", c.LastInboundAt)
	}
	if c.InboundCount != 2 {
		t.Errorf("inbound count = %d", c.InboundCount)
	}
}

func TestStatusesOnlyMoveForward(t *testing.T) {
	s := newMemTx()
	mustIngest(t, s,
		echoEv("e0", "m1", 0, "On its way", StatusSent),
		statusEv("e1", "m1", 2, StatusRead),
		statusEv("e2", "m1", 1, StatusDelivered),
		statusEv("e3", "m1", 3, StatusSent),
	)
	m := s.messages[0]
	if m.Status != StatusRead {
		t.Errorf("status = %s, want read", m.Status)
	}
	if !m.StatusTimes.Delivered.Equal(at(1)) || !m.StatusTimes.Read.Equal(at(2)) || !m.StatusTimes.Sent.Equal(at(0)) {
		t.Errorf("times = %+v", m.StatusTimes)
	}
}

func TestFailedIsFinal(t *testing.T) {
	s := newMemTx()
	fail := statusEv("e1", "m1", 1, StatusFailed)
	fail.Status.ErrorCode, fail.Status.ErrorMessage = "30003", "Unreachable destination handset"
	mustIngest(t, s, echoEv("e0", "m1", 0, "hi", StatusSent), fail, statusEv("e2", "m1", 2, StatusDelivered))
	m := s.messages[0]
	if m.Status != StatusFailed || m.ErrorCode != "30003" || m.ErrorMessage != "Unreachable destination handset" {
		t.Errorf("message = %s %s %q, want failed 30003", m.Status, m.ErrorCode, m.ErrorMessage)
	}
}

func TestStatusForUnknownMessageLeavesPlaceholder(t *testing.T) {
	s := newMemTx()
	mustIngest(t, s, statusEv("e1", "m9", 5, StatusDelivered))
	if len(s.messages) != 1 {
		t.Fatalf("messages = %d", len(s.messages))
	}
	m := s.messages[0]
	if m.Type != TypeUnknown || m.Direction != Outbound || m.Status != StatusDelivered || m.Source != SourceAPI {
		t.Errorf("placeholder = %+v", m)
	}
	c := onlyConversation(t, s)
	if c.Contact.Phone != customer || c.InboundCount != 0 || !c.LastInboundAt.IsZero() {
		t.Errorf("conversation = %+v", c)
	}
	// The echo of the same message fills it in.
	mustIngest(t, s, echoEv("e2", "m9", 4, "Sent from my phone", StatusSent))
	m = s.messages[0]
	if len(s.messages) != 1 || m.Type != TypeText || m.Text != "Sent from my phone" || m.Source != SourcePhoneApp {
		t.Errorf("after echo: %+v", m)
	}
	if m.Status != StatusDelivered || !m.CreatedAt.Equal(at(4)) {
		t.Errorf("after echo: status %s at %v, want delivered at the echo's time", m.Status, m.CreatedAt)
	}
}

func TestEchoNeverReopensOrCountsAsUnread(t *testing.T) {
	s := newMemTx()
	mustIngest(t, s, inboundEv("e1", "m1", 0, "hello"))
	s.conversations[0].Status = Resolved
	mustIngest(t, s, echoEv("e2", "m2", 1, "Answered from the phone", StatusDelivered))
	c := onlyConversation(t, s)
	if c.Status != Resolved || c.InboundCount != 1 {
		t.Errorf("after echo: status %s count %d", c.Status, c.InboundCount)
	}
	if c.LastMessagePreview != "Answered from the phone" {
		t.Errorf("preview = %q", c.LastMessagePreview)
	}
	if m := s.messages[1]; m.Status != StatusDelivered || m.Source != SourcePhoneApp || m.Direction != Outbound {
		t.Errorf("echo = %+v", m)
	}
	// Statuses and reactions do not reopen either; a new inbound does.
	mustIngest(t, s, statusEv("e3", "m2", 2, StatusRead), reactionEv("e4", "m2", 3, "👍", ReactionAdded))
	if c := onlyConversation(t, s); c.Status != Resolved {
		t.Errorf("status or reaction reopened the conversation")
	}
	mustIngest(t, s, inboundEv("e5", "m3", 4, "one more thing"))
	if c := onlyConversation(t, s); c.Status != Open || c.InboundCount != 2 {
		t.Errorf("new inbound: status %s count %d, want open and 2", c.Status, c.InboundCount)
	}
}

func TestReactions(t *testing.T) {
	s := newMemTx()
	// A reaction before its message is kept and attaches when it comes.
	mustIngest(t, s, reactionEv("e1", "m1", 1, "👍", ReactionAdded))
	if len(s.messages) != 0 || s.reactions[[2]string{"m1", customer}].Emoji != "👍" {
		t.Fatalf("reaction before message not kept: %+v", s.reactions)
	}
	mustIngest(t, s, echoEv("e0", "m1", 0, "Your order shipped", StatusSent))
	// A new one replaces it; a removal wins over an older add arriving late.
	mustIngest(t, s, reactionEv("e2", "m1", 2, "❤️", ReactionAdded))
	if got := s.snapshot().Reactions["m1"]; !reflect.DeepEqual(got, []string{customer + " ❤️"}) {
		t.Errorf("reactions = %v", got)
	}
	ch, err := s.ingest(reactionEv("e3", "m1", 4, "", ReactionRemoved))
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.MessageIDs) != 1 {
		t.Errorf("removal change = %+v, want the message", ch)
	}
	mustIngest(t, s, reactionEv("e4", "m1", 3, "😮", ReactionAdded))
	if got := s.snapshot().Reactions["m1"]; len(got) != 0 {
		t.Errorf("reactions after removal = %v, want none", got)
	}
}

func TestTemplateChangesKeepTheNewest(t *testing.T) {
	s := newMemTx()
	tmpl := func(id string, min int, status, reason string) *Event {
		return &Event{ID: id, Type: EventTemplateStatus, Timestamp: at(min), Template: &TemplateChange{
			TemplateID: "tmpl_1", Name: "order_confirmation", Language: "en", Status: status, RejectionReason: reason,
		}}
	}
	mustIngest(t, s, tmpl("e2", 2, "rejected", "Promotional content"), tmpl("e1", 1, "pending", ""))
	got := s.templates["tmpl_1"]
	if got.Status != "rejected" || got.RejectionReason != "Promotional content" || got.Name != "order_confirmation" {
		t.Errorf("template = %+v", got)
	}
}

func TestActivity(t *testing.T) {
	s := newMemTx()
	mustIngest(t, s, &Event{ID: "e1", Type: EventBroadcastStatus, Timestamp: at(0), Activity: &Activity{
		SubjectID: "brd_1", Name: "Black Friday", Status: "approved", PreviousStatus: "pending_review",
	}})
	if len(s.activities) != 1 || s.activities[0].EventID != "e1" || s.activities[0].Kind != string(EventBroadcastStatus) || !s.activities[0].At.Equal(at(0)) {
		t.Errorf("activities = %+v", s.activities)
	}
}

func TestApplyRejects(t *testing.T) {
	noFrom := inboundEv("e2", "m1", 0, "x")
	noFrom.Inbound.From = ""
	noChannel := inboundEv("e3", "m1", 0, "x")
	noChannel.Inbound.Channel = ""
	tests := []struct {
		name string
		ev   *Event
		want error
	}{
		{"unknown type", &Event{ID: "e1", Type: "contact.updated"}, ErrUnknownEvent},
		{"payload that did not decode", &Event{ID: "e4", Type: EventMessageInbound, DecodeErr: ErrInvalid}, ErrInvalid},
		{"inbound without from", noFrom, ErrMissingField},
		{"inbound without channel", noChannel, ErrMissingField},
		{"status without message id", statusEv("e5", "", 0, StatusSent), ErrMissingField},
		{"placeholder without recipient", &Event{ID: "e6", Type: EventMessageSent, Status: &StatusReport{MessageID: "m7", Channel: SMS, Status: StatusSent}}, ErrMissingField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newMemTx()
			_, err := s.ingest(tt.ev)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// Inbound and outbound ids never merge.
	s := newMemTx()
	mustIngest(t, s, inboundEv("e1", "m1", 0, "x"))
	if _, err := s.ingest(echoEv("e2", "m1", 1, "y", StatusSent)); !errors.Is(err, ErrConflict) {
		t.Errorf("echo with an inbound id: err = %v, want conflict", err)
	}
}

// story is one conversation as Zavu might deliver it: a new contact, media,
// an echo, our reply's statuses, a failure, reactions, and a late sent.
func story() []*Event {
	newConv := &Event{ID: "s-new", Type: EventConversationNew, Timestamp: at(0), SenderID: snd, NewConversation: &NewConversation{
		Phone: customer, Channel: WhatsApp, FirstMessageID: "m1", FirstMessageText: "Hi", ProfileName: "Zoe",
	}}
	photo := inboundEv("s-photo", "m2", 1, "broken box")
	photo.Inbound.Type, photo.Inbound.Content = TypeImage, &Content{MediaID: "55", MimeType: "image/jpeg"}
	fail := statusEv("s-fail", "m4", 9, StatusFailed)
	fail.Status.ErrorCode = "131047"
	return []*Event{
		newConv,
		inboundEv("s-in1", "m1", 0, "Hi"),
		photo,
		echoEv("s-echo", "m3", 2, "Sorry! Sending a new one.", StatusSent),
		statusEv("s-q", "m3", 3, StatusQueued),
		statusEv("s-del", "m3", 4, StatusDelivered),
		statusEv("s-read", "m3", 5, StatusRead),
		reactionEv("s-r1", "m3", 6, "🙏", ReactionAdded),
		reactionEv("s-r2", "m2", 7, "👍", ReactionAdded),
		reactionEv("s-r3", "m2", 8, "", ReactionRemoved),
		statusEv("s-sent4", "m4", 8, StatusSent),
		fail,
		statusEv("s-late", "m3", 10, StatusSent),
		inboundEv("s-in3", "m5", 11, "Thanks!"),
	}
}

func TestShuffledAndDuplicatedStreamsGiveTheSameState(t *testing.T) {
	ordered := newMemTx()
	mustIngest(t, ordered, story()...)
	want := ordered.snapshot()
	if got := want.Messages["m3 in snd_1/whatsapp/+14155551234"].Status; got != StatusRead {
		t.Fatalf("ordered stream: m3 is %s, want read", got)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		evs := story()
		// Every event may come twice, and in any order.
		for _, ev := range story() {
			if rng.IntN(3) == 0 {
				evs = append(evs, ev)
			}
		}
		rng.Shuffle(len(evs), func(a, b int) { evs[a], evs[b] = evs[b], evs[a] })
		s := newMemTx()
		mustIngest(t, s, evs...)
		if got := s.snapshot(); !reflect.DeepEqual(got, want) {
			order := make([]string, len(evs))
			for j, ev := range evs {
				order[j] = ev.ID
			}
			t.Fatalf("run %d, order %v:\n%s", i, order, diffSnapshots(got, want))
		}
	}
}

func diffSnapshots(got, want snapshot) string {
	var out string
	for k, w := range want.Messages {
		if g := got.Messages[k]; !reflect.DeepEqual(g, w) {
			out += fmt.Sprintf("message %s:\n got %+v\nwant %+v\n", k, g, w)
		}
	}
	for k, w := range want.Conversations {
		if g := got.Conversations[k]; !reflect.DeepEqual(g, w) {
			out += fmt.Sprintf("conversation %s:\n got %+v\nwant %+v\n", k, g, w)
		}
	}
	if len(got.Messages) != len(want.Messages) || len(got.Conversations) != len(want.Conversations) {
		out += fmt.Sprintf("got %d messages, %d conversations; want %d, %d\n", len(got.Messages), len(got.Conversations), len(want.Messages), len(want.Conversations))
	}
	if !reflect.DeepEqual(got.Reactions, want.Reactions) || !reflect.DeepEqual(got.Templates, want.Templates) {
		out += fmt.Sprintf("reactions %v templates %v; want %v %v\n", got.Reactions, got.Templates, want.Reactions, want.Templates)
	}
	return out
}
