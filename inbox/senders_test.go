package inbox

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestWebhookProblems(t *testing.T) {
	const ours = "https://desk.example.com/webhooks/zavu"
	all := make([]string, len(SenderEvents))
	for i, e := range SenderEvents {
		all[i] = string(e)
	}
	synced := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		s    Sender
		want []string // each problem must contain one of these, in order
	}{
		{"known only from webhooks", Sender{ID: "snd_1"}, nil},
		{"all good", Sender{SyncedAt: synced, Webhook: &SenderWebhook{URL: ours, Events: all, Active: true}}, nil},
		{"trailing slash and host case", Sender{SyncedAt: synced, Webhook: &SenderWebhook{URL: "https://Desk.Example.com/webhooks/zavu/", Events: all, Active: true}}, nil},
		{"no webhook", Sender{SyncedAt: synced}, []string{"no webhook"}},
		{"elsewhere", Sender{SyncedAt: synced, Webhook: &SenderWebhook{URL: "https://other.example.com/webhooks/zavu", Events: all, Active: true}},
			[]string{"https://other.example.com/webhooks/zavu"}},
		{"other path", Sender{SyncedAt: synced, Webhook: &SenderWebhook{URL: "https://desk.example.com/hooks", Events: all, Active: true}},
			[]string{"not to Switchboard"}},
		{"switched off", Sender{SyncedAt: synced, Webhook: &SenderWebhook{URL: ours, Events: all}}, []string{"switched off"}},
		{"missing events", Sender{SyncedAt: synced, Webhook: &SenderWebhook{URL: ours, Events: []string{"message.inbound"}, Active: true}},
			[]string{"conversation.new, message.unsupported, message.reaction, message.queued, message.sent, message.delivered, message.read, message.failed, template.status_changed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.WebhookProblems(ours)
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q does not say %q", got[i], w)
				}
			}
		})
	}
}

func TestCheckWebhookSecret(t *testing.T) {
	if s, err := CheckWebhookSecret("  whsec_0123456789abcdef \n"); err != nil || s != "whsec_0123456789abcdef" {
		t.Errorf("a good secret: %q, %v", s, err)
	}
	for _, bad := range []string{"", "   ", "0123456789abcdef", "whsec_1234567", "whsec_01234567 89", "whsec_01234567,whsec_89abcdef"} {
		_, err := CheckWebhookSecret(bad)
		var inv *InvalidSecret
		if !errors.As(err, &inv) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v, want an InvalidSecret", bad, err)
		}
	}
	if h := SecretHint("whsec_0123456789abcdef"); h != "cdef" {
		t.Errorf("hint %q", h)
	}
}

// A sender's secret signs events about that sender's messages, and about
// messages not here yet; any event that names another sender's message
// is refused, whatever its kind.
func TestSenderSecretSignsOnlyEventsOnItsOwnMessages(t *testing.T) {
	held := map[string]string{"msg_a": "snd_a", "msg_b": "snd_b"}
	senderOf := func(_ context.Context, id string) (string, error) {
		if s, ok := held[id]; ok {
			return s, nil
		}
		return "", ErrNotFound
	}
	naming := func(id string) []*Event {
		return []*Event{
			{Type: EventConversationNew, NewConversation: &NewConversation{FirstMessageID: id}},
			{Type: EventMessageInbound, Inbound: &InboundMessage{MessageID: id}},
			{Type: EventMessageReaction, Reaction: &ReactionChange{MessageID: id}},
			{Type: EventMessageSent, Echo: &Echo{MessageID: id}},
			{Type: EventMessageFailed, Status: &StatusReport{MessageID: id}},
		}
	}
	ctx := context.Background()
	for _, ev := range naming("msg_b") {
		err := CheckSignedBySender(ctx, ev, "snd_a", senderOf)
		var other *OtherSendersMessage
		if !errors.As(err, &other) || other.Signer != "snd_a" || other.MessageID != "msg_b" || other.Owner != "snd_b" ||
			!errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s naming snd_b's message, signed by snd_a: %v, want refused", ev.Type, err)
		}
	}
	for _, ev := range append(naming("msg_a"), append(naming("msg_new"),
		&Event{Type: EventTemplateStatus, Template: &TemplateChange{TemplateID: "tmpl_1"}},
		&Event{Type: EventMessageInbound, DecodeErr: errors.New("data.from is not a string")})...) {
		if err := CheckSignedBySender(ctx, ev, "snd_a", senderOf); err != nil {
			t.Errorf("%s naming %q, signed by snd_a: %v, want accepted", ev.Type, ev.MessageID(), err)
		}
	}
	broken := errors.New("database is locked")
	if err := CheckSignedBySender(ctx, naming("msg_a")[4], "snd_a", func(context.Context, string) (string, error) {
		return "", broken
	}); !errors.Is(err, broken) {
		t.Errorf("with the store failing: %v, want its error", err)
	}
}

