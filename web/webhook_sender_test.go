package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
	"switchboard/web"
)

// eventOf is an envelope of sender's, as Zavu delivers it.
func eventOf(sender, id, typ string, at time.Time, data map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "type": typ, "timestamp": at.UnixMilli(), "senderId": sender, "projectId": "prj_xyz789", "data": data,
	})
	if err != nil {
		panic(err)
	}
	return b
}

// A sender's own webhook secret vouches for that sender's events only: a
// delivery it signs that names a message of another sender's (a status
// report, a reaction) is refused with 401 like any badly signed one,
// counted for the Webhook log's signature failures and logged, and
// nothing of it is stored. What it may sign still goes through: reports
// on its own messages, and on messages not known yet; the project's
// secret still signs every event.
func TestSendersSecretSignsOnlyItsOwnMessagesEvents(t *testing.T) {
	var logs syncBuffer
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	ctx := context.Background()
	const secretA, secretB = "whsec_senderAOwnSecret0123456789", "whsec_senderBOwnSecret0123456789"
	const customerA, customerB = "+14155550101", "+14155550202"
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	signedBy := func(secret string, body []byte) (int, map[string]any) {
		t.Helper()
		return ts.postWith(body, zavu.Sign(secret, time.Now(), body), nil)
	}
	report := func(sender, id, typ, msg, to string, extra map[string]any) []byte {
		data := map[string]any{"messageId": msg, "to": to, "channel": "whatsapp", "status": typ[len("message."):]}
		for k, v := range extra {
			data[k] = v
		}
		at = at.Add(time.Second)
		return eventOf(sender, id, typ, at, data)
	}

	// Each sender's customer writes; then each sender gets a secret of
	// its own.
	for _, c := range []struct{ sender, msg, from string }{{"snd_a", "msg_a_in", customerA}, {"snd_b", "msg_b_in", customerB}} {
		ts.mustPost(eventOf(c.sender, "evt_"+c.msg, "message.inbound", at, map[string]any{
			"messageId": c.msg, "from": c.from, "to": "+13125550000", "channel": "whatsapp", "messageType": "text", "text": "Hello",
		}))
	}
	if err := ts.db.SetSenderSecret(ctx, "snd_a", secretA, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := ts.db.SetSenderSecret(ctx, "snd_b", secretB, time.Now()); err != nil {
		t.Fatal(err)
	}
	// A reply of each sender's, as its own webhook reports it.
	for _, c := range []struct{ sender, secret, msg, to string }{{"snd_a", secretA, "msg_a_out", customerA}, {"snd_b", secretB, "msg_b_out", customerB}} {
		if status, out := signedBy(c.secret, report(c.sender, "evt_sent_"+c.msg, "message.sent", c.msg, c.to, nil)); status != http.StatusOK {
			t.Fatalf("%s's report of its own reply, signed with its secret: %d %v", c.sender, status, out)
		}
	}

	// snd_a's secret signing events about snd_b's messages, under snd_a's
	// envelope: the customer opted out, a delivery, a reaction.
	forged := [][]byte{
		report("snd_a", "evt_forged_optout", "message.failed", "msg_b_out", customerB,
			map[string]any{"errorCode": "21610", "errorMessage": "Attempt to send to unsubscribed recipient"}),
		report("snd_a", "evt_forged_delivered", "message.delivered", "msg_b_out", customerB, nil),
		eventOf("snd_a", "evt_forged_reaction", "message.reaction", at, map[string]any{
			"messageId": "msg_b_out", "reaction": map[string]any{"emoji": "👎", "from": customerB, "action": "added"},
		}),
	}
	before := ts.web.SignatureFailures()["127.0.0.1"]
	for _, body := range forged {
		status, out := signedBy(secretA, body)
		if status != http.StatusUnauthorized {
			t.Errorf("snd_a's secret signing an event on snd_b's message: %d %v, want 401\n%s", status, out, body)
			continue
		}
		e, _ := out["error"].(map[string]any)
		if e["code"] != "invalid_signature" || e["message"] == "" {
			t.Errorf("the refusal says %v, want invalid_signature with a sentence", out)
		}
	}
	if m, _ := ts.message("msg_b_out"); m.Status != "sent" || m.ErrorCode != nil {
		t.Errorf("snd_b's reply after snd_a's forged reports: status %s, error %s; want sent, none", m.Status, str(m.ErrorCode))
	}
	if m, _ := ts.message("msg_b_out"); len(m.Reactions) != 0 {
		t.Errorf("snd_b's reply got the reaction snd_a's secret signed: %+v", m.Reactions)
	}
	if got := ts.web.SignatureFailures()["127.0.0.1"] - before; got != int64(len(forged)) {
		t.Errorf("signature failures counted for the Webhook log: %d, want %d", got, len(forged))
	}
	if n, _ := logs.lines("webhook refused: signed with another sender's secret"); n != len(forged) {
		t.Errorf("refusals logged: %d, want %d", n, len(forged))
	}
	for _, id := range []string{"evt_forged_optout", "evt_forged_delivered", "evt_forged_reaction"} {
		if _, err := ts.db.RawEvent(ctx, id); err == nil {
			t.Errorf("refused event %s was stored", id)
		}
	}

	// What each secret may sign still goes through.
	for _, c := range []struct {
		name, secret string
		body         []byte
	}{
		{"snd_a's delivery of its own reply", secretA, report("snd_a", "evt_a_delivered", "message.delivered", "msg_a_out", customerA, nil)},
		{"snd_a's report on a message not known yet", secretA, report("snd_a", "evt_a_unknown", "message.sent", "msg_a_elsewhere", customerA, nil)},
		{"snd_a's customer's reaction to its reply", secretA, eventOf("snd_a", "evt_a_reaction", "message.reaction", at, map[string]any{
			"messageId": "msg_a_out", "reaction": map[string]any{"emoji": "👍", "from": customerA, "action": "added"},
		})},
		{"snd_b's delivery of its own reply", secretB, report("snd_b", "evt_b_delivered", "message.delivered", "msg_b_out", customerB, nil)},
		{"the project's secret, under snd_a's envelope", testSecret, report("snd_a", "evt_project_read", "message.read", "msg_b_out", customerB, nil)},
	} {
		if status, out := signedBy(c.secret, c.body); status != http.StatusOK {
			t.Errorf("%s: %d %v, want 200", c.name, status, out)
		}
	}
	if m, _ := ts.message("msg_a_out"); m.Status != "delivered" {
		t.Errorf("snd_a's reply: %s, want delivered", m.Status)
	}
	if m, status := ts.message("msg_a_elsewhere"); status != http.StatusOK || m.Direction != "outbound" {
		t.Errorf("snd_a's report on a message not known yet left %d %+v, want its placeholder", status, m)
	}
	if m, _ := ts.message("msg_a_out"); len(m.Reactions) != 1 {
		t.Errorf("snd_a's reply has reactions %+v, want its customer's", m.Reactions)
	}
	if m, _ := ts.message("msg_b_out"); m.Status != "read" {
		t.Errorf("snd_b's reply: %s, want read", m.Status)
	}
}

// heldProjection is the test server's store with the projection held:
// events are stored and acknowledged, and applied only once the test
// releases it.
type heldProjection struct {
	*store.DB
	p inbox.Projection
}

func (h *heldProjection) Project(p inbox.Projection) { h.p = p }

func (h *heldProjection) release() { h.DB.Project(h.p) }

// A delivery that only a sender's own secret signs is checked again as
// it is applied, after the acknowledgement: the message it names may be
// stored in between. snd_a's secret signs an opt-out and a reaction on a
// message of snd_b's that is not stored yet, so both are acknowledged;
// snd_b's message is stored before them. Applied, they are kept failed
// with the reason on the Webhook log, and snd_b's message and
// conversation are as if they never came, on a replay too. snd_a's
// secret still reports on snd_a's own message, and the project's secret
// on snd_b's.
func TestSenderSignedEventOnAMessageStoredMeanwhileIsKeptFailed(t *testing.T) {
	var held *heldProjection
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) {
		held = &heldProjection{DB: d.Store.(*store.DB)}
		d.Store = held
	})
	ctx := context.Background()
	const secretA, secretB = "whsec_senderAOwnSecret0123456789", "whsec_senderBOwnSecret0123456789"
	const customerA, customerB = "+14155550101", "+14155550202"
	// Both senders are known from Zavu's list, and each has a secret of
	// its own.
	if err := ts.db.SyncSenders(ctx, []inbox.Sender{{ID: "snd_a", Phone: "+13125550000"}, {ID: "snd_b", Phone: "+13125550001"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	for sender, secret := range map[string]string{"snd_a": secretA, "snd_b": secretB} {
		if err := ts.db.SetSenderSecret(ctx, sender, secret, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	next := func() time.Time { at = at.Add(time.Second); return at }
	// deliver posts as Zavu does, and does not wait for the event to be
	// applied (ts.post does).
	deliver := func(secret string, body []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, ts.srv.URL+"/webhooks/zavu", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Zavu-Signature", zavu.Sign(secret, time.Now(), body))
		resp, err := ts.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s, want it acknowledged\n%s", resp.StatusCode, out, body)
		}
	}
	echo := func(sender, id, msg, to string) []byte {
		return eventOf(sender, id, "message.sent", next(), map[string]any{
			"messageId": msg, "from": "+13125550000", "to": to, "channel": "whatsapp", "messageType": "text",
			"text": "Typed on the phone", "status": "sent", "source": "whatsapp_business_app", "direction": "outbound",
		})
	}
	report := func(sender, id, status, msg, to string, extra map[string]any) []byte {
		data := map[string]any{"messageId": msg, "to": to, "channel": "whatsapp", "status": status}
		for k, v := range extra {
			data[k] = v
		}
		return eventOf(sender, id, "message."+status, next(), data)
	}
	reaction := func(sender, id, msg, from, emoji string) []byte {
		return eventOf(sender, id, "message.reaction", next(), map[string]any{
			"messageId": msg, "reaction": map[string]any{"emoji": emoji, "from": from, "action": "added"},
		})
	}

	// Each sender's phone app sends a message; neither is applied yet.
	deliver(secretB, echo("snd_b", "evt_echo_b", "msg_b_phone", customerB))
	deliver(secretA, echo("snd_a", "evt_echo_a", "msg_a_phone", customerA))
	// snd_a's secret signs events on snd_b's message, not stored yet.
	forged := []string{"evt_forged_optout", "evt_forged_reaction"}
	deliver(secretA, report("snd_a", "evt_forged_optout", "failed", "msg_b_phone", customerB,
		map[string]any{"errorCode": "21610", "errorMessage": "Attempt to send to unsubscribed recipient"}))
	deliver(secretA, reaction("snd_a", "evt_forged_reaction", "msg_b_phone", "+14155550999", "👎"))
	// What may be signed: snd_a on its own message, the project on
	// snd_b's.
	deliver(secretA, report("snd_a", "evt_a_delivered", "delivered", "msg_a_phone", customerA, nil))
	deliver(testSecret, reaction("snd_b", "evt_project_reaction", "msg_b_phone", customerB, "👍"))
	held.release()
	ts.settle()

	checkB := func(when string) {
		t.Helper()
		m := ts.mustMessage("msg_b_phone")
		if m.Status != "sent" || m.ErrorCode != nil {
			t.Errorf("%s: snd_b's message is %s, error %s; want sent, none", when, m.Status, str(m.ErrorCode))
		}
		if len(m.Reactions) != 1 || m.Reactions[0].Emoji != "👍" {
			t.Errorf("%s: snd_b's message has reactions %+v, want its customer's 👍 alone", when, m.Reactions)
		}
		c, err := ts.db.Conversation(ctx, m.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		if c.OptedOut {
			t.Errorf("%s: snd_b's conversation was closed by the opt-out snd_a's secret signed", when)
		}
	}
	checkB("applied")
	if m := ts.mustMessage("msg_a_phone"); m.Status != "delivered" {
		t.Errorf("snd_a's own message: %s, want delivered", m.Status)
	}
	var page apiPage[apiEvent]
	if status := ts.get("/api/v1/events?state=failed", &page); status != http.StatusOK {
		t.Fatalf("events: %d", status)
	}
	var failed []string
	for _, e := range page.Items {
		failed = append(failed, e.ID)
		if e.Error == nil || !strings.Contains(*e.Error, `sender "snd_a"`) || !strings.Contains(*e.Error, "msg_b_phone") ||
			!strings.Contains(*e.Error, `sender "snd_b"`) {
			t.Errorf("event %s failed with %s, want the reason", e.ID, str(e.Error))
		}
	}
	slices.Sort(failed)
	if !slices.Equal(failed, forged) {
		t.Errorf("failed events %v, want %v", failed, forged)
	}

	// The Webhook log says why, and a replay fails again.
	a := ts.admin()
	p := a.get("/admin/webhooks?state=failed")
	for _, id := range forged {
		if row := eventRow(t, p, id); !strings.Contains(cell(row, "event-error"), "another sender's message") {
			t.Errorf("the Webhook log says of %s: %q", id, cell(row, "event-error"))
		}
		r := a.post("/admin/webhooks/"+id+"/replay", url.Values{})
		if row := eventRow(t, r, id); r.status != http.StatusOK || cell(row, "event-state") != "Failed" ||
			!strings.Contains(cell(row, "event-note"), "failed again") {
			t.Errorf("replay of %s: %d %q", id, r.status, row.Text())
		}
	}
	checkB("replayed")
}
