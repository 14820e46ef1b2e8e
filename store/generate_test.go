package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"switchboard/inbox"
)

// generated returns a database filled by Generate with g, after adding
// two active agents and an inactive one.
func generated(t *testing.T, g Generation) *DB {
	t.Helper()
	return generatedIn(t, openTest(t), g)
}

// generatedOnSQLite is generated on SQLite, whichever engine t runs on.
func generatedOnSQLite(t *testing.T, g Generation) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "switchboard.db"), WithReportPacking(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return generatedIn(t, db, g)
}

func generatedIn(t *testing.T, db *DB, g Generation) *DB {
	t.Helper()
	ctx := context.Background()
	for _, u := range []inbox.User{
		{Email: "ana@example.com", Name: "Ana", Role: inbox.RoleAgent, Active: true},
		{Email: "ben@example.com", Name: "Ben", Role: inbox.RoleAdmin, Active: true},
		{Email: "gone@example.com", Name: "Gone", Role: inbox.RoleAgent, Active: false},
	} {
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Generate(ctx, g); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestGenerateMakesConsistentConversations(t *testing.T) {
	g := Generation{Conversations: 60, Messages: 700, LargeThread: 200, Senders: []string{"snd_a", "snd_b", "snd_c"}, Now: t0}
	db := generated(t, g)
	ctx := context.Background()

	for q, want := range map[string]int{
		`SELECT count(*) FROM conversations`:                                                                         60,
		`SELECT count(*) FROM messages`:                                                                              700,
		`SELECT count(*) FROM contacts`:                                                                              60,
		`SELECT count(DISTINCT contact_id) FROM conversations`:                                                       60,
		`SELECT count(*) FROM users`:                                                                                 3, // no agents added: there are active users
		`SELECT count(*) FROM senders WHERE id IN ('snd_a', 'snd_b', 'snd_c')`:                                       3,
		`SELECT count(DISTINCT sender_id) FROM conversations`:                                                        3,
		`SELECT count(DISTINCT channel) FROM conversations`:                                                          2,
		`SELECT count(DISTINCT status) FROM conversations`:                                                           2,
		`SELECT count(*) > 0 FROM conversations WHERE assignee_id IS NULL`:                                           1,
		`SELECT count(*) > 0 FROM conversations WHERE assignee_id IS NOT NULL`:                                       1,
		`SELECT count(*) FROM conversations WHERE assignee_id = 3`:                                                   0, // inactive
		`SELECT count(*) FROM messages WHERE author_id = 3`:                                                          0,
		`SELECT count(*) FROM messages GROUP BY conversation_id ORDER BY 1 DESC LIMIT 1`:                             200,
		`SELECT count(*) FROM (SELECT conversation_id FROM messages GROUP BY conversation_id HAVING count(*) = 200)`: 1,
		`SELECT count(*) > 1 FROM (SELECT DISTINCT text FROM messages)`:                                              1,
		`SELECT count(*) > 0 FROM messages WHERE type = 'image'`:                                                     1,
		`SELECT count(*) FROM conversation_reads r JOIN conversations c ON c.id = r.conversation_id
			WHERE r.user_id IS NOT c.assignee_id OR r.read_count > c.inbound_count`: 0,
	} {
		if n := count(t, db, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}

	// Every conversation's denormalised columns agree with its messages.
	if n := count(t, db, `SELECT count(*) FROM conversations c WHERE
		c.inbound_count <> (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'inbound')
		OR c.last_message_id IS NOT (SELECT m.id FROM messages m WHERE m.conversation_id = c.id
			ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
		OR c.last_message_at IS NOT (SELECT max(m.created_at) FROM messages m WHERE m.conversation_id = c.id)
		OR c.last_inbound_at IS NOT (SELECT max(m.created_at) FROM messages m
			WHERE m.conversation_id = c.id AND m.direction = 'inbound')
		OR c.created_at IS NOT (SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = c.id)
		OR c.updated_at <> c.last_message_at
		OR c.channel <> (SELECT max(m.channel) FROM messages m WHERE m.conversation_id = c.id)`); n != 0 {
		t.Errorf("%d conversations disagree with their messages", n)
	}
	// Threads alternate, the customer first, and times grow.
	if n := count(t, db, `SELECT count(*) FROM (
		SELECT direction, created_at,
			lag(direction) OVER w AS prev_direction, lag(created_at) OVER w AS prev_at
		FROM messages WINDOW w AS (PARTITION BY conversation_id ORDER BY created_at, id))
		WHERE direction IS prev_direction OR (prev_direction IS NULL AND direction <> 'inbound')
			OR created_at <= prev_at`); n != 0 {
		t.Errorf("%d messages break the alternation or the order of their thread", n)
	}
	span := t0.Add(-generateSpan).UnixMilli()
	if n := count(t, db, `SELECT count(*) FROM messages WHERE created_at < ? OR created_at > ?
		OR coalesce(read_at, delivered_at, sent_at, failed_at, created_at) > ?`, span, t0.UnixMilli(), t0.UnixMilli()); n != 0 {
		t.Errorf("%d messages outside the 30 days before Now", n)
	}
	if n := count(t, db, `SELECT count(*) FROM messages WHERE
		(direction = 'inbound') <> (status = 'received') OR (direction = 'inbound') <> (source = 'customer')
		OR (status <> 'received' AND queued_at IS NULL) OR (status = 'failed') <> (failed_at IS NOT NULL)
		OR (status IN ('delivered', 'read')) <> (delivered_at IS NOT NULL) OR (status = 'read') <> (read_at IS NOT NULL)
		OR (source = 'agent') <> (author_id IS NOT NULL) OR zavu_id IS NULL
		OR (type = 'image' AND (channel <> 'whatsapp' OR content IS NULL))`); n != 0 {
		t.Errorf("%d messages with statuses, sources or content that do not go together", n)
	}

	// Every message reads back; the previews are inbox.Preview's.
	convs := allConversations(t, db, inbox.ConversationFilter{})
	if len(convs) != 60 {
		t.Fatalf("listed %d conversations, want 60", len(convs))
	}
	for i, c := range convs {
		if i > 0 {
			prev := convs[i-1]
			if c.LastMessageAt.After(prev.LastMessageAt) || (c.LastMessageAt.Equal(prev.LastMessageAt) && c.ID > prev.ID) {
				t.Errorf("conversation %d (%v) listed after %d (%v): not newest first", c.ID, c.LastMessageAt, prev.ID, prev.LastMessageAt)
			}
		}
		m, err := db.Message(ctx, c.LastMessageID)
		if err != nil {
			t.Fatal(err)
		}
		if p := inbox.Preview(m); p != c.LastMessagePreview || p == "" {
			t.Errorf("conversation %d: preview %q, its last message's is %q", c.ID, c.LastMessagePreview, p)
		}
		if !m.Status.Valid() {
			t.Errorf("message %d: status %q", m.ID, m.Status)
		}
		if c.Contact.Phone == "" || (c.Channel == inbox.SMS && c.Contact.Name != "") {
			t.Errorf("conversation %d on %s: contact %+v", c.ID, c.Channel, c.Contact)
		}
		// The assignee has read all but a customer's last message waiting
		// in an open conversation; nobody else has read anything.
		if c.AssigneeID != nil {
			mine, err := db.ConversationFor(ctx, c.ID, *c.AssigneeID)
			if err != nil {
				t.Fatal(err)
			}
			want := int64(0)
			if c.Status == inbox.Open && m.Direction == inbox.Inbound {
				want = 1
			}
			if mine.UnreadCount != want {
				t.Errorf("conversation %d: %d unread for its assignee, want %d", c.ID, mine.UnreadCount, want)
			}
		} else if c.UnreadCount != c.InboundCount {
			t.Errorf("unassigned conversation %d: %d unread of %d", c.ID, c.UnreadCount, c.InboundCount)
		}
	}
	// The large thread is the latest, open, and pages back in order.
	large := convs[0]
	if large.InboundCount != 100 || large.Status != inbox.Open {
		t.Errorf("latest conversation: %+v, want the large thread, open", large)
	}
	var thread []inbox.Message
	for cursor := ""; ; {
		page, next, err := db.Messages(ctx, large.ID, inbox.MessageFilter{Limit: 64, Before: cursor})
		if err != nil {
			t.Fatal(err)
		}
		thread = append(page, thread...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(thread) != 200 || thread[199].ID != large.LastMessageID || thread[0].Direction != inbox.Inbound {
		t.Errorf("large thread: %d messages, last %d (want 200, last %d)", len(thread), thread[len(thread)-1].ID, large.LastMessageID)
	}
	open, _, err := db.Conversations(ctx, inbox.ConversationFilter{Status: inbox.Open, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	resolved, _, err := db.Conversations(ctx, inbox.ConversationFilter{Status: inbox.Resolved, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) == 0 || len(resolved) == 0 || len(open)+len(resolved) != 60 {
		t.Errorf("%d open and %d resolved conversations, want some of each, 60 in all", len(open), len(resolved))
	}

	// A second run finds the conversations and adds nothing.
	err = db.Generate(ctx, g)
	if !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("Generate on a filled database: %v, want ErrConflict", err)
	}
	if n := count(t, db, `SELECT count(*) FROM messages`); n != 700 {
		t.Errorf("%d messages after the refused run", n)
	}
}

// allConversations pages through a list to its end.
func allConversations(t *testing.T, db *DB, f inbox.ConversationFilter) []inbox.Conversation {
	t.Helper()
	var all []inbox.Conversation
	f.Limit = 25
	for {
		page, next, err := db.Conversations(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		f.Cursor = next
	}
}

func TestGenerateAddsAgentsWhenThereAreNone(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if err := db.Generate(ctx, Generation{Conversations: 40, Messages: 40, Senders: []string{"snd_1"}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != len(generateAgents) {
		t.Fatalf("%d users, want the %d generated agents", len(users), len(generateAgents))
	}
	for _, u := range users {
		if !u.Active || u.Role != inbox.RoleAgent || u.PasswordHash != "" {
			t.Errorf("generated agent %+v: want an active agent who cannot sign in", u)
		}
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM messages`:                                        40,
		`SELECT count(*) FROM messages WHERE direction = 'inbound'`:            40,
		`SELECT count(*) > 0 FROM conversations WHERE assignee_id IS NOT NULL`: 1,
		`SELECT count(*) > 0 FROM conversations WHERE assignee_id IS NULL`:     1,
	} {
		if n := count(t, db, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	g := Generation{Conversations: 30, Messages: 300, LargeThread: 50, Senders: []string{"snd_1", "snd_2"}, Now: t0}
	// The second run is on SQLite: on PostgreSQL, the same data as there.
	var sums [2]string
	for i, db := range []*DB{generated(t, g), generatedOnSQLite(t, g)} {
		if err := db.reader.QueryRow(`SELECT group_concat(id || direction || type || text || status || created_at || coalesce(author_id || '', ''), '|')
			FROM (SELECT * FROM messages ORDER BY id)`).Scan(&sums[i]); err != nil {
			t.Fatal(err)
		}
	}
	if sums[0] != sums[1] || sums[0] == "" {
		t.Error("two runs of the same generation made different messages")
	}
}

func TestGenerateOneConversation(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if err := db.Generate(ctx, Generation{Conversations: 1, Messages: 25, LargeThread: 25, Senders: []string{"snd_1"}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	convs, _, err := db.Conversations(ctx, inbox.ConversationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 1 || convs[0].InboundCount != 13 || !convs[0].LastMessageAt.Equal(t0.Add(-time.Minute)) {
		t.Errorf("conversations: %+v", convs)
	}
	// A webhook afterwards makes a contact, conversation and message of
	// new ids.
	mustIngest(t, db, inboundEvent("evt_after", "+15550009999", "msg_after", "hello", t0))
	if convs, _, err = db.Conversations(ctx, inbox.ConversationFilter{}); err != nil || len(convs) != 2 || convs[0].ID == convs[1].ID {
		t.Errorf("after a webhook: %+v, %v", convs, err)
	}
}

func TestGenerateRefusesWhatCannotBeMade(t *testing.T) {
	db := openTest(t)
	snd := []string{"snd_1"}
	for name, g := range map[string]Generation{
		"no conversations":             {Conversations: 0, Messages: 10, Senders: snd},
		"fewer messages":               {Conversations: 10, Messages: 9, Senders: snd},
		"negative large thread":        {Conversations: 10, Messages: 20, LargeThread: -1, Senders: snd},
		"large thread leaves too few":  {Conversations: 10, Messages: 20, LargeThread: 12, Senders: snd},
		"one conversation, more":       {Conversations: 1, Messages: 20, LargeThread: 10, Senders: snd},
		"no senders":                   {Conversations: 10, Messages: 20},
		"a sender with no id":          {Conversations: 10, Messages: 20, Senders: []string{"snd_1", ""}},
		"large thread beyond messages": {Conversations: 1, Messages: 5, LargeThread: 6, Senders: snd},
	} {
		if err := db.Generate(context.Background(), g); !errors.Is(err, inbox.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM users`); n != 0 {
		t.Errorf("refused runs added %d users", n)
	}
}

// BenchmarkGenerate fills a database the size "switchboard bench" uses:
//
//	go test ./store -run '^$' -bench Generate -benchtime 1x
func BenchmarkGenerate(b *testing.B) {
	g := Generation{Conversations: 100_000, Messages: 1_000_000, LargeThread: 10_000,
		Senders: []string{"snd_bench_1", "snd_bench_2"}, Now: t0}
	for range b.N {
		b.StopTimer()
		db := openTest(b, WithSessionCleanup(0))
		b.StartTimer()
		if err := db.Generate(context.Background(), g); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
	}
	b.ReportMetric(float64(g.Messages)*float64(b.N)/b.Elapsed().Seconds(), "messages/s")
}
