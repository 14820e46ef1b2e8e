package web

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"slices"
	"time"

	"switchboard/inbox"
)

// Presence across processes
//
// With a live bus (relay.go), each process tells the others who views
// each thread on its pages, and what they type: on the presence sweep
// after it changed, and every presenceBeat while anyone views it. The
// note is ids only: the process's number, the thread, and each viewer's
// id and typing (0 none, 1 reply, 2 note). A process keeps what each
// other process last said of a thread for presenceTTL, so the viewers of
// a process that stopped go when a page gone quiet would, and adds them
// to its own in renderPresence.

// relayPresenceKind is the presence note's kind.
const relayPresenceKind = "presence"

// presenceRelay is the hub goroutine's state of presence across
// processes.
type presenceRelay struct {
	proc      int64                                 // this process's number in its notes
	sent      map[int64][]int64                     // by thread: what was last told of it
	beat      time.Time                             // when every viewed thread was last told
	elsewhere map[int64]map[int64]presenceElsewhere // by thread, by process
}

// presenceElsewhere is what another process said of a thread.
type presenceElsewhere struct {
	proc   int64
	conv   int64
	people []viewer
	until  time.Time // when it stops counting
}

// relayProc is this process's number in its notes, chosen at random
// when first needed.
func (h *Hub) relayProc() int64 {
	pr := &h.pr
	if pr.proc == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		pr.proc = int64(binary.BigEndian.Uint64(b[:]) >> 1)
		pr.sent = map[int64][]int64{}
	}
	return pr.proc
}

var typingCodes = []string{"", typingReply, typingNote}

// relayPresence tells the other processes the presence of the threads
// whose viewers here changed, and of every viewed one each presenceBeat;
// it forgets what they said that is too old.
func (h *Hub) relayPresence() {
	if h.relay.Load() == nil {
		return
	}
	now := h.now()
	pr := &h.pr
	h.relayProc()
	beat := now.Sub(pr.beat) >= presenceBeat
	if beat {
		pr.beat = now
	}
	tell := func(id int64) {
		ids := []int64{pr.proc, id}
		for _, v := range h.localPresence(id) {
			ids = append(ids, v.id, int64(slices.Index(typingCodes, v.typing)))
		}
		last, told := pr.sent[id]
		switch {
		case len(ids) == 2: // no one here
			if !told {
				return
			}
			delete(pr.sent, id)
		case !beat && slices.Equal(ids, last):
			return
		default:
			pr.sent[id] = ids
		}
		h.tellOthers(inbox.LiveNote{Kind: relayPresenceKind, IDs: ids})
	}
	for id := range h.viewers {
		tell(id)
	}
	for id := range pr.sent {
		if _, ok := h.viewers[id]; !ok {
			tell(id) // no one views it here any more
		}
	}
	for id, byProc := range pr.elsewhere {
		changed := false
		for proc, e := range byProc {
			if !now.Before(e.until) {
				delete(byProc, proc)
				changed = true
			}
		}
		if len(byProc) == 0 {
			delete(pr.elsewhere, id)
		}
		if changed {
			h.presenceChanged(id, nil)
		}
	}
}

// presenceFromElsewhere keeps what another process said of a thread and
// tells the thread's pages here.
func (h *Hub) presenceFromElsewhere(e presenceElsewhere) {
	pr := &h.pr
	if pr.elsewhere == nil {
		pr.elsewhere = map[int64]map[int64]presenceElsewhere{}
	}
	e.until = h.now().Add(presenceTTL)
	if len(e.people) == 0 {
		delete(pr.elsewhere[e.conv], e.proc)
		if len(pr.elsewhere[e.conv]) == 0 {
			delete(pr.elsewhere, e.conv)
		}
	} else {
		if pr.elsewhere[e.conv] == nil {
			pr.elsewhere[e.conv] = map[int64]presenceElsewhere{}
		}
		pr.elsewhere[e.conv][e.proc] = e
	}
	h.presenceChanged(e.conv, nil)
}

// heardPresence hands the hub another process's presence note, naming its
// viewers. It runs on the goroutine that hears the bus.
func (s *Server) heardPresence(ids []int64) {
	var who people
	if len(ids) > 2 {
		var err error
		if who, err = s.relayNames.get(s, ids); err != nil {
			s.log.Warn("presence from another process: team not read", "err", err)
			return
		}
	}
	e, ok := presenceNote(ids, who)
	if !ok {
		return
	}
	select {
	case s.hub.elsewhere <- e:
	case <-s.hub.done:
	}
}

// presenceNote reads a presence note's ids, naming the viewers from who;
// ok is false for a note that is not one.
func presenceNote(ids []int64, who people) (presenceElsewhere, bool) {
	if len(ids) < 2 || len(ids)%2 != 0 {
		return presenceElsewhere{}, false
	}
	e := presenceElsewhere{proc: ids[0], conv: ids[1]}
	for i := 2; i < len(ids); i += 2 {
		code := ids[i+1]
		if code < 0 || code >= int64(len(typingCodes)) {
			code = 0
		}
		if u, ok := who[ids[i]]; ok {
			e.people = append(e.people, viewer{id: u.ID, name: u.Name, typing: typingCodes[code]})
		}
	}
	return e, true
}

// relayNames are the team's names for presence from other processes,
// read again after notifyTeamAge; the hearing goroutine's alone.
type relayNames struct {
	who people
	at  time.Time
}

// get returns the team, read again when it is older than notifyTeamAge
// or, once a second at most, when it lacks a viewer of the note ids.
func (n *relayNames) get(s *Server, ids []int64) (people, error) {
	fresh := n.who != nil && time.Since(n.at) < notifyTeamAge
	for i := 2; fresh && i < len(ids); i += 2 {
		if _, ok := n.who[ids[i]]; !ok && time.Since(n.at) >= time.Second {
			fresh = false
		}
	}
	if fresh {
		return n.who, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), relayWork)
	defer cancel()
	who, err := s.people(ctx)
	if err != nil {
		return nil, err
	}
	n.who, n.at = who, time.Now()
	return who, nil
}
