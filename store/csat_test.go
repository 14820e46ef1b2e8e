package store

import (
	"context"
	"testing"
	"time"

	"switchboard/inbox"
)

// TestCSATSurveyAndAnswer walks a resolve through its survey: it waits out
// the undo window, goes once into the outbox as an automatic message, and
// the customer's "4" is recorded against the opening and the agent who
// resolved, with the conversation still resolved and no new opening; the
// report scores it per agent and within its filters.
func TestCSATSurveyAndAnswer(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := inbox.User{Email: "ana@example.com", Name: "Ana", Role: inbox.RoleAgent, Active: true}
	if err := db.CreateUser(ctx, &ana); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if _, err := db.SaveCSATConfig(ctx, inbox.CSATConfig{Enabled: true, Question: "How did we do?"},
		inbox.AuditEntry{At: t0, UserID: &ana.ID, Action: "csat.update"}, t0); err != nil {
		t.Fatal(err)
	}
	ingest := func(id, phone, text string, at time.Time) int64 {
		t.Helper()
		if _, err := db.Ingest(ctx, inboundEvent("evt_"+id, phone, "msg_"+id, text, at), inbox.IngestWithAutoReplies(func() time.Time { return at })); err != nil {
			t.Fatal(err)
		}
		var conv int64
		if err := db.reader.QueryRow(`SELECT conversation_id FROM messages WHERE zavu_id = ?`, "msg_"+id).Scan(&conv); err != nil {
			t.Fatal(err)
		}
		return conv
	}
	conv := ingest("1", "+15550001", "Where is my order?", t0.Add(time.Minute))
	if _, err := db.Assign(ctx, conv, &ana.ID, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	sendReply(t, db, inbox.Reply{ConversationID: conv, AuthorID: &ana.ID, Source: inbox.SourceAgent,
		Type: inbox.TypeText, Text: "On its way", IdempotencyKey: "k1", At: t0.Add(3 * time.Minute)})
	resolvedAt := t0.Add(4 * time.Minute)
	if _, err := db.SetStatus(ctx, conv, inbox.Resolved, resolvedAt); err != nil {
		t.Fatal(err)
	}
	surveys := func() int {
		return count(t, db, `SELECT count(*) FROM messages WHERE conversation_id = ? AND auto_reply_rule = ?`, conv, inbox.CSATRule)
	}
	// Inside the undo window nothing goes.
	if _, err := db.SendDueSurveys(ctx, resolvedAt.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := surveys(); n != 0 {
		t.Fatalf("%d surveys inside the undo window", n)
	}
	next, ok, err := db.NextSurveyDue(ctx, resolvedAt.Add(time.Minute))
	if err != nil || !ok || !next.Equal(resolvedAt.Add(inbox.CSATDelay)) {
		t.Fatalf("next survey due %v %v %v, want %v", next, ok, err, resolvedAt.Add(inbox.CSATDelay))
	}
	due := resolvedAt.Add(inbox.CSATDelay)
	ch, err := db.SendDueSurveys(ctx, due)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Queued || surveys() != 1 {
		t.Fatalf("due: change %+v, %d surveys; want one queued", ch, surveys())
	}
	// Never twice for one resolve.
	if _, err := db.SendDueSurveys(ctx, due.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := surveys(); n != 1 {
		t.Fatalf("%d surveys after a second pass, want 1", n)
	}
	var typ, src string
	var author any
	if err := db.reader.QueryRow(`SELECT type, source, author_id FROM messages WHERE conversation_id = ? AND auto_reply_rule = ?`,
		conv, inbox.CSATRule).Scan(&typ, &src, &author); err != nil {
		t.Fatal(err)
	}
	if typ != string(inbox.TypeButtons) || src != string(inbox.SourceAutoReply) || author != nil {
		t.Fatalf("survey type %s source %s author %v; want buttons from auto_reply, no author", typ, src, author)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox`); n != 2 {
		t.Fatalf("outbox holds %d entries, want the reply and the survey", n)
	}

	// The customer answers "4": recorded, no reopen, no new opening, and
	// the survey is not a response.
	ingest("2", "+15550001", "4", due.Add(time.Minute))
	c, err := db.Conversation(ctx, conv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != inbox.Resolved {
		t.Fatalf("after the answer the conversation is %s, want resolved", c.Status)
	}
	as, err := db.CSATAnswers(ctx, conv)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].Score != 4 || as[0].AgentID == nil || *as[0].AgentID != ana.ID || !as[0].OpenedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("answers %+v, want one 4 for Ana's resolve of the opening at %v", as, t0.Add(time.Minute))
	}
	if n := count(t, db, `SELECT count(*) FROM openings WHERE conversation_id = ?`, conv); n != 1 {
		t.Fatalf("%d openings, want 1: the answer is no new request", n)
	}
	// A second answer does not count again: it is a customer's message.
	ingest("3", "+15550001", "5", due.Add(2*time.Minute))
	if c, _ := db.Conversation(ctx, conv); c.Status != inbox.Open {
		t.Fatalf("a second \"5\" leaves the conversation %s, want it reopened", c.Status)
	}
	if as, _ := db.CSATAnswers(ctx, conv); len(as) != 1 {
		t.Fatalf("answers %+v after a second digit", as)
	}

	f := inbox.ReportFilter{From: t0, To: t0.Add(24 * time.Hour)}
	s, err := db.ReportSummary(ctx, f, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if s.CSAT != (inbox.CSATScore{Count: 1, Average: 4, Satisfied: 1}) {
		t.Fatalf("summary CSAT %+v", s.CSAT)
	}
	if s.FirstResponse.Count != 1 || s.FirstResponse.P50 != 120 {
		t.Fatalf("first response %+v: the survey must not count", s.FirstResponse)
	}
	var anaFig inbox.AgentFigures
	for _, a := range s.ByAgent {
		if a.AgentID == ana.ID {
			anaFig = a
		}
	}
	if anaFig.CSAT.Count != 1 || anaFig.CSAT.Satisfied != 1 {
		t.Fatalf("Ana's CSAT %+v", anaFig.CSAT)
	}
	// Out of the period, on another channel or another agent: none.
	for name, g := range map[string]inbox.ReportFilter{
		"before":  {From: t0.Add(-24 * time.Hour), To: t0},
		"sms":     {From: f.From, To: f.To, Channel: inbox.SMS},
		"another": {From: f.From, To: f.To, AgentID: ana.ID + 100},
	} {
		s, err := db.ReportSummary(ctx, g, time.UTC)
		if err != nil || s.CSAT.Count != 0 {
			t.Errorf("%s: CSAT %+v %v, want none", name, s.CSAT, err)
		}
	}
	var rows []inbox.ReportRow
	if err := db.ReportRows(ctx, f, func(r inbox.ReportRow) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].CSAT != 4 || rows[1].CSAT != 0 {
		t.Fatalf("export rows %+v: want the first opening rated 4, the reopening unrated", rows)
	}
}

// TestCSATCancelledByUndo resolves, undoes inside the window and resolves
// again: only the last resolve's survey goes; a resolve undone for good
// gets none, and a survey that is off sends nothing.
func TestCSATCancelledByUndo(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if _, err := db.Ingest(ctx, inboundEvent("evt_1", "+15550001", "msg_1", "Hi", t0), inbox.Apply); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Ingest(ctx, inboundEvent("evt_2", "+15550002", "msg_2", "Hi", t0), inbox.Apply); err != nil {
		t.Fatal(err)
	}
	var c1, c2 int64
	db.reader.QueryRow(`SELECT conversation_id FROM messages WHERE zavu_id = 'msg_1'`).Scan(&c1)
	db.reader.QueryRow(`SELECT conversation_id FROM messages WHERE zavu_id = 'msg_2'`).Scan(&c2)
	set := func(conv int64, st inbox.ConversationStatus, at time.Time) {
		t.Helper()
		if _, err := db.SetStatus(ctx, conv, st, at); err != nil {
			t.Fatal(err)
		}
	}
	// Off: a resolve sends nothing, even once turned on later.
	set(c2, inbox.Resolved, t0.Add(time.Second))
	if _, err := db.SendDueSurveys(ctx, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Minute)
	if _, err := db.SaveCSATConfig(ctx, inbox.CSATConfig{Enabled: true}, inbox.AuditEntry{At: at, Action: "csat.update"}, at); err != nil {
		t.Fatal(err)
	}
	set(c1, inbox.Resolved, at.Add(time.Second))
	set(c1, inbox.Open, at.Add(5*time.Second)) // Undo
	set(c1, inbox.Resolved, at.Add(10*time.Second))
	if _, err := db.SendDueSurveys(ctx, at.Add(time.Second+inbox.CSATDelay)); err != nil {
		t.Fatal(err)
	}
	q := `SELECT count(*) FROM messages WHERE auto_reply_rule = '` + inbox.CSATRule + `'`
	if n := count(t, db, q); n != 0 {
		t.Fatalf("%d surveys for a resolve that was undone", n)
	}
	if _, err := db.SendDueSurveys(ctx, at.Add(10*time.Second+inbox.CSATDelay)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, q+` AND conversation_id = ?`, c1); n != 1 {
		t.Fatalf("%d surveys for the last resolve, want 1", n)
	}
	if n := count(t, db, q+` AND conversation_id = ?`, c2); n != 0 {
		t.Fatalf("%d surveys for a resolve made while the survey was off", n)
	}
	// Resolved and undone for good: none.
	set(c1, inbox.Open, at.Add(time.Hour))
	set(c1, inbox.Resolved, at.Add(time.Hour+time.Second))
	set(c1, inbox.Open, at.Add(time.Hour+2*time.Second))
	if _, err := db.SendDueSurveys(ctx, at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, q+` AND conversation_id = ?`, c1); n != 1 {
		t.Fatalf("%d surveys after an undone resolve, want still 1", n)
	}
}
