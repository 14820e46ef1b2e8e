package web

import (
	"context"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// Whatever store applies a webhook acknowledged on its envelope alone, the
// rules see its whole payload: the projection's apply decodes the stored
// body when the store has not; a body that no longer decodes fails the
// event instead of reaching the rules without its payload.
func TestAnEventAckedOnItsEnvelopeReachesTheRulesWhole(t *testing.T) {
	body := []byte(`{"id":"evt_1","type":"message.inbound","senderId":"snd_1","data":{"messageId":"msg_1",` +
		`"from":"+14155550100","to":"+13125559876","channel":"sms","messageType":"text","text":"hello"}}`)
	env, err := zavu.DecodeEnvelope(body)
	if err != nil || !env.PayloadLater {
		t.Fatalf("envelope %+v, %v", env, err)
	}
	env.Timestamp = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) // as the handler stamps one without
	var seen *inbox.Event
	apply := withPayload(zavu.Decode, func(_ context.Context, _ inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
		seen = ev
		return inbox.Change{}, nil
	})
	if _, err := apply(context.Background(), nil, env); err != nil {
		t.Fatal(err)
	}
	if seen == nil || seen.Inbound == nil || seen.Inbound.Text != "hello" || !seen.Timestamp.Equal(env.Timestamp) {
		t.Fatalf("the rules saw %+v", seen)
	}

	seen = nil
	broken := &inbox.Event{ID: "evt_2", Type: inbox.EventMessageInbound, Raw: []byte(`{"id":`), PayloadLater: true}
	if _, err := apply(context.Background(), nil, broken); err == nil || seen != nil {
		t.Errorf("a body that does not decode: err %v, the rules saw %+v", err, seen)
	}
}
