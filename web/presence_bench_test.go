//go:build unix

package web

import (
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkPresenceDelivery is a teammate starting or stopping to type in
// a thread 200 pages show, each page's write pump writing to a loopback
// TCP connection a reader drains: an op is one presence update delivered
// to all 200 pages. It reports the process's CPU per page delivered
// (server and readers).
func BenchmarkPresenceDelivery(b *testing.B) {
	const pages = 200
	tick := make(chan time.Time)
	h := newHubWith(noRenders{}, slog.New(slog.DiscardHandler), tick, time.Now)
	defer h.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	got := make(chan struct{}, 4*pages)
	var stop sync.WaitGroup
	var clients []*client
	for i := range pages + 1 {
		cc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		sc, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		defer cc.Close()
		c := &client{hub: h, raw: sc, send: make(chan [][]byte, clientBuffer), userID: int64(1 + i/pages), name: "Agent"}
		clients = append(clients, c)
		h.register <- c
		// The write pump's data path.
		stop.Go(func() {
			for parts := range c.send {
				_ = c.raw.SetWriteDeadline(time.Now().Add(wsWriteWait))
				if c.write(parts) != nil {
					return
				}
			}
			sc.Close()
		})
		if i == pages {
			break // the typist's own page reads nothing
		}
		// The page: reads each frame and counts it.
		go func() {
			var hdr [4]byte
			for {
				if _, err := io.ReadFull(cc, hdr[:2]); err != nil {
					return
				}
				n := int(hdr[1] & 0x7f)
				if n == 126 {
					if _, err := io.ReadFull(cc, hdr[2:4]); err != nil {
						return
					}
					n = int(hdr[2])<<8 | int(hdr[3])
				}
				if _, err := io.CopyN(io.Discard, cc, int64(n)); err != nil {
					return
				}
				got <- struct{}{}
			}
		}()
	}
	for _, c := range clients {
		h.subscribe <- subscribeRequest{c: c, sub: subscription{open: 1}, epoch: h.epoch, since: h.published.Load()}
	}
	typist := clients[pages]
	// What opening the thread sent the pages, drained.
	for quiet := time.After(200 * time.Millisecond); ; {
		select {
		case <-got:
			continue
		case <-quiet:
		}
		break
	}
	b.ResetTimer()
	cpu := processCPU()
	for i := range b.N {
		typing := ""
		if i%2 == 0 {
			typing = typingReply
		}
		h.presence <- presenceRequest{c: typist, open: 1, typing: typing}
		for range pages {
			<-got
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N*pages), "cpu-ns/delivery")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
