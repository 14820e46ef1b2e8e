package store

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
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
	if share, err := searchIndexShare(db); err != nil {
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

// searchIndexShare is the part of the database's pages that hold the
// search indexes (the FTS5 shadow tables) and the index that finds a
// contact's conversations.
func searchIndexShare(db *DB) (float64, error) {
	rows, err := db.reader.Query(`SELECT name, sum(pgsize) FROM dbstat GROUP BY name`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var total, index float64
	for rows.Next() {
		var name string
		var size float64
		if err := rows.Scan(&name, &size); err != nil {
			return 0, err
		}
		total += size
		if strings.HasPrefix(name, "messages_fts") || strings.HasPrefix(name, "messages_tri") ||
			strings.HasPrefix(name, "contacts_fts") || strings.HasPrefix(name, "contacts_tri") ||
			name == "conversations_by_contact" {
			index += size
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return index / total, nil
}

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
				for _, t := range []string{"messages_search_insert", "messages_search_update", "messages_search_delete",
					"contacts_search_insert", "contacts_search_update", "contacts_search_delete"} {
					if _, err := w.execSQL(ctx, `DROP TRIGGER `+t); err != nil {
						return err
					}
				}
				return nil
			})
		}, applyInbound)
	})
}
