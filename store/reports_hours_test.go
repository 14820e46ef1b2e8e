package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// conversationKeys maps each conversation to its sender and channel.
func conversationKeys(t testing.TB, db *DB) map[int64][2]string {
	t.Helper()
	rows, err := db.reader.Query(`SELECT id, sender_id, channel FROM conversations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][2]string{}
	for rows.Next() {
		var id int64
		var k [2]string
		if err := rows.Scan(&id, &k[0], &k[1]); err != nil {
			t.Fatal(err)
		}
		out[id] = k
	}
	return out
}

// hoursDiff compares the packed opening hours and the agents' days with
// what the openings from scratch and the messages say.
func hoursDiff(t testing.TB, db *DB, scratch map[int64][]inbox.Opening) string {
	t.Helper()
	keys := conversationKeys(t, db)
	line := func(hour int64, sender, channel string, conv int64, o inbox.Opening) string {
		first, resolved := "-", "-"
		if !o.FirstResponseAt.IsZero() {
			first = fmt.Sprint(o.FirstResponseAt.UnixMilli(), "/", o.FirstResponder)
		}
		if !o.ResolvedAt.IsZero() {
			resolved = fmt.Sprint(o.ResolvedAt.UnixMilli(), "/", o.Resolver)
		}
		return fmt.Sprint(hour, " ", sender, " ", channel, " ", conv, " ", o.OpenedAt.UnixMilli(), " ", first, " ", resolved)
	}
	var want []string
	wantDays := map[string]int{}
	for conv, os := range scratch {
		k := keys[conv]
		for _, o := range os {
			ms := o.OpenedAt.UnixMilli()
			want = append(want, line(ms/hourMS, k[0], k[1], conv, o))
			if !o.ResolvedAt.IsZero() && o.Resolver != 0 {
				wantDays[fmt.Sprint(o.ResolvedAt.UnixMilli()/dayMS, " ", o.Resolver, " ", k[0], " ", k[1], " resolves")]++
			}
		}
	}
	toLine := func(sender, channel string, p *packedOpening) string {
		o := inbox.Opening{OpenedAt: time.UnixMilli(p.opened).UTC()}
		if p.answered {
			o.FirstResponseAt, o.FirstResponder = time.UnixMilli(p.firstAt).UTC(), p.responder
		}
		if p.resolved {
			o.ResolvedAt, o.Resolver = time.UnixMilli(p.resolvedAt).UTC(), p.resolver
		}
		return line(sqlHour(p.opened), sender, channel, p.conv, o)
	}
	slices.Sort(want)

	// What a summary reads, hours packed or waiting to be packed again
	// alike, is the openings.
	var read []string
	all := inbox.ReportFilter{From: time.UnixMilli(1), To: time.UnixMilli(math.MaxInt64 / 4)}
	if err := db.eachOpening(context.Background(), all, func(p *packedOpening) {
		k := keys[p.conv]
		read = append(read, toLine(k[0], k[1], p))
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(read)
	if !slices.Equal(read, want) {
		return fmt.Sprintf("openings read for a summary:\n   read %v\nscratch %v", read, want)
	}

	// Packed again, the hours hold the openings.
	for {
		more, err := db.PackOpeningHours(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
	}
	rows, err := db.reader.Query(`SELECT hour, sender_id, channel, n, data FROM opening_hours`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var hour int64
		var n int
		var sender, channel string
		var data []byte
		if err := rows.Scan(&hour, &sender, &channel, &n, &data); err != nil {
			t.Fatal(err)
		}
		before := len(got)
		err := unpackOpenings(data, hour, func(p *packedOpening) {
			got = append(got, toLine(sender, channel, p))
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got)-before != n || n == 0 {
			return fmt.Sprintf("hour %d %s %s: n %d, %d packed", hour, sender, channel, n, len(got)-before)
		}
	}
	rows.Close()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		return fmt.Sprintf("packed openings:\n rolled %v\nscratch %v", got, want)
	}
	if n := count(t, db, `SELECT count(*) FROM opening_hours_dirty`); n != 0 {
		return fmt.Sprintf("%d opening hours left to pack after packing", n)
	}

	rows, err = db.reader.Query(`SELECT m.created_at / 900000 / 96, m.author_id, c.sender_id, c.channel, count(*)
		FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.direction = 'outbound' AND m.source IN ('agent', 'api') AND m.author_id IS NOT NULL
		GROUP BY 1, 2, 3, 4`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var day, author int64
		var sender, channel string
		var n int
		if err := rows.Scan(&day, &author, &sender, &channel, &n); err != nil {
			t.Fatal(err)
		}
		wantDays[fmt.Sprint(day, " ", author, " ", sender, " ", channel, " replies")] = n
	}
	rows.Close()
	gotDays := map[string]int{}
	rows, err = db.reader.Query(`SELECT day, agent_id, sender_id, channel, replies, resolves FROM agent_days`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var day, agent int64
		var sender, channel string
		var replies, resolves int
		if err := rows.Scan(&day, &agent, &sender, &channel, &replies, &resolves); err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprint(day, " ", agent, " ", sender, " ", channel)
		if replies != 0 {
			gotDays[k+" replies"] = replies
		}
		if resolves != 0 {
			gotDays[k+" resolves"] = resolves
		}
	}
	rows.Close()
	if fmt.Sprint(gotDays) != fmt.Sprint(wantDays) {
		return fmt.Sprintf("agent days:\n rolled %v\nscratch %v", gotDays, wantDays)
	}
	return ""
}

// scratchSummary computes the opening and agent figures of f's period
// from the openings from scratch and the messages, by the definitions.
func scratchSummary(t testing.TB, db *DB, scratch map[int64][]inbox.Opening, keys map[int64][2]string,
	f inbox.ReportFilter, clock *inbox.BusinessClock) inbox.Summary {
	t.Helper()
	var s inbox.Summary
	s.ResponseBuckets = make([]int, len(inbox.ResponseBucketBounds))
	var firsts, resolutions, bizFirsts, bizResolutions []float64
	byAgent := map[int64][]float64{}
	keep := func(conv int64) bool {
		k := keys[conv]
		return (f.SenderID == "" || k[0] == f.SenderID) && (f.Channel == "" || k[1] == string(f.Channel))
	}
	agents := map[int64]*inbox.AgentFigures{}
	agent := func(id int64) *inbox.AgentFigures {
		if agents[id] == nil {
			agents[id] = &inbox.AgentFigures{AgentID: id}
		}
		return agents[id]
	}
	for conv, os := range scratch {
		if !keep(conv) {
			continue
		}
		for _, o := range os {
			if !o.ResolvedAt.IsZero() && o.Resolver != 0 && !o.ResolvedAt.Before(f.From) && o.ResolvedAt.Before(f.To) &&
				(f.AgentID == 0 || f.AgentID == o.Resolver) {
				agent(o.Resolver).Resolved++
			}
			if o.OpenedAt.Before(f.From) || !o.OpenedAt.Before(f.To) {
				continue
			}
			answered, resolved := !o.FirstResponseAt.IsZero(), !o.ResolvedAt.IsZero()
			if f.AgentID != 0 && !(answered && o.FirstResponder == f.AgentID) && !(resolved && o.Resolver == f.AgentID) {
				continue
			}
			s.Conversations++
			if d, ok := o.FirstResponse(); ok {
				secs := float64(d.Milliseconds()) / 1000
				firsts = append(firsts, secs)
				s.ResponseBuckets[inbox.ResponseBucket(secs)]++
				if o.FirstResponder != 0 && (f.AgentID == 0 || o.FirstResponder == f.AgentID) {
					byAgent[o.FirstResponder] = append(byAgent[o.FirstResponder], secs)
				}
				if clock != nil {
					bizFirsts = append(bizFirsts, float64(clock.Between(o.OpenedAt, o.FirstResponseAt).Milliseconds())/1000)
				}
			}
			if d, ok := o.Resolution(); ok {
				resolutions = append(resolutions, float64(d.Milliseconds())/1000)
				if clock != nil {
					bizResolutions = append(bizResolutions, float64(clock.Between(o.OpenedAt, o.ResolvedAt).Milliseconds())/1000)
				}
			}
		}
	}
	spread := func(v []float64) inbox.Spread {
		slices.Sort(v)
		rank := func(p float64) float64 {
			if len(v) == 0 {
				return 0
			}
			return v[max(int(math.Ceil(p*float64(len(v))))-1, 0)]
		}
		return inbox.Spread{P50: rank(0.5), P90: rank(0.9), Count: len(v)}
	}
	s.FirstResponse, s.Resolution = spread(firsts), spread(resolutions)
	if clock != nil {
		s.Business = true
		s.FirstResponseBusiness, s.ResolutionBusiness = spread(bizFirsts), spread(bizResolutions)
	}
	for id, v := range byAgent {
		agent(id).FirstResponses, agent(id).FirstResponseP50 = len(v), spread(v).P50
	}
	// Replies count to the quarter hour that holds each end.
	lo, hi := floorDiv(msOf(f.From), quarterMS)*quarterMS, ceilDiv(msOf(f.To), quarterMS)*quarterMS
	rows, err := db.reader.Query(`SELECT m.conversation_id, m.author_id FROM messages m
		WHERE m.direction = 'outbound' AND m.source IN ('agent', 'api') AND m.author_id IS NOT NULL
			AND m.created_at >= ? AND m.created_at < ?`, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var conv, author int64
		if err := rows.Scan(&conv, &author); err != nil {
			t.Fatal(err)
		}
		if keep(conv) && (f.AgentID == 0 || f.AgentID == author) {
			agent(author).Replies++
		}
	}
	for _, a := range agents {
		s.ByAgent = append(s.ByAgent, *a)
	}
	return s
}

// openingFigures are the parts of a summary the openings and the agents'
// rollups give, names aside, in a comparable form.
func openingFigures(s inbox.Summary) string {
	var agents []string
	for _, a := range s.ByAgent {
		agents = append(agents, fmt.Sprintf("%d: %d replies, %d resolved, %d first responses, p50 %v", a.AgentID, a.Replies, a.Resolved,
			a.FirstResponses, a.FirstResponseP50))
	}
	slices.Sort(agents)
	return fmt.Sprintf("%d openings, first %+v, resolution %+v, business %v %+v %+v, buckets %v\n%s", s.Conversations,
		s.FirstResponse, s.Resolution, s.Business, s.FirstResponseBusiness, s.ResolutionBusiness, s.ResponseBuckets,
		strings.Join(agents, "\n"))
}

// TestReportSummaryEqualsScratch compares the summary read from the
// rollups with the figures computed from the messages and resolves, for
// random periods (whole days, part days, a few minutes) and filters, in
// wall-clock time and within business hours.
func TestReportSummaryEqualsScratch(t *testing.T) {
	now := time.Date(2026, 3, 20, 15, 7, 0, 0, time.UTC)
	db := generated(t, Generation{Conversations: 400, Messages: 4000, Senders: []string{"snd_a", "snd_b"}, Now: now})
	ctx := context.Background()
	scratch, keys := scratchOpenings(t, db), conversationKeys(t, db)
	if d := hoursDiff(t, db, scratch); d != "" {
		t.Fatal(d)
	}
	var users []int64
	for id := range mustUserNames(t, db) {
		users = append(users, id)
	}
	slices.Sort(users)
	rng := rand.New(rand.NewPCG(5, 6))
	loc, _ := time.LoadLocation("America/New_York")
	check := func(clock *inbox.BusinessClock) {
		for i := range 60 {
			from := now.Add(-time.Duration(rng.Int64N(int64(40 * 24 * time.Hour))))
			length := []time.Duration{time.Duration(rng.Int64N(int64(40 * 24 * time.Hour))), 7 * time.Minute, 24 * time.Hour, 90 * 24 * time.Hour}[i%4]
			if i%5 == 0 {
				from = from.Truncate(24 * time.Hour)
			}
			f := inbox.ReportFilter{From: from, To: from.Add(length + time.Millisecond)}
			switch rng.IntN(4) {
			case 1:
				f.SenderID = "snd_b"
			case 2:
				f.Channel = inbox.SMS
			case 3:
				f.AgentID = users[rng.IntN(len(users))]
			}
			got, err := db.ReportSummary(ctx, f, loc)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := openingFigures(got), openingFigures(scratchSummary(t, db, scratch, keys, f, clock)); g != w {
				t.Fatalf("period %v to %v, filter %+v:\n rolled %s\nscratch %s", f.From, f.To, f, g, w)
			}
		}
	}
	check(nil)
	hours := inbox.BusinessHours{TimeZone: "America/New_York", Holidays: []string{"2026-03-09"}}
	for d := time.Monday; d <= time.Friday; d++ {
		hours.Days[d] = []inbox.Span{{Open: 9 * 60, Close: 17 * 60}}
	}
	if _, err := db.UpdateAutoReplies(ctx, now, func(c *inbox.AutoReplyConfig) error { c.Hours = hours; return nil }); err != nil {
		t.Fatal(err)
	}
	check(inbox.NewBusinessClock(hours))
	if n := count(t, db, `SELECT count(*) FROM openings WHERE resolver_id IS NOT NULL`); n == 0 {
		t.Fatal("no opening resolved by an agent: the check exercises too little")
	}
}

func mustUserNames(t testing.TB, db *DB) map[int64]string {
	t.Helper()
	names, err := db.userNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestMigrationPacksTheOpeningsOfAnExistingDatabase upgrades a database
// that has openings but no packed hours: the migration packs them, telling
// the log how far it is, and the summary then reads them.
func TestMigrationPacksTheOpeningsOfAnExistingDatabase(t *testing.T) {
	skipOnPostgres(t, "it upgrades a SQLite database made before packed hours; a PostgreSQL database starts with them")
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 20, 15, 7, 0, 0, time.UTC)
	if err := db.Generate(context.Background(), Generation{Conversations: 300, Messages: 2500, Senders: []string{"snd_a", "snd_b"}, Now: now}); err != nil {
		t.Fatal(err)
	}
	f := inbox.ReportFilter{From: now.Add(-40 * 24 * time.Hour), To: now}
	before, err := db.ReportSummary(context.Background(), f, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", DSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP TABLE opening_hours`, `DROP TABLE opening_hours_dirty`, `DROP TABLE agent_days`,
		`DROP TRIGGER openings_hours_insert`, `DROP TRIGGER openings_hours_delete`, `DROP TRIGGER openings_hours_update`,
		`DROP TRIGGER openings_agent_days_insert`, `DROP TRIGGER openings_agent_days_delete`, `DROP TRIGGER openings_agent_days_update`,
		`DROP TRIGGER reply_counts_agent_days_insert`, `DROP TRIGGER reply_counts_agent_days_update`, `DROP TRIGGER reply_counts_agent_days_delete`,
		`DELETE FROM schema_migrations WHERE version IN (25, 28)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	report := packReport
	packReport = 0
	t.Cleanup(func() { packReport = report })
	var logged logBuffer
	db, err = Open(path, WithLogger(slog.New(slog.NewJSONHandler(&logged, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var progress, done int
	for _, line := range strings.Split(strings.TrimSpace(logged.String()), "\n") {
		var rec struct {
			Msg      string `json:"msg"`
			Done     int64  `json:"openings_done"`
			Openings int64  `json:"openings"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch rec.Msg {
		case "report rollups: packing openings by hour":
			if rec.Done > 0 {
				progress++
			}
		case "report rollups: packed openings by hour":
			done++
		}
	}
	if progress < 2 || done != 1 {
		t.Errorf("the log told %d steps of progress and %d ends, want several and one:\n%s", progress, done, logged.String())
	}
	if d := hoursDiff(t, db, scratchOpenings(t, db)); d != "" {
		t.Fatal(d)
	}
	after, err := db.ReportSummary(context.Background(), f, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if before.Conversations < 250 || openingFigures(after) != openingFigures(before) {
		t.Fatalf("before the upgrade:\n%s\nafter:\n%s", openingFigures(before), openingFigures(after))
	}
}

// TestReportHoursArePackedInTheBackground: with packing on, the hours an
// ingest changed are packed again without anyone asking, and the summary
// reads the same before and after.
func TestReportHoursArePackedInTheBackground(t *testing.T) {
	db := openTest(t, WithReportPacking(10*time.Millisecond))
	ctx := context.Background()
	for i := range 20 {
		ev := inboundEvent(fmtID("evt", i), fmtID("+1555", i%7), fmtID("msg", i), "hi", t0.Add(time.Duration(i)*time.Minute))
		if _, err := db.Ingest(ctx, ev, applyInbound); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for count(t, db, `SELECT count(*) FROM opening_hours_dirty`) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the changed hours were never packed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := count(t, db, `SELECT coalesce(sum(n), 0) FROM opening_hours`); n != 7 {
		t.Errorf("%d openings packed, want 7 (one a contact)", n)
	}
	if d := hoursDiff(t, db, scratchOpenings(t, db)); d != "" {
		t.Error(d)
	}
}

// Packing a busy hour reads all its openings: it is done beside the
// writer, so a webhook that comes meanwhile is stored and applied without
// waiting for it. An hour whose openings change while it is packed is not
// stored stale: it stays to pack, and the next round packs it whole.
func TestWebhooksAreIngestedWhileReportHoursArePacked(t *testing.T) {
	db := openTest(t, WithReportPacking(0))
	ctx := context.Background()
	for i := range 20 {
		ev := inboundEvent(fmtID("evt", i), fmtID("+1555", i), fmtID("msg", i), "hi", t0.Add(time.Duration(i)*time.Second))
		if _, err := db.Ingest(ctx, ev, applyInbound); err != nil {
			t.Fatal(err)
		}
	}
	ingested := make(chan error, 1)
	hourPacksRead = func() {
		hourPacksRead = func() {}
		// In the same hour, from a new customer: a new opening.
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err := db.Ingest(ctx, inboundEvent("evt_during", "+15559999", "msg_during", "hi", t0.Add(30*time.Second)), applyInbound)
		ingested <- err
	}
	t.Cleanup(func() { hourPacksRead = func() {} })
	if _, err := db.PackOpeningHours(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-ingested; err != nil {
		t.Fatalf("a webhook during packing: %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM opening_hours_dirty`); n != 1 {
		t.Errorf("%d hours left to pack, want the one that changed while it was packed", n)
	}
	if n := count(t, db, `SELECT coalesce(sum(n), 0) FROM opening_hours`); n != 0 {
		t.Errorf("%d openings packed from before the change, want none stored", n)
	}
	if _, err := db.PackOpeningHours(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT coalesce(sum(n), 0) FROM opening_hours`); n != 21 {
		t.Errorf("%d openings packed, want 21", n)
	}
	if d := hoursDiff(t, db, scratchOpenings(t, db)); d != "" {
		t.Error(d)
	}
}
