package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// renderChange loads what a change touched and renders each fragment once,
// the same bytes for every agent: bubbles for their thread, and for each
// conversation its list row and its thread's header, details and composer.
// Times are in UTC and per-agent bits are left to the page.
func (s *Server) renderChange(ctx context.Context, ch inbox.Change) (*update, error) {
	now := s.now()
	who, senders, err := s.liveNames.get(ctx, s, now)
	if err != nil {
		return nil, err
	}
	u := &update{at: now}
	// Fragments are rendered into buf and kept as exact copies: the hub
	// holds many of them in its history.
	var buf bytes.Buffer
	take := func() []byte {
		b := bytes.Clone(buf.Bytes())
		buf.Reset()
		return b
	}
	// What the change names is read a few statements for all, not a few
	// for each.
	convIDs := append([]int64(nil), ch.ConversationIDs...)
	if len(ch.MessageIDs) > 0 {
		ms, err := s.store.MessagesByID(ctx, ch.MessageIDs)
		if err != nil {
			return nil, err
		}
		byID := make(map[int64]*inbox.Message, len(ms))
		for i := range ms {
			byID[ms[i].ID] = &ms[i]
		}
		for _, id := range ch.MessageIDs {
			m := byID[id]
			if m == nil {
				continue // deleted since
			}
			if err := views.Message(messageView(*m, who, time.UTC)).Render(ctx, &buf); err != nil {
				return nil, err
			}
			u.messages = append(u.messages, liveMessage{conv: m.ConversationID, html: take()})
			convIDs = appendUnique(convIDs, m.ConversationID)
		}
	}
	if len(ch.DeletedMessageIDs) > 0 {
		var buf bytes.Buffer
		for _, id := range ch.DeletedMessageIDs {
			fmt.Fprintf(&buf, `<i data-live="gone-msg" data-message="%d" hidden></i>`, id)
		}
		u.deleted = buf.Bytes()
	}
	// The team's labels, for every header's picker: read once a render.
	var allLabels []inbox.Label
	if len(convIDs) > 0 {
		var err error
		if allLabels, err = s.store.Labels(ctx); err != nil {
			return nil, err
		}
	}
	convs, contacts, err := s.readConversations(ctx, convIDs)
	if err != nil {
		return nil, err
	}
	for _, id := range convIDs {
		c, ok := convs[id]
		if !ok {
			// Deleted since: a conversation a placeholder alone was in.
			// It matches no list, so the pages that show its row drop
			// it, and the counts are taken again; a page that has its
			// thread open says it is gone, in place of the thread.
			u.convs = append(u.convs, liveConv{id: id, row: []byte{},
				gone: fmt.Appendf(nil, `<i data-live="gone" data-conversation="%d" hidden></i>`, id),
				head: fmt.Appendf(nil, `<i data-live="thread-gone" data-conversation="%d" hidden></i>`, id)})
			continue
		}
		lc := liveConv{id: c.ID, status: c.Status, sender: c.SenderID, channel: c.Channel, labels: labelNames(c.Labels)}
		if c.AssigneeID != nil {
			lc.assignee = *c.AssigneeID
		}
		if err := views.LiveRow(rowView(c, 0, senders > 1, who, now, time.UTC)).Render(ctx, &buf); err != nil {
			return nil, err
		}
		lc.row = take()
		// A WhatsApp row shows when the window closes within two hours.
		if closes := c.WindowClosesAt(); c.Channel == inbox.WhatsApp && now.Before(closes) {
			if lc.rowUntil = closes.Add(-windowSoon); !now.Before(lc.rowUntil) {
				lc.rowUntil = closes
			}
		}
		lc.gone = fmt.Appendf(nil, `<i data-live="gone" data-conversation="%d" hidden></i>`, c.ID)
		composer, err := s.composerView(ctx, c)
		if err != nil {
			return nil, err
		}
		d, ok := contacts[c.Contact.ID]
		if !ok {
			return nil, fmt.Errorf("contact %d of conversation %d: %w", c.Contact.ID, c.ID, inbox.ErrNotFound)
		}
		v := threadConvOf(c, d, who, now, allLabels)
		for _, part := range []struct {
			comp interface {
				Render(context.Context, io.Writer) error
			}
			out *[]byte
		}{{views.ThreadHeader(v, views.Filter{}), &lc.head}, {views.Details(v), &lc.details}, {views.Composer(composer), &lc.composer}} {
			if err := part.comp.Render(ctx, &buf); err != nil {
				return nil, err
			}
			*part.out = take()
		}
		lc.composerMode = composer.Mode()
		if closes := c.WindowClosesAt(); lc.composerMode == "text" && c.Channel == inbox.WhatsApp && !closes.IsZero() {
			lc.composerUntil = closes
		}
		u.convs = append(u.convs, lc)
	}
	return u, nil
}

