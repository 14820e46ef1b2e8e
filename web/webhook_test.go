package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"switchboard/inbox/zavu"
)

func inboundText(id, msgID, text string, at time.Time) []byte {
	return event(id, "message.inbound", at, map[string]any{
		"messageId": msgID, "from": "+14155551234", "to": "+13125559876", "channel": "whatsapp",
		"messageType": "text", "text": text, "profileName": "John Doe",
	})
}

// stored reports what the store holds: events in the webhook log and
// conversations.
func (ts *testServer) stored() (events, conversations int) {
	ts.t.Helper()
	return len(all[apiEvent](ts, "/api/v1/events?state=all", "cursor")),
		len(all[apiConversation](ts, "/api/v1/conversations?status=all", "cursor"))
}

func TestWebhookRejectsBadInputAndStoresNothing(t *testing.T) {
	good := inboundText("evt_1", "msg_1", "Hi", time.Now())
	now := time.Now()
	tests := []struct {
		name      string
		body      []byte
		signature string
		edit      func(*http.Request)
		status    int
		code      string
	}{
		{"no signature", good, "", nil, 401, "invalid_signature"},
		{"malformed signature", good, "v2=zz,t=abc", nil, 401, "invalid_signature"},
		{"wrong secret", good, zavu.Sign("whsec_not_ours_at_all", now, good), nil, 401, "invalid_signature"},
		{"stale signature", good, zavu.Sign(testSecret, now.Add(-10*time.Minute), good), nil, 401, "invalid_signature"},
		{"future signature", good, zavu.Sign(testSecret, now.Add(5*time.Minute), good), nil, 401, "invalid_signature"},
		{"tampered body", bytes.Replace(good, []byte("Hi"), []byte("Hey"), 1), zavu.Sign(testSecret, now, good), nil, 401, "invalid_signature"},
		{"broken JSON", []byte(`{"id":"evt_2","type":`), "", nil, 400, "invalid_event"},
		{"not an object", []byte(`["evt_3"]`), "", nil, 400, "invalid_event"},
		{"missing id", []byte(`{"type":"message.inbound","data":{}}`), "", nil, 400, "invalid_event"},
		{"missing type", []byte(`{"id":"evt_4","data":{}}`), "", nil, 400, "invalid_event"},
		{"id not a string", []byte(`{"id":5,"type":"message.inbound"}`), "", nil, 400, "invalid_event"},
		{"too large", bytes.Repeat([]byte("x"), 512<<10+1), "", nil, 413, "too_large"},
		{"too large, no length given", bytes.Repeat([]byte("x"), 600<<10), "", func(r *http.Request) {
			r.ContentLength = -1
			r.Body = io.NopCloser(bytes.NewReader(bytes.Repeat([]byte("x"), 600<<10)))
		}, 413, "too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			sig := tt.signature
			if sig == "" && tt.status != 401 {
				sig = zavu.Sign(testSecret, time.Now(), tt.body)
			}
			status, out := ts.postWith(tt.body, sig, tt.edit)
			if status != tt.status {
				t.Fatalf("status = %d (%v), want %d", status, out, tt.status)
			}
			errBody, _ := out["error"].(map[string]any)
			if errBody["code"] != tt.code || errBody["message"] == "" {
				t.Errorf("error body = %v, want code %s and a message", out, tt.code)
			}
			if ev, conv := ts.stored(); ev != 0 || conv != 0 {
				t.Errorf("stored %d events and %d conversations, want nothing", ev, conv)
			}
		})
	}
}

func TestSignatureFailuresAreCounted(t *testing.T) {
	ts := newTestServer(t)
	body := inboundText("evt_1", "msg_1", "Hi", time.Now())
	ts.postWith(body, "", nil)
	ts.postWith(body, "t=1,v2=00", nil)
	total := int64(0)
	for _, n := range ts.web.SignatureFailures() {
		total += n
	}
	if total != 2 {
		t.Errorf("counted %d failures, want 2: %v", total, ts.web.SignatureFailures())
	}
}

