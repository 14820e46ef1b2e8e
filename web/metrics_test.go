package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
	"switchboard/web"
)

const metricsToken = "metrics-token-0123456789"

// metricsServer is the real HTTP stack with metrics counted in a registry
// of its own and served to metricsToken (none: token empty).
func metricsServer(t *testing.T, token string) (*testServer, *web.Metrics) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	m := web.NewMetrics(prometheus.NewRegistry())
	db.ObserveCommits(func(c store.Commit) { m.ObserveCommit(string(c.Kind), c.Size, c.Took) })
	base, _ := url.Parse("http://localhost")
	w := web.New(web.Config{BaseURL: base, MetricsToken: token}, web.Deps{
		Store:    db,
		Sessions: db.Sessions(),
		Webhooks: zavu.Webhooks{Secrets: zavu.StaticSecrets(testSecret), SenderSecrets: db.SenderWebhookSecrets},
		Metrics:  m,
		Backlog:  db,
		Upkeep:   metricsUpkeep,
	})
	srv := httptest.NewServer(w)
	t.Cleanup(func() {
		w.Close()
		srv.Close()
		db.Close()
	})
	return &testServer{t: t, db: db, srv: srv, web: w}, m
}

// scrape fetches /metrics with the bearer token and returns the status
// and each sample line's value by its name and labels as printed.
func scrape(t *testing.T, ts *testServer, token string) (int, map[string]float64) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	samples := map[string]float64{}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, samples
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want Prometheus' text format", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return resp.StatusCode, samples
}

