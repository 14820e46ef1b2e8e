package store

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// BenchmarkPostgresSearch is BenchmarkSearch on PostgreSQL: it stores
// 100,000 messages in 10,000 conversations (SWITCHBOARD_BENCH_MESSAGES
// changes the count) in one statement, through the triggers that index
// them, and reports the time that took, then per kind of query the 50th
// and 99th percentile of a first page of 50 and the CPU time a search
// takes in this process and, when SWITCHBOARD_BENCH_PGDATA names the
// cluster's data folder, in the PostgreSQL server:
//
//	go test ./store -run '^$' -bench BenchmarkPostgresSearch -benchtime 100x
func BenchmarkPostgresSearch(b *testing.B) {
	messages := 100_000
	if v, err := strconv.Atoi(os.Getenv("SWITCHBOARD_BENCH_MESSAGES")); err == nil && v >= 10 {
		messages = v
	}
	db := openPostgresTest(b, WithSessionCleanup(0))
	ctx := context.Background()
	start, server := time.Now(), serverCPU(b)
	inTx(b, db, func(ctx context.Context, w *writeTx) error {
		for _, q := range []string{
			`INSERT INTO contacts (phone, name, created_at, updated_at)
				SELECT '+1312555' || lpad(i::text, 7, '0'), 'Customer ' || i, 0, 0 FROM generate_series(1, ?) i`,
			`INSERT INTO conversations (sender_id, channel, contact_id, last_message_at, created_at, updated_at)
				SELECT 'snd_1', 'whatsapp', id, 0, 0, 0 FROM contacts`,
			`INSERT INTO messages (conversation_id, direction, channel, type, text, status, created_at, updated_at)
				SELECT 1 + i % ?, 'inbound', 'whatsapp', 'text',
					(ARRAY['order', 'parcel', 'refund', 'delivery', 'business', 'invoice', 'tracking', 'please'])[1 + i % 8] || ' ' ||
					(ARRAY['late', 'arrived', 'missing', 'damaged', 'thanks', 'where is my', 'help'])[1 + i % 7] || ' ' ||
					(ARRAY['today', 'yesterday', 'again', 'order', 'soon'])[1 + i % 5] || ' #' || (i % 100000) ||
					CASE WHEN i % 5000 = 0 THEN ' commande incomplète' ELSE '' END,
					'received', i, i
				FROM generate_series(1, ?) i`,
		} {
			var args []any
			switch {
			case strings.Contains(q, "INSERT INTO contacts"):
				args = []any{messages / 10}
			case strings.Contains(q, "INSERT INTO messages"):
				args = []any{messages / 10, messages}
			}
			if _, err := w.execSQL(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if _, err := db.reader.DB.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("stored and indexed %d messages in %.1f s (server CPU %.1f s)", messages, time.Since(start).Seconds(),
		(serverCPU(b) - server).Seconds())
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
			cpu, server := processCPU(), serverCPU(b)
			for b.Loop() {
				t := time.Now()
				hits, _, err := db.Search(ctx, inbox.SearchFilter{Query: tc.q, Limit: 50})
				times = append(times, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
				n = len(hits)
			}
			b.ReportMetric(ms(processCPU()-cpu)/float64(len(times)), "cpu-ms/op")
			if server >= 0 {
				b.ReportMetric(ms(serverCPU(b)-server)/float64(len(times)), "server-cpu-ms/op")
			}
			slices.Sort(times)
			b.ReportMetric(ms(times[len(times)/2]), "p50-ms")
			b.ReportMetric(ms(times[len(times)*99/100]), "p99-ms")
			b.ReportMetric(float64(n), "hits")
		})
	}
}

// serverCPU is the CPU time the PostgreSQL cluster whose data folder
// SWITCHBOARD_BENCH_PGDATA names has used: its postmaster's, its
// children's that ended, and its running children's; -1 without it.
func serverCPU(b *testing.B) time.Duration {
	dir := os.Getenv("SWITCHBOARD_BENCH_PGDATA")
	if dir == "" {
		return -1
	}
	pidFile, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		b.Fatal(err)
	}
	postmaster := strings.SplitN(string(pidFile), "\n", 2)[0]
	const tick = 10 * time.Millisecond // USER_HZ 100
	stat := func(pid string) []string {
		s, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return nil
		}
		// The fields after the command's closing parenthesis, from state.
		return strings.Fields(string(s[strings.LastIndexByte(string(s), ')')+2:]))
	}
	ticks := func(f []string, from, to int) time.Duration {
		var d time.Duration
		for i := from; i <= to && i < len(f); i++ {
			n, _ := strconv.ParseInt(f[i], 10, 64)
			d += time.Duration(n) * tick
		}
		return d
	}
	// After the parenthesis: state(0) ppid(1) ... utime(11) stime(12)
	// cutime(13) cstime(14).
	total := ticks(stat(postmaster), 11, 14)
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if f := stat(p.Name()); len(f) > 14 && f[1] == postmaster {
			total += ticks(f, 11, 12)
		}
	}
	return total
}
