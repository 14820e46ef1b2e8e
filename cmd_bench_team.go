package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/crypto/bcrypt"

	"switchboard/inbox"
	"switchboard/store"
)

// teamFigures are the live screen's figures for a whole team: pages of many
// agents connected to a server in another process, under a steady stream
// of webhooks.
type teamFigures struct {
	Agents        int     `json:"agents"`
	Pages         int     `json:"pages"`
	Rate          int     `json:"ratePerSec"`
	Seconds       float64 `json:"seconds"`
	Events        int     `json:"events"`
	Deliveries    int     `json:"deliveries"`
	FanoutP50Ms   float64 `json:"fanoutP50Ms"`
	FanoutP99Ms   float64 `json:"fanoutP99Ms"`
	FanoutMaxMs   float64 `json:"fanoutMaxMs"`
	ThreadMissed  int     `json:"threadBubblesMissed"`
	ListMissed    int     `json:"openListRowsMissed"`
	AckP50Ms      float64 `json:"ackP50Ms"`
	AckP99Ms      float64 `json:"ackP99Ms"`
	AckFailed     int     `json:"ackFailed"`
	PagesDropped  int     `json:"pagesDropped"`
	ServerRSSIdle float64 `json:"serverRSSConnectedBytes"` // pages connected, before the events
	ServerRSSMax  float64 `json:"serverRSSMaxBytes"`
	ServerRSSPeak float64 `json:"serverRSSPeakBytes"`
	BytesPerPageS float64 `json:"bytesPerPagePerSec"`
	MsgsPerPageS  float64 `json:"messagesPerPagePerSec"`
	ListFetches   int64   `json:"listFetches"`
	ServerCPUSecs float64 `json:"serverCPUSeconds"`
	BenchCPUSecs  float64 `json:"benchCPUSeconds"`
}

type teamSizes struct {
	agents, pagesPerAgent, hot, background, rate int
	duration                                     time.Duration
}

// teamPage is one agent's page: a websocket subscribed to a list view and
// an open thread, as app.js subscribes.
type teamPage struct {
	agent  *teamAgent
	view   string
	open   int64 // conversation id of the thread it shows
	conn   *websocket.Conn
	mu     sync.Mutex      // guards seen and lat: the page's reader and its re-fetches note events
	seen   []uint64        // a bit per bench event: shown in the page
	lat    []time.Duration // from each event's webhook to the page
	ev     []int32         // the bench event of each of lat
	closed atomic.Bool     // closed by the bench, not the server
}

// read hands each message the server sends the page to each, with when
// it came, until the connection ends; dropped reports that the server, not
// the bench, ended it. Each message is read into one buffer, as a browser
// reuses its buffers: each must not keep it.
func (p *teamPage) read(each func(b []byte, at time.Time)) (dropped bool) {
	var buf bytes.Buffer
	for {
		_, r, err := p.conn.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			return !p.closed.Load()
		}
		each(buf.Bytes(), time.Now())
	}
}

// saw reports whether bench event i showed in the page.
func (p *teamPage) saw(i int) bool { return p.seen[i/64]&(1<<(i%64)) != 0 }

// note records the events b shows the page for the first time, each
// with its latency from when it was sent (sent[i], unix nanoseconds), and
// returns how many it recorded.
func (p *teamPage) note(b []byte, at time.Time, sent []atomic.Int64) int64 {
	var delivered int64
	for rest := b; ; {
		k := bytes.Index(rest, teamMarker)
		if k < 0 {
			return delivered
		}
		rest = rest[k+len(teamMarker):]
		i := 0
		for len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
			i = i*10 + int(rest[0]-'0')
			rest = rest[1:]
		}
		if i >= len(sent) || p.saw(i) {
			continue
		}
		p.seen[i/64] |= 1 << (i % 64)
		if s := sent[i].Load(); s != 0 {
			p.lat = append(p.lat, at.Sub(time.Unix(0, s)))
			p.ev = append(p.ev, int32(i))
			delivered++
		}
	}
}

// teamAssign is a conversation given to an agent during the run, as sent.
type teamAssign struct {
	conv, agent int64
	at          time.Time
}

// shownFrom is when an agent's "mine" page was first to show a message
// sent at sent and seen at at, given the assignments of its conversation
// in the order they were sent: when sent, or, when the conversation was
// someone else's then, when it was given to the agent after it.
func shownFrom(sent, at time.Time, agent int64, history []teamAssign) time.Time {
	var owner int64
	for _, a := range history {
		if a.at.After(sent) {
			break
		}
		owner = a.agent
	}
	if owner == agent {
		return sent
	}
	for _, a := range history {
		if a.at.After(sent) && !a.at.After(at) && a.agent == agent {
			return a.at
		}
	}
	return sent
}

