package zavu

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWebhooksTrySecretsSetAtRunTime(t *testing.T) {
	body := []byte(`{"id":"evt_1","type":"message.read","senderId":"snd_a"}`)
	const env, perSender = "whsec_fromTheEnvironment", "whsec_enteredPerSender"
	var stored []string
	var storeErr error
	w := Webhooks{Secrets: StaticSecrets(env), SenderSecrets: func(_ context.Context, id string) ([]string, error) {
		if id != "snd_a" {
			return nil, storeErr
		}
		return stored, storeErr
	}}
	ctx := context.Background()

	if err := w.Verify(ctx, Sign(perSender, time.Now(), body), body); err == nil {
		t.Fatal("a secret not set yet was accepted")
	}
	stored = []string{perSender}
	if err := w.Verify(ctx, Sign(perSender, time.Now(), body), body); err != nil {
		t.Fatalf("a secret set at run time: %v", err)
	}
	if err := w.Verify(ctx, Sign(env, time.Now(), body), body); err != nil {
		t.Fatalf("the configured secret: %v", err)
	}

	// The store cannot be read: the configured secret still counts, and a
	// refusal says why.
	stored, storeErr = nil, errors.New("database is locked")
	if err := w.Verify(ctx, Sign(env, time.Now(), body), body); err != nil {
		t.Fatalf("the configured secret while the store fails: %v", err)
	}
	if err := w.Verify(ctx, Sign(perSender, time.Now(), body), body); err == nil || !errors.Is(err, storeErr) {
		t.Fatalf("refusal while the store fails: %v", err)
	}
}

// A sender's secret signs only that sender's events: not another
// sender's, and not the project's own (templates, broadcasts,
// invitations carry no senderId), which only the configured secrets sign.
func TestSenderSecretSignsOnlyThatSendersEvents(t *testing.T) {
	const env, secretA = "whsec_fromTheEnvironment", "whsec_senderAOnly123456"
	w := Webhooks{Secrets: StaticSecrets(env), SenderSecrets: func(_ context.Context, id string) ([]string, error) {
		if id == "snd_a" {
			return []string{secretA}, nil
		}
		return nil, nil
	}}
	ctx := context.Background()
	for _, c := range []struct {
		name, body string
		byA        bool // whether snd_a's secret may sign it
	}{
		{"snd_a's message", `{"id":"e1","type":"message.inbound","timestamp":1705312200000,"senderId":"snd_a","data":{}}`, true},
		{"snd_b's message", `{"id":"e2","type":"message.inbound","timestamp":1705312200000,"senderId":"snd_b","data":{}}`, false},
		{"a template status", `{"id":"e3","type":"template.status_changed","timestamp":1705312200000,"projectId":"prj_1","data":{}}`, false},
		{"a broadcast status", `{"id":"e4","type":"broadcast.status_changed","senderId":"","data":{}}`, false},
		{"an invitation status", `{"id":"e5","type":"invitation.status_changed","data":{}}`, false},
		{"a sender that is not a string", `{"id":"e6","type":"message.inbound","senderId":["snd_a"],"data":{}}`, false},
		{"an envelope Decode cannot read", `{"id":"e7","type":"message.inbound","senderId":"snd_a","timestamp":"soon","data":{}}`, false},
	} {
		body := []byte(c.body)
		err := w.Verify(ctx, Sign(secretA, time.Now(), body), body)
		if c.byA && err != nil {
			t.Errorf("%s signed by snd_a's secret: %v", c.name, err)
		}
		if !c.byA && !errors.Is(err, ErrSignatureMismatch) {
			t.Errorf("%s signed by snd_a's secret: %v, want a mismatch", c.name, err)
		}
		if err := w.Verify(ctx, Sign(env, time.Now(), body), body); err != nil {
			t.Errorf("%s signed by the configured secret: %v", c.name, err)
		}
		if c.byA {
			if ev, err := Decode(body); err != nil || ev.SenderID != "snd_a" {
				t.Errorf("%s decodes as sender %q (%v): the check and the decoder disagree", c.name, ev.SenderID, err)
			}
		}
	}
}

// VerifyDecoded takes the sender from the decoded event: its secrets sign
// that sender's events only, as with Verify.
func TestVerifyDecodedUsesTheDecodedSendersSecrets(t *testing.T) {
	const env, perSender = "whsec_fromTheEnvironment", "whsec_enteredPerSender"
	w := Webhooks{Secrets: StaticSecrets(env), SenderSecrets: func(_ context.Context, id string) ([]string, error) {
		if id == "snd_a" {
			return []string{perSender}, nil
		}
		return nil, nil
	}}
	ctx := context.Background()
	for _, tt := range []struct {
		body string
		ok   bool
	}{
		{`{"id":"evt_1","type":"message.read","senderId":"snd_a"}`, true},
		{`{"id":"evt_2","type":"message.read","senderId":"snd_b"}`, false},
		{`{"id":"evt_3","type":"template.status_changed"}`, false},
	} {
		body := []byte(tt.body)
		ev, err := Decode(body)
		if err != nil {
			t.Fatal(err)
		}
		signer, err := w.VerifyDecoded(ctx, Sign(perSender, time.Now(), body), body, ev)
		if (err == nil) != tt.ok {
			t.Errorf("%s signed with snd_a's secret: err = %v, want accepted %v", tt.body, err, tt.ok)
		}
		if err == nil && signer != "snd_a" {
			t.Errorf("%s signed with snd_a's secret: signer %q, want snd_a", tt.body, signer)
		}
		if (err == nil) != (w.Verify(ctx, Sign(perSender, time.Now(), body), body) == nil) {
			t.Errorf("%s: VerifyDecoded and Verify disagree", tt.body)
		}
		// The configured secret signs every event, for no sender alone.
		if signer, err := w.VerifyDecoded(ctx, Sign(env, time.Now(), body), body, ev); err != nil || signer != "" {
			t.Errorf("%s signed with the configured secret: signer %q, %v; want none", tt.body, signer, err)
		}
	}
}
