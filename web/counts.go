package web

import (
	"context"
	"html"
	"strconv"
	"strings"
	"sync"

	"switchboard/inbox"
	"switchboard/views"
)

// View counts.
//
// The navigation shows beside each view (Open, Mine, Unassigned, Snoozed
// and the saved views) how many conversations are open in it, as Help
// Scout does; Resolved has no count. Each count is keyed by its view's
// filter as a query (views.Filter.Query), which the page gives in the
// data-view-count attribute of the number and sends in its subscription.
//
// The counts of one set of list filters (sender, channel, label: a
// countBase) come from one grouped statement (store ViewCounts), "Mine"
// for every assignee at once. The render goroutine recounts the bases that
// some page shows, after a render in which a conversation moved (its
// status, assignee, snooze, sender, channel or labels differ from the last
// render that showed it), and when a page shows a base no other page did.
// Only the counts that changed go out, each to the pages that show it;
// "Mine" goes to its agent's pages only.

// countBase is the filters a view's count shares with the other views.
type countBase struct{ sender, channel, label string }

func (b countBase) filter() inbox.ConversationFilter {
	return inbox.ConversationFilter{SenderID: b.sender, Channel: inbox.Channel(b.channel), Label: b.label}
}

// folded is b with its label name in lower case, A to Z only: bases the
// same when folded name the same label, which the store finds by its
// name without regard to letter case (SQLite's NOCASE folds A to Z,
// PostgreSQL's citext those and more).
func (b countBase) folded() countBase {
	b.label = asciiLower(b.label)
	return b
}

// asciiLower is s with A to Z in lower case, every other byte as it is.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// countKey is how the page names the count of view with base's filters.
func countKey(view string, b countBase) string {
	return views.Filter{View: view, SenderID: b.sender, Channel: b.channel, Label: b.label}.Query()
}

// countViews are the views with a count, in the order countChanges sends
// them.
var countViews = [...]string{"open", "unassigned", "snoozed"}

// wsMaxCounts is the most counts a page may subscribe to.
const wsMaxCounts = 64

// parseCounts reads the counts a page shows, as their keys, and the bases
// they need.
func parseCounts(keys []string) (map[string]struct{}, []countBase) {
	if len(keys) > wsMaxCounts {
		keys = keys[:wsMaxCounts]
	}
	var out map[string]struct{}
	var bases []countBase
	for _, k := range keys {
		if len(k) > 1000 {
			continue
		}
		f := filterFromQuery(k)
		if f.View == "resolved" {
			continue
		}
		if out == nil {
			out = map[string]struct{}{}
		}
		out[f.Query()] = struct{}{}
		b := countBase{sender: f.SenderID, channel: f.Channel, label: f.Label}
		if !containsBase(bases, b) {
			bases = append(bases, b)
		}
	}
	return out, bases
}

func containsBase(bs []countBase, b countBase) bool {
	for _, x := range bs {
		if x == b {
			return true
		}
	}
	return false
}

// liveCount is one view's new count, for the pages that show it: all of
// them, or user's only (Mine).
type liveCount struct {
	key  string
	user int64
	html []byte
}

func newLiveCount(key string, user int64, n int) liveCount {
	return liveCount{key: key, user: user, html: []byte(`<i data-live="count" data-view-count="` + html.EscapeString(key) +
		`" data-n="` + strconv.Itoa(n) + `" hidden></i>`)}
}

// countBases are the bases the connected pages show, with how many
// clients show each. The hub goroutine changes it; the render goroutine
// reads it.
type countBases struct {
	mu    sync.Mutex
	n     map[countBase]int
	fresh bool // a base was added since the render goroutine last looked
}

// add counts bs for one more client and reports whether any is new.
func (cb *countBases) add(bs []countBase) bool {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if cb.n == nil {
		cb.n = map[countBase]int{}
	}
	fresh := false
	for _, b := range bs {
		if cb.n[b] == 0 {
			fresh = true
		}
		cb.n[b]++
	}
	cb.fresh = cb.fresh || fresh
	return fresh
}

func (cb *countBases) remove(bs []countBase) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	for _, b := range bs {
		if cb.n[b]--; cb.n[b] <= 0 {
			delete(cb.n, b)
		}
	}
}

// snapshot is the bases shown now, and whether one was added since the
// last snapshot.
func (cb *countBases) snapshot() (map[countBase]struct{}, bool) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	out := make(map[countBase]struct{}, len(cb.n))
	for b := range cb.n {
		out[b] = struct{}{}
	}
	fresh := cb.fresh
	cb.fresh = false
	return out, fresh
}

// countState is what the render goroutine, alone, knows of the counts:
// the last counted per base, and each conversation's place in the views
// when it was last rendered.
type countState struct {
	last  map[countBase]inbox.ViewCounts
	class map[int64]string
}

// maxClasses bounds the conversations whose place is remembered; past
// it, the memory starts again (the next render of each recounts).
const maxClasses = 200_000

// forget makes the next render recount every base: changes went by
// unseen.
func (st *countState) forget() {
	st.last, st.class = nil, nil
}

