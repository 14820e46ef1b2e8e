package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/inbox"
	"switchboard/views"
)

// Hub fans committed changes out to the pages that show them. See the
// package documentation ("Live updates") for the whole path.
//
// Three goroutines share the work:
//   - Publish, called by whoever committed, numbers the change and queues
//     it without ever blocking; when the queue is full the change is
//     dropped and the pages are later told to fetch again (a resync).
//   - The render goroutine (renderLoop) coalesces what is queued, loads it
//     from the store and renders each fragment once for every agent.
//   - The hub goroutine (run) owns the clients, their subscriptions and a
//     short history of recent updates; it only routes bytes. Only it
//     closes a client's send channel; a client whose buffer is full is
//     dropped (1013), and its page reconnects and catches up.
type Hub struct {
	epoch string // this run's name; a page from another run fetches again

	mu        sync.Mutex // orders numbering and queueing in Publish
	published atomic.Uint64
	changes   chan numberedChange
	overflow  atomic.Bool
	team      atomic.Bool   // the team changed: send the picker's options again
	wake      chan struct{} // wakes the renderer for a team change

	updates    chan *update
	register   chan *client
	unregister chan *client
	subscribe  chan subscribeRequest
	presence   chan presenceRequest
	direct     chan directMessage
	disconnect chan disconnect
	stop       chan struct{}
	stopOnce   sync.Once
	done       chan struct{}
	renderDone chan struct{}
	renderer   liveRenderer
	renderCtx  context.Context // ends when the hub closes: no render outlives it
	endRenders context.CancelFunc
	log        *slog.Logger

	clients map[*client]struct{}
	shown   shownRows // the list rows each page has
	// routing is, while an update is routed, the sets of pages that have
	// the rows of its conversations (as u.convs), and scratch a message's
	// parts while it is made.
	routing   []*pageBits
	scratch   [][]byte
	recent    []*update // the latest updates, oldest first, for pages that catch up
	recentLen int       // the size of their fragments
	// staleBelow: a page whose position is below it may need an update
	// dropped from recent, and fetches again instead (see subscribeClient).
	staleBelow uint64
	connected  atomic.Int64
	// routeTook is how long the hub goroutine took to route the last
	// update to the pages, in nanoseconds (see renderGap).
	routeTook atomic.Int64
	slow      atomic.Int64 // clients dropped for being too slow, since start

	// Presence (presence.go), owned by the hub goroutine.
	viewers       map[int64]map[*client]struct{} // by open conversation
	presenceSent  map[int64][]byte               // what each thread's pages were last sent
	presenceDirty map[int64]struct{}             // threads a page left by disconnecting
	presenceTick  <-chan time.Time               // when to look for pages gone quiet
	now           func() time.Time

	// View counts (counts.go): the bases pages show, and what the render
	// goroutine last counted.
	bases      countBases
	countState countState
	// Messages for one user (notices, read marks) wait for the next
	// update to go in the same message to each page, at most directHold:
	// held are the pages with some waiting, holdUntil fires when they go.
	held       map[*client]struct{}
	holdUntil  <-chan time.Time
	directHold time.Duration

	// threadSent is what the render goroutine last sent of each
	// conversation: its row and thread parts.
	threadSent threadSent

	// relay tells the other processes what is published (relay.go); nil
	// without a live bus.
	relay atomic.Pointer[func(inbox.LiveNote)]
	// pr is presence on the other processes, owned by the hub goroutine
	// (presence_relay.go); elsewhere brings what they send.
	pr        presenceRelay
	elsewhere chan presenceElsewhere
	// pages are the users with live pages here, for the other processes,
	// owned by the hub goroutine; online is what they said of theirs
	// (pages_relay.go).
	pages  pagesRelay
	online pagesElsewhere
	// askedAgain: a process that just started asked to be told everything
	// (relayHello); the next sweep tells it without waiting for the beat.
	askedAgain atomic.Bool
	// othersHeardBy is when, after this process joined the bus, the others
	// have had time to answer its hello (unix nanoseconds; 0: no bus).
	othersHeardBy atomic.Int64
}

// liveRenderer turns changes into fragments; the Server implements it.
type liveRenderer interface {
	renderChange(ctx context.Context, ch inbox.Change) (*update, error)
	renderTeam(ctx context.Context) ([]byte, error)
}

