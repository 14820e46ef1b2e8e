package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
	"switchboard/web"
	"switchboard/web/browsertest"
)

// chromium finds the browser, or skips the test with how to install it
// (see browsertest.Chromium).
func chromium(t *testing.T) string {
	t.Helper()
	return browsertest.Chromium(t)
}

// liveServer is Switchboard on a real TCP port that can be stopped and
// started again on the same address, over the same database file.
type liveServer struct {
	t      *testing.T
	addr   string
	dbPath string
	db     *store.DB
	web    *web.Server
	http   *http.Server

	// With a fake Zavu, replies go out through the outbox and their
	// statuses come back as signed webhooks, as in sandbox mode.
	zavu       *zavu.Fake
	stopOutbox context.CancelFunc
	outboxDone chan struct{}

	// sandbox starts the server as in sandbox mode (no Zavu key): its
	// pages say so.
	sandbox bool
	// livePages is how many live pages one user may have (0: the default).
	livePages int

	// held is the answers being held back (holdAnswers), by path suffix.
	heldMu sync.Mutex
	held   map[string]chan struct{}

	// dials counts the pages' attempts to open a live websocket.
	dials atomic.Int64
}

// holdAnswers holds back the answers to requests whose path ends with
// suffix, as a loaded server or a slow network would: each request is
// handled (committed, its live update sent) but its answer leaves only
// once release is called.
func (ls *liveServer) holdAnswers(suffix string) (release func()) {
	ch := make(chan struct{})
	ls.heldMu.Lock()
	if ls.held == nil {
		ls.held = map[string]chan struct{}{}
	}
	ls.held[suffix] = ch
	ls.heldMu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(ch)
			ls.heldMu.Lock()
			delete(ls.held, suffix)
			ls.heldMu.Unlock()
		})
	}
	ls.t.Cleanup(release)
	return release
}

