package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/web"
)

// tableFragment reads rows htmx puts into a table as the browser would
// there: on their own, an HTML parser drops table rows.
func tableFragment(t *testing.T, p page) page {
	t.Helper()
	if !strings.HasPrefix(strings.TrimSpace(p.body), "<tr") {
		return p
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + p.body + "</tbody></table>"))
	if err != nil {
		t.Fatal(err)
	}
	p.doc = doc
	return p
}

// eventRow finds one event's row on a webhook log page or fragment.
func eventRow(t *testing.T, p page, id string) *goquery.Selection {
	t.Helper()
	p = tableFragment(t, p)
	row := p.doc.Find(`[data-testid="event"][data-event-id="` + id + `"]`)
	if row.Length() != 1 {
		t.Fatalf("event %s: %d rows on the page (status %d)", id, row.Length(), p.status)
	}
	return row
}

func cell(row *goquery.Selection, testid string) string {
	return strings.TrimSpace(row.Find(`[data-testid="` + testid + `"]`).Text())
}

func (ts *testServer) admin() *agent {
	ts.t.Helper()
	u := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(u.Email)
	return a
}

func TestWebhookLogShowsFailedEventsAndReplaysThem(t *testing.T) {
	ts := newTestServer(t)
	a := ts.admin()
	now := time.Now()
	ts.mustPost(inboundText("evt_ok", "msg_ok", "Hello there", now.Add(-3*time.Minute)))
	ts.mustPost(event("evt_unknown", "contact.updated", now.Add(-2*time.Minute), map[string]any{"phoneNumber": "+14155551234"}))
	// A message.inbound without its message id, whose text is markup
	// (written out: encoding/json would escape the brackets).
	ts.mustPost([]byte(fmt.Sprintf(`{"id":"evt_broken","type":"message.inbound","timestamp":%d,"senderId":"snd_abc123",`+
		`"data":{"from":"+14155551234","to":"+13125559876","channel":"whatsapp","messageType":"text","text":"<script>alert('owned')</script>"}}`,
		now.Add(-time.Minute).UnixMilli())))

	p := a.get("/admin/webhooks")
	if p.status != http.StatusOK {
		t.Fatalf("webhook log: %d", p.status)
	}
	if n := p.find("event").Length(); n != 3 {
		t.Fatalf("%d events listed, want 3", n)
	}
	counts := p.find("webhook-counts")
	if got := [4]string{cell(counts, "count-recent"), cell(counts, "count-applied"), cell(counts, "count-recent-failed"), cell(counts, "count-failed")}; got != [4]string{"3", "1", "2", "2"} {
		t.Errorf("counts = %q", got)
	}
	ok := eventRow(t, p, "evt_ok")
	if cell(ok, "event-state") != "Applied" || cell(ok, "event-type") != "message.inbound" || ok.Find(`[data-testid="replay"]`).Length() != 0 {
		t.Errorf("applied event row: %q", ok.Text())
	}
	unknown := eventRow(t, p, "evt_unknown")
	if cell(unknown, "event-state") != "Failed" || !strings.Contains(cell(unknown, "event-error"), "does not know the event type contact.updated") ||
		cell(unknown, "event-attempts") != "1" || unknown.Find(`[data-testid="replay"]`).Length() != 1 {
		t.Errorf("unknown event row: %q", unknown.Text())
	}
	broken := eventRow(t, p, "evt_broken")
	if !strings.Contains(cell(broken, "event-error"), "has no messageId") {
		t.Errorf("broken event's error: %q", cell(broken, "event-error"))
	}

	// The raw body is shown as text, pretty-printed: markup in it is not
	// markup on the page.
	raw := broken.Find(`[data-testid="event-raw"]`).Text()
	if !strings.Contains(raw, `"text": "<script>alert('owned')</script>"`) || !strings.Contains(p.body, "&lt;script&gt;alert(") {
		t.Errorf("raw body shown as %q", raw)
	}
	if !strings.Contains(raw, "\n  \"data\": {") {
		t.Errorf("raw body is not pretty-printed: %q", raw)
	}
	p.doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), "owned") {
			t.Errorf("the payload's script became a script element")
		}
	})

	// Failed only.
	f := a.get("/admin/webhooks?state=failed")
	if n := f.find("event").Length(); n != 2 || f.find("filter-failed").AttrOr("aria-current", "") != "page" {
		t.Errorf("failed filter: %d events, filter %q", n, f.find("filter-failed").AttrOr("aria-current", ""))
	}

	// Replaying an event the rules still cannot apply counts the attempt
	// and keeps it failed, with this attempt's error.
	for attempt := 2; attempt <= 3; attempt++ {
		r := a.post("/admin/webhooks/evt_unknown/replay", url.Values{})
		if r.status != http.StatusOK {
			t.Fatalf("replay: %d %s", r.status, r.body)
		}
		row := eventRow(t, r, "evt_unknown")
		if cell(row, "event-state") != "Failed" || cell(row, "event-attempts") != fmt.Sprint(attempt) ||
			!strings.Contains(cell(row, "event-error"), "contact.updated") || !strings.Contains(cell(row, "event-note"), "failed again") {
			t.Errorf("after replay %d: %q", attempt, row.Text())
		}
	}
	if row := eventRow(t, a.get("/admin/webhooks"), "evt_unknown"); cell(row, "event-attempts") != "3" {
		t.Errorf("the page does not show 3 attempts: %q", row.Text())
	}

	// An applied event is not replayed.
	r := a.post("/admin/webhooks/evt_ok/replay", url.Values{})
	row := eventRow(t, r, "evt_ok")
	if !strings.Contains(cell(row, "event-note"), "applied already") || cell(row, "event-attempts") != "1" || cell(row, "event-state") != "Applied" {
		t.Errorf("replay of an applied event: %d %q", r.status, row.Text())
	}
	if p := a.post("/admin/webhooks/evt_nope/replay", url.Values{}); p.status != http.StatusNotFound {
		t.Errorf("replay of an unknown event: %d, want 404", p.status)
	}

	// Replays are in the audit log; a refusal changed nothing and is not.
	audit := a.get("/admin/audit").find("audit-entry")
	var replays []string
	audit.Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), "webhook.replay") {
			replays = append(replays, s.Text())
		}
	})
	if len(replays) != 2 || !strings.Contains(replays[0], "Ana") || !strings.Contains(replays[0], "evt_unknown") || !strings.Contains(replays[0], "failed again (attempt 3)") {
		t.Errorf("audit log replays: %q", replays)
	}
}

