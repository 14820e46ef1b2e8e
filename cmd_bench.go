package main

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/inbox/zavu"
	"switchboard/store"
)

// benchSenders is how many webhook deliveries are in flight at once in
// the main ingest run; benchManySenders is the second run's.
const (
	benchSenders     = 16
	benchManySenders = 64
)

// benchResult is what "switchboard bench --json" prints.
type benchResult struct {
	Quick      bool            `json:"quick"`
	GoMaxProcs int             `json:"cores"`
	Ingest     ingestFigures   `json:"ingest"`
	IngestMany ingestFigures   `json:"ingestManySenders"`
	Baseline   baselineFigures `json:"baseline"`
	Ratio      float64         `json:"ingestToBaselineRatio"`
	RatioMany  float64         `json:"ingestManySendersToBaselineRatio"`
	// The rounds of the ingest runs. Ingest and IngestMany are the median
	// round of each, Baseline the median baseline, Ratio the median of the
	// rounds' ratios, and RatioMany the median 64-sender rate over the
	// median baseline.
	IngestRounds     []ingestRound      `json:"ingestRounds"`
	IngestManyRounds []float64          `json:"ingestManySendersRounds"` // events/s
	Steady           steadyFigures      `json:"steady"`
	WAL              walFigures         `json:"wal"`
	Start            startFigures       `json:"start"`
	UI               uiFigures          `json:"ui"`
	Reports          reportFigures      `json:"reports"`
	Search           *searchFigures     `json:"search,omitempty"`
	Team             *teamFigures       `json:"team,omitempty"`
	MemoryBytes      map[string]float64 `json:"memoryBytes"`
}

type ingestFigures struct {
	Events       int     `json:"events"`
	Senders      int     `json:"senders"`
	EventsPerSec float64 `json:"eventsPerSec"`
	AckP50Ms     float64 `json:"ackP50Ms"`
	AckP99Ms     float64 `json:"ackP99Ms"`
	Failed       int     `json:"failed"`
	// AppliedAfterS is how long after the first delivery the last event
	// was applied to the conversations (acknowledged first, applied
	// right after: see store/project.go); AppliedPerSec follows from it.
	AppliedAfterS float64 `json:"appliedAfterS"`
	AppliedPerSec float64 `json:"appliedPerSec"`
	// ServerCPUUs and BenchCPUUs are the CPU time the server and the
	// bench (the senders) spent per event, until all were applied: on a
	// machine whose cores both share, their sum bounds the rate.
	ServerCPUUs float64 `json:"serverCPUMicrosPerEvent"`
	BenchCPUUs  float64 `json:"benchCPUMicrosPerEvent"`
	// ServerAckCPUUs and BenchAckCPUUs are the same while the senders
	// sent, until the last acknowledgement: what acknowledging costs,
	// with whatever applying the server did meanwhile.
	ServerAckCPUUs float64 `json:"serverAckCPUMicrosPerEvent"`
	BenchAckCPUUs  float64 `json:"benchAckCPUMicrosPerEvent"`
}

// walFigures say how the server's WAL fared through the ingest and steady
// runs.
type walFigures struct {
	MaxMiB float64 `json:"maxMiB"` // the largest it grew (sampled every 20 ms)
	// Once the load ended, until the file was back at its limit, the size
	// it keeps, written over in place (store/walalloc.go).
	BackAfterS float64 `json:"backAfterS"`
}

// ingestRound is one round of the 16-sender ingest run, beside the
// baseline measured right before it.
type ingestRound struct {
	EventsPerSec       float64 `json:"eventsPerSec"`
	BaselineRowsPerSec float64 `json:"baselineRowsPerSec"`
	Ratio              float64 `json:"ratio"`
	ServerAckCPUUs     float64 `json:"serverAckCPUMicrosPerEvent"`
}

type baselineFigures struct {
	Rows       int     `json:"rows"`
	RowsPerSec float64 `json:"rowsPerSec"`
}

type steadyFigures struct {
	Rate     int     `json:"ratePerSec"`
	Events   int     `json:"events"`
	AckP50Ms float64 `json:"ackP50Ms"`
	AckP99Ms float64 `json:"ackP99Ms"`
	Failed   int     `json:"failed"`
}