// An event that only sender snd_a's own secret signed is checked again
// as it is applied: the message it names may have been stored since the
// delivery was checked (events are applied after the acknowledgement).
// Naming a message of snd_b's, under its Zavu id or under the one a Retry
// replaced, it fails with the reason and changes nothing; naming snd_a's
// own message, or signed with the project's secret, it is applied.
func TestEventSignedBySenderIsCheckedWhenApplied(t *testing.T) {
	ctx := context.Background()
	const custA, custB = "+14155550101", "+14155550202"
	// setup gives each sender a customer's message and a reply sent as
	// Zavu's message zavuID; with retried, snd_b's reply failed and was
	// sent again as msg_b_2 since.
	setup := func(t *testing.T, retried bool) *memTx {
		t.Helper()
		s := newMemTx()
		for i, c := range []struct{ sender, cust, in, out string }{
			{"snd_a", custA, "msg_a_in", "msg_a_out"}, {"snd_b", custB, "msg_b_in", "msg_b_out"},
		} {
			in := inboundEv("e_"+c.in, c.in, 0, "Hello")
			in.SenderID, in.Inbound.From = c.sender, c.cust
			mustIngest(t, s, in)
			m, _, err := QueueReply(ctx, s, textReply(int64(i+1), "k_"+c.out, "On its way", 1))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := RecordSent(ctx, s, m.ID, SendResult{ZavuID: c.out, Status: StatusSent}, at(1)); err != nil {
				t.Fatal(err)
			}
			if retried && c.sender == "snd_b" {
				if _, err := RecordFailed(ctx, s, m.ID, "30003", "Unreachable", at(2)); err != nil {
					t.Fatal(err)
				}
				if _, _, err := RetryReply(ctx, s, m.ID, "k_retry", at(3)); err != nil {
					t.Fatal(err)
				}
				if _, err := RecordSent(ctx, s, m.ID, SendResult{ZavuID: "msg_b_2", Status: StatusSent}, at(3)); err != nil {
					t.Fatal(err)
				}
			}
		}
		return s
	}
	optOut := func(sender, msg, to string) *Event {
		ev := statusEv("e_optout", msg, 5, StatusFailed)
		ev.SenderID, ev.Status.To, ev.Status.ErrorCode, ev.Status.ErrorMessage = sender, to, "21610", "Unsubscribed recipient"
		return ev
	}
	delivered := func(sender, msg, to string) *Event {
		ev := statusEv("e_delivered", msg, 5, StatusDelivered)
		ev.SenderID, ev.Status.To = sender, to
		return ev
	}
	reaction := func(sender, msg, from string) *Event {
		ev := reactionEv("e_reaction", msg, 5, "👎", ReactionAdded)
		ev.SenderID, ev.Reaction.From = sender, from
		return ev
	}
	echo := func(sender, msg, to string) *Event {
		ev := echoEv("e_echo", msg, 5, "Rewritten", StatusRead)
		ev.SenderID, ev.Echo.To = sender, to
		return ev
	}
	kinds := map[string]func(sender, msg, to string) *Event{
		"opt-out": optOut, "delivered": delivered, "reaction": reaction, "echo": echo,
	}
	for kind, event := range kinds {
		for _, c := range []struct {
			name     string
			retried  bool
			msg, to  string
			signedBy string
			refused  bool
		}{
			{"snd_b's reply, signed by snd_a", false, "msg_b_out", custB, "snd_a", true},
			{"snd_b's retried reply's first attempt, signed by snd_a", true, "msg_b_out", custB, "snd_a", true},
			{"snd_b's customer's message, signed by snd_a", false, "msg_b_in", custB, "snd_a", true},
			{"snd_a's own reply, signed by snd_a", false, "msg_a_out", custA, "snd_a", false},
			{"snd_a's own reply, retried of snd_b's, signed by snd_a", true, "msg_a_out", custA, "snd_a", false},
			{"snd_b's reply, signed with the project's secret", false, "msg_b_out", custB, "", false},
			{"a message not here, signed by snd_a", false, "msg_new", custA, "snd_a", false},
		} {
			t.Run(kind+"/"+c.name, func(t *testing.T) {
				s := setup(t, c.retried)
				before := s.snapshot()
				ev := event("snd_a", c.msg, c.to)
				ev.SignedBy = c.signedBy
				_, err := Apply(ctx, s, ev)
				after := s.snapshot()
				if !c.refused {
					if errors.Is(err, ErrUnauthorized) {
						t.Fatalf("refused: %v", err)
					}
					if err == nil && reflect.DeepEqual(before, after) && kind != "echo" {
						t.Errorf("applied, but nothing changed")
					}
					return
				}
				var other *OtherSendersMessage
				if !errors.As(err, &other) || !errors.Is(err, ErrUnauthorized) || other.Signer != "snd_a" ||
					other.Owner != "snd_b" || other.MessageID != c.msg {
					t.Fatalf("applied with %v, want refused as another sender's message", err)
				}
				for _, want := range []string{`"snd_a"`, `"snd_b"`, c.msg, string(ev.Type), ev.ID} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("the reason %q does not name %s", err, want)
					}
				}
				if diff := diffSnapshots(after, before); diff != "" {
					t.Errorf("the refused event changed:\n%s", diff)
				}
			})
		}
	}

	// An envelope of another sender's than the one whose secret signed it
	// never verifies; were one stored so, it is refused too.
	s := setup(t, false)
	ev := delivered("snd_b", "msg_new", custB)
	ev.SignedBy = "snd_a"
	if _, err := Apply(ctx, s, ev); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("snd_b's envelope signed by snd_a: %v, want refused", err)
	}
}
