package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"switchboard/inbox"
	"switchboard/store"
)

// reportFigures are the reports' figures: the summary of 90 days over the
// database the inbox figures were measured on.
type reportFigures struct {
	Days         int     `json:"days"`
	Openings     int     `json:"openings"`
	Summaries    int     `json:"summaries"`
	SummaryP50Ms float64 `json:"summaryP50Ms"`
	SummaryP99Ms float64 `json:"summaryP99Ms"`
	// CPU time (user and system, the whole process) per summary, which
	// a loaded machine does not inflate as it does the latencies.
	SummaryCPUMs  float64 `json:"summaryCpuMs"`
	BusinessCPUMs float64 `json:"summaryBusinessHoursCpuMs"`
	// The same summary with business hours set (weekdays 09:00-17:00),
	// which measures every opening within them as well.
	BusinessP50Ms float64 `json:"summaryBusinessHoursP50Ms"`
	BusinessP99Ms float64 `json:"summaryBusinessHoursP99Ms"`
}

// benchReports opens the database at path, already filled, and times the
// report summary of the 90 days up to now, n times, in a zone with
// daylight saving time.
func benchReports(ctx context.Context, path string, n int, progress func(string)) (reportFigures, error) {
	f := reportFigures{Days: 90, Summaries: n}
	db, err := store.Open(path)
	if err != nil {
		return f, err
	}
	defer db.Close()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		loc = time.UTC
	}
	now := time.Now()
	filter := inbox.ReportFilter{From: now.AddDate(0, 0, -f.Days), To: now}
	progress(fmt.Sprintf("reports: the summary of %d days, %d times...", f.Days, n))
	var cpuMs float64
	times := func() ([]time.Duration, error) {
		cpu := processCPUSeconds(0)
		defer func() { cpuMs = (processCPUSeconds(0) - cpu) * 1000 / float64(n) }()
		lat := make([]time.Duration, 0, n)
		for range n {
			start := time.Now()
			s, err := db.ReportSummary(ctx, filter, loc)
			if err != nil {
				return nil, err
			}
			lat = append(lat, time.Since(start))
			f.Openings = s.Conversations
		}
		return lat, nil
	}
	lat, err := times()
	if err != nil {
		return f, err
	}
	f.SummaryP50Ms, f.SummaryP99Ms, f.SummaryCPUMs = percentileMs(lat, 50), percentileMs(lat, 99), cpuMs

	progress(fmt.Sprintf("reports: the summary within business hours, %d times...", n))
	if _, err := db.UpdateAutoReplies(ctx, now, func(c *inbox.AutoReplyConfig) error {
		c.Hours = inbox.BusinessHours{TimeZone: loc.String()}
		for d := time.Monday; d <= time.Friday; d++ {
			c.Hours.Days[d] = []inbox.Span{{Open: 9 * 60, Close: 17 * 60}}
		}
		return nil
	}); err != nil {
		return f, err
	}
	if lat, err = times(); err != nil {
		return f, err
	}
	f.BusinessP50Ms, f.BusinessP99Ms, f.BusinessCPUMs = percentileMs(lat, 50), percentileMs(lat, 99), cpuMs
	return f, nil
}

// printReportFigures adds the reports' rows to the bench table.
func printReportFigures(w io.Writer, r reportFigures) {
	fmt.Fprintf(w, "%-48s %14s\n", fmt.Sprintf("report summary, %d days, %dk openings: p50 (ms)", r.Days, r.Openings/1000),
		fmt.Sprintf("%.2f", r.SummaryP50Ms))
	fmt.Fprintf(w, "%-48s %14s\n", "  p99 (ms)", fmt.Sprintf("%.2f", r.SummaryP99Ms))
	fmt.Fprintf(w, "%-48s %14s\n", "  CPU per summary (ms)", fmt.Sprintf("%.2f", r.SummaryCPUMs))
	fmt.Fprintf(w, "%-48s %14s\n", "  within business hours too: p50 (ms)", fmt.Sprintf("%.2f", r.BusinessP50Ms))
	fmt.Fprintf(w, "%-48s %14s\n", "  within business hours too: p99 (ms)", fmt.Sprintf("%.2f", r.BusinessP99Ms))
	fmt.Fprintf(w, "%-48s %14s\n", "  within business hours too: CPU (ms)", fmt.Sprintf("%.2f", r.BusinessCPUMs))
}
