package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
	"switchboard/web"
)

const testSecret = "whsec_test_0123456789abcdef"

// testServer is Switchboard's real HTTP stack on a real SQLite file.
type testServer struct {
	t     *testing.T
	db    *store.DB
	srv   *httptest.Server
	web   *web.Server
	token string
	zavu  *zavu.Fake
	// filesDir keeps attachments, mediaDir the inbound media cache.
	filesDir, mediaDir string
}

// client is the server's own HTTP client: another test's server closing
// (tests run side by side under TestPostgres) closes the idle connections
// of Go's default transport, under a request about to use one. A server
// this process did not start (a browser test's) has none: the default.
func (ts *testServer) client() *http.Client {
	if c := ts.srv.Client(); c != nil {
		return c
	}
	return http.DefaultClient
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerWith(t, nil)
}

// newTestServerWith is newTestServer with edit applied to the server's
// configuration and collaborators before it is built.
func newTestServerWith(t *testing.T, edit func(*web.Config, *web.Deps)) *testServer {
	t.Helper()
	return newTestServerAt(t, testDSN(t), edit)
}

// newTestServerAt is newTestServerWith on the database dsn names, which
// another test server may share, as servers behind a balancer do.
func newTestServerAt(t *testing.T, dsn string, edit func(*web.Config, *web.Deps)) *testServer {
	t.Helper()
	db := openTestStore(t, dsn)
	base, _ := url.Parse("http://localhost")
	// A fake Zavu answers media lookups and reactions, in memory.
	fake := zavu.NewFake(zavu.FakeOptions{})
	t.Cleanup(func() { fake.Close() })
	fakeHTTP := &http.Client{Transport: fake.Transport()}
	messenger := zavu.Messenger{Client: zavu.NewClient("http://zavu.test", "zv_test_web", zavu.WithHTTPClient(fakeHTTP))}
	// Senders and templates sync from the fake; webhooks are checked with
	// the configured secrets and those set per sender.
	directory := &zavu.Directory{Client: messenger.Client, Store: db}
	mediaDir, filesDir := filepath.Join(t.TempDir(), "media"), filepath.Join(t.TempDir(), "files")
	cfg := web.Config{BaseURL: base, MediaDir: mediaDir, FilesDir: filesDir, FilesKey: []byte("0123456789abcdef0123456789abcdef")}
	deps := web.Deps{
		Store:       db,
		Sessions:    db.Sessions(),
		Webhooks:    zavu.Webhooks{Secrets: zavu.StaticSecrets("whsec_other_secret_xyz", testSecret), SenderSecrets: db.SenderWebhookSecrets},
		Directory:   directory,
		Media:       messenger,
		MediaClient: fakeHTTP,
		Reactor:     messenger,
		Receipts:    messenger,
		Upkeep:      &memUpkeep{},
	}
	if edit != nil {
		edit(&cfg, &deps)
	}
	w := web.New(cfg, deps)
	srv := httptest.NewServer(w)
	secret, hash, err := web.NewAPIToken()
	if err != nil {
		t.Fatal(err)
	}
	// A server that shares its database with another (newTestServerAt)
	// names its token apart: tokens in use never share a name.
	err = db.CreateAPIToken(context.Background(), &inbox.APIToken{Name: "test", Hash: hash, CreatedAt: time.Now()})
	if errors.Is(err, inbox.ErrNameTaken) {
		err = db.CreateAPIToken(context.Background(), &inbox.APIToken{Name: testTokenName(), Hash: hash, CreatedAt: time.Now()})
	}
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, db: db, srv: srv, web: w, token: secret, zavu: fake, filesDir: filesDir, mediaDir: mediaDir}
	t.Cleanup(func() {
		w.Close()
		srv.Close()
		db.Close()
	})
	return ts
}

// post delivers body signed with the test secret at now and returns the
// status and the decoded answer.
func (ts *testServer) post(body []byte) (int, map[string]any) {
	ts.t.Helper()
	return ts.postWith(body, zavu.Sign(testSecret, time.Now(), body), nil)
}

func (ts *testServer) postWith(body []byte, signature string, edit func(*http.Request)) (int, map[string]any) {
	ts.t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.srv.URL+"/webhooks/zavu", bytes.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Zavu-Signature", signature)
	}
	if edit != nil {
		edit(req)
	}
	resp, err := ts.client().Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			ts.t.Fatalf("answer is not JSON: %q", b)
		}
	}
	ts.settle()
	return resp.StatusCode, out
}

// settle waits until every stored webhook is applied: the answer to Zavu
// comes once an event is stored, the conversation a moment later.
func (ts *testServer) settle() {
	ts.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.db.Settle(ctx); err != nil {
		ts.t.Fatal(err)
	}
}

func (ts *testServer) mustPost(body []byte) {
	ts.t.Helper()
	if status, out := ts.post(body); status != http.StatusOK {
		ts.t.Fatalf("webhook: status %d %v for %s", status, out, body)
	}
}

// get calls the JSON API with the test token and decodes into out.
func (ts *testServer) get(path string, out any) int {
	ts.t.Helper()
	return ts.getAs(ts.token, path, out)
}

