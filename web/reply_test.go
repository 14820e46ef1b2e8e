package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/web"
)

func TestComposerSendsAPendingReply(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hi, is my order ready?", time.Now().Add(-time.Hour+30*time.Second)))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)

	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	if thread.find("reply-text").Length() != 1 {
		t.Fatal("an open WhatsApp window shows no text box")
	}
	if hint := thread.find("composer-hint").Text(); !strings.Contains(hint, "closes in 23 h") {
		t.Errorf("composer hint %q does not say when the window closes", hint)
	}

	p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Yes! <b>Ready</b> at 5."}})
	if p.status != http.StatusOK {
		t.Fatalf("send: %d %s", p.status, p.body)
	}
	bubble := p.find("message")
	if bubble.AttrOr("data-status", "") != "pending" || bubble.AttrOr("data-direction", "") != "outbound" {
		t.Errorf("the answer's bubble: status %q direction %q, want a pending outbound one", bubble.AttrOr("data-status", ""), bubble.AttrOr("data-direction", ""))
	}
	if !strings.Contains(p.body, fmt.Sprintf(`hx-swap-oob="beforeend:#msgs-%d"`, conv)) {
		t.Error("the bubble is not swapped into its thread")
	}
	if bubble.Find("b").Length() != 0 || !strings.Contains(bubble.Text(), "<b>Ready</b>") {
		t.Error("the reply's markup was not escaped")
	}
	var msgs apiPage[apiMessage]
	ts.mustGet(fmt.Sprintf("/api/v1/conversations/%d/messages", conv), &msgs)
	last := msgs.Items[len(msgs.Items)-1]
	if last.Text != "Yes! <b>Ready</b> at 5." || last.Source != "agent" || last.AuthorID == nil || *last.AuthorID != ana.ID || last.Status != "pending" {
		t.Errorf("stored reply = %+v", last)
	}

	// Empty text is refused with a sentence, and nothing is written.
	if p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"  "}}); p.status != http.StatusBadRequest {
		t.Errorf("empty reply: %d, want 400", p.status)
	}
	ts.mustGet(fmt.Sprintf("/api/v1/conversations/%d/messages", conv), &msgs)
	if len(msgs.Items) != 2 {
		t.Errorf("messages after a refused reply: %d, want 2", len(msgs.Items))
	}
}

func TestClosedWindowOffersTemplatesOnly(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now().Add(-24*time.Hour-time.Minute)))
	ts.mustPost(fixture(t, "seed_template_status_changed"))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)

	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	if thread.find("reply-text").Length() != 0 {
		t.Fatal("free text offered after the window closed")
	}
	if thread.find("template-select").Length() != 1 {
		t.Fatalf("no template picker: %s", thread.find("composer").Text())
	}
	p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Still there?"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "whatsapp_window_closed") {
		t.Errorf("free text after the window: %d %s, want 422 whatsapp_window_closed", p.status, p.body)
	}
}

func TestAPIReply(t *testing.T) {
	ts := newTestServer(t)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID

	post := func(body string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/conversations/%d/messages", ts.srv.URL, conv), bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+ts.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	status, out := post(`{"text":"Your order shipped."}`)
	if status != http.StatusAccepted || out["status"] != "pending" || out["source"] != "api" || out["direction"] != "outbound" {
		t.Fatalf("POST: %d %v", status, out)
	}
	for _, bad := range []string{`{}`, `{"text":"a","templateId":"t"}`, `not json`} {
		if status, out := post(bad); status != http.StatusBadRequest {
			t.Errorf("POST %s: %d %v, want 400", bad, status, out)
		}
	}
	if status, _ := post(`{"templateId":"tpl_missing"}`); status != http.StatusBadRequest {
		t.Errorf("an unknown template: %d, want 400", status)
	}
}

func TestOptedOutConversationCannotBeAnswered(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(fixture(t, "extra_message_inbound_sms_stop"))
	conv := ts.mustMessage("msg_x_stop").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	if got := thread.find("composer-closed").Text(); !strings.Contains(got, "STOP") {
		t.Fatalf("composer after STOP says %q", got)
	}
	p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Please come back"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "opted_out") {
		t.Errorf("reply after STOP: %d %s, want 422 opted_out", p.status, p.body)
	}
}

