package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/inbox"
)

// The benchmarks compare Ingest (group commit, a realistic apply) with what
// SQLite does on this disk without Switchboard: one transaction per plain
// insert, at the same pragmas (synchronous=FULL). Run them with
//
//	go test ./store -run '^$' -bench . -benchtime 20000x
//
// and compare the events/s figures.

// benchCallers is how many webhook requests are in flight at once, as in
// "switchboard bench".
const benchCallers = 16

// benchBody is a webhook body of a realistic size (about 1 KiB).
var benchBody = []byte(`{"id":"evt_0000000000","type":"message.inbound","timestamp":1740819600000,"senderId":"snd_bench",` +
	`"projectId":"prj_bench","data":{"messageId":"msg_0000000000","from":"+13125550100","to":"+13125559876",` +
	`"channel":"whatsapp","messageType":"text","text":"` + strings.Repeat("Hello, I have a question about my order. ", 18) +
	`","profileName":"Customer","conversationId":"conv_0000000000"}}`)

// benchEvent is the i-th event of the benchmarks. Its ids look random, as
// Zavu's do, so that the indexes on them take writes all over, as in life.
func benchEvent(i int) *inbox.Event {
	ev := inboundEvent(fmt.Sprintf("evt_%016x", mix(uint64(i))), fmt.Sprintf("+1312555%04d", i%2000),
		fmt.Sprintf("msg_%016x", mix(uint64(i)+1<<40)), "Hello, I have a question about my order.", t0.Add(time.Duration(i)*time.Millisecond))
	ev.Raw = benchBody
	return ev
}

// mix is splitmix64's finalizer: a bijection that scatters sequential
// numbers.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// BenchmarkIngest ingests b.N inbound messages from benchCallers
// concurrent callers, each applied with the writes the rules make for one
// (sender, contact, conversation, message, conversation update).
func BenchmarkIngest(b *testing.B) {
	benchIngest(b, benchCallers, applyInbound)
}

// BenchmarkIngestSerial is one caller at a time: every event pays a commit.
func BenchmarkIngestSerial(b *testing.B) {
	benchIngest(b, 1, applyInbound)
}

// BenchmarkIngestStoreOnly has an apply that does nothing: the cost of
// storing the event and of the batching itself.
func BenchmarkIngestStoreOnly(b *testing.B) {
	benchIngest(b, benchCallers, func(context.Context, inbox.Tx, *inbox.Event) (inbox.Change, error) {
		return inbox.Change{}, nil
	})
}

