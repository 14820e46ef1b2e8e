package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/web"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func smsFrom(id, msgID, phone, text string, at time.Time) []byte {
	return event(id, "message.inbound", at, map[string]any{
		"messageId": msgID, "from": phone, "to": "+13125559876", "channel": "sms",
		"messageType": "text", "text": text,
	})
}

// TestCSATSurveyThroughTheStack turns the survey on in the admin page,
// resolves conversations on each channel and window through the inbox,
// and checks what the fake Zavu receives: one buttons message inside the
// WhatsApp window, one text on SMS, nothing outside the window without a
// template, the template once chosen, nothing after an Undo, never a
// second copy. A button reply is then recorded without reopening or an
// auto-reply, shows as a line in the thread and scores in the summary and
// the export; a reply that is not a score reopens as usual.
func TestCSATSurveyThroughTheStack(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Second)
	clock := &testClock{t: base}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	ctx := context.Background()
	admin := ts.admin()
	ana, err := ts.db.UserByEmail(ctx, "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	// A keyword auto-reply that a "Good" or "thanks" would trigger, were
	// it an ordinary message.
	if _, err := ts.db.UpdateAutoReplies(ctx, base, func(c *inbox.AutoReplyConfig) error {
		_, err := c.PutRule(inbox.KeywordRule{Name: "Thanks", Keywords: []string{"good", "thanks"},
			AutoReplyMessage: inbox.AutoReplyMessage{Enabled: true, Text: "Glad to help!"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ts.mustPost(fixture(t, "seed_template_status_changed")) // tmpl_xyz789, approved

	if p := admin.submit("/admin/satisfaction", url.Values{"enabled": {"on"}, "question": {"How did we do?"}}); p.status != http.StatusSeeOther {
		t.Fatalf("saving the survey: %d %s", p.status, p.find("csat-error").Text())
	}
	p := admin.get("/admin/satisfaction?saved=1")
	if p.status != http.StatusOK || p.find("saved").Length() != 1 || p.find("csat-enabled").AttrOr("checked", "no") == "no" {
		t.Fatalf("saving the survey: %d %s", p.status, p.find("csat-settings").Text())
	}
	if audit := admin.get("/admin/audit"); !strings.Contains(audit.find("audit-log").Text(), "Satisfaction survey on") {
		t.Fatalf("the audit log does not show the change: %s", audit.find("audit-log").Text())
	}

	ts.mustPost(inboundFrom("evt_wa", "msg_wa", "+14155550001", "Wa", "Where is my order?", base.Add(-10*time.Minute)))
	ts.mustPost(inboundFrom("evt_old", "msg_old", "+14155550002", "Old", "Hello?", base.Add(-25*time.Hour)))
	ts.mustPost(smsFrom("evt_sms", "msg_sms", "+14155550003", "Is the shop open?", base.Add(-10*time.Minute)))
	ts.mustPost(inboundFrom("evt_undo", "msg_undo", "+14155550004", "Undo", "Hi", base.Add(-10*time.Minute)))
	conv := func(msgID string) int64 { return ts.mustMessage(msgID).ConversationID }
	cWA, cOld, cSMS, cUndo := conv("msg_wa"), conv("msg_old"), conv("msg_sms"), conv("msg_undo")
	if p := admin.post(fmt.Sprintf("/conversations/%d/assign", cWA), url.Values{"assignee": {"me"}}); p.status >= 300 {
		t.Fatalf("assign: %d %s", p.status, p.body)
	}
	status := func(id int64, st string) {
		t.Helper()
		if p := admin.post(fmt.Sprintf("/conversations/%d/status", id), url.Values{"status": {st}}); p.status >= 300 {
			t.Fatalf("status %s: %d %s", st, p.status, p.body)
		}
	}
	for _, id := range []int64{cWA, cOld, cSMS, cUndo} {
		status(id, "resolved")
	}
	clock.set(base.Add(30 * time.Second))
	status(cUndo, "open") // Undo

	messenger := zavu.Messenger{Client: zavu.NewClient("http://zavu.test", "zv_test_web",
		zavu.WithHTTPClient(&http.Client{Transport: ts.zavu.Transport()}))}
	outbox := inbox.NewOutbox(ts.db, messenger, nil, nil)
	outbox.Now = clock.now
	sweep := func(at time.Time) {
		t.Helper()
		clock.set(at)
		if _, err := ts.db.SendDueSurveys(ctx, at); err != nil {
			t.Fatal(err)
		}
		if _, err := outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sentTo := func(phone string) []zavu.Message {
		var out []zavu.Message
		for _, m := range ts.zavu.Sent() {
			if m.To == phone {
				out = append(out, m)
			}
		}
		return out
	}
	// Still inside the undo window: nothing.
	sweep(base.Add(time.Minute))
	if n := len(ts.zavu.Sent()); n != 0 {
		t.Fatalf("%d messages sent inside the undo window", n)
	}
	sweep(base.Add(inbox.CSATDelay + time.Second))
	sweep(base.Add(inbox.CSATDelay + 2*time.Second)) // a second pass sends nothing again
	wa := sentTo("+14155550001")
	if len(wa) != 1 || wa[0].MessageType != "buttons" || wa[0].Text != "How did we do?" || wa[0].Content == nil || len(wa[0].Content.Buttons) != 3 {
		t.Fatalf("WhatsApp inside the window received %+v, want one buttons survey", wa)
	}
	if b := wa[0].Content.Buttons; b[0] != (zavu.Button{ID: "csat_5", Title: "Good"}) || b[2] != (zavu.Button{ID: "csat_1", Title: "Bad"}) {
		t.Errorf("buttons %+v", b)
	}
	if sms := sentTo("+14155550003"); len(sms) != 1 || sms[0].MessageType != "text" || !strings.Contains(sms[0].Text, "1 (bad) to 5") {
		t.Fatalf("SMS received %+v, want one text asking for 1 to 5", sms)
	}
	if n := len(sentTo("+14155550002")); n != 0 {
		t.Fatalf("outside the window with no template: %d messages", n)
	}
	if n := len(sentTo("+14155550004")); n != 0 {
		t.Fatalf("after an Undo: %d messages", n)
	}

	// With a template chosen, a resolve outside the window gets it.
	if p := admin.submit("/admin/satisfaction", url.Values{"enabled": {"on"}, "question": {"How did we do?"},
		"template_id": {"tmpl_xyz789"}}); p.status != http.StatusSeeOther {
		t.Fatalf("choosing a template: %d %s", p.status, p.find("csat-error").Text())
	}
	ts.mustPost(inboundFrom("evt_old2", "msg_old2", "+14155550005", "Old2", "Hello?", base.Add(-26*time.Hour)))
	clock.set(base.Add(5 * time.Minute))
	status(conv("msg_old2"), "resolved")
	sweep(base.Add(5*time.Minute + inbox.CSATDelay + time.Second))
	if tm := sentTo("+14155550005"); len(tm) != 1 || tm[0].MessageType != "template" || tm[0].Content.TemplateID != "tmpl_xyz789" {
		t.Fatalf("outside the window with a template: %+v", tm)
	}

	// The thread shows the survey as an automatic message.
	thread := admin.htmx(fmt.Sprintf("/conversations/%d", cWA))
	if !strings.Contains(thread.body, "Auto-reply: "+inbox.CSATRule) {
		t.Fatal("the survey does not show as an automatic message in the thread")
	}

	// The customer taps Good.
	sent := len(ts.zavu.Sent())
	tap := base.Add(10 * time.Minute)
	clock.set(tap)
	ts.mustPost(event("evt_tap", "message.inbound", tap, map[string]any{
		"messageId": "msg_tap", "from": "+14155550001", "to": "+13125559876", "channel": "whatsapp",
		"messageType": "text", "text": "Good", "profileName": "Wa",
		"content": map[string]any{"interactiveReply": map[string]any{"type": "button_reply", "id": "csat_5", "title": "Good"}},
	}))
	if _, err := outbox.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(ts.zavu.Sent()); n != sent {
		t.Fatalf("the answer triggered %d messages", n-sent)
	}
	var c apiConversation
	ts.mustGet(fmt.Sprintf("/api/v1/conversations/%d", cWA), &c)
	if c.Status != "resolved" {
		t.Fatalf("after the answer the conversation is %s, want resolved", c.Status)
	}
	thread = admin.htmx(fmt.Sprintf("/conversations/%d", cWA))
	if line := thread.find("csat-answer"); line.Length() != 1 || !strings.Contains(line.Text(), "Rated 5: Good") {
		t.Fatalf("the thread shows %q for the answer", line.Text())
	}

	// A reply that is not a score is an ordinary message: it reopens and
	// the keyword auto-reply answers it.
	ts.mustPost(smsFrom("evt_sms2", "msg_sms2", "+14155550003", "thanks, where is my refund?", tap))
	if _, err := outbox.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	ts.mustGet(fmt.Sprintf("/api/v1/conversations/%d", cSMS), &c)
	if c.Status != "open" {
		t.Fatalf("after an ordinary reply the conversation is %s, want open", c.Status)
	}
	if sms := sentTo("+14155550003"); len(sms) != 2 || sms[1].Text != "Glad to help!" {
		t.Fatalf("SMS messages %+v, want the survey then the auto-reply", sms)
	}

	q := url.Values{"from": {base.Add(-48 * time.Hour).Format(time.RFC3339)}, "to": {base.Add(time.Hour).Format(time.RFC3339)}}.Encode()
	var s struct {
		CSAT struct {
			Answers, Satisfied int
			Score              float64
		} `json:"csat"`
		ByAgent []struct {
			AgentID int64                            `json:"agentId"`
			CSAT    struct{ Answers, Satisfied int } `json:"csat"`
		} `json:"byAgent"`
	}
	ts.mustGet("/api/v1/reports/summary?"+q, &s)
	if s.CSAT.Answers != 1 || s.CSAT.Satisfied != 1 || s.CSAT.Score != 1 {
		t.Fatalf("summary csat %+v, want one satisfied answer", s.CSAT)
	}
	found := false
	for _, a := range s.ByAgent {
		if a.AgentID == ana.ID {
			found = a.CSAT.Answers == 1 && a.CSAT.Satisfied == 1
		}
	}
	if !found {
		t.Fatalf("by agent %+v: Ana resolved the rated conversation", s.ByAgent)
	}
	page := admin.get("/reports")
	if fig := page.find("figure-csat").Text(); !strings.Contains(fig, "100% of 1") {
		t.Errorf("the Reports page's CSAT figure says %q, want 100%% of 1", fig)
	}
	if tbl := page.find("agents-table").Text(); !strings.Contains(tbl, "100% of 1") {
		t.Errorf("the agents table says %q, want Ana's 100%% of 1", tbl)
	}
	ts.mustGet("/api/v1/reports/summary?"+q+"&channel=sms", &s)
	if s.CSAT.Answers != 0 {
		t.Fatalf("SMS only: csat %+v, want none", s.CSAT)
	}

	req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/api/v1/reports/export.csv?"+q, nil)
	req.Header.Set("Authorization", "Bearer "+ts.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("export %q: %v", b, err)
	}
	col := len(rows[0]) - 1
	if rows[0][col] != "csat" {
		t.Fatalf("export header %v, want a csat column", rows[0])
	}
	rated := 0
	for _, r := range rows[1:] {
		if r[0] == fmt.Sprint(cWA) && r[col] == "5" {
			rated++
		} else if r[col] != "" {
			t.Errorf("row %v rated", r)
		}
	}
	if rated != 1 {
		t.Fatalf("export rows %v: want conversation %d rated 5 once", rows, cWA)
	}
	_ = cOld
}

// TestCSATButtonTappedAgainOrStampedEarlyIsNoNewMessage: a tap on the
// survey's button stamped a few seconds before the survey went (Zavu's
// clock behind the server's), and a second tap once answered, are answers
// to the survey, not messages: the conversation stays resolved, no
// auto-reply goes to the customer, and the first answer is the one kept.
func TestCSATButtonTappedAgainOrStampedEarlyIsNoNewMessage(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Second)
	clock := &testClock{t: base}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	ctx := context.Background()
	admin := ts.admin()
	if _, err := ts.db.UpdateAutoReplies(ctx, base, func(c *inbox.AutoReplyConfig) error {
		c.MaxPerHour = inbox.MaxAutoRepliesPerHour
		_, err := c.PutRule(inbox.KeywordRule{Name: "Thanks", Keywords: []string{"good", "bad"},
			AutoReplyMessage: inbox.AutoReplyMessage{Enabled: true, Text: "Glad to help!"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if p := admin.submit("/admin/satisfaction", url.Values{"enabled": {"on"}, "question": {"How did we do?"}}); p.status != http.StatusSeeOther {
		t.Fatalf("saving the survey: %d", p.status)
	}
	messenger := zavu.Messenger{Client: zavu.NewClient("http://zavu.test", "zv_test_web",
		zavu.WithHTTPClient(&http.Client{Transport: ts.zavu.Transport()}))}
	outbox := inbox.NewOutbox(ts.db, messenger, nil, nil)
	outbox.Now = clock.now
	drain := func() {
		t.Helper()
		if _, err := outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550001", "Wa", "Where is my order?", base.Add(-time.Minute)))
	cid := ts.mustMessage("msg_1").ConversationID
	if p := admin.post(fmt.Sprintf("/conversations/%d/status", cid), url.Values{"status": {"resolved"}}); p.status >= 300 {
		t.Fatalf("resolve: %d %s", p.status, p.body)
	}
	surveyAt := base.Add(inbox.CSATDelay + time.Second)
	clock.set(surveyAt)
	if _, err := ts.db.SendDueSurveys(ctx, surveyAt); err != nil {
		t.Fatal(err)
	}
	drain()
	if n := len(ts.zavu.Sent()); n != 1 {
		t.Fatalf("%d messages sent, want the survey", n)
	}
	tap := func(evt, msg, id, title string, at time.Time) {
		t.Helper()
		clock.set(at.Add(time.Second))
		ts.mustPost(event(evt, "message.inbound", at, map[string]any{
			"messageId": msg, "from": "+14155550001", "to": "+13125559876", "channel": "whatsapp",
			"messageType": "text", "text": title, "profileName": "Wa",
			"content": map[string]any{"interactiveReply": map[string]any{"type": "button_reply", "id": id, "title": title}},
		}))
		drain()
		if sent := ts.zavu.Sent(); len(sent) != 1 {
			t.Fatalf("after the tap %s the customer received %+v, want the survey alone", msg, sent[1:])
		}
		var c apiConversation
		ts.mustGet(fmt.Sprintf("/api/v1/conversations/%d", cid), &c)
		if c.Status != "resolved" {
			t.Fatalf("after the tap %s the conversation is %s, want resolved", msg, c.Status)
		}
	}
	tap("evt_tap1", "msg_tap1", inbox.CSATButtonID(5), "Good", surveyAt.Add(-5*time.Second))
	tap("evt_tap2", "msg_tap2", inbox.CSATButtonID(1), "Bad", surveyAt.Add(time.Minute))
	answers, err := ts.db.CSATAnswers(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	if len(answers) != 1 || answers[0].Score != 5 {
		t.Fatalf("answers %+v, want the first tap's 5 alone", answers)
	}
}

// TestCSATTypedNumberAfterAReopenIsAMessage: once the customer has
// reopened the conversation with a question, a number they type answers
// the agent ("How many items?" "2"), not the survey: it is their message,
// and no score is recorded. A tap on the survey's button still is one.
func TestCSATTypedNumberAfterAReopenIsAMessage(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Second)
	clock := &testClock{t: base}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	ctx := context.Background()
	admin := ts.admin()
	if p := admin.submit("/admin/satisfaction", url.Values{"enabled": {"on"}, "question": {"How did we do?"}}); p.status != http.StatusSeeOther {
		t.Fatalf("saving the survey: %d", p.status)
	}
	ts.mustPost(smsFrom("evt_1", "msg_1", "+14155550003", "Is the shop open?", base.Add(-time.Minute)))
	cid := ts.mustMessage("msg_1").ConversationID
	if p := admin.post(fmt.Sprintf("/conversations/%d/status", cid), url.Values{"status": {"resolved"}}); p.status >= 300 {
		t.Fatalf("resolve: %d %s", p.status, p.body)
	}
	surveyAt := base.Add(inbox.CSATDelay + time.Second)
	clock.set(surveyAt)
	if _, err := ts.db.SendDueSurveys(ctx, surveyAt); err != nil {
		t.Fatal(err)
	}
	ts.mustPost(smsFrom("evt_2", "msg_2", "+14155550003", "Actually, my order came incomplete", surveyAt.Add(time.Minute)))
	var c apiConversation
	ts.mustGet(fmt.Sprintf("/api/v1/conversations/%d", cid), &c)
	if c.Status != "open" {
		t.Fatalf("after the customer's question the conversation is %s, want open", c.Status)
	}
	clock.set(surveyAt.Add(2 * time.Minute))
	if p := admin.post(fmt.Sprintf("/conversations/%d/messages", cid), url.Values{"text": {"Sorry! How many items are missing?"}}); p.status >= 300 {
		t.Fatalf("reply: %d %s", p.status, p.body)
	}
	ts.mustPost(smsFrom("evt_3", "msg_3", "+14155550003", "2", surveyAt.Add(3*time.Minute)))
	if m := ts.mustMessage("msg_3"); m.Source != "customer" {
		t.Errorf("the customer's \"2\" is a %s message, want customer", m.Source)
	}
	answers, err := ts.db.CSATAnswers(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	if len(answers) != 0 {
		t.Fatalf("answers %+v, want none: the customer answered the agent", answers)
	}
}