func TestRetryAFailedReply(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Hi!"}})

	// The outbox tries and Zavu refuses for good.
	ctx := context.Background()
	entry := claimOne(t, ts)
	if _, err := ts.db.OutboxFail(ctx, entry.ID, "insufficient_balance", inbox.ExplainFailure("insufficient_balance", ""), time.Now()); err != nil {
		t.Fatal(err)
	}
	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	retry := thread.find("retry")
	if retry.Length() != 1 || !strings.Contains(thread.find("failure").Text(), "run out of credit") {
		t.Fatalf("failed bubble: %q, retry buttons %d", thread.find("failure").Text(), retry.Length())
	}
	p := a.post(retry.AttrOr("hx-post", ""), nil)
	if p.status != http.StatusOK || p.find("message").AttrOr("data-status", "") != "pending" {
		t.Fatalf("retry: %d %s", p.status, p.body)
	}
	again, err := ts.db.ClaimOutbox(ctx, time.Now(), time.Minute, 10)
	if err != nil || len(again) != 1 || again[0].Message.IdempotencyKey == entry.Message.IdempotencyKey {
		t.Fatalf("after retry the outbox holds %+v (%v), want one entry with a new key", again, err)
	}
	// A reply that did not fail cannot be retried.
	if p := a.post(retry.AttrOr("hx-post", ""), nil); p.status != http.StatusConflict {
		t.Errorf("retrying a pending reply: %d, want 409", p.status)
	}
}

// A reply that failed, was retried by the agent and delivered, keeps to
// itself the reports Zavu sends late about its first attempt (a second
// "failed", even a "delivered"): the thread shows the one reply,
// delivered, and no bubble of a message "sent outside Switchboard".
func TestLateReportOfARetriedReplyMakesNoOtherBubble(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	now := time.Now()
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", now.Add(-time.Hour)))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Your parcel left today."}})
	report := func(id, typ, msgID string, at time.Time) []byte {
		data := map[string]any{"messageId": msgID, "to": "+14155551234", "channel": "whatsapp", "status": strings.TrimPrefix(typ, "message.")}
		if typ == "message.failed" {
			data["errorCode"], data["errorMessage"] = "30003", "Unreachable destination handset"
		}
		return event(id, typ, at, data)
	}
	send := func(zavuID string) {
		t.Helper()
		ctx := context.Background()
		entry := claimOne(t, ts)
		if _, err := ts.db.OutboxSent(ctx, entry.ID, inbox.SendResult{ZavuID: zavuID, Status: inbox.StatusQueued}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	send("msg_try1")
	ts.mustPost(report("evt_2", "message.failed", "msg_try1", now.Add(time.Second)))
	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	if p := a.post(thread.find("retry").AttrOr("hx-post", ""), nil); p.status != http.StatusOK {
		t.Fatalf("retry: %d %s", p.status, p.body)
	}
	send("msg_try2")
	ts.mustPost(report("evt_3", "message.delivered", "msg_try2", now.Add(3*time.Second)))
	ts.mustPost(report("evt_4", "message.failed", "msg_try1", now.Add(4*time.Second)))
	ts.mustPost(report("evt_5", "message.delivered", "msg_try1", now.Add(5*time.Second)))

	thread = a.htmx(fmt.Sprintf("/conversations/%d", conv))
	ours := thread.doc.Find(`[data-testid=message][data-direction=outbound]`)
	if ours.Length() != 1 || thread.find("placeholder").Length() != 0 || strings.Contains(thread.body, "Sent outside Switchboard") {
		t.Fatalf("the thread shows %d bubbles of ours (%q), want the reply alone", ours.Length(), ours.Text())
	}
	if s := ours.AttrOr("data-status", ""); s != "delivered" || thread.find("failure").Length() != 0 {
		t.Errorf("the retried reply shows %s with failure %q, want delivered", s, thread.find("failure").Text())
	}
	for _, e := range all[apiEvent](ts, "/api/v1/events?state=all", "cursor") {
		if e.State != "applied" {
			t.Errorf("event %s is %s: %s", e.ID, e.State, str(e.Error))
		}
	}
}

// A reply the outbox could not send yet (Zavu answered 503) says so under
// its bubble, in plain words, with when it is tried again in the agent's
// zone as the page's other times are: "Not sent yet: Zavu is unavailable
// (503). Trying again at 10:42." It shows in the thread, in the bubble the
// websocket sends, and goes once the reply is sent.
func TestAReplyWaitingForARetrySaysWhyAndWhen(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	kathmandu := a.inZone("Asia/Kathmandu") // UTC+05:45
	if p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Your parcel left today."}}); p.status != http.StatusOK {
		t.Fatalf("send: %d %s", p.status, p.body)
	}

	page := a.live()
	waitClients(t, ts, 1)
	subscribe(t, ts, page, "open", conv, conv)

	// The outbox's clock, which the test moves. It starts after the
	// reply was queued, at the real time, so that the reply is due.
	now := time.Now().Truncate(time.Second).Add(time.Second)
	ob := ts.outboxAt(&now)
	ts.zavu.FailNext(1, zavu.Failure{Status: http.StatusServiceUnavailable})
	if _, err := ob.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	next := now.Add(inbox.Backoff(1, 0))
	want := "Not sent yet: Zavu is unavailable (503). Trying again at " + next.In(kathmandu).Format("15:04") + "."
	check := sendWaitCheck(t, want, next)
	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	check("the thread", thread.find("send-wait"))

	// The bubble the websocket sends at once is the same bytes for every
	// agent: the time in UTC, which the page shows in its agent's zone.
	live, err := goquery.NewDocumentFromReader(strings.NewReader(nextContaining(t, page, `data-testid="send-wait"`)))
	if err != nil {
		t.Fatal(err)
	}
	note := live.Find("[data-testid=send-wait]")
	if got := strings.Join(strings.Fields(note.Text()), " "); got != "Not sent yet: Zavu is unavailable (503). Trying again at "+next.Format("15:04")+"." ||
		note.Find("time").AttrOr("data-format", "") != "time" {
		t.Errorf("the live bubble's note: %q, want the time in UTC, for the page to show in its zone", got)
	}

	// Sent at the next attempt: the note goes.
	now = next
	if _, err := ob.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	thread = a.htmx(fmt.Sprintf("/conversations/%d", conv))
	if n := thread.find("send-wait").Length(); n != 0 || thread.find("message").Last().AttrOr("data-status", "") != "queued" {
		t.Errorf("after the send the reply is %s with %d notes, want queued with none", thread.find("message").Last().AttrOr("data-status", ""), n)
	}
}

