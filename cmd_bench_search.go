package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
)

// searchQuery is one kind of search the bench times.
type searchQuery struct {
	Kind  string  `json:"kind"`
	Query string  `json:"query"`
	Hits  int     `json:"hits"`
	P50Ms float64 `json:"p50Ms"`
	P99Ms float64 `json:"p99Ms"`
	// CPUMs is the CPU time of one search, on average: on a machine
	// shared with other work the wall times include waiting for a core.
	CPUMs float64 `json:"cpuMs"`
}

// searchFigures are search's figures: each kind of query over the
// database the inbox figures were measured on, the indexes' share of it,
// and ingestion with and without the indexes.
type searchFigures struct {
	Queries    []searchQuery `json:"queries"`
	Searches   int           `json:"searchesEach"`
	IndexShare float64       `json:"indexShare"`
	DBBytes    int64         `json:"dbBytes"`
	// Ingestion of the same events, in-process through the store with
	// benchSenders callers, into a fresh database with the indexes kept
	// and one without them (best of two runs each, alternated).
	IngestEvents       int     `json:"ingestEvents"`
	IngestIndexedPS    float64 `json:"ingestIndexedPerSec"`
	IngestUnindexedPS  float64 `json:"ingestUnindexedPerSec"`
	IngestIndexCostPct float64 `json:"ingestIndexCostPct"`
	// The CPU time an event takes in each (best of the two runs), and
	// the cost of the indexes in CPU: less swayed by other work on the
	// machine than the rates.
	IngestIndexedCPUMs    float64 `json:"ingestIndexedCpuMsPerEvent"`
	IngestUnindexedCPUMs  float64 `json:"ingestUnindexedCpuMsPerEvent"`
	IngestIndexCPUCostPct float64 `json:"ingestIndexCpuCostPct"`
}

// benchSearchQueries are the kinds of query timed: over the generated
// texts, "order" is in a quarter of the messages, "incomplète" in one
// opening of twenty, "deliv" a prefix, "rack" inside "tracking", and
// "555 0123" a fragment of ten contacts' numbers.
var benchSearchQueries = []searchQuery{
	{Kind: "common word", Query: "order"},
	{Kind: "rare word", Query: "incomplète"},
	{Kind: "prefix", Query: "deliv"},
	{Kind: "4-character substring", Query: "rack"},
	{Kind: "phone fragment", Query: "555 0123"},
}

// benchSearch times n first pages (50 results) of each kind of query on
// the database at path, already filled, then ingestion with and without
// the indexes in dir.
func benchSearch(ctx context.Context, path, dir string, n, events int, progress func(string)) (searchFigures, error) {
	f := searchFigures{Searches: n, IngestEvents: events}
	db, err := store.Open(path)
	if err != nil {
		return f, err
	}
	defer db.Close()
	if f.IndexShare, f.DBBytes, err = db.SearchIndexShare(ctx); err != nil {
		return f, err
	}
	for _, q := range benchSearchQueries {
		progress(fmt.Sprintf("search: %q, %d times...", q.Query, n))
		lat := make([]time.Duration, 0, n)
		cpu := processCPUSeconds(0)
		for range n {
			start := time.Now()
			hits, _, err := db.Search(ctx, inbox.SearchFilter{Query: q.Query, Limit: 50})
			if err != nil {
				return f, err
			}
			lat = append(lat, time.Since(start))
			q.Hits = len(hits)
		}
		q.CPUMs = (processCPUSeconds(0) - cpu) * 1000 / float64(n)
		q.P50Ms, q.P99Ms = percentileMs(lat, 50), percentileMs(lat, 99)
		f.Queries = append(f.Queries, q)
	}

	progress(fmt.Sprintf("search: ingesting %d events with the indexes and without, twice each...", events))
	evs, err := benchSearchEvents(events)
	if err != nil {
		return f, err
	}
	for round := range 2 {
		for _, indexed := range []bool{true, false} {
			p := filepath.Join(dir, fmt.Sprintf("ingest-%d-%v.db", round, indexed))
			cpu := processCPUSeconds(0)
			rate, err := benchStoreIngest(ctx, p, evs, indexed)
			if err != nil {
				return f, err
			}
			perEvent := (processCPUSeconds(0) - cpu) * 1000 / float64(len(evs))
			best := func(ps, cpu *float64) {
				*ps = max(*ps, rate)
				if *cpu == 0 || perEvent < *cpu {
					*cpu = perEvent
				}
			}
			if indexed {
				best(&f.IngestIndexedPS, &f.IngestIndexedCPUMs)
			} else {
				best(&f.IngestUnindexedPS, &f.IngestUnindexedCPUMs)
			}
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(p + suffix)
			}
		}
	}
	if f.IngestUnindexedPS > 0 {
		f.IngestIndexCostPct = (1 - f.IngestIndexedPS/f.IngestUnindexedPS) * 100
	}
	if f.IngestUnindexedCPUMs > 0 {
		f.IngestIndexCPUCostPct = (f.IngestIndexedCPUMs/f.IngestUnindexedCPUMs - 1) * 100
	}
	return f, nil
}