// bench runs "switchboard bench": everything against a temporary database
// on this machine, in one run, so the figures compare with each other.
// Webhooks go to a server started from exec, as another process would
// send them: over loopback TCP, with keep-alive.
func (e env) bench(ctx context.Context, args []string) error {
	fs := e.newFlags("bench")
	quick := fs.Bool("quick", false, "a shorter run, for CI and a first look")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the server during the first 16-sender ingest round to this file")
	uiOnly := fs.Bool("ui", false, "run only the agents' screen at 100k conversations: the list, by label, a large thread, live fan-out")
	clientProfile := fs.String("client-cpuprofile", "", "write a CPU profile of the bench's own senders during the ingest runs (with -team: of its pages) to this file")
	ingestOnly := fs.Bool("ingest", false, "run only the webhook runs (ingest, steady) and the baseline")
	teamOnly := fs.Bool("team", false, "run only the team scenario: 1,000 pages of 100 agents, 200 webhooks/s")
	searchOnly := fs.Bool("search", false, "run only search: queries at 100k conversations / 1M messages, ingestion with and without the indexes")
	teamServer := fs.String("team-server", "", "the switchboard binary the team scenario serves with (default: this one)")
	pgURL := fs.String("db", "", "run only webhook ingest (with two processes, live fan-out across them too) on this PostgreSQL database (postgres:// URL), in a schema of its own dropped after the run")
	processes := fs.Int("processes", 0, "with --db: how many Switchboard processes share the database (default: 1, then 2)")
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	if *processes != 0 && *pgURL == "" {
		return usageError("--processes goes with --db URL")
	}
	var parts []string
	for _, p := range []struct {
		name string
		on   bool
	}{{"--team", *teamOnly}, {"--ui", *uiOnly}, {"--search", *searchOnly}, {"--ingest", *ingestOnly}} {
		if p.on {
			parts = append(parts, p.name)
		}
	}
	switch {
	case len(parts) > 1:
		return usageError("%s: give one part to measure, or none for all of them", strings.Join(parts, " and "))
	case len(parts) == 1 && *pgURL != "":
		return usageError("--db measures webhook ingest on PostgreSQL only: give it without %s", parts[0])
	}
	if *pgURL != "" {
		return e.benchPostgresCmd(ctx, *pgURL, *processes, *quick, *asJSON)
	}
	dir, err := os.MkdirTemp("", "switchboard-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	sizes := struct{ ingest, baseline, rounds, steadySecs, starts int }{40000, 3000, 3, 10, 7}
	if *quick {
		sizes.ingest, sizes.baseline, sizes.rounds, sizes.steadySecs, sizes.starts = 6000, 600, 1, 2, 3
	}
	res := benchResult{Quick: *quick, GoMaxProcs: runtimeCores(), MemoryBytes: map[string]float64{}}
	progress := func(s string) {
		if !*asJSON {
			fmt.Fprintln(e.stderr, s)
		}
	}
	team := teamSizes{agents: 100, pagesPerAgent: 10, hot: 200, background: 5000, rate: 200, duration: 60 * time.Second}
	if *quick {
		team.duration = 10 * time.Second
	}
	ui := uiSizes{conversations: 100_000, messages: 1_000_000, largeThread: 10_000, renders: 200, clients: 200, updates: 50}
	if *quick {
		ui = uiSizes{conversations: 20_000, messages: 200_000, largeThread: 10_000, renders: 50, clients: 200, updates: 20}
	}
	if *uiOnly {
		var err error
		if res.UI, err = benchUI(ctx, filepath.Join(dir, "ui.db"), ui, progress); err != nil {
			return err
		}
		if res.Reports, err = benchReports(ctx, filepath.Join(dir, "ui.db"), ui.renders, progress); err != nil {
			return err
		}
		return e.printBench(res, *asJSON)
	}
	if *teamOnly {
		stop, err := startCPUProfile(*clientProfile) // the pages' side
		if err != nil {
			return err
		}
		tf, err := benchTeam(ctx, dir, *teamServer, team, progress)
		stop()
		if err != nil {
			return err
		}
		res.Team = &tf
		return e.printBench(res, *asJSON)
	}

	searchEvents := 20_000
	if *quick {
		searchEvents = 4_000
	}
	if *searchOnly {
		if err := benchGenerate(ctx, filepath.Join(dir, "ui.db"), ui, progress); err != nil {
			return err
		}
		sf, err := benchSearch(ctx, filepath.Join(dir, "ui.db"), dir, ui.renders, searchEvents, progress)
		if err != nil {
			return err
		}
		res.Search = &sf
		return e.printBench(res, *asJSON)
	}

	z, err := startBenchZavu()
	if err != nil {
		return err
	}
	defer z.close()
	opts := benchChildOptions{db: filepath.Join(dir, "switchboard.db"), logFile: filepath.Join(dir, "server.log"),
		zavuURL: z.url, secret: "whsec_bench_" + fmt.Sprint(time.Now().UnixNano()), cpuProfile: *cpuProfile}
	wal := watchWAL(opts.db + "-wal")
	stopClientProfile, err := startCPUProfile(*clientProfile)
	if err != nil {
		return err
	}
	if err := benchIngestRounds(ctx, &res, opts, dir, sizes.ingest, sizes.baseline, sizes.rounds, progress); err != nil {
		return err
	}
	opts.cpuProfile = "" // the profile is the first 16-sender round's
	srv, err := startBenchServer(ctx, opts)
	if err != nil {
		return err
	}
	defer srv.close()
	if err := benchIngestMany(ctx, &res, srv, sizes.ingest, sizes.rounds, progress); err != nil {
		return err
	}
	progress(fmt.Sprintf("steady: 1000 webhooks/s for %d s...", sizes.steadySecs))
	if res.Steady, err = benchSteady(ctx, srv, 1000, time.Duration(sizes.steadySecs)*time.Second); err != nil {
		return err
	}
	stopClientProfile()
	res.WAL = wal.stop(ctx)
	res.MemoryBytes["rssAfterLoad"], res.MemoryBytes["rssPeakServer"] = srv.child.rss()
	if err := srv.close(); err != nil {
		return err
	}
	if *ingestOnly {
		return e.printBench(res, *asJSON)
	}
	progress(fmt.Sprintf("start: %d starts from exec on the database just filled...", sizes.starts))
	if res.Start, err = benchStart(ctx, opts, sizes.starts); err != nil {
		return err
	}

	if res.UI, err = benchUI(ctx, filepath.Join(dir, "ui.db"), ui, progress); err != nil {
		return err
	}
	if res.Reports, err = benchReports(ctx, filepath.Join(dir, "ui.db"), ui.renders, progress); err != nil {
		return err
	}
	sf, err := benchSearch(ctx, filepath.Join(dir, "ui.db"), dir, ui.renders, searchEvents, progress)
	if err != nil {
		return err
	}
	res.Search = &sf
	res.MemoryBytes["rssPeak"] = peakResidentBytes()
	tf, err := benchTeam(ctx, dir, *teamServer, team, progress)
	if err != nil {
		return err
	}
	res.Team = &tf
	return e.printBench(res, *asJSON)
}

func (e env) printBench(res benchResult, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printBenchTable(e.stdout, res)
	return nil
}

func printBenchTable(w io.Writer, r benchResult) {
	fmt.Fprintf(w, "Switchboard bench (%d cores%s)\n\n", r.GoMaxProcs, map[bool]string{true: ", quick"}[r.Quick])
	fmt.Fprintf(w, "%-48s %14s\n", "measure", "value")
	fmt.Fprintf(w, "%-48s %14s\n", strings.Repeat("-", 48), strings.Repeat("-", 14))
	row := func(name, value string) { fmt.Fprintf(w, "%-48s %14s\n", name, value) }
	if r.Ingest.Events == 0 && r.Team != nil {
		printTeamRows(row, *r.Team)
		return
	}
	if r.Ingest.Events == 0 {
		if r.Search != nil {
			printSearchFigures(w, *r.Search)
		} else {
			printUIRows(row, r.UI)
			if r.Reports.Summaries > 0 {
				printReportFigures(w, r.Reports)
			}
		}
		return
	}
	// Several rounds: each is shown, and the figures are the median round's.
	median := ""
	if len(r.IngestRounds) > 1 {
		median = "median"
	}
	rounds := func(xs []float64, format string) string {
		s := make([]string, len(xs))
		for i, x := range xs {
			s[i] = fmt.Sprintf(format, x)
		}
		return strings.Join(s, " ")
	}
	each := func(f func(ingestRound) float64) []float64 {
		xs := make([]float64, len(r.IngestRounds))
		for i, rd := range r.IngestRounds {
			xs[i] = f(rd)
		}
		return xs
	}
	for _, in := range []struct {
		f     ingestFigures
		ratio float64
	}{{r.Ingest, r.Ratio}, {r.IngestMany, r.RatioMany}} {
		name := fmt.Sprintf("webhook ingest, %d senders (events/s)", in.f.Senders)
		if median != "" {
			name = fmt.Sprintf("webhook ingest, %d senders (events/s, %s round)", in.f.Senders, median)
		}
		row(name, fmt.Sprintf("%.0f", in.f.EventsPerSec))
		switch {
		case median == "":
		case in.f.Senders == benchSenders:
			row("  each round (events/s)", rounds(each(func(rd ingestRound) float64 { return rd.EventsPerSec }), "%.0f"))
			row("  each round: its baseline (rows/s)", rounds(each(func(rd ingestRound) float64 { return rd.BaselineRowsPerSec }), "%.0f"))
			row("  each round: ingest / its baseline", rounds(each(func(rd ingestRound) float64 { return rd.Ratio }), "%.1fx"))
			row("  each round: server CPU until ack (us)", rounds(each(func(rd ingestRound) float64 { return rd.ServerAckCPUUs }), "%.0f"))
		default:
			row("  each round (events/s)", rounds(r.IngestManyRounds, "%.0f"))
		}
		row("  ack p50 (ms)", fmt.Sprintf("%.2f", in.f.AckP50Ms))
		row("  ack p99 (ms)", fmt.Sprintf("%.2f", in.f.AckP99Ms))
		row("  not acknowledged", fmt.Sprint(in.f.Failed))
		ratio := "  ingest / baseline"
		if median != "" {
			ratio += " (" + median + ")"
		}
		row(ratio, fmt.Sprintf("%.1fx", in.ratio))
		row("  all applied after (s)", fmt.Sprintf("%.1f", in.f.AppliedAfterS))
		row("  applied (events/s)", fmt.Sprintf("%.0f", in.f.AppliedPerSec))
		row("  CPU per event: server / bench (us)", fmt.Sprintf("%.0f / %.0f", in.f.ServerCPUUs, in.f.BenchCPUUs))
		row("  until acknowledged: server / bench (us)", fmt.Sprintf("%.0f / %.0f", in.f.ServerAckCPUUs, in.f.BenchAckCPUUs))
	}
	baseline := "baseline: 1 insert per transaction (rows/s)"
	if median != "" {
		baseline = "baseline: 1 insert per transaction (rows/s, " + median + ")"
	}
	row(baseline, fmt.Sprintf("%.0f", r.Baseline.RowsPerSec))
	row(fmt.Sprintf("steady %d events/s: ack p50 (ms)", r.Steady.Rate), fmt.Sprintf("%.2f", r.Steady.AckP50Ms))
	row(fmt.Sprintf("steady %d events/s: ack p99 (ms)", r.Steady.Rate), fmt.Sprintf("%.2f", r.Steady.AckP99Ms))
	row("  not acknowledged", fmt.Sprint(r.Steady.Failed))
	row("WAL, largest during the load (MiB)", fmt.Sprintf("%.1f", r.WAL.MaxMiB))
	row(fmt.Sprintf("  back at its %d MiB after the load ended (s)", store.DefaultWALLimit>>20), fmt.Sprintf("%.1f", r.WAL.BackAfterS))
	if r.Start.Runs == 0 {
		return // bench --ingest: the webhook runs only
	}
	row("start from exec to first 200 on /healthz (ms)", fmt.Sprintf("%.1f", r.Start.HealthyMedianMs))
	row("\"switchboard version\" from exec (ms)", fmt.Sprintf("%.1f", r.Start.VersionMedianMs))
	u := r.UI
	printUIRows(row, u)
	printReportFigures(w, r.Reports)
	if r.Search != nil {
		printSearchFigures(w, *r.Search)
	}
	row("server resident memory idle (MiB)", fmt.Sprintf("%.1f", r.MemoryBytes["rssIdle"]/(1<<20)))
	row("server resident memory after load (MiB)", fmt.Sprintf("%.1f", r.MemoryBytes["rssAfterLoad"]/(1<<20)))
	row("server resident memory peak (MiB)", fmt.Sprintf("%.1f", r.MemoryBytes["rssPeakServer"]/(1<<20)))
	row(fmt.Sprintf("resident memory, %d live clients (MiB)", u.FanoutClients), fmt.Sprintf("%.1f", u.RSSClientBytes/(1<<20)))
	row("bench process resident memory peak (MiB)", fmt.Sprintf("%.1f", r.MemoryBytes["rssPeak"]/(1<<20)))
	if r.Team != nil {
		printTeamRows(row, *r.Team)
	}
}

// printUIRows prints the agents' screen's figures.
func printUIRows(row func(name, value string), u uiFigures) {
	row(fmt.Sprintf("inbox list, %dk convs / %dk msgs: p50 (ms)", u.Conversations/1000, u.Messages/1000), fmt.Sprintf("%.2f", u.ListP50Ms))
	row("  p99 (ms)", fmt.Sprintf("%.2f", u.ListP99Ms))
	row("  filtered by a label on 1 in 20: p50 (ms)", fmt.Sprintf("%.2f", u.LabelP50Ms))
	row("  p99 (ms)", fmt.Sprintf("%.2f", u.LabelP99Ms))
	row("  filtered by a label on 1 in 1000: p50 (ms)", fmt.Sprintf("%.2f", u.RareLabelP50Ms))
	row("  p99 (ms)", fmt.Sprintf("%.2f", u.RareLabelP99Ms))
	row(fmt.Sprintf("open a %d-message thread: p50 (ms)", u.ThreadMessages), fmt.Sprintf("%.2f", u.ThreadP50Ms))
	row("  p99 (ms)", fmt.Sprintf("%.2f", u.ThreadP99Ms))
	row(fmt.Sprintf("live fan-out to %d clients: p50 (ms)", u.FanoutClients), fmt.Sprintf("%.2f", u.FanoutP50Ms))
	row("  p99 (ms)", fmt.Sprintf("%.2f", u.FanoutP99Ms))
	row("  updates not delivered", fmt.Sprint(u.FanoutMissed))
	row(fmt.Sprintf("presence to %d pages: p50 (ms)", u.PresencePages), fmt.Sprintf("%.2f", u.PresenceP50Ms))
	row("  p99 (ms)", fmt.Sprintf("%.2f", u.PresenceP99Ms))
	row("  updates not delivered", fmt.Sprint(u.PresenceMissed))
	row("  (test data generated in s)", fmt.Sprintf("%.1f", u.GenerateSecs))
}

func printTeamRows(row func(name, value string), t teamFigures) {
	row(fmt.Sprintf("team: %d pages of %d agents, %d events/s", t.Pages, t.Agents, t.Rate), fmt.Sprintf("%.0f s", t.Seconds))
	row("  fan-out p50 (ms)", fmt.Sprintf("%.1f", t.FanoutP50Ms))
	row("  fan-out p99 (ms)", fmt.Sprintf("%.1f", t.FanoutP99Ms))
	row("  fan-out max (ms)", fmt.Sprintf("%.1f", t.FanoutMaxMs))
	row("  deliveries measured", fmt.Sprint(t.Deliveries))
	row("  thread bubbles missed", fmt.Sprint(t.ThreadMissed))
	row("  open-list rows missed or superseded", fmt.Sprint(t.ListMissed))
	row("  webhook ack p50 (ms)", fmt.Sprintf("%.2f", t.AckP50Ms))
	row("  webhook ack p99 (ms)", fmt.Sprintf("%.2f", t.AckP99Ms))
	row("  not acknowledged", fmt.Sprint(t.AckFailed))
	row("  pages dropped", fmt.Sprint(t.PagesDropped))
	row("  server resident memory, pages idle (MiB)", fmt.Sprintf("%.1f", t.ServerRSSIdle/(1<<20)))
	row("  server resident memory max (MiB)", fmt.Sprintf("%.1f", t.ServerRSSMax/(1<<20)))
	row("  server resident memory peak (MiB)", fmt.Sprintf("%.1f", t.ServerRSSPeak/(1<<20)))
	row("  sent to each page (KiB/s)", fmt.Sprintf("%.1f", t.BytesPerPageS/1024))
	row("  messages to each page (per s)", fmt.Sprintf("%.1f", t.MsgsPerPageS))
	row("  list re-fetches", fmt.Sprint(t.ListFetches))
	row("  CPU: server / bench clients (s)", fmt.Sprintf("%.0f / %.0f", t.ServerCPUSecs, t.BenchCPUSecs))
}

// benchServer is a Switchboard server started from exec, and a client
// that keeps its connections alive, as Zavu's deliveries do.
type benchServer struct {
	child  *benchChild
	db     string // the server's database file
	url    string
	secret string
	client *http.Client
}

func startBenchServer(ctx context.Context, o benchChildOptions) (*benchServer, error) {
	c, err := startBenchChild(ctx, o)
	if err != nil {
		return nil, err
	}
	return &benchServer{
		child: c, db: o.db, url: c.base + "/webhooks/zavu", secret: o.secret,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * benchManySenders}, Timeout: 30 * time.Second},
	}, nil
}

