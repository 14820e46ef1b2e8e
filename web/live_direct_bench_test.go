//go:build linux

package web

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"switchboard/inbox"
)

// BenchmarkLiveFanout is one list row delivered to 200 pages over loopback
// websockets, each page reading every message as a browser does: with the
// hub writing each page's message itself ("direct"), and with every
// message going through the page's write pump ("pump"). The pages are
// another process; it reports the server's CPU per page delivered.
func BenchmarkLiveFanout(b *testing.B) {
	for _, direct := range []bool{true, false} {
		name := "pump"
		if direct {
			name = "direct"
		}
		b.Run(name, func(b *testing.B) { benchFanout(b, direct) })
	}
}

func benchFanout(b *testing.B, direct bool) {
	const pages = 200
	h := newHubWith(openRows{}, slog.New(slog.DiscardHandler), nil, time.Now)
	defer h.Close()
	conns := make(chan *websocket.Conn, pages)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		if c, err := up.Upgrade(w, r, nil); err == nil {
			conns <- c
		}
	}))
	defer srv.Close()
	// The pages are another process, as browsers are: the CPU measured is
	// the server's alone. Each page reads every message and tells when it
	// has one.
	pagesCmd := exec.Command(os.Args[0], "-test.run=^TestFanoutPages$")
	pagesCmd.Env = append(os.Environ(), fanoutPagesEnv+"="+srv.URL, "FANOUT_PAGES="+strconv.Itoa(pages))
	pagesCmd.Stderr = os.Stderr
	out, err := pagesCmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := pagesCmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = pagesCmd.Process.Kill(); _ = pagesCmd.Wait() }()
	got := bufio.NewReader(out)
	for range pages {
		conn := <-conns
		c := &client{hub: h, conn: conn, raw: rawConn(conn.NetConn()), send: make(chan [][]byte, clientBuffer), userID: 1}
		if direct {
			c.writeDirectly()
		}
		h.register <- c
		go c.writePump(func() {}, time.Hour)
		h.subscribe <- subscribeRequest{c: c, sub: subscription{list: &listView{View: "open"}}, epoch: h.epoch, since: h.published.Load()}
	}
	b.ResetTimer()
	cpu := processCPU()
	for i := range b.N {
		h.Publish(inbox.Change{ConversationIDs: []int64{int64(i + 1)}})
		for range pages {
			if _, err := got.ReadByte(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N*pages), "cpu-ns/delivery")
}

const fanoutPagesEnv = "SWITCHBOARD_FANOUT_PAGES_OF"

// TestFanoutPages is the pages of BenchmarkLiveFanout, run in a process of
// their own: it writes a byte for each message a page reads.
func TestFanoutPages(t *testing.T) {
	url := os.Getenv(fanoutPagesEnv)
	if url == "" {
		t.Skip("run by BenchmarkLiveFanout")
	}
	n, _ := strconv.Atoi(os.Getenv("FANOUT_PAGES"))
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	for range n {
		page, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http"), nil)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				_, r, err := page.NextReader()
				if err != nil {
					return
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					return
				}
				mu.Lock()
				_ = out.WriteByte('.')
				_ = out.Flush()
				mu.Unlock()
			}
		}()
	}
	select {} // until the benchmark ends the process
}
