package web

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"switchboard/inbox"
)

// Live updates across processes
//
// Several Switchboard processes may share one PostgreSQL database behind
// a load balancer; an agent's page is connected to one of them. With a
// live bus (Deps.Live, store.LiveBus on PostgreSQL) every process tells
// the others what it tells its own pages, ids only, and does for what it
// hears what it would have done had the change been its own: the hub
// renders it for its pages (Hub.Publish's changes, the team), the
// notifier tells its agents (their live notices; Web Push stays with the
// process that stored the message), a reply another process queued wakes
// its outbox as well (claims are exclusive, so it is sent once), and the
// one-user messages (read marks, mentions) and sign-outs reach their
// pages, and who views and types in a thread is shown on every process
// (presence_relay.go), as is who has live pages open, so that an agent
// with one on any process is not sent Web Push (pages_relay.go). When
// the bus says notes were missed, the pages fetch what they show again,
// as after a gap in the hub's own stream. On SQLite there is no bus and
// nothing of this runs.

// Kinds of the signals the web layer sends on the bus, with their IDs.
const (
	relayTeam     = "team"     // the team changed
	relayRead     = "read"     // user, conversation, read mark
	relayMentions = "mentions" // user[, conversation]: the Mentions badge's count changed[, and the conversation's entry]
	relayMention  = "mention"  // user, note: the user was mentioned in the note
	relayAssigned = "assigned" // user, conversation, by: a teammate assigned the user
	relaySettings = "settings" // notification settings or push subscriptions changed
	relaySignOut  = "signout"  // user, reason, kept session's tag (or 0): the user's pages are signed out
	// relaySessionEnded: session tag; the session was signed out.
	relaySessionEnded = "session"
	// relayHello: a process joined the bus; the others tell it, at their
	// next presence sweep, everything they tell at a beat (who views
	// which thread, who has live pages), rather than up to presenceBeat
	// later.
	relayHello = "hello"
)

// othersAnswerWithin is how long a process that joined the bus gives the
// others to answer its hello (their next sweep, and the bus) before it
// trusts what it heard of their live pages.
const othersAnswerWithin = time.Second

// Sign-out reasons as relayed, by number.
var relayReasons = []string{signedOutReason, deactivatedReason, passwordReason}

// relayWork bounds the reads a signal from another process costs.
const relayWork = 10 * time.Second

// startRelay sends what the hub publishes to the other processes, and
// hears theirs until the server closes.
func (s *Server) startRelay(bus inbox.LiveBus) {
	s.live = bus
	s.liveStop = make(chan struct{})
	s.liveDone = make(chan struct{})
	notify := bus.Notify
	s.hub.relay.Store(&notify)
	s.hub.othersHeardBy.Store(time.Now().Add(othersAnswerWithin).UnixNano())
	s.relay(relayHello)
	go func() {
		defer close(s.liveDone)
		for {
			select {
			case n, ok := <-bus.Notes():
				if !ok {
					return
				}
				s.heard(n)
			case <-s.liveStop:
				return
			}
		}
	}()
}

// stopRelay stops hearing the other processes.
func (s *Server) stopRelay() {
	if s.live == nil {
		return
	}
	s.liveStopOnce.Do(func() { close(s.liveStop) })
	<-s.liveDone
}

// relay tells the other processes a signal, if there are any.
func (s *Server) relay(kind string, ids ...int64) {
	if s.live != nil {
		s.live.Notify(inbox.LiveNote{Kind: kind, IDs: ids})
	}
}

