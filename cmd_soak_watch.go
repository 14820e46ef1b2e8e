package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// soakWatchEvery is how often, on average, the watched conversation of a
// soak gets a message: each one is timed from its webhook to every page.
// The gaps vary from half to one and a half times that at random: at a
// fixed period the messages would meet the server's renders (one every
// 50 ms or more under load) at a phase that drifts slowly, and each
// report would show where the drift stood (a sawtooth from 5 to 50 ms
// over ten seconds) instead of the latency a customer's message meets.
const soakWatchEvery = 100 * time.Millisecond

// soakWatchPhone is the watched conversation's customer; the list row
// names it (teamServer.conversationIDs finds it by that).
const soakWatchPhone = "+15551009999"

// soakWatch is the live side of a soak: pages of one signed-in agent, each
// a websocket subscribed as app.js subscribes, showing the open list with
// one conversation open. That conversation gets a message every
// soakWatchEvery beside the soak's load, and each page notes when each
// message reaches it.
type soakWatch struct {
	srv     *teamServer
	client  *http.Client
	pages   []*teamPage
	sent    []atomic.Int64 // unix nanoseconds each watched message was sent at; 0: not yet
	count   atomic.Int64   // watched messages sent so far
	dropped atomic.Int64   // pages the server closed
	run     string         // makes the event ids of this soak unique
	wg      sync.WaitGroup
}

// startSoakWatch signs the agent of prepareTeamDB in, makes the watched
// conversation with a first message and opens n pages on it, with room
// to time up to capacity messages.
func startSoakWatch(ctx context.Context, b *benchServer, n, capacity int) (*soakWatch, error) {
	w := &soakWatch{srv: &teamServer{base: b.child.base, secret: b.secret}, client: b.client,
		sent: make([]atomic.Int64, capacity), run: strconv.FormatInt(time.Now().UnixNano(), 36)}
	if err := w.post(ctx, "warm", "Hello"); err != nil {
		return nil, fmt.Errorf("the watched conversation's first message: %w", err)
	}
	ids, err := w.srv.awaitConversationIDs(ctx, []string{soakWatchPhone})
	if err != nil {
		return nil, fmt.Errorf("the watched conversation: %w", err)
	}
	conv := ids[soakWatchPhone]
	agent, err := w.srv.login(ctx, "agent000@bench.example")
	if err != nil {
		return nil, err
	}
	for i := range n {
		p := &teamPage{agent: agent, view: "open", open: conv, seen: make([]uint64, (capacity+63)/64)}
		if err := w.srv.openPage(ctx, p); err != nil {
			w.close()
			return nil, fmt.Errorf("page %d: %w", i, err)
		}
		w.pages = append(w.pages, p)
		w.wg.Go(func() { w.read(p) })
	}
	return w, nil
}

// post sends a message from the watched customer.
func (w *soakWatch) post(ctx context.Context, id, text string) error {
	body := teamInbound("evt_soak_"+w.run+"_"+id, "msg_soak_"+w.run+"_"+id, soakWatchPhone, text)
	code, err := postSigned(ctx, w.client, w.srv.base+"/webhooks/zavu", w.srv.secret, body)
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("status %d", code)
	}
	return err
}

// read notes what the server sends page p until the page is closed.
func (w *soakWatch) read(p *teamPage) {
	if p.read(func(b []byte, at time.Time) {
		p.mu.Lock()
		p.note(b, at, w.sent)
		p.mu.Unlock()
	}) {
		w.dropped.Add(1)
	}
}

// send posts a watched message every soakWatchEvery, on average, until
// ctx ends or there is no room to time more.
func (w *soakWatch) send(ctx context.Context) {
	gap := time.NewTimer(0)
	defer gap.Stop()
	for i := 0; i < len(w.sent); i++ {
		select {
		case <-gap.C:
		case <-ctx.Done():
			return
		}
		gap.Reset(soakWatchEvery/2 + rand.N(soakWatchEvery))
		w.sent[i].Store(time.Now().UnixNano())
		w.count.Store(int64(i + 1))
		// A message refused is not shown: counted as missed by the pages.
		_ = w.post(context.WithoutCancel(ctx), strconv.Itoa(i), "Watched "+string(teamMarker)+strconv.Itoa(i))
	}
}

// take returns how long the watched messages took to reach the pages
// since the last take, and how many pages are connected.
func (w *soakWatch) take() (lat []time.Duration, live int) {
	for _, p := range w.pages {
		p.mu.Lock()
		lat = append(lat, p.lat...)
		p.lat, p.ev = p.lat[:0], p.ev[:0]
		p.mu.Unlock()
	}
	return lat, len(w.pages) - int(w.dropped.Load())
}

// missed counts, over all pages, the watched messages sent before
// before that a page has not shown.
func (w *soakWatch) missed(before time.Time) int {
	sent, cut := int(w.count.Load()), before.UnixNano()
	for sent > 0 && w.sent[sent-1].Load() > cut {
		sent-- // sent in order: the later ones may still be on their way
	}
	n := 0
	for _, p := range w.pages {
		p.mu.Lock()
		for i := range sent {
			if !p.saw(i) {
				n++
			}
		}
		p.mu.Unlock()
	}
	return n
}

// close closes the pages.
func (w *soakWatch) close() {
	for _, p := range w.pages {
		p.closed.Store(true)
		p.conn.Close()
	}
	w.wg.Wait()
}
