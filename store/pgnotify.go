package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"switchboard/inbox"
)

// Live updates across processes (PostgreSQL only).
//
// Every Switchboard process on one PostgreSQL database opens a LiveBus.
// What a process commits and tells its own pages, it also sends to the
// others with NOTIFY on one channel (named after the database's schema),
// and each process LISTENs on a connection of its own, outside every
// pool, and hands what the others sent to its own hub. A note carries ids
// only, never content, and a NOTIFY payload stays under PostgreSQL's 8000
// bytes: a note too big for one is split, and when a burst would take
// more than liveMaxSplits payloads the bus sends a resync instead, on
// which every page fetches what it shows again.
//
// Each process names itself with a random origin in every payload, and
// drops what carries its own. When the listening connection is lost, the
// bus connects again with backoff (liveBackoffMin doubling up to
// liveBackoffMax) and then hands its process a resync note: what the
// others sent meanwhile is gone.

const (
	// liveMaxPayload is the largest NOTIFY payload sent; PostgreSQL
	// refuses 8000 bytes and more.
	liveMaxPayload = 7900
	// liveMaxSplits is the most payloads one burst of notes is split into
	// before a resync is sent instead.
	liveMaxSplits = 16
	// liveQueue is how many notes may wait to be sent, and to be handed to
	// the process, before a resync stands for them.
	liveQueue = 4096
	// liveBackoffMin and liveBackoffMax bound the wait between attempts
	// to connect or send again.
	liveBackoffMin = 50 * time.Millisecond
	liveBackoffMax = 5 * time.Second
)

// LiveBus is inbox.LiveBus over PostgreSQL's LISTEN/NOTIFY.
type LiveBus struct {
	cfg     *pgx.ConnConfig
	channel string
	origin  string
	log     *slog.Logger

	sender   *sql.DB // one connection, for pg_notify
	sendName string  // its application_name
	out      chan inbox.LiveNote
	lost     atomic.Bool   // a note was not sent: send a resync
	kick     chan struct{} // wakes the sender for lost
	in       chan inbox.LiveNote

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once

	listener    *pgx.Conn     // the first, connected by OpenLiveBus
	listenerPID atomic.Uint32 // its backend's process id, for tests
}

var _ inbox.LiveBus = (*LiveBus)(nil)

// OpenLiveBus connects to the PostgreSQL database url names and listens
// on its live channel before it returns: a note any other process sends
// after that is heard. Close it when the process stops.
func OpenLiveBus(url string, log *slog.Logger) (*LiveBus, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("live updates: %s: %w", redactURL(url), inbox.ErrInvalid)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &LiveBus{cfg: cfg, log: log, out: make(chan inbox.LiveNote, liveQueue), kick: make(chan struct{}, 1),
		in: make(chan inbox.LiveNote, liveQueue), ctx: ctx, cancel: cancel}
	var o [8]byte
	_, _ = rand.Read(o[:])
	b.origin = hex.EncodeToString(o[:])
	conn, err := b.listen(ctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("live updates: %s: %w", redactURL(url), err)
	}
	b.listener = conn
	// The sending connection names its process in pg_stat_activity.
	send := cfg.Copy()
	if send.RuntimeParams["application_name"] == "" {
		send.RuntimeParams["application_name"] = "switchboard live " + b.origin
	}
	b.sendName = send.RuntimeParams["application_name"]
	b.sender = stdlib.OpenDB(*send)
	b.sender.SetMaxOpenConns(1)
	b.sender.SetMaxIdleConns(1)
	b.wg.Go(b.sendLoop)
	b.wg.Go(b.listenLoop)
	return b, nil
}

// liveChannel is the channel of the schema's processes: its name, or a
// digest of it when that would be too long for an identifier.
func liveChannel(schema string) string {
	name := "switchboard_live." + schema
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(schema))
		name = "switchboard_live." + hex.EncodeToString(sum[:12])
	}
	return name
}

// listen connects and listens on the live channel.
func (b *LiveBus) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, b.cfg)
	if err != nil {
		return nil, err
	}
	if b.channel == "" {
		var schema string
		if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			closeListener(conn)
			return nil, err
		}
		b.channel = liveChannel(schema)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		closeListener(conn)
		return nil, err
	}
	b.listenerPID.Store(conn.PgConn().PID())
	return conn, nil
}