// close stops the server, once.
func (b *benchServer) close() error {
	if b.child == nil {
		return nil
	}
	defer func() { b.child = nil }()
	b.client.CloseIdleConnections()
	return b.child.stop()
}

// signed is a delivery ready to send: body and signature made before the
// clock starts, so the figures are the server's.
type signed struct {
	body      []byte
	signature string
	wire      []byte // the whole HTTP request (see benchSender)
}

func (b *benchServer) events(n int, seed uint64) []signed {
	sim := zavu.NewSimulator(seed, "snd_bench", "+13125559876", time.Now)
	evs := sim.Stream(n)[:n]
	out := make([]signed, len(evs))
	now := time.Now()
	for i, ev := range evs {
		out[i] = signed{body: ev.Body, signature: zavu.Sign(b.secret, now, ev.Body)}
		out[i].wire = wireRequest(strings.TrimPrefix(b.child.base, "http://"), "/webhooks/zavu", out[i])
	}
	return out
}

// sender is a new sender to the server, with a connection of its own.
func (b *benchServer) sender() *benchSender {
	return &benchSender{addr: strings.TrimPrefix(b.child.base, "http://")}
}

func (b *benchServer) post(ctx context.Context, to *benchSender, s signed) (time.Duration, error) {
	start := time.Now()
	status, err := to.send(ctx, s.wire)
	took := time.Since(start)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("status %d", status)
	}
	return took, err
}

