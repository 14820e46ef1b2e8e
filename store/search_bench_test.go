package store

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"switchboard/inbox"
)

// BenchmarkSearch searches a generated database of 100,000 conversations
// and 1,000,000 messages (SWITCHBOARD_BENCH_MESSAGES changes the count of
// messages, with a tenth as many conversations) and reports, per kind of
// query, the 50th and 99th percentile of a first page of 50, and the
// indexes' share of the database, and the CPU time a search takes (the
// wall times include waiting for a core on a busy machine). Generating
// takes a minute or two; run it with
//
//	go test ./store -run '^$' -bench BenchmarkSearch -benchtime 200x
func BenchmarkSearch(b *testing.B) {
	messages := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SWITCHBOARD_BENCH_MESSAGES")); err == nil && v >= 10 {
		messages = v
	}
	ctx := context.Background()
	// SWITCHBOARD_BENCH_DB names a database file to keep between runs:
	// generated when it does not exist, searched as it is when it does.
	path := os.Getenv("SWITCHBOARD_BENCH_DB")
	_, statErr := os.Stat(path)
	var db *DB
	if path == "" {
		db = openTest(b, WithSessionCleanup(0))
	} else {
		var err error
		if db, err = Open(path, WithSessionCleanup(0)); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
	}
	if path == "" || statErr != nil {
		start := time.Now()
		if err := db.Generate(ctx, Generation{Conversations: messages / 10, Messages: messages,
			Senders: []string{"snd_1", "snd_2"}, Now: t0}); err != nil {
			b.Fatal(err)
		}
		b.Logf("generated %d messages, indexed as they went in, in %.1f s", messages, time.Since(start).Seconds())
	}
	if share, _, err := db.SearchIndexShare(ctx); err != nil {
		b.Logf("index size: %v", err)
	} else {
		b.Logf("search indexes: %.1f%% of the database", share*100)
	}
	for _, tc := range []struct{ name, q string }{
		{"common-word", "order"},
		{"rare-word", "incomplète"},
		{"order-number", "51234"},
		{"prefix", "deliv"},
		{"substring-4", "rack"},
		{"phone-fragment", "555 0123"},
		{"two-words", "refund business"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			n := 0
			cpu := processCPU()
			for b.Loop() {
				t := time.Now()
				hits, _, err := db.Search(ctx, inbox.SearchFilter{Query: tc.q, Limit: 50})
				times = append(times, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
				n = len(hits)
			}
			// CPU time a search: on a machine shared with other work, the
			// wall times include waiting for a core.
			b.ReportMetric(ms(processCPU()-cpu)/float64(len(times)), "cpu-ms/op")
			slices.Sort(times)
			b.ReportMetric(ms(times[len(times)/2]), "p50-ms")
			b.ReportMetric(ms(times[len(times)*99/100]), "p99-ms")
			b.ReportMetric(float64(n), "hits")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkSearchIngest is BenchmarkIngest with the search indexes kept
// (as always) and with their triggers dropped, in the same run: what
// keeping the indexes costs ingestion.
func BenchmarkSearchIngest(b *testing.B) {
	b.Run("indexed", func(b *testing.B) {
		benchIngestSetup(b, benchCallers, nil, applyInbound)
	})
	b.Run("unindexed", func(b *testing.B) {
		benchIngestSetup(b, benchCallers, func(db *DB) {
			inTx(b, db, func(ctx context.Context, w *writeTx) error {
				for _, t := range searchTriggers {
					if _, err := w.execSQL(ctx, `DROP TRIGGER `+t); err != nil {
						return err
					}
				}
				return nil
			})
		}, applyInbound)
	})
}