func TestReplayAppliesAnEventThatFailedBefore(t *testing.T) {
	ts := newTestServer(t)
	a := ts.admin()
	ctx := context.Background()
	// A version that could not apply this event stored it as failed; this
	// one reads the same body fine.
	body := inboundText("evt_late", "msg_late", "Is my order on its way?", time.Now().Add(-time.Hour))
	ev, err := zavu.Webhooks{}.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	old := func(context.Context, inbox.Tx, *inbox.Event) (inbox.Change, error) {
		return inbox.Change{}, fmt.Errorf("message.inbound evt_late: %w", errors.New("this version cannot apply it"))
	}
	if res, err := ts.db.Ingest(ctx, ev, old); err != nil || res.State != inbox.EventFailed {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	if _, status := ts.message("msg_late"); status != http.StatusNotFound {
		t.Fatalf("the failed event left a message: %d", status)
	}

	// An agent's inbox is open; the replayed message reaches it live.
	ben := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	b := ts.newAgent()
	b.login(ben.Email)
	conn := b.live()
	waitClients(t, ts, 1)
	subscribe(t, ts, conn, "open", 0)

	row := eventRow(t, a.get("/admin/webhooks?state=failed"), "evt_late")
	if !strings.Contains(cell(row, "event-detail"), "this version cannot apply it") {
		t.Errorf("stored error not shown: %q", row.Text())
	}
	r := a.post("/admin/webhooks/evt_late/replay", url.Values{})
	row = eventRow(t, r, "evt_late")
	if cell(row, "event-state") != "Applied" || cell(row, "event-attempts") != "2" || row.Find(`[data-testid="replay"]`).Length() != 0 ||
		!strings.Contains(cell(row, "event-note"), "applied now") {
		t.Fatalf("after the replay: %d %q", r.status, row.Text())
	}
	nextContaining(t, conn, "Is my order on its way?")
	m := ts.mustMessage("msg_late")
	thread := b.htmx(fmt.Sprintf("/conversations/%d", m.ConversationID))
	if !strings.Contains(thread.body, "Is my order on its way?") {
		t.Error("the replayed message is not in the conversation")
	}
	if n := a.get("/admin/webhooks?state=failed").find("event").Length(); n != 0 {
		t.Errorf("%d failed events left", n)
	}
	if e := all[apiEvent](ts, "/api/v1/events?state=all", "cursor"); len(e) != 1 || e[0].State != "applied" || e[0].Attempts != 2 {
		t.Errorf("API events after the replay: %+v", e)
	}
	entry := a.get("/admin/audit").find("audit-entry").First().Text()
	if !strings.Contains(entry, "webhook.replay") || !strings.Contains(entry, "evt_late: applied") {
		t.Errorf("audit entry: %q", entry)
	}
}

func TestReplayWithoutScriptsComesBackToThePage(t *testing.T) {
	ts := newTestServer(t)
	a := ts.admin()
	ts.mustPost(event("evt_unknown", "contact.updated", time.Now(), map[string]any{}))
	a.get("/admin/webhooks?state=failed")
	p := a.do(http.MethodPost, "/admin/webhooks/evt_unknown/replay", url.Values{"csrf": {a.csrf}}, nil)
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/webhooks?") || !strings.Contains(loc, "state=failed") {
		t.Fatalf("plain form replay: %d to %q", p.status, loc)
	}
	back := a.get(loc)
	if n := back.find("replay-notice"); !strings.Contains(n.Text(), "evt_unknown") || !strings.Contains(n.Text(), "failed again") {
		t.Errorf("notice = %q", n.Text())
	}
	if row := eventRow(t, back, "evt_unknown"); cell(row, "event-attempts") != "2" {
		t.Errorf("attempts after a plain replay: %q", row.Text())
	}
	if n := a.get("/admin/webhooks?replayed=evt_made_up&outcome=applied").find("replay-notice"); n.Length() != 0 {
		t.Errorf("a notice about an event that does not exist: %q", n.Text())
	}
	// Without the CSRF token nothing is replayed.
	if p := a.do(http.MethodPost, "/admin/webhooks/evt_unknown/replay", url.Values{}, nil); p.status != http.StatusForbidden {
		t.Errorf("replay without a CSRF token: %d, want 403", p.status)
	}
}

