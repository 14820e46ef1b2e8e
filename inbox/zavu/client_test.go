package zavu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/inbox"
)

const testKey = "zv_test_abc123"

// newTestAPI serves a Fake on loopback and returns it with a client for it.
func newTestAPI(t *testing.T, opts FakeOptions, copts ...ClientOption) (*Fake, *Client, *httptest.Server) {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	fake := NewFake(opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { fake.Close() }) // runs first: ends hangs and playback
	return fake, NewClient(srv.URL, testKey, copts...), srv
}

func textTo(to, key string) SendRequest {
	return SendRequest{To: to, Channel: "sms", MessageType: "text", Text: "Your order ships tomorrow.", IdempotencyKey: key}
}

func TestSendAndGetMessage(t *testing.T) {
	fake, c, _ := newTestAPI(t, FakeOptions{})
	fake.SetSenders([]Sender{{ID: "snd_main", Name: "Main", PhoneNumber: "+13125559876", IsDefault: true},
		{ID: "snd_support", Name: "Support", PhoneNumber: "+13125550000"}})
	ctx := context.Background()

	req := textTo("+14155551234", "key-1")
	req.SenderID = "snd_support"
	req.Metadata = map[string]string{"conversation": "42"}
	m, err := c.Send(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.ID, "msg_") || m.Status != "queued" || m.To != "+14155551234" || m.Channel != "sms" ||
		m.SenderID != "snd_support" || m.From != "+13125550000" || m.Text != req.Text || m.Metadata["conversation"] != "42" ||
		m.CreatedAt.IsZero() {
		t.Fatalf("sent %+v", m)
	}
	got, err := c.GetMessage(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != m.ID || got.Text != m.Text || got.Direction != "outbound" || !got.CreatedAt.Equal(m.CreatedAt) {
		t.Errorf("read back %+v, sent %+v", got, m)
	}

	// A template goes out on WhatsApp with its variables.
	tm, err := c.Send(ctx, SendRequest{To: "+14155551234", Channel: "whatsapp", MessageType: "template",
		Content: &Content{TemplateID: "tmpl_1", TemplateVariables: map[string]string{"1": "Ana"}}, IdempotencyKey: "key-2"})
	if err != nil {
		t.Fatal(err)
	}
	if tm.Channel != "whatsapp" || tm.Content == nil || tm.Content.TemplateVariables["1"] != "Ana" || tm.SenderID != "snd_sandbox" {
		t.Errorf("template message %+v %+v", tm, tm.Content)
	}
	if sent := fake.Sent(); len(sent) != 2 || sent[0].ID != m.ID || sent[1].ID != tm.ID {
		t.Errorf("fake recorded %+v", sent)
	}

	// An unknown sender is refused.
	req = textTo("+14155551234", "key-3")
	req.SenderID = "snd_nope"
	if _, err := c.Send(ctx, req); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("unknown sender: %v", err)
	}
}

