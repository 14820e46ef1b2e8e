package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// The same Zavu events in any order, with duplicates and late copies under
// new event ids, must give the same state as the JSON API shows it. These
// tests ingest generated streams through the real store, as webhooks are.

// apiConversation is what the JSON API shows of a conversation and its
// thread, keyed so that it does not depend on row ids.
type apiConversation struct {
	Status         string
	UnreadCount    int64
	LastMessageAt  string
	Preview        string
	WindowClosesAt string
	OptedOut       bool
	Messages       map[string]apiMessage // by Zavu id
}

type apiMessage struct {
	Direction string
	Type      string
	Text      string
	Status    string
	ErrorCode string
	Source    string
	Media     string
	Reactions []string
	CreatedAt string
}

func apiTime(t time.Time) string {
	if t.IsZero() {
		return "null"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// apiState reads the conversations of sender and their messages as the
// JSON API would list them. Keys leave out what names the run (see
// generate): conversations by channel and customer, messages by Zavu id,
// reactions by who and what.
func apiState(t testing.TB, db *DB, sender string) map[string]apiConversation {
	t.Helper()
	ctx := context.Background()
	out := map[string]apiConversation{}
	cursor := ""
	for {
		convs, next, err := db.Conversations(ctx, inbox.ConversationFilter{SenderID: sender, Limit: 100, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range convs {
			ac := apiConversation{
				Status: string(c.Status), UnreadCount: c.UnreadCount, LastMessageAt: apiTime(c.LastMessageAt),
				Preview: c.LastMessagePreview, WindowClosesAt: apiTime(c.WindowClosesAt()), OptedOut: c.OptedOut,
				Messages: map[string]apiMessage{},
			}
			before := ""
			for {
				ms, next, err := db.Messages(ctx, c.ID, inbox.MessageFilter{Limit: 100, Before: before})
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					am := apiMessage{
						Direction: string(m.Direction), Type: string(m.Type), Text: m.Text, Status: string(m.Status),
						ErrorCode: m.ErrorCode, Source: string(m.Source), CreatedAt: apiTime(m.CreatedAt),
					}
					if m.Content != nil {
						am.Media = m.Content.MediaID
					}
					for _, r := range m.Reactions {
						am.Reactions = append(am.Reactions, customerOf(r.From)+" "+r.Emoji)
					}
					slices.Sort(am.Reactions)
					_, id, _ := strings.Cut(m.ZavuID, "_")
					ac.Messages[id] = am
				}
				if before = next; next == "" {
					break
				}
			}
			out[string(c.Channel)+"/"+customerOf(c.Contact.Phone)] = ac
		}
		if cursor = next; next == "" {
			return out
		}
	}
}

// customerOf is the customer's number in its run.
func customerOf(phone string) string { return phone[len(phone)-1:] }

// ingestAll ingests evs one at a time, in order, with the rules
// Switchboard runs.
func ingestAll(t testing.TB, db *DB, evs []*inbox.Event) {
	t.Helper()
	for _, ev := range evs {
		res, err := db.Ingest(context.Background(), ev, inbox.Apply)
		if err != nil {
			t.Fatal(err)
		}
		if res.State == inbox.EventFailed {
			t.Fatalf("event %s failed: %s", ev.ID, res.Error)
		}
	}
}

// ingestBatched is ingestAll with the events queued while the writer is
// busy, so that they are applied in order in one group commit, each in its
// own savepoint, as under load.
func ingestBatched(t testing.TB, db *DB, evs []*inbox.Event) {
	t.Helper()
	inOneBatch(t, db, evs, func(ev *inbox.Event) error {
		res, err := db.Ingest(context.Background(), ev, inbox.Apply)
		if err == nil && res.State == inbox.EventFailed {
			err = fmt.Errorf("event %s failed: %s", ev.ID, res.Error)
		}
		return err
	})
}

// appendBatched stores evs as the webhook endpoint does, in one group
// commit in this order, and waits until the projection (see projected)
// has applied them.
func appendBatched(t testing.TB, db *DB, evs []*inbox.Event) {
	t.Helper()
	inOneBatch(t, db, evs, func(ev *inbox.Event) error {
		_, err := db.Append(context.Background(), ev)
		return err
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := db.Settle(ctx); err != nil {
		t.Fatal(err)
	}
}

// projected makes db apply appended events with inbox.Apply, and fails
// the test for an event that does not apply. Generated events are decoded
// from their bodies as written (decodeGenerated).
func projected(t testing.TB, db *DB) {
	db.Project(inbox.Projection{
		Decode: decodeGenerated,
		Apply:  inbox.Apply,
		Applied: func(ev *inbox.Event, res inbox.IngestResult) {
			if res.State == inbox.EventFailed {
				t.Errorf("event %s failed: %s", ev.ID, res.Error)
			}
		},
	})
}

// inOneBatch calls submit for each event from its own goroutine, queued
// in order while the writer is held, so that they commit together.
func inOneBatch(t testing.TB, db *DB, evs []*inbox.Event, submit func(*inbox.Event) error) {
	t.Helper()
	release := holdWriter(t, db)
	errs := make(chan error, len(evs))
	for i, ev := range evs {
		go func() { errs <- submit(ev) }()
		// Keep the order: the next event is queued after this one.
		deadline := time.Now().Add(10 * time.Second)
		for len(db.queue) < i+1 {
			if time.Now().After(deadline) {
				t.Fatalf("%d writes queued, want %d", len(db.queue), i+1)
			}
			runtime.Gosched()
		}
	}
	release()
	for range evs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// streamGen writes the events of a few generated conversations.
type streamGen struct {
	rng    *rand.Rand
	evs    []*inbox.Event
	n      int
	ns     string // the run's prefix of every id, so that runs share a database
	sender string
	ours   string
}

func (g *streamGen) id(prefix string) string {
	g.n++
	return fmt.Sprintf("%s%s_%d", g.ns, prefix, g.n)
}

func (g *streamGen) add(typ inbox.EventType, at time.Time, ev inbox.Event) *inbox.Event {
	ev.ID, ev.Type, ev.Timestamp, ev.SenderID = g.id("evt"), typ, at, g.sender
	g.evs = append(g.evs, &ev)
	return &ev
}

// copyLater sends ev again under a new event id, d later, as Zavu does
// when it retries.
func (g *streamGen) copyLater(ev *inbox.Event, d time.Duration) {
	c := *ev
	c.ID = g.id("evt_copy")
	c.Timestamp = ev.Timestamp.Add(d)
	if c.Inbound != nil && !c.Inbound.At.IsZero() {
		in := *c.Inbound
		in.At = in.At.Add(d)
		c.Inbound = &in
	}
	g.evs = append(g.evs, &c)
}

func (g *streamGen) minutes(lo, hi int) time.Duration {
	return time.Duration(lo+g.rng.IntN(hi-lo+1)) * time.Minute
}

func (g *streamGen) inbound(ch inbox.Channel, phone, msg string, at time.Time, text string) *inbox.Event {
	in := &inbox.InboundMessage{
		MessageID: msg, From: phone, To: g.ours, Channel: ch, Type: inbox.TypeText, Text: text, ProfileName: "Customer " + phone[len(phone)-1:],
	}
	if g.rng.IntN(2) == 0 {
		in.At = at // the payload carries the message's own time
	}
	if g.rng.IntN(4) == 0 {
		in.Type, in.Content = inbox.TypeImage, &inbox.Content{MediaID: "media_" + strings.TrimPrefix(msg, g.ns), MimeType: "image/jpeg"}
	}
	return g.add(inbox.EventMessageInbound, at, inbox.Event{Inbound: in})
}

func (g *streamGen) status(ch inbox.Channel, phone, msg string, at time.Time, s inbox.Status, code string) {
	typ := inbox.EventType("message." + string(s))
	ev := g.add(typ, at, inbox.Event{Status: &inbox.StatusReport{
		MessageID: msg, To: phone, Channel: ch, Status: s, ErrorCode: code, ErrorMessage: map[bool]string{true: "Error " + code}[code != ""],
	}})
	if g.rng.IntN(6) == 0 {
		g.copyLater(ev, g.minutes(1, 90))
	}
}

func (g *streamGen) reaction(msg, from string, reactionAt, envelope time.Time, emoji string) {
	action := inbox.ReactionAdded
	if emoji == "" {
		action = inbox.ReactionRemoved
	}
	g.add(inbox.EventMessageReaction, envelope, inbox.Event{Reaction: &inbox.ReactionChange{
		MessageID: msg, From: from, Emoji: emoji, Action: action, At: reactionAt,
	}})
}

// generate writes a stream for a few customers: a new contact's
// conversation.new and first message (either may be stamped first), more
// messages, an SMS customer's STOP and START, late copies under new event
// ids, echoes with their statuses
// (some reported before the echo, leaving a placeholder), messages known
// only from their statuses, failures with codes followed by other reports,
// and reactions with removals, some at the same reaction time.
//
// run names the copy: the same seed gives the same stream in every run,
// with the run's own sender, customers and ids.
func generate(seed uint64, run int) []*inbox.Event {
	g := &streamGen{
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b9)), ns: fmt.Sprintf("r%d_", run),
		sender: fmt.Sprintf("snd_%d", run), ours: fmt.Sprintf("+1312%06d", run),
	}
	base := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	emojis := []string{"👍", "❤️", "😮"}
	customers := 2 + g.rng.IntN(2)
	for c := range customers {
		ch := inbox.WhatsApp
		if c == 2 {
			ch = inbox.SMS
		}
		phone := fmt.Sprintf("+1555%06d%d", run, c)
		msg := func(kind string, i int) string { return fmt.Sprintf("%smsg_%d_%s%d", g.ns, c, kind, i) }
		t := base.Add(g.minutes(0, 120))
		first := g.inbound(ch, phone, msg("in", 0), t, fmt.Sprintf("Hello, I am customer %d", c))
		announced := g.add(inbox.EventConversationNew, t.Add(g.minutes(-2, 5)), inbox.Event{NewConversation: &inbox.NewConversation{
			Phone: phone, Channel: ch, FirstMessageID: msg("in", 0), FirstMessageText: first.Inbound.Text,
			ProfileName: "Customer " + phone[len(phone)-1:],
		}})
		if g.rng.IntN(4) == 0 {
			g.copyLater(announced, g.minutes(1, 60))
		}
		if g.rng.IntN(2) == 0 {
			g.copyLater(first, g.minutes(30, 300))
		}
		var known []string // messages reactions may name
		known = append(known, msg("in", 0))
		for i := 1; i <= 1+g.rng.IntN(3); i++ {
			t = t.Add(g.minutes(1, 40))
			ev := g.inbound(ch, phone, msg("in", i), t, fmt.Sprintf("Message %d from customer %d", i, c))
			if g.rng.IntN(3) == 0 {
				g.copyLater(ev, g.minutes(1, 600))
			}
			known = append(known, msg("in", i))
		}
		// On SMS the customer opts out with STOP and back in with START,
		// or the other way round; a copy of either may come hours later.
		if ch == inbox.SMS {
			words := []string{"STOP", "START"}
			if g.rng.IntN(2) == 0 {
				words[0], words[1] = words[1], words[0]
			}
			for i, w := range words {
				t = t.Add(g.minutes(1, 20))
				ev := g.inbound(ch, phone, msg("opt", i), t, w)
				ev.Inbound.Type, ev.Inbound.Content = inbox.TypeText, nil
				if g.rng.IntN(2) == 0 {
					g.copyLater(ev, g.minutes(30, 300))
				}
				known = append(known, msg("opt", i))
			}
		}
		// Messages typed in the phone app, reported before or after.
		for i := range g.rng.IntN(3) {
			if ch != inbox.WhatsApp {
				break
			}
			id := msg("echo", i)
			te := t.Add(g.minutes(-30, 30))
			echo := g.add(inbox.EventMessageSent, te, inbox.Event{Echo: &inbox.Echo{
				MessageID: id, From: g.ours, To: phone, Channel: ch, Type: inbox.TypeText,
				Text: fmt.Sprintf("Reply %d from the phone", i), Status: inbox.StatusSent,
			}})
			if g.rng.IntN(3) == 0 {
				g.copyLater(echo, g.minutes(1, 120))
			}
			g.status(ch, phone, id, te.Add(g.minutes(-5, 10)), inbox.StatusDelivered, "")
			if g.rng.IntN(2) == 0 {
				g.status(ch, phone, id, te.Add(g.minutes(-5, 20)), inbox.StatusRead, "")
			}
			known = append(known, id)
		}
		// Messages known only from their statuses: placeholders.
		for i := range g.rng.IntN(3) {
			id := msg("ph", i)
			tp := t.Add(g.minutes(-60, 60))
			g.status(ch, phone, id, tp, inbox.StatusSent, "")
			switch g.rng.IntN(3) {
			case 0:
				g.status(ch, phone, id, tp.Add(g.minutes(0, 5)), inbox.StatusDelivered, "")
				g.status(ch, phone, id, tp.Add(g.minutes(0, 9)), inbox.StatusFailed, "30003")
			case 1:
				g.status(ch, phone, id, tp.Add(g.minutes(0, 5)), inbox.StatusFailed, "30005")
				g.status(ch, phone, id, tp.Add(g.minutes(0, 9)), inbox.StatusDelivered, "")
				g.status(ch, phone, id, tp.Add(g.minutes(0, 5)), inbox.StatusFailed, "30007")
			default:
				g.status(ch, phone, id, tp.Add(g.minutes(-3, 3)), inbox.StatusQueued, "")
			}
			known = append(known, id)
		}
		// Reactions and removals; some to a message that never comes.
		known = append(known, msg("gone", 0))
		for range g.rng.IntN(4) {
			target := known[g.rng.IntN(len(known))]
			rt := t.Add(g.minutes(0, 30))
			g.reaction(target, phone, rt, rt.Add(g.minutes(0, 2)), emojis[g.rng.IntN(len(emojis))])
			switch g.rng.IntN(3) {
			case 0: // removed, at the same reaction time, by a later or earlier event
				g.reaction(target, phone, rt, rt.Add(g.minutes(-2, 3)), "")
			case 1: // replaced later
				g.reaction(target, phone, rt.Add(g.minutes(1, 5)), rt.Add(g.minutes(1, 5)), emojis[g.rng.IntN(len(emojis))])
			}
		}
	}
	// The ordered stream: by event time, as Zavu saw the events.
	slices.SortStableFunc(g.evs, func(a, b *inbox.Event) int { return a.Timestamp.Compare(b.Timestamp) })
	for _, ev := range g.evs {
		ev.Raw = generatedBody(ev)
	}
	return g.evs
}

// generatedBody is the body stored with a generated event: the event
// itself as JSON under "generated", beside its id and type, which
// decodeGenerated reads back. A projection reads the events it applies
// back from the database when they do not fit in its memory, or after a
// transaction that failed, and decodes their bodies then.
func generatedBody(ev *inbox.Event) []byte {
	c := *ev
	c.Raw = nil
	b, err := json.Marshal(struct {
		ID        string          `json:"id"`
		Type      inbox.EventType `json:"type"`
		Generated *inbox.Event    `json:"generated"`
	}{ev.ID, ev.Type, &c})
	if err != nil {
		panic(err)
	}
	return b
}

// decodeGenerated decodes a body generatedBody wrote, and any other as
// Zavu's.
func decodeGenerated(body []byte) (*inbox.Event, error) {
	var gen struct {
		Generated *inbox.Event `json:"generated"`
	}
	if err := json.Unmarshal(body, &gen); err != nil || gen.Generated == nil {
		return zavu.Decode(body)
	}
	gen.Generated.Raw = body
	return gen.Generated, nil
}

// shuffled is the indexes of a stream of n events in a random order, some
// of them twice (a delivery again under the same event id).
func shuffled(rng *rand.Rand, n int) []int {
	out := make([]int, n, n+n/2)
	for i := range out {
		out[i] = i
		if rng.IntN(4) == 0 {
			out = append(out, i)
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func TestAnyOrderOfEventsGivesTheSameState(t *testing.T) {
	seeds, orders := 12, 8
	if testing.Short() || raceEnabled {
		seeds, orders = 5, 3
	}
	db := openTest(t)
	projected(t, db)
	run := 0
	for seed := range uint64(seeds) {
		run++
		evs := generate(seed, run)
		if seed%4 == 0 {
			ingestAll(t, db, evs) // a commit each
		} else {
			ingestBatched(t, db, evs)
		}
		want := apiState(t, db, fmt.Sprintf("snd_%d", run))
		if len(want) < 2 {
			t.Fatalf("seed %d: the generator wrote %d conversations", seed, len(want))
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		for o := range orders {
			run++
			// The same stream under this run's names, in another order,
			// some events twice; the first order is the reverse.
			order := shuffled(rng, len(evs))
			if o == 0 {
				order = order[:0]
				for i := len(evs) - 1; i >= 0; i-- {
					order = append(order, i)
				}
			}
			copyEvs := generate(seed, run)
			stream := make([]*inbox.Event, len(order))
			for i, j := range order {
				stream[i] = copyEvs[j]
			}
			if o%2 == 0 {
				ingestBatched(t, db, stream)
			} else {
				appendBatched(t, db, stream) // the webhook endpoint's way
			}
			if got := apiState(t, db, fmt.Sprintf("snd_%d", run)); !reflect.DeepEqual(got, want) {
				ids := make([]string, len(stream))
				for i, ev := range stream {
					ids[i] = ev.ID
				}
				t.Fatalf("seed %d, order %d (%s):\n%s", seed, o, strings.Join(ids, " "), diffState(got, want))
			}
		}
	}
}

// The projection applies what it cannot keep in memory by reading it back
// from the database, decoding the stored bodies: the same stream gives the
// same state that way, in order and shuffled.
func TestEventsReadBackFromTheDatabaseGiveTheSameState(t *testing.T) {
	db := openTest(t)
	projected(t, db)
	db.proj.memLimit = 0 // every appended event is read back
	for seed := range uint64(3) {
		run := 1 + 2*int(seed)
		ingestBatched(t, db, generate(seed, run))
		want := apiState(t, db, fmt.Sprintf("snd_%d", run))
		evs := generate(seed, run+1)
		rng := rand.New(rand.NewPCG(seed, 11))
		stream := make([]*inbox.Event, 0, len(evs))
		for _, i := range shuffled(rng, len(evs)) {
			stream = append(stream, evs[i])
		}
		appendBatched(t, db, stream)
		if got := apiState(t, db, fmt.Sprintf("snd_%d", run+1)); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d, read back:\n%s", seed, diffState(got, want))
		}
	}
}

func diffState(got, want map[string]apiConversation) string {
	var b strings.Builder
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			fmt.Fprintf(&b, "conversation %s missing\n", k)
			continue
		}
		gm, wm := g.Messages, w.Messages
		g.Messages, w.Messages = nil, nil
		if !reflect.DeepEqual(g, w) {
			fmt.Fprintf(&b, "conversation %s:\n  got  %+v\n  want %+v\n", k, g, w)
		}
		for id, m := range wm {
			if g, ok := gm[id]; ok && reflect.DeepEqual(g, m) {
				continue
			}
			fmt.Fprintf(&b, "message %s:\n  got  %+v\n  want %+v\n", id, gm[id], m)
		}
		for id := range gm {
			if _, ok := wm[id]; !ok {
				fmt.Fprintf(&b, "message %s should not be there\n", id)
			}
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "conversation %s should not be there\n", k)
		}
	}
	return b.String()
}

// TestSeedStatusReportsStayWithTheirMessage ingests the status reports of
// Zavu's documents, which name msg_abc123 on SMS and on WhatsApp, each
// first in turn: the message stays in one conversation, no other is
// created, and it ends failed with its code whatever came first.
func TestSeedStatusReportsStayWithTheirMessage(t *testing.T) {
	base := time.UnixMilli(1705312200000).UTC()
	seeds := []struct {
		file string
		at   time.Time
	}{
		{"seed_message_delivered.json", base.Add(2 * time.Minute)}, // whatsapp
		{"seed_message_queued.json", base},                         // sms, the first report
		{"seed_message_sent.json", base.Add(time.Minute)},
		{"seed_message_failed.json", base.Add(3 * time.Minute)},
	}
	var evs []*inbox.Event
	for _, s := range seeds {
		body, err := os.ReadFile(filepath.Join("..", "testdata", "events", s.file))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := zavu.Decode(body)
		if err != nil || ev.DecodeErr != nil {
			t.Fatal(s.file, err, ev.DecodeErr)
		}
		ev.Timestamp = s.at
		evs = append(evs, ev)
	}
	for first := range evs {
		order := append(slices.Clone(evs[first:]), evs[:first]...)
		t.Run(order[0].ID, func(t *testing.T) {
			db := openTest(t)
			ingestAll(t, db, order)
			convs, _, err := db.Conversations(context.Background(), inbox.ConversationFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(convs) != 1 {
				t.Fatalf("%d conversations, want the one holding msg_abc123", len(convs))
			}
			m, err := db.MessageByZavuID(context.Background(), "msg_abc123")
			if err != nil {
				t.Fatal(err)
			}
			c := convs[0]
			if m.ConversationID != c.ID || !c.LastMessageAt.Equal(base) || !m.CreatedAt.Equal(base) {
				t.Errorf("message in %d at %v, conversation %d at %v; want together at the first report, %v",
					m.ConversationID, m.CreatedAt, c.ID, c.LastMessageAt, base)
			}
			if m.Status != inbox.StatusFailed || m.ErrorCode != "30003" {
				t.Errorf("message %s %q, want failed 30003", m.Status, m.ErrorCode)
			}
		})
	}
}
