package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// Saturday 1 March 2025, 09:00 UTC (t0) is outside weekday hours.
var (
	saturday = t0
	monday10 = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
)

func weekdayHours() inbox.BusinessHours {
	h := inbox.BusinessHours{TimeZone: "UTC"}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Days[d] = []inbox.Span{{Open: 9 * 60, Close: 17 * 60}}
	}
	return h
}

func saveAutoReplies(t *testing.T, db *DB, edit func(*inbox.AutoReplyConfig)) {
	t.Helper()
	_, err := db.UpdateAutoReplies(context.Background(), t0, func(c *inbox.AutoReplyConfig) error {
		c.Hours = weekdayHours()
		c.OutOfOffice = inbox.AutoReplyMessage{Enabled: true, Text: "We are closed, {{contact.name}}."}
		if edit != nil {
			edit(c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// clockAt is a clock that tells the time the test sets.
type clockAt struct{ now time.Time }

func (c *clockAt) Now() time.Time { return c.now }

// autoReplies lists the auto-replies written, oldest first.
func autoReplies(t *testing.T, db *DB) []inbox.Message {
	t.Helper()
	ms, err := db.queryMessages(context.Background(), `SELECT `+messageCols+` FROM messages m
		WHERE m.source = 'auto_reply' ORDER BY m.created_at, m.id`)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func ingest(t *testing.T, db *DB, clock *clockAt, ev *inbox.Event) inbox.IngestResult {
	t.Helper()
	res, err := db.Ingest(context.Background(), ev, inbox.IngestWithAutoReplies(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if res.State == inbox.EventFailed {
		t.Fatalf("event %s failed: %s", ev.ID, res.Error)
	}
	return res
}

func TestOutOfHoursOneAutoReplyPerClosedPeriod(t *testing.T) {
	db := openTest(t)
	saveAutoReplies(t, db, nil)
	clock := &clockAt{saturday}
	first := inboundEvent("evt_1", "+15550001", "msg_1", "Hello?", saturday)
	res := ingest(t, db, clock, first)
	if !res.Change.Queued || len(res.Change.MessageIDs) != 2 {
		t.Errorf("first message: change %+v, want the message and its auto-reply", res.Change)
	}
	ingest(t, db, clock, inboundEvent("evt_1", "+15550001", "msg_1", "Hello?", saturday)) // Zavu delivers it again
	clock.now = saturday.Add(3 * time.Hour)
	ingest(t, db, clock, inboundEvent("evt_2", "+15550001", "msg_2", "Anyone there?", clock.now))
	clock.now = saturday.Add(4 * time.Hour)
	ingest(t, db, clock, inboundEvent("evt_3", "+15550001", "msg_3", "Hello??", clock.now))

	got := autoReplies(t, db)
	if len(got) != 1 {
		t.Fatalf("%d auto-replies over one closed period, want 1", len(got))
	}
	m := got[0]
	if m.AutoReplyRule != inbox.RuleOutOfOffice || m.Text != "We are closed, Customer +15550001." || m.Status != inbox.StatusPending ||
		m.Direction != inbox.Outbound || !m.CreatedAt.Equal(saturday) {
		t.Errorf("auto-reply = %+v", m)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE message_id = ?`, m.ID); n != 1 {
		t.Errorf("%d outbox entries for the auto-reply, want 1", n)
	}

	// Monday in hours: nothing. Monday evening: a new closed period.
	clock.now = monday10
	ingest(t, db, clock, inboundEvent("evt_4", "+15550001", "msg_4", "Hi again", clock.now))
	clock.now = monday10.Add(8 * time.Hour)
	ingest(t, db, clock, inboundEvent("evt_5", "+15550001", "msg_5", "Still there?", clock.now))
	if n := len(autoReplies(t, db)); n != 2 {
		t.Errorf("%d auto-replies after a second closed period, want 2", n)
	}
}

func TestConversationNewAndInboundOfOneMessageTriggerOnce(t *testing.T) {
	db := openTest(t)
	saveAutoReplies(t, db, func(c *inbox.AutoReplyConfig) {
		c.OutOfOffice.Enabled = false
		c.Greeting = inbox.AutoReplyMessage{Enabled: true, Text: "Welcome!"}
	})
	clock := &clockAt{monday10}
	ingest(t, db, clock, &inbox.Event{ID: "evt_new", Type: inbox.EventConversationNew, Timestamp: monday10, SenderID: "snd_1",
		NewConversation: &inbox.NewConversation{Phone: "+15550002", Channel: inbox.WhatsApp, FirstMessageID: "msg_a", FirstMessageText: "hi"}})
	ingest(t, db, clock, inboundEvent("evt_in", "+15550002", "msg_a", "hi", monday10))
	ingest(t, db, clock, inboundEvent("evt_in2", "+15550002", "msg_b", "are you there", monday10.Add(time.Minute)))
	got := autoReplies(t, db)
	if len(got) != 1 || got[0].AutoReplyRule != inbox.RuleGreeting {
		t.Fatalf("auto-replies = %+v, want one greeting", got)
	}
}

func TestEchoesReactionsAndStatusesTriggerNothing(t *testing.T) {
	db := openTest(t)
	saveAutoReplies(t, db, func(c *inbox.AutoReplyConfig) {
		c.Greeting = inbox.AutoReplyMessage{Enabled: true, Text: "Welcome!"}
	})
	clock := &clockAt{saturday}
	for _, ev := range []*inbox.Event{
		{ID: "evt_echo", Type: inbox.EventMessageSent, Timestamp: saturday, SenderID: "snd_1",
			Echo: &inbox.Echo{MessageID: "msg_echo", From: "+13125550000", To: "+15550003", Channel: inbox.WhatsApp, Text: "hi from the phone", Status: inbox.StatusSent}},
		{ID: "evt_react", Type: inbox.EventMessageReaction, Timestamp: saturday, SenderID: "snd_1",
			Reaction: &inbox.ReactionChange{MessageID: "msg_echo", From: "+15550003", Emoji: "👍", Action: inbox.ReactionAdded}},
		{ID: "evt_status", Type: inbox.EventMessageDelivered, Timestamp: saturday, SenderID: "snd_1",
			Status: &inbox.StatusReport{MessageID: "msg_other", To: "+15550004", Channel: inbox.WhatsApp, Status: inbox.StatusDelivered}},
	} {
		if res := ingest(t, db, clock, ev); res.Change.Queued {
			t.Errorf("%s queued a reply", ev.ID)
		}
	}
	if got := autoReplies(t, db); len(got) != 0 {
		t.Errorf("auto-replies = %+v, want none", got)
	}
}

func TestReplayNeverAutoReplies(t *testing.T) {
	db := openTest(t)
	saveAutoReplies(t, db, nil)
	clock := &clockAt{saturday}
	ctx := context.Background()
	// Stored but failed (say, by an older version); replayed later.
	if _, err := db.Ingest(ctx, inboundEvent("evt_1", "+15550001", "msg_1", "Hello?", saturday),
		func(context.Context, inbox.Tx, *inbox.Event) (inbox.Change, error) {
			return inbox.Change{}, errors.New("old bug")
		}); err != nil {
		t.Fatal(err)
	}
	res, err := db.Replay(ctx, inboundEvent("evt_1", "+15550001", "msg_1", "Hello?", saturday), inbox.IngestWithAutoReplies(clock.Now))
	if err != nil || res.State != inbox.EventApplied {
		t.Fatalf("replay: %+v %v", res, err)
	}
	if got := autoReplies(t, db); len(got) != 0 {
		t.Errorf("a replayed message got auto-replies: %+v", got)
	}
}

func TestWindowClosedSendsTemplateOrLogsTheSkip(t *testing.T) {
	db := openTest(t)
	saveAutoReplies(t, db, nil)
	ctx := context.Background()
	// The customer wrote on Friday night; Zavu's delivery came 25 hours
	// later, when the WhatsApp window had closed.
	wrote := time.Date(2025, 2, 28, 20, 0, 0, 0, time.UTC)
	clock := &clockAt{wrote.Add(25 * time.Hour)}
	ingest(t, db, clock, inboundEvent("evt_1", "+15550001", "msg_1", "Hello?", wrote))
	if got := autoReplies(t, db); len(got) != 0 {
		t.Fatalf("free text after the window: %+v", got)
	}
	log, err := db.AutoReplyLog(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Rule != inbox.RuleOutOfOffice || log[0].Reason != string(inbox.SkipWindowClosed) ||
		log[0].ContactName != "Customer +15550001" {
		t.Errorf("log = %+v, want the skip of the out-of-office reply", log)
	}

	// With an approved template set, the template goes instead.
	inTx(t, db, func(ctx context.Context, w *writeTx) error {
		return w.PutTemplate(ctx, inbox.Template{ID: "tpl_1", Name: "closed", Status: "approved", Body: "Closed, {{1}}.", UpdatedAt: t0})
	})
	saveAutoReplies(t, db, func(c *inbox.AutoReplyConfig) {
		c.OutOfOffice.TemplateID, c.OutOfOffice.TemplateValues = "tpl_1", []string{"{{contact.name}}"}
	})
	ingest(t, db, clock, inboundEvent("evt_2", "+15550009", "msg_2", "Hello?", wrote))
	got := autoReplies(t, db)
	if len(got) != 1 || got[0].Type != inbox.TypeTemplate || got[0].Content == nil || got[0].Content.TemplateID != "tpl_1" ||
		got[0].Content.TemplateVariables["1"] != "Customer +15550009" || got[0].Text != "Closed, Customer +15550009." {
		t.Fatalf("auto-replies = %+v, want the template", got)
	}
}

func TestHourlyLimitStopsAKeywordLoop(t *testing.T) {
	db := openTest(t)
	saveAutoReplies(t, db, func(c *inbox.AutoReplyConfig) {
		c.OutOfOffice.Enabled = false
		c.PutRule(inbox.KeywordRule{Name: "Prices", Keywords: []string{"price"},
			AutoReplyMessage: inbox.AutoReplyMessage{Enabled: true, Text: "See our price list."}})
	})
	clock := &clockAt{monday10}
	// Another bot answers every reply with a question about the price.
	for i := range 6 {
		clock.now = monday10.Add(time.Duration(i) * 5 * time.Minute)
		ingest(t, db, clock, inboundEvent(fmtID("evt", i), "+15550001", fmtID("msg", i), "What is the price?", clock.now))
	}
	if n := len(autoReplies(t, db)); n != inbox.DefaultAutoRepliesPerHour {
		t.Errorf("%d auto-replies in half an hour, want the limit %d", n, inbox.DefaultAutoRepliesPerHour)
	}
	if n := count(t, db, `SELECT count(*) FROM auto_reply_log WHERE reason = ?`, string(inbox.SkipLimit)); n != 3 {
		t.Errorf("%d skips logged, want 3", n)
	}
	clock.now = monday10.Add(70 * time.Minute)
	ingest(t, db, clock, inboundEvent("evt_late", "+15550001", "msg_late", "price?", clock.now))
	if n := len(autoReplies(t, db)); n != 4 {
		t.Errorf("an hour later: %d auto-replies, want 4", n)
	}
}

func TestSMSStopGetsOnlyTheConfirmation(t *testing.T) {
	db := openTest(t)
	saveAutoReplies(t, db, func(c *inbox.AutoReplyConfig) {
		c.Stop = inbox.AutoReplyMessage{Enabled: true, Text: "You are unsubscribed."}
	})
	clock := &clockAt{saturday}
	stop := inboundEvent("evt_1", "+15550001", "msg_1", "STOP", saturday)
	stop.Inbound.Channel = inbox.SMS
	ingest(t, db, clock, stop)
	later := inboundEvent("evt_2", "+15550001", "msg_2", "why?", saturday.Add(time.Minute))
	later.Inbound.Channel = inbox.SMS
	ingest(t, db, clock, later)
	got := autoReplies(t, db)
	if len(got) != 1 || got[0].AutoReplyRule != inbox.RuleStopConfirmation || got[0].Text != "You are unsubscribed." {
		t.Errorf("auto-replies = %+v, want only the STOP confirmation", got)
	}
}

func TestInvalidAutoRepliesAreNotSaved(t *testing.T) {
	db := openTest(t)
	saveAutoReplies(t, db, nil)
	_, err := db.UpdateAutoReplies(context.Background(), t0, func(c *inbox.AutoReplyConfig) error {
		c.Hours.TimeZone = "Nowhere/Else"
		return nil
	})
	if inv, ok := inbox.AsInvalidAutoReplies(err); !ok || inv["timezone"] == "" {
		t.Fatalf("err = %v, want a time zone error", err)
	}
	c, err := db.AutoReplyConfig(context.Background())
	if err != nil || c.Hours.TimeZone != "UTC" || !c.OutOfOffice.Enabled {
		t.Errorf("settings after a refused save: %+v %v", c, err)
	}
}

// TestSavedAutoRepliesApplyToTheNextMessage: the settings ingestion keeps
// between saves never outlive a save, a refused one included.
func TestSavedAutoRepliesApplyToTheNextMessage(t *testing.T) {
	db := openTest(t)
	clock := &clockAt{saturday}
	texts := func() []string {
		var out []string
		for _, m := range autoReplies(t, db) {
			out = append(out, m.Text)
		}
		return out
	}
	saveAutoReplies(t, db, func(c *inbox.AutoReplyConfig) { c.OutOfOffice.Text = "First text." })
	ingest(t, db, clock, inboundEvent("evt_1", "+15550001", "msg_1", "hi", saturday))
	saveAutoReplies(t, db, func(c *inbox.AutoReplyConfig) { c.OutOfOffice.Text = "Second text." })
	ingest(t, db, clock, inboundEvent("evt_2", "+15550002", "msg_2", "hi", saturday))
	// A refused save, in the middle of messages, changes nothing.
	_, err := db.UpdateAutoReplies(context.Background(), t0, func(c *inbox.AutoReplyConfig) error {
		c.OutOfOffice.Text = "Never saved."
		c.Hours.TimeZone = "Nowhere/Else"
		return nil
	})
	if err == nil {
		t.Fatal("an unknown time zone was saved")
	}
	ingest(t, db, clock, inboundEvent("evt_3", "+15550003", "msg_3", "hi", saturday))
	saveAutoReplies(t, db, func(c *inbox.AutoReplyConfig) { c.OutOfOffice.Enabled = false })
	ingest(t, db, clock, inboundEvent("evt_4", "+15550004", "msg_4", "hi", saturday))
	want := []string{"First text.", "Second text.", "Second text."}
	if got := texts(); !slices.Equal(got, want) {
		t.Errorf("auto-replies %q, want %q", got, want)
	}
}

// Replies still waiting in the outbox when the customer texts STOP (an
// agent's written a moment before it came, one waiting for a retry) are
// not sent: each fails, saying the customer opted out, on the pages at
// once; the STOP's confirmation goes.
func TestRepliesWaitingWhenTheCustomerOptsOutAreNotSent(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	saveAutoReplies(t, db, func(c *inbox.AutoReplyConfig) {
		c.Stop = inbox.AutoReplyMessage{Enabled: true, Text: "You are unsubscribed."}
	})
	clock := &clockAt{saturday}
	hi := inboundEvent("evt_1", "+15550001", "msg_1", "Hi, is my order on its way?", saturday)
	hi.Inbound.Channel = inbox.SMS
	ingest(t, db, clock, hi)
	conv := count(t, db, `SELECT id FROM conversations`)
	var replies []int64
	for i, text := range []string{"Let me check.", "It ships tomorrow."} {
		m, _, err := db.QueueReply(ctx, inbox.Reply{ConversationID: int64(conv), Source: inbox.SourceAgent, Type: inbox.TypeText,
			Text: text, IdempotencyKey: fmtID("k", i), At: saturday.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, m.ID)
	}
	// The first one's send failed for a while: it waits for a retry.
	if err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `UPDATE outbox SET attempts = 2, next_attempt_at = ?, last_error = 'Zavu answered 503' WHERE message_id = ?`,
			msOf(saturday.Add(time.Hour)), replies[0])
		return err
	}); err != nil {
		t.Fatal(err)
	}

	stop := inboundEvent("evt_2", "+15550001", "msg_2", "STOP", saturday.Add(2*time.Minute))
	stop.Inbound.Channel = inbox.SMS
	clock.now = saturday.Add(2 * time.Minute)
	res := ingest(t, db, clock, stop)
	for _, id := range replies {
		m, err := db.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != inbox.StatusFailed || !strings.Contains(m.ErrorMessage, "opted out") {
			t.Errorf("reply %q after the STOP: %s %q, want failed saying the customer opted out", m.Text, m.Status, m.ErrorMessage)
		}
		if !slices.Contains(res.Change.MessageIDs, id) {
			t.Errorf("the STOP's change %+v leaves out reply %d: the pages would show it sending", res.Change, id)
		}
	}
	due, err := db.ClaimOutbox(ctx, saturday.Add(2*time.Hour), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Message.Text != "You are unsubscribed." {
		t.Errorf("the outbox then sends %+v, want only the STOP's confirmation", due)
	}
}
