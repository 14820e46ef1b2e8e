package inbox

import (
	"fmt"
	"strings"
	"testing"
)

func TestExplainEventError(t *testing.T) {
	tests := []struct {
		typ  EventType
		err  error
		want string
	}{
		{"contact.updated", fmt.Errorf("contact.updated evt_1: %w %q: kept", ErrUnknownEvent, "contact.updated"), "does not know the event type contact.updated"},
		{EventMessageInbound, fmt.Errorf("message.inbound evt_2: data.messageId is missing: %w", ErrMissingField), "has no messageId"},
		{EventMessageReaction, fmt.Errorf("x: data.reaction.from is missing: %w", ErrMissingField), "has no reaction.from"},
		{EventMessageInbound, fmt.Errorf("x: %w: boom", ErrApplyPanicked), "hit a bug"},
		{EventMessageInbound, fmt.Errorf("message.inbound: data: text should be string, not number: %w", ErrInvalid), "not in the form Zavu documents"},
		{EventMessageSent, fmt.Errorf("message m is already known as one the customer sent: %w", ErrConflict), "contradicts"},
		{EventMessageFailed, fmt.Errorf("message.failed evt_3: %w", &OtherSendersMessage{Signer: "snd_a", MessageID: "msg_b", Owner: "snd_b"}),
			"another sender's message"},
		{EventMessageFailed, fmt.Errorf("message.failed evt_4: %w", &OtherSendersEvent{Signer: "snd_a", Sender: "snd_b"}),
			"a sender's secret signs only that sender's events"},
		{EventMessageSent, fmt.Errorf("disk full"), "could not apply"},
	}
	for _, tt := range tests {
		if got := ExplainEventError(tt.typ, tt.err.Error()); !strings.Contains(got, tt.want) {
			t.Errorf("ExplainEventError(%s, %q) = %q, want it to say %q", tt.typ, tt.err, got, tt.want)
		}
	}
	if got := ExplainEventError(EventMessageSent, ""); got != "" {
		t.Errorf("no error explained as %q", got)
	}
}