// Notify sends n to the other processes. It never blocks: when too many
// notes wait, a resync goes instead.
func (b *LiveBus) Notify(n inbox.LiveNote) {
	if b.ctx.Err() != nil {
		return
	}
	select {
	case b.out <- n:
	default:
		b.lost.Store(true)
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

// Notes is what the other processes sent, closed when the bus closes.
func (b *LiveBus) Notes() <-chan inbox.LiveNote { return b.in }

// Close stops listening and sending; notes not yet sent are dropped.
func (b *LiveBus) Close() {
	b.closed.Do(func() {
		b.cancel()
		b.wg.Wait()
		b.sender.Close()
		close(b.in)
	})
}

// wait waits d, or until the bus closes; it reports whether it did not.
func (b *LiveBus) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.ctx.Done():
		return false
	}
}

// listenLoop hands the process what the others send, and listens again
// whenever the connection is lost.
func (b *LiveBus) listenLoop() {
	conn := b.listener
	backoff := liveBackoffMin
	for {
		for conn == nil {
			if !b.wait(backoff) {
				return
			}
			backoff = min(2*backoff, liveBackoffMax)
			c, err := b.listen(b.ctx)
			if err != nil {
				if b.ctx.Err() == nil {
					b.log.Warn("live updates from other processes: cannot listen; trying again", "err", err, "in", backoff)
				}
				continue
			}
			conn = c
			b.log.Info("live updates from other processes: listening again")
			// What was sent while no one listened is gone.
			if !b.hand(inbox.LiveNote{Resync: true}) {
				closeListener(conn)
				return
			}
		}
		backoff = liveBackoffMin
		n, err := conn.WaitForNotification(b.ctx)
		if err != nil {
			closeListener(conn)
			conn = nil
			if b.ctx.Err() != nil {
				return
			}
			b.log.Warn("live updates from other processes: connection lost", "err", err)
			continue
		}
		notes, ok := decodeLive(n.Payload, b.origin)
		if !ok {
			continue // this process's own, or not a payload it knows
		}
		for _, ln := range notes {
			if !b.hand(ln) {
				closeListener(conn)
				return
			}
		}
	}
}

// hand gives the process one note; it waits while the process is behind,
// as PostgreSQL keeps what comes meanwhile.
func (b *LiveBus) hand(n inbox.LiveNote) bool {
	select {
	case b.in <- n:
		return true
	case <-b.ctx.Done():
		return false
	}
}

// sendLoop sends the notes Notify queued, those that wait together in as
// few payloads as they fit in.
func (b *LiveBus) sendLoop() {
	backoff := liveBackoffMin
	for {
		var batch []inbox.LiveNote
		select {
		case n := <-b.out:
			batch = append(batch, n)
		case <-b.kick:
		case <-b.ctx.Done():
			return
		}
	drain:
		for len(batch) < liveQueue {
			select {
			case n := <-b.out:
				batch = append(batch, n)
			default:
				break drain
			}
		}
		payloads := b.encode(batch, b.lost.Swap(false))
		for _, p := range payloads {
			if _, err := b.sender.ExecContext(b.ctx, `SELECT pg_notify($1, $2)`, b.channel, p); err != nil {
				if b.ctx.Err() != nil {
					return
				}
				b.log.Warn("live updates to other processes: not sent; they will fetch again", "err", err)
				b.lost.Store(true) // what was not sent, a resync stands for
				if !b.wait(backoff) {
					return
				}
				backoff = min(2*backoff, liveBackoffMax)
				select {
				case b.kick <- struct{}{}:
				default:
				}
				break
			}
			backoff = liveBackoffMin
		}
	}
}

// liveWire is a payload: the origin and its notes.
type liveWire struct {
	Origin string     `json:"o"`
	Notes  []liveNote `json:"n"`
}

// liveNote is inbox.LiveNote on the wire, its empty parts left out.
type liveNote struct {
	Conversations []int64 `json:"c,omitempty"`
	Messages      []int64 `json:"m,omitempty"`
	Deleted       []int64 `json:"d,omitempty"`
	Queued        bool    `json:"q,omitempty"`
	Kind          string  `json:"k,omitempty"`
	IDs           []int64 `json:"i,omitempty"`
	Resync        bool    `json:"r,omitempty"`
}

func toWire(n inbox.LiveNote) liveNote {
	return liveNote{Conversations: n.Change.ConversationIDs, Messages: n.Change.MessageIDs,
		Deleted: n.Change.DeletedMessageIDs, Queued: n.Change.Queued, Kind: n.Kind, IDs: n.IDs, Resync: n.Resync}
}

func (w liveNote) note() inbox.LiveNote {
	return inbox.LiveNote{Change: inbox.Change{ConversationIDs: w.Conversations, MessageIDs: w.Messages,
		DeletedMessageIDs: w.Deleted, Queued: w.Queued}, Kind: w.Kind, IDs: w.IDs, Resync: w.Resync}
}

