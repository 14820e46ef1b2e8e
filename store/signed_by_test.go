package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// An event that only sender snd_a's own webhook secret signed is stored
// with that sender, and checked again as it is applied, after the
// acknowledgement: a message of snd_b's that it names, stored after the
// event was, is left as it is, and the event is kept failed with the
// reason, whether it is read back from the database or waited in memory,
// and again when it is replayed. snd_a's events on its own messages, and
// events the project's secret signed, are applied.
func TestEventSignedBySenderFailsOnAnotherSendersMessageStoredMeanwhile(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	const custA, custB, stranger = "+14155550101", "+14155550202", "+14155550999"
	raw := func(id string) []byte { return fmt.Appendf(nil, `{"id":%q}`, id) }
	status := func(id, sender, zavuID, to string, s inbox.Status, code string, min int) *inbox.Event {
		return &inbox.Event{ID: id, Type: inbox.EventType("message." + string(s)), Timestamp: at(min), SenderID: sender, Raw: raw(id),
			Status: &inbox.StatusReport{MessageID: zavuID, To: to, Channel: inbox.WhatsApp, Status: s, ErrorCode: code}}
	}
	reaction := func(id, sender, zavuID, from, emoji string, min int) *inbox.Event {
		return &inbox.Event{ID: id, Type: inbox.EventMessageReaction, Timestamp: at(min), SenderID: sender, Raw: raw(id),
			Reaction: &inbox.ReactionChange{MessageID: zavuID, From: from, Emoji: emoji, Action: inbox.ReactionAdded, At: at(min)}}
	}
	echo := func(id, sender, zavuID, to string, min int) *inbox.Event {
		return &inbox.Event{ID: id, Type: inbox.EventMessageSent, Timestamp: at(min), SenderID: sender, Raw: raw(id),
			Echo: &inbox.Echo{MessageID: zavuID, From: "+13125550000", To: to, Channel: inbox.WhatsApp, Type: inbox.TypeText,
				Text: "Typed on the phone", Status: inbox.StatusSent}}
	}
	// signed is ev as delivered with only signer's secret; the projection
	// decodes its body without the signer, as Zavu's body does not say it.
	log := newProjectionLog()
	signed := func(ev *inbox.Event, signer string) *inbox.Event {
		log.mu.Lock()
		log.known[ev.ID] = ev
		log.mu.Unlock()
		c := *ev
		c.SignedBy = signer
		return &c
	}
	appendAll := func(evs ...*inbox.Event) {
		t.Helper()
		for _, ev := range evs {
			if dup, err := db.Append(ctx, ev); err != nil || dup {
				t.Fatalf("append %s: %v %v", ev.ID, dup, err)
			}
		}
	}

	// Each sender's customer writes, and each sender's reply waits for
	// Zavu's answer.
	convs := map[string]int64{}
	for _, c := range []struct{ sender, cust string }{{"snd_a", custA}, {"snd_b", custB}} {
		in := inboundEvent("evt_in_"+c.sender, c.cust, "msg_in_"+c.sender, "Hello", at(0))
		in.SenderID = c.sender
		mustIngest(t, db, in)
		m, err := db.MessageByZavuID(ctx, in.Inbound.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		convs[c.sender] = m.ConversationID
		mustQueue(t, db, reply(m.ConversationID, "On its way", "k_"+c.sender, at(1)))
	}
	entries := mustClaim(t, db, at(1))
	if len(entries) != 2 {
		t.Fatalf("claimed %+v, want both replies", entries)
	}

	// Before anything is applied: snd_a's secret signs reports and a
	// reaction on msg_b_out, which is no message yet, and a report on its
	// own msg_a_out; the project's secret signs a reaction on msg_b_out.
	refused := []*inbox.Event{
		signed(status("evt_forged_optout", "snd_a", "msg_b_out", custB, inbox.StatusFailed, "21610", 2), "snd_a"),
		signed(status("evt_forged_delivered", "snd_a", "msg_b_out", custB, inbox.StatusDelivered, "", 2), "snd_a"),
		signed(reaction("evt_forged_reaction", "snd_a", "msg_b_out", stranger, "👎", 2), "snd_a"),
	}
	applied := []*inbox.Event{
		signed(status("evt_own_delivered", "snd_a", "msg_a_out", custA, inbox.StatusDelivered, "", 2), "snd_a"),
		signed(reaction("evt_project_reaction", "snd_b", "msg_b_out", custB, "👍", 2), ""),
	}
	appendAll(append(refused, applied...)...)
	// Then Zavu's answers store both replies.
	for _, e := range entries {
		zavuID := map[int64]string{convs["snd_a"]: "msg_a_out", convs["snd_b"]: "msg_b_out"}[e.ConversationID]
		if _, err := db.OutboxSent(ctx, e.ID, inbox.SendResult{ZavuID: zavuID, Status: inbox.StatusSent}, at(1)); err != nil {
			t.Fatal(err)
		}
	}
	db.Project(log.projection(inbox.Apply))
	settle(t, db)

	// Then, with the projection running: snd_b's echo, and right behind
	// it a failure signed by snd_a's secret naming it, appended with its
	// envelope alone as a webhook is.
	optOut := signed(status("evt_forged_echo_optout", "snd_a", "msg_b_echo", custB, inbox.StatusFailed, "21610", 4), "snd_a")
	optOut.PayloadLater, optOut.Status = true, nil
	appendAll(signed(echo("evt_echo_b", "snd_b", "msg_b_echo", custB, 3), ""), optOut)
	settle(t, db)
	refused = append(refused, optOut)

	checkRefused := func(when string) {
		t.Helper()
		for _, ev := range refused {
			e, err := db.RawEvent(ctx, ev.ID)
			if err != nil {
				t.Fatal(err)
			}
			if e.State != inbox.EventFailed || e.SignedBy != "snd_a" {
				t.Errorf("%s: %s is %s, signed by %q; want failed, signed by snd_a", when, ev.ID, e.State, e.SignedBy)
			}
			for _, want := range []string{`sender "snd_a"`, `sender "snd_b"`, "which signs only that sender's events"} {
				if !strings.Contains(e.Error, want) {
					t.Errorf("%s: %s failed with %q, which does not say %s", when, ev.ID, e.Error, want)
				}
			}
		}
		for _, id := range []string{"msg_b_out", "msg_b_echo"} {
			m, err := db.MessageByZavuID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if m.Status != inbox.StatusSent || m.ErrorCode != "" || !m.StatusTimes.Delivered.IsZero() {
				t.Errorf("%s: snd_b's %s is %s (error %q, delivered at %v), want sent as Zavu answered", when, id, m.Status, m.ErrorCode, m.StatusTimes.Delivered)
			}
			var emoji []string
			for _, r := range m.Reactions {
				emoji = append(emoji, r.Emoji+" "+r.From)
			}
			if want := map[string]string{"msg_b_out": "👍 " + custB}[id]; strings.Join(emoji, ",") != want {
				t.Errorf("%s: snd_b's %s has reactions %q, want %q", when, id, emoji, want)
			}
		}
		c, err := db.Conversation(ctx, convs["snd_b"])
		if err != nil {
			t.Fatal(err)
		}
		if c.OptedOut {
			t.Errorf("%s: snd_b's conversation is opted out by snd_a's forged report", when)
		}
	}
	checkRefused("applied")
	for _, ev := range applied {
		if e, err := db.RawEvent(ctx, ev.ID); err != nil || e.State != inbox.EventApplied || e.SignedBy != ev.SignedBy {
			t.Errorf("%s: %+v %v, want applied, signed by %q", ev.ID, e, err, ev.SignedBy)
		}
	}
	if m, err := db.MessageByZavuID(ctx, "msg_a_out"); err != nil || m.Status != inbox.StatusDelivered {
		t.Errorf("snd_a's own reply: %+v %v, want delivered by its own report", m, err)
	}

	// A replay decodes the body, which does not say who signed it: the
	// stored signer counts, and the event fails again.
	for _, ev := range refused {
		log.mu.Lock()
		again := *log.known[ev.ID]
		log.mu.Unlock()
		res, err := db.Replay(ctx, &again, inbox.Apply)
		if err != nil || res.State != inbox.EventFailed {
			t.Errorf("replay of %s: %+v %v, want failed again", ev.ID, res, err)
		}
	}
	checkRefused("replayed")
}
