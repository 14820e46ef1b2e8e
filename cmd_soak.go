package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/inbox/zavu"
	"switchboard/store"
)

// soakSample is what "switchboard soak" reports for one interval.
type soakSample struct {
	ElapsedS     float64 `json:"elapsedS"`
	Acked        int     `json:"acked"`       // deliveries answered 200 in the interval
	NotAcked     int     `json:"notAcked"`    // answered otherwise, or not at all
	AckP50Ms     float64 `json:"ackP50Ms"`    // of the interval's deliveries
	AckP99Ms     float64 `json:"ackP99Ms"`    //
	WALMiB       float64 `json:"walMiB"`      // the server's WAL file at the sample
	DatabaseMiB  float64 `json:"databaseMiB"` // the database file
	RSSMiB       float64 `json:"rssMiB"`      // the server's resident memory
	PendingCount int64   `json:"pending"`     // events stored and not yet applied
	// The live pages (--pages): how long the watched messages of the
	// interval took from their webhook to each page; how many pages are
	// connected; and how many times, in all so far, a page has not shown
	// a watched message sent over 2 s before the sample.
	FanoutP50Ms float64 `json:"fanoutP50Ms"`
	FanoutP99Ms float64 `json:"fanoutP99Ms"`
	Pages       int     `json:"pages"`
	Missed      int     `json:"missed"`
}