// readConversations reads the conversations with ids and their contacts,
// by id, in a few statements.
func (s *Server) readConversations(ctx context.Context, ids []int64) (map[int64]inbox.Conversation, map[int64]inbox.ContactDetails, error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	cs, err := s.store.ConversationsByID(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	convs := make(map[int64]inbox.Conversation, len(cs))
	var contactIDs []int64
	for _, c := range cs {
		convs[c.ID] = c
		contactIDs = appendUnique(contactIDs, c.Contact.ID)
	}
	if len(contactIDs) == 0 {
		return convs, nil, nil
	}
	contacts, err := s.store.ContactDetailsByID(ctx, contactIDs)
	return convs, contacts, err
}

// liveNames keeps the team's names and the number of senders for the
// render goroutine, which alone uses it: rendering a change then reads
// only what changed. It is loaded again when the team changes and at most
// liveNamesAge after it was.
type liveNames struct {
	who     people
	senders int
	at      time.Time
}

const liveNamesAge = 10 * time.Second

func (n *liveNames) get(ctx context.Context, s *Server, now time.Time) (people, int, error) {
	if n.who != nil && now.Sub(n.at) < liveNamesAge && !now.Before(n.at) {
		return n.who, n.senders, nil
	}
	who, err := s.people(ctx)
	if err != nil {
		return nil, 0, err
	}
	senders, err := s.store.Senders(ctx)
	if err != nil {
		return nil, 0, err
	}
	*n = liveNames{who: who, senders: len(senders), at: now}
	return who, n.senders, nil
}

// renderTeam is the assignee pickers' teammates and the label pickers'
// labels, sent when the team or its labels change.
func (s *Server) renderTeam(ctx context.Context) ([]byte, error) {
	s.liveNames = liveNames{} // names may have changed too
	us, err := s.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	var agents []views.AgentOption
	for _, u := range us {
		if u.Active {
			agents = append(agents, views.AgentOption{ID: u.ID, Name: u.Name})
		}
	}
	labels, err := s.store.Labels(ctx)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := views.TeamOptions(agents).Render(ctx, &buf); err != nil {
		return nil, err
	}
	err = views.LabelOptions(labels).Render(ctx, &buf)
	return buf.Bytes(), err
}

// people returns all users by id, to name assignees and authors.
func (s *Server) people(ctx context.Context) (people, error) {
	us, err := s.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	who := make(people, len(us))
	for _, u := range us {
		who[u.ID] = u
	}
	return who, nil
}

// sendReadMark tells the user's other pages how far the user has read a
// conversation, so that their unread counts follow.
func (s *Server) sendReadMark(userID, convID, read int64) {
	s.sendReadMarkHere(userID, convID, read)
	s.relay(relayRead, userID, convID, read)
}

// sendReadMarkHere is sendReadMark for this process's pages only.
func (s *Server) sendReadMarkHere(userID, convID, read int64) {
	s.hub.sendUser(userID, fmt.Appendf(nil, `<i data-live="read" data-conversation="%d" data-read="%d" hidden></i>`, convID, read))
}

// Websocket timings, after the gorilla chat example.
const (
	wsWriteWait  = 10 * time.Second
	wsPongWait   = 60 * time.Second
	wsPingPeriod = wsPongWait * 9 / 10
	// wsMaxRead bounds what a page may send: a subscription names a list
	// filter, the open conversation and the rows shown (wsMaxRows).
	wsMaxRead = 16 << 10
	wsMaxRows = 1000
	// wsSessionCheck is how often a connection checks that its session
	// still holds (not signed out, expired, deleted, or its user
	// deactivated or given a new password).
	wsSessionCheck = 30 * time.Second
)

// wsWriteBuffers is shared by every connection: an idle page holds no
// write buffer of its own.
var wsWriteBuffers = &sync.Pool{}

// handleLive upgrades a signed-in agent's page to a websocket that
// receives live updates. Only pages of this site may connect, at most
// livePagesPerUser per user: past that, the new page is closed with
// closeTooManyPages.
func (s *Server) handleLive(c echo.Context) error {
	r := c.Request()
	origin := r.Header.Get("Origin")
	if origin == "" || !s.sameOrigin(r, origin) {
		return newError(http.StatusForbidden, "cross_origin", "Live updates are only for Switchboard's own pages.")
	}
	up := websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 8192,
		WriteBufferPool: wsWriteBuffers,
		CheckOrigin:     func(*http.Request) bool { return true }, // checked above, against the base URL too
	}
	conn, err := up.Upgrade(c.Response(), r, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	user := currentUser(c)
	userID := user.ID
	if !s.livePages.acquire(userID, s.livePagesPerUser()) {
		_ = conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(closeTooManyPages, tooManyPagesReason))
		conn.Close()
		return nil
	}
	ctx := r.Context()
	cl := &client{hub: s.hub, conn: conn, raw: rawConn(conn.NetConn()), send: make(chan [][]byte, clientBuffer),
		userID: userID, name: user.Name, session: s.sessions.Token(ctx), readDone: make(chan struct{})}
	cl.writeDirectly()
	select {
	case s.hub.register <- cl:
	case <-s.hub.done:
		s.livePages.release(userID)
		conn.Close()
		return nil
	}
	// The user may have been deactivated, or their password reset, while
	// this connection was being set up, after Disconnect had run: look
	// again now that Disconnect would find it.
	if !s.sessionHolds(cl.session) {
		s.hub.signOut(disconnect{reason: signedOutReason, match: func(x *client) bool { return x == cl }})
	}
	go cl.writePump(func() {
		// The pages of one session share the answer of the last half
		// period: a signed-out session is still noticed within 1.5 periods.
		if !s.liveSessions.holdsRecently(cl.session, s.liveSessionCheck/2, s.sessionHolds) {
			s.hub.signOut(disconnect{reason: signedOutReason, match: func(x *client) bool { return x == cl }})
		}
	}, s.liveSessionCheck)
	// The request ends here: what the HTTP server kept for it (buffers,
	// the handler's stack) goes, and the page holds only its connection
	// and two small goroutines.
	go func() {
		defer s.livePages.release(userID)
		defer close(cl.readDone)
		cl.readPump()
	}()
	return nil
}