// classOf is what of a conversation decides which views count it.
func classOf(cv *liveConv) string {
	return string(cv.status) + "\x1f" + strconv.FormatInt(cv.assignee, 10) + "\x1f" + cv.sender + "\x1f" +
		string(cv.channel) + "\x1f" + strings.ToLower(strings.Join(cv.labels, "\x1e"))
}

// viewCounter is a liveRenderer that also counts views.
type viewCounter interface {
	viewCounts(ctx context.Context, f inbox.ConversationFilter) (inbox.ViewCounts, error)
}

func (s *Server) viewCounts(ctx context.Context, f inbox.ConversationFilter) (inbox.ViewCounts, error) {
	return s.store.ViewCounts(ctx, f)
}

// renderCounts recounts the bases pages show when u (nil: nothing was
// rendered) moved a conversation, or a base is new, and returns the
// counts that changed as an update, nil for none. ids are the
// conversations the rendered change named.
func (h *Hub) renderCounts(ctx context.Context, u *update, ids []int64, covers uint64) *update {
	vc, ok := h.renderer.(viewCounter)
	if !ok {
		return nil
	}
	bases, _ := h.bases.snapshot()
	st := &h.countState
	if st.last == nil {
		st.last = map[countBase]inbox.ViewCounts{}
	}
	if st.class == nil || len(st.class) > maxClasses {
		st.class = map[int64]string{}
	}
	moved := false
	if u != nil {
		for i := range u.convs {
			cv := &u.convs[i]
			if cls := classOf(cv); st.class[cv.id] != cls {
				moved = true
				st.class[cv.id] = cls
			}
		}
		for _, id := range ids {
			if !slicesContainsConv(u.convs, id) { // gone
				moved = true
				delete(st.class, id)
			}
		}
	}
	for b := range st.last {
		if _, ok := bases[b]; !ok {
			delete(st.last, b)
		}
	}
	var counts []liveCount
	// Bases that name one label in other letter cases count the same
	// conversations: each is counted once a render, so that pages naming
	// a label in many spellings cost no more than naming it once.
	type counted struct {
		vc  inbox.ViewCounts
		err error
	}
	done := map[countBase]counted{}
	for b := range bases {
		old, had := st.last[b]
		if had && !moved {
			continue
		}
		same := b.folded()
		r, ok := done[same]
		if !ok {
			r.vc, r.err = vc.viewCounts(ctx, b.filter())
			done[same] = r
			if r.err != nil {
				h.log.Warn("views not counted for live pages", "err", r.err)
			}
		}
		if r.err != nil {
			delete(st.last, b)
			continue
		}
		st.last[b] = r.vc
		counts = append(counts, countChanges(b, old, r.vc, had)...)
	}
	if counts == nil {
		return nil
	}
	return &update{covers: covers, counts: counts}
}

func slicesContainsConv(cs []liveConv, id int64) bool {
	for i := range cs {
		if cs[i].id == id {
			return true
		}
	}
	return false
}

// countChanges are the counts of base b that differ from old (all of
// them when there was no old).
func countChanges(b countBase, old, now inbox.ViewCounts, had bool) []liveCount {
	var out []liveCount
	for _, v := range countViews {
		if n := now.Count(v, 0); !had || n != old.Count(v, 0) {
			out = append(out, newLiveCount(countKey(v, b), 0, n))
		}
	}
	mine := countKey("mine", b)
	for user, n := range now.Mine {
		if !had || n != old.Mine[user] {
			out = append(out, newLiveCount(mine, user, n))
		}
	}
	for user := range old.Mine {
		if _, ok := now.Mine[user]; !ok && had {
			out = append(out, newLiveCount(mine, user, 0))
		}
	}
	return out
}

// countsFor is what of u's counts the client's page shows.
func (c *client) countsFor(u *update, add func([]byte)) {
	if len(c.counts) == 0 {
		return
	}
	for i := range u.counts {
		lc := &u.counts[i]
		if lc.user != 0 && lc.user != c.userID {
			continue
		}
		if _, ok := c.counts[lc.key]; ok {
			add(lc.html)
		}
	}
}

// setCounts replaces the counts the client's page shows and tells the
// render goroutine about a base no page showed before.
func (h *Hub) setCounts(c *client, keys map[string]struct{}, bases []countBase) {
	h.bases.remove(c.countBases)
	c.counts, c.countBases = keys, bases
	if h.bases.add(bases) {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

// navCounts are the counts the navigation shows for f's filters and
// the agent me: by key.
func (s *Server) navCounts(ctx context.Context, f views.Filter, me int64, cache map[countBase]inbox.ViewCounts) (map[string]int, error) {
	out := map[string]int{}
	err := s.addCounts(ctx, out, countBase{sender: f.SenderID, channel: f.Channel, label: f.Label}, me, cache)
	return out, err
}

// addCounts puts the counts of base into out, counting each base once.
func (s *Server) addCounts(ctx context.Context, out map[string]int, b countBase, me int64, cache map[countBase]inbox.ViewCounts) error {
	vc, ok := cache[b]
	if !ok {
		var err error
		if vc, err = s.store.ViewCounts(ctx, b.filter()); err != nil {
			return err
		}
		cache[b] = vc
	}
	for _, v := range countViews {
		out[countKey(v, b)] = vc.Count(v, 0)
	}
	out[countKey("mine", b)] = vc.Count("mine", me)
	return nil
}
