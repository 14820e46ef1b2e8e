package store

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/inbox"
)

// The projection's benchmarks report CPU time per event (user and system,
// the whole process) beside the rates: on a shared machine the wall-clock
// figures mostly measure waiting for a core. Run them with
//
//	go test ./store -run '^$' -bench 'Project|AppendBurst' -benchtime 20000x -count 3

// BenchmarkProjectBacklog applies a backlog of b.N stored inbound
// messages, as after a burst: what applying costs an event.
func BenchmarkProjectBacklog(b *testing.B) {
	db := openTest(b, WithSessionCleanup(0))
	evs := projectBenchEvents(b.N)
	appendEvents(b, db, evs) // stored, read back and decoded by the projection
	b.ResetTimer()
	elapsed, used := applyBacklog(b, db, evs)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(used.Microseconds())/float64(b.N), "cpu-us/event")
	s := db.Stats()
	b.ReportMetric(float64(s.Writes)/float64(s.Batches), "events/commit")
}

// BenchmarkAppendBurst acknowledges b.N inbound messages from
// benchCallers concurrent callers while the projection runs: the rate of
// acknowledgements in a burst, and the CPU per event of acknowledging and
// applying, measured until every event is applied.
func BenchmarkAppendBurst(b *testing.B) {
	db := openTest(b, WithSessionCleanup(0))
	evs := projectBenchEvents(b.N)
	db.Project(newProjectionLog(evs...).projection(inbox.Apply))
	b.ResetTimer()
	acked, applied, used := appendBurst(b, db, evs)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/acked.Seconds(), "acked/s")
	b.ReportMetric(float64(b.N)/applied.Seconds(), "applied/s")
	b.ReportMetric(float64(used.Microseconds())/float64(b.N), "cpu-us/event")
}

// applyBacklog applies evs, stored already, and waits until all are: the
// time that took and this process's CPU meanwhile.
func applyBacklog(b *testing.B, db *DB, evs []*inbox.Event) (elapsed, used time.Duration) {
	log := newProjectionLog(evs...)
	cpu, start := processCPU(), time.Now()
	db.Project(log.projection(inbox.Apply))
	settleLong(b, db)
	return time.Since(start), processCPU() - cpu
}

// appendBurst appends evs from benchCallers callers while the projection
// applies them, and waits until all are applied: the time until all were
// acknowledged, until all were applied, and this process's CPU meanwhile.
func appendBurst(b *testing.B, db *DB, evs []*inbox.Event) (acked, applied, used time.Duration) {
	cpu, start := processCPU(), time.Now()
	appendEvents(b, db, evs)
	acked = time.Since(start)
	settleLong(b, db)
	return acked, time.Since(start), processCPU() - cpu
}

// settleLong is settle for a backlog that may take minutes on a busy
// machine.
func settleLong(b *testing.B, db *DB) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := db.Settle(ctx); err != nil {
		b.Fatal(err)
	}
}

// projectBenchEvents are n inbound messages, each with a stored body of
// its own, which the projection can decode when it reads it back.
func projectBenchEvents(n int) []*inbox.Event {
	evs := make([]*inbox.Event, n)
	for i := range evs {
		evs[i] = benchEvent(i)
		evs[i].Raw = bytes.Replace(benchBody, []byte("evt_0000000000"), []byte(evs[i].ID), 1)
	}
	return evs
}

// appendEvents appends evs from benchCallers callers.
func appendEvents(tb testing.TB, db *DB, evs []*inbox.Event) {
	n := len(evs)
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range benchCallers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if _, err := db.Append(ctx, evs[i]); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkAppend acknowledges b.N inbound messages from benchCallers
// concurrent callers with no projection running: what storing an event
// and sharing a commit cost the writer, the work on the path of every
// acknowledgement.
func BenchmarkAppend(b *testing.B) {
	db := openTest(b, WithSessionCleanup(0))
	evs := projectBenchEvents(b.N)
	b.ResetTimer()
	cpu, start := processCPU(), time.Now()
	appendEvents(b, db, evs)
	elapsed, used := time.Since(start), processCPU()-cpu
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "acked/s")
	b.ReportMetric(float64(used.Microseconds())/float64(b.N), "cpu-us/event")
	s := db.Stats()
	b.ReportMetric(float64(s.Writes)/float64(s.Batches), "events/commit")
}

// BenchmarkSteadyAppend acknowledges b.N inbound messages at a steady
// 1,000 a second while the projection applies them in the lulls between:
// how long an acknowledgement waits for the writer, which may be applying
// events when it comes (p50 and p99 in ms).
func BenchmarkSteadyAppend(b *testing.B) {
	db := openTest(b, WithSessionCleanup(0))
	evs := projectBenchEvents(b.N)
	log := newProjectionLog(evs...)
	db.Project(log.projection(inbox.Apply))
	lat := make([]time.Duration, b.N)
	ctx := context.Background()
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range evs {
		if wait := time.Until(start.Add(time.Duration(i) * time.Millisecond)); wait > 0 {
			time.Sleep(wait)
		}
		wg.Go(func() {
			t := time.Now()
			if _, err := db.Append(ctx, evs[i]); err != nil {
				b.Error(err)
			}
			lat[i] = time.Since(t)
		})
	}
	wg.Wait()
	b.StopTimer()
	settleLong(b, db)
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
}
