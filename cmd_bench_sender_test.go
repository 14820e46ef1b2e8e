package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// A bench sender reads each answer whole, whatever its framing, so that
// the next request on the same keep-alive connection reads its own answer:
// a length, chunks, and an answer that closes the connection.
func TestBenchSenderReadsEachAnswerOnOneConnection(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/length":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"received":true}` + "\n"))
		case "/chunked":
			w.WriteHeader(http.StatusAccepted)
			for range 3 {
				w.Write([]byte(strings.Repeat("x", 5000)))
				w.(http.Flusher).Flush()
			}
		case "/close":
			w.Header().Set("Connection", "close")
			http.Error(w, "go away", http.StatusServiceUnavailable)
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	s := &benchSender{addr: host}
	defer s.close()
	ctx := context.Background()
	for _, step := range []struct {
		path   string
		status int
		conns  int32
	}{
		{"/length", 200, 1}, {"/chunked", 202, 1}, {"/empty", 204, 1}, {"/length", 200, 1},
		{"/close", 503, 1}, {"/length", 200, 2}, {"/chunked", 202, 2},
	} {
		status, err := s.send(ctx, wireRequest(host, step.path, signed{body: []byte(`{}`), signature: "t=1,v1=00"}))
		if err != nil || status != step.status {
			t.Fatalf("%s: status %d, %v; want %d", step.path, status, err, step.status)
		}
		if n := conns.Load(); n != step.conns {
			t.Errorf("after %s: %d connections, want %d", step.path, n, step.conns)
		}
	}
}