type teamAgent struct {
	id     int64
	email  string
	client *http.Client
	csrf   string
}

// benchTeam starts serverBin (this binary when empty) as "switchboard
// serve" on a fresh database, signs in sz.agents agents, connects their
// pages over loopback, then sends sz.rate webhooks a second for
// sz.duration, measuring when each change reaches each page that shows it.
func benchTeam(ctx context.Context, dir, serverBin string, sz teamSizes, progress func(string)) (teamFigures, error) {
	f := teamFigures{Agents: sz.agents, Pages: sz.agents * sz.pagesPerAgent, Rate: sz.rate}
	dbPath := filepath.Join(dir, "team.db")
	progress(fmt.Sprintf("team: %d agents, %d background conversations...", sz.agents, sz.background))
	ids, err := prepareTeamDB(ctx, dbPath, sz)
	if err != nil {
		return f, err
	}
	z, err := startBenchZavu()
	if err != nil {
		return f, err
	}
	defer z.close()
	srv, err := startTeamServer(ctx, serverBin, dbPath, dir, z.url)
	if err != nil {
		return f, err
	}
	defer srv.stop()

	// The conversations the events go to, each started by its customer.
	hot := make([]string, sz.hot)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for i := range hot {
		hot[i] = fmt.Sprintf("+1555100%04d", i)
		body := teamInbound(fmt.Sprintf("evt_team_warm_%d", i), fmt.Sprintf("msg_team_warm_%d", i), hot[i], "Hello")
		if code, err := postSigned(ctx, client, srv.base+"/webhooks/zavu", srv.secret, body); err != nil || code != http.StatusOK {
			return f, fmt.Errorf("warm-up webhook: %d %v", code, err)
		}
	}
	convOf, err := srv.awaitConversationIDs(ctx, hot)
	if err != nil {
		return f, err
	}

	progress(fmt.Sprintf("team: signing in %d agents and opening %d pages...", sz.agents, f.Pages))
	agents := make([]*teamAgent, sz.agents)
	for i := range agents {
		if agents[i], err = srv.login(ctx, fmt.Sprintf("agent%03d@bench.example", i)); err != nil {
			return f, err
		}
		agents[i].id = ids[i]
	}
	views := []string{"open", "open", "open", "open", "open", "open", "mine", "mine", "unassigned", "resolved"}
	pages := make([]*teamPage, 0, f.Pages)
	defer func() {
		for _, p := range pages {
			p.closed.Store(true)
			p.conn.Close()
		}
	}()
	var listFetches atomic.Int64
	for i := range f.Pages {
		p := &teamPage{agent: agents[i%sz.agents], view: views[i%len(views)]}
		p.open = convOf[hot[(i*7)%len(hot)]]
		if err := srv.openPage(ctx, p); err != nil {
			return f, fmt.Errorf("page %d: %w", i, err)
		}
		pages = append(pages, p)
	}

	// Each page reads what it is sent and notes when each event first
	// shows in it. A page of a server that sends a signal to re-fetch
	// the list does so, as that server's pages did, 150 ms later.
	n := int(sz.duration.Seconds()*float64(sz.rate)) + 1
	sent := make([]atomic.Int64, n) // unix nanoseconds
	// Each page keeps what it saw to itself (no lock or map shared by a
	// thousand readers): the bench's own bookkeeping stays small beside
	// what a browser does with a message.
	for _, p := range pages {
		p.seen = make([]uint64, (n+63)/64)
	}
	var delivered atomic.Int64
	var bytesIn, msgsIn atomic.Int64
	var dropped atomic.Int64
	var wg sync.WaitGroup
	note := func(p *teamPage, b []byte, at time.Time) { delivered.Add(p.note(b, at, sent)) }
	for _, p := range pages {
		wg.Go(func() {
			var fetching atomic.Bool
			if p.read(func(b []byte, at time.Time) {
				bytesIn.Add(int64(len(b)))
				msgsIn.Add(1)
				p.mu.Lock()
				note(p, b, at)
				p.mu.Unlock()
				if bytes.Contains(b, []byte(`id="sb-signal"`)) && fetching.CompareAndSwap(false, true) {
					time.AfterFunc(150*time.Millisecond, func() {
						defer fetching.Store(false)
						body, err := p.agent.get(ctx, srv.base+"/inbox/list?view="+p.view+"&limit=50")
						listFetches.Add(1)
						if err == nil {
							p.mu.Lock()
							note(p, body, time.Now())
							p.mu.Unlock()
						}
					})
				}
			}) {
				dropped.Add(1)
			}
		})
	}

	f.ServerRSSIdle = processResidentBytes(srv.pid())
	progress(fmt.Sprintf("team: %d webhooks/s for %s...", sz.rate, sz.duration))
	var rssMax atomic.Uint64
	sampleDone := make(chan struct{})
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if r := uint64(processResidentBytes(srv.pid())); r > rssMax.Load() {
					rssMax.Store(r)
				}
			case <-sampleDone:
				return
			}
		}
	}()
	type job struct {
		i    int
		body []byte
	}
	jobs := make(chan job, 1024)
	var acks []time.Duration
	var ackMu sync.Mutex
	var ackFailed atomic.Int64
	var senders sync.WaitGroup
	for range 16 {
		senders.Go(func() {
			for j := range jobs {
				start := time.Now()
				sent[j.i].Store(start.UnixNano())
				code, err := postSigned(ctx, client, srv.base+"/webhooks/zavu", srv.secret, j.body)
				took := time.Since(start)
				if err != nil || code != http.StatusOK {
					ackFailed.Add(1)
					continue
				}
				ackMu.Lock()
				acks = append(acks, took)
				ackMu.Unlock()
			}
		})
	}
	// Expected deliveries: every page with the event's thread open gets
	// its bubble; every "open" list gets its row (unless a later message
	// of the same conversation came in the same render).
	target := make([]string, n)
	var assigned []teamAssign // in the order they were sent
	rng := rand.New(rand.NewPCG(1, 2))
	serverCPU, benchCPU := processCPUSeconds(srv.pid()), processCPUSeconds(0)
	start := time.Now()
	interval := time.Second / time.Duration(sz.rate)
	for i := range n - 1 {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			break
		}
		target[i] = hot[rng.IntN(len(hot))]
		jobs <- job{i: i, body: teamInbound(fmt.Sprintf("evt_team_%d_%d", start.UnixNano(), i),
			fmt.Sprintf("msg_team_%d_%d", start.UnixNano(), i), target[i], fmt.Sprintf("teamevt-%d- where is my order?", i))}
		if i%20 == 10 {
			// A teammate takes a conversation now and then.
			a := agents[rng.IntN(len(agents))]
			conv := convOf[hot[rng.IntN(len(hot))]]
			assigned = append(assigned, teamAssign{conv: conv, agent: a.id, at: time.Now()})
			go a.post(ctx, fmt.Sprintf("%s/conversations/%d/assign", srv.base, conv), url.Values{"assignee": {strconv.FormatInt(a.id, 10)}})
		}
	}
	close(jobs)
	senders.Wait()
	f.Seconds = time.Since(start).Seconds()
	f.Events = n - 1
	// Let what is in flight arrive.
	waitUntil := time.Now().Add(5 * time.Second)
	for time.Now().Before(waitUntil) {
		got := delivered.Load()
		time.Sleep(250 * time.Millisecond)
		if got == delivered.Load() {
			break
		}
	}
	close(sampleDone)
	f.ServerCPUSecs = processCPUSeconds(srv.pid()) - serverCPU
	f.BenchCPUSecs = processCPUSeconds(0) - benchCPU
	f.ServerRSSMax = float64(rssMax.Load())
	f.ServerRSSPeak = processPeakBytes(srv.pid())
	f.PagesDropped = int(dropped.Load())
	for _, p := range pages {
		p.closed.Store(true)
		p.conn.Close()
	}
	wg.Wait()

	// A conversation given to an agent enters the lists of their "mine"
	// pages with its last message, which may have come seconds before:
	// that row is late only by what it took after the assignment.
	history := map[int64][]teamAssign{}
	for _, a := range assigned {
		history[a.conv] = append(history[a.conv], a)
	}
	var lat []time.Duration
	for _, p := range pages {
		if p.view == "mine" {
			for k, l := range p.lat {
				i := p.ev[k]
				sentAt := time.Unix(0, sent[i].Load())
				at := sentAt.Add(l)
				p.lat[k] = at.Sub(shownFrom(sentAt, at, p.agent.id, history[convOf[target[i]]]))
			}
		}
		lat = append(lat, p.lat...)
	}
	f.Deliveries = len(lat)
	f.FanoutP50Ms, f.FanoutP99Ms, f.FanoutMaxMs = percentileMs(lat, 50), percentileMs(lat, 99), percentileMs(lat, 100)
	f.AckP50Ms, f.AckP99Ms, f.AckFailed = percentileMs(acks, 50), percentileMs(acks, 99), int(ackFailed.Load())
	f.BytesPerPageS = float64(bytesIn.Load()) / float64(len(pages)) / f.Seconds
	f.MsgsPerPageS = float64(msgsIn.Load()) / float64(len(pages)) / f.Seconds
	f.ListFetches = listFetches.Load()
	for _, p := range pages {
		for i := range f.Events {
			if convOf[target[i]] == p.open && !p.saw(i) {
				f.ThreadMissed++
			}
			if p.view == "open" && !p.saw(i) {
				f.ListMissed++
			}
		}
	}
	return f, nil
}

