package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
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
	status, closes, err := readAnswer(s.r)
	if err != nil || closes {
		s.close()
	}
	if err != nil {
		return 0, fmt.Errorf("reading the answer: %w", err)
	}
	return status, nil
}

// readAnswer reads one HTTP/1.1 response from r, its body included, and
// returns its status and whether the server closes the connection after
// it. It reads what a Zavu delivery needs of the answer (the status, the
// length of the body or its chunks, Connection: close) without building
// an http.Response: the bench runs on the cores of the server it measures.
func readAnswer(r *bufio.Reader) (status int, closes bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	proto, rest, ok := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(" "))
	if !ok || !bytes.HasPrefix(proto, []byte("HTTP/1.")) || len(rest) < 3 {
		return 0, false, fmt.Errorf("malformed status line %q", line)
	}
	if status, err = strconv.Atoi(string(rest[:3])); err != nil {
		return 0, false, fmt.Errorf("malformed status line %q", line)
	}
	closes = bytes.Equal(proto, []byte("HTTP/1.0"))
	length, chunked := int64(-1), false
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("malformed header %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
				return 0, false, fmt.Errorf("malformed Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closes = closes || bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		_, err = io.Copy(io.Discard, httputil.NewChunkedReader(r))
		if err == nil {
			_, err = r.Discard(2) // the CRLF after the last chunk (no trailers)
		}
	case length >= 0:
		_, err = r.Discard(int(length))
	case status/100 == 1 || status == http.StatusNoContent || status == http.StatusNotModified:
	default:
		_, err = io.Copy(io.Discard, r) // until the server closes
		closes = true
	}
	return status, closes, err
}

func (s *benchSender) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn, s.r = nil, nil
	}
}