// soak runs "switchboard soak": a server started from exec, fed signed
// webhooks at a steady rate for a bounded time over loopback, with live
// pages of an agent watching a conversation that gets a message every
// soakWatchEvery, and a line every interval with ack latency, fan-out to
// the pages, WAL size, resident memory and the backlog of stored events
// not yet applied. It stops by itself.
func (e env) soak(ctx context.Context, args []string) error {
	fs := e.newFlags("soak")
	duration := fs.Duration("duration", 10*time.Minute, "how long to send (at most 2h)")
	rate := fs.Int("rate", 1000, "webhooks a second (1 to 20000)")
	every := fs.Duration("every", 10*time.Second, "how often to report (1s to 10m)")
	pages := fs.Int("pages", 20, "live pages (websockets) of an agent showing a conversation with a message every 100 ms, each timed to every page (0 to 1000)")
	asJSON := fs.Bool("json", false, "print one JSON object a line instead of a table")
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	switch {
	case *duration <= 0 || *duration > 2*time.Hour:
		return usageError("--duration must be more than 0 and at most 2h")
	case *rate < 1 || *rate > 20000:
		return usageError("--rate must be from 1 to 20000")
	case *every < time.Second || *every > 10*time.Minute:
		return usageError("--every must be from 1s to 10m")
	case *pages < 0 || *pages > 1000:
		return usageError("--pages must be from 0 to 1000")
	}
	dir, err := os.MkdirTemp("", "switchboard-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	z, err := startBenchZavu()
	if err != nil {
		return err
	}
	defer z.close()
	dbPath := filepath.Join(dir, "switchboard.db")
	if *pages > 0 {
		if _, err := prepareTeamDB(ctx, dbPath, teamSizes{agents: 1}); err != nil {
			return err
		}
	}
	srv, err := startBenchServer(ctx, benchChildOptions{db: dbPath, logFile: filepath.Join(dir, "server.log"),
		zavuURL: z.url, secret: "whsec_soak_" + fmt.Sprint(time.Now().UnixNano())})
	if err != nil {
		return err
	}
	defer srv.close()
	// A read-only look at the backlog, as an operator would take it.
	ro, err := sql.Open("sqlite", store.DSN(dbPath, false))
	if err != nil {
		return err
	}
	defer ro.Close()

	var watch *soakWatch
	if *pages > 0 {
		if watch, err = startSoakWatch(ctx, srv, *pages, int(*duration/(soakWatchEvery/2))+1); err != nil {
			return err
		}
		defer watch.close()
	}
	sending, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	lat := &latencies{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		if watch != nil {
			wg.Go(func() { watch.send(sending) })
		}
		soakSend(sending, srv, *rate, lat)
		wg.Wait()
	}()

	if !*asJSON {
		fmt.Fprintf(e.stdout, "soak: %d webhooks/s for %s, %d live pages, a line every %s\n\n", *rate, *duration, *pages, *every)
		fmt.Fprintf(e.stdout, "%8s %8s %6s %9s %9s %9s %9s %6s %6s %8s %8s %8s %8s\n",
			"time(s)", "acked", "failed", "p50(ms)", "p99(ms)", "live p50", "live p99", "pages", "missed", "WAL(MiB)", "DB(MiB)", "RSS(MiB)", "pending")
	}
	start := time.Now()
	tick := time.NewTicker(*every)
	defer tick.Stop()
	report := func() {
		s := soakSample{ElapsedS: time.Since(start).Seconds()}
		var d []time.Duration
		d, s.NotAcked = lat.take()
		s.Acked = len(d)
		s.AckP50Ms, s.AckP99Ms = percentileMs(d, 50), percentileMs(d, 99)
		s.WALMiB = fileMiB(dbPath + "-wal")
		s.DatabaseMiB = fileMiB(dbPath)
		rss, _ := srv.child.rss()
		s.RSSMiB = rss / (1 << 20)
		s.PendingCount, _ = store.CountPending(ctx, ro)
		if watch != nil {
			var fan []time.Duration
			fan, s.Pages = watch.take()
			s.FanoutP50Ms, s.FanoutP99Ms = percentileMs(fan, 50), percentileMs(fan, 99)
			s.Missed = watch.missed(time.Now().Add(-2 * time.Second))
		}
		if *asJSON {
			b, _ := json.Marshal(s)
			fmt.Fprintln(e.stdout, string(b))
			return
		}
		fmt.Fprintf(e.stdout, "%8.0f %8d %6d %9.2f %9.2f %9.1f %9.1f %6d %6d %8.1f %8.1f %8.1f %8d\n",
			s.ElapsedS, s.Acked, s.NotAcked, s.AckP50Ms, s.AckP99Ms, s.FanoutP50Ms, s.FanoutP99Ms, s.Pages, s.Missed,
			s.WALMiB, s.DatabaseMiB, s.RSSMiB, s.PendingCount)
	}
	for {
		select {
		case <-tick.C:
			report()
			continue
		case <-done:
		}
		break
	}
	// The load is over: one more line, and one once the WAL has had time
	// to empty.
	report()
	select {
	case <-time.After(3 * time.Second):
	case <-ctx.Done():
	}
	report()
	return srv.close()
}

// soakSend posts rate signed webhooks a second until ctx ends, each signed
// when it goes out (a soak outlasts a signature's five minutes).
func soakSend(ctx context.Context, b *benchServer, rate int, lat *latencies) {
	sim := zavu.NewSimulator(uint64(time.Now().UnixNano()), "snd_soak", "+13125559876", time.Now)
	jobs := make(chan []byte, 4*benchManySenders)
	var wg sync.WaitGroup
	for range benchManySenders {
		wg.Go(func() {
			for body := range jobs {
				start := time.Now()
				status, err := postWebhook(context.WithoutCancel(ctx), b.client, b.url, zavu.Sign(b.secret, start, body), body)
				lat.add(time.Since(start), err == nil && status == http.StatusOK)
			}
		})
	}
	interval := time.Second / time.Duration(rate)
	next := time.Now()
	var queue []zavu.SimEvent
feed:
	for {
		if len(queue) == 0 {
			queue = sim.Next()
		}
		next = next.Add(interval)
		if wait := time.Until(next); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				break feed
			}
		}
		select {
		case jobs <- queue[0].Body:
			queue = queue[1:]
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
}

// latencies collects ack times between reports.
type latencies struct {
	mu     sync.Mutex
	d      []time.Duration
	failed atomic.Int64
}

func (l *latencies) add(d time.Duration, ok bool) {
	if !ok {
		l.failed.Add(1)
		return
	}
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// take returns what was collected since the last take, and forgets it.
func (l *latencies) take() ([]time.Duration, int) {
	l.mu.Lock()
	d := l.d
	l.d = nil
	l.mu.Unlock()
	return d, int(l.failed.Swap(0))
}

func fileMiB(path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return float64(fi.Size()) / (1 << 20)
}
