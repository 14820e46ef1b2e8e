package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// benchSender is one of the bench's webhook senders: one keep-alive
// HTTP/1.1 connection to the server, used by one goroutine at a time. A
// request is written as the bytes made before the clock started (request
// line, headers with the signature, body) in one write, and its answer is
// read and parsed with net/http: the senders share the machine's cores
// with the server they measure, so each costs it as little as it can.
type benchSender struct {
	addr string // host:port
	conn net.Conn
	r    *bufio.Reader
}

// wireRequest is the whole HTTP/1.1 request that delivers s to the server
// at host.
func wireRequest(host, path string, s signed) []byte {
	head := "POST " + path + " HTTP/1.1\r\nHost: " + host +
		"\r\nContent-Type: application/json\r\nX-Zavu-Signature: " + s.signature +
		"\r\nContent-Length: " + strconv.Itoa(len(s.body)) + "\r\n\r\n"
	return append([]byte(head), s.body...)
}

// send writes one request and reads its answer, opening a connection if
// there is none; after any error, or an answer that closes the
// connection, the next send opens another.
func (s *benchSender) send(ctx context.Context, req []byte) (int, error) {
	if s.conn == nil {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", s.addr)
		if err != nil {
			return 0, err
		}
		s.conn, s.r = c, bufio.NewReaderSize(c, 4096)
	}
	if dl, ok := ctx.Deadline(); ok {
		s.conn.SetDeadline(dl)
	} else {
		s.conn.SetDeadline(time.Now().Add(30 * time.Second))
	}
	if _, err := s.conn.Write(req); err != nil {
		s.close()
		return 0, err
	}
	resp, err := http.ReadResponse(s.r, nil)
	if err != nil {
		s.close()
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		s.close()
	}
	if err != nil {
		return 0, fmt.Errorf("reading the answer: %w", err)
	}
	return resp.StatusCode, nil
}

func (s *benchSender) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn, s.r = nil, nil
	}
}
