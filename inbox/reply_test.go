package inbox

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

var _ ReplyTx = (*memTx)(nil)

// textReply is an agent's text reply in the conversation at min minutes.
func textReply(conv int64, key, text string, min int) Reply {
	return Reply{ConversationID: conv, Source: SourceAgent, Type: TypeText, Text: text, IdempotencyKey: key, At: at(min)}
}

// queued is a memTx with one inbound WhatsApp message at minute 0 and an
// agent's reply "On its way" queued at minute 1.
func queued(t *testing.T) (*memTx, Message) {
	t.Helper()
	s := newMemTx()
	mustIngest(t, s, inboundEv("e1", "m1", 0, "Where is my order?"))
	m, _, err := QueueReply(context.Background(), s, textReply(1, "k1", "On its way", 1))
	if err != nil {
		t.Fatal(err)
	}
	return s, m
}

func TestQueueReplyWritesAPendingMessageAndItsEntry(t *testing.T) {
	s, m := queued(t)
	if m.Status != StatusPending || m.Direction != Outbound || m.Source != SourceAgent || m.ZavuID != "" || m.Channel != WhatsApp {
		t.Errorf("message = %+v", m)
	}
	c := onlyConversation(t, s)
	if c.LastMessageID != m.ID || c.LastMessagePreview != "On its way" || c.InboundCount != 1 {
		t.Errorf("conversation = %+v, want the reply shown last and no more unread", c)
	}
	if len(s.outbox) != 1 {
		t.Fatalf("outbox = %+v", s.outbox)
	}
	e := s.outbox[0]
	want := OutgoingMessage{IdempotencyKey: "k1", SenderID: snd, To: customer, Channel: WhatsApp, Type: TypeText, Text: "On its way"}
	if e.MessageID != m.ID || e.State != OutboxQueued || !e.NextAttemptAt.Equal(at(1)) || e.Message != want {
		t.Errorf("entry = %+v", e)
	}
}