// ServeHTTP serves r with the server, holding its answer back if asked.
func (ls *liveServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws" && r.Header.Get("Upgrade") != "" {
		ls.dials.Add(1)
	}
	ls.heldMu.Lock()
	var hold chan struct{}
	for suffix, ch := range ls.held {
		if strings.HasSuffix(r.URL.Path, suffix) {
			hold = ch
		}
	}
	ls.heldMu.Unlock()
	if hold == nil {
		ls.web.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	ls.web.ServeHTTP(rec, r)
	<-hold
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// withZavu gives the server a fake Zavu and an outbox worker; call it
// before anything is sent.
func (ls *liveServer) withZavu() *zavu.Fake {
	ls.stop()
	ls.zavu = zavu.NewFake(zavu.FakeOptions{
		WebhookURL: ls.url() + "/webhooks/zavu", WebhookSecret: testSecret, StatusDelay: 150 * time.Millisecond,
	})
	ls.t.Cleanup(func() { ls.zavu.Close() })
	ls.start(nil)
	return ls.zavu
}

func startLiveServer(t *testing.T) *liveServer {
	ls := &liveServer{t: t, dbPath: filepath.Join(t.TempDir(), "switchboard.db")}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ls.addr = ln.Addr().String()
	ls.start(ln)
	t.Cleanup(ls.stop)
	return ls
}

func (ls *liveServer) url() string { return "http://" + ls.addr }

func (ls *liveServer) start(ln net.Listener) {
	t := ls.t
	if ln == nil {
		var err error
		for range 50 {
			if ln, err = net.Listen("tcp", ls.addr); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := store.Open(ls.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(ls.url())
	ls.db = db
	var outbox *inbox.Outbox
	deps := web.Deps{
		Store: db, Sessions: db.Sessions(),
		Webhooks: zavu.Webhooks{Secrets: zavu.StaticSecrets(testSecret), SenderSecrets: db.SenderWebhookSecrets},
	}
	if ls.zavu != nil {
		client := zavu.NewClient("http://zavu.test", "zv_test_browser",
			zavu.WithHTTPClient(&http.Client{Transport: ls.zavu.Transport()}))
		outbox = inbox.NewOutbox(db, zavu.Messenger{Client: client}, nil, nil)
		deps.Outbox = outbox
		deps.Directory = &zavu.Directory{Client: client, Store: db}
		deps.Reactor = zavu.Messenger{Client: client}
		// Photos and files customers send come from the fake too.
		deps.Media = zavu.Messenger{Client: client}
		deps.MediaClient = &http.Client{Transport: ls.zavu.Transport()}
	}
	ls.web = web.New(web.Config{BaseURL: base, Sandbox: ls.sandbox, LivePagesPerUser: ls.livePages, FilesDir: filepath.Join(filepath.Dir(ls.dbPath), "files"),
		MediaDir: filepath.Join(filepath.Dir(ls.dbPath), "media"),
		FilesKey: []byte("0123456789abcdef0123456789abcdef")}, deps)
	if outbox != nil {
		outbox.Publisher = ls.web.Hub()
		ctx, cancel := context.WithCancel(context.Background())
		ls.stopOutbox, ls.outboxDone = cancel, make(chan struct{})
		go func() { defer close(ls.outboxDone); outbox.Run(ctx) }()
	}
	hs := &http.Server{Handler: ls}
	hs.RegisterOnShutdown(ls.web.Close)
	ls.http = hs
	go func() { _ = hs.Serve(ln) }()
}

func (ls *liveServer) stop() {
	if ls.http == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = ls.http.Shutdown(ctx)
	ls.web.Close()
	if ls.stopOutbox != nil {
		ls.stopOutbox()
		<-ls.outboxDone
		ls.stopOutbox = nil
	}
	ls.db.Close()
	ls.http = nil
}

func (ls *liveServer) addUser(email, name string) {
	ls.t.Helper()
	hash, err := web.HashPassword("correct horse battery")
	if err != nil {
		ls.t.Fatal(err)
	}
	if err := ls.db.CreateUser(context.Background(), &inbox.User{Email: email, Name: name, Role: inbox.RoleAgent, PasswordHash: hash, Active: true}); err != nil {
		ls.t.Fatal(err)
	}
}

// userID is the id of the user with that email.
func (ls *liveServer) userID(email string) int64 {
	ls.t.Helper()
	u, err := ls.db.UserByEmail(context.Background(), email)
	if err != nil {
		ls.t.Fatal(err)
	}
	return u.ID
}

// addAdmin adds an active admin and returns its user id.
func (ls *liveServer) addAdmin(email, name string) int64 {
	ls.t.Helper()
	ls.addUser(email, name)
	id := ls.userID(email)
	if err := ls.db.SetRole(context.Background(), id, inbox.RoleAdmin); err != nil {
		ls.t.Fatal(err)
	}
	return id
}

func (ls *liveServer) post(body []byte) {
	ls.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ls.url()+"/webhooks/zavu", strings.NewReader(string(body)))
	req.Header.Set("X-Zavu-Signature", zavu.Sign(testSecret, time.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ls.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ls.t.Fatalf("webhook: %d", resp.StatusCode)
	}
}

// browser starts headless Chromium and returns a tab's context.
func browser(t *testing.T, exe string) context.Context {
	t.Helper()
	return browsertest.Start(t, exe)
}

// tab is one agent's page, in its own browser context (its own cookies).
type tab struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []string
}

func newTab(t *testing.T, browserCtx context.Context) *tab {
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	b := &tab{t: t, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	// The page's console goes to the test log, which is where a failing
	// browser test's reason usually is.
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, fmt.Sprintf("%s:%d %s", m.URL, m.Line+1, m))
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			for _, line := range b.console {
				t.Log("console:", line)
			}
		}
	})
	return b
}