// The reason is written out as text, whatever it holds.
func TestAWaitingRepliesReasonIsEscaped(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Hi!"}})
	ctx := context.Background()
	entry := claimOne(t, ts)
	if _, err := ts.db.OutboxRetry(ctx, entry.ID, time.Now().Add(time.Minute), `<img src=x onerror=alert(1)> & "Zavu"`); err != nil {
		t.Fatal(err)
	}
	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	note := thread.find("send-wait")
	if note.Find("img").Length() != 0 || !strings.Contains(note.Text(), `<img src=x onerror=alert(1)> & "Zavu"`) {
		t.Errorf("the reason was not written as text: %q", note.Text())
	}
}

// A page loaded while a reply waits for its retry, or while the outbox
// tries it again, says what the page that was open says: why the reply
// waited and when it is tried again, at first load, in the thread opened
// and in an older page of the thread; not the clock alone.
func TestAReplyBeingTriedAgainSaysWhyItWaitedOnEveryPage(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	start := time.Now().Add(-time.Hour)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", start))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	kathmandu := a.inZone("Asia/Kathmandu") // UTC+05:45
	if p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Your parcel left today."}}); p.status != http.StatusOK {
		t.Fatalf("send: %d %s", p.status, p.body)
	}
	// The outbox's clock, which the test moves. It starts after the
	// reply was queued, at the real time, so that the reply is due.
	now := time.Now().Truncate(time.Second).Add(time.Second)
	ob := ts.outboxAt(&now)
	ts.zavu.FailNext(1, zavu.Failure{Status: http.StatusServiceUnavailable})
	if _, err := ob.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	next := now.Add(inbox.Backoff(1, 0))
	want := "Not sent yet: Zavu is unavailable (503). Trying again at " + next.In(kathmandu).Format("15:04") + "."
	check := sendWaitCheck(t, want, next)
	check("the page loaded while the reply waits", a.get(fmt.Sprintf("/conversations/%d", conv)).find("send-wait"))

	// The next attempt reaches Zavu, which holds its answer.
	arrived, answer := make(chan struct{}), make(chan struct{})
	ts.zavu.FailWhen(func(zavu.SendRequest) (zavu.Failure, bool) {
		close(arrived)
		return zavu.Failure{Status: http.StatusBadGateway, Hold: answer}, true
	})
	now = next
	drained := make(chan error, 1)
	go func() { _, err := ob.Drain(context.Background()); drained <- err }()
	defer func() {
		close(answer)
		if err := <-drained; err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-arrived:
	case err := <-drained: // the outbox did not try the reply again
		drained <- err
		t.Fatalf("the outbox ended its drain without trying the reply again: %v", err)
	}

	check("the page loaded during the attempt", a.get(fmt.Sprintf("/conversations/%d", conv)).find("send-wait"))
	check("the thread opened during the attempt", a.htmx(fmt.Sprintf("/conversations/%d", conv)).find("send-wait"))

	// A page of the customer's messages after the reply: the reply is on
	// the page before the thread's first.
	for i := range 50 {
		ts.mustPost(inboundText(fmt.Sprintf("evt_m%d", i), fmt.Sprintf("msg_m%d", i), fmt.Sprintf("Any news? %d", i), time.Now()))
	}
	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	older := thread.find("older").AttrOr("hx-get", "")
	if n := thread.find("send-wait").Length(); n != 0 || older == "" {
		t.Fatalf("the thread shows %d notes and an older page at %q, want the reply on the older page", n, older)
	}
	check("an older page of the thread", a.htmx(older).find("send-wait"))
}

