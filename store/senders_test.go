package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

func TestSyncSendersKeepsWhatZavuSaysAndWebhookOnlySenders(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	// A sender known from a webhook before any sync.
	inTx(t, db, func(ctx context.Context, w *writeTx) error { return w.UpsertSender(ctx, "snd_old", "+15550009999") })

	err := db.SyncSenders(ctx, []inbox.Sender{
		{ID: "snd_b", Name: "Support", Phone: "+15550000002",
			Webhook: &inbox.SenderWebhook{URL: "https://x.test/webhooks/zavu", Events: []string{"message.inbound", "message.failed"}, Active: true}},
		{ID: "snd_a", Name: "Sales", Phone: "+15550000001", IsDefault: true},
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := db.Senders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	if want := []string{"snd_a", "snd_b", "snd_old"}; !slices.Equal(ids, want) {
		t.Fatalf("senders %v, want the default first then by id: %v", ids, want)
	}
	a, b, old := ss[0], ss[1], ss[2]
	if !a.IsDefault || a.Name != "Sales" || a.Webhook != nil || !a.SyncedAt.Equal(t0) {
		t.Errorf("default sender: %+v", a)
	}
	if b.Webhook == nil || b.Webhook.URL != "https://x.test/webhooks/zavu" || !b.Webhook.Active ||
		!reflect.DeepEqual(b.Webhook.Events, []string{"message.inbound", "message.failed"}) {
		t.Errorf("webhook of snd_b: %+v", b.Webhook)
	}
	if !old.SyncedAt.IsZero() || old.Phone != "+15550009999" {
		t.Errorf("sender only seen in webhooks: %+v", old)
	}

	// The next sync no longer lists snd_b and drops snd_a's webhook: snd_b
	// stays (conversations refer to it) but is no longer synced.
	if err := db.SyncSenders(ctx, []inbox.Sender{{ID: "snd_a", Name: "Sales desk", IsDefault: true}}, t0.Add(60e9)); err != nil {
		t.Fatal(err)
	}
	b, err = db.Sender(ctx, "snd_b")
	if err != nil {
		t.Fatal(err)
	}
	if !b.SyncedAt.IsZero() {
		t.Errorf("snd_b is still marked synced: %+v", b)
	}
	a, _ = db.Sender(ctx, "snd_a")
	if a.Name != "Sales desk" || a.Phone != "+15550000001" {
		t.Errorf("snd_a after the second sync: %+v (an empty number keeps the known one)", a)
	}
	if _, err := db.Sender(ctx, "snd_nope"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("unknown sender: %v, want ErrNotFound", err)
	}
}

// A replaced secret still signs the sender's webhooks for a while, so
// that deliveries Zavu signed before the switch, and its retries of them,
// are not refused; then it stops, or at once when the admin says so.
func TestReplacedSenderSecretCountsForItsGrace(t *testing.T) {
	ctx := context.Background()
	now := t0
	db := openTest(t, WithClock(func() time.Time { return now }))
	if err := db.SyncSenders(ctx, []inbox.Sender{{ID: "snd_a"}, {ID: "snd_b"}}, t0); err != nil {
		t.Fatal(err)
	}
	secrets := func(id string) []string {
		t.Helper()
		s, err := db.SenderWebhookSecrets(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const old, next = "whsec_oldOldOld12345678ABCD", "whsec_newNewNew87654321WXYZ"
	if err := db.SetSenderSecret(ctx, "snd_a", old, t0); err != nil {
		t.Fatal(err)
	}
	if got := secrets("snd_a"); !slices.Equal(got, []string{old}) {
		t.Fatalf("secrets of a first secret: %v, nothing it replaced", got)
	}
	switched := t0.Add(time.Hour)
	now = switched
	if err := db.SetSenderSecret(ctx, "snd_a", next, switched); err != nil {
		t.Fatal(err)
	}
	if got := secrets("snd_a"); !slices.Equal(got, []string{next, old}) {
		t.Fatalf("secrets just after replacing: %v, want the new one and the old one", got)
	}
	a, err := db.Sender(ctx, "snd_a")
	if err != nil {
		t.Fatal(err)
	}
	if until := switched.Add(inbox.PreviousSecretGrace); a.Secret.Hint != "WXYZ" || a.Secret.PreviousHint != "ABCD" || !a.Secret.PreviousUntil.Equal(until) {
		t.Errorf("secret state after replacing: %+v, want the old one ending ABCD until %v", a.Secret, until)
	}
	// Pasting the new one again keeps the old one's grace as it was.
	if err := db.SetSenderSecret(ctx, "snd_a", next, switched.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := secrets("snd_a"); !slices.Equal(got, []string{next, old}) {
		t.Fatalf("secrets after pasting the same one again: %v", got)
	}
	if got := secrets("snd_b"); len(got) != 0 {
		t.Errorf("snd_b's secrets: %v", got)
	}

	now = switched.Add(inbox.PreviousSecretGrace)
	if got := secrets("snd_a"); !slices.Equal(got, []string{next}) {
		t.Errorf("secrets once the grace is over: %v, want the new one only", got)
	}
	if a, _ := db.Sender(ctx, "snd_a"); a.Secret.PreviousHint != "" || !a.Secret.PreviousUntil.IsZero() {
		t.Errorf("secret state once the grace is over: %+v", a.Secret)
	}

	// Stopped at once.
	now = switched
	if err := db.SetSenderSecret(ctx, "snd_a", old, switched); err != nil {
		t.Fatal(err)
	}
	if got := secrets("snd_a"); !slices.Equal(got, []string{old, next}) {
		t.Fatalf("secrets after going back: %v", got)
	}
	if err := db.RemovePreviousSenderSecret(ctx, "snd_a"); err != nil {
		t.Fatal(err)
	}
	if got := secrets("snd_a"); !slices.Equal(got, []string{old}) {
		t.Errorf("secrets after stopping the old one: %v", got)
	}
	if a, _ := db.Sender(ctx, "snd_a"); a.Secret.PreviousHint != "" || !a.Secret.PreviousUntil.IsZero() || !a.Secret.Set {
		t.Errorf("secret state after stopping the old one: %+v", a.Secret)
	}
	if err := db.RemovePreviousSenderSecret(ctx, "snd_b"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("stopping the old secret of a sender with none: %v, want ErrNotFound", err)
	}
	// Removing the secret removes the old one with it.
	if err := db.SetSenderSecret(ctx, "snd_a", next, switched); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveSenderSecret(ctx, "snd_a"); err != nil {
		t.Fatal(err)
	}
	if got := secrets("snd_a"); len(got) != 0 {
		t.Errorf("secrets after removing: %v", got)
	}
}

func TestSenderSecretIsWriteOnly(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if err := db.SyncSenders(ctx, []inbox.Sender{{ID: "snd_a", Phone: "+15550000001"}, {ID: "snd_b"}}, t0); err != nil {
		t.Fatal(err)
	}
	secrets := func() []string {
		t.Helper()
		s, err := db.SenderWebhookSecrets(ctx, "snd_a")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := secrets(); len(got) != 0 {
		t.Fatalf("secrets before any was set: %v", got)
	}

	const secret = "whsec_abcdefgh12345678WXYZ"
	if err := db.SetSenderSecret(ctx, "snd_a", "  "+secret+"\n", t0); err != nil {
		t.Fatal(err)
	}
	if got := secrets(); !slices.Equal(got, []string{secret}) {
		t.Fatalf("secrets after setting one: %v (the cache must not hide a new secret)", got)
	}
	if got, err := db.SenderWebhookSecrets(ctx, "snd_b"); err != nil || len(got) != 0 {
		t.Fatalf("snd_b's secrets: %v %v: a secret set for snd_a must not count for snd_b", got, err)
	}

	// Nothing the pages read carries the secret.
	a, err := db.Sender(ctx, "snd_a")
	if err != nil {
		t.Fatal(err)
	}
	if !a.Secret.Set || a.Secret.Hint != "WXYZ" || !a.Secret.SetAt.Equal(t0) {
		t.Errorf("secret state: %+v", a.Secret)
	}
	ss, _ := db.Senders(ctx)
	for _, v := range []any{a, ss} {
		if s := fmt.Sprintf("%+v", v); strings.Contains(s, "whsec_") || strings.Contains(s, "abcdefgh") {
			t.Errorf("a read path gives the secret away: %s", s)
		}
	}

	// Replaced a long time ago (see TestReplacedSenderSecretCountsForItsGrace):
	// the old one no longer counts.
	const next = "whsec_zyxwvuts98765432"
	if err := db.SetSenderSecret(ctx, "snd_a", next, t0.Add(1e9)); err != nil {
		t.Fatal(err)
	}
	if got := secrets(); !slices.Equal(got, []string{next}) {
		t.Fatalf("secrets after replacing: %v", got)
	}

	for _, bad := range []string{"", "sk_live_123456789", "whsec_short", "whsec_abcdefgh,whsec_12345678"} {
		err := db.SetSenderSecret(ctx, "snd_b", bad, t0)
		var inv *inbox.InvalidSecret
		if !errors.As(err, &inv) || !errors.Is(err, inbox.ErrInvalid) || inv.Reason == "" {
			t.Errorf("secret %q: %v, want an InvalidSecret", bad, err)
		}
	}
	if err := db.SetSenderSecret(ctx, "snd_nope", secret, t0); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("secret for an unknown sender: %v, want ErrNotFound", err)
	}

	if err := db.RemoveSenderSecret(ctx, "snd_a"); err != nil {
		t.Fatal(err)
	}
	if got := secrets(); len(got) != 0 {
		t.Fatalf("secrets after removing: %v", got)
	}
	if a, _ := db.Sender(ctx, "snd_a"); a.Secret.Set {
		t.Errorf("secret still set after removal: %+v", a.Secret)
	}
	if err := db.RemoveSenderSecret(ctx, "snd_a"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("removing a secret twice: %v, want ErrNotFound", err)
	}
}

func TestSyncTemplatesKeepsCategory(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if err := db.SyncTemplates(ctx, []inbox.Template{{ID: "tmpl_1", Name: "promo", Language: "en", Status: "rejected",
		Category: "MARKETING", RejectionReason: "Promotional content in a utility template", UpdatedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	// A status change from a webhook does not know the category.
	inTx(t, db, func(ctx context.Context, w *writeTx) error {
		return w.PutTemplate(ctx, inbox.Template{ID: "tmpl_1", Name: "promo", Language: "en", Status: "approved", UpdatedAt: t0.Add(1e9)})
	})
	ts, err := db.Templates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Category != "MARKETING" || ts[0].Status != "approved" {
		t.Fatalf("templates: %+v", ts)
	}
}

// MessageSender names the sender whose conversation holds a message, by
// its Zavu id, whatever sender a later report on it named: the webhook
// check asks it before a sender's secret may sign a report.
func TestMessageSenderIsTheSenderOfItsConversation(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	onB := inboundEvent("evt_b", "+15550002", "msg_b", "hello B", t0)
	onB.SenderID = "snd_b"
	mustIngest(t, db, inboundEvent("evt_1", "+15550001", "msg_1", "hello", t0), onB,
		statusEvent("evt_placeholder", "msg_out", inbox.StatusSent, t0.Add(time.Minute)))
	report := statusEvent("evt_b_report", "msg_out", inbox.StatusDelivered, t0.Add(2*time.Minute))
	report.SenderID = "snd_b"
	mustIngest(t, db, report)
	for id, want := range map[string]string{"msg_1": "snd_1", "msg_b": "snd_b", "msg_out": "snd_1"} {
		if got, err := db.MessageSender(ctx, id); err != nil || got != want {
			t.Errorf("MessageSender(%s) = %q, %v; want %s", id, got, err, want)
		}
	}
	for _, id := range []string{"msg_nowhere", ""} {
		if got, err := db.MessageSender(ctx, id); !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("MessageSender(%q) = %q, %v; want not found", id, got, err)
		}
	}
}
