package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"switchboard/inbox/zavu"
	"switchboard/store"
)

// postgresBenchFigures are "switchboard bench --db URL"'s: webhook ingest
// into PostgreSQL through one and through two Switchboard processes on the
// same database, each taking an equal share of the senders.
type postgresBenchFigures struct {
	Database string              `json:"database"` // the URL, without its password
	Runs     []postgresBenchRun  `json:"runs"`
	LoadAvg  map[string][]string `json:"loadAverage"` // /proc/loadavg before and after
}

// postgresBenchRun is one number of processes: a new schema, that many
// servers on it, 16 then 64 senders.
type postgresBenchRun struct {
	Processes  int           `json:"processes"`
	Ingest     ingestFigures `json:"ingest"`
	IngestMany ingestFigures `json:"ingestManySenders"`
	// DatabaseCPUUs is the CPU time the PostgreSQL server's processes
	// spent per event, in the 16 and 64 sender runs (0 when PostgreSQL
	// runs elsewhere).
	DatabaseCPUUs     float64 `json:"databaseCPUMicrosPerEvent"`
	DatabaseCPUManyUs float64 `json:"databaseCPUManySendersMicrosPerEvent"`
	// Fanout, with two or more processes: webhooks to the first, pages
	// on the second, then on the first for comparison.
	Fanout []fanoutFigures `json:"fanout,omitempty"`
}

// benchPostgresCmd runs "switchboard bench --db URL [--processes N]".
func (e env) benchPostgresCmd(ctx context.Context, dbURL string, processes int, quick, asJSON bool) error {
	if !store.IsPostgresURL(dbURL) {
		return usageError("--db must be a postgres:// URL")
	}
	counts := []int{1, 2}
	if processes > 0 {
		counts = []int{processes}
	}
	n := 40000
	// Live fan-out, with two processes: 50 pages, 100 webhooks a second.
	fanout := fanoutSizes{agents: 10, pagesPerAgent: 5, hot: 20, rate: 100, duration: 20 * time.Second}
	if quick {
		n = 6000
		fanout.duration = 10 * time.Second
	}
	progress := func(s string) {
		if !asJSON {
			fmt.Fprintln(e.stderr, s)
		}
	}
	f, err := benchPostgres(ctx, dbURL, counts, n, fanout, progress)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(f)
	}
	w := e.stdout
	fmt.Fprintf(w, "Switchboard bench on PostgreSQL %s (%d cores%s)\n\n", f.Database, runtimeCores(), map[bool]string{true: ", quick"}[quick])
	row := func(name, value string) { fmt.Fprintf(w, "%-52s %14s\n", name, value) }
	row("measure", "value")
	row(strings.Repeat("-", 52), strings.Repeat("-", 14))
	for _, r := range f.Runs {
		for _, in := range []struct {
			f   ingestFigures
			dbc float64
		}{{r.Ingest, r.DatabaseCPUUs}, {r.IngestMany, r.DatabaseCPUManyUs}} {
			row(fmt.Sprintf("%d process(es), %d senders: ingest (events/s)", r.Processes, in.f.Senders), fmt.Sprintf("%.0f", in.f.EventsPerSec))
			row("  ack p50 (ms)", fmt.Sprintf("%.2f", in.f.AckP50Ms))
			row("  ack p99 (ms)", fmt.Sprintf("%.2f", in.f.AckP99Ms))
			row("  not acknowledged", fmt.Sprint(in.f.Failed))
			row("  all applied after (s)", fmt.Sprintf("%.1f", in.f.AppliedAfterS))
			row("  CPU per event: servers / PostgreSQL / bench (us)", fmt.Sprintf("%.0f / %.0f / %.0f", in.f.ServerCPUUs, in.dbc, in.f.BenchCPUUs))
		}
	}
	for _, r := range f.Runs {
		for _, fo := range r.Fanout {
			row(fmt.Sprintf("%d pages on the %s: fan-out p50 (ms)", fo.Pages, fo.PagesOn), fmt.Sprintf("%.1f", fo.FanoutP50Ms))
			row("  fan-out p99 / max (ms)", fmt.Sprintf("%.1f / %.1f", fo.FanoutP99Ms, fo.FanoutMaxMs))
			row(fmt.Sprintf("  %d webhooks at %d/s: deliveries", fo.Events, fo.Rate), fmt.Sprint(fo.Deliveries))
			row("  thread bubbles missed / list rows behind", fmt.Sprintf("%d / %d", fo.ThreadMissed, fo.ListMissed))
			row("  webhooks not acknowledged / pages dropped", fmt.Sprintf("%d / %d", fo.AckFailed, fo.PagesDropped))
		}
	}
	row("load average before", strings.Join(f.LoadAvg["before"], " "))
	row("load average after", strings.Join(f.LoadAvg["after"], " "))
	return nil
}

