package web

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/inbox"
)

// Hub fans changes out to every connected agent's page. One goroutine
// owns the set of clients and is the only one that closes a client's send
// channel. Publish never blocks: when the hub falls behind, it coalesces,
// and at worst tells every page to reload what it shows. A client whose
// buffer is full is dropped; its page reconnects and catches up.
type Hub struct {
	changes    chan inbox.Change
	overflow   atomic.Bool
	register   chan *client
	unregister chan *client
	disconnect chan disconnect
	stop       chan struct{}
	done       chan struct{}
	render     func(ctx context.Context, ch inbox.Change) (*liveUpdate, error)
	log        *slog.Logger

	clients   map[*client]struct{}
	connected atomic.Int64
}

// clientBuffer is how many updates a client may have waiting to be
// written before it counts as too slow and is dropped.
const clientBuffer = 64

// client is one websocket connection of one agent's page.
type client struct {
	hub    *Hub
	conn   *websocket.Conn
	send   chan []byte
	userID int64
	loc    *time.Location // the agent's time zone
	// session is the token of the browser session the page belongs to.
	session string
	// closeCode is what the connection is closed with when the hub closes
	// send: 1012 when the server restarts, 1013 when the client was too
	// slow (both make the page reconnect), 1008 when the user was signed
	// out (the page goes to the sign-in page).
	closeCode atomic.Int32
	// closeReason goes with closeCode; the hub sets it before closing send.
	closeReason string
}

// disconnect asks the hub to close the connections that match, as signed
// out.
type disconnect struct {
	match  func(*client) bool
	reason string
}

func newHub(render func(context.Context, inbox.Change) (*liveUpdate, error), log *slog.Logger) *Hub {
	h := &Hub{
		changes:    make(chan inbox.Change, 4096),
		register:   make(chan *client),
		unregister: make(chan *client),
		disconnect: make(chan disconnect),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		render:     render,
		log:        log,
		clients:    map[*client]struct{}{},
	}
	go h.run()
	return h
}

// Publish queues a change for the live pages. It never blocks.
func (h *Hub) Publish(ch inbox.Change) {
	if ch.Empty() {
		return
	}
	select {
	case h.changes <- ch:
	default:
		h.overflow.Store(true)
	}
}

// Clients is how many pages are connected.
func (h *Hub) Clients() int { return int(h.connected.Load()) }

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

func (h *Hub) signOut(d disconnect) {
	select {
	case h.disconnect <- d:
	case <-h.done:
	}
}

// Close disconnects every page with "service restart", so that each
// reconnects to the next server, and stops the hub.
func (h *Hub) Close() {
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	<-h.done
}

func (h *Hub) run() {
	defer close(h.done)
	for {
		select {
		case c := <-h.register:
			h.clients[c] = struct{}{}
			h.connected.Store(int64(len(h.clients)))
		case c := <-h.unregister:
			h.drop(c, 0)
		case d := <-h.disconnect:
			for c := range h.clients {
				if d.match(c) {
					c.closeReason = d.reason
					h.drop(c, websocket.ClosePolicyViolation)
				}
			}
		case ch := <-h.changes:
			h.broadcast(h.coalesce(ch))
		case <-h.stop:
			for c := range h.clients {
				h.drop(c, websocket.CloseServiceRestart)
			}
			return
		}
		if h.overflow.Swap(false) {
			h.send(func(*client) []byte { return resyncMessage })
		}
	}
}

// coalesce merges ch with every change already waiting, so a burst of
// webhooks costs one render.
func (h *Hub) coalesce(ch inbox.Change) inbox.Change {
	ch = mergeChanges(inbox.Change{}, ch) // a copy the hub owns
	for range 256 {
		select {
		case more := <-h.changes:
			ch = mergeChanges(ch, more)
		default:
			return ch
		}
	}
	return ch
}

func (h *Hub) broadcast(ch inbox.Change) {
	if len(h.clients) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, err := h.render(ctx, ch)
	if err != nil {
		h.log.Warn("live update not rendered; pages will reload", "err", err)
		h.send(func(*client) []byte { return resyncMessage })
		return
	}
	h.send(u.forClient)
}

// send gives each client its message, dropping those with a full buffer.
func (h *Hub) send(msg func(*client) []byte) {
	for c := range h.clients {
		select {
		case c.send <- msg(c):
		default:
			h.log.Warn("live client too slow; disconnected", "user_id", c.userID)
			h.drop(c, websocket.CloseTryAgainLater)
		}
	}
}

func (h *Hub) drop(c *client, code int) {
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	h.connected.Store(int64(len(h.clients)))
	c.closeCode.Store(int32(code))
	close(c.send)
}

func mergeChanges(a, b inbox.Change) inbox.Change {
	for _, id := range b.ConversationIDs {
		a.ConversationIDs = appendUnique(a.ConversationIDs, id)
	}
	for _, id := range b.MessageIDs {
		a.MessageIDs = appendUnique(a.MessageIDs, id)
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
