package web_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/inbox"
	"switchboard/web"
)

// nextNotify returns the page's next notify part, reading live messages
// until one comes; one message may bring several.
func nextNotify(t *testing.T, conn *websocket.Conn) string {
	t.Helper()
	unread.Lock()
	defer unread.Unlock()
	if unread.parts == nil {
		unread.parts = map[*websocket.Conn][]string{}
	}
	if len(unread.parts[conn]) == 0 {
		msg := nextMatching(t, conn, `data-live="notify"`, func(msg string) string { return strings.Join(notices.FindAllString(msg, -1), "") })
		unread.parts[conn] = notices.FindAllString(msg, -1)
	}
	n := unread.parts[conn][0]
	unread.parts[conn] = unread.parts[conn][1:]
	return n
}

// unread keeps the notify parts a page got but the test has not looked at.
var unread struct {
	sync.Mutex
	parts map[*websocket.Conn][]string
}

func TestNotificationSettingsPageSavesPerAgent(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ben := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	a := ts.newAgent()
	a.login(ben.Email)

	if a.get("/inbox").find("nav-notifications").AttrOr("href", "") != "/settings/notifications" {
		t.Error("the inbox does not link to the notification settings")
	}
	p := a.get("/settings/notifications")
	if p.status != http.StatusOK {
		t.Fatalf("settings page: %d", p.status)
	}
	for box, on := range map[string]bool{"new_conversation": true, "message": true, "assigned": true, "mentioned": true, "sound": false, "desktop": true, "push": true} {
		if _, checked := p.find("notify-" + box).Attr("checked"); checked != on {
			t.Errorf("%s ticked = %v by default, want %v", box, checked, on)
		}
	}
	if k := p.find("push-on").AttrOr("data-push-key", ""); decodedLen(k) != 65 {
		t.Errorf("the page offers push key %q, not a P-256 public key", k)
	}

	form := url.Values{"sound": {"on"}, "assigned": {"on"}, "mentioned": {"on"}}
	// Without the page's token the form is refused and nothing changes.
	if p := a.do(http.MethodPost, "/settings/notifications", form, nil); p.status != http.StatusForbidden {
		t.Errorf("save without CSRF: %d, want 403", p.status)
	}
	if got, _ := ts.db.NotificationSettings(context.Background(), ben.ID); got != inbox.DefaultNotificationSettings() {
		t.Fatalf("a refused form changed the settings: %+v", got)
	}
	form.Set("csrf", a.csrf)
	p = a.do(http.MethodPost, "/settings/notifications", form, nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/settings/notifications?saved=1" {
		t.Fatalf("save: %d to %q", p.status, p.header.Get("Location"))
	}
	want := inbox.NotificationSettings{Sound: true, Assigned: true, Mentioned: true}
	if got, _ := ts.db.NotificationSettings(context.Background(), ben.ID); got != want {
		t.Errorf("saved %+v, want %+v", got, want)
	}
	p = a.get("/settings/notifications?saved=1")
	if p.find("saved").Length() != 1 {
		t.Error("the page does not say it saved")
	}
	for box, on := range map[string]bool{"new_conversation": false, "message": false, "sound": true, "desktop": false} {
		if _, checked := p.find("notify-" + box).Attr("checked"); checked != on {
			t.Errorf("after saving, %s ticked = %v, want %v", box, checked, on)
		}
	}
	if got, _ := ts.db.NotificationSettings(context.Background(), ana.ID); got != inbox.DefaultNotificationSettings() {
		t.Errorf("Ben's save changed Ana's settings: %+v", got)
	}

	// The service worker is served from the root, so its scope is every
	// page, and is not cached for long.
	resp, err := http.Get(ts.srv.URL + "/sw.js")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") ||
		!bytes.Contains(b, []byte(`addEventListener("push"`)) || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("/sw.js: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
}

func decodedLen(s string) int {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return -1
	}
	return len(b)
}

