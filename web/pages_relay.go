package web

import (
	"slices"
	"sync"
	"time"

	"switchboard/inbox"
)

// Live pages across processes
//
// The process that stores a message, an assignment or a mention sends its
// Web Push, and only to an agent with no live page open (notify.go): on
// any process, for a page on another one shows the notice already. So,
// with a live bus (relay.go), each process tells the others which users
// have live pages on it, in the shape of presence (presence_relay.go).
// Users are grouped by id in blocks of pagesBlock; a block is told on the
// presence sweep after its users here changed, and every presenceBeat
// while any of them has a page here. The note is ids only: the process's
// number, the block, and its users with a page here (none: the last one
// closed). A process keeps what each other process last said of a block
// for presenceTTL, so the pages of a process that stopped without a word
// stop counting as a quiet page would; one that stops in order says it
// has none left.

// relayPagesKind is the live pages note's kind.
const relayPagesKind = "pages"

// pagesBlock is how many user ids one block, and so one note at most,
// covers: a note of them stays well under a NOTIFY payload's size.
const pagesBlock = 256

// pagesRelay is the hub goroutine's state of the live pages here, for
// the other processes.
type pagesRelay struct {
	here  map[int64]map[int64]int // by block, by user: live pages here
	dirty map[int64]struct{}      // blocks whose users here changed since told
	beat  time.Time               // when every block with pages here was last told
}

// opened counts a live page of the user here.
func (p *pagesRelay) opened(userID int64) {
	b := userID / pagesBlock
	if p.here == nil {
		p.here, p.dirty = map[int64]map[int64]int{}, map[int64]struct{}{}
	}
	if p.here[b] == nil {
		p.here[b] = map[int64]int{}
	}
	if p.here[b][userID]++; p.here[b][userID] == 1 {
		p.dirty[b] = struct{}{}
	}
}

// closed counts a live page of the user here gone.
func (p *pagesRelay) closed(userID int64) {
	b := userID / pagesBlock
	users := p.here[b]
	if users[userID] == 0 {
		return
	}
	if users[userID]--; users[userID] > 0 {
		return
	}
	delete(users, userID)
	if len(users) == 0 {
		delete(p.here, b)
	}
	p.dirty[b] = struct{}{}
}

// relayPages tells the other processes the users with live pages here of
// the blocks that changed, and of every block with any each
// presenceBeat; it forgets what they said that is too old.
func (h *Hub) relayPages() {
	if h.relay.Load() == nil {
		return
	}
	now := h.now()
	p := &h.pages
	if now.Sub(p.beat) >= presenceBeat {
		p.beat = now
		for b := range p.here {
			if p.dirty == nil {
				p.dirty = map[int64]struct{}{}
			}
			p.dirty[b] = struct{}{}
		}
		h.online.forget(now)
	}
	proc := h.relayProc()
	for b := range p.dirty {
		ids := make([]int64, 2, 2+len(p.here[b]))
		ids[0], ids[1] = proc, b
		for u := range p.here[b] {
			ids = append(ids, u)
		}
		slices.Sort(ids[2:])
		h.tellOthers(inbox.LiveNote{Kind: relayPagesKind, IDs: ids})
	}
	clear(p.dirty)
}

// pagesElsewhere is what the other processes said of their live pages.
// The goroutine that hears the bus writes it, the notifier reads it.
type pagesElsewhere struct {
	mu      sync.Mutex
	byBlock map[int64]map[int64]pagesSaid // by block, by process
}

// pagesSaid is what one process said of one block.
type pagesSaid struct {
	users []int64   // sorted
	until time.Time // when it stops counting
}

// heard keeps a live pages note of another process until now+ttl; a
// note that is not one is ignored.
func (e *pagesElsewhere) heard(ids []int64, now time.Time, ttl time.Duration) {
	if len(ids) < 2 || len(ids) > 2+pagesBlock {
		return
	}
	proc, b := ids[0], ids[1]
	var users []int64
	for _, u := range ids[2:] {
		if u > 0 && u/pagesBlock == b {
			users = append(users, u)
		}
	}
	slices.Sort(users)
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(users) == 0 {
		delete(e.byBlock[b], proc)
		if len(e.byBlock[b]) == 0 {
			delete(e.byBlock, b)
		}
		return
	}
	if e.byBlock == nil {
		e.byBlock = map[int64]map[int64]pagesSaid{}
	}
	if e.byBlock[b] == nil {
		e.byBlock[b] = map[int64]pagesSaid{}
	}
	e.byBlock[b][proc] = pagesSaid{users: users, until: now.Add(ttl)}
}

// has reports whether another process said, less than its ttl before
// now, that the user has a live page there.
func (e *pagesElsewhere) has(userID int64, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, said := range e.byBlock[userID/pagesBlock] {
		if _, ok := slices.BinarySearch(said.users, userID); ok && now.Before(said.until) {
			return true
		}
	}
	return false
}

// forget drops what is too old at now: the processes that said it
// stopped.
func (e *pagesElsewhere) forget(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for b, byProc := range e.byBlock {
		for proc, said := range byProc {
			if !now.Before(said.until) {
				delete(byProc, proc)
			}
		}
		if len(byProc) == 0 {
			delete(e.byBlock, b)
		}
	}
}

// heardPages keeps another process's live pages note.
func (h *Hub) heardPages(ids []int64) { h.online.heard(ids, h.now(), presenceTTL) }

// awaitOthers waits, in a process that joined the bus less than
// othersAnswerWithin ago, until the others have had time to answer its
// hello: until then it has not heard of their live pages.
func (h *Hub) awaitOthers() {
	if d := time.Until(time.Unix(0, h.othersHeardBy.Load())); d > 0 {
		time.Sleep(d)
	}
}

// pageElsewhere reports whether the user has a live page on another
// process; without a live bus, never.
func (h *Hub) pageElsewhere(userID int64) bool {
	return h.relay.Load() != nil && h.online.has(userID, h.now())
}
