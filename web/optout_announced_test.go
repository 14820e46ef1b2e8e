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