func TestWebhookLogLoadsMore(t *testing.T) {
	ts := newTestServer(t)
	a := ts.admin()
	for i := range 53 {
		ts.mustPost(inboundText(fmt.Sprintf("evt_%02d", i), fmt.Sprintf("msg_%02d", i), "hi", time.Now()))
	}
	p := a.get("/admin/webhooks")
	if n := p.find("event").Length(); n != 50 {
		t.Fatalf("first page: %d events, want 50", n)
	}
	more, ok := p.find("load-more").Attr("hx-get")
	if !ok {
		t.Fatal("no Load more")
	}
	next := tableFragment(t, a.htmx(more))
	if n := next.find("event").Length(); n != 3 || next.find("load-more").Length() != 0 || next.doc.Find("main").Length() != 0 {
		t.Fatalf("next page: %d events, load more %d: %s", n, next.find("load-more").Length(), next.body)
	}
	seen := map[string]bool{}
	for _, pg := range []page{p, next} {
		pg.find("event").Each(func(_ int, s *goquery.Selection) { seen[s.AttrOr("data-event-id", "")] = true })
	}
	if len(seen) != 53 {
		t.Errorf("%d distinct events over both pages, want 53", len(seen))
	}
	if p := a.htmx("/admin/webhooks?cursor=nonsense"); p.status != http.StatusBadRequest {
		t.Errorf("a made-up cursor: %d, want 400", p.status)
	}
}