// benchPostgres measures webhook ingest into the PostgreSQL database at
// dbURL: for each number of processes, in a schema of its own made for
// the run and dropped after it, so the database is left as it was.
func benchPostgres(ctx context.Context, dbURL string, counts []int, n int, fanout fanoutSizes, progress func(string)) (postgresBenchFigures, error) {
	f := postgresBenchFigures{Database: store.RedactDSN(dbURL), LoadAvg: map[string][]string{"before": loadAvg()}}
	dir, err := os.MkdirTemp("", "switchboard-bench-pg-")
	if err != nil {
		return f, err
	}
	defer os.RemoveAll(dir)
	z, err := startBenchZavu()
	if err != nil {
		return f, err
	}
	defer z.close()
	for _, p := range counts {
		r, err := benchPostgresRun(ctx, dbURL, dir, z, p, n, fanout, progress)
		if err != nil {
			return f, err
		}
		f.Runs = append(f.Runs, r)
	}
	f.LoadAvg["after"] = loadAvg()
	return f, nil
}

func benchPostgresRun(ctx context.Context, dbURL, dir string, z *benchZavu, processes, n int, fanout fanoutSizes, progress func(string)) (r postgresBenchRun, err error) {
	r.Processes = processes
	schemaURL, drop, err := benchSchema(ctx, dbURL)
	if err != nil {
		return r, err
	}
	defer func() {
		if derr := drop(); err == nil && derr != nil {
			err = derr
		}
	}()
	secret := "whsec_bench_" + strconv.FormatInt(time.Now().UnixNano(), 10)
	var servers []*benchServer
	defer func() {
		for _, s := range servers {
			if cerr := s.close(); err == nil && cerr != nil {
				err = cerr
			}
		}
	}()
	for i := range processes {
		pdir := filepath.Join(dir, fmt.Sprintf("p%d-%d", processes, i))
		if err := os.MkdirAll(pdir, 0o700); err != nil {
			return r, err
		}
		s, err := startBenchServer(ctx, benchChildOptions{db: schemaURL, logFile: filepath.Join(pdir, "server.log"),
			zavuURL: z.url, secret: secret, dir: pdir})
		if err != nil {
			return r, err
		}
		servers = append(servers, s)
	}
	progress(fmt.Sprintf("PostgreSQL, %d process(es): %d webhooks, %d senders...", processes, n, benchSenders))
	if r.Ingest, r.DatabaseCPUUs, err = benchIngestAcross(ctx, servers, schemaURL, n, benchSenders, 1); err != nil {
		return r, err
	}
	progress(fmt.Sprintf("PostgreSQL, %d process(es): %d webhooks, %d senders...", processes, n, benchManySenders))
	if r.IngestMany, r.DatabaseCPUManyUs, err = benchIngestAcross(ctx, servers, schemaURL, n, benchManySenders, 4); err != nil {
		return r, err
	}
	if processes >= 2 && fanout.rate > 0 {
		if r.Fanout, err = benchPostgresFanout(ctx, servers, schemaURL, fanout, progress); err != nil {
			return r, err
		}
	}
	return r, nil
}