// A reply waiting for its retry when a 429 to another conversation's reply
// pauses every send says, at once in the page open and in a page loaded
// after, that it waits for the pause and when it ends: "Not sent yet: Zavu
// asked Switchboard to send more slowly (429). Trying again at 10:46.",
// not its own next attempt, which the pause holds back.
func TestAReplyHeldByARateLimitSaysWhenThePauseEnds(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550199", "Zoe Quinn", "Hi there", time.Now()))
	conv, other := ts.mustMessage("msg_1").ConversationID, ts.mustMessage("msg_2").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	kathmandu := a.inZone("Asia/Kathmandu") // UTC+05:45
	if p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Your parcel left today."}}); p.status != http.StatusOK {
		t.Fatalf("send: %d %s", p.status, p.body)
	}
	page := a.live()
	waitClients(t, ts, 1)
	subscribe(t, ts, page, "open", conv, conv)

	// The outbox's clock, which the test moves. It starts after the
	// reply was queued, at the real time, so that the reply is due.
	now := time.Now().Truncate(time.Second).Add(time.Second)
	ob := ts.outboxAt(&now)
	ts.zavu.FailNext(1, zavu.Failure{Status: http.StatusServiceUnavailable})
	if _, err := ob.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	nextContaining(t, page, "Zavu is unavailable (503)")

	// Before the reply's next attempt (in 2 s), a reply to another
	// customer is refused with a 429: every send waits 5 minutes.
	now = now.Add(time.Second)
	if p := a.post(fmt.Sprintf("/conversations/%d/messages", other), url.Values{"text": {"Thanks, Zoe!"}}); p.status != http.StatusOK {
		t.Fatalf("send: %d %s", p.status, p.body)
	}
	ts.zavu.FailNext(1, zavu.Failure{Status: http.StatusTooManyRequests, RetryAfter: 5 * time.Minute})
	if _, err := ob.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	end := now.Add(5 * time.Minute)
	const why = "Not sent yet: Zavu asked Switchboard to send more slowly (429). Trying again at "
	check := func(where string, note *goquery.Selection, loc *time.Location) {
		t.Helper()
		want := why + end.In(loc).Format("15:04") + "."
		if got := strings.Join(strings.Fields(note.Text()), " "); note.Length() != 1 || got != want {
			t.Errorf("%s: the reply says %q (%d notes), want %q", where, got, note.Length(), want)
		}
		if at := note.Find("time").AttrOr("datetime", ""); at != end.Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("%s: the time of the next attempt is %q, want the pause's end, %s", where, at, end)
		}
	}
	live, err := goquery.NewDocumentFromReader(strings.NewReader(nextContaining(t, page, "send more slowly")))
	if err != nil {
		t.Fatal(err)
	}
	check("the page open", live.Find("[data-testid=send-wait]"), time.UTC)
	check("the page loaded", a.get(fmt.Sprintf("/conversations/%d", conv)).find("send-wait"), kathmandu)
	check("the thread opened", a.htmx(fmt.Sprintf("/conversations/%d", conv)).find("send-wait"), kathmandu)
}

