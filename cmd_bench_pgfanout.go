package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"switchboard/inbox"
	"switchboard/store"
)

// fanoutFigures are live fan-out on PostgreSQL: webhooks posted to one
// Switchboard process, agents' pages connected to another (or, for
// comparison, to the same one), timed from each webhook's send to the
// moment a page shows it.
type fanoutFigures struct {
	PagesOn      string  `json:"pagesOn"` // "other process" or "same process"
	Pages        int     `json:"pages"`
	Rate         int     `json:"ratePerSec"`
	Seconds      float64 `json:"seconds"`
	Events       int     `json:"events"`
	Deliveries   int     `json:"deliveries"`
	FanoutP50Ms  float64 `json:"fanoutP50Ms"`
	FanoutP99Ms  float64 `json:"fanoutP99Ms"`
	FanoutMaxMs  float64 `json:"fanoutMaxMs"`
	ThreadMissed int     `json:"threadBubblesMissed"`
	ListMissed   int     `json:"openListRowsBehind"`
	AckFailed    int     `json:"ackFailed"`
	PagesDropped int     `json:"pagesDropped"`
}

// fanoutSizes bound the fan-out run: pages of agents, the conversations
// the events go to, and a steady rate for a duration.
type fanoutSizes struct {
	agents, pagesPerAgent, hot, rate int
	duration                         time.Duration
}

// benchPostgresFanout measures live fan-out between the first two servers
// on the schema at schemaURL: webhooks always go to servers[0]; pages sit
// on servers[0] (within the process) for comparison, then on servers[1]
// (across processes, through PostgreSQL's notifications).
func benchPostgresFanout(ctx context.Context, servers []*benchServer, schemaURL string, sz fanoutSizes, progress func(string)) ([]fanoutFigures, error) {
	a := &teamServer{base: servers[0].child.base, secret: servers[0].secret}
	b := &teamServer{base: servers[1].child.base, secret: servers[1].secret}
	progress(fmt.Sprintf("PostgreSQL fan-out: %d agents, %d conversations...", sz.agents, sz.hot))
	if err := fanoutAgents(ctx, schemaURL, sz.agents); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	hot := make([]string, sz.hot)
	for i := range hot {
		hot[i] = fmt.Sprintf("+1555100%04d", i)
		body := teamInbound(fmt.Sprintf("evt_fanout_warm_%d", i), fmt.Sprintf("msg_fanout_warm_%d", i), hot[i], "Hello")
		if code, err := postSigned(ctx, client, a.base+"/webhooks/zavu", a.secret, body); err != nil || code != http.StatusOK {
			return nil, fmt.Errorf("warm-up webhook: %d %v", code, err)
		}
	}
	convOf, err := b.awaitConversationIDs(ctx, hot)
	if err != nil {
		return nil, err
	}
	var out []fanoutFigures
	for _, on := range []struct {
		name string
		s    *teamServer
	}{{"same process", a}, {"other process", b}} {
		progress(fmt.Sprintf("PostgreSQL fan-out: %d pages on the %s, %d webhooks/s for %s...",
			sz.agents*sz.pagesPerAgent, on.name, sz.rate, sz.duration))
		f, err := fanoutRun(ctx, a, on.s, client, hot, convOf, sz)
		if err != nil {
			return out, err
		}
		f.PagesOn = on.name
		out = append(out, f)
	}
	return out, nil
}

// fanoutAgents adds the agents, with a cheap password hash so that signing
// them in is quick.
func fanoutAgents(ctx context.Context, schemaURL string, agents int) error {
	db, err := store.Open(schemaURL)
	if err != nil {
		return err
	}
	defer db.Close()
	hash, err := bcrypt.GenerateFromPassword([]byte(teamPassword), bcrypt.MinCost)
	if err != nil {
		return err
	}
	for i := range agents {
		u := inbox.User{Email: fmt.Sprintf("agent%03d@bench.example", i), Name: fmt.Sprintf("Agent %03d", i),
			Role: inbox.RoleAgent, PasswordHash: string(hash), Active: true, CreatedAt: time.Now()}
		if err := db.CreateUser(ctx, &u); err != nil {
			return err
		}
	}
	return nil
}

