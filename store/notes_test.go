package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// notesTeam creates Ana and Ben Okafor and returns their ids.
func notesTeam(t *testing.T, db *DB) (ana, ben int64) {
	t.Helper()
	ctx := context.Background()
	for _, u := range []*inbox.User{
		{Email: "ana@example.com", Name: "Ana María", Role: inbox.RoleAgent, Active: true},
		{Email: "ben@example.com", Name: "Ben Okafor", Role: inbox.RoleAgent, Active: true},
	} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if ana == 0 {
			ana = u.ID
		} else {
			ben = u.ID
		}
	}
	return ana, ben
}

// A note stays inside the team: nothing reaches the outbox, the
// conversation's preview, order, unread count and window stay what the
// customer's messages make them, reports count no reply, and yet search
// finds it and the thread shows it in time order.
func TestNoteNeverReachesTheOutboxNorCountsAsAReply(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben := notesTeam(t, db)
	conv := conversationWith(t, db, customerPhone, t0)
	before, err := db.ConversationFor(ctx, conv, ben)
	if err != nil {
		t.Fatal(err)
	}

	m, mentioned, ch, err := db.AddNote(ctx, inbox.Note{ConversationID: conv, AuthorID: &ana,
		Text: "Refund W-7781 approved, @Ben Okafor please confirm", At: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Direction != inbox.Internal || m.Type != inbox.TypeNote || len(ch.MessageIDs) != 1 {
		t.Fatalf("note %+v, change %+v", m, ch)
	}
	if len(mentioned) != 1 || mentioned[0] != ben {
		t.Errorf("mentioned %v, want [%d]", mentioned, ben)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("the outbox holds %d entries after a note", n)
	}
	if es := mustClaim(t, db, t0.Add(time.Hour)); len(es) != 0 {
		t.Errorf("the outbox hands out %d sends after a note", len(es))
	}
	// A late, older message from the customer derives the conversation
	// again: the note is still not its latest message.
	mustIngest(t, db, inboundEvent("evt_early", customerPhone, "msg_early", "Hi, earlier", t0.Add(-time.Minute)))
	before.UnreadCount++
	after, err := db.ConversationFor(ctx, conv, ben)
	if err != nil {
		t.Fatal(err)
	}
	if after.LastMessagePreview != before.LastMessagePreview || !after.LastMessageAt.Equal(before.LastMessageAt) ||
		after.LastMessageID != before.LastMessageID || after.UnreadCount != before.UnreadCount ||
		!after.WindowClosesAt().Equal(before.WindowClosesAt()) {
		t.Errorf("the note moved the conversation: before %+v after %+v", before, after)
	}
	s, err := db.ReportSummary(ctx, inbox.ReportFilter{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if s.OutboundMessages != 0 || s.FirstResponse.Count != 0 || len(s.ByAgent) != 0 && s.ByAgent[0].Replies != 0 {
		t.Errorf("a note counted as a reply: %+v", s)
	}

	// A reply after the note is the first response, and the preview.
	r := reply(conv, "Confirmed, refund on its way", "k1", t0.Add(2*time.Minute))
	r.AuthorID = &ben
	sendReply(t, db, r)
	if s, err = db.ReportSummary(ctx, inbox.ReportFilter{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}, time.UTC); err != nil {
		t.Fatal(err)
	}
	if s.FirstResponse.Count != 1 || s.FirstResponse.P50 != 180 {
		t.Errorf("first response %+v, want one of 180 s from the first message (the note does not count)", s.FirstResponse)
	}

	{
		hits, _, err := db.Search(ctx, inbox.SearchFilter{Query: "W-7781"})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 || hits[0].MessageID != m.ID {
			t.Errorf("search for the note found %+v", hits)
		}
	}
	ms, _, err := db.Messages(ctx, conv, inbox.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 4 || ms[2].ID != m.ID || ms[2].Text != m.Text {
		t.Errorf("thread %+v, want the note between the message and the reply", ms)
	}
}

func TestNoteRefusesEmptyTextAndUnknownConversation(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, _ := notesTeam(t, db)
	conv := conversationWith(t, db, customerPhone, t0)
	if _, _, _, err := db.AddNote(ctx, inbox.Note{ConversationID: conv, AuthorID: &ana, Text: "  \n", At: t0}); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("empty note: %v", err)
	}
	if _, _, _, err := db.AddNote(ctx, inbox.Note{ConversationID: conv + 99, AuthorID: &ana, Text: "hi", At: t0}); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("note on no conversation: %v", err)
	}
}

// Mentions are kept per conversation, unseen first, and opening the
// conversation sees them.
func TestMentionsListUnseenFirstAndGetSeen(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben := notesTeam(t, db)
	c1 := conversationWith(t, db, customerPhone, t0)
	c2 := conversationWith(t, db, "+14155550101", t0)
	for i, c := range []int64{c1, c2, c1} {
		if _, _, _, err := db.AddNote(ctx, inbox.Note{ConversationID: c, AuthorID: &ana,
			Text: "@ben okafor: look", At: t0.Add(time.Duration(i+1) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	// Ana mentioning herself is no mention.
	if _, mentioned, _, err := db.AddNote(ctx, inbox.Note{ConversationID: c1, AuthorID: &ana, Text: "@Ana María note to self", At: t0}); err != nil || len(mentioned) != 0 {
		t.Fatalf("self mention: %v %v", mentioned, err)
	}
	if n, err := db.UnseenMentions(ctx, ben); err != nil || n != 2 {
		t.Fatalf("unseen %d %v, want 2 conversations", n, err)
	}
	if seen, err := db.MarkMentionsSeen(ctx, c1, ben, t0.Add(time.Hour)); err != nil || !seen {
		t.Fatalf("mark seen: %v %v", seen, err)
	}
	if seen, err := db.MarkMentionsSeen(ctx, c1, ben, t0.Add(time.Hour)); err != nil || seen {
		t.Fatalf("mark seen twice: %v %v", seen, err)
	}
	ms, err := db.Mentions(ctx, ben, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].ConversationID != c2 || ms[0].Unseen != 1 || ms[1].ConversationID != c1 || ms[1].Unseen != 0 {
		t.Fatalf("mentions %+v, want c2 (unseen) then c1 (seen)", ms)
	}
	if ms[1].Note.Text != "@ben okafor: look" || ms[1].Conversation.Contact.Phone != customerPhone {
		t.Errorf("mention carries %+v", ms[1])
	}
	if n, err := db.UnseenMentions(ctx, ben); err != nil || n != 1 {
		t.Errorf("unseen %d %v, want 1", n, err)
	}
	if ms, err := db.Mentions(ctx, ana, 10); err != nil || len(ms) != 0 {
		t.Errorf("ana's mentions %+v %v", ms, err)
	}
}

// The send guard: a reply that names the message its draft started from
// is stopped by what the agent has not seen since, and goes once the
// agent has seen it.
func TestSendGuard(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben := notesTeam(t, db)
	conv := conversationWith(t, db, customerPhone, t0)
	thread := func() int64 {
		ms, _, err := db.Messages(ctx, conv, inbox.MessageFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var max int64
		for _, m := range ms {
			max = maxID(max, m.ID)
		}
		return max
	}
	at := t0
	n := 0
	send := func(who int64, since int64) (inbox.Message, error) {
		n++
		at = at.Add(time.Second)
		r := reply(conv, "reply", fmtID("key", n), at)
		r.AuthorID, r.DraftSince = &who, &since
		m, _, err := db.QueueReply(ctx, r)
		return m, err
	}
	stopped := func(err error, want int) *inbox.DraftChanged {
		t.Helper()
		var dc *inbox.DraftChanged
		if !errors.As(err, &dc) || !errors.Is(err, inbox.ErrConflict) || len(dc.Messages) != want {
			t.Fatalf("want the guard to stop with %d changes, got %v", want, err)
		}
		return dc
	}

	// Nothing since: it goes.
	draft := thread()
	if _, err := send(ana, draft); err != nil {
		t.Fatal(err)
	}
	// Ana's own reply does not stop her next one.
	if _, err := send(ana, draft); err != nil {
		t.Fatalf("own reply stopped the guard: %v", err)
	}

	// Ben answers while Ana has a draft: stopped with Ben's answer; the
	// second Send (from the newest id) goes.
	draft = thread()
	benReply, err := send(ben, draft)
	if err != nil {
		t.Fatal(err)
	}
	dc := stopped(func() error { _, err := send(ana, draft); return err }(), 1)
	if dc.Messages[0].ID != benReply.ID || dc.Latest != benReply.ID {
		t.Errorf("changes %+v latest %d, want Ben's reply %d", dc.Messages, dc.Latest, benReply.ID)
	}
	if n := count(t, db, `SELECT count(*) FROM messages WHERE author_id = ? AND direction = 'outbound'`, ana); n != 2 {
		t.Errorf("a stopped reply was stored: ana has %d replies", n)
	}
	if _, err := send(ana, dc.Latest); err != nil {
		t.Fatalf("second send: %v", err)
	}

	// The customer writes, Ben notes, and the conversation goes to Ben.
	draft = thread()
	mustIngest(t, db, inboundEvent("evt_again", customerPhone, "msg_again", "Any news?", at.Add(time.Second)))
	if _, _, _, err := db.AddNote(ctx, inbox.Note{ConversationID: conv, AuthorID: &ben, Text: "I'll take it", At: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Assign(ctx, conv, &ben, at); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.RecordActivity(ctx, inbox.ThreadActivity{ConversationID: conv, Kind: inbox.ActivityAssigned,
		ActorID: &ben, TargetID: &ben, At: at}); err != nil {
		t.Fatal(err)
	}
	dc = stopped(func() error { _, err := send(ana, draft); return err }(), 3)
	if dc.Messages[0].Direction != inbox.Inbound || dc.Messages[1].Type != inbox.TypeNote || dc.Messages[2].Type != inbox.TypeActivity {
		t.Errorf("changes %+v", dc.Messages)
	}
	// Without the field the API is unaffected.
	r := reply(conv, "api reply", "k-api", at.Add(time.Minute))
	if _, _, err := db.QueueReply(ctx, r); err != nil {
		t.Errorf("a reply without draftSince: %v", err)
	}
}

func maxID(a, b int64) int64 {
	if b > a {
		return b
	}
	return a
}

// Activity lines are internal messages in the thread that move nothing
// in the list.
func TestRecordActivityKeepsThePreview(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben := notesTeam(t, db)
	conv := conversationWith(t, db, customerPhone, t0)
	before, _ := db.Conversation(ctx, conv)
	m, ch, err := db.RecordActivity(ctx, inbox.ThreadActivity{ConversationID: conv, Kind: inbox.ActivityAssigned,
		ActorID: &ana, TargetID: &ben, At: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.MessageIDs) != 1 || m.Content == nil || m.Content.Activity == nil || *m.Content.Activity.TargetID != ben {
		t.Fatalf("activity %+v change %+v", m, ch)
	}
	got, err := db.Message(ctx, m.ID)
	if err != nil || got.Direction != inbox.Internal || got.Type != inbox.TypeActivity || got.Content.Activity.Kind != inbox.ActivityAssigned {
		t.Fatalf("stored %+v %v", got, err)
	}
	after, _ := db.Conversation(ctx, conv)
	if after.LastMessageID != before.LastMessageID || after.LastMessagePreview != before.LastMessagePreview {
		t.Errorf("an activity line became the preview: %+v", after)
	}
	if _, _, err := db.RecordActivity(ctx, inbox.ThreadActivity{ConversationID: conv + 5, Kind: inbox.ActivityResolved, At: t0}); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("activity on no conversation: %v", err)
	}
}

// A customer's message reopens a resolved conversation with a "Reopened"
// line under it; a message to an open one adds no line.
func TestCustomerMessageReopensWithAnActivityLine(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conv := conversationWith(t, db, customerPhone, t0)
	mustIngest(t, db, inboundEvent("evt_open", customerPhone, "msg_open", "still open", t0.Add(time.Minute)))
	if _, err := db.SetStatus(ctx, conv, inbox.Resolved, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	mustIngest(t, db, inboundEvent("evt_back", customerPhone, "msg_back", "It broke again", t0.Add(time.Hour)))
	c, err := db.Conversation(ctx, conv)
	if err != nil || c.Status != inbox.Open {
		t.Fatalf("conversation %+v %v, want open", c, err)
	}
	ms, _, err := db.Messages(ctx, conv, inbox.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range ms {
		k := string(m.Direction)
		if m.Type == inbox.TypeActivity {
			k = string(m.Content.Activity.Kind)
		}
		kinds = append(kinds, k)
	}
	if got := strings.Join(kinds, ","); got != "inbound,inbound,inbound,reopened" {
		t.Errorf("thread %s, want the reopening line after the message that reopened it", got)
	}
	if c.LastMessagePreview != "It broke again" {
		t.Errorf("preview %q", c.LastMessagePreview)
	}
}
