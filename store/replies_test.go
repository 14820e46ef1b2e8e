package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"switchboard/inbox"
)

// conversationWith ingests one inbound WhatsApp message at "at" and
// returns its conversation's id.
func conversationWith(t *testing.T, db *DB, at time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Ingest(ctx, inboundEvent("evt_in", "+14155550100", "msg_in", "Hello", at), inbox.Apply); err != nil {
		t.Fatal(err)
	}
	m, err := db.MessageByZavuID(ctx, "msg_in")
	if err != nil {
		t.Fatal(err)
	}
	return m.ConversationID
}

func reply(conv int64, text, key string, at time.Time) inbox.Reply {
	return inbox.Reply{ConversationID: conv, Source: inbox.SourceAgent, Type: inbox.TypeText, Text: text, IdempotencyKey: key, At: at}
}

func TestQueueReplyFollowsTheWindow(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, t0)

	m, ch, err := db.QueueReply(ctx, reply(conv, "Hi back", "k1", t0.Add(23*time.Hour+59*time.Minute)))
	if err != nil {
		t.Fatalf("at 23:59 after the last message: %v", err)
	}
	if m.Status != inbox.StatusPending || m.Direction != inbox.Outbound || len(ch.MessageIDs) != 1 {
		t.Errorf("queued %+v, change %+v", m, ch)
	}
	c, err := db.Conversation(ctx, conv)
	if err != nil || c.LastMessageID != m.ID || c.LastMessagePreview != "Hi back" {
		t.Errorf("conversation after the reply: %+v %v", c, err)
	}

	_, _, err = db.QueueReply(ctx, reply(conv, "Too late", "k2", t0.Add(24*time.Hour+time.Minute)))
	if !errors.Is(err, inbox.ErrWindowClosed) {
		t.Fatalf("at 24:01: %v, want ErrWindowClosed", err)
	}
	tpl := reply(conv, "", "k3", t0.Add(30*time.Hour))
	tpl.Type, tpl.Content = inbox.TypeTemplate, &inbox.Content{TemplateID: "tmpl_1"}
	if _, _, err := db.QueueReply(ctx, tpl); err != nil {
		t.Fatalf("a template after the window: %v", err)
	}
	ms, _, _ := db.Messages(ctx, conv, inbox.MessageFilter{})
	if len(ms) != 3 {
		t.Errorf("messages = %d, want the inbound one and two replies (the refused one wrote nothing)", len(ms))
	}
	if _, _, err := db.QueueReply(ctx, reply(conv, "again", "k1", t0.Add(time.Hour))); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("a reused idempotency key: %v, want ErrConflict", err)
	}
}

