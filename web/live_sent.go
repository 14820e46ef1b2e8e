package web

import (
	"hash/maphash"
	"time"
)

// threadSent remembers, for the conversations rendered lately, what their
// pages were last sent: a digest of each list row, thread header and
// details, and what its composer offers. A part that has not changed since
// is left out of the next update, as every page that shows it has it
// already, from that update or from the list or thread it loaded after (a
// message's status changes its bubble only, an inbound message the details
// but not the header); a page that loaded before that update read the
// store gets it when it subscribes, whatever changes it covers (see
// update.neededBelow). As whether a list shows a row depends only on what
// the row shows (status, assignee, labels), an unchanged row neither joins
// nor leaves a list. A composer goes again only when what it offers
// changes, since a page swaps it only then (static/app.js, swapPart), never
// under an agent's typing. A row or composer goes again, changed or not,
// once a time that may change it with no change to tell has passed (a
// WhatsApp window closing soon, or closed).
//
// Only the render goroutine uses it. It forgets everything whenever pages
// are told to fetch again, and when it holds threadSentMax threads.
type threadSent struct {
	m map[int64]sentParts
}

type sentParts struct {
	row, head, details uint64
	rowUntil           time.Time // zero: for as long as nothing changes
	composerMode       string
	composerUntil      time.Time // zero: for as long as nothing changes
}

const threadSentMax = 4096

var threadSentSeed = maphash.MakeSeed()

func (t *threadSent) forget() { t.m = nil }

// leaveOutSent drops from u the rows and thread parts its pages already
// have, and remembers what u sends.
func (t *threadSent) leaveOutSent(u *update) {
	if t.m == nil || len(t.m)+len(u.convs) > threadSentMax {
		t.m = make(map[int64]sentParts, len(u.convs))
	}
	for i := range u.convs {
		c := &u.convs[i]
		digest := func(b []byte) uint64 { return maphash.Bytes(threadSentSeed, b) }
		now := sentParts{row: digest(c.row), rowUntil: c.rowUntil, head: digest(c.head), details: digest(c.details),
			composerMode: c.composerMode, composerUntil: c.composerUntil}
		if was, ok := t.m[c.id]; ok {
			if was.row == now.row && (was.rowUntil.IsZero() || u.at.Before(was.rowUntil)) {
				c.row = nil
			}
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