// sessionHolds reports whether the browser session with token still signs
// its user in. A store that cannot answer is not taken for a sign-out.
func (s *Server) sessionHolds(token string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sctx, err := s.sessions.Load(ctx, token)
	if err != nil {
		return true
	}
	_, ok, err := s.sessionUser(sctx)
	return ok || err != nil
}

// subscribeMessage is what a page sends over the websocket: the views it
// shows, and from where in the live stream it needs updates (the epoch
// and change number of the last update it has, or of its fragments).
type subscribeMessage struct {
	Epoch string `json:"epoch"`
	Since uint64 `json:"since"`
	List  *struct {
		View    string `json:"view"`
		Sender  string `json:"sender"`
		Channel string `json:"channel"`
		Label   string `json:"label"`
	} `json:"list"`
	Rows []int64 `json:"rows"`
	Open int64   `json:"open"`
	// Counts are the view counts the page shows, by key (counts.go).
	Counts []string `json:"counts"`
}

// parseSubscription checks a page's subscription; the filter is read as
// the inbox pages read it.
func parseSubscription(b []byte) (subscribeMessage, subscription, error) {
	var m subscribeMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return m, subscription{}, err
	}
	if len(m.Rows) > wsMaxRows {
		m.Rows = m.Rows[:wsMaxRows]
	}
	sub := subscription{open: max(m.Open, 0)}
	if l := m.List; l != nil {
		lv := &listView{View: l.View, Sender: l.Sender, Channel: l.Channel, Label: l.Label}
		switch lv.View {
		case "open", "mine", "unassigned", "snoozed", "resolved":
		default:
			lv.View = "open"
		}
		switch inbox.Channel(lv.Channel) {
		case inbox.WhatsApp, inbox.SMS:
		default:
			lv.Channel = ""
		}
		if len(lv.Sender) > 200 || len(lv.Label) > 200 {
			return m, subscription{}, errors.New("sender too long")
		}
		sub.list = lv
	}
	return m, sub, nil
}

