package store

import (
	"context"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// BenchmarkSearchApplyCost applies simulated webhook events through the
// rules in transactions of searchCostChunk events each, as the writer's
// projection does, with the search indexes kept and without: the same
// transactions whatever the timing, so that the CPU time (or, under
// valgrind --tool=callgrind with GODEBUG=asyncpreemptoff=1, the
// instructions) of the two compare closely.
//
//	go test ./store -run '^$' -bench SearchApplyCost -benchtime 4000x -count 3
func BenchmarkSearchApplyCost(b *testing.B) {
	for _, tc := range []struct {
		name    string
		indexed bool
	}{{"indexed", true}, {"unindexed", false}} {
		b.Run(tc.name, func(b *testing.B) {
			sim := zavu.NewSimulator(7, "snd_bench", "+13125559876", func() time.Time { return t0 })
			var evs []*inbox.Event
			for _, s := range sim.Stream(b.N)[:b.N] {
				ev, err := zavu.Decode(s.Body)
				if err != nil {
					b.Fatal(err)
				}
				evs = append(evs, ev)
			}
			// No goroutine of the store's own works beside the writer:
			// under valgrind, timers fire more often the slower the run
			// (a transaction there outlasts the wait of WithSearchIdle).
			db := openTest(b, WithSessionCleanup(0), WithReportPacking(0), WithExternalCheckpoints(), WithSearchIdle(0))
			if !tc.indexed {
				dropSearchTriggers(b, db)
			}
			ctx := context.Background()
			b.ResetTimer()
			cpu := processCPU()
			for i := 0; i < len(evs); i += searchCostChunk {
				chunk := evs[i:min(i+searchCostChunk, len(evs))]
				err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
					for _, ev := range chunk {
						if _, err := w.storeEvent(ctx, stInsertEvent, ev, t0); err != nil {
							return err
						}
						if res := w.applyEvent(ctx, ev, inbox.Apply); res.State == "" {
							b.Errorf("%s: %+v", ev.ID, res)
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(ms(processCPU()-cpu)/float64(b.N), "cpu-ms/event")
		})
	}
}

// searchCostChunk is how many events a transaction of the benchmark
// applies: about what the writer's projection takes in one under load.
const searchCostChunk = 8

// dropSearchTriggers stops the search indexing of db.
func dropSearchTriggers(b *testing.B, db *DB) {
	inTx(b, db, func(ctx context.Context, w *writeTx) error {
		for _, t := range searchTriggers {
			if _, err := w.execSQL(ctx, `DROP TRIGGER `+t); err != nil {
				return err
			}
		}
		return nil
	})
}