// A reply written while a 429 pauses every send says from the moment it
// is queued that it waits for the pause and when it goes, its end, in the
// page that sent it, live in a teammate's page and in a page loaded
// meanwhile, not only the sending clock: "Not sent yet: Zavu asked
// Switchboard to send more slowly (429). Sending at 10:47.", not "Trying
// again", as it was never tried; once the pause ends it is sent and says
// so.
func TestAReplyQueuedDuringARateLimitPauseSaysWhenThePauseEnds(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	bo := ts.addUser("bo@example.com", "Bo", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550199", "Zoe Quinn", "Hi there", time.Now()))
	conv, other := ts.mustMessage("msg_1").ConversationID, ts.mustMessage("msg_2").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	kathmandu := a.inZone("Asia/Kathmandu") // UTC+05:45
	b := ts.newAgent()
	b.login(bo.Email)
	page := b.live()
	waitClients(t, ts, 1)
	subscribe(t, ts, page, "open", other, other)

	// The outbox's clock, which the test moves. It starts after the
	// replies are queued, at the real time, so that they are due.
	now := time.Now().Truncate(time.Second).Add(time.Second)
	ob := ts.outboxAt(&now)
	if p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Your parcel left today."}}); p.status != http.StatusOK {
		t.Fatalf("send: %d %s", p.status, p.body)
	}
	ts.zavu.FailNext(1, zavu.Failure{Status: http.StatusTooManyRequests, RetryAfter: 5 * time.Minute})
	if _, err := ob.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	end := now.Add(5 * time.Minute)

	const text = "Thanks, Zoe!"
	bubble := func(doc *goquery.Document) *goquery.Selection {
		return doc.Find("[data-testid=message]").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.Contains(s.Text(), text)
		})
	}
	const why = "Not sent yet: Zavu asked Switchboard to send more slowly (429). Sending at "
	check := func(where string, doc *goquery.Document, loc *time.Location) {
		t.Helper()
		note := bubble(doc).Find("[data-testid=send-wait]")
		want := why + end.In(loc).Format("15:04") + "."
		if got := strings.Join(strings.Fields(note.Text()), " "); note.Length() != 1 || got != want {
			t.Errorf("%s: the reply says %q (%d notes), want %q", where, got, note.Length(), want)
		}
		if at := note.Find("time").AttrOr("datetime", ""); at != end.Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("%s: the time the reply goes is %q, want the pause's end, %s", where, at, end)
		}
	}
	sent := a.post(fmt.Sprintf("/conversations/%d/messages", other), url.Values{"text": {text}})
	if sent.status != http.StatusOK {
		t.Fatalf("send: %d %s", sent.status, sent.body)
	}
	check("the page that sent it", sent.doc, kathmandu)
	live, err := goquery.NewDocumentFromReader(strings.NewReader(nextContaining(t, page, text)))
	if err != nil {
		t.Fatal(err)
	}
	check("a teammate's page", live, time.UTC)
	check("a page loaded meanwhile", a.get(fmt.Sprintf("/conversations/%d", other)).doc, kathmandu)

	// Within the pause nothing goes; at its end the reply goes to Zavu,
	// and the pages show its tick without the note.
	now = end.Add(-time.Second)
	if n, err := ob.Drain(context.Background()); err != nil || n != 0 {
		t.Fatalf("within the pause a drain began %d sends (%v)", n, err)
	}
	now = end
	if _, err := ob.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	for {
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(nextContaining(t, page, text)))
		if err != nil {
			t.Fatal(err)
		}
		if m := bubble(doc); m.AttrOr("data-status", "") == string(inbox.StatusQueued) {
			if n := m.Find("[data-testid=send-wait]").Length(); n != 0 {
				t.Errorf("queued at Zavu, the reply in a teammate's page still says it waits")
			}
			break
		}
	}
	if m := bubble(a.get(fmt.Sprintf("/conversations/%d", other)).doc); m.AttrOr("data-status", "") != string(inbox.StatusQueued) ||
		m.Find("[data-testid=send-wait]").Length() != 0 {
		t.Errorf("after the pause a page loaded shows the reply %s, with %d notes", m.AttrOr("data-status", ""), m.Find("[data-testid=send-wait]").Length())
	}
}