func TestQueueReplyRefuses(t *testing.T) {
	ctx := context.Background()
	s := newMemTx()
	mustIngest(t, s, inboundEv("e1", "m1", 0, "Hi"))
	tpl := textReply(1, "k3", "", 24*60+1)
	tpl.Type, tpl.Content = TypeTemplate, &Content{TemplateID: "tmpl_1"}
	for _, tt := range []struct {
		name string
		r    Reply
		want error
	}{
		{"no key", textReply(1, "", "Hi", 1), ErrInvalid},
		{"blank text", textReply(1, "k1", "  ", 1), ErrInvalid},
		{"no conversation", textReply(9, "k1", "Hi", 1), ErrNotFound},
		{"free text after the window", textReply(1, "k1", "Hi", 24*60+1), ErrWindowClosed},
		{"a template without its id", Reply{ConversationID: 1, Type: TypeTemplate, IdempotencyKey: "k1", At: at(1)}, ErrInvalid},
	} {
		if _, _, err := QueueReply(ctx, s, tt.r); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if len(s.messages) != 1 || len(s.outbox) != 0 {
		t.Errorf("refused replies wrote %d messages, %d entries", len(s.messages)-1, len(s.outbox))
	}
	if _, _, err := QueueReply(ctx, s, tpl); err != nil {
		t.Errorf("a template after the window: %v", err)
	}
}

// The status webhook can reach Switchboard before Zavu's answer to the
// send: it leaves a placeholder, which the answer merges into ours.
func TestRecordSentMergesThePlaceholderAStatusLeft(t *testing.T) {
	ctx := context.Background()
	s, m := queued(t)
	mustIngest(t, s, statusEv("e2", "z1", 2, StatusDelivered))
	if c := onlyConversation(t, s); c.LastMessageID == m.ID {
		t.Fatal("the placeholder did not become the latest message; the test proves nothing")
	}
	ph, err := s.MessageByZavuID(ctx, "z1")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := RecordSent(ctx, s, m.ID, SendResult{ZavuID: "z1", Status: StatusQueued}, at(3))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.MessageByZavuID(ctx, "z1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != m.ID || got.Text != "On its way" || got.Source != SourceAgent || got.Status != StatusDelivered {
		t.Errorf("message = %+v, want ours, delivered", got)
	}
	if want := (StatusTimes{Queued: at(3), Delivered: at(2)}); got.StatusTimes != want {
		t.Errorf("status times = %+v, want %+v", got.StatusTimes, want)
	}
	if _, err := s.MessageByID(ctx, ph.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the placeholder is still there: %v", err)
	}
	if !reflect.DeepEqual(ch.DeletedMessageIDs, []int64{ph.ID}) || !reflect.DeepEqual(ch.MessageIDs, []int64{m.ID}) ||
		!reflect.DeepEqual(ch.ConversationIDs, []int64{1}) {
		t.Errorf("change = %+v", ch)
	}
	c := onlyConversation(t, s)
	if c.LastMessageID != m.ID || c.LastMessagePreview != "On its way" || !c.LastMessageAt.Equal(at(1)) {
		t.Errorf("conversation shows %d %q at %v, want our reply at minute 1", c.LastMessageID, c.LastMessagePreview, c.LastMessageAt)
	}
}

func TestRecordSentEitherSideOfTheWebhooksGivesTheSameState(t *testing.T) {
	ctx := context.Background()
	webhooks := []*Event{statusEv("e2", "z1", 2, StatusSent), statusEv("e3", "z1", 3, StatusDelivered)}
	answer := func(s *memTx, m Message) {
		if _, err := RecordSent(ctx, s, m.ID, SendResult{ZavuID: "z1", Status: StatusQueued}, at(4)); err != nil {
			t.Fatal(err)
		}
	}
	first, m := queued(t)
	mustIngest(t, first, webhooks...)
	answer(first, m)
	second, m := queued(t)
	answer(second, m)
	mustIngest(t, second, webhooks...)
	if a, b := first.snapshot(), second.snapshot(); !reflect.DeepEqual(a, b) {
		t.Errorf("webhooks first:\n%+v\nanswer first:\n%+v", a, b)
	}
}

func TestRecordSentTakesAFailureTheWebhookReported(t *testing.T) {
	ctx := context.Background()
	s, m := queued(t)
	failed := statusEv("e2", "z1", 2, StatusFailed)
	failed.Status.ErrorCode, failed.Status.ErrorMessage = "30003", "Unreachable destination handset"
	mustIngest(t, s, failed)
	if _, err := RecordSent(ctx, s, m.ID, SendResult{ZavuID: "z1", Status: StatusQueued}, at(3)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.MessageByID(ctx, m.ID)
	if got.Status != StatusFailed || got.ErrorCode != "30003" || got.StatusTimes.Failed.IsZero() {
		t.Errorf("message = %+v, want failed with the webhook's error", got)
	}
}

// A placeholder holding a report that only a sender's own secret signed
// is merged into a reply of that sender's alone: another sender's reply
// that gets its Zavu id takes none of its statuses, and the placeholder
// goes all the same. So it is when that report came second and changed
// nothing, as it could have come first.
func TestRecordSentTakesFromAPlaceholderOnlyWhatItsSenderCouldSay(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		envelope string
		signers  []string // of the reports, in the order they come
		merged   bool
	}{
		{"snd_a", []string{"snd_a"}, false},
		{"snd_a", []string{"", "snd_a"}, false},
		{"snd_a", []string{""}, true}, // the project's secret vouches for every sender's messages
		{snd, []string{snd}, true},
	} {
		s, m := queued(t)
		for i, signer := range c.signers {
			failed := statusEv(fmt.Sprint("e_failed_", i), "z1", 2+i, StatusFailed)
			failed.SenderID, failed.SignedBy, failed.Status.ErrorCode = c.envelope, signer, "30003"
			mustIngest(t, s, failed)
		}
		ph, err := s.MessageByZavuID(ctx, "z1")
		if err != nil {
			t.Fatal(err)
		}
		ch, err := RecordSent(ctx, s, m.ID, SendResult{ZavuID: "z1", Status: StatusQueued}, at(3))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.MessageByZavuID(ctx, "z1")
		if merged := got.Status == StatusFailed || got.ErrorCode != "" || !got.StatusTimes.Failed.IsZero(); got.ID != m.ID || merged != c.merged {
			t.Errorf("under %s signed by %q: message = %+v, want ours, failed as reported: %v", c.envelope, c.signers, got, c.merged)
		}
		if _, err := s.MessageByID(ctx, ph.ID); !errors.Is(err, ErrNotFound) || !reflect.DeepEqual(ch.DeletedMessageIDs, []int64{ph.ID}) {
			t.Errorf("under %s signed by %q: the placeholder is still there (%v), change %+v", c.envelope, c.signers, err, ch)
		}
	}
}

func TestRecordSentRefusesAnIDThatBelongsToARealMessage(t *testing.T) {
	ctx := context.Background()
	s, m := queued(t)
	if _, err := RecordSent(ctx, s, m.ID, SendResult{ZavuID: "m1", Status: StatusQueued}, at(3)); !errors.Is(err, ErrConflict) {
		t.Errorf("the customer's message id given to our reply: %v, want ErrConflict", err)
	}
}

func TestRetryReply(t *testing.T) {
	ctx := context.Background()
	s, m := queued(t)
	if _, _, err := RetryReply(ctx, s, m.ID, "k2", at(2)); !errors.Is(err, ErrConflict) {
		t.Errorf("retrying a pending reply: %v, want ErrConflict", err)
	}
	if _, err := RecordFailed(ctx, s, m.ID, "insufficient_balance", "No credit", at(2)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.MessageByID(ctx, m.ID)
	if got.Status != StatusFailed || got.ErrorCode != "insufficient_balance" || got.ErrorMessage != "No credit" || !got.StatusTimes.Failed.Equal(at(2)) {
		t.Fatalf("after RecordFailed: %+v", got)
	}
	again, ch, err := RetryReply(ctx, s, m.ID, "k2", at(3))
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != m.ID || again.Status != StatusPending || again.ErrorCode != "" || again.ErrorMessage != "" ||
		again.StatusTimes != (StatusTimes{}) || len(ch.MessageIDs) != 1 {
		t.Errorf("retried = %+v, change %+v", again, ch)
	}
	if len(s.outbox) != 2 || s.outbox[1].Message.IdempotencyKey != "k2" || s.outbox[1].MessageID != m.ID ||
		!s.outbox[1].NextAttemptAt.Equal(at(3)) {
		t.Errorf("outbox = %+v, want a second entry under the new key", s.outbox)
	}
	if _, err := RecordFailed(ctx, s, m.ID, "", "timeout", at(4)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := RetryReply(ctx, s, m.ID, "k3", at(24*60+1)); !errors.Is(err, ErrWindowClosed) {
		t.Errorf("retrying free text after the window: %v, want ErrWindowClosed", err)
	}

	// Echoes and placeholders were not sent from Switchboard.
	mustIngest(t, s, echoEv("e5", "z9", 5, "From the phone", StatusSent), statusEv("e6", "z8", 6, StatusFailed))
	for _, id := range []string{"z9", "z8"} {
		x, _ := s.MessageByZavuID(ctx, id)
		x.Status = StatusFailed
		s.messages[x.ID-1] = x
		if _, _, err := RetryReply(ctx, s, x.ID, "k4", at(7)); !errors.Is(err, ErrConflict) {
			t.Errorf("retrying %s (%s): %v, want ErrConflict", id, x.Source, err)
		}
	}
}

// A file goes by the conversation's channel: WhatsApp measures its
// caption, and SMS, which carries text only, takes none; each refusal
// names its channel.
func TestAFileFollowsItsChannelsRules(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		ch       Channel
		caption  int
		code     string
		sentence string
	}{
		{WhatsApp, 1024, "", ""},
		{WhatsApp, 1025, "caption_too_long", "A caption on WhatsApp has at most 1024 characters; this one has 1025."},
		{SMS, 0, "media_not_supported", "SMS carries text only"},
		{SMS, 1025, "media_not_supported", "SMS carries text only"},
	} {
		s := newMemTx()
		in := inboundEv("e1", "m1", 0, "Send me the invoice")
		in.Inbound.Channel = tc.ch
		mustIngest(t, s, in)
		r := Reply{ConversationID: 1, Source: SourceAgent, Type: TypeDocument, Text: strings.Repeat("a", tc.caption),
			Content: &Content{MediaURL: "https://files.example.com/invoice.pdf", MimeType: "application/pdf"}, IdempotencyKey: "k1", At: at(1)}
		_, _, err := QueueReply(ctx, s, r)
		var ie *InvalidError
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%s, caption of %d: %v, want it queued", tc.ch, tc.caption, err)
		case tc.code != "" && (!errors.As(err, &ie) || ie.Code != tc.code || !strings.Contains(ie.Message, tc.sentence)):
			t.Errorf("%s, caption of %d: %v, want %s saying %q", tc.ch, tc.caption, err, tc.code, tc.sentence)
		}
	}
}

// Templates and reply buttons are WhatsApp's: on SMS each is refused
// before anything is written, with its own code naming the channel, when
// queued and when a failed one is retried (one an earlier version let
// through to fail at Zavu).
func TestWhatsAppOnlyRepliesAreRefusedOnSMS(t *testing.T) {
	ctx := context.Background()
	s := newMemTx()
	in := inboundEv("e1", "m1", 0, "Hi")
	in.Inbound.Channel = SMS
	mustIngest(t, s, in)
	buttons := &Content{Buttons: []Button{{ID: "yes", Title: "Yes"}, {ID: "no", Title: "No"}}}
	for _, tc := range []struct {
		r    Reply
		code string
	}{
		{Reply{ConversationID: 1, Source: SourceAPI, Type: TypeTemplate, Content: &Content{TemplateID: "tmpl_1"}, IdempotencyKey: "k1", At: at(1)}, "template_not_supported"},
		{Reply{ConversationID: 1, Source: SourceAPI, Type: TypeButtons, Text: "Did that help?", Content: buttons, IdempotencyKey: "k2", At: at(1)}, "buttons_not_supported"},
	} {
		_, _, err := QueueReply(ctx, s, tc.r)
		var ie *InvalidError
		if !errors.As(err, &ie) || ie.Code != tc.code || !strings.Contains(ie.Message, "SMS") {
			t.Errorf("%s on SMS: %v, want %s naming SMS", tc.r.Type, err, tc.code)
		}
	}
	if len(s.messages) != 1 || len(s.outbox) != 0 {
		t.Fatalf("refused replies wrote %d messages, %d entries", len(s.messages)-1, len(s.outbox))
	}

	failed := Message{ConversationID: 1, Direction: Outbound, Channel: SMS, Type: TypeButtons, Text: "Did that help?",
		Content: buttons, Status: StatusFailed, Source: SourceAgent, CreatedAt: at(1), UpdatedAt: at(1)}
	if err := s.InsertMessage(ctx, &failed); err != nil {
		t.Fatal(err)
	}
	_, _, err := RetryReply(ctx, s, failed.ID, "k3", at(2))
	var ie *InvalidError
	if !errors.As(err, &ie) || ie.Code != "buttons_not_supported" {
		t.Errorf("retrying buttons on SMS: %v, want buttons_not_supported", err)
	}
	if len(s.outbox) != 0 {
		t.Errorf("the refused retry queued %+v", s.outbox)
	}
}
