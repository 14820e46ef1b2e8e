package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/crypto/bcrypt"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
	"switchboard/web"
)

// uiFigures are the agents' screen's figures.
type uiFigures struct {
	Conversations int     `json:"conversations"`
	Messages      int     `json:"messages"`
	GenerateSecs  float64 `json:"generateSecs"`
	ListP50Ms     float64 `json:"listP50Ms"`
	ListP99Ms     float64 `json:"listP99Ms"`
	// The open list filtered by a label on one conversation in 20, and by
	// one on one in 1000.
	LabelP50Ms     float64 `json:"labelP50Ms"`
	LabelP99Ms     float64 `json:"labelP99Ms"`
	RareLabelP50Ms float64 `json:"rareLabelP50Ms"`
	RareLabelP99Ms float64 `json:"rareLabelP99Ms"`
	ThreadMessages int     `json:"threadMessages"`
	ThreadP50Ms    float64 `json:"threadP50Ms"`
	ThreadP99Ms    float64 `json:"threadP99Ms"`
	FanoutClients  int     `json:"fanoutClients"`
	FanoutUpdates  int     `json:"fanoutUpdates"`
	FanoutP50Ms    float64 `json:"fanoutP50Ms"`
	FanoutP99Ms    float64 `json:"fanoutP99Ms"`
	FanoutMissed   int     `json:"fanoutMissed"`
	PresencePages  int     `json:"presencePages"`
	PresenceRounds int     `json:"presenceRounds"`
	PresenceP50Ms  float64 `json:"presenceP50Ms"`
	PresenceP99Ms  float64 `json:"presenceP99Ms"`
	PresenceMissed int     `json:"presenceMissed"`
	RSSIdleBytes   float64 `json:"rssIdleBytes"`
	RSSClientBytes float64 `json:"rssWithClientsBytes"`
}

type uiSizes struct {
	conversations, messages, largeThread, renders, clients, updates int
}

// uiServer is Switchboard with sessions, on loopback, and one signed-in
// browser-like client.
type uiServer struct {
	base   string
	secret string
	db     *store.DB
	web    *web.Server
	hs     *http.Server
	client *http.Client
	jar    http.CookieJar
}

// benchUI fills a database with sz conversations and messages, then times
// the inbox list, opening the largest thread, and live fan-out.
func benchUI(ctx context.Context, path string, sz uiSizes, progress func(string)) (uiFigures, error) {
	f := uiFigures{Conversations: sz.conversations, Messages: sz.messages, ThreadMessages: sz.largeThread,
		FanoutClients: sz.clients, FanoutUpdates: sz.updates}
	db, err := store.Open(path)
	if err != nil {
		return f, err
	}
	progress(fmt.Sprintf("ui: generating %d conversations and %d messages...", sz.conversations, sz.messages))
	start := time.Now()
	err = db.Generate(ctx, store.Generation{Conversations: sz.conversations, Messages: sz.messages,
		LargeThread: sz.largeThread, Senders: []string{"snd_bench_1", "snd_bench_2"}, Now: time.Now()})
	if err != nil {
		db.Close()
		return f, fmt.Errorf("generate: %w", err)
	}
	f.GenerateSecs = time.Since(start).Seconds()
	s, err := startUIServer(ctx, db)
	if err != nil {
		db.Close()
		return f, err
	}
	defer s.close()

	progress(fmt.Sprintf("ui: rendering the inbox list %d times...", sz.renders))
	lat, err := s.timeGets(ctx, "/inbox/list", sz.renders)
	if err != nil {
		return f, err
	}
	f.ListP50Ms, f.ListP99Ms = percentileMs(lat, 50), percentileMs(lat, 99)

	progress(fmt.Sprintf("ui: labelling conversations, filtering the list by label %d times...", 2*sz.renders))
	if err := labelForBench(ctx, db, sz.conversations); err != nil {
		return f, err
	}
	if lat, err = s.timeGets(ctx, "/inbox/list?label=refund", sz.renders); err != nil {
		return f, err
	}
	f.LabelP50Ms, f.LabelP99Ms = percentileMs(lat, 50), percentileMs(lat, 99)
	if lat, err = s.timeGets(ctx, "/inbox/list?label=rare", sz.renders); err != nil {
		return f, err
	}
	f.RareLabelP50Ms, f.RareLabelP99Ms = percentileMs(lat, 50), percentileMs(lat, 99)

	big, err := s.largestConversation(ctx)
	if err != nil {
		return f, err
	}
	progress(fmt.Sprintf("ui: opening a %d-message thread %d times...", sz.largeThread, sz.renders))
	if lat, err = s.timeGets(ctx, fmt.Sprintf("/conversations/%d", big), sz.renders); err != nil {
		return f, err
	}
	f.ThreadP50Ms, f.ThreadP99Ms = percentileMs(lat, 50), percentileMs(lat, 99)

	f.RSSIdleBytes = residentBytes()
	progress(fmt.Sprintf("ui: %d live clients, %d webhooks...", sz.clients, sz.updates))
	lat, missed, rss, err := s.fanout(ctx, sz.clients, sz.updates)
	if err != nil {
		return f, err
	}
	f.FanoutP50Ms, f.FanoutP99Ms, f.FanoutMissed, f.RSSClientBytes = percentileMs(lat, 50), percentileMs(lat, 99), missed, rss

	f.PresencePages, f.PresenceRounds = sz.clients, presenceRounds
	progress(fmt.Sprintf("ui: presence, a teammate typing in a thread %d pages show...", sz.clients))
	if lat, missed, err = s.presence(ctx, sz.clients, presenceRounds); err != nil {
		return f, err
	}
	f.PresenceP50Ms, f.PresenceP99Ms, f.PresenceMissed = percentileMs(lat, 50), percentileMs(lat, 99), missed
	return f, nil
}