// A reply written while another's send is under way, before Zavu answers
// it 429, has not been tried when the pause begins: it waits for the
// pause's end too, and says so as it was never tried, in the page open and
// in a page loaded meanwhile: "Not sent yet: Zavu asked Switchboard to
// send more slowly (429). Sending at 10:47."; the refused reply, tried
// once, says "Trying again at".
func TestAReplyWrittenBeforeARateLimitSaysWhenItIsSent(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now()))
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550199", "Zoe Quinn", "Hi there", time.Now()))
	conv, other := ts.mustMessage("msg_1").ConversationID, ts.mustMessage("msg_2").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	kathmandu := a.inZone("Asia/Kathmandu") // UTC+05:45
	if p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Your parcel left today."}}); p.status != http.StatusOK {
		t.Fatalf("send: %d %s", p.status, p.body)
	}
	page := a.live()
	waitClients(t, ts, 1)
	subscribe(t, ts, page, "open", other, other)

	// The outbox's clock, which stands still during the send: the reply
	// written meanwhile, at the real time, is not due yet.
	now := time.Now()
	ob := ts.outboxAt(&now)
	var once sync.Once
	ts.zavu.FailWhen(func(r zavu.SendRequest) (zavu.Failure, bool) {
		refuse := false
		if r.Text == "Your parcel left today." {
			once.Do(func() { refuse = true })
		}
		if !refuse {
			return zavu.Failure{}, false
		}
		time.Sleep(5 * time.Millisecond)
		if p := a.post(fmt.Sprintf("/conversations/%d/messages", other), url.Values{"text": {"Thanks, Zoe!"}}); p.status != http.StatusOK {
			t.Errorf("send: %d %s", p.status, p.body)
		}
		return zavu.Failure{Status: http.StatusTooManyRequests, RetryAfter: 5 * time.Minute}, true
	})
	if n, err := ob.Drain(context.Background()); err != nil || n != 1 {
		t.Fatalf("drain began %d sends (%v), want the refused reply's", n, err)
	}
	end := now.Add(5 * time.Minute)
	const why = "Not sent yet: Zavu asked Switchboard to send more slowly (429). "
	bubbleOf := func(doc *goquery.Document, text string) *goquery.Selection {
		return doc.Find("[data-testid=message]").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.Contains(s.Find(".bubble").Text(), text)
		})
	}
	check := func(where string, note *goquery.Selection, when string, loc *time.Location) {
		t.Helper()
		want := why + when + " " + end.In(loc).Format("15:04") + "."
		if got := strings.Join(strings.Fields(note.Text()), " "); note.Length() != 1 || got != want {
			t.Errorf("%s: the reply says %q (%d notes), want %q", where, got, note.Length(), want)
		}
		if at := note.Find("time").AttrOr("datetime", ""); at != end.Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("%s: the time is %q, want the pause's end, %s", where, at, end)
		}
	}
	live, err := goquery.NewDocumentFromReader(strings.NewReader(nextContaining(t, page, "send more slowly")))
	if err != nil {
		t.Fatal(err)
	}
	check("the page open", bubbleOf(live, "Thanks, Zoe!").Find("[data-testid=send-wait]"), "Sending at", time.UTC)
	check("a page loaded meanwhile", bubbleOf(a.get(fmt.Sprintf("/conversations/%d", other)).doc, "Thanks, Zoe!").Find("[data-testid=send-wait]"), "Sending at", kathmandu)
	check("the refused reply", bubbleOf(a.get(fmt.Sprintf("/conversations/%d", conv)).doc, "Your parcel left today.").Find("[data-testid=send-wait]"), "Trying again at", kathmandu)
}