// TestErrors drives every class of failure through the real HTTP stack.
func TestErrors(t *testing.T) {
	type check struct {
		status     int  // 0: a network error
		temporary  bool // IsTemporary
		is         error
		code       string
		retryAfter time.Duration
		contains   string
	}
	cases := []struct {
		name  string
		fail  *Failure
		key   string // the client's API key; default testKey
		call  func(context.Context, *Client) error
		check check
	}{
		{name: "missing to",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Send(ctx, SendRequest{Channel: "sms", Text: "hi"})
				return err
			},
			check: check{status: 400, is: inbox.ErrInvalid, code: "validation_error", contains: "to is required"}},
		{name: "bad channel",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Send(ctx, SendRequest{To: "+14155551234", Channel: "pigeon", Text: "hi"})
				return err
			},
			check: check{status: 400, is: inbox.ErrInvalid, code: "validation_error", contains: "channel"}},
		{name: "window closed",
			fail: &Failure{Status: 400, Code: "whatsapp_window_closed",
				Message: "More than 24 hours since the customer's last message; send a template"},
			check: check{status: 400, is: inbox.ErrWindowClosed, code: "whatsapp_window_closed"}},
		{name: "bad api key", key: "zv_test_wrong",
			check: check{status: 401, is: inbox.ErrUnauthorized, code: "unauthorized"}},
		{name: "insufficient balance",
			fail:  &Failure{Status: 402, Code: "insufficient_balance", Message: "Insufficient balance"},
			check: check{status: 402, is: inbox.ErrInvalid, code: "insufficient_balance"}},
		{name: "unknown message",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetMessage(ctx, "msg_does_not_exist")
				return err
			},
			check: check{status: 404, is: inbox.ErrNotFound, code: "message_not_found"}},
		{name: "rate limited",
			fail:  &Failure{Status: 429, Code: "rate_limit_exceeded", Message: "Too many requests", RetryAfter: 7 * time.Second},
			check: check{status: 429, temporary: true, code: "rate_limit_exceeded", retryAfter: 7 * time.Second}},
		{name: "server error",
			fail:  &Failure{Status: 500, Code: "internal_error", Message: "Something went wrong"},
			check: check{status: 500, temporary: true, code: "internal_error"}},
		{name: "proxy page, not JSON",
			fail:  &Failure{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"},
			check: check{status: 502, temporary: true, contains: "text/html"}},
		{name: "empty 503",
			fail:  &Failure{Status: 503, Body: " ", Header: http.Header{"Content-Type": {"text/plain"}}},
			check: check{status: 503, temporary: true, contains: "503 Service Unavailable"}},
		{name: "dropped connection",
			fail:  &Failure{Drop: true},
			check: check{temporary: true, contains: "network error"}},
		{name: "timeout",
			fail:  &Failure{Delay: time.Minute},
			check: check{temporary: true, is: context.DeadlineExceeded, contains: "timeout"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, _, srv := newTestAPI(t, FakeOptions{})
			key := tc.key
			if key == "" {
				key = testKey
			}
			c := NewClient(srv.URL, key, WithTimeout(300*time.Millisecond))
			if tc.fail != nil {
				fake.FailNext(1, *tc.fail)
			}
			call := tc.call
			if call == nil {
				call = func(ctx context.Context, c *Client) error {
					_, err := c.Send(ctx, textTo("+14155551234", "k-"+tc.name))
					return err
				}
			}
			start := time.Now()
			err := call(context.Background(), c)
			if err == nil {
				t.Fatal("no error")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
			want := tc.check
			if got := IsTemporary(err); got != want.temporary {
				t.Errorf("IsTemporary = %v, want %v (%v)", got, want.temporary, err)
			}
			if want.is != nil && !errors.Is(err, want.is) {
				t.Errorf("%v is not %v", err, want.is)
			}
			if want.contains != "" && !strings.Contains(err.Error(), want.contains) {
				t.Errorf("%q does not say %q", err, want.contains)
			}
			if got := RetryAfter(err); got != want.retryAfter {
				t.Errorf("RetryAfter = %s, want %s", got, want.retryAfter)
			}
			var ae *APIError
			var ne *NetworkError
			switch {
			case want.status == 0:
				if !errors.As(err, &ne) || !ne.Temporary() {
					t.Fatalf("want a *NetworkError, got %T %v", err, err)
				}
			case !errors.As(err, &ae):
				t.Fatalf("want an *APIError, got %T %v", err, err)
			default:
				if ae.Status != want.status || ae.Code != want.code || ae.Temporary() != want.temporary {
					t.Errorf("got %+v", ae)
				}
				if ae.Temporary() && ae.Unwrap() != nil {
					t.Errorf("a temporary error maps to %v", ae.Unwrap())
				}
			}
			if errors.Is(err, inbox.ErrWindowClosed) != (want.is == inbox.ErrWindowClosed) {
				t.Errorf("window closed? %v", err)
			}
		})
	}
}

func TestValidationDetails(t *testing.T) {
	_, c, _ := newTestAPI(t, FakeOptions{})
	ctx := context.Background()
	for _, tc := range []struct {
		req   SendRequest
		field string
	}{
		{SendRequest{To: "+14155551234", Channel: "sms"}, "text"},
		{SendRequest{To: "not a number", Channel: "sms", Text: "hi"}, "to"},
		{SendRequest{To: "+14155551234", Channel: "sms", MessageType: "image", Content: &Content{MediaURL: "https://x/y.jpg"}}, "messageType"},
		{SendRequest{To: "+14155551234", Channel: "whatsapp", MessageType: "template"}, "content.templateId"},
		{SendRequest{To: "+14155551234", Channel: "whatsapp", MessageType: "hologram"}, "messageType"},
	} {
		_, err := c.Send(ctx, tc.req)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 400 {
			t.Errorf("%+v: %v", tc.req, err)
			continue
		}
		var d struct{ Field string }
		if json.Unmarshal(ae.Details, &d) != nil || d.Field != tc.field {
			t.Errorf("%+v: details %s, want field %s", tc.req, ae.Details, tc.field)
		}
	}
}