// labelForBench puts the label "refund" on one generated conversation in
// 20 and "rare" on one in 1000.
func labelForBench(ctx context.Context, db *store.DB, conversations int) error {
	for _, l := range []struct {
		name  string
		every int
	}{{"refund", 20}, {"rare", 1000}} {
		if err := db.CreateLabel(ctx, &inbox.Label{Name: l.name, Colour: "red", CreatedAt: time.Now()}); err != nil {
			return err
		}
		var ids []int64
		for id := l.every; id <= conversations; id += l.every {
			ids = append(ids, int64(id))
			if len(ids) == 500 || id+l.every > conversations {
				if _, _, err := db.UpdateConversations(ctx, ids, inbox.ConversationUpdate{AddLabels: []string{l.name}}, time.Now()); err != nil {
					return fmt.Errorf("label conversations: %w", err)
				}
				ids = ids[:0]
			}
		}
	}
	return nil
}

func startUIServer(ctx context.Context, db *store.DB) (*uiServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	baseURL, _ := url.Parse(base)
	secret := "whsec_bench_ui_" + strconv.FormatInt(time.Now().UnixNano(), 10)
	// One agent's session opens every live client here.
	w := web.New(web.Config{BaseURL: baseURL, LivePagesPerUser: 1 << 20}, web.Deps{
		Store: db, Sessions: db.Sessions(), Logger: slog.New(slog.DiscardHandler),
		Webhooks: zavu.Webhooks{Secrets: zavu.StaticSecrets(secret)},
	})
	hs := &http.Server{Handler: w, ReadHeaderTimeout: 10 * time.Second}
	hs.RegisterOnShutdown(w.Close)
	go hs.Serve(ln)
	jar, _ := cookiejar.New(nil)
	s := &uiServer{base: base, secret: secret, db: db, web: w, hs: hs, jar: jar,
		client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	if err := s.login(ctx); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *uiServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.hs.Shutdown(ctx)
	s.web.Close()
	s.db.Close()
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login creates an agent and signs in through the real form.
func (s *uiServer) login(ctx context.Context) error {
	_, err := s.signIn(ctx, s.client, "bench@example.com", "Bench Agent")
	return err
}

// signIn creates an agent and signs client in as them through the real
// form; it returns the agent's id.
func (s *uiServer) signIn(ctx context.Context, client *http.Client, email, name string) (int64, error) {
	// A cheap hash: signing in is not what the bench measures.
	hash, err := bcrypt.GenerateFromPassword([]byte("bench password 123"), bcrypt.MinCost)
	if err != nil {
		return 0, err
	}
	u := inbox.User{Email: email, Name: name, Role: inbox.RoleAdmin, PasswordHash: string(hash), Active: true}
	if err := s.db.CreateUser(ctx, &u); err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/login", nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		return 0, errors.New("login page has no CSRF field")
	}
	form := url.Values{"email": {u.Email}, "password": {"bench password 123"}, "csrf": {string(m[1])}}
	resp, err = client.PostForm(s.base+"/login", form)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/inbox" {
		return 0, fmt.Errorf("login ended at %s (%d)", resp.Request.URL.Path, resp.StatusCode)
	}
	return u.ID, nil
}

func (s *uiServer) get(ctx context.Context, path string, htmx bool) (string, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return "", 0, err
	}
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return "", 0, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return string(b), took, err
}

// timeGets fetches path n times, as htmx does, after one warm-up.
func (s *uiServer) timeGets(ctx context.Context, path string, n int) ([]time.Duration, error) {
	if _, _, err := s.get(ctx, path, true); err != nil {
		return nil, err
	}
	lat := make([]time.Duration, n)
	for i := range lat {
		_, took, err := s.get(ctx, path, true)
		if err != nil {
			return nil, err
		}
		lat[i] = took
	}
	return lat, nil
}