// wsMaxSubscriptions is how many subscriptions a page may send in
// wsSubscriptionWindow; a page sends one when it connects and one each
// time it opens a thread or loads more rows.
const (
	wsMaxSubscriptions   = 60
	wsSubscriptionWindow = time.Minute
)

// closeTooManyMessages closes the connection of a page that sent more
// subscriptions or presence messages in wsSubscriptionWindow than it may
// (a message over wsMaxRead closes it with 1009, message too big): the
// page tries again after a pause, not at once, and says why.
const (
	closeTooManyMessages  = 4029
	tooManyMessagesReason = "Too many live messages from this page."
)

// readPump reads the page's subscriptions and notices pongs and a closed
// connection; it unregisters the client when the connection ends.
func (c *client) readPump() {
	defer func() {
		select {
		case c.hub.unregister <- c:
		case <-c.hub.done:
		}
	}()
	c.conn.SetReadLimit(wsMaxRead)
	_ = c.conn.SetReadDeadline(time.Now().Add(wsPongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(wsPongWait)) })
	windowStart, count, presences := time.Now(), 0, 0
	for {
		_, b, err := c.conn.ReadMessage()
		if errors.Is(err, websocket.ErrReadLimit) {
			// The connection has sent its close (1009, message too big):
			// the rest of the message is read and dropped, so that the
			// page gets the close rather than a reset.
			_ = c.raw.SetReadDeadline(time.Now().Add(wsCloseWait))
			_, _ = io.Copy(io.Discard, c.raw)
		}
		if err != nil {
			return
		}
		if time.Since(windowStart) > wsSubscriptionWindow {
			windowStart, count, presences = time.Now(), 0, 0
		}
		if open, typing, ok := parsePresence(b); ok {
			if presences++; presences > wsMaxPresence {
				c.overLimit()
				return
			}
			select {
			case c.hub.presence <- presenceRequest{c: c, open: open, typing: typing}:
			case <-c.hub.done:
				return
			}
			continue
		}
		if count++; count > wsMaxSubscriptions {
			c.overLimit()
			return
		}
		m, sub, err := parseSubscription(b)
		if err != nil {
			continue
		}
		counts, bases := parseCounts(m.Counts)
		select {
		case c.hub.subscribe <- subscribeRequest{c: c, sub: sub, rows: m.Rows, epoch: m.Epoch, since: m.Since, counts: counts, countBases: bases}:
		case <-c.hub.done:
			return
		}
	}
}

// wsCloseWait is how long a connection that sent its close waits for the
// page's answer before it ends.
const wsCloseWait = time.Second

// overLimit ends the connection of a page that sent more than it may, with
// closeTooManyMessages: the hub drops the client, and what the page still
// sends is read and dropped until it answers the close, or wsCloseWait
// passes. A connection ended with its messages unread would end in a
// reset, which loses the close and its code on the way to the page.
func (c *client) overLimit() {
	c.closeCode.Store(closeTooManyMessages)
	select {
	case c.hub.unregister <- c:
	case <-c.hub.done:
		return
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(wsCloseWait))
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}

