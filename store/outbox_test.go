package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

const customerPhone = "+14155550100"

// conversationWith ingests one inbound WhatsApp message from phone at "at"
// and returns its conversation's id.
func conversationWith(t *testing.T, db *DB, phone string, at time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	msgID := "msg_in_" + phone + "_" + at.Format("150405")
	if _, err := db.Ingest(ctx, inboundEvent("evt_"+msgID, phone, msgID, "Hello", at), inbox.Apply); err != nil {
		t.Fatal(err)
	}
	m, err := db.MessageByZavuID(ctx, msgID)
	if err != nil {
		t.Fatal(err)
	}
	return m.ConversationID
}

// reply is an agent's text reply.
func reply(conv int64, text, key string, at time.Time) inbox.Reply {
	return inbox.Reply{ConversationID: conv, Source: inbox.SourceAgent, Type: inbox.TypeText, Text: text, IdempotencyKey: key, At: at}
}

// mustQueue queues a reply and returns its message.
func mustQueue(t *testing.T, db *DB, r inbox.Reply) inbox.Message {
	t.Helper()
	m, _, err := db.QueueReply(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mustClaim claims what is due at now with a one-minute lease.
func mustClaim(t *testing.T, db *DB, now time.Time) []inbox.OutboxEntry {
	t.Helper()
	es, err := db.ClaimOutbox(context.Background(), now, time.Minute, 32)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// statusEvent is a message.<status> webhook for one of our messages to
// the customer.
func statusEvent(id, zavuID string, s inbox.Status, at time.Time) *inbox.Event {
	return &inbox.Event{ID: id, Type: inbox.EventType("message." + string(s)), Timestamp: at, SenderID: "snd_1",
		Raw:    []byte(fmt.Sprintf(`{"id":%q}`, id)),
		Status: &inbox.StatusReport{MessageID: zavuID, To: customerPhone, Channel: inbox.WhatsApp, Status: s}}
}

func mustIngest(t *testing.T, db *DB, evs ...*inbox.Event) {
	t.Helper()
	for _, ev := range evs {
		res, err := db.Ingest(context.Background(), ev, inbox.Apply)
		if err != nil {
			t.Fatal(err)
		}
		if res.State != inbox.EventApplied {
			t.Fatalf("event %s: %s %s", ev.ID, res.State, res.Error)
		}
	}
}

// outboxRow is an entry as stored.
type outboxRow struct {
	MessageID            int64
	Key, State           string
	Attempts             int
	NextAttemptAt        time.Time
	LastError            string
	Request              inbox.OutgoingMessage
	CreatedAt, UpdatedAt time.Time
	RequestIsObject      bool // the request is stored as a JSON object
}

func readOutbox(t *testing.T, db *DB, id int64) outboxRow {
	t.Helper()
	var r outboxRow
	var req string
	err := db.reader.QueryRow(`SELECT message_id, idempotency_key, state, attempts, next_attempt_at, last_error, request,
		created_at, updated_at FROM outbox WHERE id = ?`, id).
		Scan(&r.MessageID, &r.Key, &r.State, &r.Attempts, msTime{&r.NextAttemptAt}, &r.LastError, &req,
			msTime{&r.CreatedAt}, msTime{&r.UpdatedAt})
	if err != nil {
		t.Fatalf("outbox entry %d: %v", id, err)
	}
	if err := json.Unmarshal([]byte(req), &r.Request); err != nil {
		t.Fatalf("outbox entry %d request %s: %v", id, req, err)
	}
	r.RequestIsObject = strings.HasPrefix(req, "{")
	return r
}

// entriesOf lists the ids of a message's outbox entries, oldest first.
func entriesOf(t *testing.T, db *DB, messageID int64) []int64 {
	t.Helper()
	rows, err := db.reader.Query(`SELECT id FROM outbox WHERE message_id = ? ORDER BY id`, messageID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// The claim and the next-attempt query read the partial indexes: the due
// entries in order from outbox_due, and whether an earlier reply of the
// same conversation is unfinished from outbox_pending, never a scan of the
// whole outbox (which keeps every reply ever sent).
func TestOutboxQueriesUseTheirIndexes(t *testing.T) {
	db := openTest(t)
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{"claim": {writerSQL[stDueOutbox], []any{0, 32}}, "next attempt": {nextOutboxAttemptQuery, nil}} {
		plan := explain(t, db, q.sql, q.args...)
		if step := badStep(plan); step != "" || !strings.Contains(plan, "USING INDEX outbox_due") ||
			!strings.Contains(plan, "USING INDEX outbox_pending (conversation_id=? AND id<?)") {
			t.Errorf("%s: plan\n%s\nwants outbox_due, then outbox_pending by conversation (bad step %q)", name, plan, step)
		}
	}
	// Why the pending replies of a page wait: one lookup each.
	plan := explain(t, db, fmt.Sprintf(waitingOutboxQuery, "?, ?"), 1, 2)
	if step := badStep(plan); step != "" || !strings.Contains(plan, "USING INDEX outbox_message (message_id=?)") {
		t.Errorf("waiting replies: plan\n%s\nwants outbox_message (bad step %q)", plan, step)
	}
	// A rate limit's hold reads the entries due before the pause ends,
	// and whether an earlier reply of each one's conversation is
	// unfinished.
	plan = explain(t, db, writerSQL[stHoldOutbox], 1, "", 0, 1)
	if step := badStep(plan); step != "" || !strings.Contains(plan, "USING INDEX outbox_due (next_attempt_at<?)") ||
		!strings.Contains(plan, "USING INDEX outbox_pending (conversation_id=? AND id<?)") {
		t.Errorf("hold: plan\n%s\nwants outbox_due, then outbox_pending by conversation (bad step %q)", plan, step)
	}
	// A reply queued within a pause asks whether an earlier one of its
	// conversation is unfinished.
	plan = explain(t, db, writerSQL[stUnfinishedOutbox], 1)
	if step := badStep(plan); step != "" || !strings.Contains(plan, "USING INDEX outbox_pending (conversation_id=?)") {
		t.Errorf("unfinished replies: plan\n%s\nwants outbox_pending (bad step %q)", plan, step)
	}
}

func TestQueueReplyWritesMessageAndEntryInOneTransaction(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, customerPhone, t0)
	other := conversationWith(t, db, "+14155550199", t0.Add(time.Minute))
	agent := inbox.User{Email: "ann@example.com", Name: "Ann", Role: inbox.RoleAgent, Active: true}
	if err := db.CreateUser(ctx, &agent); err != nil {
		t.Fatal(err)
	}

	r := reply(conv, "Hi back", "k1", t0.Add(2*time.Minute))
	r.AuthorID = &agent.ID
	m, ch, err := db.QueueReply(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == 0 || m.Status != inbox.StatusPending || m.Direction != inbox.Outbound || m.Source != inbox.SourceAgent ||
		m.AuthorID == nil || *m.AuthorID != agent.ID || m.ZavuID != "" || !m.CreatedAt.Equal(r.At) {
		t.Errorf("queued %+v", m)
	}
	if !reflect.DeepEqual(ch, inbox.Change{ConversationIDs: []int64{conv}, MessageIDs: []int64{m.ID}}) {
		t.Errorf("change = %+v", ch)
	}
	stored, err := db.Message(ctx, m.ID)
	if err != nil || !reflect.DeepEqual(stored, m) {
		t.Errorf("stored %+v (%v), returned %+v", stored, err, m)
	}
	list, _, err := db.Conversations(ctx, inbox.ConversationFilter{})
	if err != nil || len(list) != 2 || list[0].ID != conv || list[1].ID != other {
		t.Fatalf("the reply did not move its conversation to the top: %+v %v", list, err)
	}
	if c := list[0]; c.LastMessageID != m.ID || c.LastMessagePreview != "Hi back" || !c.LastMessageAt.Equal(r.At) {
		t.Errorf("conversation after the reply: %+v", c)
	}

	ids := entriesOf(t, db, m.ID)
	if len(ids) != 1 {
		t.Fatalf("entries of the reply: %v", ids)
	}
	e := readOutbox(t, db, ids[0])
	want := inbox.OutgoingMessage{IdempotencyKey: "k1", SenderID: "snd_1", To: customerPhone, Channel: inbox.WhatsApp,
		Type: inbox.TypeText, Text: "Hi back"}
	if e.Key != "k1" || e.State != "queued" || e.Attempts != 0 || !e.NextAttemptAt.Equal(r.At) || e.Request != want || !e.RequestIsObject {
		t.Errorf("entry = %+v", e)
	}

	// A key that is taken fails the entry, and with it the message.
	before := count(t, db, `SELECT count(*) FROM messages`)
	if _, _, err := db.QueueReply(ctx, reply(other, "again", "k1", t0.Add(3*time.Minute))); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("a reused idempotency key: %v, want ErrConflict", err)
	}
	if n := count(t, db, `SELECT count(*) FROM messages`); n != before {
		t.Errorf("the refused reply left its message: %d messages, want %d", n, before)
	}
	if c, _ := db.Conversation(ctx, other); c.LastMessagePreview != "Hello" {
		t.Errorf("the refused reply moved its conversation: %+v", c)
	}
	if _, _, err := db.QueueReply(ctx, reply(999, "nobody", "k9", t0)); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("a reply to no conversation: %v, want ErrNotFound", err)
	}
}

func TestQueueReplyFollowsTheWindow(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, customerPhone, t0)

	_, _, err := db.QueueReply(ctx, reply(conv, "Too late", "k1", t0.Add(24*time.Hour+time.Minute)))
	if !errors.Is(err, inbox.ErrWindowClosed) {
		t.Fatalf("free text 24h01m after the customer wrote: %v, want ErrWindowClosed", err)
	}
	if n := count(t, db, `SELECT count(*) FROM messages`) + count(t, db, `SELECT count(*) FROM outbox`); n != 1 {
		t.Errorf("the refused reply wrote something: %d rows, want only the inbound message", n)
	}
	if c, _ := db.Conversation(ctx, conv); c.LastMessagePreview != "Hello" {
		t.Errorf("the refused reply moved the conversation: %+v", c)
	}

	if _, _, err := db.QueueReply(ctx, reply(conv, "Just in time", "k2", t0.Add(23*time.Hour+59*time.Minute))); err != nil {
		t.Fatalf("free text 23h59m after: %v", err)
	}
	tpl := reply(conv, "", "k3", t0.Add(30*time.Hour))
	tpl.Type, tpl.Content = inbox.TypeTemplate, &inbox.Content{TemplateID: "tmpl_1", TemplateVariables: map[string]string{"1": "Ann"}}
	m, _, err := db.QueueReply(ctx, tpl)
	if err != nil {
		t.Fatalf("a template after the window: %v", err)
	}
	e := readOutbox(t, db, entriesOf(t, db, m.ID)[0])
	if e.Request.Type != inbox.TypeTemplate || e.Request.Content == nil || e.Request.Content.TemplateVariables["1"] != "Ann" {
		t.Errorf("the template's entry carries %+v", e.Request)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox`); n != 2 {
		t.Errorf("entries = %d, want 2", n)
	}
}

func TestClaimOutboxOnceUntilTheLeaseEnds(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, customerPhone, t0)
	m := mustQueue(t, db, reply(conv, "one", "k1", t0.Add(time.Minute)))
	mustQueue(t, db, reply(conv, "later", "k2", t0.Add(10*time.Minute))) // due later

	if got := mustClaim(t, db, t0); len(got) != 0 {
		t.Fatalf("claimed before it was due: %+v", got)
	}
	now := t0.Add(2 * time.Minute)
	got := mustClaim(t, db, now)
	if len(got) != 1 {
		t.Fatalf("claim: %+v", got)
	}
	e := got[0]
	want := inbox.OutgoingMessage{IdempotencyKey: "k1", SenderID: "snd_1", To: customerPhone, Channel: inbox.WhatsApp,
		Type: inbox.TypeText, Text: "one"}
	if e.MessageID != m.ID || e.ConversationID != conv || e.State != inbox.OutboxSending || e.Attempts != 1 ||
		!e.NextAttemptAt.Equal(now.Add(time.Minute)) || e.Message != want {
		t.Errorf("claimed %+v", e)
	}
	if row := readOutbox(t, db, e.ID); row.State != "sending" || row.Attempts != 1 || !row.NextAttemptAt.Equal(now.Add(time.Minute)) {
		t.Errorf("stored %+v", row)
	}
	if at, ok, err := db.NextOutboxAttempt(ctx); err != nil || !ok || !at.Equal(now.Add(time.Minute)) {
		t.Errorf("next attempt %v %v %v, want the lease's end", at, ok, err)
	}

	if again := mustClaim(t, db, now.Add(59*time.Second)); len(again) != 0 {
		t.Fatalf("claimed twice within the lease: %+v", again)
	}
	again := mustClaim(t, db, now.Add(61*time.Second))
	if len(again) != 1 || again[0].ID != e.ID || again[0].Attempts != 2 || again[0].Message.IdempotencyKey != "k1" {
		t.Fatalf("after the lease: %+v, want the same entry, attempt 2, same key", again)
	}

	if onPostgres(t) {
		// Every process sends: one's start leaves the sends of live
		// processes alone, its own among them (outbox_release_test.go).
		if n, err := db.ReleaseOutbox(ctx, now.Add(62*time.Second)); err != nil || n != 0 {
			t.Fatalf("release by the claiming process: %d %v, want 0", n, err)
		}
	} else {
		// A new process takes back what the last one was sending at once.
		if n, err := db.ReleaseOutbox(ctx, now.Add(62*time.Second)); err != nil || n != 1 {
			t.Fatalf("release: %d %v", n, err)
		}
		if back := mustClaim(t, db, now.Add(62*time.Second)); len(back) != 1 || back[0].Attempts != 3 {
			t.Fatalf("after release: %+v", back)
		}
		if n, err := db.ReleaseOutbox(ctx, now); err != nil || n != 1 {
			t.Fatalf("second release: %d %v", n, err)
		}
	}
	if none, err := db.ClaimOutbox(ctx, now.Add(time.Hour), time.Minute, 0); err != nil || len(none) != 0 {
		t.Errorf("a claim of 0 entries: %+v %v", none, err)
	}
}

// A conversation's later replies wait while an earlier one is being sent
// or waits for a retry, whatever their own due time; other conversations
// go meanwhile. A permanent failure lets the later ones go.
func TestClaimOutboxHoldsLaterRepliesBehindAnEarlierOne(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, customerPhone, t0)
	other := conversationWith(t, db, "+14155550199", t0)
	at := t0.Add(time.Minute)
	first := mustQueue(t, db, reply(conv, "first", "k1", at))
	second := mustQueue(t, db, reply(conv, "second", "k2", at))
	third := mustQueue(t, db, reply(conv, "third", "k3", at))
	elsewhere := mustQueue(t, db, reply(other, "elsewhere", "k4", at))

	got := mustClaim(t, db, at)
	if len(got) != 2 || got[0].MessageID != first.ID || got[1].MessageID != elsewhere.ID {
		t.Fatalf("claimed %+v, want the first reply of each conversation", got)
	}
	if again := mustClaim(t, db, at.Add(time.Second)); len(again) != 0 {
		t.Fatalf("claimed %+v while the first reply is being sent", again)
	}
	if next, ok, err := db.NextOutboxAttempt(ctx); err != nil || !ok || !next.Equal(at.Add(time.Minute)) {
		t.Errorf("next attempt %v %v %v, want the lease's end, not the waiting replies' due time", next, ok, err)
	}

	// The first fails for a while and waits for its retry past the others'
	// due time.
	if _, err := db.OutboxRetry(ctx, got[0].ID, t0.Add(3*time.Minute), "503"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OutboxSent(ctx, got[1].ID, inbox.SendResult{ZavuID: "msg_z1", Status: inbox.StatusQueued}, at); err != nil {
		t.Fatal(err)
	}
	if held := mustClaim(t, db, t0.Add(2*time.Minute)); len(held) != 0 {
		t.Fatalf("claimed %+v while the first reply waits for its retry", held)
	}
	if next, ok, err := db.NextOutboxAttempt(ctx); err != nil || !ok || !next.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("next attempt %v %v %v, want the first reply's retry", next, ok, err)
	}
	retried := mustClaim(t, db, t0.Add(4*time.Minute))
	if len(retried) != 1 || retried[0].MessageID != first.ID || retried[0].LastError != "503" || retried[0].Attempts != 2 {
		t.Fatalf("claimed %+v, want the first reply again, alone", retried)
	}

	// It fails for good: the second goes, and the third still waits for it.
	if _, err := db.OutboxFail(ctx, retried[0].ID, "30003", "unreachable", t0.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	next := mustClaim(t, db, t0.Add(4*time.Minute))
	if len(next) != 1 || next[0].MessageID != second.ID {
		t.Fatalf("after the first failed for good: %+v, want the second", next)
	}
	if _, err := db.OutboxSent(ctx, next[0].ID, inbox.SendResult{ZavuID: "msg_z2", Status: inbox.StatusQueued}, at); err != nil {
		t.Fatal(err)
	}
	if last := mustClaim(t, db, t0.Add(4*time.Minute)); len(last) != 1 || last[0].MessageID != third.ID {
		t.Fatalf("after the second was sent: %+v, want the third", last)
	}
}

func TestOutboxSentStoresTheZavuIDAndStatus(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, customerPhone, t0)
	m := mustQueue(t, db, reply(conv, "On its way", "k1", t0.Add(time.Minute)))
	e := mustClaim(t, db, t0.Add(time.Minute))[0]

	at := t0.Add(90 * time.Second)
	ch, err := db.OutboxSent(ctx, e.ID, inbox.SendResult{ZavuID: "msg_zavu", Status: inbox.StatusQueued}, at)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ch, inbox.Change{ConversationIDs: []int64{conv}, MessageIDs: []int64{m.ID}}) {
		t.Errorf("change = %+v", ch)
	}
	got, err := db.MessageByZavuID(ctx, "msg_zavu")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != m.ID || got.Status != inbox.StatusQueued || !got.StatusTimes.Queued.Equal(at) || !got.UpdatedAt.Equal(at) {
		t.Errorf("message = %+v", got)
	}
	if row := readOutbox(t, db, e.ID); row.State != "sent" || row.LastError != "" {
		t.Errorf("entry = %+v", row)
	}
	if _, ok, err := db.NextOutboxAttempt(ctx); ok || err != nil {
		t.Errorf("something still waits: %v %v", ok, err)
	}
	if again := mustClaim(t, db, t0.Add(time.Hour)); len(again) != 0 {
		t.Errorf("a sent entry was claimed: %+v", again)
	}

	// A second answer, or a late failure, changes nothing.
	ch, err = db.OutboxSent(ctx, e.ID, inbox.SendResult{ZavuID: "msg_other", Status: inbox.StatusSent}, t0.Add(2*time.Minute))
	if err != nil || !ch.Empty() {
		t.Errorf("second answer: %+v %v", ch, err)
	}
	if ch, err := db.OutboxFail(ctx, e.ID, "x", "late", t0.Add(2*time.Minute)); err != nil || !ch.Empty() {
		t.Errorf("a failure after the answer: %+v %v", ch, err)
	}
	if ch, err := db.OutboxRetry(ctx, e.ID, t0.Add(3*time.Minute), "late"); err != nil || !ch.Empty() {
		t.Errorf("a retry after the answer: %+v %v", ch, err)
	}
	if again, _ := db.Message(ctx, m.ID); !reflect.DeepEqual(again, got) {
		t.Errorf("after the second answer: %+v, want %+v", again, got)
	}
	if row := readOutbox(t, db, e.ID); row.State != "sent" {
		t.Errorf("entry = %+v", row)
	}

	for name, err := range map[string]error{
		"sent":  func() error { _, err := db.OutboxSent(ctx, 999, inbox.SendResult{ZavuID: "z"}, t0); return err }(),
		"fail":  func() error { _, err := db.OutboxFail(ctx, 999, "", "", t0); return err }(),
		"retry": func() error { _, err := db.OutboxRetry(ctx, 999, t0, ""); return err }(),
	} {
		if !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("%s on no entry: %v, want ErrNotFound", name, err)
		}
	}
}

// withoutUpdatedAt is m with the time it was last written, and the count
// of its writes, cleared: what differs with the order of the writes.
func withoutUpdatedAt(m inbox.Message) inbox.Message {
	m.UpdatedAt, m.Rev = time.Time{}, 0
	return m
}

// TestStatusWebhookOvertakingTheAnswer: Zavu's status webhooks for a
// reply can reach Switchboard before the outbox has stored the id Zavu's
// answer gave. They leave a placeholder, which the answer merges into the
// reply. Either way round, one message ends up with the id, the text and
// every status, and the conversation shows it.
func TestStatusWebhookOvertakingTheAnswer(t *testing.T) {
	final := map[bool]inbox.Message{}
	for _, webhooksFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("webhooks first %v", webhooksFirst), func(t *testing.T) {
			db := openTest(t)
			ctx := context.Background()
			conv := conversationWith(t, db, customerPhone, t0)
			m := mustQueue(t, db, reply(conv, "On its way", "k1", t0.Add(time.Minute)))
			e := mustClaim(t, db, t0.Add(time.Minute))[0]

			webhooks := []*inbox.Event{
				statusEvent("evt_sent", "msg_zavu", inbox.StatusSent, t0.Add(2*time.Minute)),
				statusEvent("evt_delivered", "msg_zavu", inbox.StatusDelivered, t0.Add(3*time.Minute)),
				{ID: "evt_reaction", Type: inbox.EventMessageReaction, Timestamp: t0.Add(4 * time.Minute), SenderID: "snd_1",
					Raw: []byte(`{}`), Reaction: &inbox.ReactionChange{MessageID: "msg_zavu", From: customerPhone,
						Emoji: "👍", Action: inbox.ReactionAdded, At: t0.Add(4 * time.Minute)}},
			}
			var ch inbox.Change
			answer := func() {
				var err error
				ch, err = db.OutboxSent(ctx, e.ID, inbox.SendResult{ZavuID: "msg_zavu", Status: inbox.StatusQueued}, t0.Add(90*time.Second))
				if err != nil {
					t.Fatal(err)
				}
			}
			if webhooksFirst {
				mustIngest(t, db, webhooks...)
				ph, err := db.MessageByZavuID(ctx, "msg_zavu")
				if err != nil || ph.ID == m.ID || ph.Type != inbox.TypeUnknown {
					t.Fatalf("the webhooks left %+v (%v), want a placeholder", ph, err)
				}
				if c, _ := db.Conversation(ctx, conv); c.LastMessageID != ph.ID {
					t.Fatalf("the placeholder is not shown last (%d); the test proves less than it should", c.LastMessageID)
				}
				answer()
				if !reflect.DeepEqual(ch.DeletedMessageIDs, []int64{ph.ID}) || !slices.Contains(ch.MessageIDs, m.ID) ||
					!slices.Contains(ch.ConversationIDs, conv) {
					t.Errorf("change %+v, want message %d and conversation %d, placeholder %d deleted", ch, m.ID, conv, ph.ID)
				}
				if _, err := db.Message(ctx, ph.ID); !errors.Is(err, inbox.ErrNotFound) {
					t.Errorf("the placeholder is still there: %v", err)
				}
			} else {
				answer()
				if len(ch.DeletedMessageIDs) != 0 {
					t.Errorf("change %+v deletes something", ch)
				}
				mustIngest(t, db, webhooks...)
			}

			if n := count(t, db, `SELECT count(*) FROM messages WHERE direction = 'outbound'`); n != 1 {
				t.Errorf("%d outbound messages, want 1", n)
			}
			got, err := db.MessageByZavuID(ctx, "msg_zavu")
			if err != nil {
				t.Fatal(err)
			}
			want := inbox.StatusTimes{Queued: t0.Add(90 * time.Second), Sent: t0.Add(2 * time.Minute), Delivered: t0.Add(3 * time.Minute)}
			if got.ID != m.ID || got.Text != "On its way" || got.Type != inbox.TypeText || got.Source != inbox.SourceAgent ||
				got.Status != inbox.StatusDelivered || got.StatusTimes != want || !got.CreatedAt.Equal(m.CreatedAt) {
				t.Errorf("message = %+v, want ours, delivered, with times %+v", got, want)
			}
			if len(got.Reactions) != 1 || got.Reactions[0].Emoji != "👍" {
				t.Errorf("reactions = %+v, want the customer's", got.Reactions)
			}
			c, _ := db.Conversation(ctx, conv)
			if c.LastMessageID != m.ID || c.LastMessagePreview != "On its way" || !c.LastMessageAt.Equal(m.CreatedAt) {
				t.Errorf("conversation shows %d %q at %v, want the reply", c.LastMessageID, c.LastMessagePreview, c.LastMessageAt)
			}
			if c.InboundCount != 1 || c.Status != inbox.Open {
				t.Errorf("conversation = %+v", c)
			}
			if ch, err := db.OutboxSent(ctx, e.ID, inbox.SendResult{ZavuID: "msg_zavu", Status: inbox.StatusQueued}, t0.Add(5*time.Minute)); err != nil || !ch.Empty() {
				t.Errorf("second answer: %+v %v", ch, err)
			}
			if again, _ := db.Message(ctx, m.ID); !reflect.DeepEqual(again, got) {
				t.Errorf("the second answer changed the message: %+v", again)
			}
			final[webhooksFirst] = withoutUpdatedAt(got)
		})
	}
	if a, b := final[true], final[false]; !reflect.DeepEqual(a, b) {
		t.Errorf("the order changed the outcome:\nwebhooks first %+v\nanswer first   %+v", a, b)
	}
}

// TestAReportOnAnotherLineLeavesNoEmptyConversation: a status webhook
// that overtakes Zavu's answer and names another channel or another of
// our numbers than the reply's conversation leaves its placeholder in a
// conversation of its own. Once the answer merges the placeholder into
// the reply, that conversation holds nothing: it goes, from the list and
// the counts, and the change names it so that live pages drop its row.
func TestAReportOnAnotherLineLeavesNoEmptyConversation(t *testing.T) {
	for name, other := range map[string]func(*inbox.Event){
		"other channel": func(ev *inbox.Event) { ev.Status.Channel = inbox.SMS },
		"other sender":  func(ev *inbox.Event) { ev.SenderID = "snd_2" },
	} {
		t.Run(name, func(t *testing.T) {
			db := openTest(t)
			ctx := context.Background()
			conv := conversationWith(t, db, customerPhone, t0)
			m := mustQueue(t, db, reply(conv, "On its way", "k1", t0.Add(time.Minute)))
			e := mustClaim(t, db, t0.Add(time.Minute))[0]

			ev := statusEvent("evt_delivered", "msg_zavu", inbox.StatusDelivered, t0.Add(2*time.Minute))
			other(ev)
			mustIngest(t, db, ev)
			ph, err := db.MessageByZavuID(ctx, "msg_zavu")
			if err != nil || ph.ConversationID == conv {
				t.Fatalf("the report left %+v (%v), want a placeholder in a conversation of its own", ph, err)
			}
			ch, err := db.OutboxSent(ctx, e.ID, inbox.SendResult{ZavuID: "msg_zavu", Status: inbox.StatusQueued}, t0.Add(3*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			got, err := db.MessageByZavuID(ctx, "msg_zavu")
			if err != nil || got.ID != m.ID || got.Status != inbox.StatusDelivered {
				t.Fatalf("msg_zavu is %+v (%v), want the reply, delivered", got, err)
			}
			if _, err := db.Conversation(ctx, ph.ConversationID); !errors.Is(err, inbox.ErrNotFound) {
				t.Errorf("the placeholder's conversation %d is still there: %v", ph.ConversationID, err)
			}
			if n := count(t, db, `SELECT count(*) FROM conversations`); n != 1 {
				t.Errorf("%d conversations, want the reply's alone", n)
			}
			list, _, err := db.Conversations(ctx, inbox.ConversationFilter{Status: inbox.Open})
			if err != nil || len(list) != 1 || list[0].ID != conv {
				t.Errorf("the open list = %+v (%v), want conversation %d alone", list, err, conv)
			}
			if v, err := db.ViewCounts(ctx, inbox.ConversationFilter{}); err != nil || v.Open != 1 {
				t.Errorf("view counts %+v (%v), want 1 open", v, err)
			}
			if !slices.Contains(ch.ConversationIDs, ph.ConversationID) || !slices.Contains(ch.ConversationIDs, conv) {
				t.Errorf("change %+v, want it to name conversation %d (gone) and %d", ch, ph.ConversationID, conv)
			}
		})
	}
}

// TestAnswerAndWebhookRacing runs the answer and the delivered webhook at
// the same moment: whichever the writer takes first, one message holds the
// id and every status.
func TestAnswerAndWebhookRacing(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	const n = 20
	type sent struct {
		m     inbox.Message
		entry int64
	}
	var replies []sent
	for i := range n {
		phone := fmt.Sprintf("+1415555%04d", i)
		conv := conversationWith(t, db, phone, t0)
		m := mustQueue(t, db, reply(conv, fmt.Sprintf("reply %d", i), fmtID("k", i), t0.Add(time.Minute)))
		replies = append(replies, sent{m: m})
	}
	for _, e := range mustClaim(t, db, t0.Add(time.Minute)) {
		i := slices.IndexFunc(replies, func(s sent) bool { return s.m.ID == e.MessageID })
		replies[i].entry = e.ID
	}
	var wg sync.WaitGroup
	for i, r := range replies {
		zavuID := fmtID("msg_z", i)
		ev := statusEvent(fmtID("evt_d", i), zavuID, inbox.StatusDelivered, t0.Add(2*time.Minute))
		ev.Status.To = fmt.Sprintf("+1415555%04d", i)
		wg.Go(func() {
			if _, err := db.Ingest(ctx, ev, inbox.Apply); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := db.OutboxSent(ctx, r.entry, inbox.SendResult{ZavuID: zavuID, Status: inbox.StatusQueued}, t0.Add(90*time.Second)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := count(t, db, `SELECT count(*) FROM messages WHERE direction = 'outbound'`); got != n {
		t.Errorf("%d outbound messages, want %d", got, n)
	}
	for i, r := range replies {
		got, err := db.MessageByZavuID(ctx, fmtID("msg_z", i))
		if err != nil || got.ID != r.m.ID || got.Status != inbox.StatusDelivered || got.StatusTimes.Queued.IsZero() {
			t.Errorf("reply %d: %+v %v", i, got, err)
		}
		if c, _ := db.Conversation(ctx, r.m.ConversationID); c.LastMessageID != r.m.ID {
			t.Errorf("reply %d: the conversation shows message %d", i, c.LastMessageID)
		}
	}
}

func TestOutboxFailMarksTheMessageFailed(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, customerPhone, t0)
	m := mustQueue(t, db, reply(conv, "Hi", "k1", t0.Add(time.Minute)))
	e := mustClaim(t, db, t0.Add(time.Minute))[0]

	reason := inbox.ExplainFailure("insufficient_balance", "")
	at := t0.Add(2 * time.Minute)
	ch, err := db.OutboxFail(ctx, e.ID, "insufficient_balance", reason, at)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ch, inbox.Change{ConversationIDs: []int64{conv}, MessageIDs: []int64{m.ID}}) {
		t.Errorf("change = %+v", ch)
	}
	got, _ := db.Message(ctx, m.ID)
	if got.Status != inbox.StatusFailed || got.ErrorCode != "insufficient_balance" || got.ErrorMessage != reason ||
		!got.StatusTimes.Failed.Equal(at) {
		t.Fatalf("after the failure: %+v", got)
	}
	if row := readOutbox(t, db, e.ID); row.State != "failed" || row.LastError != reason {
		t.Errorf("entry = %+v", row)
	}
	if _, ok, _ := db.NextOutboxAttempt(ctx); ok {
		t.Error("a failed entry still waits")
	}
	// A late answer for the failed attempt revives nothing.
	if ch, err := db.OutboxSent(ctx, e.ID, inbox.SendResult{ZavuID: "msg_late", Status: inbox.StatusQueued}, t0.Add(3*time.Minute)); err != nil || !ch.Empty() {
		t.Errorf("an answer after the failure: %+v %v", ch, err)
	}
	if again, _ := db.Message(ctx, m.ID); !reflect.DeepEqual(again, got) {
		t.Errorf("after the late answer: %+v", again)
	}
}

func TestRetryReply(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, customerPhone, t0)
	m := mustQueue(t, db, reply(conv, "Hi", "k1", t0.Add(time.Minute)))
	if _, _, err := db.RetryReply(ctx, m.ID, "k2", t0.Add(2*time.Minute)); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("retrying a pending reply: %v, want ErrConflict", err)
	}
	first := mustClaim(t, db, t0.Add(time.Minute))[0]
	if _, err := db.OutboxFail(ctx, first.ID, "30003", inbox.ExplainFailure("30003", ""), t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}

	// The old key is taken: nothing changes.
	if _, _, err := db.RetryReply(ctx, m.ID, "k1", t0.Add(3*time.Minute)); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("a retry under the old key: %v, want ErrConflict", err)
	}
	if got, _ := db.Message(ctx, m.ID); got.Status != inbox.StatusFailed {
		t.Errorf("the refused retry left the message %s", got.Status)
	}

	at := t0.Add(3 * time.Minute)
	again, ch, err := db.RetryReply(ctx, m.ID, "k2", at)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != m.ID || again.Status != inbox.StatusPending || again.ErrorCode != "" || again.ErrorMessage != "" ||
		again.StatusTimes != (inbox.StatusTimes{}) || !again.UpdatedAt.Equal(at) || !again.CreatedAt.Equal(m.CreatedAt) {
		t.Errorf("retried %+v", again)
	}
	if !reflect.DeepEqual(ch, inbox.Change{ConversationIDs: []int64{conv}, MessageIDs: []int64{m.ID}}) {
		t.Errorf("change = %+v", ch)
	}
	if stored, _ := db.Message(ctx, m.ID); !reflect.DeepEqual(stored, again) {
		t.Errorf("stored %+v, returned %+v", stored, again)
	}
	if m.Rev != 0 || again.Rev != 2 {
		t.Errorf("revs %d then %d, want 0 when queued and 2 after failing and the retry", m.Rev, again.Rev)
	}
	ids := entriesOf(t, db, m.ID)
	if len(ids) != 2 || ids[0] != first.ID {
		t.Fatalf("entries = %v, want the failed one and a new one", ids)
	}
	if old, e := readOutbox(t, db, ids[0]), readOutbox(t, db, ids[1]); old.State != "failed" || e.State != "queued" ||
		e.Key != "k2" || e.Attempts != 0 || !e.NextAttemptAt.Equal(at) || e.Request.Text != "Hi" || e.Request.To != customerPhone {
		t.Errorf("old entry %+v, new entry %+v", old, e)
	}
	next := mustClaim(t, db, at)
	if len(next) != 1 || next[0].ID != ids[1] || next[0].Message.IdempotencyKey != "k2" || next[0].Attempts != 1 {
		t.Fatalf("after the retry the outbox gives %+v, want the reply under the new key", next)
	}

	// A delivered reply is not retried.
	if _, err := db.OutboxSent(ctx, next[0].ID, inbox.SendResult{ZavuID: "msg_zavu", Status: inbox.StatusQueued}, at); err != nil {
		t.Fatal(err)
	}
	mustIngest(t, db, statusEvent("evt_d", "msg_zavu", inbox.StatusDelivered, t0.Add(4*time.Minute)))
	if _, _, err := db.RetryReply(ctx, m.ID, "k3", t0.Add(5*time.Minute)); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("retrying a delivered reply: %v, want ErrConflict", err)
	}

	// Nor is a failed message sent from the phone app: Switchboard did not
	// write it.
	mustIngest(t, db, &inbox.Event{ID: "evt_echo", Type: inbox.EventMessageSent, Timestamp: t0.Add(6 * time.Minute),
		SenderID: "snd_1", Raw: []byte(`{}`), Echo: &inbox.Echo{MessageID: "msg_echo", From: "+13125550000",
			To: customerPhone, Channel: inbox.WhatsApp, Type: inbox.TypeText, Text: "From my phone"}},
		statusEvent("evt_echo_failed", "msg_echo", inbox.StatusFailed, t0.Add(7*time.Minute)))
	echo, err := db.MessageByZavuID(ctx, "msg_echo")
	if err != nil || echo.Status != inbox.StatusFailed || echo.Source != inbox.SourcePhoneApp {
		t.Fatalf("echo = %+v %v", echo, err)
	}
	if _, _, err := db.RetryReply(ctx, echo.ID, "k4", t0.Add(8*time.Minute)); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("retrying an echo: %v, want ErrConflict", err)
	}
	if _, _, err := db.RetryReply(ctx, 999, "k5", t0); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("retrying no message: %v, want ErrNotFound", err)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox`); n != 2 {
		t.Errorf("the refused retries left entries: %d, want 2", n)
	}
}

// scripted is a Messenger that answers each send from a script, by the
// reply's text, and records every send.
type scripted struct {
	mu      sync.Mutex
	answers map[string][]error // by text; nil (or none left) is a success
	sends   []inbox.OutgoingMessage
}

func (s *scripted) Send(ctx context.Context, m inbox.OutgoingMessage) (inbox.SendResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sends = append(s.sends, m)
	var err error
	if a := s.answers[m.Text]; len(a) > 0 {
		err, s.answers[m.Text] = a[0], a[1:]
	}
	if err != nil {
		return inbox.SendResult{}, err
	}
	return inbox.SendResult{ZavuID: fmt.Sprintf("msg_z%d", len(s.sends)), Status: inbox.StatusQueued}, nil
}

// keys lists the idempotency keys sent for a reply's text, in order.
func (s *scripted) keys(text string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for _, m := range s.sends {
		if m.Text == text {
			keys = append(keys, m.IdempotencyKey)
		}
	}
	return keys
}

// published records what the outbox publishes.
type published struct {
	mu      sync.Mutex
	changes []inbox.Change
}

func (p *published) Publish(c inbox.Change) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.changes = append(p.changes, c)
}

// outboxRig is an outbox worker on a fresh database, with one WhatsApp
// conversation, a scripted Messenger and a clock the test moves.
type outboxRig struct {
	t    *testing.T
	db   *DB
	conv int64
	msgr *scripted
	pub  *published
	ob   *inbox.Outbox
	now  time.Time
}

func newOutboxRig(t *testing.T) *outboxRig {
	r := &outboxRig{t: t, db: openTest(t), msgr: &scripted{answers: map[string][]error{}}, pub: &published{}}
	r.conv = conversationWith(t, r.db, customerPhone, t0)
	r.now = t0.Add(time.Minute)
	r.ob = inbox.NewOutbox(r.db, r.msgr, r.pub, nil)
	r.ob.Now = func() time.Time { return r.now }
	return r
}

// drain runs one Drain and returns how many entries it took.
func (r *outboxRig) drain() int {
	r.t.Helper()
	n, err := r.ob.Drain(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// queue queues a reply with this text, scripted to meet answers.
func (r *outboxRig) queue(text string, answers ...error) inbox.Message {
	r.t.Helper()
	r.msgr.answers[text] = answers
	return mustQueue(r.t, r.db, reply(r.conv, text, "key "+text, r.now))
}

func (r *outboxRig) message(id int64) inbox.Message {
	r.t.Helper()
	m, err := r.db.Message(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

// nextAttempt is when the outbox's next entry is due.
func (r *outboxRig) nextAttempt() time.Time {
	r.t.Helper()
	at, ok, err := r.db.NextOutboxAttempt(context.Background())
	if err != nil || !ok {
		r.t.Fatalf("next attempt: %v %v", ok, err)
	}
	return at
}

func TestOutboxSends(t *testing.T) {
	r := newOutboxRig(t)
	m := r.queue("Hi")
	if n := r.drain(); n != 1 {
		t.Fatalf("drain took %d entries", n)
	}
	got := r.message(m.ID)
	if got.ZavuID != "msg_z1" || got.Status != inbox.StatusQueued || !got.StatusTimes.Queued.Equal(r.now) {
		t.Errorf("after the send: %+v", got)
	}
	if keys := r.msgr.keys("Hi"); !reflect.DeepEqual(keys, []string{"key Hi"}) {
		t.Errorf("sends: %v", keys)
	}
	if len(r.pub.changes) != 1 || !slices.Contains(r.pub.changes[0].MessageIDs, m.ID) {
		t.Errorf("published %+v", r.pub.changes)
	}
	if n := r.drain(); n != 0 {
		t.Errorf("a second drain took %d entries", n)
	}
	if _, ok, _ := r.db.NextOutboxAttempt(context.Background()); ok {
		t.Error("something still waits")
	}
}

func TestOutboxRetriesTemporaryFailuresWithTheSameKey(t *testing.T) {
	r := newOutboxRig(t)
	m := r.queue("Hi",
		&inbox.SendError{Temporary: true, Code: "503", Message: "Service Unavailable"},
		&inbox.SendError{Temporary: true, Code: "rate_limited", Message: "Slow down", RetryAfter: 30 * time.Second},
		errors.New("connection reset by peer"), // not a SendError: taken as temporary
	)
	r.drain()
	if want := r.now.Add(inbox.Backoff(1, 0)); !r.nextAttempt().Equal(want) {
		t.Errorf("after a 503 the next attempt is at %v, want %v (Backoff)", r.nextAttempt(), want)
	}
	e := readOutbox(t, r.db, entriesOf(t, r.db, m.ID)[0])
	if e.State != "queued" || e.Attempts != 1 || e.LastError != "Zavu is unavailable (503)" {
		t.Errorf("entry after a temporary failure: %+v", e)
	}
	// The reply stays pending and says why it waits, and until when, on
	// every page.
	wait := inbox.SendWait{Reason: "Zavu is unavailable (503)", NextAttemptAt: r.now.Add(inbox.Backoff(1, 0)), Attempts: 1}
	if got := r.message(m.ID); got.Status != inbox.StatusPending || got.Waiting == nil || *got.Waiting != wait || got.Rev != m.Rev+1 {
		t.Errorf("after a temporary failure the reply is %s, waiting %+v, rev %d; want pending, waiting %+v, rev %d",
			got.Status, got.Waiting, got.Rev, wait, m.Rev+1)
	}
	if len(r.pub.changes) != 1 || !slices.Contains(r.pub.changes[0].MessageIDs, m.ID) {
		t.Errorf("after a temporary failure the outbox published %+v, want the reply", r.pub.changes)
	}
	r.now = r.now.Add(inbox.Backoff(1, 0) - time.Millisecond)
	if n := r.drain(); n != 0 {
		t.Fatalf("sent again before the backoff ended: %d", n)
	}
	r.now = r.now.Add(time.Millisecond)
	if n := r.drain(); n != 1 {
		t.Fatalf("not sent again when the backoff ended: %d", n)
	}

	// 429 with Retry-After: 30 s wins over Backoff(2) = 4 s.
	if want := r.now.Add(30 * time.Second); !r.nextAttempt().Equal(want) {
		t.Errorf("after Retry-After 30s the next attempt is at %v, want %v", r.nextAttempt(), want)
	}
	r.now = r.now.Add(29 * time.Second)
	if n := r.drain(); n != 0 {
		t.Fatal("Retry-After not honoured")
	}
	r.now = r.now.Add(time.Second)
	r.drain()
	if want := r.now.Add(inbox.Backoff(3, 0)); !r.nextAttempt().Equal(want) {
		t.Errorf("after a network error the next attempt is at %v, want %v", r.nextAttempt(), want)
	}
	if got := r.message(m.ID).Waiting; got == nil || got.Reason != "Zavu could not be reached" {
		t.Errorf("after a network error the reply waits with %+v", got)
	}
	r.now = r.now.Add(inbox.Backoff(3, 0))
	r.drain()

	got := r.message(m.ID)
	if got.ZavuID != "msg_z4" || got.Status != inbox.StatusQueued || got.ErrorMessage != "" || got.Waiting != nil {
		t.Errorf("after four attempts: %+v", got)
	}
	if keys := r.msgr.keys("Hi"); !reflect.DeepEqual(keys, []string{"key Hi", "key Hi", "key Hi", "key Hi"}) {
		t.Errorf("keys sent: %v, want the same every time", keys)
	}
	if e := readOutbox(t, r.db, entriesOf(t, r.db, m.ID)[0]); e.State != "sent" || e.Attempts != 4 {
		t.Errorf("entry = %+v", e)
	}
}

func TestOutboxFailsOnAPermanentError(t *testing.T) {
	r := newOutboxRig(t)
	m := r.queue("Hi", &inbox.SendError{Code: "insufficient_balance", Message: "Insufficient balance"})
	r.drain()
	got := r.message(m.ID)
	want := inbox.ExplainFailure("insufficient_balance", "Insufficient balance")
	if got.Status != inbox.StatusFailed || got.ErrorCode != "insufficient_balance" || got.ErrorMessage != want {
		t.Errorf("after a permanent error: %+v, want failed with %q", got, want)
	}
	if len(r.pub.changes) != 1 || !slices.Contains(r.pub.changes[0].MessageIDs, m.ID) {
		t.Errorf("published %+v", r.pub.changes)
	}
	r.now = r.now.Add(time.Hour)
	if n := r.drain(); n != 0 || len(r.msgr.keys("Hi")) != 1 {
		t.Errorf("a permanent failure was sent again: %d, %v", n, r.msgr.keys("Hi"))
	}

	// The agent's Retry really sends again, under a new key.
	if _, _, err := r.db.RetryReply(context.Background(), m.ID, "key Hi again", r.now); err != nil {
		t.Fatal(err)
	}
	r.drain()
	if got := r.message(m.ID); got.Status != inbox.StatusQueued || got.ZavuID == "" || got.ErrorMessage != "" {
		t.Errorf("after the retry: %+v", got)
	}
	if keys := r.msgr.keys("Hi"); !reflect.DeepEqual(keys, []string{"key Hi", "key Hi again"}) {
		t.Errorf("keys sent: %v", keys)
	}
}

func TestOutboxGivesUpAfterMaxSendAttempts(t *testing.T) {
	r := newOutboxRig(t)
	var answers []error
	for range inbox.MaxSendAttempts {
		answers = append(answers, &inbox.SendError{Temporary: true, Message: "timeout"})
	}
	m := r.queue("Hi", answers...)
	for i := range inbox.MaxSendAttempts {
		if n := r.drain(); n != 1 {
			t.Fatalf("attempt %d: drain took %d", i+1, n)
		}
		if got := r.message(m.ID); (got.Status == inbox.StatusFailed) != (i == inbox.MaxSendAttempts-1) {
			t.Fatalf("after attempt %d the message is %s", i+1, got.Status)
		}
		if i < inbox.MaxSendAttempts-1 {
			r.now = r.nextAttempt()
		}
	}
	got := r.message(m.ID)
	if got.Status != inbox.StatusFailed || !strings.Contains(got.ErrorMessage, fmt.Sprint(inbox.MaxSendAttempts)) ||
		!strings.Contains(got.ErrorMessage, "did not answer in time") {
		t.Errorf("after %d temporary failures: %+v", inbox.MaxSendAttempts, got)
	}
	keys := r.msgr.keys("Hi")
	if len(keys) != inbox.MaxSendAttempts || slices.ContainsFunc(keys, func(k string) bool { return k != "key Hi" }) {
		t.Errorf("keys sent: %v", keys)
	}
	if _, ok, _ := r.db.NextOutboxAttempt(context.Background()); ok {
		t.Error("a failed reply still waits")
	}
}

func TestOutboxSendsEachConversationInOrder(t *testing.T) {
	r := newOutboxRig(t)
	other := conversationWith(t, r.db, "+14155550199", t0)
	var want []string
	for i := range 6 {
		text := fmt.Sprintf("reply %d", i)
		conv := r.conv
		if i%2 == 1 {
			conv = other
		}
		mustQueue(t, r.db, reply(conv, text, "key "+text, r.now))
		want = append(want, text)
	}
	if n := r.drain(); n != 6 {
		t.Fatalf("drain took %d", n)
	}
	byTo := map[string][]string{}
	for _, m := range r.msgr.sends {
		byTo[m.To] = append(byTo[m.To], m.Text)
	}
	if got := byTo[customerPhone]; !reflect.DeepEqual(got, []string{want[0], want[2], want[4]}) {
		t.Errorf("sent to %s in the order %v", customerPhone, got)
	}
	if got := byTo["+14155550199"]; !reflect.DeepEqual(got, []string{want[1], want[3], want[5]}) {
		t.Errorf("sent to the other in the order %v", got)
	}
}

// answering gives every send the same Zavu id.
type answering struct{ id string }

func (a answering) Send(context.Context, inbox.OutgoingMessage) (inbox.SendResult, error) {
	return inbox.SendResult{ZavuID: a.id, Status: inbox.StatusQueued}, nil
}

// An answer that can never be recorded fails the reply at once, instead of
// resending it every time the lease runs out.
func TestOutboxFailsAnAnswerItCannotRecord(t *testing.T) {
	customers := "msg_in_" + customerPhone + "_" + t0.Format("150405") // conversationWith's message
	for name, id := range map[string]string{"no id": "", "the id of the customer's message": customers} {
		t.Run(name, func(t *testing.T) {
			r := newOutboxRig(t)
			m := r.queue("Hi")
			r.ob.Messenger = answering{id: id}
			r.drain()
			got := r.message(m.ID)
			if got.Status != inbox.StatusFailed || got.ErrorMessage == "" {
				t.Fatalf("reply after an unrecordable answer: %+v", got)
			}
			r.now = r.now.Add(inbox.SendLease + time.Minute)
			if n := r.drain(); n != 0 {
				t.Errorf("the reply went again: %d", n)
			}
		})
	}
}