func TestWebhookLogCountsSignatureFailuresBySource(t *testing.T) {
	ts := newTestServer(t)
	a := ts.admin()
	body := inboundText("evt_1", "msg_1", "Hi", time.Now())
	ts.postWith(body, zavu.Sign("whsec_not_ours_at_all", time.Now(), body), nil)
	ts.postWith(body, "", nil)

	got := map[string]string{}
	a.get("/admin/webhooks").find("sig-failure").Each(func(_ int, s *goquery.Selection) {
		got[cell(s, "sig-address")] = cell(s, "sig-count")
	})
	want := map[string]string{"127.0.0.1": "2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("signature failures by address = %v, want %v", got, want)
	}
}

func TestWebhookLogShowsBroadcastAndInvitationActivity(t *testing.T) {
	ts := newTestServer(t)
	a := ts.admin()
	if p := a.get("/admin/webhooks"); p.find("activity-empty").Length() != 1 {
		t.Error("no empty activity feed before any event")
	}
	ts.mustPost(fixture(t, "seed_broadcast_status_changed"))
	ts.mustPost(fixture(t, "seed_invitation_status_changed"))
	var rows []string
	a.get("/admin/webhooks").find("activity-entry").Each(func(_ int, s *goquery.Selection) {
		rows = append(rows, strings.Join(strings.Fields(s.Text()), " "))
	})
	if len(rows) != 2 {
		t.Fatalf("activity feed: %q", rows)
	}
	all := strings.Join(rows, " | ")
	for _, want := range []string{
		"Broadcast Black Friday Campaign brd_abc123", "pending review → approved", "channel sms, 5000 contacts",
		"Partner invitation Acme Corp inv_xyz789", "pending → completed", "contact@acme.com",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("activity feed %q lacks %q", all, want)
		}
	}
}

// TestWebhookLogTellsEventsAnOlderVersionFailed: after an upgrade, the log
// says which failed events the previous version failed, with their Replay
// button (the store counts them: TestFailedEventsRecordTheirVersion); events this version failed say nothing more.
func TestWebhookLogTellsEventsAnOlderVersionFailed(t *testing.T) {
	ts := newTestServerWith(t, func(c *web.Config, _ *web.Deps) { c.Version = "2.0.0" })
	a := ts.admin()
	// The test's store records "dev" as the version that failed it.
	ts.mustPost(event("evt_unknown", "contact.updated", time.Now(), map[string]any{"phoneNumber": "+14155551234"}))
	ts.settle()
	p := a.get("/admin/webhooks")
	row := eventRow(t, p, "evt_unknown")
	if got := cell(row, "event-older"); !strings.Contains(got, "Failed under dev; this is 2.0.0") {
		t.Errorf("the row of an event an older version failed says %q", got)
	}
	if row.Find(`[data-testid="replay"]`).Length() != 1 {
		t.Error("no Replay button on it")
	}

	same := newTestServer(t) // version dev, as its store
	b := same.admin()
	same.mustPost(event("evt_unknown", "contact.updated", time.Now(), map[string]any{"phoneNumber": "+14155551234"}))
	same.settle()
	q := b.get("/admin/webhooks")
	if got := cell(eventRow(t, q, "evt_unknown"), "event-older"); got != "" {
		t.Errorf("an event this version failed is labelled %q", got)
	}
	if q.find("count-failed-older").Length() != 0 {
		t.Error("the count of older failures shows with none")
	}
}