func TestNotifyTellsEachAgentWhatConcernsThem(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ben := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	a, b := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	b.login(ben.Email)
	ca, cb := a.live(), b.live()
	waitClients(t, ts, 2)

	// A customer starts a conversation: both hear of it.
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe 01", "Where is my order?", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	for _, c := range []*websocket.Conn{ca, cb} {
		n := nextNotify(t, c)
		if !strings.Contains(n, `data-kind="new_conversation"`) || !strings.Contains(n, fmt.Sprintf(`data-conversation="%d"`, conv)) ||
			!strings.Contains(n, "Where is my order?") || !strings.Contains(n, `data-sound="0"`) || !strings.Contains(n, `data-desktop="1"`) {
			t.Errorf("new conversation notice: %s", n)
		}
	}

	// Ana assigns it to Ben: Ben hears who did it; Ana is not told of her
	// own action.
	if p := a.post(fmt.Sprintf("/conversations/%d/assign", conv), url.Values{"assignee": {fmt.Sprint(ben.ID)}}); p.status != http.StatusNoContent {
		t.Fatalf("assign: %d", p.status)
	}
	if n := nextNotify(t, cb); !strings.Contains(n, `data-kind="assigned"`) || !strings.Contains(n, "Ana Admin assigned you") {
		t.Errorf("assignment notice: %s", n)
	}

	// The customer writes again: only the assignee hears of it. The next
	// notice Ana gets is for the new conversation after it.
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550101", "Zoe 01", "Hello? <b>anyone</b>", time.Now()))
	n := nextNotify(t, cb)
	if !strings.Contains(n, `data-kind="message"`) || !strings.Contains(n, "Hello? &lt;b&gt;anyone&lt;/b&gt;") {
		t.Errorf("message notice (escaped): %s", n)
	}
	ts.mustPost(inboundFrom("evt_3", "msg_3", "+14155550102", "Zoe 02", "Second customer", time.Now()))
	if n := nextNotify(t, ca); !strings.Contains(n, "Second customer") {
		t.Errorf("Ana heard of a message in Ben's conversation: %s", n)
	}
	if n := nextNotify(t, cb); !strings.Contains(n, "Second customer") {
		t.Errorf("Ben's next notice: %s", n)
	}

	// Ben keeps only assignments and mentions, with sound. A status or a
	// repeat of an old message is no news either.
	b.get("/settings/notifications")
	b.do(http.MethodPost, "/settings/notifications", url.Values{"csrf": {b.csrf}, "assigned": {"on"}, "mentioned": {"on"}, "sound": {"on"}}, nil)
	ts.mustPost(inboundFrom("evt_4", "msg_4", "+14155550101", "Zoe 01", "Still there?", time.Now()))
	ts.mustPost(inboundFrom("evt_5", "msg_5", "+14155550103", "Zoe 03", "Third customer", time.Now()))
	ts.mustPost(inboundFrom("evt_6", "msg_6", "+14155550104", "Zoe 04", "From yesterday", time.Now().Add(-26*time.Hour)))
	if p := a.post(fmt.Sprintf("/conversations/%d/notes", conv), url.Values{"text": {"@Ben Agent can you check the refund?"}}); p.status != http.StatusOK {
		t.Fatalf("note: %d", p.status)
	}
	n = nextNotify(t, cb)
	if !strings.Contains(n, `data-kind="mentioned"`) || !strings.Contains(n, "Ana Admin mentioned you") ||
		!strings.Contains(n, "can you check the refund?") || !strings.Contains(n, `data-sound="1"`) {
		t.Errorf("after turning messages and new conversations off, Ben's next notice is: %s", n)
	}
	// Clicking it opens the conversation at the note, as the Mentions
	// view's link does, not at its latest message.
	if m := regexp.MustCompile(`data-url="/conversations/(\d+)#m-(\d+)"`).FindStringSubmatch(n); m == nil || m[1] != itoa(conv) {
		t.Errorf("the mention's notice opens %q, want the note in conversation %d", regexp.MustCompile(`data-url="[^"]*"`).FindString(n), conv)
	} else {
		id, _ := strconv.ParseInt(m[2], 10, 64)
		if note, err := ts.db.Message(context.Background(), id); err != nil || note.Type != inbox.TypeNote || !strings.Contains(note.Text, "check the refund") {
			t.Errorf("the mention's notice opens message %d, not the note: %+v %v", id, note, err)
		}
	}
	if n := nextNotify(t, ca); !strings.Contains(n, "Third customer") {
		t.Errorf("Ana's next notice: %s", n)
	}
	// Mentioning oneself tells no one; Ana's next is a new conversation.
	if p := a.post(fmt.Sprintf("/conversations/%d/notes", conv), url.Values{"text": {"@Ana Admin note to self"}}); p.status != http.StatusOK {
		t.Fatalf("note: %d", p.status)
	}
	ts.mustPost(inboundFrom("evt_7", "msg_7", "+14155550105", "Zoe 05", "Fourth customer", time.Now()))
	if n := nextNotify(t, ca); !strings.Contains(n, "Fourth customer") {
		t.Errorf("Ana's next notice: %s", n)
	}
}

// fakePushService is a push service on loopback: it checks each request
// as a real one does (the VAPID JWT and its key, the encoding headers)
// and decrypts the message with the browser's keys.
type fakePushService struct {
	srv    *httptest.Server
	ua     *ecdh.PrivateKey // the browser's key pair
	auth   []byte           // the browser's authentication secret
	answer atomic.Int32     // the status to answer with
	got    chan pushed
}