// benchIngestRounds runs the 16-sender ingest run in rounds, and sets
// res's 16-sender figures and baseline from them. The machine's speed
// varies from one second to the next (the same work costs up to a third
// more CPU in some), so one run of a few seconds can fall in a slow patch,
// and the baseline in another: each round is a baseline, measured with no
// server running, then webhooks to a server started from exec on the
// database (empty in the first round, holding the rounds before in the
// others), which is stopped once it has applied them all. The figures are
// the median round's, and the ratio the median of the rounds' ratios.
func benchIngestRounds(ctx context.Context, res *benchResult, opts benchChildOptions, dir string,
	n, baselineRows, rounds int, progress func(string)) error {
	var ingests []ingestFigures
	var baselines []baselineFigures
	for i := range rounds {
		progress(fmt.Sprintf("round %d of %d: baseline, %d plain SQLite inserts, one transaction each...", i+1, rounds, baselineRows))
		base, err := benchBaseline(ctx, filepath.Join(dir, fmt.Sprintf("baseline-%d.db", i+1)), baselineRows)
		if err != nil {
			return err
		}
		progress(fmt.Sprintf("round %d of %d: ingest, %d webhooks to a server started from exec, %d senders...", i+1, rounds, n, benchSenders))
		srv, err := startBenchServer(ctx, opts)
		if err != nil {
			return err
		}
		if i == 0 {
			res.MemoryBytes["rssIdle"], _ = srv.child.rss()
		}
		opts.cpuProfile = "" // the first round's
		in, err := benchIngest(ctx, srv, n, benchSenders, uint64(1+i))
		if cerr := srv.close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		ingests, baselines = append(ingests, in), append(baselines, base)
		res.IngestRounds = append(res.IngestRounds, ingestRound{EventsPerSec: in.EventsPerSec,
			BaselineRowsPerSec: base.RowsPerSec, Ratio: in.EventsPerSec / base.RowsPerSec, ServerAckCPUUs: in.ServerAckCPUUs})
	}
	res.Ingest = medianOf(ingests, func(f ingestFigures) float64 { return f.EventsPerSec })
	res.Baseline = medianOf(baselines, func(b baselineFigures) float64 { return b.RowsPerSec })
	res.Ratio = medianOf(res.IngestRounds, func(r ingestRound) float64 { return r.Ratio }).Ratio
	return nil
}