// TestSignatureFailuresCountTheRealSource: a client cannot pass for
// another address with X-Forwarded-For or X-Real-IP, not even from a
// private network (a container bridge); by default only a reverse proxy on
// this machine says who its client is (SWITCHBOARD_TRUSTED_PROXIES adds
// others: see TestForwardedHeadersOnlyFromTrustedProxies).
func TestSignatureFailuresCountTheRealSource(t *testing.T) {
	ts := newTestServer(t)
	body := inboundText("evt_1", "msg_1", "Hi", time.Now())
	deliver := func(remote, header, value string) {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/zavu", bytes.NewReader(body))
		r.RemoteAddr = remote
		r.Header.Set(header, value)
		w := httptest.NewRecorder()
		ts.web.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("unsigned delivery: %d", w.Code)
		}
	}
	deliver("203.0.113.9:40000", "X-Forwarded-For", "198.51.100.1")
	deliver("203.0.113.9:40001", "X-Real-IP", "198.51.100.2")
	deliver("203.0.113.9:40002", "X-Forwarded-For", "198.51.100.3, 10.0.0.5")
	deliver("127.0.0.1:40003", "X-Forwarded-For", "198.51.100.4")
	deliver("10.0.0.2:40004", "X-Forwarded-For", "198.51.100.5, 198.51.100.6")
	deliver("10.0.0.2:40005", "X-Real-IP", "198.51.100.7")
	got := ts.web.SignatureFailures()
	want := map[string]int64{"203.0.113.9": 3, "198.51.100.4": 1, "10.0.0.2": 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("failures by source = %v, want %v", got, want)
	}
}

func TestDuplicateDeliveryIsAcknowledgedOnce(t *testing.T) {
	ts := newTestServer(t)
	body := inboundText("evt_dup", "msg_dup", "Is this thing on?", time.Now())
	status, first := ts.post(body)
	if status != 200 || first["duplicate"] == true {
		t.Fatalf("first delivery: %d %v", status, first)
	}
	status, second := ts.post(body)
	if status != 200 || second["duplicate"] != true {
		t.Fatalf("second delivery: %d %v, want 200 and duplicate", status, second)
	}
	var msgs apiPage[apiMessage]
	convs := all[apiConversation](ts, "/api/v1/conversations", "cursor")
	if len(convs) != 1 {
		t.Fatalf("conversations = %d", len(convs))
	}
	ts.mustGet("/api/v1/conversations/"+itoa(convs[0].ID)+"/messages", &msgs)
	if len(msgs.Items) != 1 || convs[0].UnreadCount != 1 {
		t.Errorf("messages = %d, unread = %d; want one of each", len(msgs.Items), convs[0].UnreadCount)
	}
}

func TestBrokenPayloadIsKeptWithItsError(t *testing.T) {
	ts := newTestServer(t)
	// Envelope fine, payload missing its message id: stored, not applied.
	ts.mustPost(event("evt_broken", "message.inbound", time.Now(), map[string]any{"from": "+14155551234", "channel": "sms", "text": "hi"}))
	ts.mustPost(event("evt_unknown", "contact.updated", time.Now(), map[string]any{"phone": "+14155551234"}))
	failed := all[apiEvent](ts, "/api/v1/events?state=failed", "cursor")
	if len(failed) != 2 {
		t.Fatalf("failed events = %d, want 2", len(failed))
	}
	byID := map[string]apiEvent{}
	for _, e := range failed {
		byID[e.ID] = e
	}
	if e := byID["evt_broken"]; !strings.Contains(str(e.Error), "messageId") || len(e.Payload) == 0 {
		t.Errorf("broken payload logged as %+v, want an error naming messageId and the payload", e)
	}
	if e := byID["evt_unknown"]; !strings.Contains(str(e.Error), "unknown event type") {
		t.Errorf("unknown type logged as %+v", e)
	}
	if _, conv := ts.stored(); conv != 0 {
		t.Errorf("a failed event left %d conversations behind", conv)
	}
}

// normalized is what an agent would see of the whole store, without our
// row ids, which depend on arrival order.
type normalized struct {
	Conversations map[string]apiConversation
	Messages      map[string]apiMessage
}

func (ts *testServer) normalized() normalized {
	ts.t.Helper()
	n := normalized{Conversations: map[string]apiConversation{}, Messages: map[string]apiMessage{}}
	for _, c := range all[apiConversation](ts, "/api/v1/conversations?status=all&limit=7", "cursor") {
		key := c.SenderID + "/" + c.Channel + "/" + c.Contact.Phone
		for _, m := range all[apiMessage](ts, "/api/v1/conversations/"+itoa(c.ID)+"/messages?limit=3", "before") {
			m.ID, m.ConversationID, m.UpdatedAt = 0, 0, time.Time{}
			sort.Slice(m.Reactions, func(i, j int) bool { return m.Reactions[i].From < m.Reactions[j].From })
			n.Messages[str(m.ZavuID)+" in "+key] = m
		}
		c.ID, c.Contact.ID = 0, 0
		n.Conversations[key] = c
	}
	return n
}

