package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"switchboard/inbox"
)

// BenchmarkReportSummary90Days times the summary of 90 days over 100,000
// conversations and 1,000,000 messages, and reports its 99th percentile
// and the CPU time (user and system) per summary.
func BenchmarkReportSummary90Days(b *testing.B) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	start := time.Now()
	db := openTest(b)
	if err := db.Generate(context.Background(), Generation{Conversations: 100_000, Messages: 1_000_000,
		Senders: []string{"snd_a", "snd_b", "snd_c"}, Now: now}); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated in %v", time.Since(start))
	f := inbox.ReportFilter{From: now.Add(-90 * 24 * time.Hour), To: now}
	loc, _ := time.LoadLocation("America/New_York")
	run := func(b *testing.B) {
		var lat []time.Duration
		cpu := processCPU()
		for b.Loop() {
			t := time.Now()
			s, err := db.ReportSummary(context.Background(), f, loc)
			if err != nil {
				b.Fatal(err)
			}
			if s.Conversations < 100_000 {
				b.Fatalf("%d conversations in the report", s.Conversations)
			}
			lat = append(lat, time.Since(t))
		}
		b.ReportMetric(float64((processCPU()-cpu).Microseconds())/1000/float64(len(lat)), "cpu-ms/op")
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
	b.Run("wall-clock", run)
	if _, err := db.UpdateAutoReplies(context.Background(), now, func(c *inbox.AutoReplyConfig) error {
		c.Hours = inbox.BusinessHours{TimeZone: "America/New_York"}
		for d := time.Monday; d <= time.Friday; d++ {
			c.Hours.Days[d] = []inbox.Span{{Open: 9 * 60, Close: 17 * 60}}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.Run("business-hours", run)
}