func TestClaimLeaseAndRelease(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, t0)
	if _, _, err := db.QueueReply(ctx, reply(conv, "one", "k1", t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(2 * time.Minute)
	got, err := db.ClaimOutbox(ctx, now, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].Attempts != 1 || got[0].Message.IdempotencyKey != "k1" || got[0].Message.To != "+14155550100" {
		t.Fatalf("claim: %+v %v", got, err)
	}
	if again, _ := db.ClaimOutbox(ctx, now.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
		t.Fatalf("claimed twice within the lease: %+v", again)
	}
	again, _ := db.ClaimOutbox(ctx, now.Add(61*time.Second), time.Minute, 10)
	if len(again) != 1 || again[0].Attempts != 2 || again[0].Message.IdempotencyKey != "k1" {
		t.Fatalf("after the lease: %+v, want the same entry, attempt 2, same key", again)
	}
	// A new process takes back what the last one was sending at once.
	if n, err := db.ReleaseOutbox(ctx, now.Add(62*time.Second)); err != nil || n != 1 {
		t.Fatalf("release: %d %v", n, err)
	}
	if back, _ := db.ClaimOutbox(ctx, now.Add(62*time.Second), time.Minute, 10); len(back) != 1 {
		t.Fatalf("after release: %+v", back)
	}
}

// TestStatusWebhookOvertakingTheAnswer: Zavu's "delivered" webhook can
// arrive before Switchboard has stored the id Zavu's answer gave. Either
// way round, one message ends up with the id, the text and every status.
func TestStatusWebhookOvertakingTheAnswer(t *testing.T) {
	for _, webhookFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("webhook first %v", webhookFirst), func(t *testing.T) {
			db := openTest(t)
			ctx := context.Background()
			conv := conversationWith(t, db, t0)
			m, _, err := db.QueueReply(ctx, reply(conv, "On its way", "k1", t0.Add(time.Minute)))
			if err != nil {
				t.Fatal(err)
			}
			entries, _ := db.ClaimOutbox(ctx, t0.Add(time.Minute), time.Minute, 1)
			delivered := &inbox.Event{ID: "evt_d", Type: inbox.EventType("message.delivered"), Timestamp: t0.Add(2 * time.Minute),
				SenderID: "snd_1", Raw: []byte(`{}`), Status: &inbox.StatusReport{MessageID: "msg_zavu", To: "+14155550100",
					Channel: inbox.WhatsApp, Status: inbox.StatusDelivered}}
			ingest := func() {
				if _, err := db.Ingest(ctx, delivered, inbox.Apply); err != nil {
					t.Fatal(err)
				}
			}
			var ch inbox.Change
			answer := func() {
				if ch, err = db.OutboxSent(ctx, entries[0].ID, inbox.SendResult{ZavuID: "msg_zavu", Status: inbox.StatusQueued}, t0.Add(90*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			if webhookFirst {
				ingest()
				answer()
				if len(ch.DeletedMessageIDs) != 1 {
					t.Errorf("change %+v does not name the merged placeholder", ch)
				}
			} else {
				answer()
				ingest()
			}
			got, err := db.MessageByZavuID(ctx, "msg_zavu")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != m.ID || got.Text != "On its way" || got.Status != inbox.StatusDelivered || got.StatusTimes.Delivered.IsZero() {
				t.Errorf("message = %+v, want ours, delivered", got)
			}
			ms, _, _ := db.Messages(ctx, conv, inbox.MessageFilter{})
			if len(ms) != 2 {
				t.Errorf("thread holds %d messages, want 2 (no leftover placeholder)", len(ms))
			}
			c, _ := db.Conversation(ctx, conv)
			if c.LastMessageID != m.ID {
				t.Errorf("conversation shows message %d last, want %d", c.LastMessageID, m.ID)
			}
			// A second answer for the same entry changes nothing.
			if ch2, err := db.OutboxSent(ctx, entries[0].ID, inbox.SendResult{ZavuID: "msg_zavu", Status: inbox.StatusQueued}, t0.Add(3*time.Minute)); err != nil || !ch2.Empty() {
				t.Errorf("second answer: %+v %v", ch2, err)
			}
		})
	}
}

func TestFailAndRetryReply(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, t0)
	m, _, _ := db.QueueReply(ctx, reply(conv, "Hi", "k1", t0.Add(time.Minute)))
	entries, _ := db.ClaimOutbox(ctx, t0.Add(time.Minute), time.Minute, 1)
	reason := inbox.ExplainFailure("insufficient_balance", "")
	if _, err := db.OutboxFail(ctx, entries[0].ID, "insufficient_balance", reason, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Message(ctx, m.ID)
	if got.Status != inbox.StatusFailed || got.ErrorMessage != reason {
		t.Fatalf("after the failure: %+v", got)
	}
	again, _, err := db.RetryReply(ctx, m.ID, "k2", t0.Add(3*time.Minute))
	if err != nil || again.Status != inbox.StatusPending || again.ErrorMessage != "" {
		t.Fatalf("retry: %+v %v", again, err)
	}
	next, _ := db.ClaimOutbox(ctx, t0.Add(3*time.Minute), time.Minute, 10)
	if len(next) != 1 || next[0].Message.IdempotencyKey != "k2" {
		t.Fatalf("after retry the outbox holds %+v, want the reply under the new key", next)
	}
	if _, _, err := db.RetryReply(ctx, m.ID, "k3", t0.Add(4*time.Minute)); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("retrying a pending reply: %v, want ErrConflict", err)
	}
}

// scripted is a Messenger that answers from a list and records the keys.
type scripted struct {
	answers []error
	keys    []string
}

func (s *scripted) Send(_ context.Context, m inbox.OutgoingMessage) (inbox.SendResult, error) {
	s.keys = append(s.keys, m.IdempotencyKey)
	var err error
	if len(s.answers) > 0 {
		err, s.answers = s.answers[0], s.answers[1:]
	}
	if err != nil {
		return inbox.SendResult{}, err
	}
	return inbox.SendResult{ZavuID: fmt.Sprintf("msg_z%d", len(s.keys)), Status: inbox.StatusQueued}, nil
}

func TestOutboxRetriesTemporaryAndStopsOnPermanent(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, t0)
	now := t0.Add(time.Minute)
	m, _, _ := db.QueueReply(ctx, reply(conv, "Hi", "k1", now))
	msg := &scripted{answers: []error{
		&inbox.SendError{Temporary: true, Message: "503"},
		&inbox.SendError{Temporary: true, RetryAfter: 30 * time.Second, Code: "rate_limited"},
		nil,
	}}
	ob := inbox.NewOutbox(db, msg, nil, nil)
	ob.Now = func() time.Time { return now }

	drain := func() int {
		n, err := ob.Drain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	drain() // 503: again after Backoff(1) = 2 s
	if n := drain(); n != 0 {
		t.Fatalf("sent again before the backoff: %d", n)
	}
	now = now.Add(2 * time.Second)
	drain() // 429: Retry-After 30 s wins over Backoff(2) = 4 s
	now = now.Add(29 * time.Second)
	if n := drain(); n != 0 {
		t.Fatal("Retry-After not honoured")
	}
	now = now.Add(time.Second)
	drain()
	got, _ := db.Message(ctx, m.ID)
	if got.ZavuID != "msg_z3" || got.Status != inbox.StatusQueued {
		t.Errorf("after three attempts: %+v", got)
	}
	if len(msg.keys) != 3 || msg.keys[0] != "k1" || msg.keys[2] != "k1" {
		t.Errorf("keys sent: %v, want k1 every time", msg.keys)
	}

	// A permanent refusal fails the reply with the reason in words.
	m2, _, _ := db.QueueReply(ctx, reply(conv, "Again", "k2", now))
	msg.answers = []error{&inbox.SendError{Code: "insufficient_balance", Message: "Insufficient balance"}}
	drain()
	got, _ = db.Message(ctx, m2.ID)
	if got.Status != inbox.StatusFailed || got.ErrorMessage != inbox.ExplainFailure("insufficient_balance", "") {
		t.Errorf("after a permanent error: %+v", got)
	}

	// Temporary failures give up after MaxSendAttempts.
	m3, _, _ := db.QueueReply(ctx, reply(conv, "Third", "k3", now))
	for range inbox.MaxSendAttempts {
		msg.answers = []error{&inbox.SendError{Temporary: true, Message: "timeout"}}
		drain()
		now = now.Add(10 * time.Minute)
	}
	got, _ = db.Message(ctx, m3.ID)
	if got.Status != inbox.StatusFailed || got.ErrorMessage == "" {
		t.Errorf("after %d temporary failures: %+v", inbox.MaxSendAttempts, got)
	}
}