// TestIdempotentResend: a send whose answer was lost is retried with the
// same key; Zavu returns the first message and sends nothing new.
func TestIdempotentResend(t *testing.T) {
	for _, fl := range []Failure{
		{Status: 500, Code: "internal_error", Message: "oops", AfterAccept: true},
		{Drop: true, AfterAccept: true},
		{Status: 503}, // refused before accepting: the retry is the first send
	} {
		t.Run(fmt.Sprintf("%+v", fl), func(t *testing.T) {
			fake, c, _ := newTestAPI(t, FakeOptions{})
			ctx := context.Background()
			fake.FailNext(1, fl)
			req := textTo("+14155551234", "reply-7-key")
			_, err := c.Send(ctx, req)
			if !IsTemporary(err) {
				t.Fatalf("first attempt: %v", err)
			}
			m1, err := c.Send(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			m2, err := c.Send(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if m1.ID != m2.ID {
				t.Errorf("the same key gave %s then %s", m1.ID, m2.ID)
			}
			sent := fake.Sent()
			if len(sent) != 1 || sent[0].ID != m1.ID {
				t.Errorf("fake sent %+v", sent)
			}
			if n := fake.SendsFor(req.IdempotencyKey); n != 1 {
				t.Errorf("SendsFor = %d, want 1", n)
			}
			if n := fake.RequestsFor(req.IdempotencyKey); n != 3 {
				t.Errorf("RequestsFor = %d, want 3", n)
			}
			// Another key is another message.
			other, err := c.Send(ctx, textTo("+14155551234", "reply-8-key"))
			if err != nil || other.ID == m1.ID {
				t.Errorf("another key: %+v %v", other, err)
			}
		})
	}
}

func TestIdempotentConcurrentSends(t *testing.T) {
	fake, c, _ := newTestAPI(t, FakeOptions{})
	var wg sync.WaitGroup
	ids := make([]string, 16)
	for i := range ids {
		wg.Go(func() {
			m, err := c.Send(context.Background(), textTo("+14155551234", "same-key"))
			if err != nil {
				t.Error(err)
			}
			ids[i] = m.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("ids differ: %v", ids)
		}
	}
	if fake.SendsFor("same-key") != 1 || len(fake.Sent()) != 1 {
		t.Errorf("sends %d, sent %d", fake.SendsFor("same-key"), len(fake.Sent()))
	}
}

// countingHandler counts requests per path.
type countingHandler struct {
	h     http.Handler
	mu    sync.Mutex
	paths map[string]int
	limit []string
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.paths[r.URL.Path]++
	c.limit = append(c.limit, r.URL.Query().Get("limit"))
	c.mu.Unlock()
	c.h.ServeHTTP(w, r)
}

func TestListsFollowCursors(t *testing.T) {
	fake := NewFake(FakeOptions{APIKey: testKey, Seed: 1}) // pages of 3
	defer fake.Close()
	counter := &countingHandler{h: fake, paths: map[string]int{}}
	srv := httptest.NewServer(counter)
	defer srv.Close()
	c := NewClient(srv.URL+"/", testKey)

	var templates []Template
	for i := range 8 {
		templates = append(templates, Template{ID: fmt.Sprintf("tmpl_%d", i), Name: fmt.Sprintf("order_update_%d", i),
			Language: "en", Status: "approved", Category: "UTILITY", Body: "Hi {{1}}, your order {{2}} has shipped."})
	}
	templates[7].Status, templates[7].RejectionReason = "rejected", "Too promotional"
	fake.SetTemplates(templates)
	var senders []Sender
	for i := range 7 {
		senders = append(senders, Sender{ID: fmt.Sprintf("snd_%d", i), Name: fmt.Sprintf("Line %d", i),
			PhoneNumber: fmt.Sprintf("+1312555000%d", i), IsDefault: i == 0,
			Webhook: &SenderWebhook{URL: "https://example.test/webhooks/zavu", Events: []string{"message.inbound"}, Secret: "whsec_x", Active: true}})
	}
	fake.SetSenders(senders)

	ctx := context.Background()
	gotT, err := c.Templates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotT) != len(templates) {
		t.Fatalf("got %d templates, want %d", len(gotT), len(templates))
	}
	for i, tm := range gotT {
		if tm.ID != templates[i].ID || tm.Name != templates[i].Name || tm.Body != templates[i].Body || tm.VariableCount() != 2 {
			t.Errorf("template %d: %+v", i, tm)
		}
	}
	if gotT[7].Status != "rejected" || gotT[7].RejectionReason != "Too promotional" {
		t.Errorf("rejected template: %+v", gotT[7])
	}
	gotS, err := c.Senders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotS) != len(senders) || gotS[6].PhoneNumber != "+13125550006" || !gotS[0].IsDefault {
		t.Fatalf("senders %+v", gotS)
	}
	if wh := gotS[3].Webhook; wh == nil || wh.URL != "https://example.test/webhooks/zavu" || !wh.Active || wh.Secret != "" {
		t.Errorf("webhook settings %+v", wh)
	}
	counter.mu.Lock()
	defer counter.mu.Unlock()
	if counter.paths["/v1/templates"] != 3 || counter.paths["/v1/senders"] != 3 {
		t.Errorf("pages fetched: %v", counter.paths)
	}
	for _, l := range counter.limit {
		if l != "100" {
			t.Errorf("asked for limit %q", l)
		}
	}
}

func TestListsStopOnARepeatedCursor(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > 10 {
			t.Error("still paging after 10 requests")
			writeError(w, 500, "loop", "loop", nil)
			return
		}
		cursor := "c1"
		if r.URL.Query().Get("cursor") == "c1" {
			cursor = "c2"
		} else if r.URL.Query().Get("cursor") == "c2" {
			cursor = "c1" // back to a cursor already followed
		}
		writeJSON(w, 200, map[string]any{"items": []Template{{ID: "tmpl_" + cursor}}, "nextCursor": cursor})
	}))
	defer srv.Close()
	got, err := NewClient(srv.URL, testKey).Templates(context.Background())
	if err == nil || !strings.Contains(err.Error(), "repeated cursor") {
		t.Fatalf("err = %v", err)
	}
	if len(got) != 3 || calls.Load() != 3 {
		t.Errorf("got %d items in %d calls", len(got), calls.Load())
	}
}

