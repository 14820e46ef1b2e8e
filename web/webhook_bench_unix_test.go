//go:build unix

package web_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/inbox/zavu"
	"switchboard/store"
	"switchboard/web"
)

// BenchmarkWebhookAck is the server's side of acknowledging one delivery,
// without the network: the middleware, reading the body, the signature,
// the envelope, storing it in a group commit, the answer. Deliveries come
// from 16 goroutines a core, as from Zavu's concurrent senders, so commits
// are shared as in production. Run it with -benchmem: allocations are
// what the garbage collector later pays for. cpu-us/op is the process's
// CPU time (user and system, every goroutine) per delivery: on a loaded
// machine it holds where ns/op, a wall time, does not.
func BenchmarkWebhookAck(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "switchboard.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	w := web.New(web.Config{}, web.Deps{
		Store:    db,
		Webhooks: zavu.Webhooks{Secrets: zavu.StaticSecrets(testSecret), SenderSecrets: db.SenderWebhookSecrets},
		Logger:   slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Metrics:  web.NewMetrics(prometheus.NewRegistry()),
	})
	defer w.Close()

	type delivery struct {
		body []byte
		sig  string
	}
	sim := zavu.NewSimulator(1, "snd_bench", "+13125559876", time.Now)
	evs := sim.Stream(b.N + 1)
	deliveries := make([]delivery, len(evs))
	for i, ev := range evs {
		deliveries[i] = delivery{ev.Body, zavu.Sign(testSecret, time.Now(), ev.Body)}
	}
	var next atomic.Int64
	var failed atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d := deliveries[next.Add(1)-1]
			req := httptest.NewRequest(http.MethodPost, "/webhooks/zavu", bytes.NewReader(d.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Zavu-Signature", d.sig)
			rec := httptest.NewRecorder()
			w.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu)/float64(time.Microsecond)/float64(b.N), "cpu-us/op")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d deliveries not acknowledged", n)
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
