package web

// shownRows is which pages have which conversations' list rows: for each
// conversation, a bit per page (by the page's slot). Routing an update to
// a thousand pages then tests bits in the few small sets of the
// conversations it changed, which stay in the processor's cache, rather
// than looking each conversation up in a map of each page. Owned by the
// hub goroutine.
type shownRows struct {
	byConv map[int64]*pageBits
	free   []int // slots of pages gone, for the next pages
	slots  int   // slots handed out
}

// pageBits is a set of pages by slot; nil is empty.
type pageBits struct{ w []uint64 }

func (b *pageBits) has(slot int) bool {
	i := slot / 64
	return b != nil && i < len(b.w) && b.w[i]&(1<<(slot%64)) != 0
}

func (b *pageBits) set(slot int) {
	i := slot / 64
	if i >= len(b.w) {
		b.w = append(b.w, make([]uint64, i+1-len(b.w))...)
	}
	b.w[i] |= 1 << (slot % 64)
}

// unset removes slot and reports whether the set is then empty.
func (b *pageBits) unset(slot int) (empty bool) {
	if i := slot / 64; i < len(b.w) {
		b.w[i] &^= 1 << (slot % 64)
	}
	for _, w := range b.w {
		if w != 0 {
			return false
		}
	}
	return true
}

// take hands out a slot for a page that connected.
func (s *shownRows) take() int {
	if n := len(s.free); n > 0 {
		slot := s.free[n-1]
		s.free = s.free[:n-1]
		return slot
	}
	s.slots++
	return s.slots - 1
}

// release forgets the rows of a page that went and frees its slot.
func (s *shownRows) release(slot int) {
	s.clear(slot)
	s.free = append(s.free, slot)
}

// clear forgets every row the page in slot has.
func (s *shownRows) clear(slot int) {
	for id, b := range s.byConv {
		if b.unset(slot) {
			delete(s.byConv, id)
		}
	}
}

// replace sets the rows the page in slot has to ids.
func (s *shownRows) replace(slot int, ids []int64) {
	s.clear(slot)
	for _, id := range ids {
		s.bits(id).set(slot)
	}
}

// bits is the set of pages that have conversation id's row, made when
// none has.
func (s *shownRows) bits(id int64) *pageBits {
	b := s.byConv[id]
	if b == nil {
		if s.byConv == nil {
			s.byConv = map[int64]*pageBits{}
		}
		b = &pageBits{}
		s.byConv[id] = b
	}
	return b
}
