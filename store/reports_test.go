package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"switchboard/inbox"
)

// scratchOpenings computes every conversation's openings from its messages
// and resolves, ignoring the rollup.
func scratchOpenings(t testing.TB, db *DB) map[int64][]inbox.Opening {
	t.Helper()
	rows, err := db.reader.Query(`SELECT conversation_id, created_at, CASE direction WHEN 'inbound' THEN 0 ELSE 1 END,
			coalesce(author_id, 0), id, direction, source, status, sent_at, delivered_at, read_at, provisional FROM messages
		UNION ALL SELECT conversation_id, at, 2, coalesce(user_id, 0), id, '', '', '', NULL, NULL, NULL, 0 FROM conversation_resolves`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	items := map[int64][]inbox.TimelineItem{}
	for rows.Next() {
		var conv, ms, provisional int64
		var it inbox.TimelineItem
		var dir, src, status string
		var st inbox.StatusTimes
		if err := rows.Scan(&conv, &ms, &it.Kind, &it.UserID, &it.ID, &dir, &src, &status,
			msTime{&st.Sent}, msTime{&st.Delivered}, msTime{&st.Read}, &provisional); err != nil {
			t.Fatal(err)
		}
		if it.Kind == inbox.TimelineReply {
			m := inbox.Message{Direction: inbox.Direction(dir), Source: inbox.Source(src), Status: inbox.Status(status),
				StatusTimes: st, Provisional: provisional != 0}
			if !inbox.CountsAsResponse(m.Direction, m.Source) || m.Provisional {
				continue
			}
			it.SentAt = inbox.ResponseAt(m)
		}
		it.At = time.UnixMilli(ms).UTC()
		items[conv] = append(items[conv], it)
	}
	out := map[int64][]inbox.Opening{}
	for conv, its := range items {
		if os := inbox.Openings(its); len(os) > 0 {
			out[conv] = os
		}
	}
	return out
}

// sendReply writes reply r and has Zavu send it at once: it reached the
// customer at r.At.
func sendReply(t testing.TB, db *DB, r inbox.Reply) {
	t.Helper()
	m, _, err := db.QueueReply(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	sendQueued(t, db, m.ID, r.At, inbox.StatusSent)
}

// sendQueued sends the waiting reply msg at at, and returns its Zavu id:
// Zavu answers with status st, or refuses it for good when st is failed.
// The conversations' other waiting replies are put back.
func sendQueued(t testing.TB, db *DB, msg int64, at time.Time, st inbox.Status) string {
	t.Helper()
	ctx := context.Background()
	es, err := db.ClaimOutbox(ctx, at, time.Minute, 1000)
	if err != nil {
		t.Fatal(err)
	}
	zavuID := ""
	for _, e := range es {
		switch {
		case e.MessageID != msg:
			_, err = db.OutboxRetry(ctx, e.ID, at, "")
		case st == inbox.StatusFailed:
			_, err = db.OutboxFail(ctx, e.ID, "30003", "The number is unreachable.", at)
		default:
			zavuID = fmt.Sprintf("msg_r%d_%d", msg, at.UnixMilli())
			_, err = db.OutboxSent(ctx, e.ID, inbox.SendResult{ZavuID: zavuID, Status: st}, at)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range es {
		if e.MessageID == msg {
			return zavuID
		}
	}
	t.Fatalf("reply %d is not waiting to be sent at %s", msg, at)
	return ""
}

// rolledOpenings reads the openings rollup.
func rolledOpenings(t testing.TB, db *DB) map[int64][]inbox.Opening {
	t.Helper()
	rows, err := db.reader.Query(`SELECT conversation_id, opened_at, first_response_at, coalesce(first_responder_id, 0),
		resolved_at, coalesce(resolver_id, 0) FROM openings ORDER BY conversation_id, opened_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][]inbox.Opening{}
	for rows.Next() {
		var conv int64
		var o inbox.Opening
		if err := rows.Scan(&conv, msTime{&o.OpenedAt}, msTime{&o.FirstResponseAt}, &o.FirstResponder,
			msTime{&o.ResolvedAt}, &o.Resolver); err != nil {
			t.Fatal(err)
		}
		out[conv] = append(out[conv], o)
	}
	return out
}

// countsDiff compares the message rollups with a count of the messages.
func countsDiff(t testing.TB, db *DB) string {
	t.Helper()
	q := func(query string) []string {
		rows, err := db.reader.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var b, a, n int64
			var s, c string
			if err := rows.Scan(&b, &s, &c, &a, &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(b, s, c, a, n))
		}
		return out
	}
	for _, pair := range [][2]string{
		{`SELECT bucket, sender_id, channel, inbound, outbound FROM message_counts WHERE inbound <> 0 OR outbound <> 0 ORDER BY 1, 2, 3`,
			`SELECT m.created_at / 900000, c.sender_id, c.channel, sum(m.direction = 'inbound'), sum(m.direction = 'outbound')
			FROM messages m JOIN conversations c ON c.id = m.conversation_id
			WHERE m.direction <> 'internal' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`},
		{`SELECT bucket, sender_id, channel, author_id, n FROM reply_counts WHERE n <> 0 ORDER BY 1, 2, 3, 4`,
			`SELECT m.created_at / 900000, c.sender_id, c.channel, m.author_id, count(*)
			FROM messages m JOIN conversations c ON c.id = m.conversation_id
			WHERE m.direction = 'outbound' AND m.source IN ('agent', 'api') AND m.author_id IS NOT NULL
			GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`},
	} {
		if rolled, scratch := q(pair[0]), q(pair[1]); !slices.Equal(rolled, scratch) {
			return fmt.Sprintf("message counts:\n rolled %v\nscratch %v", rolled, scratch)
		}
	}
	return ""
}

// TestOpeningsRollupEqualsScratch applies random streams of webhook events
// in random orders, with agents' replies, resolves and reopens between
// them, and checks after each step that the rollups equal a computation
// from the messages themselves.
func TestOpeningsRollupEqualsScratch(t *testing.T) {
	seeds := 8
	if testing.Short() || raceEnabled {
		seeds = 3
	}
	db := openTest(t)
	projected(t, db)
	ctx := context.Background()
	var agents []int64
	for i := range 3 {
		u := inbox.User{Email: fmt.Sprintf("a%d@example.com", i), Name: fmt.Sprintf("Agent %d", i), Role: inbox.RoleAgent, Active: true}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		agents = append(agents, u.ID)
	}
	checks := 0
	for seed := range uint64(seeds) {
		run := int(seed) + 1
		evs := generate(seed, run)
		rng := rand.New(rand.NewPCG(seed, 11))
		order := shuffled(rng, len(evs))
		for i, j := range order {
			if _, err := db.Ingest(ctx, evs[j], inbox.Apply); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(3) != 0 {
				continue
			}
			// Something an agent does, at a time near the event's.
			var convs []int64
			rows, err := db.reader.Query(`SELECT id FROM conversations WHERE sender_id = ?`, fmt.Sprintf("snd_%d", run))
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				convs = append(convs, id)
			}
			rows.Close()
			if len(convs) == 0 {
				continue
			}
			conv := convs[rng.IntN(len(convs))]
			when := evs[j].Timestamp.Add(time.Duration(rng.IntN(90)-30) * time.Minute)
			agent := agents[rng.IntN(len(agents))]
			switch rng.IntN(4) {
			case 0:
				if _, err := db.Assign(ctx, conv, &agent, when); err != nil {
					t.Fatal(err)
				}
			case 1:
				// Half the replies answer the customer's last message, as
				// an agent's do; the others come at any time near the
				// event's, before a request as well.
				var last int64
				if rng.IntN(2) == 0 && db.reader.QueryRow(`SELECT coalesce(max(created_at), 0) FROM messages
					WHERE conversation_id = ? AND direction = 'inbound'`, conv).Scan(&last) == nil && last > 0 {
					when = time.UnixMilli(last).Add(time.Duration(1+rng.IntN(20)) * time.Minute)
				}
				r := inbox.Reply{ConversationID: conv, AuthorID: &agent, Source: inbox.SourceAgent, Type: inbox.TypeText,
					Text: "On it", IdempotencyKey: fmt.Sprintf("k%d_%d", run, i), At: when}
				if rng.IntN(4) == 0 {
					r.AuthorID, r.Source = nil, inbox.SourceAPI
				}
				if rng.IntN(5) == 0 {
					r.AuthorID, r.Source, r.AutoReplyRule = nil, inbox.SourceAutoReply, "Away"
				}
				db.QueueReply(ctx, r) // a closed window refuses some: nothing is written then
				// Zavu sends what waits, queues it (its "delivered"
				// comes later), refuses it, or it waits for another
				// attempt; an agent retries a failed reply.
				es, err := db.ClaimOutbox(ctx, when.Add(time.Hour), time.Minute, 100)
				if err != nil {
					t.Fatal(err)
				}
				for k, e := range es {
					at := when.Add(time.Duration(rng.IntN(20)) * time.Minute)
					zavuID := fmt.Sprintf("msg_r%d_%d_%d", run, i, k)
					switch rng.IntN(5) {
					case 0, 1:
						_, err = db.OutboxSent(ctx, e.ID, inbox.SendResult{ZavuID: zavuID, Status: inbox.StatusSent}, at)
					case 2:
						if _, err = db.OutboxSent(ctx, e.ID, inbox.SendResult{ZavuID: zavuID, Status: inbox.StatusQueued}, at); err == nil {
							_, err = db.Ingest(ctx, statusEvent(fmt.Sprint("evt_", zavuID), zavuID, inbox.StatusDelivered, at.Add(time.Minute)), inbox.Apply)
						}
					case 3:
						_, err = db.OutboxFail(ctx, e.ID, "30003", "The number is unreachable.", at)
					case 4:
						_, err = db.OutboxRetry(ctx, e.ID, at, "Zavu is busy.")
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				var failed int64
				if db.reader.QueryRow(`SELECT id FROM messages WHERE conversation_id = ? AND status = 'failed' AND direction = 'outbound'
					AND source IN ('agent', 'api')`, conv).Scan(&failed) == nil && rng.IntN(2) == 0 {
					db.RetryReply(ctx, failed, fmt.Sprintf("k%d_%d_retry", run, i), when.Add(5*time.Minute)) // a closed window refuses some
				}
			case 2:
				if _, err := db.SetStatus(ctx, conv, inbox.Resolved, when); err != nil {
					t.Fatal(err)
				}
			case 3:
				if _, err := db.SetStatus(ctx, conv, inbox.Open, when); err != nil {
					t.Fatal(err)
				}
			}
			got, want := rolledOpenings(t, db), scratchOpenings(t, db)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d, step %d: openings\n rolled %+v\nscratch %+v", seed, i, got, want)
			}
			if d := countsDiff(t, db); d != "" {
				t.Fatalf("seed %d, step %d: %s", seed, i, d)
			}
			if d := hoursDiff(t, db, want); d != "" {
				t.Fatalf("seed %d, step %d: %s", seed, i, d)
			}
			checks++
		}
		got, want := rolledOpenings(t, db), scratchOpenings(t, db)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: openings\n rolled %+v\nscratch %+v", seed, got, want)
		}
		if d := countsDiff(t, db); d != "" {
			t.Fatalf("seed %d: %s", seed, d)
		}
		if d := hoursDiff(t, db, want); d != "" {
			t.Fatalf("seed %d: %s", seed, d)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM openings WHERE first_response_at IS NOT NULL AND resolved_at IS NOT NULL`); n == 0 || checks < 10 {
		t.Fatalf("%d checks, %d answered and resolved openings: the streams exercise too little", checks, n)
	}
	if n := count(t, db, `SELECT count(*) FROM openings_dirty`); n != 0 {
		t.Fatalf("%d conversations left to derive after commit", n)
	}
}

func TestGeneratedDatabaseHasConsistentRollups(t *testing.T) {
	db := generated(t, Generation{Conversations: 300, Messages: 3000, Senders: []string{"snd_a", "snd_b"}})
	got, want := rolledOpenings(t, db), scratchOpenings(t, db)
	if len(want) < 250 || !reflect.DeepEqual(got, want) {
		t.Fatalf("%d openings from scratch; rollup equal: %v", len(want), reflect.DeepEqual(got, want))
	}
	if d := countsDiff(t, db); d != "" {
		t.Fatal(d)
	}
	if n := count(t, db, `SELECT count(*) FROM openings WHERE resolved_at IS NOT NULL`); n == 0 {
		t.Fatal("no generated opening is resolved")
	}
	if d := hoursDiff(t, db, want); d != "" {
		t.Fatal(d)
	}
}

// TestReportSummaryOfAHandMadeWeek checks the figures of a small timeline
// in a time zone east of UTC.
func TestReportSummaryOfAHandMadeWeek(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := inbox.User{Email: "ana@example.com", Name: "Ana", Role: inbox.RoleAgent, Active: true}
	if err := db.CreateUser(ctx, &ana); err != nil {
		t.Fatal(err)
	}
	// Monday 2026-03-02, 23:30 UTC is Tuesday 00:30 in Berlin.
	mon := time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC)
	ingest := func(id, phone string, at time.Time) int64 {
		t.Helper()
		if _, err := db.Ingest(ctx, inboundEvent("evt_"+id, phone, "msg_"+id, "Hello", at), inbox.Apply); err != nil {
			t.Fatal(err)
		}
		var conv int64
		if err := db.reader.QueryRow(`SELECT conversation_id FROM messages WHERE zavu_id = ?`, "msg_"+id).Scan(&conv); err != nil {
			t.Fatal(err)
		}
		return conv
	}
	reply := func(conv int64, author *int64, src inbox.Source, at time.Time) {
		t.Helper()
		sendReply(t, db, inbox.Reply{ConversationID: conv, AuthorID: author, Source: src, Type: inbox.TypeText,
			Text: "Hi", IdempotencyKey: fmt.Sprint("k", at.UnixNano()), At: at, AutoReplyRule: "r"})
	}
	c1 := ingest("1", "+15550001", mon)
	reply(c1, nil, inbox.SourceAutoReply, mon.Add(time.Second)) // no response
	reply(c1, &ana.ID, inbox.SourceAgent, mon.Add(2*time.Minute))
	if _, err := db.Assign(ctx, c1, &ana.ID, mon.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(ctx, c1, inbox.Resolved, mon.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// The customer writes again: a second opening, answered through the API.
	ingest("2", "+15550001", mon.Add(time.Hour))
	reply(c1, nil, inbox.SourceAPI, mon.Add(time.Hour+10*time.Minute))
	// Another customer, unanswered.
	ingest("3", "+15550002", mon.Add(2*time.Hour))

	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data")
	}
	f := inbox.ReportFilter{From: mon.Add(-time.Hour), To: mon.Add(24 * time.Hour)}
	s, err := db.ReportSummary(ctx, f, berlin)
	if err != nil {
		t.Fatal(err)
	}
	if s.Conversations != 3 || s.InboundMessages != 3 || s.OutboundMessages != 3 {
		t.Fatalf("conversations %d, inbound %d, outbound %d; want 3, 3, 3", s.Conversations, s.InboundMessages, s.OutboundMessages)
	}
	if s.FirstResponse != (inbox.Spread{P50: 120, P90: 600, Count: 2}) {
		t.Fatalf("first response %+v, want p50 120 s (the agent, not the auto-reply), p90 600 s, 2", s.FirstResponse)
	}
	if s.Resolution != (inbox.Spread{P50: 600, P90: 600, Count: 1}) {
		t.Fatalf("resolution %+v, want 600 s once", s.Resolution)
	}
	// 23:30 UTC is 00:30 on Tuesday in Berlin; the others come at 01:30
	// and 02:30.
	if s.ByHour[0] != 1 || s.ByHour[1] != 1 || s.ByHour[2] != 1 || s.ByWeekday[1] != 3 || s.ByWeekday[0] != 0 {
		t.Fatalf("by hour %v, by weekday %v: want Berlin's hours 0, 1 and 2 on Tuesday", s.ByHour, s.ByWeekday)
	}
	if len(s.ByAgent) != 1 || s.ByAgent[0] != (inbox.AgentFigures{AgentID: ana.ID, Name: "Ana", Replies: 1, FirstResponses: 1, FirstResponseP50: 120, Resolved: 1}) {
		t.Fatalf("by agent %+v", s.ByAgent)
	}
	f.AgentID = ana.ID
	if s, err = db.ReportSummary(ctx, f, berlin); err != nil {
		t.Fatal(err)
	}
	if s.Conversations != 1 || s.OutboundMessages != 1 || s.FirstResponse.Count != 1 {
		t.Fatalf("Ana's figures: conversations %d, outbound %d, responses %d; want 1, 1, 1", s.Conversations, s.OutboundMessages, s.FirstResponse.Count)
	}
	f.AgentID, f.SenderID = 0, "snd_other"
	if s, err = db.ReportSummary(ctx, f, berlin); err != nil || s.Conversations != 0 || s.InboundMessages != 0 {
		t.Fatalf("another sender: %+v, %v", s, err)
	}
	if _, err := db.ReportSummary(ctx, inbox.ReportFilter{From: mon, To: mon}, time.UTC); !errors.Is(err, inbox.ErrInvalid) {
		t.Fatalf("an empty period: %v, want ErrInvalid", err)
	}
}

// TestMigrationBuildsTheRollupsOfAnExistingDatabase opens a database as it
// was before reports, with messages and resolved conversations, and finds
// the rollups built from them.
func TestMigrationBuildsTheRollupsOfAnExistingDatabase(t *testing.T) {
	skipOnPostgres(t, "it upgrades a SQLite database made before reports; a PostgreSQL database starts with the rollups")
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Generate(context.Background(), Generation{Conversations: 200, Messages: 1500, Senders: []string{"snd_a"}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", DSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP TRIGGER messages_report_insert`, `DROP TRIGGER messages_report_delete`, `DROP TRIGGER messages_report_update`,
		`DROP TRIGGER conversations_report_resolved`, `DROP TRIGGER conversations_report_delete`,
		`DROP TABLE openings`, `DROP TABLE openings_dirty`, `DROP TABLE message_counts`, `DROP TABLE reply_counts`, `DROP TABLE conversation_resolves`,
		`DROP TABLE opening_hours`, `DROP TABLE opening_hours_dirty`, `DROP TABLE agent_days`,
		`DELETE FROM schema_migrations WHERE version IN (17, 25, 28)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Migration 0038 lists every conversation to derive again in the
	// background: the report hours are packed again after it.
	<-db.staleDone
	got, want := rolledOpenings(t, db), scratchOpenings(t, db)
	if len(got) < 190 || !reflect.DeepEqual(got, want) {
		t.Fatalf("%d conversations with openings after the upgrade; equal to scratch: %v", len(got), reflect.DeepEqual(got, want))
	}
	if n := count(t, db, `SELECT count(*) FROM openings WHERE resolved_at IS NOT NULL`); n == 0 {
		t.Fatal("no opening resolved after the upgrade")
	}
	if d := countsDiff(t, db); d != "" {
		t.Fatal(d)
	}
	if d := hoursDiff(t, db, want); d != "" {
		t.Fatal(d)
	}
}

// TestReportHoursAcrossADaylightSavingChange: noon is noon on both sides of
// New York's spring change, and the short day is one day.
func TestReportHoursAcrossADaylightSavingChange(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data")
	}
	// PostgreSQL groups the rollups by hashing here: the buckets come in
	// no order unless the statement asks for one.
	withPostgresSettings(t, "enable_sort=off")
	db := openTest(t)
	ctx := context.Background()
	for i, at := range []time.Time{
		time.Date(2026, 3, 7, 12, 0, 0, 0, ny), // Saturday, UTC-5
		time.Date(2026, 3, 8, 12, 0, 0, 0, ny), // Sunday, the change at 02:00
		time.Date(2026, 3, 9, 12, 0, 0, 0, ny), // Monday, UTC-4
	} {
		if _, err := db.Ingest(ctx, inboundEvent(fmt.Sprint("evt_dst", i), fmt.Sprint("+1555000", i), fmt.Sprint("msg_dst", i), "Hi", at.UTC()), inbox.Apply); err != nil {
			t.Fatal(err)
		}
	}
	s, err := db.ReportSummary(ctx, inbox.ReportFilter{From: time.Date(2026, 3, 7, 0, 0, 0, 0, ny), To: time.Date(2026, 3, 10, 0, 0, 0, 0, ny)}, ny)
	if err != nil {
		t.Fatal(err)
	}
	if s.ByHour[12] != 3 || s.ByWeekday[5] != 1 || s.ByWeekday[6] != 1 || s.ByWeekday[0] != 1 {
		t.Fatalf("by hour %v, by weekday %v: want three messages at noon, Saturday to Monday", s.ByHour, s.ByWeekday)
	}
	if len(s.ByDay) != 3 || s.ByDay[0].Inbound != 1 || s.ByDay[1].Inbound != 1 || s.ByDay[2].Inbound != 1 {
		t.Fatalf("by day %+v, want one message on each of three days", s.ByDay)
	}
}

// TestReportSummaryWithinBusinessHours measures a request written late on
// a Friday and answered on Monday morning: days in wall-clock time, an
// hour and a half within business hours.
func TestReportSummaryWithinBusinessHours(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := inbox.User{Email: "ana@example.com", Name: "Ana", Role: inbox.RoleAgent, Active: true}
	if err := db.CreateUser(ctx, &ana); err != nil {
		t.Fatal(err)
	}
	fri := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	mon := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
	request := func(id string, opened, answered, resolved time.Time) {
		t.Helper()
		if _, err := db.Ingest(ctx, inboundEvent("evt_"+id, "+1555000"+id, "msg_"+id, "Hello", opened), inbox.Apply); err != nil {
			t.Fatal(err)
		}
		var conv int64
		if err := db.reader.QueryRow(`SELECT conversation_id FROM messages WHERE zavu_id = ?`, "msg_"+id).Scan(&conv); err != nil {
			t.Fatal(err)
		}
		// The customer asks again before the answer, which keeps the
		// 24-hour window open; it belongs to the same opening.
		again := answered.Add(-time.Minute)
		if _, err := db.Ingest(ctx, inboundEvent("evt_again"+id, "+1555000"+id, "msg_again"+id, "Anyone?", again), inbox.Apply); err != nil {
			t.Fatal(err)
		}
		sendReply(t, db, inbox.Reply{ConversationID: conv, AuthorID: &ana.ID, Source: inbox.SourceAgent,
			Type: inbox.TypeText, Text: "Hi", IdempotencyKey: "k" + id, At: answered})
		if _, err := db.SetStatus(ctx, conv, inbox.Resolved, resolved); err != nil {
			t.Fatal(err)
		}
	}
	request("1", fri, mon.Add(30*time.Minute), mon.Add(time.Hour))
	request("2", mon.Add(time.Hour), mon.Add(time.Hour+5*time.Minute), mon.Add(2*time.Hour))
	f := inbox.ReportFilter{From: fri.Add(-time.Hour), To: mon.Add(24 * time.Hour)}

	s, err := db.ReportSummary(ctx, f, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if s.Business || s.FirstResponseBusiness.Count != 0 {
		t.Fatalf("without business hours the report has business times: %v %+v", s.Business, s.FirstResponseBusiness)
	}
	if _, err := db.UpdateAutoReplies(ctx, fri, func(c *inbox.AutoReplyConfig) error { c.Hours = weekdayHours(); return nil }); err != nil {
		t.Fatal(err)
	}
	if s, err = db.ReportSummary(ctx, f, time.UTC); err != nil {
		t.Fatal(err)
	}
	if s.FirstResponse != (inbox.Spread{P50: 300, P90: 65*3600 + 1800, Count: 2}) {
		t.Fatalf("wall-clock first response %+v", s.FirstResponse)
	}
	if !s.Business || s.FirstResponseBusiness != (inbox.Spread{P50: 300, P90: 5400, Count: 2}) {
		t.Fatalf("business first response %v %+v, want p50 5 min, p90 1 h 30 min (Friday 16:00-17:00, Monday 09:00-09:30)",
			s.Business, s.FirstResponseBusiness)
	}
	if s.Resolution != (inbox.Spread{P50: 3600, P90: 66 * 3600, Count: 2}) {
		t.Fatalf("wall-clock resolution %+v", s.Resolution)
	}
	if s.ResolutionBusiness != (inbox.Spread{P50: 3600, P90: 7200, Count: 2}) {
		t.Fatalf("business resolution %+v, want p50 1 h, p90 2 h", s.ResolutionBusiness)
	}
}

// TestReportSummaryByLabel: of two customers answered by Ana, one
// conversation carries "refund"; the report by that label counts its
// opening, messages, replies and resolve alone, and the export names the
// label.
func TestReportSummaryByLabel(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := inbox.User{Email: "ana@example.com", Name: "Ana", Role: inbox.RoleAgent, Active: true}
	if err := db.CreateUser(ctx, &ana); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var convs []int64
	for i, text := range []string{"I want a refund", "Where is my order?"} {
		id := fmt.Sprint(i + 1)
		if _, err := db.Ingest(ctx, inboundEvent("evt_"+id, "+1555000"+id, "msg_"+id, text, at), inbox.Apply); err != nil {
			t.Fatal(err)
		}
		var conv int64
		if err := db.reader.QueryRow(`SELECT conversation_id FROM messages WHERE zavu_id = ?`, "msg_"+id).Scan(&conv); err != nil {
			t.Fatal(err)
		}
		convs = append(convs, conv)
		for j := 0; j <= i; j++ { // the second conversation gets two replies
			sendReply(t, db, inbox.Reply{ConversationID: conv, AuthorID: &ana.ID, Source: inbox.SourceAgent,
				Type: inbox.TypeText, Text: "Hi", IdempotencyKey: fmt.Sprint("k", i, j), At: at.Add(time.Duration(i+j+1) * time.Minute)})
		}
	}
	for _, c := range convs { // Ana resolves both
		if _, err := db.Assign(ctx, c, &ana.ID, at.Add(30*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetStatus(ctx, c, inbox.Resolved, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	refund, urgent := inbox.Label{Name: "refund"}, inbox.Label{Name: "Urgent"}
	for _, l := range []*inbox.Label{&refund, &urgent} {
		if err := db.CreateLabel(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := db.UpdateConversations(ctx, convs[:1], inbox.ConversationUpdate{AddLabels: []string{"Urgent", "refund"}}, at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	f := inbox.ReportFilter{From: at.Add(-time.Hour), To: at.Add(24 * time.Hour)}
	all, err := db.ReportSummary(ctx, f, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if all.Conversations != 2 || all.InboundMessages != 2 || all.OutboundMessages != 3 || all.ByAgent[0].Resolved != 2 {
		t.Fatalf("everything: %d conversations, %d in, %d out; want 2, 2, 3", all.Conversations, all.InboundMessages, all.OutboundMessages)
	}
	f.LabelID = refund.ID
	s, err := db.ReportSummary(ctx, f, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if s.Conversations != 1 || s.InboundMessages != 1 || s.OutboundMessages != 1 || s.FirstResponse.P50 != 60 {
		t.Fatalf("refund: %d conversations, %d in, %d out, first response %v; want 1, 1, 1, 60 s",
			s.Conversations, s.InboundMessages, s.OutboundMessages, s.FirstResponse.P50)
	}
	if s.ByHour[10] != 1 || len(s.ByDay) == 0 || s.ByDay[0].Inbound != 1 || s.ByDay[0].Outbound != 1 {
		t.Fatalf("refund by hour %v, by day %+v", s.ByHour, s.ByDay)
	}
	if len(s.ByAgent) != 1 || s.ByAgent[0].Replies != 1 || s.ByAgent[0].Resolved != 1 {
		t.Fatalf("refund by agent %+v, want Ana's one reply and one resolve", s.ByAgent)
	}
	f.AgentID = ana.ID
	if s, err = db.ReportSummary(ctx, f, time.UTC); err != nil || s.OutboundMessages != 1 {
		t.Fatalf("refund by Ana: %d out, %v; want 1", s.OutboundMessages, err)
	}
	var rows []inbox.ReportRow
	f.AgentID, f.LabelID = 0, 0
	if err := db.ReportRows(ctx, f, func(r inbox.ReportRow) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	// A row's labels are in the order of their names, whatever their case.
	if want := []string{"refund", "Urgent"}; len(rows) != 2 || !slices.Equal(rows[0].Labels, want) && !slices.Equal(rows[1].Labels, want) {
		t.Fatalf("export rows %+v, want one labelled refund and Urgent", rows)
	}
	f.LabelID = refund.ID
	rows = rows[:0]
	if err := db.ReportRows(ctx, f, func(r inbox.ReportRow) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].ConversationID != convs[0] {
		t.Fatalf("export by label %+v, want the refund conversation alone", rows)
	}
}

// TestReportForOneAgentListsThemAlone: Ana answers a customer and Ben,
// to whom the conversation is assigned, resolves it. Ben's report (an
// admin's agent filter, or Ben's own page) counts the opening he resolved,
// and its agents are Ben alone: Ana's first response is not shown as hers
// beside none of her replies.
func TestReportForOneAgentListsThemAlone(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben := user(t, db, "Ana", true), user(t, db, "Ben", true)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if _, err := db.Ingest(ctx, inboundEvent("evt_1", "+15550001", "msg_1", "Hello", at), inbox.Apply); err != nil {
		t.Fatal(err)
	}
	var conv int64
	if err := db.reader.QueryRow(`SELECT conversation_id FROM messages WHERE zavu_id = 'msg_1'`).Scan(&conv); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.QueueReply(ctx, inbox.Reply{ConversationID: conv, AuthorID: &ana, Source: inbox.SourceAgent,
		Type: inbox.TypeText, Text: "Hi", IdempotencyKey: "k1", At: at.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Assign(ctx, conv, &ben, at.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(ctx, conv, inbox.Resolved, at.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	f := inbox.ReportFilter{From: at.Add(-time.Hour), To: at.Add(time.Hour), AgentID: ben}
	s, err := db.ReportSummary(ctx, f, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if s.Conversations != 1 || len(s.ByAgent) != 1 || s.ByAgent[0].AgentID != ben || s.ByAgent[0].Resolved != 1 {
		t.Fatalf("Ben's report: %d conversations, agents %+v; want the one he resolved, and Ben alone", s.Conversations, s.ByAgent)
	}
}

// TestMigrationForgetsFailedRepliesAsResponses opens a database whose
// openings counted a failed reply as the response, as they did before
// replies counted once they reached the customer, and finds them derived
// again: the request is unanswered.
func TestMigrationForgetsFailedRepliesAsResponses(t *testing.T) {
	skipOnPostgres(t, "it upgrades a SQLite database of an older schema")
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mustIngest(t, db, inboundEvent("evt_1", customerPhone, "msg_1", "Hello", t0))
	conv := int64(count(t, db, `SELECT id FROM conversations`))
	m, _, err := db.QueueReply(ctx, inbox.Reply{ConversationID: conv, Source: inbox.SourceAPI, Type: inbox.TypeText,
		Text: "On it", IdempotencyKey: "k1", At: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	sendQueued(t, db, m.ID, t0.Add(time.Minute), inbox.StatusFailed)
	db.Close()
	asBeforeReplyStatuses(t, path, fmt.Sprintf(`UPDATE openings SET first_response_at = %d`, t0.Add(time.Minute).UnixMilli()))

	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	<-db.staleDone
	got, want := rolledOpenings(t, db), scratchOpenings(t, db)
	if len(got) != 1 || !reflect.DeepEqual(got, want) || !got[conv][0].FirstResponseAt.IsZero() {
		t.Fatalf("openings after the upgrade %+v, want %+v, unanswered", got, want)
	}
}

// TestReportRowsHoldNoConnectionWhileWritten: an export of more rows
// than a page gives every opening once, in order (openings of the same
// instant across a page's end too), and while fn writes a row out (to a
// client reading slowly) no connection of the read pool is held: on
// SQLite, an open read would keep the WAL from being reset the whole
// download long.
func TestReportRowsHoldNoConnectionWhileWritten(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	const n = 2*reportRowsPage + 50
	for i := range n {
		id := fmt.Sprint(i)
		// Half of them open in the same millisecond.
		when := at
		if i%2 == 1 {
			when = at.Add(time.Duration(i) * time.Second)
		}
		if _, err := db.Ingest(ctx, inboundEvent("evt_"+id, fmt.Sprintf("+1555%07d", i), "msg_"+id, "Hello", when), inbox.Apply); err != nil {
			t.Fatal(err)
		}
	}
	var rows []inbox.ReportRow
	held := 0
	err := db.ReportRows(ctx, inbox.ReportFilter{From: at, To: at.Add(24 * time.Hour)}, func(r inbox.ReportRow) error {
		if db.reader.Stats().InUse > 0 {
			held++
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if held > 0 {
		t.Errorf("a read connection was held while %d of %d rows were written out", held, len(rows))
	}
	seen := map[int64]bool{}
	for i, r := range rows {
		if seen[r.ConversationID] {
			t.Fatalf("conversation %d exported twice", r.ConversationID)
		}
		seen[r.ConversationID] = true
		if i > 0 {
			p := rows[i-1]
			if c := r.Opening.OpenedAt.Compare(p.Opening.OpenedAt); c < 0 || c == 0 && r.ConversationID < p.ConversationID {
				t.Fatalf("row %d (%d at %v) after %d at %v: want oldest first", i, r.ConversationID, r.Opening.OpenedAt, p.ConversationID, p.Opening.OpenedAt)
			}
		}
	}
	if len(rows) != n {
		t.Errorf("%d rows, want %d", len(rows), n)
	}
}
