package main

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkSearchIngestApply ingests simulated webhook events through the
// rules, as "switchboard bench --search" does, with the search indexes
// and without, and reports the CPU time an event takes (on a shared
// machine, the wall time includes waiting for a core). Profile either
// side with
//
//	go test . -run '^$' -bench 'SearchIngestApply/indexed' -benchtime 20000x -cpuprofile cpu.out
func BenchmarkSearchIngestApply(b *testing.B) {
	for _, tc := range []struct {
		name    string
		indexed bool
	}{{"indexed", true}, {"unindexed", false}} {
		b.Run(tc.name, func(b *testing.B) {
			evs, err := benchSearchEvents(b.N)
			if err != nil {
				b.Fatal(err)
			}
			path := filepath.Join(b.TempDir(), "ingest.db")
			b.ResetTimer()
			cpu := processCPUSeconds(0)
			rate, err := benchStoreIngest(context.Background(), path, evs, tc.indexed)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric((processCPUSeconds(0)-cpu)*1000/float64(b.N), "cpu-ms/event")
			b.ReportMetric(rate, "events/s")
		})
	}
}
