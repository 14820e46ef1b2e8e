package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/web"
)

// TestSMSStopAsFirstMessageGetsItsConfirmation: a new SMS customer whose
// first message is STOP gets the STOP confirmation once, and nothing
// else, whether Zavu's conversation.new or its message.inbound of that
// message comes first; an agent's reply is then refused. A STOP sent
// again gets the confirmation again.
func TestSMSStopAsFirstMessageGetsItsConfirmation(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Second)
	clock := &testClock{t: base}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	ctx := context.Background()
	admin := ts.admin()
	if _, err := ts.db.UpdateAutoReplies(ctx, base, func(c *inbox.AutoReplyConfig) error {
		c.Greeting = inbox.AutoReplyMessage{Enabled: true, Text: "Hello!"}
		c.Stop = inbox.AutoReplyMessage{Enabled: true, Text: "You will get no more messages. Text START to come back."}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	messenger := zavu.Messenger{Client: zavu.NewClient("http://zavu.test", "zv_test_web",
		zavu.WithHTTPClient(&http.Client{Transport: ts.zavu.Transport()}))}
	outbox := inbox.NewOutbox(ts.db, messenger, nil, nil)
	outbox.Now = clock.now
	at := base.Add(-time.Minute)
	announce := func(evt, msg, phone string, at time.Time) []byte {
		return event(evt, "conversation.new", at, map[string]any{"conversationId": nil, "phoneNumber": phone,
			"channel": "sms", "firstMessageId": msg, "firstMessageText": "STOP"})
	}
	sentTo := func(phone string) []string {
		t.Helper()
		if _, err := outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ts.zavu.Sent() {
			if m.To == phone {
				out = append(out, m.Text)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name, phone, msg string
		events           [][]byte
	}{
		{"conversation.new first", "+14155550020", "msg_a", [][]byte{
			announce("evt_new_a", "msg_a", "+14155550020", at),
			smsFrom("evt_in_a", "msg_a", "+14155550020", "STOP", at.Add(-time.Second)),
		}},
		{"message.inbound first", "+14155550021", "msg_b", [][]byte{
			smsFrom("evt_in_b", "msg_b", "+14155550021", "STOP", at.Add(-time.Second)),
			announce("evt_new_b", "msg_b", "+14155550021", at),
		}},
	} {
		for _, ev := range tc.events {
			ts.mustPost(ev)
		}
		got := sentTo(tc.phone)
		if len(got) != 1 || !strings.HasPrefix(got[0], "You will get no more messages") {
			t.Errorf("%s: the customer received %q, want the STOP confirmation alone", tc.name, got)
		}
		conv := ts.mustMessage(tc.msg).ConversationID
		p := admin.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Please come back"}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "opted_out") {
			t.Errorf("%s: reply after STOP: %d %s, want 422 opted_out", tc.name, p.status, p.body)
		}
	}
	ts.mustPost(smsFrom("evt_again", "msg_again", "+14155550020", "Stop.", at.Add(time.Second)))
	if got := sentTo("+14155550020"); len(got) != 2 {
		t.Errorf("after a second STOP the customer received %q, want two confirmations", got)
	}
}

// TestSendRefusedAsOptedOutClosesTheComposer: Zavu refuses a reply with
// error 21610, the customer opted out (a STOP Switchboard never saw: sent
// to another number of the business, or before it was set up), either
// as its answer to the send or by taking the send and answering it
// failed at once. The customer is opted out as a STOP makes them: the
// agent's next reply is refused, saying why, and the reply written after
// the refused one is not sent.
func TestSendRefusedAsOptedOutClosesTheComposer(t *testing.T) {
	for i, refusal := range []zavu.Failure{
		{Status: http.StatusBadRequest, Code: "21610", Message: "Attempt to send to unsubscribed recipient"},
		{FailAtOnce: true, Code: "21610", Message: "Attempt to send to unsubscribed recipient"},
	} {
		ts := newTestServer(t)
		ctx := context.Background()
		admin := ts.admin()
		phone := fmt.Sprintf("+1415555004%d", i)
		ts.mustPost(smsFrom("evt_in", "msg_in", phone, "Is my order ready?", time.Now().Add(-time.Minute)))
		conv := ts.mustMessage("msg_in").ConversationID
		for _, text := range []string{"It is ready.", "You can pick it up today."} {
			if p := admin.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {text}}); p.status != http.StatusOK {
				t.Fatalf("reply %q: %d %s", text, p.status, p.body)
			}
		}
		now := time.Now().Add(time.Second)
		outbox := ts.outboxAt(&now)
		ts.zavu.FailNext(1, refusal)
		if _, err := outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		for _, m := range ts.zavu.Sent() {
			if m.Text == "You can pick it up today." {
				t.Errorf("refusal %d: the reply written after the refused one went out", i)
			}
		}
		p := admin.post(fmt.Sprintf("/conversations/%d/messages", conv), url.Values{"text": {"Hello?"}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "opted_out") {
			t.Errorf("refusal %d: a reply after Zavu's 21610: %d %s, want 422 opted_out", i, p.status, p.body)
		}
		thread := admin.htmx(fmt.Sprintf("/conversations/%d", conv))
		if n := thread.doc.Find(`[data-testid=message][data-direction=outbound][data-status=failed]`).Length(); n != 2 {
			t.Errorf("refusal %d: %d replies show failed, want both", i, n)
		}
	}
}