type numberedChange struct {
	seq uint64
	ch  inbox.Change
}

// Sizes of the hub's queues and history.
const (
	// clientBuffer is how many messages a client may have waiting to be
	// written before it counts as too slow and is dropped.
	clientBuffer = 64
	// recentUpdates is how many updates the hub keeps for pages that
	// reconnect or subscribe after a fragment was fetched.
	recentUpdates = 256
	// coalesceMax is the most changes merged into one render, and
	// coalesceWindow how long the renderer waits for more after a first
	// change that finds it idle.
	coalesceMax    = 256
	coalesceWindow = 5 * time.Millisecond
	// renderEvery is the least time from one render to the next. Every
	// render is a message to each page that shows what changed, and each
	// message costs the server a system call per page and the page a
	// wake-up: under a steady stream of changes, those that come within
	// renderEvery of the last render wait for the next and go together.
	// A change that finds the renderer idle waits only coalesceWindow.
	// When rendering and writing to the pages take long (many pages, or
	// a machine short of CPU), renders come further apart (renderGap).
	renderEvery = 50 * time.Millisecond
	// renderEveryMax is the furthest apart renders come under load.
	renderEveryMax = 200 * time.Millisecond
	// fanoutShare bounds the time rendering and routing take, as a share
	// (1/fanoutShare) of the time between renders: the rest is left to
	// webhooks, page requests and the pages themselves.
	fanoutShare = 2
	// directHold is the longest a message for one user (a notice, a read
	// mark) waits for the next update, to go to each page in the same
	// message: under a steady stream of changes, a page then gets one
	// message per render.
	directHold = renderEvery
	// recentBytes bounds the history of recent updates by the size of
	// their fragments too: a page that reconnects after the history has
	// moved past it fetches what it shows again.
	recentBytes = 8 << 20
)

// client is one websocket connection of one agent's page.
type client struct {
	hub    *Hub
	conn   *websocket.Conn
	raw    net.Conn      // under conn: the write pump writes updates to it (see write)
	send   chan [][]byte // each message is written as the concatenation of its parts
	userID int64
	name   string // the agent's, as their teammates see it beside a thread
	// session is the token of the browser session the page belongs to.
	session string

	// Owned by the hub goroutine.
	sub      subscription
	slot     int // the page's bit in the sets of pages that have a row (Hub.shown)
	presence pagePresence
	// counts are the view counts the page shows (by key, see counts.go)
	// and countBases the filters they need counted.
	counts     map[string]struct{}
	countBases []countBase

	// held are the user's messages waiting for the next update (see
	// Hub.held); owned by the hub goroutine.
	held [][]byte

	// closeCode is what the connection is closed with when the hub closes
	// send: 1012 when the server restarts, 1013 when the client was too
	// slow (both make the page reconnect), 1008 when the user was signed
	// out (the page goes to the sign-in page), 4029 when the page sent
	// too many messages (set by the read pump; the page waits, then
	// reconnects).
	closeCode atomic.Int32
	// closeReason goes with closeCode; the hub sets it before closing send.
	closeReason string
	// readDone is closed when the read pump ends (nil: not waited for).
	readDone chan struct{}

	// The write pump's scratch space for a message's frame.
	hdr [10]byte
	iov net.Buffers

	// Direct writes by the hub goroutine (live_direct.go): direct is nil
	// when the socket cannot be written without waiting. wmu is held by
	// whoever writes a frame; queued counts the messages in send not yet
	// written; rest is what the socket did not take of a direct write.
	direct *directWriter
	wmu    sync.Mutex
	queued atomic.Int32
	rest   net.Buffers
}

// subscription is what a page shows: a list view and an open thread.
type subscription struct {
	list *listView // nil: no list
	open int64     // the open conversation, 0 for none
}

// listView is a list's filter, as the inbox pages have it.
type listView struct {
	View    string // open, mine, unassigned, snoozed, resolved
	Sender  string
	Channel string
	Label   string
}

