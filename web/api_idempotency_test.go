package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/web"
)

// A script that sends a reply with an Idempotency-Key and sends it again
// (its first request timed out, say) gets the first reply back, and the
// customer gets one message: for a day, per API token. The same key with
// another request is refused, and a key without a header changes
// nothing.
func TestAPIReplyWithAnIdempotencyKeyIsSentOnce(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Second)
	clock := &testClock{t: base}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	ts.mustPost(smsFrom("evt_1", "msg_1", "+14155550101", "Where is my order?", base.Add(-time.Minute)))
	ts.mustPost(smsFrom("evt_2", "msg_2", "+14155550102", "Hello?", base.Add(-time.Minute)))
	conv := ts.mustMessage("msg_1").ConversationID
	other := ts.mustMessage("msg_2").ConversationID
	second, _ := ts.newToken("second script", inbox.ScopeWrite)

	type answer struct {
		status   int
		id       float64
		replayed string
		code     string
	}
	post := func(token string, conv int64, key, body string) answer {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/conversations/%d/messages", ts.srv.URL, conv), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := ts.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out struct {
			ID    float64 `json:"id"`
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("answer %d is not JSON: %s", resp.StatusCode, b)
		}
		return answer{resp.StatusCode, out.ID, resp.Header.Get("Idempotent-Replayed"), out.Error.Code}
	}
	outbound := func(conv int64) int {
		t.Helper()
		n := 0
		for _, m := range all[apiMessage](ts, fmt.Sprintf("/api/v1/conversations/%d/messages", conv), "cursor") {
			if m.Direction == "outbound" {
				n++
			}
		}
		return n
	}

	const body = `{"text":"Your order shipped."}`
	first := post(ts.token, conv, "order-42-shipped", body)
	if first.status != http.StatusAccepted || first.id == 0 || first.replayed != "" {
		t.Fatalf("first request: %+v, want 202 with the new reply", first)
	}
	clock.set(base.Add(time.Minute))
	again := post(ts.token, conv, "order-42-shipped", body)
	if again.status != http.StatusAccepted || again.id != first.id || again.replayed != "true" {
		t.Errorf("the same request again: %+v, want 202 with reply %v, replayed", again, first.id)
	}
	if n := outbound(conv); n != 1 {
		t.Errorf("%d replies in the conversation after the request came twice, want 1", n)
	}

	// The same key with another text, or for another conversation, is
	// refused and sends nothing.
	for _, c := range []struct {
		conv int64
		body string
	}{{conv, `{"text":"Your order is delayed."}`}, {other, body}} {
		if got := post(ts.token, c.conv, "order-42-shipped", c.body); got.status != http.StatusUnprocessableEntity || got.code != "idempotency_key_reused" {
			t.Errorf("the key with %s in conversation %d: %+v, want 422 idempotency_key_reused", c.body, c.conv, got)
		}
	}
	if a, b := outbound(conv), outbound(other); a != 1 || b != 0 {
		t.Errorf("refused requests sent replies: %d and %d", a, b)
	}

	// Another token's key is its own.
	if got := post(second, conv, "order-42-shipped", body); got.status != http.StatusAccepted || got.id == first.id || got.replayed != "" {
		t.Errorf("another token with the same key: %+v, want a new reply", got)
	}
	// Without the header, each request is a reply, as before.
	for range 2 {
		if got := post(ts.token, other, "", body); got.status != http.StatusAccepted {
			t.Errorf("no key: %+v", got)
		}
	}
	if a, b := outbound(conv), outbound(other); a != 2 || b != 2 {
		t.Errorf("replies %d and %d, want 2 and 2", a, b)
	}
	for _, bad := range []string{strings.Repeat("k", 256), "two words"} {
		if got := post(ts.token, conv, bad, body); got.status != http.StatusBadRequest || got.code != "invalid_idempotency_key" {
			t.Errorf("key %q: %+v, want 400 invalid_idempotency_key", bad, got)
		}
	}

	// A day later the key is forgotten: the request is a new reply.
	clock.set(base.Add(inbox.RequestKeyLife + time.Minute))
	if got := post(ts.token, conv, "order-42-shipped", `{"text":"Your order arrived."}`); got.status != http.StatusAccepted || got.id == first.id || got.replayed != "" {
		t.Errorf("the key a day later: %+v, want a new reply", got)
	}
	if n := outbound(conv); n != 3 {
		t.Errorf("%d replies, want 3", n)
	}
}
