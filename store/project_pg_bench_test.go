package store

import (
	"context"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/inbox"
)

// The projection's benchmarks on PostgreSQL report, beside the CPU time
// per event of this process and (with SWITCHBOARD_BENCH_PGDATA, see
// BenchmarkPostgresSearch) of the server, the statements sent per event:
// each is a round trip, which is what applying an event costs there.
//
//	go test ./store -run '^$' -bench 'Postgres(ProjectBacklog|AppendBurst)' -benchtime 4000x
//
// With -v, the statements sent most are listed.

// BenchmarkPostgresProjectBacklog is BenchmarkProjectBacklog on
// PostgreSQL.
func BenchmarkPostgresProjectBacklog(b *testing.B) {
	count := &statementCount{}
	db := openPostgresTest(b, WithSessionCleanup(0), withPgTracer(count))
	evs := projectBenchEvents(b.N)
	appendEvents(b, db, evs)
	count.reset()
	b.ResetTimer()
	server := serverCPU(b)
	elapsed, used := applyBacklog(b, db, evs)
	b.StopTimer()
	reportPostgresRun(b, count, used, server, elapsed)
}

// BenchmarkPostgresAppendBurst is BenchmarkAppendBurst on PostgreSQL:
// acknowledging b.N events from benchCallers callers while they are
// applied, and applying them all.
func BenchmarkPostgresAppendBurst(b *testing.B) {
	count := &statementCount{}
	db := openPostgresTest(b, WithSessionCleanup(0), withPgTracer(count))
	evs := projectBenchEvents(b.N)
	db.Project(newProjectionLog(evs...).projection(inbox.Apply))
	count.reset()
	b.ResetTimer()
	server := serverCPU(b)
	acked, elapsed, used := appendBurst(b, db, evs)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/acked.Seconds(), "acked/s")
	reportPostgresRun(b, count, used, server, elapsed)
}

func reportPostgresRun(b *testing.B, count *statementCount, used, server, elapsed time.Duration) {
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(used.Microseconds())/float64(b.N), "cpu-us/event")
	if server >= 0 {
		b.ReportMetric(float64((serverCPU(b)-server).Microseconds())/float64(b.N), "pg-cpu-us/event")
	}
	total, top := count.take()
	b.ReportMetric(float64(total)/float64(b.N), "statements/event")
	for _, s := range top[:min(len(top), 20)] {
		b.Logf("%8.3f/event  %s", float64(s.n)/float64(b.N), s.sql)
	}
}

// statementCount counts the statements sent to PostgreSQL, by text.
type statementCount struct {
	total atomic.Int64
	mu    sync.Mutex
	by    map[string]int
}

func (c *statementCount) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.total.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[string]int{}
	}
	q := strings.Join(strings.Fields(d.SQL), " ")
	if len(q) > 110 {
		q = q[:110]
	}
	c.by[q]++
	return ctx
}

func (c *statementCount) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// reset forgets what was counted.
func (c *statementCount) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total.Store(0)
	c.by = map[string]int{}
}

type countedStatement struct {
	sql string
	n   int
}

// take returns the count and the statements by count, most first.
func (c *statementCount) take() (int64, []countedStatement) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []countedStatement
	for q, n := range c.by {
		out = append(out, countedStatement{q, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].n > out[j].n || out[i].n == out[j].n && out[i].sql < out[j].sql })
	return c.total.Load(), out
}