// matches reports whether the list of userID shows conversation c.
func (l *listView) matches(userID int64, c *liveConv) bool {
	if l.Sender != "" && l.Sender != c.sender {
		return false
	}
	if l.Channel != "" && l.Channel != string(c.channel) {
		return false
	}
	if l.Label != "" && !slices.ContainsFunc(c.labels, func(n string) bool { return strings.EqualFold(n, l.Label) }) {
		return false
	}
	switch l.View {
	case "resolved":
		return c.status == inbox.Resolved
	case "snoozed":
		return c.status == inbox.Snoozed
	case "mine":
		return c.status == inbox.Open && c.assignee == userID
	case "unassigned":
		return c.status == inbox.Open && c.assignee == 0
	}
	return c.status == inbox.Open
}

// subscribeRequest replaces a client's subscription and asks for every
// update after since (a change number of the run epoch).
type subscribeRequest struct {
	c     *client
	sub   subscription
	rows  []int64
	epoch string
	since uint64
	// counts and countBases are the view counts the page shows.
	counts     map[string]struct{}
	countBases []countBase
}

// directMessage goes to every page of one user as it is.
type directMessage struct {
	userID int64
	msg    []byte
}

// disconnect asks the hub to close the connections that match, as signed
// out.
type disconnect struct {
	match  func(*client) bool
	reason string
}

// update is one rendered batch of changes: every fragment rendered once,
// with what the hub needs to route each.
type update struct {
	covers uint64 // every change numbered up to this one is in it or in an earlier update
	// readEnd is a position numbered once the update's reads of the
	// store were over: what it shows may be newer than the changes it
	// covers, and a page whose position is below readEnd may have read
	// what it shows before the update did.
	readEnd  uint64
	resync   bool   // changes were lost: pages fetch what they show again
	marker   []byte // tells the page how far it has come
	messages []liveMessage
	convs    []liveConv
	deleted  []byte // removes merged placeholders from the threads of convs
	team     []byte
	counts   []liveCount // view counts that changed
	size     int         // of the fragments, set by the hub when it keeps the update
	at       time.Time   // when it was rendered
}

// liveMessage is a bubble for its thread.
type liveMessage struct {
	conv int64
	html []byte
}

// liveConv is one changed conversation: its list row, its thread's
// header, details and composer, and what decides which lists show it.
type liveConv struct {
	id       int64
	status   inbox.ConversationStatus
	assignee int64
	sender   string
	channel  inbox.Channel
	labels   []string
	row      []byte    // nil when the pages have it already (see threadSent)
	rowUntil time.Time // when the row may change with no change to tell it (zero: never)
	gone     []byte    // removes the row from a list that no longer shows it
	// The thread's parts: its header, details and composer, each nil when
	// the pages already have it (see threadSent). For a conversation
	// deleted since, head alone, saying so to a page that has it open.
	head, details, composer []byte
	composerMode            string    // what the composer offers (views.ComposerView.Mode)
	composerUntil           time.Time // when that may change with no change to tell it (zero: never)
}

func newHub(r liveRenderer, log *slog.Logger) *Hub {
	tick := time.NewTicker(presenceSweep)
	h := newHubWith(r, log, tick.C, time.Now)
	go func() { <-h.done; tick.Stop() }()
	return h
}

// newHubWith is newHub with the presence sweep's ticks and clock given.
func newHubWith(r liveRenderer, log *slog.Logger, presenceTick <-chan time.Time, now func() time.Time) *Hub {
	var e [6]byte
	_, _ = rand.Read(e[:])
	renderCtx, endRenders := context.WithCancel(context.Background())
	h := &Hub{
		renderCtx:  renderCtx,
		endRenders: endRenders,
		epoch:      hex.EncodeToString(e[:]),
		changes:    make(chan numberedChange, 4096),
		wake:       make(chan struct{}, 1),
		updates:    make(chan *update, 16),
		register:   make(chan *client),
		unregister: make(chan *client),
		subscribe:  make(chan subscribeRequest),
		presence:   make(chan presenceRequest),
		direct:     make(chan directMessage, 256),
		disconnect: make(chan disconnect),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		renderDone: make(chan struct{}),
		renderer:   r,
		log:        log,
		clients:    map[*client]struct{}{},
		held:       map[*client]struct{}{},
		directHold: directHold,

		viewers:       map[int64]map[*client]struct{}{},
		presenceSent:  map[int64][]byte{},
		presenceDirty: map[int64]struct{}{},
		presenceTick:  presenceTick,
		elsewhere:     make(chan presenceElsewhere, 256),
		now:           now,
	}
	go h.renderLoop()
	go h.run()
	return h
}

