package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// What events say of a message before it is here (a report leaves a
// placeholder, a reaction waits for it) goes to the message that comes
// with its Zavu id, unless only the secret of another sender than that
// message's signed them: sender snd_a's secret, naming an id that snd_b's
// reply, echo or customer's message gets later, marks nothing delivered
// or failed and puts no emoji on it; the placeholder goes. Signed by
// snd_b's own secret or the project's, they are taken as before.
func TestWhatASendersSecretSaidBeforeTheMessageGoesOnlyToThatSendersMessage(t *testing.T) {
	ctx := context.Background()
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	const custA, custB, msg = "+14155550101", "+14155550202", "msg_later"
	raw := func(id string) []byte { return fmt.Appendf(nil, `{"id":%q}`, id) }
	// failed is a failure of msg to custB, under envelope's sender, signed
	// by signer ("" for the project's secret): a carrier's opt-out, but
	// under snd_b's envelope, where that would stop snd_b's reply, an
	// unreachable number.
	failed := func(envelope, signer string) *inbox.Event {
		code := map[string]string{"snd_b": "30003"}[envelope]
		if code == "" {
			code = "21610"
		}
		return &inbox.Event{ID: "evt_failed", Type: inbox.EventMessageFailed, Timestamp: at(2), SenderID: envelope,
			SignedBy: signer, Raw: raw("evt_failed"), Status: &inbox.StatusReport{MessageID: msg, To: custB,
				Channel: inbox.WhatsApp, Status: inbox.StatusFailed, ErrorCode: code}}
	}
	reaction := func(id, envelope, signer, emoji string, min int) *inbox.Event {
		return &inbox.Event{ID: id, Type: inbox.EventMessageReaction, Timestamp: at(min), SenderID: envelope,
			SignedBy: signer, Raw: raw(id), Reaction: &inbox.ReactionChange{MessageID: msg, From: custB, Emoji: emoji,
				Action: inbox.ReactionAdded, At: at(min)}}
	}
	echo := func(envelope string) *inbox.Event {
		return &inbox.Event{ID: "evt_echo", Type: inbox.EventMessageSent, Timestamp: at(4), SenderID: envelope, Raw: raw("evt_echo"),
			Echo: &inbox.Echo{MessageID: msg, From: "+13125550000", To: custB, Channel: inbox.WhatsApp, Type: inbox.TypeText,
				Text: "Typed on the phone", Status: inbox.StatusSent}}
	}
	inbound := inboundEvent("evt_in_later", custB, msg, "Another question", at(4))
	inbound.SenderID = "snd_b"

	for _, c := range []struct {
		name   string
		before []*inbox.Event
		then   string // what gets the id: snd_b's "reply", an "echo" under snd_b or snd_a, snd_b's customer's "inbound"
		taken  bool   // the message takes what the events before said
	}{
		{"a report signed by snd_a, then snd_b's reply", []*inbox.Event{failed("snd_a", "snd_a")}, "reply", false},
		{"a reaction signed by snd_a, then snd_b's reply", []*inbox.Event{reaction("evt_r", "snd_a", "snd_a", "👎", 2)}, "reply", false},
		{"a report signed by snd_b, then snd_b's reply", []*inbox.Event{failed("snd_b", "snd_b")}, "reply", true},
		{"a reaction signed by snd_b, then snd_b's reply", []*inbox.Event{reaction("evt_r", "snd_b", "snd_b", "👎", 2)}, "reply", true},
		{"a report under snd_a signed by the project, then snd_b's reply", []*inbox.Event{failed("snd_a", "")}, "reply", true},
		{"a reaction under snd_a signed by the project, then snd_b's reply", []*inbox.Event{reaction("evt_r", "snd_a", "", "👎", 2)}, "reply", true},
		{"a report signed by snd_a, then snd_b's echo", []*inbox.Event{failed("snd_a", "snd_a")}, "echo snd_b", false},
		{"a report signed by snd_a, then snd_a's echo", []*inbox.Event{failed("snd_a", "snd_a")}, "echo snd_a", true},
		{"a report and a reaction signed by snd_a, then snd_b's customer's message",
			[]*inbox.Event{failed("snd_a", "snd_a"), reaction("evt_r", "snd_a", "snd_a", "👎", 2)}, "inbound", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := openTest(t)
			in := inboundEvent("evt_in_b", custB, "msg_in_b", "Hello", at(0))
			in.SenderID = "snd_b"
			mustIngest(t, db, in)
			convB := mustMessage(t, db, "msg_in_b").ConversationID
			if c.then == "reply" {
				mustQueue(t, db, reply(convB, "On its way", "k_b", at(1)))
			}
			mustIngest(t, db, c.before...)
			ph, placeholder := db.MessageByZavuID(ctx, msg)
			if placeholder != nil && !errors.Is(placeholder, inbox.ErrNotFound) {
				t.Fatal(placeholder)
			}

			var ch inbox.Change
			switch c.then {
			case "reply":
				entries := mustClaim(t, db, at(1))
				if len(entries) != 1 {
					t.Fatalf("claimed %+v, want snd_b's reply", entries)
				}
				var err error
				if ch, err = db.OutboxSent(ctx, entries[0].ID, inbox.SendResult{ZavuID: msg, Status: inbox.StatusSent}, at(3)); err != nil {
					t.Fatal(err)
				}
			case "echo snd_a", "echo snd_b":
				ev := echo(strings.TrimPrefix(c.then, "echo "))
				res, err := db.Ingest(ctx, ev, inbox.Apply)
				if err != nil || res.State != inbox.EventApplied {
					t.Fatalf("echo: %+v %v", res, err)
				}
				ch = res.Change
			case "inbound":
				res, err := db.Ingest(ctx, inbound, inbox.Apply)
				if err != nil || res.State != inbox.EventApplied {
					t.Fatalf("snd_b's customer's message: %+v %v", res, err)
				}
				ch = res.Change
			}

			m := mustMessage(t, db, msg)
			owner, err := db.MessageSender(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]string{"echo snd_a": "snd_a"}[c.then]; want == "" && owner != "snd_b" {
				t.Errorf("%s is held by %s, want snd_b", msg, owner)
			} else if want != "" && owner != want {
				t.Errorf("%s is held by %s, want %s", msg, owner, want)
			}
			gotFailed := m.Status == inbox.StatusFailed || m.ErrorCode != "" || !m.StatusTimes.Failed.IsZero()
			var emoji []string
			for _, r := range m.Reactions {
				emoji = append(emoji, r.Emoji)
			}
			for _, ev := range c.before {
				switch {
				case ev.Status != nil && c.taken && (m.Status != inbox.StatusFailed || m.ErrorCode != ev.Status.ErrorCode):
					t.Errorf("%s is %s (error %q), want failed with %s as %s reported", msg, m.Status, m.ErrorCode, ev.Status.ErrorCode, ev.ID)
				case ev.Status != nil && !c.taken && gotFailed:
					t.Errorf("%s is %s (error %q, failed at %v), want what %s said left out", msg, m.Status, m.ErrorCode, m.StatusTimes.Failed, ev.ID)
				case ev.Reaction != nil && c.taken && strings.Join(emoji, ",") != "👎":
					t.Errorf("%s has reactions %q, want the 👎 of %s", msg, emoji, ev.ID)
				case ev.Reaction != nil && !c.taken && len(emoji) != 0:
					t.Errorf("%s has reactions %q, want none", msg, emoji)
				}
			}
			if placeholder == nil && m.ID != ph.ID {
				// The placeholder went, and its conversation shows what it
				// has left, or went with it when it held nothing else.
				if _, err := db.Message(ctx, ph.ID); !errors.Is(err, inbox.ErrNotFound) {
					t.Errorf("the placeholder %d is still there: %v", ph.ID, err)
				}
				if !slices.Contains(ch.DeletedMessageIDs, ph.ID) || !slices.Contains(ch.ConversationIDs, ph.ConversationID) {
					t.Errorf("change %+v does not say the placeholder %d went from conversation %d", ch, ph.ID, ph.ConversationID)
				}
				if conv, err := db.Conversation(ctx, ph.ConversationID); (err != nil && !errors.Is(err, inbox.ErrNotFound)) || conv.LastMessageID == ph.ID {
					t.Errorf("the placeholder's conversation %+v %v still shows it", conv, err)
				}
			}
			if conv, err := db.Conversation(ctx, convB); err != nil || conv.OptedOut {
				t.Errorf("snd_b's conversation: opted out %v, %v", conv.OptedOut, err)
			}
		})
	}

	// A reaction signed by snd_a, naming the id snd_b's reply gets later
	// with a time far ahead, stands in the way of none of the customer's
	// own reactions to it.
	t.Run("a reaction signed by snd_a stands in no one's way", func(t *testing.T) {
		db := openTest(t)
		in := inboundEvent("evt_in_b", custB, "msg_in_b", "Hello", at(0))
		in.SenderID = "snd_b"
		mustIngest(t, db, in)
		mustQueue(t, db, reply(mustMessage(t, db, "msg_in_b").ConversationID, "On its way", "k_b", at(1)))
		mustIngest(t, db, reaction("evt_forged", "snd_a", "snd_a", "👎", 60*24))
		entries := mustClaim(t, db, at(1))
		if _, err := db.OutboxSent(ctx, entries[0].ID, inbox.SendResult{ZavuID: msg, Status: inbox.StatusSent}, at(3)); err != nil {
			t.Fatal(err)
		}
		mustIngest(t, db, reaction("evt_own", "snd_b", "", "👍", 5))
		if m := mustMessage(t, db, msg); len(m.Reactions) != 1 || m.Reactions[0].Emoji != "👍" {
			t.Errorf("%s has reactions %+v, want the customer's 👍 alone", msg, m.Reactions)
		}
	})
}

// mustMessage returns the message with this Zavu id.
func mustMessage(t *testing.T, db *DB, zavuID string) inbox.Message {
	t.Helper()
	m, err := db.MessageByZavuID(context.Background(), zavuID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