// inZone gives the agent's browser the time zone name, as the page's
// script tells it to the server (the tz cookie), and returns that zone.
func (a *agent) inZone(name string) *time.Location {
	a.t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		a.t.Fatal(err)
	}
	base, _ := url.Parse(a.ts.srv.URL)
	a.client.Jar.SetCookies(base, []*http.Cookie{{Name: "tz", Value: name, Path: "/"}})
	return loc
}

// sendWaitCheck checks the note under a waiting reply, found where it
// says: one note, saying want, with the time of the next attempt, at, in
// UTC for the page to show in the agent's zone.
func sendWaitCheck(t *testing.T, want string, at time.Time) func(where string, note *goquery.Selection) {
	return func(where string, note *goquery.Selection) {
		t.Helper()
		if got := strings.Join(strings.Fields(note.Text()), " "); note.Length() != 1 || got != want {
			t.Errorf("%s: the reply says %q (%d notes), want %q", where, got, note.Length(), want)
		}
		if got := note.Find("time").AttrOr("datetime", ""); got != at.Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("%s: the time of the next attempt is %q, want %s in UTC for the page to show in the agent's zone", where, got, at)
		}
	}
}

// outboxAt is an outbox sending through the fake Zavu and telling the
// server's pages, on the clock *now, which the test moves.
func (ts *testServer) outboxAt(now *time.Time) *inbox.Outbox {
	client := zavu.NewClient("http://zavu.test", "zv_test_web", zavu.WithHTTPClient(&http.Client{Transport: ts.zavu.Transport()}))
	ob := inbox.NewOutbox(ts.db, ts.web.FreshFileLinks(zavu.Messenger{Client: client}), ts.web.Hub(), nil)
	ob.Now = func() time.Time { return *now }
	return ob
}

// claimOne claims the outbox's one entry now, as the outbox would; it
// fails the test unless there is exactly one.
func claimOne(t *testing.T, ts *testServer) inbox.OutboxEntry {
	t.Helper()
	es, err := ts.db.ClaimOutbox(context.Background(), time.Now(), time.Minute, 10)
	if err != nil || len(es) != 1 {
		t.Fatalf("claim: %+v %v", es, err)
	}
	return es[0]
}

// TestRetryAfterZavuWentSilentSendsOneCopy: Zavu took a reply but its
// answer never came, and the next attempts met errors until the outbox
// gave up. Zavu may have the reply, so the agent's Retry sends it under
// the same idempotency key: the customer gets one copy, not two. (A reply
// Zavu refused, which it never took, goes again under a new key:
// TestRetryAFailedReply.)
func TestRetryAfterZavuWentSilentSendsOneCopy(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Second)
	clock := &testClock{t: base}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	ctx := context.Background()
	admin := ts.admin()
	messenger := zavu.Messenger{Client: zavu.NewClient("http://zavu.test", "zv_test_web",
		zavu.WithHTTPClient(&http.Client{Transport: ts.zavu.Transport()}))}
	outbox := inbox.NewOutbox(ts.db, messenger, nil, nil)
	outbox.Now = clock.now
	outbox.RetryDelay = func(int, time.Duration) time.Duration { return 0 }
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550050", "Ana", "Where is my order?", base.Add(-time.Minute)))
	conv := ts.mustMessage("msg_1").ConversationID
	ts.zavu.FailNext(1, zavu.Failure{AfterAccept: true, Status: http.StatusServiceUnavailable, Code: "unavailable"})
	ts.zavu.FailNext(inbox.MaxSendAttempts-1, zavu.Failure{Status: http.StatusServiceUnavailable, Code: "unavailable"})
	p := admin.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Your order ships today"}})
	if p.status != http.StatusOK {
		t.Fatalf("reply: %d %s", p.status, p.body)
	}
	for range inbox.MaxSendAttempts {
		if _, err := outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	thread := admin.htmx(fmt.Sprintf("/conversations/%d", conv))
	retry := thread.find("retry")
	if retry.Length() != 1 {
		t.Fatalf("the reply did not fail: %s", thread.find("message").Text())
	}
	if p := admin.post(retry.AttrOr("hx-post", ""), nil); p.status != http.StatusOK {
		t.Fatalf("retry: %d %s", p.status, p.body)
	}
	if _, err := outbox.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	var copies int
	for _, m := range ts.zavu.Sent() {
		if m.To == "+14155550050" && m.Text == "Your order ships today" {
			copies++
		}
	}
	if copies != 1 {
		t.Fatalf("Zavu holds %d copies of the reply, want 1", copies)
	}
	thread = admin.htmx(fmt.Sprintf("/conversations/%d", conv))
	if st := thread.find("message").Last().AttrOr("data-status", ""); st == "failed" || st == "pending" {
		t.Errorf("after the retry the reply is %s", st)
	}
}