// fanoutRun opens the pages on pagesOn, sends webhooks to hooks at
// sz.rate for sz.duration, and times each event from its send to each
// page it shows in, as benchTeam does.
func fanoutRun(ctx context.Context, hooks, pagesOn *teamServer, client *http.Client, hot []string, convOf map[string]int64, sz fanoutSizes) (f fanoutFigures, err error) {
	f.Pages, f.Rate = sz.agents*sz.pagesPerAgent, sz.rate
	agents := make([]*teamAgent, sz.agents)
	for i := range agents {
		if agents[i], err = pagesOn.login(ctx, fmt.Sprintf("agent%03d@bench.example", i)); err != nil {
			return f, err
		}
	}
	pages := make([]*teamPage, 0, f.Pages)
	defer func() {
		for _, p := range pages {
			p.closed.Store(true)
			p.conn.Close()
		}
	}()
	for i := range f.Pages {
		p := &teamPage{agent: agents[i%sz.agents], view: "open", open: convOf[hot[(i*7)%len(hot)]]}
		if err := pagesOn.openPage(ctx, p); err != nil {
			return f, fmt.Errorf("page %d: %w", i, err)
		}
		pages = append(pages, p)
	}
	n := int(sz.duration.Seconds()*float64(sz.rate)) + 1
	sent := make([]atomic.Int64, n) // unix nanoseconds
	for _, p := range pages {
		p.seen = make([]uint64, (n+63)/64)
	}
	var delivered, dropped atomic.Int64
	note := func(p *teamPage, b []byte, at time.Time) { delivered.Add(p.note(b, at, sent)) }
	var wg sync.WaitGroup
	for _, p := range pages {
		wg.Go(func() {
			var fetching atomic.Bool
			if p.read(func(b []byte, at time.Time) {
				p.mu.Lock()
				note(p, b, at)
				p.mu.Unlock()
				// A signal to re-fetch the list is followed as app.js does.
				if bytes.Contains(b, []byte(`id="sb-signal"`)) && fetching.CompareAndSwap(false, true) {
					time.AfterFunc(150*time.Millisecond, func() {
						defer fetching.Store(false)
						body, err := p.agent.get(ctx, pagesOn.base+"/inbox/list?view="+p.view+"&limit=50")
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
	type job struct {
		i    int
		body []byte
	}
	jobs := make(chan job, 1024)
	var ackFailed atomic.Int64
	var senders sync.WaitGroup
	for range 8 {
		senders.Go(func() {
			for j := range jobs {
				sent[j.i].Store(time.Now().UnixNano())
				if code, err := postSigned(ctx, client, hooks.base+"/webhooks/zavu", hooks.secret, j.body); err != nil || code != http.StatusOK {
					ackFailed.Add(1)
				}
			}
		})
	}
	target := make([]string, n)
	rng := rand.New(rand.NewPCG(3, 4))
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
		jobs <- job{i: i, body: teamInbound(fmt.Sprintf("evt_fanout_%d_%d", start.UnixNano(), i),
			fmt.Sprintf("msg_fanout_%d_%d", start.UnixNano(), i), target[i], fmt.Sprintf("teamevt-%d- where is my order?", i))}
	}
	close(jobs)
	senders.Wait()
	f.Seconds = time.Since(start).Seconds()
	f.Events = n - 1
	// Let what is in flight arrive: until nothing new shows for a
	// quarter of a second, 5 s at most.
	for until := time.Now().Add(5 * time.Second); time.Now().Before(until); {
		got := delivered.Load()
		time.Sleep(250 * time.Millisecond)
		if got == delivered.Load() {
			break
		}
	}
	f.PagesDropped = int(dropped.Load())
	for _, p := range pages {
		p.closed.Store(true)
		p.conn.Close()
	}
	wg.Wait()
	var lat []time.Duration
	for _, p := range pages {
		lat = append(lat, p.lat...)
	}
	f.Deliveries = len(lat)
	f.FanoutP50Ms, f.FanoutP99Ms, f.FanoutMaxMs = percentileMs(lat, 50), percentileMs(lat, 99), percentileMs(lat, 100)
	f.AckFailed = int(ackFailed.Load())
	// A page with the event's thread open must show its bubble. Its
	// "open" list shows one row per conversation with the latest message,
	// so two messages to one conversation in one render show as the later
	// one: the row is behind only when neither the event nor any later one
	// of its conversation showed.
	for _, p := range pages {
		later := map[string]bool{}
		for i := f.Events - 1; i >= 0; i-- {
			if target[i] == "" {
				continue
			}
			saw := p.saw(i)
			if convOf[target[i]] == p.open && !saw {
				f.ThreadMissed++
			}
			later[target[i]] = later[target[i]] || saw
			if !later[target[i]] {
				f.ListMissed++
			}
		}
	}
	return f, nil
}