// writePump writes updates and pings, and checks the session every
// checkEvery; when the hub closes send, it closes the connection with the
// code the hub chose.
func (c *client) writePump(checkSession func(), checkEvery time.Duration) {
	ping := time.NewTicker(wsPingPeriod)
	check := time.NewTicker(checkEvery)
	defer func() {
		ping.Stop()
		check.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case parts, ok := <-c.send:
			if !ok {
				c.writeClose()
				c.awaitRead()
				return
			}
			// Whatever else is waiting goes in the same message: a page
			// that fell behind catches up in one write.
			closed := false
			size, taken := partsSize(parts), int32(1)
		drain:
			for size < wsMaxMessage {
				select {
				case next, ok := <-c.send:
					if !ok {
						closed = true
						break drain
					}
					parts = append(parts, next...)
					size += partsSize(next)
					taken++
				default:
					break drain
				}
			}
			err := c.control(func() error {
				if size == 0 {
					return nil // only the rest of a direct write
				}
				_ = c.raw.SetWriteDeadline(time.Now().Add(wsWriteWait))
				return c.write(parts)
			})
			c.queued.Add(-taken)
			if err != nil {
				return
			}
			if closed {
				c.writeClose()
				c.awaitRead()
				return
			}
		case <-ping.C:
			if err := c.control(func() error {
				return c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait))
			}); err != nil {
				return
			}
		case <-check.C:
			checkSession()
		}
	}
}

// awaitRead waits, at most wsCloseWait, for the read pump to end (the
// page answered the close, or went) before the connection is closed.
func (c *client) awaitRead() {
	if c.readDone == nil {
		return
	}
	t := time.NewTimer(wsCloseWait)
	defer t.Stop()
	select {
	case <-c.readDone:
	case <-t.C:
	}
}

// writeClose closes the connection with the code the hub chose.
func (c *client) writeClose() {
	code, reason := int(c.closeCode.Load()), c.closeReason
	switch code {
	case 0:
		code = websocket.CloseNormalClosure
	case closeTooManyMessages:
		reason = tooManyMessagesReason
	}
	_ = c.control(func() error {
		return c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(wsWriteWait))
	})
}

// control runs write, which writes a frame, holding the client's write
// lock and after the rest of a frame the hub wrote in part. When the hub
// writes directly, the socket is left with no write deadline, which would
// otherwise refuse its next direct write once passed.
func (c *client) control(write func() error) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.rest != nil {
		_ = c.raw.SetWriteDeadline(time.Now().Add(wsWriteWait))
		_, err := c.rest.WriteTo(c.raw)
		c.rest = nil
		if err != nil {
			return err
		}
	}
	err := write()
	if c.direct != nil {
		_ = c.raw.SetWriteDeadline(time.Time{})
	}
	return err
}

// wsMaxMessage is about the most a page is sent in one message when it
// catches up on several: beyond it, the rest waits for the next write.
const wsMaxMessage = 64 << 10

func partsSize(parts [][]byte) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n
}

// write sends one text message made of parts, which are shared with other
// clients, as a single websocket frame in a single system call (writev):
// the frame's header, then the parts where they lie, with nothing copied.
// The write pump calls it holding wmu (see control), so frames never
// interleave.
func (c *client) write(parts [][]byte) error {
	h := frameHeader(&c.hdr, partsSize(parts))
	iov := append(append(c.iov[:0], h), parts...)
	bufs := iov
	_, err := bufs.WriteTo(c.raw)
	clear(iov) // let the parts go with the update that holds them
	c.iov = iov[:0]
	return err
}

// rawConn is the connection under a websocket as the operating system
// sees it, so that a message of several parts goes out in one writev: the
// connection limits' wrapper would have each part written on its own.
func rawConn(c net.Conn) net.Conn {
	if lc, ok := c.(*limitedConn); ok {
		return lc.Conn
	}
	return c
}
