package inbox

import (
	"context"
	"errors"
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
