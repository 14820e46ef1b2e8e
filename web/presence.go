package web

import (
	"cmp"
	"encoding/json"
	"html"
	"slices"
	"strconv"
	"time"
)

// Presence: who else has a thread open, and who is typing in it.
//
// A page views the conversation its subscription opens. While it is
// visible it says so over its websocket every presenceBeat, with whether
// its agent is typing a reply or a note (a few keys in the last seconds);
// a hidden page says it is away. The hub keeps this in memory only, per
// page: a page that goes quiet for presenceTTL (its tab closed without a
// goodbye, its network gone) stops counting, as does one that opens
// another thread or disconnects, at once.
//
// Whenever what a thread's viewers would see changes (someone comes,
// goes, starts or stops typing), the hub renders the thread's presence
// once, the same bytes for everyone, and sends it to the pages that show
// the thread; each page leaves out its own agent. A page that opens a
// thread is sent its presence at once.

const (
	// presenceBeat is how often a visible page with a thread open says it
	// is still there (static/app.js sends it).
	presenceBeat = 2 * time.Second
	// presenceTTL is how long a page counts as viewing after it last said
	// so, and typingTTL as typing: an agent whose page vanished is gone
	// within presenceTTL and a sweep.
	presenceTTL = 4500 * time.Millisecond
	typingTTL   = 3500 * time.Millisecond
	// presenceSweep is how often the hub looks for pages gone quiet.
	presenceSweep = 250 * time.Millisecond
	// wsMaxPresence is how many presence messages a page may send in
	// wsSubscriptionWindow: a page sends one every presenceBeat and one
	// when its agent starts or stops typing.
	wsMaxPresence = 150
)

// Typing kinds a page may report.
const (
	typingReply = "reply"
	typingNote  = "note"
)

// pagePresence is what the hub knows of one page's presence; the hub
// goroutine owns it.
type pagePresence struct {
	here     bool      // viewing sub.open: it subscribed or said so lately
	seen     time.Time // when it last subscribed or said so
	typing   string    // "", typingReply or typingNote
	typingAt time.Time // when it last said it was typing
}

// presenceRequest is a page's presence message.
type presenceRequest struct {
	c      *client
	open   int64 // the thread it views; 0: away (the page is hidden)
	typing string
}

// presenceMessage is the JSON a page sends:
// {"presence":{"open":12,"typing":"reply"}}.
type presenceMessage struct {
	Presence *struct {
		Open   int64  `json:"open"`
		Typing string `json:"typing"`
	} `json:"presence"`
}

// parsePresence reads a page's message as a presence message; ok is false
// for anything else (a subscription).
func parsePresence(b []byte) (open int64, typing string, ok bool) {
	var m presenceMessage
	if json.Unmarshal(b, &m) != nil || m.Presence == nil {
		return 0, "", false
	}
	switch m.Presence.Typing {
	case typingReply, typingNote:
		typing = m.Presence.Typing
	}
	return max(m.Presence.Open, 0), typing, true
}

// openChanged moves c from the viewers of the thread it showed to those of
// the one it shows now, and tells both threads' pages.
func (h *Hub) openChanged(c *client, was int64) {
	now := h.now()
	if was == c.sub.open {
		// The same thread, subscribed again (more rows, a resync): the
		// page may have drawn it anew and needs its presence again.
		if was != 0 {
			c.presence.here, c.presence.seen = true, now
			h.presenceChanged(was, c)
		}
		return
	}
	c.presence = pagePresence{here: c.sub.open != 0, seen: now}
	if was != 0 {
		h.leave(c, was)
		h.presenceChanged(was, nil)
	}
	if id := c.sub.open; id != 0 {
		if h.viewers[id] == nil {
			h.viewers[id] = map[*client]struct{}{}
		}
		h.viewers[id][c] = struct{}{}
		h.presenceChanged(id, c)
	}
}

func (h *Hub) leave(c *client, id int64) {
	if v := h.viewers[id]; v != nil {
		delete(v, c)
		if len(v) == 0 {
			delete(h.viewers, id)
		}
	}
}