type pushed struct {
	path    string
	payload map[string]any
	vapidK  string
	err     error
}

func newFakePushService(t *testing.T) *fakePushService {
	ua, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePushService{ua: ua, auth: make([]byte, 16), got: make(chan pushed, 16)}
	_, _ = rand.Read(f.auth)
	f.answer.Store(http.StatusCreated)
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p := pushed{path: r.URL.Path}
		p.vapidK, p.err = checkVAPID(r, "https://"+r.Host)
		if p.err == nil {
			p.err = checkPushHeaders(r)
		}
		if p.err == nil {
			var plain []byte
			plain, p.err = f.decrypt(body)
			if p.err == nil {
				p.err = json.Unmarshal(plain, &p.payload)
			}
		}
		if p.err != nil {
			http.Error(w, p.err.Error(), http.StatusBadRequest)
		} else {
			w.WriteHeader(int(f.answer.Load()))
		}
		f.got <- p
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// subscription is what the browser's PushSubscription.toJSON() gives.
func (f *fakePushService) subscription(path string) map[string]any {
	return map[string]any{
		"endpoint": f.srv.URL + path,
		"keys": map[string]string{
			"p256dh": base64.RawURLEncoding.EncodeToString(f.ua.PublicKey().Bytes()),
			"auth":   base64.RawURLEncoding.EncodeToString(f.auth),
		},
	}
}

func (f *fakePushService) next(t *testing.T) pushed {
	t.Helper()
	select {
	case p := <-f.got:
		return p
	case <-time.After(60 * time.Second): // a guard against a hang only
		t.Fatal("no push message came")
		return pushed{}
	}
}

// checkVAPID checks the Authorization header (RFC 8292): an ES256 JWT
// for the push service's origin, not expired, with a contact, signed by
// the key k it names. It returns k.
func checkVAPID(r *http.Request, origin string) (string, error) {
	h := r.Header.Get("Authorization")
	var jwt, k string
	for _, part := range strings.Split(strings.TrimPrefix(h, "vapid "), ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "t="); ok {
			jwt = v
		} else if v, ok := strings.CutPrefix(part, "k="); ok {
			k = v
		}
	}
	if !strings.HasPrefix(h, "vapid ") || jwt == "" || k == "" {
		return "", fmt.Errorf("authorization %q is not vapid t=..., k=...", h)
	}
	key, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil {
		return "", err
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), key)
	if err != nil {
		return "", fmt.Errorf("k: %w", err)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", errors.New("the JWT has not three parts")
	}
	var head struct{ Alg string }
	var claims struct {
		Aud string
		Exp int64
		Sub string
	}
	for i, v := range []any{&head, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return "", err
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return "", errors.New("the JWT's signature is not an ES256 one")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return "", errors.New("the JWT is not signed by k")
	}
	now := time.Now().Unix()
	switch {
	case head.Alg != "ES256":
		return "", fmt.Errorf("alg %q", head.Alg)
	case claims.Aud != origin:
		return "", fmt.Errorf("aud %q, want %q", claims.Aud, origin)
	case claims.Exp <= now || claims.Exp > now+24*3600:
		return "", fmt.Errorf("exp %d is not within 24 hours", claims.Exp)
	case !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "https:"):
		return "", fmt.Errorf("sub %q is no contact", claims.Sub)
	}
	return k, nil
}

func checkPushHeaders(r *http.Request) error {
	if r.Method != http.MethodPost || r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		return fmt.Errorf("%s with Content-Encoding %q and TTL %q", r.Method, r.Header.Get("Content-Encoding"), r.Header.Get("TTL"))
	}
	return nil
}

// decrypt opens an aes128gcm message (RFC 8188) encrypted for the browser
// (RFC 8291).
func (f *fakePushService) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body too short")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen || idlen != 65 {
		return nil, fmt.Errorf("key id of %d bytes", idlen)
	}
	asPub, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, err
	}
	record := body[21+idlen:]
	if uint32(len(record)) > rs {
		return nil, fmt.Errorf("record of %d bytes in records of %d", len(record), rs)
	}
	shared, err := f.ua.ECDH(asPub)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), f.ua.PublicKey().Bytes()...), asPub.Bytes()...)
	ikm, err := hkdf.Key(sha256.New, shared, f.auth, string(info), 32)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:len(plain)-1], nil
}