func TestShuffledAndDuplicatedStreamGivesTheSameState(t *testing.T) {
	sim := zavu.NewSimulator(7, "snd_abc123", "+13125559876", time.Now)
	var stream [][]byte
	for _, ev := range sim.Stream(300) {
		stream = append(stream, ev.Body)
	}
	ordered := newTestServer(t)
	for _, b := range stream {
		ordered.mustPost(b)
	}
	want := ordered.normalized()
	if len(want.Conversations) < 10 || len(want.Messages) < 30 {
		t.Fatalf("stream too small to mean anything: %d conversations, %d messages", len(want.Conversations), len(want.Messages))
	}

	rng := rand.New(rand.NewPCG(3, 4))
	shuffled := append([][]byte(nil), stream...)
	for _, b := range stream {
		if rng.IntN(4) == 0 {
			shuffled = append(shuffled, b) // delivered again
		}
	}
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	other := newTestServer(t)
	for _, b := range shuffled {
		other.mustPost(b)
	}
	got := other.normalized()
	for k, w := range want.Messages {
		if g, ok := got.Messages[k]; !ok || !reflect.DeepEqual(g, w) {
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			t.Errorf("message %s:\n got %s\nwant %s", k, gj, wj)
		}
	}
	for k, w := range want.Conversations {
		if g := got.Conversations[k]; !reflect.DeepEqual(g, w) {
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			t.Errorf("conversation %s:\n got %s\nwant %s", k, gj, wj)
		}
	}
	if len(got.Messages) != len(want.Messages) || len(got.Conversations) != len(want.Conversations) {
		t.Errorf("shuffled: %d conversations, %d messages; ordered: %d, %d",
			len(got.Conversations), len(got.Messages), len(want.Conversations), len(want.Messages))
	}
}

// A customer's message holding a U+0000 (from a phone's keyboard, a
// pasted text), with a profile name holding one, is shown, and a
// script's note, reply and contact name with one are taken: on
// PostgreSQL, whose text cannot hold the character, the message was
// stored but never applied (its event failed, the agents never saw it),
// and each of those API calls answered 500. PostgreSQL leaves the
// character out. A query parameter holding one is refused in words
// (TestAPIRefusesParametersThatAreNotText), never a 500.
func TestTextWithANulCharacterIsTaken(t *testing.T) {
	ts := newTestServer(t)
	ts.mustPost(event("evt_1", "message.inbound", time.Now().Add(-time.Minute), map[string]any{
		"messageId": "msg_1", "from": "+14155551234", "to": "+13125559876", "channel": "whatsapp",
		"messageType": "text", "text": "my order\x00 W-7781", "profileName": "Ana\x00 Lima",
	}))
	m := ts.mustMessage("msg_1")
	if got := strings.ReplaceAll(m.Text, "\x00", ""); got != "my order W-7781" || m.Status != "received" {
		t.Errorf("message %q, status %s: want the customer's text", m.Text, m.Status)
	}
	var conv apiConversation
	ts.mustGet("/api/v1/conversations/"+itoa(m.ConversationID), &conv)
	if got := strings.ReplaceAll(derefName(conv.Contact.Name), "\x00", ""); got != "Ana Lima" {
		t.Errorf("contact's name %q, want Ana Lima", got)
	}
	c := "/api/v1/conversations/" + itoa(m.ConversationID)
	for _, call := range []struct {
		method, path, body string
		want               int
	}{
		{http.MethodPost, c + "/notes", `{"text":"called\u0000 her"}`, http.StatusCreated},
		{http.MethodPost, c + "/messages", `{"text":"On its way\u0000"}`, http.StatusAccepted},
		{http.MethodPatch, "/api/v1/contacts/" + itoa(conv.Contact.ID), `{"name":"Ana\u0000 Lima","notes":"VIP\u0000"}`, http.StatusOK},
		{http.MethodGet, "/api/v1/search?q=7781%00", "", http.StatusBadRequest},
		{http.MethodGet, "/api/v1/contacts?q=Ana%00", "", http.StatusBadRequest},
		{http.MethodGet, "/api/v1/conversations?label=vip%00", "", http.StatusBadRequest},
	} {
		if status, out := ts.apiCall(ts.token, call.method, call.path, call.body); status != call.want {
			t.Errorf("%s %s %s: %d %+v, want %d", call.method, call.path, call.body, status, out, call.want)
		}
	}
	var page apiPage[apiMessage]
	ts.mustGet(c+"/messages", &page)
	var texts []string
	for _, m := range page.Items {
		texts = append(texts, strings.ReplaceAll(m.Text, "\x00", ""))
	}
	if !slices.Contains(texts, "called her") || !slices.Contains(texts, "On its way") {
		t.Errorf("the thread holds %q, want the note and the reply", texts)
	}
}

func derefName(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