// Publish queues a committed change for the live pages. It never blocks.
// With a live bus (relay.go), the other processes hear of it too.
func (h *Hub) Publish(ch inbox.Change) {
	if ch.Empty() {
		return
	}
	h.publishHere(ch)
	h.tellOthers(inbox.LiveNote{Change: ch})
}

// TeamChanged tells the pages that the team changed (an agent was added,
// renamed, deactivated or reactivated, a label added, renamed or
// deleted), so their assignee and label pickers follow.
func (h *Hub) TeamChanged() {
	h.teamChangedHere()
	h.tellOthers(inbox.LiveNote{Kind: relayTeam})
}

// Mark is where the live stream stands now. A page or fragment takes it
// before reading the store; when the page subscribes with it, every
// change committed after the read reaches it.
func (h *Hub) Mark() views.LiveMark { return views.LiveMark{Epoch: h.epoch, Seq: h.published.Load()} }

// Clients is how many pages are connected.
func (h *Hub) Clients() int { return int(h.connected.Load()) }

// SlowDropped is how many pages were disconnected for reading too slowly
// since the server started.
func (h *Hub) SlowDropped() int64 { return h.slow.Load() }

// Disconnect closes every live connection of the user at once, with 1008
// (policy violation) and reason, on which the page stops reconnecting and
// goes to the sign-in page. Pages of the session keepSession, when it is
// not empty, stay connected: an admin who resets their own password keeps
// the tab they did it in.
func (h *Hub) Disconnect(userID int64, keepSession, reason string) {
	h.signOut(disconnect{reason: reason, match: func(c *client) bool {
		return c.userID == userID && (keepSession == "" || c.session != keepSession)
	}})
}

// DisconnectSession closes the live connections of one browser session,
// as Disconnect does: for signing out.
func (h *Hub) DisconnectSession(session, reason string) {
	if session == "" {
		return
	}
	h.signOut(disconnect{reason: reason, match: func(c *client) bool { return c.session == session }})
}

func (h *Hub) signOut(d disconnect) {
	select {
	case h.disconnect <- d:
	case <-h.done:
	}
}

// sendUser gives every page of the user msg, unless the hub is too busy
// to take it (it is only ever a convenience, such as a read mark).
func (h *Hub) sendUser(userID int64, msg []byte) {
	select {
	case h.direct <- directMessage{userID: userID, msg: msg}:
	default:
	}
}

// Close disconnects every page with "service restart", so that each
// reconnects to the next server, and stops the hub.
func (h *Hub) Close() {
	h.stopOnce.Do(func() { close(h.stop) })
	h.endRenders()
	<-h.done
	<-h.renderDone
}