// collector gathers played webhooks.
type collector struct {
	ch chan []byte
}

func newCollector() *collector { return &collector{ch: make(chan []byte, 64)} }

func (c *collector) hook(body []byte) error {
	c.ch <- append([]byte(nil), body...)
	return nil
}

// take waits (boundedly) for n events.
func (c *collector) take(t *testing.T, n int) []*inbox.Event {
	t.Helper()
	var out []*inbox.Event
	deadline := time.After(5 * time.Second)
	for len(out) < n {
		select {
		case b := <-c.ch:
			ev, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode(%s): %v", b, err)
			}
			if ev.DecodeErr != nil {
				t.Fatalf("Decode(%s): payload: %v", b, ev.DecodeErr)
			}
			out = append(out, ev)
		case <-deadline:
			t.Fatalf("got %d of %d webhooks", len(out), n)
		}
	}
	return out
}

func (c *collector) none(t *testing.T) {
	t.Helper()
	select {
	case b := <-c.ch:
		t.Errorf("an extra webhook: %s", b)
	case <-time.After(20 * time.Millisecond):
	}
}

func checkStory(t *testing.T, evs []*inbox.Event, m Message, want ...inbox.EventType) {
	t.Helper()
	if len(evs) != len(want) {
		t.Fatalf("got %d events, want %d", len(evs), len(want))
	}
	seen := map[string]bool{}
	for i, ev := range evs {
		if ev.Type != want[i] {
			t.Errorf("event %d is %s, want %s", i, ev.Type, want[i])
		}
		if ev.Status == nil || ev.Status.MessageID != m.ID || ev.Status.To != m.To || string(ev.Status.Channel) != m.Channel ||
			ev.Status.Status != inbox.Status(strings.TrimPrefix(string(want[i]), "message.")) {
			t.Errorf("event %d: %+v", i, ev.Status)
		}
		if ev.SenderID != m.SenderID || ev.ProjectID == "" || ev.Timestamp.IsZero() || seen[ev.ID] || !strings.HasPrefix(ev.ID, "evt_") {
			t.Errorf("event %d envelope: id %s sender %s project %s at %s", i, ev.ID, ev.SenderID, ev.ProjectID, ev.Timestamp)
		}
		seen[ev.ID] = true
	}
}