// TestMetricsCountAKnownStreamOfEvents posts a known stream of webhooks
// (new, duplicate, an unknown type that fails, bad signatures), then
// scrapes /metrics and checks each figure an operator graphs.
func TestMetricsCountAKnownStreamOfEvents(t *testing.T) {
	ts, _ := metricsServer(t, metricsToken)
	inbound := fixture(t, "seed_message_inbound_text")
	ts.mustPost(inbound)
	if _, out := ts.post(inbound); out["duplicate"] != true {
		t.Fatalf("second delivery not a duplicate: %v", out)
	}
	ts.mustPost(fixture(t, "seed_message_delivered"))
	ts.mustPost(fixture(t, "extra_unknown_type")) // stored, not applied
	for range 2 {
		if status, _ := ts.postWith(inbound, "t=1,v1=deadbeef", nil); status != http.StatusUnauthorized {
			t.Fatalf("bad signature: status %d", status)
		}
	}
	// A reply waiting in the outbox (no worker runs here).
	ctx := context.Background()
	msg, err := ts.db.MessageByZavuID(ctx, "msg_xyz789")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.db.QueueReply(ctx, inbox.Reply{ConversationID: msg.ConversationID, Source: inbox.SourceAgent,
		Type: inbox.TypeText, Text: "On it", IdempotencyKey: "k1", At: msg.CreatedAt.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}

	status, got := scrape(t, ts, metricsToken)
	if status != http.StatusOK {
		t.Fatalf("scrape: status %d", status)
	}
	want := map[string]float64{
		`switchboard_webhook_events_received_total{type="message.inbound"}`:                                2,
		`switchboard_webhook_events_received_total{type="message.delivered"}`:                              1,
		`switchboard_webhook_events_received_total{type="other"}`:                                          1,
		`switchboard_webhook_events_duplicate_total{type="message.inbound"}`:                               1,
		`switchboard_webhook_events_applied_total{type="message.inbound"}`:                                 1,
		`switchboard_webhook_events_applied_total{type="message.delivered"}`:                               1,
		`switchboard_webhook_events_failed_total{type="other"}`:                                            1,
		`switchboard_webhook_signature_failures_total`:                                                     2,
		`switchboard_webhook_ack_seconds_count`:                                                            4,
		`switchboard_webhook_events_pending`:                                                               0,
		`switchboard_websocket_clients`:                                                                    0,
		`switchboard_outbox_depth`:                                                                         1,
		`switchboard_http_request_duration_seconds_count{code="2xx",method="POST",route="/webhooks/zavu"}`: 4,
		`switchboard_http_request_duration_seconds_count{code="4xx",method="POST",route="/webhooks/zavu"}`: 2,
	}
	for name, v := range want {
		if g, ok := got[name]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", name, g, ok, v)
		}
	}
	for _, name := range []string{
		`switchboard_webhook_events_failed_total{type="message.inbound"}`,
		`switchboard_webhook_events_duplicate_total{type="message.delivered"}`,
	} {
		if g := got[name]; g != 0 {
			t.Errorf("%s = %v, want nothing", name, g)
		}
	}
	// Every stored event went through a group commit, and every applied
	// one through a projection commit, each timed.
	if got[`switchboard_sqlite_batch_size_sum{kind="writes"}`] < 4 || got[`switchboard_sqlite_batch_size_sum{kind="events"}`] < 3 ||
		got[`switchboard_sqlite_commit_seconds_count{kind="writes"}`] < 1 || got[`switchboard_sqlite_commit_seconds_count{kind="events"}`] < 1 {
		t.Errorf("writer figures: batch sums %v/%v, commits %v/%v",
			got[`switchboard_sqlite_batch_size_sum{kind="writes"}`], got[`switchboard_sqlite_batch_size_sum{kind="events"}`],
			got[`switchboard_sqlite_commit_seconds_count{kind="writes"}`], got[`switchboard_sqlite_commit_seconds_count{kind="events"}`])
	}
	if got[`switchboard_outbox_oldest_age_seconds`] < 0 || got["go_goroutines"] < 1 {
		t.Errorf("oldest age %v, goroutines %v", got[`switchboard_outbox_oldest_age_seconds`], got["go_goroutines"])
	}
	// The first scrape is timed under its route's pattern, never a URL.
	if resp, err := http.Get(ts.srv.URL + "/no/such/page/x1"); err == nil {
		resp.Body.Close()
	}
	_, got = scrape(t, ts, metricsToken)
	if got[`switchboard_http_request_duration_seconds_count{code="2xx",method="GET",route="/metrics"}`] != 1 {
		t.Errorf("the scrape itself is not counted under /metrics")
	}
	for name := range got {
		if strings.Contains(name, "/no/such") {
			t.Errorf("a raw URL became a label: %s", name)
		}
	}
}

// TestMetricsWantTheToken: without SWITCHBOARD_METRICS_TOKEN there is no
// /metrics; with it, a missing or wrong token is refused.
func TestMetricsWantTheToken(t *testing.T) {
	off, _ := metricsServer(t, "")
	if status, _ := scrape(t, off, metricsToken); status != http.StatusNotFound {
		t.Errorf("no token configured: status %d, want 404", status)
	}
	ts, _ := metricsServer(t, metricsToken)
	for _, tok := range []string{"", "wrong", metricsToken + "x", metricsToken[:len(metricsToken)-1]} {
		if status, got := scrape(t, ts, tok); status != http.StatusUnauthorized || len(got) != 0 {
			t.Errorf("token %q: status %d, %d samples, want 401 and none", tok, status, len(got))
		}
	}
	if status, got := scrape(t, ts, metricsToken); status != http.StatusOK || len(got) == 0 {
		t.Errorf("right token: status %d, %d samples", status, len(got))
	}
}

type sentOK struct{}

func (sentOK) Send(context.Context, inbox.OutgoingMessage) (inbox.SendResult, error) {
	return inbox.SendResult{ZavuID: "msg_1", Status: inbox.StatusQueued}, nil
}