// renderLoop renders what Publish queued, a batch at a time, and hands
// the result to the hub goroutine.
func (h *Hub) renderLoop() {
	defer close(h.renderDone)
	var covers uint64
	var last time.Time     // when the last render began
	var cost time.Duration // what a render and its routing took lately
	for {
		var batch inbox.Change
		var have bool
		select {
		case nc := <-h.changes:
			until := time.Now().Add(coalesceWindow)
			if next := last.Add(renderGap(cost)); next.After(until) {
				until = next
			}
			batch, have = h.coalesce(nc, &covers, until), true
			last = time.Now()
		case <-h.wake:
		case <-h.stop:
			return
		}
		if h.renderCtx.Err() != nil {
			return
		}
		var out []*update
		if h.team.Swap(false) {
			ctx, cancel := context.WithTimeout(h.renderCtx, 5*time.Second)
			b, err := h.renderer.renderTeam(ctx)
			cancel()
			if err != nil {
				h.log.Warn("team not rendered for live pages", "err", err)
			} else {
				out = append(out, &update{covers: covers, team: b})
			}
		}
		switch {
		case have && h.connected.Load() == 0:
			// No page to render for. A page that connects later and
			// missed this change fetches what it shows again.
			out = append(out, &update{covers: covers, resync: true})
			h.countState.forget()
			h.threadSent.forget()
		case have:
			ctx, cancel := context.WithTimeout(h.renderCtx, 5*time.Second)
			u, err := h.renderer.renderChange(ctx, batch)
			if err != nil {
				h.log.Warn("live update not rendered; pages will fetch again", "err", err)
				u = &update{resync: true}
				h.countState.forget()
				h.threadSent.forget()
			}
			u.covers = covers
			if !u.resync {
				h.threadSent.leaveOutSent(u)
			}
			out = append(out, u)
			if !u.resync {
				// The counts it changed go in the same message to each page.
				if cu := h.renderCounts(ctx, u, batch.ConversationIDs, covers); cu != nil {
					u.counts = append(u.counts, cu.counts...)
				}
			}
			cancel()
		default:
			// Woken: a page shows a view whose count no page showed.
			ctx, cancel := context.WithTimeout(h.renderCtx, 5*time.Second)
			if cu := h.renderCounts(ctx, nil, nil, covers); cu != nil {
				out = append(out, cu)
			}
			cancel()
		}
		if have {
			took := time.Since(last) + time.Duration(h.routeTook.Load())
			cost = (3*cost + took) / 4
		}
		if h.overflow.Swap(false) {
			h.countState.forget()
			h.threadSent.forget()
			// Changes were dropped: those numbered up to now are covered
			// only by fetching again.
			covers = max(covers, h.published.Load())
			out = append(out, &update{covers: covers, resync: true})
		}
		var readEnd uint64
		if len(out) > 0 {
			// Every read of this round is over: a page that takes its
			// position from now on reads after them.
			h.mu.Lock()
			readEnd = h.published.Add(1)
			h.mu.Unlock()
		}
		for _, u := range out {
			u.readEnd = readEnd
			u.marker = []byte(`<i data-live="seq" data-seq="` + strconv.FormatUint(u.covers, 10) + `" hidden></i>`)
			select {
			case h.updates <- u:
			case <-h.stop:
				return
			}
		}
	}
}

// yieldEvery is how many pages the hub routes an update to before it lets
// the goroutines waiting for a core run: on a machine of few cores the
// writes to a thousand pages would otherwise hold one for milliseconds.
const yieldEvery = 64

// renderGap is the least time from one render to the next under a steady
// stream of changes, given what a render and routing it to the pages took
// lately: renderEvery, or more when they take over 1/fanoutShare of it, up
// to renderEveryMax. Every render is a message to each page that shows
// what changed, which costs the server a system call per page: when that
// work grows (a whole team's pages, a machine short of CPU), changes wait
// longer and go together, in fewer messages, rather than queueing up
// behind the renders; a quiet desk's renders stay as quick as before.
func renderGap(cost time.Duration) time.Duration {
	return min(max(renderEvery, fanoutShare*cost), renderEveryMax)
}

// coalesce merges nc with the changes that come until then, so that a
// burst of webhooks costs one render and one message to each page, and
// raises covers to the last number.
func (h *Hub) coalesce(nc numberedChange, covers *uint64, until time.Time) inbox.Change {
	ch := mergeChanges(inbox.Change{}, nc.ch) // a copy the renderer owns
	*covers = max(*covers, nc.seq)
	window := time.NewTimer(time.Until(until))
	defer window.Stop()
	for range coalesceMax - 1 {
		select {
		case more := <-h.changes:
			ch = mergeChanges(ch, more.ch)
			*covers = max(*covers, more.seq)
		case <-window.C:
			return ch
		case <-h.stop:
			return ch
		}
	}
	return ch
}