func TestStatusPlayback(t *testing.T) {
	col := newCollector()
	fake, c, _ := newTestAPI(t, FakeOptions{Webhook: col.hook, StatusDelay: -1})
	ctx := context.Background()

	wa, err := c.Send(ctx, SendRequest{To: "+14155551234", Channel: "whatsapp", Text: "Hello!", IdempotencyKey: "wa"})
	if err != nil {
		t.Fatal(err)
	}
	checkStory(t, col.take(t, 4), wa, inbox.EventMessageQueued, inbox.EventMessageSent,
		inbox.EventMessageDelivered, inbox.EventMessageRead)
	col.none(t)
	if m, _ := fake.Message(wa.ID); m.Status != "read" {
		t.Errorf("the fake says %s after playback", m.Status)
	}

	sms, err := c.Send(ctx, textTo("+14155550000", "sms"))
	if err != nil {
		t.Fatal(err)
	}
	checkStory(t, col.take(t, 3), sms, inbox.EventMessageQueued, inbox.EventMessageSent, inbox.EventMessageDelivered)
	col.none(t) // no read receipts on SMS

	// A resend with the same key plays nothing again.
	if _, err := c.Send(ctx, textTo("+14155550000", "sms")); err != nil {
		t.Fatal(err)
	}
	col.none(t)
}

func TestStatusPlaybackFailures(t *testing.T) {
	col := newCollector()
	_, c, _ := newTestAPI(t, FakeOptions{Webhook: col.hook, StatusDelay: -1, FailureRate: 1})
	ctx := context.Background()

	wa, err := c.Send(ctx, SendRequest{To: "+14155551234", Channel: "whatsapp", Text: "Hello!", IdempotencyKey: "wa"})
	if err != nil {
		t.Fatal(err)
	}
	evs := col.take(t, 2)
	checkStory(t, evs, wa, inbox.EventMessageQueued, inbox.EventMessageFailed)
	if st := evs[1].Status; st.ErrorCode != "131047" || st.ErrorMessage == "" {
		t.Errorf("whatsapp failure %+v", st)
	}
	col.none(t)

	sms, err := c.Send(ctx, textTo("+14155550000", "sms"))
	if err != nil {
		t.Fatal(err)
	}
	evs = col.take(t, 3)
	checkStory(t, evs, sms, inbox.EventMessageQueued, inbox.EventMessageSent, inbox.EventMessageFailed)
	if st := evs[2].Status; !strings.HasPrefix(st.ErrorCode, "3000") || st.ErrorMessage == "" ||
		strings.HasPrefix(inbox.ExplainFailure(st.ErrorCode, ""), "Zavu could not") {
		t.Errorf("sms failure %+v", st)
	}
	if got, _ := c.GetMessage(ctx, sms.ID); got.Status != "failed" || got.ErrorCode != evs[2].Status.ErrorCode {
		t.Errorf("the message reads %+v", got)
	}
}

func TestStatusPlaybackFailureRate(t *testing.T) {
	col := newCollector()
	_, c, _ := newTestAPI(t, FakeOptions{Webhook: col.hook, StatusDelay: -1, FailureRate: 0.5, Seed: 7})
	failed := 0
	for i := range 20 {
		m, err := c.Send(context.Background(), textTo("+14155550000", fmt.Sprint("k", i)))
		if err != nil {
			t.Fatal(err)
		}
		evs := col.take(t, 2)
		if evs[1].Status.MessageID != m.ID {
			t.Fatalf("events for %s, sent %s", evs[1].Status.MessageID, m.ID)
		}
		last := col.take(t, 1)[0]
		if last.Type == inbox.EventMessageFailed {
			failed++
		}
	}
	if failed == 0 || failed == 20 {
		t.Errorf("%d of 20 failed at a rate of 0.5", failed)
	}
}

