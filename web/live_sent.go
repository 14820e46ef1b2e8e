package web

import (
	"hash/maphash"
	"time"
)

// threadSent remembers, for the threads rendered lately, what their pages
// were last sent: a digest of each thread's header and details, and what
// its composer offers. A part that has not changed since is left out of
// the next update, as every page that shows the thread has it already,
// from that update or from the thread it loaded after. A composer goes
// again only when what it offers changes, since a page swaps it only then
// (static/app.js, swapPart), never under an agent's typing; and once the
// time it offered that until has passed (a WhatsApp window closing), as no
// change marks that moment.
//
// Only the render goroutine uses it. It forgets everything whenever pages
// are told to fetch again, and when it holds threadSentMax threads.
type threadSent struct {
	m map[int64]sentParts
}

type sentParts struct {
	head, details uint64
	composerMode  string
	composerUntil time.Time // zero: for as long as nothing changes
}

const threadSentMax = 4096

var threadSentSeed = maphash.MakeSeed()

func (t *threadSent) forget() { t.m = nil }

// leaveOutSent drops from u the thread parts its pages already have, and
// remembers what u sends.
func (t *threadSent) leaveOutSent(u *update) {
	if t.m == nil || len(t.m)+len(u.convs) > threadSentMax {
		t.m = make(map[int64]sentParts, len(u.convs))
	}
	for i := range u.convs {
		c := &u.convs[i]
		now := sentParts{head: maphash.Bytes(threadSentSeed, c.head), details: maphash.Bytes(threadSentSeed, c.details),
			composerMode: c.composerMode, composerUntil: c.composerUntil}
		if was, ok := t.m[c.id]; ok {
			if was.head == now.head {
				c.head = nil
			}
			if was.details == now.details {
				c.details = nil
			}
			if was.composerMode == now.composerMode && (was.composerUntil.IsZero() || u.at.Before(was.composerUntil)) {
				c.composer = nil
			}
		}
		t.m[c.id] = now
	}
}