// prepareTeamDB makes the database: background conversations, and the
// agents with a cheap password hash so that signing 100 of them in is quick.
func prepareTeamDB(ctx context.Context, path string, sz teamSizes) ([]int64, error) {
	db, err := store.Open(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	hash, err := bcrypt.GenerateFromPassword([]byte(teamPassword), bcrypt.MinCost)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for i := range sz.agents {
		u := inbox.User{Email: fmt.Sprintf("agent%03d@bench.example", i), Name: fmt.Sprintf("Agent %03d", i),
			Role: inbox.RoleAgent, PasswordHash: string(hash), Active: true, CreatedAt: time.Now()}
		if i == 0 {
			u.Role = inbox.RoleAdmin
		}
		if err := db.CreateUser(ctx, &u); err != nil {
			return nil, err
		}
		ids = append(ids, u.ID)
	}
	if sz.background == 0 {
		return ids, nil
	}
	return ids, db.Generate(ctx, store.Generation{Conversations: sz.background, Messages: sz.background * 10,
		Senders: []string{"snd_bench_1", "snd_bench_2"}, Now: time.Now()})
}

const teamPassword = "bench password 123"

// teamServer is "switchboard serve" in a process of its own, possibly of
// another build (to compare two on one machine), so it is started here
// rather than as a benchChild.
type teamServer struct {
	cmd    *exec.Cmd
	base   string
	secret string
	exited chan struct{}
}

func startTeamServer(ctx context.Context, bin, dbPath, dir, zavuURL string) (*teamServer, error) {
	if bin == "" {
		var err error
		if bin, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	s := &teamServer{base: "http://" + addr, secret: "whsec_bench_team_" + strconv.FormatInt(time.Now().UnixNano(), 36),
		exited: make(chan struct{})}
	logFile, err := os.Create(filepath.Join(dir, "team-server.log"))
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append(benchChildEnv(os.Environ()), "SWITCHBOARD_ADDR="+addr, "SWITCHBOARD_DB="+dbPath,
		"SWITCHBOARD_BASE_URL="+s.base, "ZAVU_WEBHOOK_SECRET="+s.secret, "ZAVU_API_KEY=zv_test_bench",
		"ZAVU_API_URL="+zavuURL, "SWITCHBOARD_LOG=warn")
	if a := os.Getenv(livePprofEnv); a != "" {
		s.cmd.Env = append(s.cmd.Env, livePprofEnv+"="+a) // profile the server under load
	}
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); logFile.Close(); close(s.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("the server exited; see %s", logFile.Name())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("the server did not answer /healthz within 30 s")
		}
	}
}