func (s *uiServer) largestConversation(ctx context.Context) (int64, error) {
	convs, _, err := s.db.Conversations(ctx, inbox.ConversationFilter{Limit: 200})
	if err != nil {
		return 0, err
	}
	var best inbox.Conversation
	for _, c := range convs {
		if c.InboundCount > best.InboundCount {
			best = c
		}
	}
	if best.ID == 0 {
		return 0, errors.New("no conversation generated")
	}
	return best.ID, nil
}

// fanout connects n live clients, sends updates webhooks one after the
// other, and measures from the send of each webhook to its arrival at each
// client.
func (s *uiServer) fanout(ctx context.Context, n, updates int) (lat []time.Duration, missed int, rss float64, err error) {
	u, _ := url.Parse(s.base)
	dialer := websocket.Dialer{Jar: s.jar, HandshakeTimeout: 10 * time.Second}
	hdr := http.Header{"Origin": {s.base}}
	conns := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	// The updates go to one conversation, which every client shows open
	// beside the list, as an agent's inbox page does.
	convID, err := s.fanoutConversation(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	for range n {
		c, _, err := dialer.DialContext(ctx, "ws://"+u.Host+"/ws", hdr)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("connect live client: %w", err)
		}
		conns = append(conns, c)
		m := s.web.Hub().Mark()
		sub := fmt.Sprintf(`{"epoch":%q,"since":%d,"list":{"view":"open"},"open":%d}`, m.Epoch, m.Seq, convID)
		if err := c.WriteMessage(websocket.TextMessage, []byte(sub)); err != nil {
			return nil, 0, 0, err
		}
	}
	for s.web.Hub().Clients() < n {
		time.Sleep(5 * time.Millisecond)
	}
	rss = residentBytes()

	sent := make([]time.Time, updates)
	var mu sync.Mutex
	var wg sync.WaitGroup
	marker := regexp.MustCompile(`fanout-(\d+)-`)
	for _, c := range conns {
		wg.Go(func() {
			seen := map[int]bool{} // the bubble and the row both carry the text
			for len(seen) < updates {
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				at := time.Now()
				for _, m := range marker.FindAllSubmatch(msg, -1) {
					i, _ := strconv.Atoi(string(m[1]))
					if seen[i] {
						continue
					}
					seen[i] = true
					mu.Lock()
					if i < len(sent) && !sent[i].IsZero() {
						lat = append(lat, at.Sub(sent[i]))
					}
					mu.Unlock()
				}
			}
		})
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range updates {
		body := zavuInbound(fmt.Sprintf("evt_fanout_%d_%d", time.Now().UnixNano(), i),
			fmt.Sprintf("msg_fanout_%d_%d", time.Now().UnixNano(), i), fmt.Sprintf("fanout-%d- are you there?", i))
		mu.Lock()
		sent[i] = time.Now()
		mu.Unlock()
		if code, err := postSigned(ctx, client, s.base+"/webhooks/zavu", s.secret, body); err != nil || code != http.StatusOK {
			return nil, 0, 0, fmt.Errorf("fan-out webhook: %d %v", code, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	missed = n*updates - len(lat)
	return lat, missed, rss, nil
}

// fanoutConversation is the conversation of the fan-out's customer,
// started by a webhook.
func (s *uiServer) fanoutConversation(ctx context.Context) (int64, error) {
	warm := zavuInbound(fmt.Sprintf("evt_fanout_warm_%d", time.Now().UnixNano()), fmt.Sprintf("msg_fanout_warm_%d", time.Now().UnixNano()), "hello")
	if code, err := postSigned(ctx, http.DefaultClient, s.base+"/webhooks/zavu", s.secret, warm); err != nil || code != http.StatusOK {
		return 0, fmt.Errorf("fan-out webhook: %d %v", code, err)
	}
	// Acknowledged once stored; the conversation exists once it is applied.
	if err := s.db.Settle(ctx); err != nil {
		return 0, fmt.Errorf("fan-out webhook: %w", err)
	}
	latest, _, err := s.db.Conversations(ctx, inbox.ConversationFilter{Limit: 20})
	if err != nil {
		return 0, fmt.Errorf("fan-out conversation: %w", err)
	}
	for _, c := range latest {
		if c.Contact.Phone == "+15550001111" {
			return c.ID, nil
		}
	}
	return 0, errors.New("fan-out conversation not found")
}

// presenceRounds is how often the presence bench's typist starts or stops
// typing.
const presenceRounds = 40

// presence opens n pages of one agent on a thread, and one page of a
// teammate who starts and stops typing there rounds times, one round
// after the other: it measures from the teammate's page saying so to each
// of the n pages being told.
func (s *uiServer) presence(ctx context.Context, n, rounds int) (lat []time.Duration, missed int, err error) {
	convID, err := s.fanoutConversation(ctx)
	if err != nil {
		return nil, 0, err
	}
	jar, _ := cookiejar.New(nil)
	typistID, err := s.signIn(ctx, &http.Client{Jar: jar, Timeout: 30 * time.Second}, "typist@example.com", "Tia Typist")
	if err != nil {
		return nil, 0, err
	}
	u, _ := url.Parse(s.base)
	hdr := http.Header{"Origin": {s.base}}
	dial := func(jar http.CookieJar) (*websocket.Conn, error) {
		d := websocket.Dialer{Jar: jar, HandshakeTimeout: 10 * time.Second}
		c, _, err := d.DialContext(ctx, "ws://"+u.Host+"/ws", hdr)
		if err != nil {
			return nil, fmt.Errorf("connect live client: %w", err)
		}
		m := s.web.Hub().Mark()
		sub := fmt.Sprintf(`{"epoch":%q,"since":%d,"list":{"view":"open"},"open":%d}`, m.Epoch, m.Seq, convID)
		return c, c.WriteMessage(websocket.TextMessage, []byte(sub))
	}
	conns := make([]*websocket.Conn, 0, n+1)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := dial(s.jar)
		if c != nil {
			conns = append(conns, c)
		}
		if err != nil {
			return nil, 0, err
		}
	}
	typist, err := dial(jar)
	if typist != nil {
		conns = append(conns, typist)
	}
	if err != nil {
		return nil, 0, err
	}

	// Round r: the typist types (r even) or stops (r odd). Each page notes
	// when it first shows the typist's state of the round under way.
	var round atomic.Int64
	round.Store(-1)
	sent := make([]time.Time, rounds)
	got := make([]chan time.Duration, rounds)
	for i := range got {
		got[i] = make(chan time.Duration, n)
	}
	var wg sync.WaitGroup
	for _, c := range conns[:n] {
		wg.Go(func() {
			seen := -1
			for {
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				at := time.Now()
				r := int(round.Load())
				typing, here := presenceShown(msg, convID, typistID)
				if r < 0 || r <= seen || !here || (typing != "") != (r%2 == 0) {
					continue
				}
				seen = r
				got[r] <- at.Sub(sent[r])
			}
		})
	}
	for r := range rounds {
		typing := ""
		if r%2 == 0 {
			typing = "reply"
		}
		sent[r] = time.Now()
		round.Store(int64(r))
		if err := typist.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"presence":{"open":%d,"typing":%q}}`, convID, typing)); err != nil {
			return nil, 0, err
		}
		wait := time.After(5 * time.Second)
	collect:
		for range n {
			select {
			case d := <-got[r]:
				lat = append(lat, d)
			case <-wait:
				break collect
			}
		}
	}
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	return lat, n*rounds - len(lat), nil
}

// presenceFragment is a thread's presence in a live message, and
// presenceEntry one agent in it (see web/presence.go).
var (
	presenceFragment = regexp.MustCompile(`<div data-live="presence" data-conversation="(\d+)" hidden>(.*?)</div>`)
	presenceEntry    = regexp.MustCompile(`<i data-user="(\d+)" data-name="[^"]*" data-typing="(\w*)"></i>`)
)

// presenceShown is what a page that shows thread conv says of agent user
// once it has applied the live message msg: here is whether msg tells the
// page the thread's presence and lists the agent in it, typing what the
// agent types. A message can carry several of a thread's presences (all
// that waited for the page's connection go in one message); the page
// applies them in order, so the last one is what it shows.
func presenceShown(msg []byte, conv, user int64) (typing string, here bool) {
	var last []byte
	for _, m := range presenceFragment.FindAllSubmatch(msg, -1) {
		if id, _ := strconv.ParseInt(string(m[1]), 10, 64); id == conv {
			last = m[2]
		}
	}
	for _, e := range presenceEntry.FindAllSubmatch(last, -1) {
		if id, _ := strconv.ParseInt(string(e[1]), 10, 64); id == user {
			return string(e[2]), true
		}
	}
	return "", false
}

// zavuInbound is a message.inbound webhook body.
func zavuInbound(id, msgID, text string) []byte {
	return []byte(`{"id":"` + id + `","type":"message.inbound","timestamp":` + strconv.FormatInt(time.Now().UnixMilli(), 10) +
		`,"senderId":"snd_bench_1","data":{"messageId":"` + msgID + `","from":"+15550001111","to":"+15550000000",` +
		`"channel":"whatsapp","messageType":"text","text":"` + strings.ReplaceAll(text, `"`, `'`) + `","profileName":"Fan Out"}}`)
}