// presenceFrom applies a page's presence message.
func (h *Hub) presenceFrom(r presenceRequest) {
	c := r.c
	if _, ok := h.clients[c]; !ok || c.sub.open == 0 {
		return
	}
	if r.open != 0 && r.open != c.sub.open {
		return // sent before the page's last subscription: stale
	}
	now := h.now()
	p := &c.presence
	was := *p
	if r.open == 0 {
		*p = pagePresence{}
	} else {
		p.here, p.seen = true, now
		p.typing = r.typing
		if r.typing != "" {
			p.typingAt = now
		}
	}
	if p.here != was.here || p.typing != was.typing {
		h.presenceChanged(c.sub.open, nil) // a page that only says it is still there changes nothing
	}
}

// sweepPresence lets pages that went quiet stop counting.
func (h *Hub) sweepPresence() {
	now := h.now()
	for id, v := range h.viewers {
		changed := false
		for c := range v {
			p := &c.presence
			if p.here && now.Sub(p.seen) >= presenceTTL {
				*p = pagePresence{}
				changed = true
			}
			if p.typing != "" && now.Sub(p.typingAt) >= typingTTL {
				p.typing = ""
				changed = true
			}
		}
		if changed {
			h.presenceChanged(id, nil)
		}
	}
}

// flushPresence tells the pages of the threads that pages left by
// disconnecting. It runs after each of the hub's steps, never inside a
// broadcast, so pages get a thread's presence in the order it changed.
func (h *Hub) flushPresence() {
	for len(h.presenceDirty) > 0 {
		for id := range h.presenceDirty {
			delete(h.presenceDirty, id)
			h.presenceChanged(id, nil)
		}
	}
}

// presenceChanged sends the thread's presence to its pages when it is not
// what they were last sent, and to also (a page that just opened the
// thread) in any case.
func (h *Hub) presenceChanged(id int64, also *client) {
	msg := h.renderPresence(id)
	if string(msg) != string(h.presenceSent[id]) {
		if len(h.viewers[id]) == 0 {
			delete(h.presenceSent, id)
		} else {
			h.presenceSent[id] = msg
		}
		for c := range h.viewers[id] {
			h.deliver(c, [][]byte{msg})
		}
		return
	}
	if also != nil {
		h.deliver(also, [][]byte{msg})
	}
}

// viewer is an agent viewing a thread, with what they type.
type viewer struct {
	id     int64
	name   string
	typing string
}

// addViewer adds v to people, once per agent: typing a reply counts over
// typing a note.
func addViewer(people []viewer, v viewer) []viewer {
	i := slices.IndexFunc(people, func(x viewer) bool { return x.id == v.id })
	if i < 0 {
		return append(people, v)
	}
	if people[i].typing == "" || v.typing == typingReply {
		people[i].typing = v.typing
	}
	return people
}

// localPresence is who views the thread on this process's pages.
func (h *Hub) localPresence(id int64) []viewer {
	var people []viewer
	for c := range h.viewers[id] {
		if p := c.presence; p.here {
			people = addViewer(people, viewer{id: c.userID, name: c.name, typing: p.typing})
		}
	}
	return people
}

// renderPresence is the thread's presence as pages are sent it: one entry
// per agent who views it (any of their pages), with what they type, in
// the order of their ids.
//
//	<div data-live="presence" data-conversation="12" hidden>
//	  <i data-user="3" data-name="Ana" data-typing="reply"></i>
//	</div>
func (h *Hub) renderPresence(id int64) []byte {
	people := h.localPresence(id)
	for _, v := range h.pr.elsewhere[id] { // those on other processes (presence_relay.go)
		for _, p := range v.people {
			people = addViewer(people, p)
		}
	}
	slices.SortFunc(people, func(a, b viewer) int { return cmp.Compare(a.id, b.id) })
	b := []byte(`<div data-live="presence" data-conversation="`)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `" hidden>`...)
	for _, p := range people {
		b = append(b, `<i data-user="`...)
		b = strconv.AppendInt(b, p.id, 10)
		b = append(b, `" data-name="`...)
		b = append(b, html.EscapeString(p.name)...)
		b = append(b, `" data-typing="`...)
		b = append(b, p.typing...)
		b = append(b, `"></i>`...)
	}
	return append(b, `</div>`...)
}