// benchSearchEvents are n simulated webhook events, decoded.
func benchSearchEvents(n int) ([]*inbox.Event, error) {
	sim := zavu.NewSimulator(7, "snd_bench", "+13125559876", time.Now)
	var out []*inbox.Event
	for _, s := range sim.Stream(n)[:n] {
		ev, err := zavu.Decode(s.Body)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// benchStoreIngest ingests evs into a fresh database at path from
// benchSenders goroutines and returns the events per second; without
// indexed, the database keeps no search index.
func benchStoreIngest(ctx context.Context, path string, evs []*inbox.Event, indexed bool) (float64, error) {
	if !indexed {
		if err := store.StopSearchIndexing(ctx, path); err != nil {
			return 0, err
		}
	}
	db, err := store.Open(path, store.WithSessionCleanup(0))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range benchSenders {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(evs) {
					return
				}
				if _, err := db.Ingest(ctx, evs[i], inbox.Apply); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		return 0, err
	}
	return float64(len(evs)) / took.Seconds(), nil
}

// printSearchFigures adds search's rows to the bench table.
func printSearchFigures(w io.Writer, s searchFigures) {
	row := func(name, value string) { fmt.Fprintf(w, "%-48s %14s\n", name, value) }
	for _, q := range s.Queries {
		row(fmt.Sprintf("search, %s %q: p50 (ms)", q.Kind, q.Query), fmt.Sprintf("%.2f", q.P50Ms))
		row(fmt.Sprintf("  p99 (ms), %d results", q.Hits), fmt.Sprintf("%.2f", q.P99Ms))
		row("  CPU a search (ms)", fmt.Sprintf("%.2f", q.CPUMs))
	}
	row(fmt.Sprintf("search indexes, share of a %d MiB database", s.DBBytes>>20), fmt.Sprintf("%.1f%%", s.IndexShare*100))
	row(fmt.Sprintf("ingest %d events in-process, indexed (ev/s)", s.IngestEvents), fmt.Sprintf("%.0f", s.IngestIndexedPS))
	row("  without the search indexes (ev/s)", fmt.Sprintf("%.0f", s.IngestUnindexedPS))
	row("  cost of the indexes, in events/s", fmt.Sprintf("%.1f%%", s.IngestIndexCostPct))
	row("  CPU an event, indexed / not (ms)", fmt.Sprintf("%.2f / %.2f", s.IngestIndexedCPUMs, s.IngestUnindexedCPUMs))
	row("  cost of the indexes, in CPU", fmt.Sprintf("%.1f%%", s.IngestIndexCPUCostPct))
}

// benchGenerate fills a database at path with the inbox figures' data.
func benchGenerate(ctx context.Context, path string, sz uiSizes, progress func(string)) error {
	db, err := store.Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	progress(fmt.Sprintf("search: generating %d conversations and %d messages...", sz.conversations, sz.messages))
	return db.Generate(ctx, store.Generation{Conversations: sz.conversations, Messages: sz.messages,
		LargeThread: sz.largeThread, Senders: []string{"snd_bench_1", "snd_bench_2"}, Now: time.Now()})
}