// encode makes the payloads for a batch of notes, each under
// liveMaxPayload: its changes merged into one, split when too big, or a
// resync instead when resync is set or the change would take more than
// liveMaxSplits payloads; its signals as they are.
func (b *LiveBus) encode(batch []inbox.LiveNote, resync bool) []string {
	one := func(ns ...liveNote) string {
		p, _ := json.Marshal(liveWire{Origin: b.origin, Notes: ns})
		return string(p)
	}
	var change inbox.Change
	seen := [3]map[int64]struct{}{{}, {}, {}}
	var signals []liveNote
	for _, n := range batch {
		switch {
		case n.Resync:
			resync = true
		case n.Kind == "":
			change = mergeLiveChanges(change, n.Change, &seen)
		default:
			signals = append(signals, toWire(n))
		}
	}
	var parts []liveNote
	if !resync && (!change.Empty() || change.Queued) {
		// Split what is too big for a payload of its own.
		pending := []liveNote{toWire(inbox.LiveNote{Change: change})}
		for len(pending) > 0 && !resync {
			n := pending[0]
			pending = pending[1:]
			if len(one(n)) <= liveMaxPayload {
				parts = append(parts, n)
				continue
			}
			a, c, ok := splitLive(n)
			resync = !ok || len(parts)+len(pending)+2 > liveMaxSplits
			pending = append([]liveNote{a, c}, pending...)
		}
	}
	if resync {
		// Every page fetches again: that covers what a change would say,
		// but not an outbox to wake.
		parts = []liveNote{{Resync: true, Queued: change.Queued}}
	}
	parts = append(parts, signals...)
	// Pack them: a payload is its envelope and its notes, comma-separated.
	envelope := len(one(liveNote{})) - len(`{}`)
	var out []string
	var cur []liveNote
	size := envelope
	for _, n := range parts {
		p, _ := json.Marshal(n)
		if len(cur) > 0 && size+1+len(p) > liveMaxPayload {
			out = append(out, one(cur...))
			cur, size = nil, envelope
		}
		if len(cur) > 0 {
			size++
		}
		cur = append(cur, n)
		size += len(p)
	}
	if len(cur) > 0 {
		out = append(out, one(cur...))
	}
	return out
}

// splitLive halves a note's longest list of ids; ok is false when it has
// none of more than one, or it is a signal's (whose numbers go together).
func splitLive(n liveNote) (a, b liveNote, ok bool) {
	if n.Kind != "" {
		return n, n, false
	}
	a, b = n, n
	b.Queued = false // once is enough
	halve := func(ids []int64, x, y *[]int64) {
		*x, *y = ids[:len(ids)/2], ids[len(ids)/2:]
	}
	switch l := max(len(n.Conversations), len(n.Messages), len(n.Deleted)); {
	case l < 2:
		return n, n, false
	case l == len(n.Conversations):
		halve(n.Conversations, &a.Conversations, &b.Conversations)
		a.Messages, a.Deleted = nil, nil // the rest go with the second half
	case l == len(n.Messages):
		halve(n.Messages, &a.Messages, &b.Messages)
		a.Conversations, a.Deleted = nil, nil
	default:
		halve(n.Deleted, &a.Deleted, &b.Deleted)
		a.Conversations, a.Messages = nil, nil
	}
	return a, b, true
}

// decodeLive reads a payload; ok is false for this process's own and for
// what it does not know.
func decodeLive(payload, origin string) ([]inbox.LiveNote, bool) {
	var w liveWire
	if err := json.Unmarshal([]byte(payload), &w); err != nil || w.Origin == "" || w.Origin == origin {
		return nil, false
	}
	out := make([]inbox.LiveNote, 0, len(w.Notes))
	for _, n := range w.Notes {
		out = append(out, n.note())
	}
	return out, true
}

// mergeLiveChanges is a and b in one change, each id once; seen holds
// the ids a has (by list), and is kept up to date.
func mergeLiveChanges(a, b inbox.Change, seen *[3]map[int64]struct{}) inbox.Change {
	add := func(to, from []int64, seen map[int64]struct{}) []int64 {
		for _, id := range from {
			if _, ok := seen[id]; !ok {
				seen[id] = struct{}{}
				to = append(to, id)
			}
		}
		return to
	}
	a.ConversationIDs = add(a.ConversationIDs, b.ConversationIDs, seen[0])
	a.MessageIDs = add(a.MessageIDs, b.MessageIDs, seen[1])
	a.DeletedMessageIDs = add(a.DeletedMessageIDs, b.DeletedMessageIDs, seen[2])
	a.Queued = a.Queued || b.Queued
	return a
}

// closeListener closes a listening connection, waiting at most a second
// for the server on a connection that may be dead.
func closeListener(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}