func (h *Hub) run() {
	defer close(h.done)
	for {
		select {
		case c := <-h.register:
			h.clients[c] = struct{}{}
			c.slot = h.shown.take()
			h.connected.Store(int64(len(h.clients)))
			h.pages.opened(c.userID)
		case c := <-h.unregister:
			h.drop(c, 0)
		case r := <-h.subscribe:
			h.subscribeClient(r)
		case r := <-h.presence:
			h.presenceFrom(r)
		case <-h.presenceTick:
			h.sweepPresence()
			if h.askedAgain.Swap(false) {
				h.pr.beat, h.pages.beat = time.Time{}, time.Time{}
			}
			h.relayPresence()
			h.relayPages()
		case e := <-h.elsewhere:
			h.presenceFromElsewhere(e)
		case d := <-h.disconnect:
			for c := range h.clients {
				if d.match(c) {
					c.closeReason = d.reason
					h.drop(c, websocket.ClosePolicyViolation)
				}
			}
		case m := <-h.direct:
			for c := range h.clients {
				if c.userID == m.userID {
					c.held = append(c.held, m.msg)
					h.held[c] = struct{}{}
				}
			}
			if h.holdUntil == nil && len(h.held) > 0 {
				h.holdUntil = time.After(h.directHold)
			}
		case <-h.holdUntil:
			h.holdUntil = nil
			for c := range h.held {
				delete(h.held, c)
				parts := c.held
				c.held = nil
				h.deliver(c, parts)
			}
		case u := <-h.updates:
			began := time.Now()
			h.remember(u)
			h.routing = h.routing[:0]
			for i := range u.convs {
				h.routing = append(h.routing, h.shown.byConv[u.convs[i].id])
			}
			n := 0
			for c := range h.clients {
				h.route(c, u)
				if n++; n%yieldEvery == 0 {
					// Webhooks and page requests waiting for a core go
					// first: a page waits a moment longer, an
					// acknowledgement does not.
					runtime.Gosched()
				}
			}
			clear(h.routing)
			if !u.resync && u.team == nil {
				h.routeTook.Store(int64(time.Since(began)))
			}
		case <-h.stop:
			for c := range h.clients {
				h.drop(c, websocket.CloseServiceRestart)
			}
			if h.pr.proc != 0 {
				h.relayPages() // the other processes stop counting these pages at once
			}
			return
		}
		h.flushPresence()
	}
}

// remember keeps u in the history of recent updates.
func (h *Hub) remember(u *update) {
	u.size = u.bytes()
	h.recent = append(h.recent, u)
	h.recentLen += u.size
	for len(h.recent) > recentUpdates || (h.recentLen > recentBytes && len(h.recent) > 1) {
		h.staleBelow = max(h.staleBelow, h.recent[0].neededBelow())
		h.recentLen -= h.recent[0].size
		h.recent[0] = nil
		h.recent = h.recent[1:]
	}
}

// neededBelow is the position below which a page that subscribes needs
// u: u covers changes after it, or u read the store after the page may
// have. A later update leaves out the rows and thread parts u sent
// (threadSent), so a page that read before u did must have u, though u
// covers nothing past the page's position. A resync is needed only by the
// pages it covers changes for.
func (u *update) neededBelow() uint64 {
	if u.resync {
		return u.covers
	}
	return max(u.covers, u.readEnd)
}

// bytes is the size of the update's fragments.
func (u *update) bytes() int {
	n := len(u.marker) + len(u.deleted) + len(u.team)
	for _, m := range u.messages {
		n += len(m.html)
	}
	for _, c := range u.convs {
		n += len(c.row) + len(c.gone) + len(c.head) + len(c.details) + len(c.composer)
	}
	for _, c := range u.counts {
		n += len(c.html)
	}
	return n
}

// subscribeClient sets what the client's page shows and sends it every
// update it needs (after the change it asks from, or read after it; see
// neededBelow), or, when the hub no longer has them all (another run, or
// too long ago), tells it to fetch again.
func (h *Hub) subscribeClient(r subscribeRequest) {
	c := r.c
	if _, ok := h.clients[c]; !ok {
		return
	}
	was := c.sub.open
	c.sub = r.sub
	h.openChanged(c, was)
	if _, ok := h.clients[c]; !ok {
		return // dropped: too slow to take the thread's presence
	}
	h.setCounts(c, r.counts, r.countBases)
	h.shown.replace(c.slot, r.rows)
	if r.epoch != h.epoch || r.since < h.staleBelow {
		h.deliver(c, [][]byte{resyncMessage})
		return
	}
	// What the page missed goes as one message, however many updates it
	// spans, so that catching up never overflows its buffer.
	var parts [][]byte
	for _, u := range h.recent {
		if r.since < u.neededBelow() {
			parts = append(parts, h.partsFor(c, u, nil, nil)...)
		}
	}
	if parts != nil {
		h.deliver(c, parts)
	}
}

