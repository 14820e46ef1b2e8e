package web

import (
	"log"
	"net/http"
	"strings"
	"time"
)

// The HTTP server's timeouts. Every request must be read within
// ReadTimeout (so a slow body holds its connection that long at most) and
// answered within WriteTimeout of its headers; downloads and uploads get
// longer write deadlines of their own, and a live page's websocket sets
// its deadlines per message.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 60 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 120 * time.Second

	// downloadTimeout is how long /files/ and /media/ may take to send a
	// file (25 MiB at 45 KB/s), and the reports their CSV (a year of
	// conversations).
	downloadTimeout = 10 * time.Minute
	// uploadTimeout is how long an upload may take to answer: reading
	// the body, then WriteTimeout.
	uploadTimeout = ReadTimeout + WriteTimeout
)

// HTTPServer is the http.Server to serve s with: the timeouts above, and
// the reserve of a ConnListener honoured. errorLog may be nil.
func (s *Server) HTTPServer(errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errorLog,
		ConnContext:       connContext,
	}
}

// extendDeadline gives downloads and uploads a write deadline of their
// own, past the server's WriteTimeout.
func extendDeadline(w http.ResponseWriter, r *http.Request) {
	var d time.Duration
	switch {
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && (strings.HasPrefix(r.URL.Path, "/files/") ||
		strings.HasPrefix(r.URL.Path, "/media/") || r.URL.Path == "/reports/export.csv" || r.URL.Path == "/api/v1/reports/export.csv"):
		d = downloadTimeout
	case r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data"):
		d = uploadTimeout
	default:
		return
	}
	// Not every ResponseWriter has a connection (tests): then nothing to do.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
}
