package web

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// A page's update is written by the hub goroutine itself when the page's
// socket takes it at once, which it does unless the page has fallen
// behind: one writev that never waits, with no goroutine woken and no
// timer set. Only what the socket does not take (the rest of a frame, and
// every message after it until the page has caught up) goes through the
// page's write pump, which waits for the socket. Under a steady stream of
// changes a render then costs the server one system call per page and
// nothing else, and the pages' writes take one core while webhooks have
// the other.
//
// Frames never interleave: whoever writes a frame holds the client's wmu
// (the hub with TryLock, never waiting for it), the hub writes directly
// only when no message waits in send (queued), and the rest of a frame
// written in part (rest) is written before anything else.

// errWouldBlock is a direct write the socket did not take in full.
var errWouldBlock = errors.New("socket buffer full")

// directWriter writes without waiting; see writevNow.
type directWriter struct {
	sc  syscall.RawConn
	iov []sysIovec // scratch, owned by whoever holds the client's wmu
}

// newDirectWriter is a writer for c's socket, or nil when c is not a
// socket this platform can write to without waiting (then every message
// goes through the write pump).
func newDirectWriter(c net.Conn) *directWriter {
	if !writevSupported {
		return nil
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return &directWriter{sc: rc}
}

// tryDeliver writes the message made of parts to c's socket now, if
// nothing is ahead of it and the socket takes it without waiting. It
// reports false when the message must go through the write pump instead
// (c.send) as before; when the socket took part of it, the rest waits in
// c.rest and the pump is woken with an empty message to write it.
func (h *Hub) tryDeliver(c *client, parts [][]byte) (done bool) {
	if c.direct == nil || c.queued.Load() != 0 || len(parts)+1 > maxIovecs || !c.wmu.TryLock() {
		return false
	}
	defer c.wmu.Unlock()
	if c.queued.Load() != 0 || c.rest != nil {
		return false
	}
	rest, err := c.direct.write(frameHeader(&c.hdr, partsSize(parts)), parts)
	if err == nil {
		return true
	}
	// The pump writes the rest, waiting for the socket, or fails on a
	// broken connection and closes it: the page's reader then ends.
	c.rest = rest
	c.queued.Add(1)
	select {
	case c.send <- nil:
	default:
		c.queued.Add(-1)
		h.log.Warn("live client too slow; disconnected", "user_id", c.userID)
		h.slow.Add(1)
		h.drop(c, websocket.CloseTryAgainLater)
	}
	return true
}

// maxIovecs bounds the parts of a direct write (IOV_MAX is 1024); a larger
// message, such as a page catching up, goes through the pump.
const maxIovecs = 512

// write writes hdr and parts with one writev that never waits. On
// anything short of the whole message it returns what was not written
// (as net.Buffers, which the pump writes with waiting) and an error.
func (w *directWriter) write(hdr []byte, parts [][]byte) (rest net.Buffers, err error) {
	iov := append(w.iov[:0], iovec(hdr))
	total := len(hdr)
	for _, p := range parts {
		if len(p) > 0 {
			iov = append(iov, iovec(p))
			total += len(p)
		}
	}
	var n int
	var werr error
	cerr := w.sc.Write(func(fd uintptr) bool {
		for {
			n, werr = writev(fd, iov)
			if werr != syscall.EINTR {
				return true // never wait: the pump does
			}
		}
	})
	clear(iov) // let the parts go with the update that holds them
	w.iov = iov[:0]
	if cerr != nil {
		werr = cerr
	}
	if werr == nil && n == total {
		return nil, nil
	}
	if werr == nil || werr == syscall.EAGAIN {
		werr = errWouldBlock
	}
	n = max(n, 0)
	// hdr is the client's scratch space: the rest keeps a copy of it.
	all := append(net.Buffers{bytes.Clone(hdr)}, parts...)
	for len(all) > 0 && n >= len(all[0]) {
		n -= len(all[0])
		all = all[1:]
	}
	if len(all) > 0 {
		all[0] = all[0][n:]
	}
	return all, werr
}

// frameHeader is the header of a final text frame of n bytes, in buf.
func frameHeader(buf *[10]byte, n int) []byte {
	buf[0] = 0x80 | websocket.TextMessage // final frame, text
	switch {
	case n < 126:
		buf[1] = byte(n)
		return buf[:2]
	case n <= 0xffff:
		buf[1] = 126
		binary.BigEndian.PutUint16(buf[2:], uint16(n))
		return buf[:4]
	}
	buf[1] = 127
	binary.BigEndian.PutUint64(buf[2:], uint64(n))
	return buf[:10]
}

// writeDirectly lets the hub write the page's updates itself when its
// socket allows (see above). The answers to the page's pings and close
// then go after any frame the hub wrote in part.
func (c *client) writeDirectly() {
	if c.direct = newDirectWriter(c.raw); c.direct == nil {
		return
	}
	c.conn.SetPingHandler(func(data string) error {
		err := c.control(func() error {
			return c.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(wsWriteWait))
		})
		var ne net.Error
		if errors.Is(err, websocket.ErrCloseSent) || errors.As(err, &ne) && ne.Timeout() {
			return nil // as gorilla's own answer does
		}
		return err
	})
	c.conn.SetCloseHandler(func(code int, _ string) error {
		_ = c.control(func() error {
			return c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(wsWriteWait))
		})
		return nil
	})
}
