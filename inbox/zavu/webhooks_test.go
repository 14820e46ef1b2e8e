package zavu

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWebhooksTrySecretsSetAtRunTime(t *testing.T) {
	body := []byte(`{"id":"evt_1","type":"message.read"}`)
	const env, perSender = "whsec_fromTheEnvironment", "whsec_enteredPerSender"
	var stored []string
	var storeErr error
	w := Webhooks{Secrets: JoinSecrets([]string{env}, func(context.Context) ([]string, error) { return stored, storeErr })}
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
