package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// simulate --count N makes each conversation's events as it comes to
// send them: it made all N first, 1.2 KB each, so --count 1000000000
// took the machine's memory before sending one, and a run stopped after
// a few deliveries had made them all the same. Stopped after 20
// deliveries of a run of 200,000, it has made little more than those.
func TestSimulateMakesEventsAsItSendsThem(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got.Add(1) >= 20 {
			cancel()
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"simulate", "--url", srv.URL, "--count", "200000", "--rate", "0", "--concurrency", "1"},
		strings.NewReader(""), &out, &errOut, envFrom(nil))
	runtime.ReadMemStats(&after)
	if n := got.Load(); n < 20 || n > 200 {
		t.Fatalf("%d deliveries reached the server (exit %d, %s %s), want the run stopped after about 20", n, code, out.String(), errOut.String())
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("a run stopped after %d deliveries allocated %d MiB: it made far more events than it sent", got.Load(), alloc>>20)
	}
}