func (s *teamServer) pid() int { return s.cmd.Process.Pid }

func (s *teamServer) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// awaitConversationIDs is conversationIDs once every phone's conversation
// is in the list, which it tries for up to 30 s: an acknowledged webhook
// reaches the list once it is applied, a moment later on a busy machine.
func (s *teamServer) awaitConversationIDs(ctx context.Context, phones []string) (map[string]int64, error) {
	ids, err := s.conversationIDs(ctx, phones)
	for deadline := time.Now().Add(30 * time.Second); err != nil && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(250 * time.Millisecond)
		ids, err = s.conversationIDs(ctx, phones)
	}
	return ids, err
}

// conversationIDs finds the conversations of the given phones in an
// agent's list.
func (s *teamServer) conversationIDs(ctx context.Context, phones []string) (map[string]int64, error) {
	agent, err := s.login(ctx, "agent000@bench.example")
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for cursor := ""; ; {
		u := s.base + "/inbox/list?limit=200"
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		body, err := agent.get(ctx, u)
		if err != nil {
			return nil, err
		}
		for _, row := range bytes.Split(body, []byte(`id="c-`))[1:] {
			end := bytes.IndexByte(row, '"')
			id, err := strconv.ParseInt(string(row[:max(end, 0)]), 10, 64)
			if m := rowPhone.FindSubmatch(row); err == nil && m != nil {
				out[string(m[1])] = id
			}
		}
		if len(out) >= len(phones) {
			break
		}
		next := nextCursor.FindSubmatch(body)
		if next == nil {
			break
		}
		cursor, _ = url.QueryUnescape(string(bytes.ReplaceAll(next[1], []byte("&amp;"), []byte("&"))))
	}
	for _, p := range phones {
		if out[p] == 0 {
			return nil, fmt.Errorf("no conversation for %s in the list", p)
		}
	}
	return out, nil
}