// resyncMessage tells a page to fetch what it shows again.
var resyncMessage = []byte(`<i data-live="resync" hidden></i>`)

// route sends the client the parts of u its page shows, if any, after
// the messages held for it.
func (h *Hub) route(c *client, u *update) {
	parts := h.partsFor(c, u, h.routing, h.scratch[:0])
	if c.held != nil {
		parts = append(c.held, parts...)
		c.held = nil
		delete(h.held, c)
	} else if parts != nil {
		h.scratch = parts[:0]
		if h.tryDeliver(c, parts) {
			clear(parts) // let the fragments go with the update
			return
		}
		parts = append([][]byte(nil), parts...) // the scratch stays the hub's
	}
	if parts != nil {
		h.deliver(c, parts)
	}
}

// partsFor is what of u the client's page shows, appended to buf, nil for
// nothing; it notes the rows the page now has. shown, when not nil, is
// the sets of pages that have the rows of u.convs.
func (h *Hub) partsFor(c *client, u *update, shown []*pageBits, buf [][]byte) [][]byte {
	if u.resync {
		return append(buf, u.marker, resyncMessage)
	}
	var parts [][]byte
	add := func(b []byte) {
		if parts == nil {
			parts = append(buf, u.marker)
		}
		parts = append(parts, b)
	}
	if c.sub.open != 0 {
		for _, m := range u.messages {
			if m.conv == c.sub.open {
				add(m.html)
			}
		}
	}
	for i := range u.convs {
		cv := &u.convs[i]
		if cv.id == c.sub.open {
			for _, b := range [][]byte{cv.head, cv.details, cv.composer} {
				if b != nil {
					add(b)
				}
			}
			if u.deleted != nil {
				add(u.deleted)
			}
		}
		if l := c.sub.list; l != nil && cv.row != nil {
			var pages *pageBits
			if shown != nil {
				pages = shown[i]
			} else {
				pages = h.shown.byConv[cv.id]
			}
			has := pages.has(c.slot)
			if l.matches(c.userID, cv) {
				add(cv.row)
				if !has {
					if pages == nil {
						pages = h.shown.bits(cv.id)
						if shown != nil {
							shown[i] = pages
						}
					}
					pages.set(c.slot)
				}
			} else if has {
				add(cv.gone)
				if pages.unset(c.slot) {
					delete(h.shown.byConv, cv.id)
					if shown != nil {
						shown[i] = nil
					}
				}
			}
		}
	}
	if u.team != nil {
		add(u.team)
	}
	c.countsFor(u, add)
	return parts
}

// deliver queues a message for the client, dropping the client when its
// buffer is full.
func (h *Hub) deliver(c *client, parts [][]byte) {
	if h.tryDeliver(c, parts) {
		return
	}
	c.queued.Add(1)
	select {
	case c.send <- parts:
	default:
		c.queued.Add(-1)
		h.log.Warn("live client too slow; disconnected", "user_id", c.userID)
		h.slow.Add(1)
		h.drop(c, websocket.CloseTryAgainLater)
	}
}

func (h *Hub) drop(c *client, code int) {
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	delete(h.held, c)
	h.pages.closed(c.userID)
	h.shown.release(c.slot)
	h.connected.Store(int64(len(h.clients)))
	h.bases.remove(c.countBases)
	c.countBases = nil
	if code != 0 || c.closeCode.Load() == 0 {
		c.closeCode.Store(int32(code)) // else the read pump's (closeTooManyMessages)
	}
	close(c.send)
	if id := c.sub.open; id != 0 {
		h.leave(c, id)
		h.presenceDirty[id] = struct{}{} // told after what is under way (see flushPresence)
	}
}

func mergeChanges(a, b inbox.Change) inbox.Change {
	for _, id := range b.ConversationIDs {
		a.ConversationIDs = appendUnique(a.ConversationIDs, id)
	}
	for _, id := range b.MessageIDs {
		a.MessageIDs = appendUnique(a.MessageIDs, id)
	}
	for _, id := range b.DeletedMessageIDs {
		a.DeletedMessageIDs = appendUnique(a.DeletedMessageIDs, id)
	}
	return a
}

func appendUnique(ids []int64, id int64) []int64 {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}