func TestWebPushReachesAClosedTabAndForgetsGoneBrowsers(t *testing.T) {
	push := newFakePushService(t)
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.PushClient = push.srv.Client() })
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ben := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	a, b := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	b.login(ben.Email)
	key := b.get("/settings/notifications").find("push-on").AttrOr("data-push-key", "")

	postJSONAs := func(who *agent, path string, v any, csrf string) int {
		body, _ := json.Marshal(v)
		req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		return who.send(req).status
	}
	postJSON := func(path string, v any, csrf string) int { return postJSONAs(b, path, v, csrf) }
	// Subscriptions that could never be sent to are refused.
	bad := push.subscription("/ben")
	bad["endpoint"] = strings.Replace(bad["endpoint"].(string), "https:", "http:", 1)
	if s := postJSON("/settings/notifications/push", bad, b.csrf); s != http.StatusBadRequest {
		t.Errorf("an http endpoint: %d, want 400", s)
	}
	bad = push.subscription("/ben")
	bad["keys"] = map[string]string{"p256dh": "short", "auth": "x"}
	if s := postJSON("/settings/notifications/push", bad, b.csrf); s != http.StatusBadRequest {
		t.Errorf("bad keys: %d, want 400", s)
	}
	if s := postJSON("/settings/notifications/push", push.subscription("/ben"), ""); s != http.StatusForbidden {
		t.Errorf("no CSRF token: %d, want 403", s)
	}
	if s := postJSON("/settings/notifications/push", push.subscription("/ben"), b.csrf); s != http.StatusNoContent {
		t.Fatalf("subscribe: %d", s)
	}
	if got := b.get("/settings/notifications").find("push-browsers").Text(); !strings.Contains(got, "on in 1 browser") {
		t.Errorf("the page says %q", got)
	}

	// Ben has no page open; Ana assigns him a conversation.
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe 01", "Where is my order?", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	if p := a.post(fmt.Sprintf("/conversations/%d/assign", conv), url.Values{"assignee": {fmt.Sprint(ben.ID)}}); p.status != http.StatusNoContent {
		t.Fatalf("assign: %d", p.status)
	}
	// The new conversation went to Ben's browser too (Ana's has none),
	// and the assignment: in either order, as the new conversation is
	// announced once the event is applied, which the assignment may
	// overtake.
	var got pushed
	var kinds []string
	for range 2 {
		p := push.next(t)
		kinds = append(kinds, fmt.Sprint(p.payload["kind"]))
		if p.err != nil {
			t.Fatalf("push service refused the message: %v", p.err)
		}
		if p.vapidK != key {
			t.Errorf("signed with key %q; the browser subscribed with %q", p.vapidK, key)
		}
		if p.path != "/ben" {
			t.Errorf("sent to %s", p.path)
		}
		if p.payload["kind"] == "assigned" || got.payload == nil {
			got = p
		}
	}
	if slices.Sort(kinds); !slices.Equal(kinds, []string{"assigned", "new_conversation"}) {
		t.Errorf("pushed %v, want a new conversation and an assignment", kinds)
	}
	if got.payload["kind"] != "assigned" || got.payload["url"] != fmt.Sprintf("/conversations/%d", conv) ||
		!strings.Contains(fmt.Sprint(got.payload["title"]), "Ana Admin assigned you") || got.payload["body"] != "Where is my order?" {
		t.Errorf("decrypted payload %v", got.payload)
	}

	// Ben turns push on in a second browser too, then signs out of the
	// first: only the second hears of the next message.
	b2 := ts.newAgent()
	b2.login(ben.Email)
	if s := postJSONAs(b2, "/settings/notifications/push", push.subscription("/ben2"), b2.csrf); s != http.StatusNoContent {
		t.Fatalf("subscribe the second browser: %d", s)
	}
	if p := b.post("/logout", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", p.status)
	}
	if got := b2.get("/settings/notifications").find("push-browsers").Text(); !strings.Contains(got, "on in 1 browser") {
		t.Errorf("after signing out of one browser the page says %q", got)
	}
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550101", "Zoe 01", "Hello?", time.Now()))
	if p := push.next(t); p.err != nil || p.payload["kind"] != "message" || p.path != "/ben2" {
		t.Fatalf("push after signing out of the first browser: %s %v %v", p.path, p.payload, p.err)
	}

	// The browser unsubscribed: the push service answers 410 and the
	// subscription is forgotten.
	push.answer.Store(http.StatusGone)
	ts.mustPost(inboundFrom("evt_3", "msg_3", "+14155550101", "Zoe 01", "Anyone?", time.Now()))
	if p := push.next(t); p.err != nil || p.path != "/ben2" {
		t.Fatalf("third push: %s %v", p.path, p.err)
	}
	deadline := time.Now().Add(30 * time.Second) // a guard against a hang only
	for {
		subs, err := ts.db.PushSubscriptions(context.Background(), ben.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a subscription the push service called gone is still kept")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
