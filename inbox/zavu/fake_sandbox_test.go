package zavu

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// TestFailureForFitsTheState: the failures the fake plays never contradict
// the conversation: no "24 hours have passed" inside an open window or on
// a template, no carrier code on WhatsApp, no WhatsApp code on SMS, a media
// error only for media.
func TestFailureForFitsTheState(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sms := map[string]bool{}
	for _, c := range smsFailures {
		sms[c[0]] = true
	}
	seen := map[string]bool{}
	for range 500 {
		for _, typ := range []string{"text", "image", "document", "template"} {
			for _, open := range []bool{true, false} {
				code, msg := FailureFor("whatsapp", typ, open, r)
				seen[code] = true
				switch {
				case msg == "":
					t.Fatalf("whatsapp %s: code %s without a message", typ, code)
				case sms[code]:
					t.Fatalf("whatsapp %s (window open %v): SMS carrier code %s", typ, open, code)
				case code == "131047" && (open || typ == "template"):
					t.Fatalf("whatsapp %s (window open %v): the window-closed failure", typ, open)
				case code != "131047" && !open && typ != "template":
					t.Fatalf("whatsapp %s outside the window: %s, want the window-closed failure", typ, code)
				case code == "131053" && (typ == "text" || typ == "template"):
					t.Fatalf("whatsapp %s: a media failure", typ)
				}
			}
			if code, _ := FailureFor("sms", "text", true, r); !sms[code] {
				t.Fatalf("sms: code %s is not a carrier's", code)
			}
		}
	}
	for _, want := range []string{"131026", "131049", "131053", "131047"} {
		if !seen[want] {
			t.Errorf("WhatsApp failure %s never drawn", want)
		}
	}
}

// TestFakeFailsInsideTheWindowWithoutWindowError plays sends that all fail
// to a customer who just wrote: none says the window has closed, while a
// send to a number that never wrote does.
func TestFakeFailsInsideTheWindowWithoutWindowError(t *testing.T) {
	col := newCollector()
	fake, c, _ := newTestAPI(t, FakeOptions{Webhook: col.hook, StatusDelay: -1, FailureRate: 1})
	fake.AddInbound(Message{ID: "msg_in", From: "+14155551234", Channel: "whatsapp", Text: "Hi"})
	ctx := context.Background()
	for i := range 20 {
		if _, err := c.Send(ctx, SendRequest{To: "+14155551234", Channel: "whatsapp", Text: "Hello!",
			IdempotencyKey: "open" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
		evs := col.take(t, 2)
		if st := evs[1].Status; st == nil || st.ErrorCode == "" || st.ErrorCode == "131047" {
			t.Fatalf("send %d inside the window failed with %+v", i, st)
		}
	}
	if _, err := c.Send(ctx, SendRequest{To: "+14155559999", Channel: "whatsapp", Text: "Hello!", IdempotencyKey: "closed"}); err != nil {
		t.Fatal(err)
	}
	if st := col.take(t, 2)[1].Status; st == nil || st.ErrorCode != "131047" {
		t.Errorf("send outside the window failed with %+v, want 131047", st)
	}
}

// TestFakeAcceptsRepliesOnSendersCustomersWroteTo: with a sender list set,
// a reply on a sender that is not listed but that a customer wrote to is
// sent from the number the customer wrote to; an unknown sender is still
// refused.
func TestFakeAcceptsRepliesOnSendersCustomersWroteTo(t *testing.T) {
	fake, c, _ := newTestAPI(t, FakeOptions{})
	fake.SetSenders([]Sender{{ID: "snd_main", Name: "Main", PhoneNumber: "+13125559876", IsDefault: true}})
	fake.AddInbound(Message{ID: "msg_2", From: "+14155551234", To: "+13125550002", SenderID: "snd_second", Channel: "whatsapp", Text: "Hi"})
	ctx := context.Background()
	m, err := c.Send(ctx, SendRequest{To: "+14155551234", Channel: "whatsapp", Text: "Hello", SenderID: "snd_second", IdempotencyKey: "k1"})
	if err != nil {
		t.Fatalf("reply on the second sender: %v", err)
	}
	if m.SenderID != "snd_second" || m.From != "+13125550002" {
		t.Errorf("sent as %s from %s, want snd_second from +13125550002", m.SenderID, m.From)
	}
	_, err = c.Send(ctx, SendRequest{To: "+14155551234", Channel: "whatsapp", Text: "Hello", SenderID: "snd_never", IdempotencyKey: "k2"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("unknown sender: %v, want 404", err)
	}
}

func TestFakeTemplateStatusChanges(t *testing.T) {
	fake, c, _ := newTestAPI(t, FakeOptions{})
	fake.SetTemplates([]Template{{ID: "tmpl_a", Name: "a", Status: "pending", Body: "Hi"}})
	if !fake.SetTemplateStatus("tmpl_a", "approved", "") || fake.SetTemplateStatus("tmpl_none", "approved", "") {
		t.Fatal("SetTemplateStatus found the wrong templates")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ts, err := c.Templates(ctx)
	if err != nil || len(ts) != 1 || ts[0].Status != "approved" {
		t.Errorf("templates after approval: %+v %v", ts, err)
	}
}