// The time limits of do and waitFor only guard against a hang: on a
// loaded 2-core machine under the race detector, a page can take many
// seconds to react, and a test must not fail for that.
const browserPatience = 45 * time.Second

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserPatience)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// waitFor waits until the JavaScript expression is true.
func (b *tab) waitFor(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserPatience)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.t.Fatalf("waiting until %s: %v", what, err)
	}
}

// waitAcrossLoads is waitFor for a step that may load the page anew (Back,
// Forward): asking a page as it navigates away fails, and is asked again
// of the page that comes.
func (b *tab) waitAcrossLoads(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(browserPatience)
	for {
		ctx, cancel := context.WithDeadline(b.ctx, deadline)
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
		cancel()
		if err == nil {
			return
		}
		if !navigating(err) || time.Now().After(deadline) {
			b.t.Fatalf("waiting until %s: %v", what, err)
		}
	}
}

// navigating says whether err is the browser's answer to a script run on a
// page that navigated away meanwhile.
func navigating(err error) bool {
	s := err.Error()
	return strings.Contains(s, "navigated") || strings.Contains(s, "Cannot find context")
}

// waitValue waits until the JavaScript expression gives a string that is not
// empty and returns it. A live update may redraw what the expression reads
// between a waitFor and an eval; this reads it in the same poll that finds it.
func (b *tab) waitValue(what, expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserPatience)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void]("!!(window.__value = ("+expr+"))", chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.t.Fatalf("waiting for %s: %v", what, err)
	}
	return b.eval("String(window.__value)")
}

func (b *tab) eval(expr string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("eval %s: %v", expr, err)
	}
	return s
}

