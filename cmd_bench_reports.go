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
	lat := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		s, err := db.ReportSummary(ctx, filter, loc)
		if err != nil {
			return f, err
		}
		lat = append(lat, time.Since(start))
		f.Openings = s.Conversations
	}
	f.SummaryP50Ms, f.SummaryP99Ms = percentileMs(lat, 50), percentileMs(lat, 99)
	return f, nil
}

// printReportFigures adds the reports' rows to the bench table.
func printReportFigures(w io.Writer, r reportFigures) {
	fmt.Fprintf(w, "%-48s %14s\n", fmt.Sprintf("report summary, %d days, %dk openings: p50 (ms)", r.Days, r.Openings/1000),
		fmt.Sprintf("%.2f", r.SummaryP50Ms))
	fmt.Fprintf(w, "%-48s %14s\n", "  p99 (ms)", fmt.Sprintf("%.2f", r.SummaryP99Ms))
}