// TestDashboardGraphsServedMetrics: every metric the Grafana dashboard in
// deploy/ queries is one /metrics serves, so a renamed metric cannot leave
// an empty graph.
func TestDashboardGraphsServedMetrics(t *testing.T) {
	ts, m := metricsServer(t, metricsToken)
	ts.mustPost(fixture(t, "seed_message_inbound_text"))
	if _, err := m.Messenger(sentOK{}).Send(context.Background(), inbox.OutgoingMessage{}); err != nil {
		t.Fatal(err)
	}
	ts.postWith([]byte(`{}`), "t=1,v1=00", nil)
	_, got := scrape(t, ts, metricsToken)
	served := map[string]bool{}
	for sample := range got {
		name, _, _ := strings.Cut(sample, "{")
		served[name] = true
	}
	b, err := os.ReadFile("../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	metricName := regexp.MustCompile(`\b(switchboard|process|go)_[a-z_]+`)
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range metricName.FindAllString(tg.Expr, -1) {
				n++
				if !served[name] {
					t.Errorf("panel %q queries %s, which /metrics does not serve", p.Title, name)
				}
			}
		}
	}
	if n < 15 {
		t.Errorf("the dashboard queries only %d metrics", n)
	}
}

// metricsUpkeep's last backup succeeded at backupAt.
var (
	backupAt      = time.Now().Add(-90 * time.Minute)
	metricsUpkeep = &memUpkeep{last: &inbox.BackupResult{Started: backupAt, File: "/b/x.db", Size: 8192, LastGood: backupAt}}
)

// TestMetricsShowTheBackupAge: /metrics says how old the latest good
// backup is, its size, and whether the last one failed.
func TestMetricsShowTheBackupAge(t *testing.T) {
	ts, _ := metricsServer(t, metricsToken)
	_, got := scrape(t, ts, metricsToken)
	if age := got["switchboard_backup_age_seconds"]; age < 90*60 || age > 2*3600 {
		t.Errorf("switchboard_backup_age_seconds = %v, want about 5400", age)
	}
	if got["switchboard_backup_size_bytes"] != 8192 || got["switchboard_backup_last_failed"] != 0 {
		t.Errorf("backup size %v, failed %v", got["switchboard_backup_size_bytes"], got["switchboard_backup_last_failed"])
	}
}

// The Authorization scheme is case-insensitive (RFC 9110), as the API
// takes it: a scraper or script that writes "bearer" is let in.
func TestMetricsTakeTheSchemeInAnyCase(t *testing.T) {
	ts, _ := metricsServer(t, metricsToken)
	for _, h := range []string{"Bearer " + metricsToken, "bearer " + metricsToken, "BEARER  " + metricsToken} {
		req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/metrics", nil)
		req.Header.Set("Authorization", h)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("Authorization %q: %d, want 200", h, resp.StatusCode)
		}
	}
}

// scrapeFrom asks /metrics with method and token from the client address
// addr, as the reverse proxy on this machine reports it.
func scrapeFrom(t *testing.T, ts *testServer, method, addr, token string) (status int, retryAfter string, body []byte) {
	t.Helper()
	resp, body := requestFrom(t, ts, method, "/metrics", token, addr)
	return resp.StatusCode, resp.Header.Get("Retry-After"), body
}