func (b *tab) login(base, email string) {
	b.t.Helper()
	b.do("sign in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=conv-list]`)),
	)
	b.waitFor("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
}

// openFirst signs the tab in as email and opens the list's first
// conversation, its reply box ready.
func (b *tab) openFirst(base, email string) {
	b.t.Helper()
	b.login(base, email)
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
}

// rowShapes is the list's rows as elements, attributes (sorted, classes as
// a set) and text, whitespace aside: two lists that read the same to a
// person and to the page's scripts have the same shapes.
const rowShapes = `(() => {
	const shape = n => n.nodeType === 3 ? (n.textContent.trim() ? JSON.stringify(n.textContent.trim()) : '') :
		n.nodeType !== 1 ? '' : '<' + n.tagName + ' ' +
		[...n.attributes].filter(a => a.name !== 'class').map(a => a.name + '=' + JSON.stringify(a.value)).sort().join(' ') +
		' class=' + [...n.classList].sort().join('.') + '>' + [...n.childNodes].map(shape).join('') + '</>';
	return [...document.querySelectorAll('#conv-list .row')].map(shape).join('\n');
})()`

func TestBrowserInboxIsLive(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ctx := context.Background()
	ls.addUser("ana@example.com", "Ana Admin")
	ls.addUser("ben@example.com", "Ben Agent")
	bctx := browser(t, exe)
	ana := newTab(t, bctx)
	ana.login(ls.url(), "ana@example.com")

	// A signed webhook makes a conversation appear, without a reload.
	ana.eval(`window.__page = "kept"; ""`)
	now := time.Now()
	ls.post(inboundFrom("evt_b1", "msg_b1", "+14155550101", "Zoe Quinn", "Where is my order?", now))
	ana.waitFor("the new conversation is in the list",
		`[...document.querySelectorAll('[data-testid=conv-row]')].some(r => r.textContent.includes('Zoe Quinn'))`)
	if ana.eval(`window.__page || ""`) != "kept" {
		t.Fatal("the page reloaded")
	}
	ana.waitFor("the tab title counts the unread message", `document.title.startsWith('(1) ')`)

	// Opening it shows the thread; the next message appears in it live.
	ana.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=thread]`)))
	ls.post(inboundFrom("evt_b2", "msg_b2", "+14155550101", "Zoe Quinn", "Order #4411, please hurry", now.Add(time.Second)))
	ana.waitFor("the new message is in the open thread",
		`document.querySelector('[data-testid=messages]').textContent.includes('Order #4411')`)

	// A reply sent from the phone gets its ticks as statuses arrive.
	ls.post(echoFrom("evt_b3", "msg_b3", "+14155550101", "On its way today!", now.Add(2*time.Second)))
	tick := `(document.querySelector('[data-testid=message][data-direction=outbound] [data-testid=tick]') || {}).dataset?.status`
	ana.waitFor("the echo shows as sent", tick+` === 'sent'`)
	ls.post(statusEvent("evt_b4", "message.delivered", "msg_b3", now.Add(3*time.Second)))
	ana.waitFor("the tick turns delivered", tick+` === 'delivered'`)
	ls.post(statusEvent("evt_b5", "message.read", "msg_b3", now.Add(4*time.Second)))
	ana.waitFor("the tick turns read", tick+` === 'read'`)

	// A reaction chip appears under the message, and goes.
	ls.post(reactionEvent("evt_b6", "msg_b3", "👍", "added", now.Add(5*time.Second)))
	ana.waitFor("the reaction chip appears", `document.querySelectorAll('[data-testid=reaction]').length === 1`)
	ls.post(reactionEvent("evt_b7", "msg_b3", "👍", "removed", now.Add(6*time.Second)))
	ana.waitFor("the reaction chip goes", `document.querySelectorAll('[data-testid=reaction]').length === 0`)

	// Two agents see each other's assignment live.
	ben := newTab(t, bctx)
	ben.login(ls.url(), "ben@example.com")
	ben.do("Ben opens the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=thread]`)))
	ana.do("Ana takes it", chromedp.Click(chromedp.CSS(`[data-testid=assign-me]`)))
	ben.waitFor("Ben sees Ana as the assignee",
		`document.querySelector('[data-testid=details-assignee]').textContent.includes('Ana Admin')`)
	ben.waitFor("and her initials in his list", `!!document.querySelector('[data-testid=row-assignee]')`)

	// A few more customers, so the picture looks like a working day.
	for i, c := range []struct{ phone, name, text string }{
		{"+447700900123", "Oliver Grant", "Can I change the delivery address?"},
		{"+34600111222", "Lucía Fernández", "¿Tenéis la talla M en azul?"},
		{"+14155550188", "", "Thanks, got it!"},
		{"+5511988887777", "Rafael Souza", "Is the store open on Sunday?"},
	} {
		ls.post(inboundFrom(fmt.Sprintf("evt_more_%d", i), fmt.Sprintf("msg_more_%d", i), c.phone, c.name, c.text,
			now.Add(-time.Duration(i+1)*37*time.Minute)))
	}
	ana.waitFor("the list shows them", `document.querySelectorAll('[data-testid=conv-row]').length === 5`)

	// Every row that reached Ben's list live (new ones, one known only by
	// its number, and Zoe's, assigned) is the row the list renders.
	ben.waitFor("Ben's list shows them", `document.querySelectorAll('[data-testid=conv-row]').length === 5`)
	fresh := newTab(t, bctx)
	fresh.login(ls.url(), "ben@example.com")
	fresh.do("Ben's page, loaded again", chromedp.Navigate(ben.eval(`location.href`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=thread]`)))
	fresh.waitFor("the list is loaded", `document.querySelectorAll('[data-testid=conv-row]').length === 5`)
	if live, loaded := ben.eval(rowShapes), fresh.eval(rowShapes); live != loaded {
		t.Errorf("rows built live differ from the rows the list renders:\nlive:   %s\nloaded: %s", live, loaded)
	}
	ls.post(reactionEvent("evt_b9", "msg_b3", "❤️", "added", now.Add(7*time.Second)))
	ana.waitFor("the customer's heart is under the reply", `document.querySelectorAll('[data-testid=reaction]').length === 1`)

	// The server restarts: the page says so, reconnects, and shows what it
	// missed while it was away.
	ls.stop()
	ana.waitFor("the reconnecting banner shows", `document.querySelector('[data-testid=live-banner]').hidden === false`)
	db, err := store.Open(ls.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := zavu.Decode(inboundFrom("evt_b8", "msg_b8", "+14155550101", "Zoe Quinn", "Hello? Anyone there?", now.Add(8*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Ingest(ctx, ev, inbox.Apply); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ls.start(nil)
	ana.waitFor("the banner goes once reconnected", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	ana.waitFor("the message sent during the restart is in the thread",
		`document.querySelector('[data-testid=messages]').textContent.includes('Anyone there?')`)
	if ana.eval(`window.__page || ""`) != "kept" {
		t.Fatal("the page reloaded to catch up")
	}
}

func TestBrowserPhoneLayout(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	ls.addUser("ben@example.com", "Ben")
	ls.post(inboundFrom("evt_p1", "msg_p1", "+14155550101", "Zoe Quinn", "Hi", time.Now()))
	b := newTab(t, browser(t, exe))
	b.do("phone screen", chromedp.EmulateViewport(390, 844))
	b.login(ls.url(), "ana@example.com")
	visible := func(sel string) string {
		return `(() => { const e = document.querySelector('` + sel + `'); return !!e && e.getBoundingClientRect().width > 0; })()`
	}
	b.waitFor("the list fills the screen", visible(".list-pane")+` && !`+visible(".thread-pane"))
	if w := b.eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("page is %s px wide on a 390 px screen", w)
	}
	b.waitFor("the views above the list", visible(".nav"))
	b.do("open", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)))
	b.waitFor("the thread replaces the list", visible(".thread-pane")+` && !`+visible(".list-pane"))
	// The thread has the whole screen: its header at the top, the composer
	// at the bottom, the views out of the way until the agent goes back.
	if got := b.eval(`(() => {
		const out = [], pane = document.querySelector('.thread-pane').getBoundingClientRect(),
			composer = document.querySelector('.composer').getBoundingClientRect();
		if (document.querySelector('.nav').getBoundingClientRect().height > 0) out.push('the views still show above the thread');
		if (pane.top !== 0 || pane.height !== innerHeight) out.push('the thread pane is ' + pane.top + '-' + pane.bottom + ' of ' + innerHeight + ' px');
		if (composer.bottom > innerHeight || composer.bottom < innerHeight - 2) out.push('the composer ends at ' + composer.bottom + ' of ' + innerHeight + ' px');
		// Its header leaves the thread most of the screen: three short rows
		// (two of them buttons 40 px tall, for a thumb), the tools as icons
		// named for screen readers, nothing past the edge.
		const head = document.querySelector('[data-testid=thread-head]');
		if (head.getBoundingClientRect().height > 150) out.push('the thread header is ' + Math.round(head.getBoundingClientRect().height) + ' px tall');
		const past = ` + offScreen("[data-testid=thread-head] *") + `;
		if (past) out.push(past);
		for (const t of ['snooze-menu', 'details-toggle', 'assign-me']) {
			const e = head.querySelector('[data-testid=' + t + ']');
			if (!e || !e.textContent.trim()) out.push(t + ' has no name');
		}
		return out.join('; ');
	})()`); got != "" {
		t.Error(got)
	}
	b.accessible("an open thread at 390x844", false)
	// Ben has the thread open too, and sees Ana there.
	ben := newTab(t, browser(t, exe))
	ben.login(ls.url(), "ben@example.com")
	ben.open(ls.url() + "/conversations/1")
	presence := `(document.querySelector('[data-testid=presence-text]') || {textContent: ''}).textContent`
	ben.waitFor("Ben sees Ana in the thread", presence+`.includes('Ana')`)

	// The back button shows the list in the page, without loading it anew;
	// the page no longer follows the thread, and the list stays live.
	b.eval(`window.__kept = 'yes'; ""`)
	b.do("back", chromedp.Click(chromedp.CSS(`.thread-pane .back`)))
	b.waitFor("the list and its views again, at the list's address, on the row just left",
		visible(".list-pane")+` && `+visible(".nav")+` && !`+visible(".thread-pane")+` && location.pathname === '/inbox' &&
		window.__kept === 'yes' && document.activeElement === document.getElementById('c-1')`)
	ben.waitFor("Ana has left the thread for Ben", `!`+presence+`.includes('Ana')`)
	ls.post(inboundFrom("evt_p2", "msg_p2", "+14155550102", "Max Lee", "Are you open today?", time.Now()))
	b.waitFor("a new conversation reaches the list", `document.querySelector('#conv-list').textContent.includes('Are you open today?')`)

	// The browser's Back goes to the thread's address, loaded afresh.
	b.do("Back", chromedp.NavigateBack())
	b.waitAcrossLoads("the thread again", `location.pathname === '/conversations/1' && `+visible(".thread-pane")+` &&
		(document.querySelector('[data-testid=thread-name]') || {}).textContent === 'Zoe Quinn'`)
}

func statusEvent(id, typ, msgID string, at time.Time) []byte {
	return event(id, typ, at, map[string]any{
		"messageId": msgID, "to": "+14155550101", "channel": "whatsapp", "status": strings.TrimPrefix(typ, "message."),
	})
}

func reactionEvent(id, msgID, emoji, action string, at time.Time) []byte {
	return event(id, "message.reaction", at, map[string]any{
		"messageId": msgID,
		"reaction":  map[string]any{"emoji": emoji, "from": "+14155550101", "timestamp": at.UnixMilli(), "action": action},
	})
}

func TestBrowserKeyboard(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	now := time.Now()
	for i, name := range []string{"Cleo", "Bram", "Abel"} { // Abel is newest, first in the list
		ls.post(inboundFrom(fmt.Sprintf("evt_k%d", i), fmt.Sprintf("msg_k%d", i), fmt.Sprintf("+1415555020%d", i), name, "Hi from "+name, now.Add(time.Duration(i)*time.Second)))
	}
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.waitFor("three rows", `document.querySelectorAll('[data-testid=conv-row]').length === 3`)
	b.eval(`window.__k = []; document.addEventListener('keydown', e => window.__k.push(e.key + '@' + document.activeElement.tagName)); document.addEventListener('htmx:afterRequest', e => window.__k.push('req ' + e.detail.pathInfo.requestPath + ' ' + e.detail.xhr.status)); ""`)
	defer func() {
		if t.Failed() {
			t.Log(b.eval(`JSON.stringify(window.__k)`))
		}
	}()
	b.do("j, j, Enter", chromedp.KeyEvent("j"), chromedp.KeyEvent("j"), chromedp.KeyEvent("\r"))
	b.waitFor("the second conversation opens", `(document.querySelector('[data-testid=thread-name]') || {}).textContent === 'Bram'`)
	b.do("k focuses the first row", chromedp.KeyEvent("k"))
	b.waitFor("focus is on Abel", `document.activeElement.textContent.includes('Abel')`)
	b.do("e resolves the open conversation", chromedp.KeyEvent("e"))
	b.waitFor("Bram leaves the open list",
		`[...document.querySelectorAll('[data-testid=conv-row]')].map(r => r.querySelector('[data-testid=row-name]').textContent).join() === 'Abel,Cleo'`)
	b.waitFor("the next conversation opens", `(document.querySelector('[data-testid=thread-name]') || {}).textContent === 'Cleo'`)
	b.waitFor("with Undo", `!!document.querySelector('[data-testid=undo]')`)
}

// forwardTicks reports whether the statuses a bubble showed, in the order
// it showed them, never went back: "queued sent read" does, "queued
// pending queued" does not.
func forwardTicks(ticks string) bool {
	order := []string{"pending", "queued", "sent", "delivered", "read"}
	last := -1
	for s := range strings.FieldsSeq(ticks) {
		i := slices.Index(order, s)
		if i <= last {
			return false
		}
		last = i
	}
	return last >= 0
}

func TestBrowserReplyTicksAndRetry(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana Admin")
	ls.post(inboundFrom("evt_r1", "msg_r1", "+14155550111", "Maya Lopez", "Do you ship to Canada?", time.Now()))
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	// Every status an outbound bubble shows, in order.
	b.eval(`window.__ticks = {};
		new MutationObserver(() => document.querySelectorAll('[data-testid=message][data-direction=outbound]').forEach(m => {
			const k = m.querySelector('[data-testid=text]')?.textContent || m.id, s = m.dataset.status, l = (window.__ticks[k] ||= []);
			if (l[l.length - 1] !== s) l.push(s);
		})).observe(document.body, {subtree: true, childList: true, attributes: true}); ""`)

	b.do("type a reply and press Enter", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Yes, we ship to Canada!\r"))
	b.waitFor("the reply is read", `(window.__ticks['Yes, we ship to Canada!'] || []).at(-1) === 'read'`)
	// The bubble comes from the answer to the Send or from the websocket,
	// whichever is first; its ticks only ever move forward.
	ticks := b.eval(`window.__ticks['Yes, we ship to Canada!'].join(' ')`)
	if !forwardTicks(ticks) || !strings.HasSuffix(ticks, "delivered read") {
		t.Errorf("ticks went %q, want them in order, delivered before read", ticks)
	}
	if v := b.eval(`document.querySelector('[data-testid=reply-text]').value`); v != "" {
		t.Errorf("the composer kept %q after sending", v)
	}
	// An answer that comes after the websocket told more (the bubble as
	// it was when the Send was stored) leaves the newer bubble alone.
	b.eval(`(() => {
		const m = [...document.querySelectorAll('[data-testid=message][data-direction=outbound]')].at(-1), old = m.cloneNode(true);
		old.dataset.status = 'pending'; old.dataset.rev = '0';
		htmx.swap(document.body, '<div hx-swap-oob="beforeend:#msgs-' + m.dataset.conversation + '">' + old.outerHTML + '</div>', {swapStyle: 'none'});
		return "";
	})()`)
	if s := b.eval(`[...document.querySelectorAll('[data-testid=message][data-direction=outbound]')].at(-1).dataset.status`); s != "read" {
		t.Errorf("a late answer turned the read reply back to %q", s)
	}

	// Zavu refuses the next send for good: the bubble says why, and Retry
	// sends it again.
	fake.FailNext(1, zavu.Failure{Status: http.StatusPaymentRequired, Code: "insufficient_balance", Message: "Insufficient balance"})
	b.do("send another", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Shipping takes 3 days.\r"))
	b.waitFor("the failure shows with its reason",
		`[...document.querySelectorAll('[data-testid=failure]')].some(f => f.textContent.includes('run out of credit'))`)
	// Clicked in the page: a live update of the bubble may replace the
	// button between finding it and clicking it ("Could not find node
	// with given id" in a CI run).
	b.eval(`document.querySelector('[data-testid=retry]').click(); ""`)
	b.waitFor("the retried reply is read", `(window.__ticks['Shipping takes 3 days.'] || []).at(-1) === 'read'`)
	if n := len(fake.Sent()); n != 2 {
		t.Errorf("Zavu got %d messages, want 2 (one per reply)", n)
	}
}

func TestBrowserSMSMeter(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	ls.addUser("ana@example.com", "Ana")
	body := event("evt_s1", "message.inbound", time.Now(), map[string]any{
		"messageId": "msg_s1", "from": "+14155550177", "to": "+13125559876", "channel": "sms",
		"messageType": "text", "text": "Is my table booked?",
	})
	ls.post(body)
	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=sms-meter]`)))
	b.do("type", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Yes, see you at 8"))
	b.waitFor("GSM-7, one segment", `document.querySelector('[data-testid=sms-meter]').textContent === '17 / 160 · 1 segment · GSM-7'`)
	b.eval(`(() => { const ta = document.querySelector('[data-testid=reply-text]'); ta.value = 'a'.repeat(161); ta.dispatchEvent(new Event('input', {bubbles: true})); return ""; })()`)
	b.waitFor("two segments of 153", `document.querySelector('[data-testid=sms-meter]').textContent === '161 / 306 · 2 segments · GSM-7'`)
	b.eval(`(() => { const ta = document.querySelector('[data-testid=reply-text]'); ta.value = 'Thanks 👍'; ta.dispatchEvent(new Event('input', {bubbles: true})); return ""; })()`)
	b.waitFor("an emoji makes it UCS-2", `document.querySelector('[data-testid=sms-meter]').textContent === '9 / 70 · 1 segment · UCS-2'`)
	// A euro is never cut between two segments: across the end of the
	// first, it starts the second, and the text takes a third.
	b.eval(`(() => { const ta = document.querySelector('[data-testid=reply-text]'); ta.value = 'a'.repeat(152) + '€' + 'a'.repeat(152); ta.dispatchEvent(new Event('input', {bubbles: true})); return ""; })()`)
	b.waitFor("a euro across segments takes a third", `document.querySelector('[data-testid=sms-meter]').textContent === '306 / 459 · 3 segments · GSM-7'`)
	b.eval(`(() => { const ta = document.querySelector('[data-testid=reply-text]'); ta.value = 'Thanks 👍'; ta.dispatchEvent(new Event('input', {bubbles: true})); return ""; })()`)
	// The draft survives a reload.
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	b.waitFor("the draft is back", `document.querySelector('[data-testid=reply-text]').value === 'Thanks 👍'`)
}

