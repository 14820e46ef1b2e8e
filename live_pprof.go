package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// livePprofEnv names a loopback address (such as 127.0.0.1:6061) on which
// "switchboard serve" offers the Go runtime's profiles (/debug/pprof/),
// for profiling the live updates under "switchboard bench --team". Unset:
// no profiles are served.
const livePprofEnv = "SWITCHBOARD_LIVE_PPROF"

// startLivePprof serves the profiles on the address in livePprofEnv, if it
// is set; it refuses an address that is not loopback. stop ends it.
func startLivePprof(getenv func(string) string, log *slog.Logger) (stop func(), err error) {
	addr := getenv(livePprofEnv)
	if addr == "" {
		return func() {}, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: want host:port", livePprofEnv, addr)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, errors.New(livePprofEnv + ": profiles are served on a loopback address only, such as 127.0.0.1:6061")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", livePprofEnv, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	log.Warn("serving Go profiles", "addr", ln.Addr().String())
	return func() { _ = hs.Close() }, nil
}