// BenchmarkIngestAutoReplies measures what auto-replies cost ingestion,
// against Switchboard's own rules alone (inbox.Apply) in the same run:
// with no auto-reply set, and with an out-of-office reply on while the
// team is closed (each of the 2,000 customers gets one reply, queued in the
// outbox; their later messages find it sent for this closed period).
func BenchmarkIngestAutoReplies(b *testing.B) {
	closed := func() time.Time { return t0.Add(time.Hour) } // a Saturday morning
	b.Run("rules-only", func(b *testing.B) {
		benchIngestSetup(b, benchCallers, nil, inbox.Apply)
	})
	b.Run("none-set", func(b *testing.B) {
		benchIngestSetup(b, benchCallers, nil, inbox.IngestWithAutoReplies(closed))
	})
	b.Run("out-of-office", func(b *testing.B) {
		setup := func(db *DB) {
			_, err := db.UpdateAutoReplies(context.Background(), t0, func(c *inbox.AutoReplyConfig) error {
				c.Hours.TimeZone = "UTC"
				for d := time.Monday; d <= time.Friday; d++ {
					c.Hours.Days[d] = []inbox.Span{{Open: 9 * 60, Close: 17 * 60}}
				}
				c.OutOfOffice = inbox.AutoReplyMessage{Enabled: true, Text: "We are closed; we answer on Monday."}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { // before the database closes
				var n int
				if err := db.reader.QueryRow(`SELECT count(*) FROM messages WHERE source = 'auto_reply'`).Scan(&n); err != nil {
					b.Fatal(err)
				}
				// Customer 0 writes from our own number: never answered.
				if want := min(b.N, 2000) - 1; n != want {
					b.Errorf("%d out-of-office replies, want one for each of %d customers", n, want)
				}
			})
		}
		benchIngestSetup(b, benchCallers, setup, inbox.IngestWithAutoReplies(closed))
	})
}

func benchIngest(b *testing.B, callers int, apply inbox.ApplyFunc) {
	benchIngestSetup(b, callers, nil, apply)
}

// benchIngestSetup is benchIngest on a database that setup, when set,
// prepares first.
func benchIngestSetup(b *testing.B, callers int, setup func(*DB), apply inbox.ApplyFunc) {
	db := openTest(b, WithSessionCleanup(0))
	if setup != nil {
		setup(db)
	}
	evs := make([]*inbox.Event, b.N)
	for i := range evs {
		evs[i] = benchEvent(i)
	}
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range callers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(evs) {
					return
				}
				res, err := db.Ingest(ctx, evs[i], apply)
				if err != nil || res.State != inbox.EventApplied {
					b.Errorf("%s: %+v, %v", evs[i].ID, res, err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	s := db.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(s.Writes)/float64(s.Batches), "events/commit")
}

// BenchmarkBaselineInsert is one transaction per plain insert of the same
// body, at the store's pragmas: the rate SQLite commits on this disk.
func BenchmarkBaselineInsert(b *testing.B) {
	db, err := sql.Open("sqlite", DSN(filepath.Join(b.TempDir(), "baseline.db"), true))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE events (id TEXT PRIMARY KEY, body BLOB NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, body) VALUES (?, ?)`, fmt.Sprintf("evt_%010d", i), benchBody); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}

// BenchmarkIngestMixed ingests a stream shaped like Zavu's, applied by
// inbox.Apply, the real rules: per conversation, a customer's message (and
// half the time its conversation.new), a reply typed on the phone (an
// echo), its statuses, now and then a reaction, and a follow-up message.
// About half the events are statuses, which touch one message only.
func BenchmarkIngestMixed(b *testing.B) {
	db := openTest(b, WithSessionCleanup(0))
	evs := mixedStream(b.N)
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range benchCallers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(evs) {
					return
				}
				if _, err := db.Ingest(ctx, evs[i], inbox.Apply); err != nil {
					b.Errorf("%s: %v", evs[i].ID, err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	s := db.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(s.Writes)/float64(s.Batches), "events/commit")
	if n := count(b, db, `SELECT count(*) FROM webhook_events WHERE state = 'failed'`); n > 0 {
		b.Logf("%d events failed to apply", n)
	}
}

// mixedStream returns n events of conversations with 10000 customers.
func mixedStream(n int) []*inbox.Event {
	evs := make([]*inbox.Event, 0, n+16)
	at := t0
	seq := uint64(0)
	id := func(prefix string) string { seq++; return fmt.Sprintf("%s_%016x", prefix, mix(seq)) }
	event := func(typ inbox.EventType) *inbox.Event {
		at = at.Add(time.Millisecond)
		return &inbox.Event{ID: id("evt"), Type: typ, Timestamp: at, SenderID: "snd_bench", Raw: benchBody}
	}
	for story := 0; len(evs) < n; story++ {
		phone := fmt.Sprintf("+1415555%04d", mix(uint64(story))%10000)
		first := id("msg")
		ev := event(inbox.EventMessageInbound)
		ev.Inbound = &inbox.InboundMessage{MessageID: first, From: phone, To: "+13125559876", Channel: inbox.WhatsApp,
			Type: inbox.TypeText, Text: "Hi, my order has not arrived yet", ProfileName: "Maria", At: at}
		evs = append(evs, ev)
		if story%2 == 0 {
			ev := event(inbox.EventConversationNew)
			ev.NewConversation = &inbox.NewConversation{Phone: phone, Channel: inbox.WhatsApp, FirstMessageID: first,
				FirstMessageText: "Hi, my order has not arrived yet", ProfileName: "Maria"}
			evs = append(evs, ev)
		}
		reply := id("msg")
		ev = event(inbox.EventMessageSent)
		ev.Echo = &inbox.Echo{MessageID: reply, From: "+13125559876", To: phone, Channel: inbox.WhatsApp,
			Type: inbox.TypeText, Text: "Sorry about that, let me check", Status: inbox.StatusSent}
		evs = append(evs, ev)
		for _, st := range []inbox.Status{inbox.StatusQueued, inbox.StatusSent, inbox.StatusDelivered, inbox.StatusRead} {
			ev := event(inbox.EventType("message." + string(st)))
			ev.Status = &inbox.StatusReport{MessageID: reply, To: phone, Channel: inbox.WhatsApp, Status: st}
			evs = append(evs, ev)
		}
		if story%3 == 0 {
			ev := event(inbox.EventMessageReaction)
			ev.Reaction = &inbox.ReactionChange{MessageID: reply, From: phone, Emoji: "👍", Action: inbox.ReactionAdded, At: at}
			evs = append(evs, ev)
		}
		if story%2 == 1 {
			ev := event(inbox.EventMessageInbound)
			ev.Inbound = &inbox.InboundMessage{MessageID: id("msg"), From: phone, To: "+13125559876", Channel: inbox.WhatsApp,
				Type: inbox.TypeText, Text: "Thank you!", ProfileName: "Maria", At: at}
			evs = append(evs, ev)
		}
	}
	return evs[:n]
}