// An agent attaches a picture in the composer and sends it: the upload
// (larger than any form, so it takes the streamed route) goes through
// with the page's CSRF header, the bubble shows the picture from its
// signed link, and Zavu gets that link.
func TestBrowserAttachmentIsSent(t *testing.T) {
	exe := chromium(t)
	ls := startLiveServer(t)
	fake := ls.withZavu()
	ls.addUser("ana@example.com", "Ana")
	ls.post(inboundFrom("evt_a1", "msg_a1", "+14155550111", "Maya Lopez", "Can you send a photo of the shelf?", time.Now()))

	img := image.NewRGBA(image.Rect(0, 0, 200, 150))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.IntN(256)) // noise: the PNG stays larger than 64 KiB
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if buf.Len() <= 64<<10 {
		t.Fatalf("the picture is only %d bytes", buf.Len())
	}
	file := filepath.Join(t.TempDir(), "shelf.png")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	b := newTab(t, browser(t, exe))
	b.login(ls.url(), "ana@example.com")
	b.do("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	b.do("attach the picture", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=attach]`), []string{file}))
	b.waitFor("the file's name shows", `document.querySelector('[data-testid=attach-name]').textContent === 'shelf.png'`)
	b.do("send it with a caption", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "Here it is\r"))
	b.waitFor("the picture shows in the thread",
		`[...document.querySelectorAll('[data-testid=message][data-direction=outbound] img')].some(i =>
			i.getAttribute('src').startsWith('/media/') && i.complete && i.naturalWidth === 200)`)
	if v := b.eval(`document.querySelector('[data-testid=attach]').value`); v != "" {
		t.Errorf("the composer kept the file %q after sending", v)
	}
	b.waitFor("Zavu took it", `[...document.querySelectorAll('[data-testid=message][data-direction=outbound]')].some(m =>
		['sent', 'delivered', 'read'].includes(m.dataset.status))`)
	sent := fake.Sent()
	if len(sent) != 1 || sent[0].Content == nil || !strings.HasPrefix(sent[0].Content.MediaURL, ls.url()+"/files/") ||
		sent[0].Content.MimeType != "image/png" {
		t.Fatalf("Zavu got %+v", sent)
	}
}
