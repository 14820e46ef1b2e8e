package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/web"
)

// TestUnsupportedMessagesGetNoAutoReply: what WhatsApp cannot show (a
// poll, a message the customer deleted, a disappearing one), whether as
// message.unsupported or as a message.inbound of a type Switchboard does
// not know, is not something to greet or answer out of hours; the
// customer's next text is.
func TestUnsupportedMessagesGetNoAutoReply(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Second)
	clock := &testClock{t: base}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	ctx := context.Background()
	// Open on another weekday only: today is out of hours.
	if _, err := ts.db.UpdateAutoReplies(ctx, base, func(c *inbox.AutoReplyConfig) error {
		c.Hours.TimeZone = "UTC"
		c.Hours.Days[(base.Weekday()+3)%7] = []inbox.Span{{Open: 9 * 60, Close: 17 * 60}}
		c.OutOfOffice = inbox.AutoReplyMessage{Enabled: true, Text: "We are closed."}
		c.Greeting = inbox.AutoReplyMessage{Enabled: true, Text: "Hello!"}
		return nil
	}); err != nil {
		t.Fatal(err)
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
	at := base.Add(-time.Minute)
	ts.mustPost(event("evt_unsup", "message.unsupported", at, map[string]any{
		"messageId": "msg_unsup", "from": "+14155550010", "to": "+13125559876", "channel": "whatsapp", "timestamp": at.UnixMilli(),
	}))
	ts.mustPost(event("evt_poll", "message.inbound", at, map[string]any{
		"messageId": "msg_poll", "from": "+14155550011", "to": "+13125559876", "channel": "whatsapp", "messageType": "unsupported",
	}))
	drain()
	if sent := ts.zavu.Sent(); len(sent) != 0 {
		t.Fatalf("unsupported messages were answered: %+v", sent)
	}
	ts.mustPost(inboundFrom("evt_text", "msg_text", "+14155550010", "Ana", "Are you there?", at.Add(time.Second)))
	drain()
	if sent := ts.zavu.Sent(); len(sent) != 1 || sent[0].To != "+14155550010" || sent[0].Text != "We are closed." {
		t.Fatalf("the customer's text got %+v, want the out-of-office reply", sent)
	}
}