// A reply Zavu took but answered "failed" at once (it has an id, and its
// errorCode says why) is that reply, failed: Zavu's "failed" report about
// it, which follows, lands on it, and the thread shows the one reply,
// failed with Zavu's reason, not a second bubble of a message "sent
// outside Switchboard". Retried and delivered, it stays one reply when
// Zavu reports the first attempt again.
func TestAReplyZavuFailedAtOnceKeepsItsReports(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Hello", time.Now().Add(-time.Hour)))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	if p := a.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Your parcel left today."}}); p.status != http.StatusOK {
		t.Fatalf("send: %d %s", p.status, p.body)
	}
	now := time.Now().Truncate(time.Second).Add(time.Second)
	ob := ts.outboxAt(&now)
	ts.zavu.FailNext(1, zavu.Failure{FailAtOnce: true, Code: "131026", Message: "Message undeliverable"})
	if _, err := ob.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	sent := ts.zavu.Sent()
	if len(sent) != 1 {
		t.Fatalf("Zavu took %d sends, want 1", len(sent))
	}
	first := sent[0].ID
	report := func(id, typ, msgID string, at time.Time) []byte {
		data := map[string]any{"messageId": msgID, "to": "+14155551234", "channel": "whatsapp", "status": strings.TrimPrefix(typ, "message.")}
		if typ == "message.failed" {
			data["errorCode"], data["errorMessage"] = "131026", "Message undeliverable"
		}
		return event(id, typ, at, data)
	}
	ts.mustPost(report("evt_2", "message.failed", first, now.Add(time.Second)))

	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	ours := thread.doc.Find(`[data-testid=message][data-direction=outbound]`)
	if ours.Length() != 1 || thread.find("placeholder").Length() != 0 || strings.Contains(thread.body, "Sent outside Switchboard") {
		t.Fatalf("the thread shows %d bubbles of ours (%q), want the failed reply alone", ours.Length(), ours.Text())
	}
	if s := ours.AttrOr("data-status", ""); s != "failed" || !strings.Contains(thread.find("failure").Text(), "may not use WhatsApp") {
		t.Fatalf("the reply shows %s with failure %q, want failed saying why", s, thread.find("failure").Text())
	}
	if p := a.post(thread.find("retry").AttrOr("hx-post", ""), nil); p.status != http.StatusOK {
		t.Fatalf("retry: %d %s", p.status, p.body)
	}
	if _, err := ob.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	sent = ts.zavu.Sent()
	if len(sent) != 2 {
		t.Fatalf("Zavu took %d sends after the retry, want 2", len(sent))
	}
	ts.mustPost(report("evt_3", "message.delivered", sent[1].ID, now.Add(3*time.Second)))
	ts.mustPost(report("evt_4", "message.failed", first, now.Add(4*time.Second)))
	thread = a.htmx(fmt.Sprintf("/conversations/%d", conv))
	ours = thread.doc.Find(`[data-testid=message][data-direction=outbound]`)
	if ours.Length() != 1 || thread.find("placeholder").Length() != 0 {
		t.Fatalf("after the retry the thread shows %d bubbles of ours (%q), want the reply alone", ours.Length(), ours.Text())
	}
	if s := ours.AttrOr("data-status", ""); s != "delivered" {
		t.Errorf("the retried reply shows %s, want delivered", s)
	}
}