// benchSchema makes a new schema in the database at dbURL and returns the
// URL whose connections use it, and a function that drops it.
func benchSchema(ctx context.Context, dbURL string) (string, func() error, error) {
	admin, err := openPostgresURL(dbURL)
	if err != nil {
		return "", nil, err
	}
	schema := fmt.Sprintf("switchboard_bench_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("%s: create a schema for the bench: %w", store.RedactDSN(dbURL), err)
	}
	drop := func() error {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			return fmt.Errorf("drop the bench's schema %s: %w", schema, err)
		}
		return nil
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

func openPostgresURL(u string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", store.RedactDSN(u), err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(1)
	return db, nil
}

// benchIngestAcross is benchIngest over several servers on one database:
// the senders are shared out evenly among them, each sending to its own,
// and the events with them. It also returns PostgreSQL's CPU time per
// event, when it runs on this machine.
func benchIngestAcross(ctx context.Context, servers []*benchServer, dbURL string, n, senders int, seed uint64) (ingestFigures, float64, error) {
	sim := zavu.NewSimulator(seed, "snd_bench", "+13125559876", time.Now)
	evs := sim.Stream(n)[:n]
	now := time.Now()
	// Event i goes to server i % len(servers), in order.
	share := make([][]signed, len(servers))
	for i, ev := range evs {
		s := i % len(servers)
		sg := signed{body: ev.Body, signature: zavu.Sign(servers[s].secret, now, ev.Body)}
		sg.wire = wireRequest(strings.TrimPrefix(servers[s].child.base, "http://"), "/webhooks/zavu", sg)
		share[s] = append(share[s], sg)
	}
	lat := make([][]time.Duration, len(servers))
	next := make([]atomic.Int64, len(servers))
	for s := range servers {
		lat[s] = make([]time.Duration, len(share[s]))
	}
	var failed atomic.Int64
	serversCPU := func() float64 {
		var t float64
		for _, s := range servers {
			t += processCPUSeconds(s.child.cmd.Process.Pid)
		}
		return t
	}
	postmaster := postmasterPID(ctx, dbURL)
	serverCPU, benchCPU, dbCPU := serversCPU(), processCPUSeconds(0), postgresCPUSeconds(postmaster)
	var wg sync.WaitGroup
	start := time.Now()
	for k := range senders {
		s := k % len(servers)
		wg.Go(func() {
			to := servers[s].sender()
			defer to.close()
			for {
				i := int(next[s].Add(1)) - 1
				if i >= len(share[s]) || ctx.Err() != nil {
					return
				}
				took, err := servers[s].post(ctx, to, share[s][i])
				if err != nil {
					failed.Add(1)
				}
				lat[s][i] = took
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	serverAckCPU, benchAckCPU := serversCPU()-serverCPU, processCPUSeconds(0)-benchCPU
	if err := ctx.Err(); err != nil {
		return ingestFigures{}, 0, err
	}
	if err := waitAppliedPostgres(ctx, dbURL); err != nil {
		return ingestFigures{}, 0, err
	}
	applied := time.Since(start)
	perEvent := func(secs float64) float64 { return secs / float64(n) * 1e6 }
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	return ingestFigures{
		ServerCPUUs:    perEvent(serversCPU() - serverCPU),
		BenchCPUUs:     perEvent(processCPUSeconds(0) - benchCPU),
		ServerAckCPUUs: perEvent(serverAckCPU), BenchAckCPUUs: perEvent(benchAckCPU),
		Events: n, Senders: senders, EventsPerSec: float64(n) / elapsed.Seconds(),
		AckP50Ms: percentileMs(all, 50), AckP99Ms: percentileMs(all, 99), Failed: int(failed.Load()),
		AppliedAfterS: applied.Seconds(), AppliedPerSec: float64(n) / applied.Seconds(),
	}, perEvent(postgresCPUSeconds(postmaster) - dbCPU), nil
}

// waitAppliedPostgres waits until every stored event is applied, looking
// with a connection of its own.
func waitAppliedPostgres(ctx context.Context, dbURL string) error {
	db, err := openPostgresURL(dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		n, err := store.CountPending(ctx, db)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d stored events still pending after 5 minutes", n)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d stored events still pending: %w", n, ctx.Err())
		// Counting the pending events reads all of them: looked at every
		// 10 ms during a burst, the count alone took a fifth of a core.
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// postmasterPID is the process id of the PostgreSQL server at dbURL when
// it runs on this machine (the parent of the connection's backend), or 0.
func postmasterPID(ctx context.Context, dbURL string) int {
	db, err := openPostgresURL(dbURL)
	if err != nil {
		return 0
	}
	defer db.Close()
	var backend int
	if err := db.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		return 0
	}
	return parentPID(backend)
}

// parentPID is the parent of process pid, from /proc, or 0.
func parentPID(pid int) int {
	f := procStatFields(procPath(pid, "stat"))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// postgresCPUSeconds is the CPU time of one PostgreSQL server's processes:
// the postmaster and its children (backends, writer, WAL writer...), not
// those of other clusters on the machine. 0 when postmaster is 0.
func postgresCPUSeconds(postmaster int) float64 {
	if postmaster == 0 {
		return 0
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	t := processCPUSeconds(postmaster)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == postmaster {
			continue
		}
		if parentPID(pid) == postmaster {
			t += processCPUSeconds(pid)
		}
	}
	return t
}

// loadAvg is the machine's load average over 1, 5 and 15 minutes.
func loadAvg() []string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return nil
	}
	return f[:3]
}
