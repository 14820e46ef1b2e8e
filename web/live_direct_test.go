//go:build linux

package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/inbox"
)

// bigRows renders each changed conversation as a list row of size bytes,
// but for the first, of 100.
type bigRows struct{ size int }

func (r bigRows) sizeOf(id int64) int {
	if id == 1 {
		return 100
	}
	return r.size
}

func (r bigRows) renderChange(_ context.Context, ch inbox.Change) (*update, error) {
	u := &update{}
	for _, id := range ch.ConversationIDs {
		row := fmt.Sprintf(`<a data-live="row" data-conversation="%d">%s</a>`, id, strings.Repeat("x", r.sizeOf(id)))
		u.convs = append(u.convs, liveConv{id: id, status: inbox.Open, row: []byte(row)})
	}
	return u, nil
}
func (bigRows) renderTeam(context.Context) ([]byte, error) { return nil, nil }

// A page that keeps up gets its updates from the hub itself, with no
// write pump running; a page that stops reading (its socket full) still
// gets every row whole and in order once it reads again, with an answer
// to its ping among them, and then updates come straight from the hub
// again.
func TestLiveDirectWritesKeepFramesWhole(t *testing.T) {
	rows := bigRows{size: 16 << 10}
	h := newHubWith(rows, slog.New(slog.DiscardHandler), nil, time.Now)
	t.Cleanup(h.Close)
	conns := make(chan *websocket.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		if c, err := up.Upgrade(w, r, nil); err == nil {
			conns <- c
		}
	}))
	t.Cleanup(srv.Close)
	page, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { page.Close() })
	conn := <-conns
	c := &client{hub: h, conn: conn, raw: rawConn(conn.NetConn()), send: make(chan [][]byte, clientBuffer), userID: 1}
	c.writeDirectly()
	if c.direct == nil {
		t.Fatal("no direct writes on a TCP socket")
	}
	h.register <- c
	h.subscribe <- subscribeRequest{c: c, sub: subscription{list: &listView{View: "open"}}, epoch: h.epoch, since: h.published.Load()}

	next := 1 // the conversation whose row comes next
	read := func() {
		t.Helper()
		_ = page.SetReadDeadline(time.Now().Add(10 * time.Second)) // only a guard against a hang
		_, b, err := page.ReadMessage()
		if err != nil {
			t.Fatalf("reading row %d: %v", next, err)
		}
		for _, row := range bytes.Split(b, []byte(`data-conversation="`))[1:] {
			idText, body, _ := bytes.Cut(row, []byte(`">`))
			id, _ := strconv.Atoi(string(idText))
			size := rows.sizeOf(int64(next))
			if n := bytes.IndexByte(body, '<'); id != next || n != size || bytes.Count(body[:max(n, 0)], []byte("x")) != size {
				t.Fatalf("row %d (%d bytes) where row %d of %d bytes was due", id, n, next, size)
			}
			next++
		}
	}

	// No write pump yet: the hub writes (a small row, which the socket
	// takes at once).
	h.Publish(inbox.Change{ConversationIDs: []int64{1}})
	read()
	if next != 2 {
		t.Fatalf("the first row did not come from the hub: next %d", next)
	}

	// The page stops reading; its socket fills and the pump takes over.
	_ = c.raw.(*net.TCPConn).SetWriteBuffer(8 << 10)
	go c.writePump(func() {}, time.Hour)
	go c.readPump()
	last := 1
	for range 40 { // 640 kB for socket buffers of some 200 kB
		last++
		h.Publish(inbox.Change{ConversationIDs: []int64{int64(last)}})
	}
	for deadline := time.Now().Add(10 * time.Second); c.queued.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the write pump never took over")
		}
	}
	pong := make(chan struct{}, 1)
	page.SetPongHandler(func(string) error { pong <- struct{}{}; return nil })
	if err := page.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for next <= last {
		read()
	}
	// Caught up: the hub writes again.
	for deadline := time.Now().Add(10 * time.Second); c.queued.Load() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the pump never caught up")
		}
	}
	last++
	h.Publish(inbox.Change{ConversationIDs: []int64{int64(last)}})
	read()
	if next != last+1 || c.queued.Load() != 0 {
		t.Errorf("after catching up: next %d, last %d, queued %d", next, last, c.queued.Load())
	}
	select {
	case <-pong:
	default:
		t.Error("no answer to the page's ping")
	}
}