// The metrics token is guessed no faster than an API token: an address
// that sent TokenFailureLimit wrong ones within TokenFailureWindow is
// answered 429 rate_limited with Retry-After, the right token too, until
// the window has passed; the refusal is logged once. The right token is
// never counted, a request without one neither, and the counts are
// /metrics' own: a script whose API token was revoked does not stop the
// scraper beside it, nor do wrong metrics tokens stop the API.
func TestFailedMetricsTokensAreLimitedPerAddress(t *testing.T) {
	var logs syncBuffer
	clock := &testClock{t: time.Now()}
	ts := newTestServerWith(t, func(c *web.Config, d *web.Deps) {
		c.MetricsToken = metricsToken
		d.Metrics = web.NewMetrics(prometheus.NewRegistry())
		d.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		d.Now = clock.now
	})
	const prober, scraper, office = "203.0.113.7", "198.51.100.20", "2001:db8:1:2::5"

	for i := range 2 * web.TokenFailureLimit {
		if status, _, body := scrapeFrom(t, ts, http.MethodGet, scraper, metricsToken); status != http.StatusOK {
			t.Fatalf("scrape %d with the right token: %d %s", i+1, status, body)
		}
		if status, _, _ := scrapeFrom(t, ts, http.MethodGet, scraper, ""); status != http.StatusUnauthorized {
			t.Fatalf("scrape %d without a token: %d, want 401", i+1, status)
		}
	}
	// A script with a revoked API token at the scraper's address uses up
	// the API's limit there; the scraper goes on.
	for range web.TokenFailureLimit + 1 {
		callFrom(t, ts, scraper, "sbt_revoked")
	}
	if a := callFrom(t, ts, scraper, "sbt_revoked"); a.status != http.StatusTooManyRequests {
		t.Fatalf("the API past its limit: %d %+v, want 429", a.status, a.body)
	}
	if status, _, body := scrapeFrom(t, ts, http.MethodGet, scraper, metricsToken); status != http.StatusOK {
		t.Errorf("a scrape beside a script refused by the API: %d %s, want 200", status, body)
	}

	for i := range web.TokenFailureLimit {
		status, _, body := scrapeFrom(t, ts, http.MethodGet, prober, "guess"+strconv.Itoa(i))
		var e apiErrorBody
		if status != http.StatusUnauthorized || json.Unmarshal(body, &e) != nil || e.Error.Code != "unauthorized" {
			t.Fatalf("wrong token %d: %d %s, want the 401 unauthorized", i+1, status, body)
		}
	}
	var waits []int
	for i, token := range []string{"guess_more", metricsToken, "", metricsToken} {
		method := http.MethodGet
		if i == 3 {
			method = http.MethodHead
		}
		status, retryAfter, body := scrapeFrom(t, ts, method, prober, token)
		if token == "" {
			if status != http.StatusUnauthorized {
				t.Errorf("no token past the limit: %d, want 401", status)
			}
			continue
		}
		var e apiErrorBody
		if status != http.StatusTooManyRequests ||
			(method == http.MethodGet && (json.Unmarshal(body, &e) != nil || e.Error.Code != "rate_limited" || e.Error.Message == "")) ||
			(method == http.MethodHead && len(body) != 0) {
			t.Fatalf("%s with token %q past the limit: %d %q, want 429 rate_limited", method, token, status, body)
		}
		waits = append(waits, waitWithinWindow(t, fmt.Sprintf("%s with token %q past the limit", method, token), retryAfter))
		clock.set(clock.now().Add(time.Minute))
	}
	if waits[2] >= waits[0] {
		t.Errorf("Retry-After stayed %d s after 3 minutes (%v): it says when the window ends", waits[2], waits)
	}
	if n, _ := logs.lines("metrics tokens refused: too many that were not valid"); n != 1 {
		t.Errorf("3 refusals logged %d times, want once", n)
	}
	// The API at the prober's address, and /metrics elsewhere, go on.
	if a := callFrom(t, ts, prober, ts.token); a.status != http.StatusOK {
		t.Errorf("the API from an address /metrics refuses: %d %+v, want 200", a.status, a.body)
	}
	if status, _, body := scrapeFrom(t, ts, http.MethodGet, office, metricsToken); status != http.StatusOK {
		t.Errorf("a scrape from another address: %d %s, want 200", status, body)
	}

	clock.set(clock.now().Add(web.TokenFailureWindow))
	if status, _, body := scrapeFrom(t, ts, http.MethodGet, prober, metricsToken); status != http.StatusOK {
		t.Errorf("the right token after the window: %d %s, want 200", status, body)
	}
	if status, _, _ := scrapeFrom(t, ts, http.MethodGet, prober, "guess_again"); status != http.StatusUnauthorized {
		t.Errorf("a wrong token after the window: %d, want 401", status)
	}
}