// teamMarker starts the number of a bench event in its text.
var teamMarker = []byte("teamevt-")

var (
	// A warm-up conversation's row names the customer's number (the
	// contact has no name).
	rowPhone   = regexp.MustCompile(`data-testid="row-name">(\+1555100\d{4})<`)
	nextCursor = regexp.MustCompile(`cursor=([^"&]+)`)
	liveMark   = regexp.MustCompile(`data-live-epoch="([^"]*)" data-live-seq="(\d+)"`)
	rowID      = regexp.MustCompile(`id="c-(\d+)"`)
	csrfMeta   = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)
)

// login signs an agent in through the form.
func (s *teamServer) login(ctx context.Context, email string) (*teamAgent, error) {
	jar, _ := cookiejar.New(nil)
	a := &teamAgent{email: email, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	body, err := a.get(ctx, s.base+"/login")
	if err != nil {
		return nil, err
	}
	m := csrfField.FindSubmatch(body)
	if m == nil {
		return nil, errors.New("login page has no CSRF field")
	}
	resp, err := a.client.PostForm(s.base+"/login", url.Values{"email": {email}, "password": {teamPassword}, "csrf": {string(m[1])}})
	if err != nil {
		return nil, err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Path != "/inbox" {
		return nil, fmt.Errorf("login of %s ended at %s (%d)", email, resp.Request.URL.Path, resp.StatusCode)
	}
	if m := csrfMeta.FindSubmatch(page); m != nil {
		a.csrf = string(m[1])
	}
	return a, nil
}

// navCountKeys finds the view counts an inbox page shows, which its
// subscription names as app.js does.
var navCountKeys = regexp.MustCompile(`data-view-count="([^"]*)"`)

// openPage loads the inbox page of p's view with its thread open, then
// connects its websocket and subscribes as app.js does.
func (s *teamServer) openPage(ctx context.Context, p *teamPage) error {
	body, err := p.agent.get(ctx, fmt.Sprintf("%s/inbox?view=%s&c=%d", s.base, p.view, p.open))
	if err != nil {
		return err
	}
	sub := map[string]any{"list": map[string]string{"view": p.view}, "open": p.open, "rows": []int64{}}
	keys := []string{}
	for _, m := range navCountKeys.FindAllSubmatch(body, -1) {
		keys = append(keys, html.UnescapeString(string(m[1])))
	}
	sub["counts"] = keys
	if m := liveMark.FindSubmatch(body); m != nil {
		seq, _ := strconv.ParseUint(string(m[2]), 10, 64)
		sub["epoch"], sub["since"] = string(m[1]), seq
	}
	rows := []int64{}
	for _, m := range rowID.FindAllSubmatch(body, -1) {
		if id, err := strconv.ParseInt(string(m[1]), 10, 64); err == nil {
			rows = append(rows, id)
		}
	}
	sub["rows"] = rows
	u, _ := url.Parse(s.base)
	// A browser reads what the socket holds in one go: a read buffer of
	// gorilla's default 4 kB would take several reads for most messages.
	d := websocket.Dialer{Jar: p.agent.client.Jar, HandshakeTimeout: 10 * time.Second, ReadBufferSize: 32 << 10}
	conn, _, err := d.DialContext(ctx, "ws://"+u.Host+"/ws", http.Header{"Origin": {s.base}})
	if err != nil {
		return err
	}
	b, _ := json.Marshal(sub)
	if err := conn.WriteMessage(websocket.TextMessage, b); err != nil {
		conn.Close()
		return err
	}
	p.conn = conn
	return nil
}

func (a *teamAgent) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/html")
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %d", u, resp.StatusCode)
	}
	return b, err
}

func (a *teamAgent) post(ctx context.Context, u string, form url.Values) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader([]byte(form.Encode())))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", a.csrf)
	req.Header.Set("HX-Request", "true")
	if resp, err := a.client.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// teamInbound is a message.inbound webhook from phone.
func teamInbound(id, msgID, phone, text string) []byte {
	return []byte(`{"id":"` + id + `","type":"message.inbound","timestamp":` + strconv.FormatInt(time.Now().UnixMilli(), 10) +
		`,"senderId":"snd_bench_1","data":{"messageId":"` + msgID + `","from":"` + phone + `","to":"+15550000000",` +
		`"channel":"whatsapp","messageType":"text","text":"` + text + `"}}`)
}