func (ts *testServer) getAs(token, path string, out any) int {
	ts.t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.srv.URL+path, nil)
	if err != nil {
		ts.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := ts.client().Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusNoContent && !bytes.HasPrefix([]byte(ct), []byte("application/json")) {
		ts.t.Fatalf("GET %s: content type %q", path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			ts.t.Fatalf("GET %s: %v in %q", path, err, b)
		}
	}
	return resp.StatusCode
}

func (ts *testServer) mustGet(path string, out any) {
	ts.t.Helper()
	if status := ts.get(path, out); status != http.StatusOK {
		ts.t.Fatalf("GET %s: status %d", path, status)
	}
}

// The API's shapes, as a script would decode them.
type apiContact struct {
	ID    int64   `json:"id"`
	Phone string  `json:"phone"`
	Name  *string `json:"name"`
}

type apiConversation struct {
	ID                 int64      `json:"id"`
	SenderID           string     `json:"senderId"`
	Channel            string     `json:"channel"`
	Contact            apiContact `json:"contact"`
	Status             string     `json:"status"`
	AssigneeID         *int64     `json:"assigneeId"`
	UnreadCount        int64      `json:"unreadCount"`
	LastMessageAt      *time.Time `json:"lastMessageAt"`
	LastMessagePreview string     `json:"lastMessagePreview"`
	WindowClosesAt     *time.Time `json:"windowClosesAt"`
}

type apiReaction struct {
	Emoji string `json:"emoji"`
	From  string `json:"from"`
}

type apiMessage struct {
	ID             int64          `json:"id"`
	ZavuID         *string        `json:"zavuId"`
	ConversationID int64          `json:"conversationId"`
	Direction      string         `json:"direction"`
	Channel        string         `json:"channel"`
	Type           string         `json:"type"`
	Text           string         `json:"text"`
	Content        map[string]any `json:"content"`
	Status         string         `json:"status"`
	ErrorCode      *string        `json:"errorCode"`
	ErrorMessage   *string        `json:"errorMessage"`
	Source         string         `json:"source"`
	AuthorID       *int64         `json:"authorId"`
	Reactions      []apiReaction  `json:"reactions"`
	CreatedAt      time.Time      `json:"createdAt"`
	UpdatedAt      time.Time      `json:"updatedAt"`
}

type apiEvent struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	State    string          `json:"state"`
	Error    *string         `json:"error"`
	Attempts int             `json:"attempts"`
	Payload  json.RawMessage `json:"payload"`
}

type apiPage[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

type apiErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// all follows nextCursor through every page of a list.
func all[T any](ts *testServer, path, cursorParam string) []T {
	ts.t.Helper()
	var items []T
	next := ""
	for range 1000 {
		p := path
		if next != "" {
			sep := "?"
			if bytes.ContainsRune([]byte(p), '?') {
				sep = "&"
			}
			p += sep + cursorParam + "=" + url.QueryEscape(next)
		}
		var page apiPage[T]
		ts.mustGet(p, &page)
		items = append(items, page.Items...)
		if page.NextCursor == nil {
			return items
		}
		next = *page.NextCursor
	}
	ts.t.Fatalf("%s: paging did not end", path)
	return nil
}

// event builds a signed-ready envelope.
func event(id, typ string, ts time.Time, data map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "type": typ, "timestamp": ts.UnixMilli(), "senderId": "snd_abc123", "projectId": "prj_xyz789", "data": data,
	})
	if err != nil {
		panic(err)
	}
	return b
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// setupCode is the code of the first-run setup's link, as the server
// writes it to its log.
func (ts *testServer) setupCode() string {
	ts.t.Helper()
	link, err := ts.web.SetupLink(context.Background())
	if err != nil || link == "" {
		ts.t.Fatalf("the setup link: %q, %v", link, err)
	}
	u, err := url.Parse(link)
	if err != nil {
		ts.t.Fatal(err)
	}
	return u.Query().Get("code")
}

// sendReply writes reply r and has Zavu send it at once: it reached the
// customer at r.At, which is when reports count it as a response.
func sendReply(t testing.TB, db *store.DB, r inbox.Reply) inbox.Message {
	t.Helper()
	m, _, err := db.QueueReply(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	sendWaiting(t, db, r.At)
	return m
}

// sendWaiting has Zavu send, at at, every reply waiting to go by then.
func sendWaiting(t testing.TB, db *store.DB, at time.Time) {
	t.Helper()
	es, err := db.ClaimOutbox(t.Context(), at, time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		res := inbox.SendResult{ZavuID: fmt.Sprintf("msg_sent_%d_%d", e.MessageID, at.UnixMilli()), Status: inbox.StatusSent}
		if _, err := db.OutboxSent(t.Context(), e.ID, res, at); err != nil {
			t.Fatal(err)
		}
	}
}

// testTokens counts the API tokens testTokenName named.
var testTokens atomic.Int64

// testTokenName names the API token of a Switchboard process that shares
// its database with another (pgProcess, newTestServerAt): tokens in use
// never share a name.
func testTokenName() string { return fmt.Sprintf("test %d", testTokens.Add(1)) }