// heard does for a note from another process what this process does for
// its own.
func (s *Server) heard(n inbox.LiveNote) {
	id := func(i int) int64 {
		if i < len(n.IDs) {
			return n.IDs[i]
		}
		return 0
	}
	switch {
	case n.Resync:
		s.hub.resync()
		if s.outbox != nil {
			s.outbox.Wake() // a reply another process queued may be among what was missed
		}
	case n.Kind == "":
		s.hub.publishHere(n.Change)
		s.notifier.changedElsewhere(n.Change)
		if n.Change.Queued && s.outbox != nil {
			s.outbox.Wake()
		}
	case n.Kind == relayTeam:
		s.hub.teamChangedHere()
	case n.Kind == relayRead:
		s.sendReadMarkHere(id(0), id(1), id(2))
	case n.Kind == relayMentions:
		ctx, cancel := context.WithTimeout(context.Background(), relayWork)
		s.sendMentions(ctx, id(0), id(1))
		cancel()
	case n.Kind == relayMention:
		ctx, cancel := context.WithTimeout(context.Background(), relayWork)
		if note, err := s.store.Message(ctx, id(1)); err == nil {
			s.mentionedHere(ctx, id(0), note, false)
		}
		cancel()
	case n.Kind == relayAssigned:
		s.notifier.tell(notice{kind: inbox.NotifyAssigned, userID: id(0), convID: id(1), byID: id(2), elsewhere: true})
	case n.Kind == relayPresenceKind:
		s.heardPresence(n.IDs)
	case n.Kind == relayPagesKind:
		s.hub.heardPages(n.IDs)
	case n.Kind == relayHello:
		s.hub.askedAgain.Store(true)
	case n.Kind == relaySettings:
		s.notifier.forget()
	case n.Kind == relaySignOut:
		if r := id(1); r >= 0 && r < int64(len(relayReasons)) {
			user, keep := id(0), id(2)
			s.hub.signOut(disconnect{reason: relayReasons[r], match: func(c *client) bool {
				return c.userID == user && (keep == 0 || sessionTag(c.session) != keep)
			}})
		}
	case n.Kind == relaySessionEnded:
		if tag := id(0); tag != 0 {
			s.hub.signOut(disconnect{reason: signedOutReason, match: func(c *client) bool { return sessionTag(c.session) == tag }})
		}
	default:
		s.log.Debug("live note of an unknown kind from another process", "kind", n.Kind)
	}
}

// relaySignedOut tells the other processes to sign out the user's pages
// but those of the session keep (when not empty), with reason.
func (s *Server) relaySignedOut(userID int64, keep, reason string) {
	var tag int64
	if keep != "" {
		tag = sessionTag(keep)
	}
	for i, r := range relayReasons {
		if r == reason {
			s.relay(relaySignOut, userID, int64(i), tag)
		}
	}
}

// sessionTag names a session to the other processes without its token:
// 63 bits of a digest of it, never 0.
func sessionTag(token string) int64 {
	if token == "" {
		return 0
	}
	sum := sha256.Sum256([]byte("switchboard live session\x00" + token))
	return int64(binary.BigEndian.Uint64(sum[:8])>>1) | 1
}

// sendMentionCount gives the user's pages their Mentions badge's count.
func (s *Server) sendMentionCount(ctx context.Context, userID int64) {
	s.sendMentions(ctx, userID, 0)
}

// sendMentions gives the user's pages their Mentions badge's count and,
// for a conversation (convID not 0) whose note mentioning them was edited
// or deleted, its entry in an open Mentions page (mentionsOf).
func (s *Server) sendMentions(ctx context.Context, userID, convID int64) {
	n, err := s.store.UnseenMentions(ctx, userID)
	if err != nil {
		s.log.Warn("count unseen mentions", "user_id", userID, "err", err)
		return
	}
	msg := fmt.Appendf(nil, `<i data-live="mentions" data-count="%d" hidden></i>`, n)
	if convID != 0 {
		msg = append(msg, s.mentionsOf(ctx, userID, convID)...)
	}
	s.hub.sendUser(userID, msg)
}

// tellOthers sends n to the other processes, if there are any.
func (h *Hub) tellOthers(n inbox.LiveNote) {
	if r := h.relay.Load(); r != nil {
		(*r)(n)
	}
}

// publishHere is Publish without telling the other processes: for what
// one of them published.
func (h *Hub) publishHere(ch inbox.Change) {
	if ch.Empty() {
		return
	}
	h.mu.Lock()
	seq := h.published.Add(1)
	select {
	case h.changes <- numberedChange{seq: seq, ch: ch}:
	default:
		h.overflow.Store(true)
	}
	h.mu.Unlock()
}

// teamChangedHere is TeamChanged without telling the other processes.
func (h *Hub) teamChangedHere() {
	h.team.Store(true)
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// resync makes every page fetch what it shows again, as when changes
// were dropped: some from another process may have been missed.
func (h *Hub) resync() {
	h.mu.Lock()
	h.published.Add(1) // a page that fetches now is past the gap
	h.overflow.Store(true)
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}
