package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// A live update is HTML that htmx's websocket extension swaps in out of
// band: each changed message as a bubble for its thread (app.js puts it in
// time order, or in place of its older self), each changed conversation's
// header and details, and a signal naming the conversations, on which the
// page refreshes its list. Pages that do not show a target ignore it.
type liveUpdate struct {
	messages []inbox.Message
	convs    []inbox.Conversation
	composer map[int64]views.ComposerView
	deleted  []int64
	who      people
	agents   []views.AgentOption
	now      time.Time
	convIDs  []int64

	rendered map[string][]byte // by user and time zone: the header differs per agent
}

// resyncMessage tells every page to reload its list and thread: sent when
// updates were lost to a burst the hub could not keep up with.
var resyncMessage = []byte(`<div id="sb-signal" hx-swap-oob="true" data-conversations="*" data-resync="1" hidden></div>`)

// renderLive loads what a change touched, once for all clients.
func (s *Server) renderLive(ctx context.Context, ch inbox.Change) (*liveUpdate, error) {
	u := &liveUpdate{now: s.now(), rendered: map[string][]byte{}, composer: map[int64]views.ComposerView{},
		deleted: ch.DeletedMessageIDs}
	us, err := s.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	u.who = make(people, len(us))
	for _, x := range us {
		u.who[x.ID] = x
		if x.Active {
			u.agents = append(u.agents, views.AgentOption{ID: x.ID, Name: x.Name})
		}
	}
	convIDs := append([]int64(nil), ch.ConversationIDs...)
	for _, id := range ch.MessageIDs {
		m, err := s.store.Message(ctx, id)
		if errors.Is(err, inbox.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		u.messages = append(u.messages, m)
		convIDs = appendUnique(convIDs, m.ConversationID)
	}
	for _, id := range convIDs {
		c, err := s.store.Conversation(ctx, id)
		if errors.Is(err, inbox.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		u.convs = append(u.convs, c)
		if u.composer[c.ID], err = s.composerView(ctx, c); err != nil {
			return nil, err
		}
	}
	u.convIDs = convIDs
	return u, nil
}

// forClient renders the update as one client's page shows it: in the
// agent's time zone, with the agent's own "Assign to me".
func (u *liveUpdate) forClient(c *client) []byte {
	key := strconv.FormatInt(c.userID, 10) + "|" + c.loc.String()
	if b, ok := u.rendered[key]; ok {
		return b
	}
	loc := c.loc
	ctx := context.Background()
	var buf bytes.Buffer
	for _, m := range u.messages {
		fmt.Fprintf(&buf, `<div hx-swap-oob="beforeend:#msgs-%d">`, m.ConversationID)
		_ = views.Message(messageView(m, u.who, loc)).Render(ctx, &buf)
		buf.WriteString(`</div>`)
	}
	for _, id := range u.deleted {
		fmt.Fprintf(&buf, `<div id="m-%d" hx-swap-oob="delete"></div>`, id)
	}
	for _, cv := range u.convs {
		v := convView(cv, u.who, u.now, loc)
		_ = views.ThreadHeader(v, u.agents, c.userID, views.Filter{}, true).Render(ctx, &buf)
		_ = views.Details(v, true).Render(ctx, &buf)
		_ = views.Composer(u.composer[cv.ID], true).Render(ctx, &buf)
	}
	ids := make([]string, len(u.convIDs))
	for i, id := range u.convIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	fmt.Fprintf(&buf, `<div id="sb-signal" hx-swap-oob="true" data-conversations="%s" hidden></div>`, strings.Join(ids, " "))
	b := buf.Bytes()
	u.rendered[key] = b
	return b
}

// Websocket timings, after the gorilla chat example.
const (
	wsWriteWait  = 10 * time.Second
	wsPongWait   = 60 * time.Second
	wsPingPeriod = wsPongWait * 9 / 10
	wsMaxRead    = 1024
)

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
		CheckOrigin:     func(*http.Request) bool { return true }, // checked above, against the base URL too
	}
	conn, err := up.Upgrade(c.Response(), r, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	userID := currentUser(c).ID
	if !s.livePages.acquire(userID, s.livePagesPerUser()) {
		_ = conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(closeTooManyPages, tooManyPagesReason))
		conn.Close()
		return nil
	}
	defer s.livePages.release(userID)
	ctx := r.Context()
	cl := &client{hub: s.hub, conn: conn, send: make(chan []byte, clientBuffer), userID: userID, loc: location(c),
		session: s.sessions.Token(ctx)}
	select {
	case s.hub.register <- cl:
	case <-s.hub.done:
		conn.Close()
		return nil
	}
	// The user may have been deactivated, or their password reset, while
	// this connection was being set up, after Disconnect had run: look
	// again now that Disconnect would find it.
	if _, ok, err := s.sessionUser(ctx); err == nil && !ok {
		s.hub.signOut(disconnect{reason: signedOutReason, match: func(x *client) bool { return x == cl }})
	}
	go cl.writePump()
	cl.readPump()
	return nil
}

// readPump reads (and ignores) what the page sends, to notice pongs and a
// closed connection; it unregisters the client when the connection ends.
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
	for {
		if _, _, err := c.conn.ReadMessage(); err != nil {
			return
		}
	}
}

// writePump writes updates and pings; when the hub closes send, it closes
// the connection with the code the hub chose.
func (c *client) writePump() {
	ticker := time.NewTicker(wsPingPeriod)
	defer func() {
		ticker.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case msg, ok := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
			if !ok {
				code := int(c.closeCode.Load())
				if code == 0 {
					code = websocket.CloseNormalClosure
				}
				_ = c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, c.closeReason))
				return
			}
			if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
		case <-ticker.C:
			_ = c.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}