// benchIngestMany runs the 64-sender ingest run in rounds on srv, and sets
// res's 64-sender figures: the median round's, over the median baseline
// (benchIngestRounds runs first).
func benchIngestMany(ctx context.Context, res *benchResult, srv *benchServer, n, rounds int, progress func(string)) error {
	var many []ingestFigures
	for i := range rounds {
		progress(fmt.Sprintf("round %d of %d: ingest, %d webhooks, %d senders...", i+1, rounds, n, benchManySenders))
		in, err := benchIngest(ctx, srv, n, benchManySenders, uint64(1+rounds+i))
		if err != nil {
			return err
		}
		many = append(many, in)
		res.IngestManyRounds = append(res.IngestManyRounds, in.EventsPerSec)
	}
	res.IngestMany = medianOf(many, func(f ingestFigures) float64 { return f.EventsPerSec })
	res.RatioMany = res.IngestMany.EventsPerSec / res.Baseline.RowsPerSec
	return nil
}

// medianOf is the median of xs by key: with an even number, the lower of
// the two in the middle.
func medianOf[T any](xs []T, key func(T) float64) T {
	s := slices.Clone(xs)
	slices.SortFunc(s, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return s[(len(s)-1)/2]
}

// benchIngest sends n deliveries from senders goroutines as fast as the
// server acknowledges them.
func benchIngest(ctx context.Context, b *benchServer, n, senders int, seed uint64) (ingestFigures, error) {
	evs := b.events(n, seed)
	lat := make([]time.Duration, len(evs))
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	serverCPU, benchCPU := processCPUSeconds(b.child.cmd.Process.Pid), processCPUSeconds(0)
	start := time.Now()
	for range senders {
		wg.Go(func() {
			to := b.sender()
			defer to.close()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(evs) || ctx.Err() != nil {
					return
				}
				took, err := b.post(ctx, to, evs[i])
				if err != nil {
					failed.Add(1)
				}
				lat[i] = took
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	serverAckCPU, benchAckCPU := processCPUSeconds(b.child.cmd.Process.Pid)-serverCPU, processCPUSeconds(0)-benchCPU
	if err := ctx.Err(); err != nil {
		return ingestFigures{}, err
	}
	if err := waitApplied(ctx, b.db); err != nil {
		return ingestFigures{}, err
	}
	applied := time.Since(start)
	perEvent := func(secs float64) float64 { return secs / float64(n) * 1e6 }
	return ingestFigures{
		ServerCPUUs:    perEvent(processCPUSeconds(b.child.cmd.Process.Pid) - serverCPU),
		BenchCPUUs:     perEvent(processCPUSeconds(0) - benchCPU),
		ServerAckCPUUs: perEvent(serverAckCPU), BenchAckCPUUs: perEvent(benchAckCPU),
		Events: n, Senders: senders, EventsPerSec: float64(n) / elapsed.Seconds(),
		AckP50Ms: percentileMs(lat, 50), AckP99Ms: percentileMs(lat, 99), Failed: int(failed.Load()),
		AppliedAfterS: applied.Seconds(), AppliedPerSec: float64(n) / applied.Seconds(),
	}, nil
}

// waitApplied waits until the server using the database at path has
// applied every event it stored, looking with a read-only connection of its
// own, as an operator would.
func waitApplied(ctx context.Context, path string) error {
	ro, err := sql.Open("sqlite", store.DSN(path, false))
	if err != nil {
		return err
	}
	defer ro.Close()
	for {
		// Whether any waits, not how many: counting a backlog of tens of
		// thousands every 10 ms took the server's cores.
		any, err := store.AnyPending(ctx, ro)
		if err != nil {
			return err
		}
		if !any {
			return nil
		}
		select {
		case <-ctx.Done():
			n, _ := store.CountPending(context.WithoutCancel(ctx), ro)
			return fmt.Errorf("%d stored events still pending: %w", n, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// benchSteady sends rate deliveries a second for d, spread over the
// senders, and measures how long each waits for its 200.
func benchSteady(ctx context.Context, b *benchServer, rate int, d time.Duration) (steadyFigures, error) {
	n := int(float64(rate) * d.Seconds())
	evs := b.events(n, 9)
	lat := make([]time.Duration, n)
	var failed atomic.Int64
	jobs := make(chan int, n)
	var wg sync.WaitGroup
	for range benchSenders * 4 {
		wg.Go(func() {
			to := b.sender()
			defer to.close()
			for i := range jobs {
				took, err := b.post(ctx, to, evs[i])
				if err != nil {
					failed.Add(1)
				}
				lat[i] = took
			}
		})
	}
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return steadyFigures{}, err
	}
	return steadyFigures{Rate: rate, Events: n, AckP50Ms: percentileMs(lat, 50), AckP99Ms: percentileMs(lat, 99), Failed: int(failed.Load())}, nil
}

// walWatch samples the size of a WAL file.
type walWatch struct {
	path string
	max  atomic.Int64
	done chan struct{}
	wg   sync.WaitGroup
}

// watchWAL samples the WAL file at path every 20 ms until stop.
func watchWAL(path string) *walWatch {
	w := &walWatch{path: path, done: make(chan struct{})}
	w.wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if n := fileSize(path); n > w.max.Load() {
				w.max.Store(n)
			}
			select {
			case <-w.done:
				return
			case <-t.C:
			}
		}
	})
	return w
}

// stop ends the sampling and waits (at most 10 s) for the WAL to be back
// at its limit now that the load has ended.
func (w *walWatch) stop(ctx context.Context) walFigures {
	close(w.done)
	w.wg.Wait()
	start := time.Now()
	for fileSize(w.path) > store.DefaultWALLimit && time.Since(start) < 10*time.Second && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	return walFigures{MaxMiB: float64(w.max.Load()) / (1 << 20), BackAfterS: time.Since(start).Seconds()}
}

// fileSize is the size of the file at path, 0 if there is none. It
// opens the file and seeks to its end rather than stat it: a stat would
// make the server's next sync of its WAL write the WAL's inode too (see
// walKeeper.size in store/checkpoint.go), and the bench would measure
// itself.
func fileSize(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0
	}
	return n
}

// benchBaseline inserts n rows one transaction each, at the durability the
// store uses: what SQLite does on this disk without Switchboard.
func benchBaseline(ctx context.Context, path string, n int) (baselineFigures, error) {
	db, err := sql.Open("sqlite", store.DSN(path, true))
	if err != nil {
		return baselineFigures{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE events (id TEXT PRIMARY KEY, body BLOB NOT NULL)`); err != nil {
		return baselineFigures{}, err
	}
	body := zavu.NewSimulator(3, "snd_bench", "+13125559876", time.Now).Next()[0].Body
	start := time.Now()
	for i := range n {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return baselineFigures{}, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, body) VALUES (?, ?)`, fmt.Sprintf("evt_%d", i), body); err != nil {
			tx.Rollback()
			return baselineFigures{}, err
		}
		if err := tx.Commit(); err != nil {
			return baselineFigures{}, err
		}
	}
	return baselineFigures{Rows: n, RowsPerSec: float64(n) / time.Since(start).Seconds()}, nil
}

func percentileMs(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return float64(s[i]) / float64(time.Millisecond)
}

// startCPUProfile writes a CPU profile to path until the returned function
// is called; with an empty path it does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