// TestSignedPlayback posts the webhooks over HTTP, signed, as the sandbox
// does against Switchboard's own endpoint.
func TestSignedPlayback(t *testing.T) {
	const secret = "whsec_sandbox_test"
	col := newCollector()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := (Verifier{}).Verify(r.Header.Get("X-Zavu-Signature"), body, []string{secret}); err != nil {
			t.Errorf("signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		col.hook(body)
	}))
	defer hook.Close()
	_, c, _ := newTestAPI(t, FakeOptions{WebhookURL: hook.URL + "/webhooks/zavu", WebhookSecret: secret, StatusDelay: time.Millisecond})
	m, err := c.Send(context.Background(), SendRequest{To: "+14155551234", Channel: "whatsapp", Text: "Hi", IdempotencyKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	checkStory(t, col.take(t, 4), m, inbox.EventMessageQueued, inbox.EventMessageSent,
		inbox.EventMessageDelivered, inbox.EventMessageRead)
}

func TestWebhookRetriedAfterAFailure(t *testing.T) {
	col := newCollector()
	var calls atomic.Int32
	flaky := func(body []byte) error {
		if calls.Add(1) == 1 {
			return errors.New("database is locked")
		}
		return col.hook(body)
	}
	_, c, _ := newTestAPI(t, FakeOptions{Webhook: flaky, StatusDelay: -1})
	m, err := c.Send(context.Background(), textTo("+14155550000", "k"))
	if err != nil {
		t.Fatal(err)
	}
	checkStory(t, col.take(t, 3), m, inbox.EventMessageQueued, inbox.EventMessageSent, inbox.EventMessageDelivered)
}

func TestCloseStopsPlayback(t *testing.T) {
	col := newCollector()
	fake, c, _ := newTestAPI(t, FakeOptions{Webhook: col.hook, StatusDelay: time.Hour})
	if _, err := c.Send(context.Background(), textTo("+14155550000", "k")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { fake.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	col.none(t)
}

func TestCloseEndsAHang(t *testing.T) {
	fake, c, _ := newTestAPI(t, FakeOptions{})
	fake.FailNext(1, Failure{Delay: time.Hour})
	errc := make(chan error, 1)
	go func() {
		_, err := c.Send(context.Background(), textTo("+14155550000", "k"))
		errc <- err
	}()
	fake.Close() // before or during the request: either way it ends
	select {
	case err := <-errc:
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 503 || !IsTemporary(err) {
			t.Errorf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the hung request did not end")
	}
}

func TestPureDelayThenAnswer(t *testing.T) {
	fake, c, _ := newTestAPI(t, FakeOptions{})
	fake.FailNext(1, Failure{Delay: 10 * time.Millisecond})
	if _, err := c.Send(context.Background(), textTo("+14155550000", "k")); err != nil {
		t.Fatal(err)
	}
}

func TestFailuresOnOtherPaths(t *testing.T) {
	fake, c, _ := newTestAPI(t, FakeOptions{})
	ctx := context.Background()
	fake.FailNext(1, Failure{Status: 500})
	// A send-only failure lets a list through...
	if _, err := c.Templates(ctx); err != nil {
		t.Fatal(err)
	}
	// ...and hits the next send.
	if _, err := c.Send(ctx, textTo("+14155550000", "k")); !IsTemporary(err) {
		t.Fatalf("err = %v", err)
	}
	fake.FailNext(1, Failure{Status: 429, RetryAfter: 2 * time.Second, AnyPath: true})
	_, err := c.Senders(ctx)
	if RetryAfter(err) != 2*time.Second {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.Senders(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestInboundMediaReactionsTyping(t *testing.T) {
	fake, c, srv := newTestAPI(t, FakeOptions{})
	ctx := context.Background()
	in := fake.AddInbound(Message{From: "+14155551234", MessageType: "image", Text: "This is how it arrived",
		Content: &Content{MediaID: "1234567890", MimeType: "image/jpeg"}})
	got, err := c.GetMessage(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Direction != "inbound" || got.Status != "received" || got.Content == nil ||
		got.Content.MediaURL != srv.URL+"/media/"+in.ID || got.Content.MimeType != "image/jpeg" {
		t.Fatalf("got %+v %+v", got, got.Content)
	}
	resp, err := srv.Client().Get(got.Content.MediaURL)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") || len(img) < 8 || string(img[1:4]) != "PNG" {
		t.Errorf("media: %s %s %d bytes", resp.Status, resp.Header.Get("Content-Type"), len(img))
	}

	if err := c.React(ctx, in.ID, "👍"); err != nil {
		t.Fatal(err)
	}
	if fake.Reaction(in.ID) != "👍" {
		t.Errorf("reaction %q", fake.Reaction(in.ID))
	}
	if err := c.Typing(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if fake.TypingCount(in.ID) != 1 {
		t.Errorf("typing %d", fake.TypingCount(in.ID))
	}
	if err := c.React(ctx, "msg_unknown", "👍"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("react to unknown: %v", err)
	}
	sms := fake.AddInbound(Message{From: "+14155551234", Channel: "sms", Text: "STOP"})
	if err := c.React(ctx, sms.ID, "👍"); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("react on sms: %v", err)
	}
	if err := c.Typing(ctx, sms.ID); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("typing on sms: %v", err)
	}
}

func TestInMemoryTransport(t *testing.T) {
	fake := NewFake(FakeOptions{APIKey: testKey, Seed: 3})
	defer fake.Close()
	c := NewClient("http://zavu.sandbox", testKey, WithHTTPClient(&http.Client{Transport: fake.Transport()}),
		WithTimeout(200*time.Millisecond))
	ctx := context.Background()
	m, err := c.Send(ctx, textTo("+14155550000", "k"))
	if err != nil || fake.SendsFor("k") != 1 {
		t.Fatalf("%+v %v", m, err)
	}
	fake.FailNext(1, Failure{Drop: true})
	var ne *NetworkError
	if _, err := c.Send(ctx, textTo("+14155550000", "k2")); !errors.As(err, &ne) {
		t.Errorf("drop: %v", err)
	}
	fake.FailNext(1, Failure{Delay: time.Minute})
	if _, err := c.Send(ctx, textTo("+14155550000", "k3")); !errors.As(err, &ne) || !ne.Timeout {
		t.Errorf("hang: %v", err)
	}
	fake.FailNext(1, Failure{Status: 400, Code: "whatsapp_window_closed", Message: "closed"})
	if _, err := c.Send(ctx, textTo("+14155550000", "k4")); !errors.Is(err, inbox.ErrWindowClosed) {
		t.Errorf("window: %v", err)
	}
	if _, err := NewClient("http://zavu.sandbox", "zv_test_wrong",
		WithHTTPClient(&http.Client{Transport: fake.Transport()})).Senders(ctx); !errors.Is(err, inbox.ErrUnauthorized) {
		t.Errorf("bad key: %v", err)
	}
}

func TestCallerCancellation(t *testing.T) {
	fake, c, _ := newTestAPI(t, FakeOptions{})
	fake.FailNext(1, Failure{Delay: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := c.Send(ctx, textTo("+14155550000", "k"))
	var ne *NetworkError
	if !errors.As(err, &ne) || ne.Timeout || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestMessenger(t *testing.T) {
	fake, c, _ := newTestAPI(t, FakeOptions{})
	ms := Messenger{Client: c}
	ctx := context.Background()
	out := inbox.OutgoingMessage{IdempotencyKey: "out-1", SenderID: "snd_sandbox", To: "+14155551234",
		Channel: inbox.WhatsApp, Type: inbox.TypeTemplate,
		Content: &inbox.Content{TemplateID: "tmpl_1", TemplateVariables: map[string]string{"1": "Ana"}}}
	res, err := ms.Send(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if sent := fake.Sent(); res.Status != inbox.StatusQueued || len(sent) != 1 || sent[0].ID != res.ZavuID ||
		sent[0].Content.TemplateVariables["1"] != "Ana" || sent[0].MessageType != "template" {
		t.Errorf("%+v %+v", res, sent)
	}

	for _, tc := range []struct {
		fail      Failure
		temporary bool
		code      string
		window    bool
		limited   bool   // the account is rate-limited
		waiting   string // what the reply says while it waits for its retry
	}{
		{Failure{Status: 400, Code: "whatsapp_window_closed", Message: "closed"}, false, "whatsapp_window_closed", true, false, ""},
		{Failure{Status: 429, RetryAfter: 3 * time.Second}, true, "rate_limit_exceeded", false, true, "Zavu asked Switchboard to send more slowly (429)"},
		{Failure{Status: 503, RetryAfter: 3 * time.Second}, true, "internal_error", false, false, "Zavu is unavailable (503)"},
		{Failure{Status: 500, Code: "internal_error", Message: "panic: nil map"}, true, "internal_error", false, false, "Zavu had an error on its side (500)"},
		{Failure{Status: 402, Body: "Payment Required", Header: http.Header{"Content-Type": {"text/plain"}}}, false, "insufficient_balance", false, false, ""},
		{Failure{Drop: true}, true, "", false, false, "Zavu could not be reached"},
	} {
		fake.FailNext(1, tc.fail)
		out.IdempotencyKey = fmt.Sprint("out-", tc.code, tc.fail.Drop, tc.fail.Status)
		_, err := ms.Send(ctx, out)
		var se *inbox.SendError
		if !errors.As(err, &se) || se.Temporary != tc.temporary || se.Code != tc.code ||
			errors.Is(err, inbox.ErrWindowClosed) != tc.window || se.RetryAfter != tc.fail.RetryAfter || se.RateLimited != tc.limited {
			t.Errorf("%+v: %#v", tc.fail, err)
		}
		if se != nil && tc.temporary && se.Waiting() != tc.waiting {
			t.Errorf("%+v: waiting says %q, want %q", tc.fail, se.Waiting(), tc.waiting)
		}
	}
	// No answer within the client's time.
	if se := sendError(&NetworkError{Op: "POST /v1/messages", Timeout: true, Err: context.DeadlineExceeded}).(*inbox.SendError); !se.Temporary || se.Waiting() != "Zavu did not answer in time" {
		t.Errorf("a timeout: %+v says %q", se, se.Waiting())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"120":                           2 * time.Minute,
		" 3 ":                           3 * time.Second,
		"1.5":                           1500 * time.Millisecond,
		"0":                             0,
		"-5":                            0,
		"soon":                          0,
		"NaN":                           0,
		"99999999":                      time.Hour,
		"Sun, 01 Mar 2026 12:00:30 GMT": 30 * time.Second,
		"Sun, 01 Mar 2026 11:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	fake, c, _ := newTestAPI(t, FakeOptions{})
	at := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	fake.FailNext(1, Failure{Status: 503, Header: http.Header{"Retry-After": {at}}})
	_, err := c.Send(context.Background(), textTo("+14155550000", "k"))
	if d := RetryAfter(err); d < 80*time.Second || d > 91*time.Second || !IsTemporary(err) {
		t.Errorf("RetryAfter = %s (%v)", d, err)
	}
}

func TestClientSendsHeadersAndNoExtraFields(t *testing.T) {
	var got struct {
		header http.Header
		body   map[string]any
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.header = r.Header.Clone()
		json.NewDecoder(r.Body).Decode(&got.body)
		io.WriteString(w, `{"message":{"id":"msg_1","status":"queued","errorCode":30003,"conversationId":null,"createdAt":1705312200000}}`)
	}))
	defer srv.Close()
	m, err := NewClient(srv.URL, testKey).Send(context.Background(), SendRequest{SenderID: "snd_2", To: "+1", Text: "hi",
		Channel: "sms", IdempotencyKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if got.header.Get("Authorization") != "Bearer "+testKey || got.header.Get("Zavu-Sender") != "snd_2" ||
		got.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", got.header)
	}
	if _, ok := got.body["senderId"]; ok || got.body["idempotencyKey"] != "k" || got.body["content"] != nil {
		t.Errorf("body %v", got.body)
	}
	if m.ErrorCode != "30003" || m.ConversationID != "" || !m.CreatedAt.Equal(time.UnixMilli(1705312200000)) {
		t.Errorf("message %+v", m)
	}
}

func TestOversizedAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"message":{"id":"msg_1","text":"`+strings.Repeat("x", 2<<20)+`"}}`)
	}))
	defer srv.Close()
	_, err := NewClient(srv.URL, testKey).GetMessage(context.Background(), "msg_1")
	var ne *NetworkError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("err = %v", err)
	}
}

func TestTemplateComponents(t *testing.T) {
	var tm Template
	err := json.Unmarshal([]byte(`{"id":"t","name":"n","components":[{"type":"HEADER","text":"x"},
		{"type":"BODY","text":"Hi {{1}}, code {{ 3 }}"}],"rejectionReason":null,"createdAt":"2024-01-15T10:30:00.000Z"}`), &tm)
	if err != nil {
		t.Fatal(err)
	}
	if tm.Body != "Hi {{1}}, code {{ 3 }}" || tm.VariableCount() != 3 || tm.CreatedAt.Year() != 2024 {
		t.Errorf("%+v", tm)
	}
}
