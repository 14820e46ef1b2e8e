package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
	"switchboard/web"
)

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfig(t *testing.T) {
	cfg, err := LoadConfig(envFrom(nil))
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if cfg.Addr != ":8080" || cfg.DBPath != "./data/switchboard.db" || cfg.BaseURL.String() != "http://localhost:8080" ||
		cfg.ZavuAPIURL.String() != "https://api.zavu.dev" || !cfg.Sandbox() || len(cfg.WebhookSecrets) != 0 {
		t.Errorf("defaults = %+v", cfg)
	}
	cfg, err = LoadConfig(envFrom(map[string]string{
		"ZAVU_API_KEY": "zv_live_abc", "ZAVU_WEBHOOK_SECRET": "whsec_one12345678, whsec_two12345678",
		"SWITCHBOARD_BASE_URL": "https://inbox.example.com/", "SWITCHBOARD_LOG": "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sandbox() || len(cfg.WebhookSecrets) != 2 || cfg.WebhookSecrets[1] != "whsec_two12345678" || cfg.BaseURL.String() != "https://inbox.example.com" {
		t.Errorf("configured = %+v", cfg)
	}

	bad := []struct{ name, value string }{
		{"SWITCHBOARD_ADDR", "8080"},
		{"SWITCHBOARD_BASE_URL", "inbox.example.com"},
		{"ZAVU_API_URL", "ftp://api"},
		{"ZAVU_API_KEY", "sk_live_123"},
		{"ZAVU_WEBHOOK_SECRET", "not-a-secret"},
		{"SWITCHBOARD_LOG", "loud"},
		{"SWITCHBOARD_TRUSTED_PROXIES", "10.0.0.0/33"},
		{"SWITCHBOARD_TRUSTED_PROXIES", "proxy.internal, 10.0.0.1"},
		{"SWITCHBOARD_TRUSTED_PROXIES", "172.18.0.0/16;10.0.0.1"},
		{"SWITCHBOARD_TRUSTED_PROXIES", ","},
	}
	for _, b := range bad {
		_, err := LoadConfig(envFrom(map[string]string{b.name: b.value}))
		if err == nil || !strings.HasPrefix(err.Error(), b.name) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s=%q: err = %v, want one line naming the variable", b.name, b.value, err)
		}
	}
	_, err = LoadConfig(envFrom(map[string]string{"SWITCHBOARD_ADDR": "x", "SWITCHBOARD_LOG": "loud"}))
	if err == nil || len(strings.Split(err.Error(), "\n")) != 2 {
		t.Errorf("two mistakes: %v, want two lines", err)
	}
}

func TestTrustedProxiesConfig(t *testing.T) {
	cfg, err := LoadConfig(envFrom(nil))
	if err != nil || fmt.Sprint(cfg.TrustedProxies) != "[127.0.0.0/8 ::1/128]" {
		t.Errorf("default trusted proxies = %v, %v; want loopback only", cfg.TrustedProxies, err)
	}
	cfg, err = LoadConfig(envFrom(map[string]string{"SWITCHBOARD_TRUSTED_PROXIES": " 10.1.2.0/24 , 172.18.0.2,fd00::/8, 10.9.9.9/8"}))
	if err != nil || fmt.Sprint(cfg.TrustedProxies) != "[10.1.2.0/24 172.18.0.2/32 fd00::/8 10.0.0.0/8]" {
		t.Errorf("configured trusted proxies = %v, %v", cfg.TrustedProxies, err)
	}

	// A bad value stops the server before it listens, with one line. (The
	// context is over already: a server that did start would stop at once.)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, stderr bytes.Buffer
	code := run(ctx, []string{"serve"}, strings.NewReader(""), &out, &stderr, envFrom(map[string]string{
		"SWITCHBOARD_TRUSTED_PROXIES": "10.0.0.0/8, docker-bridge",
		"SWITCHBOARD_DB":              filepath.Join(t.TempDir(), "sb.db"),
		"SWITCHBOARD_ADDR":            "127.0.0.1:0",
	}))
	errOut := stderr.String()
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "switchboard: SWITCHBOARD_TRUSTED_PROXIES: ") || !strings.Contains(lines[0], "docker-bridge") {
		t.Errorf("serve with a bad SWITCHBOARD_TRUSTED_PROXIES: exit %d, stderr %q; want 1 and one line naming the variable", code, errOut)
	}
}

// runCmd runs one command line in-process.
func runCmd(t *testing.T, vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, envFrom(vars))
	return code, out.String(), errOut.String()
}

func TestUserAndTokenCommands(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	vars := map[string]string{"SWITCHBOARD_DB": dbPath}

	code, out, errOut := runCmd(t, vars, "correct horse battery\n", "user", "add", "--email", "ana@example.com", "--name", "Ana", "--admin")
	if code != 0 || !strings.Contains(out, "admin Ana") {
		t.Fatalf("user add = %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, vars, "another good password\n", "user", "add", "--email", "ANA@example.com", "--name", "Ana 2"); code == 0 || !strings.Contains(errOut, "already exists") {
		t.Errorf("duplicate e-mail: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, vars, "short\n", "user", "add", "--email", "bo@example.com", "--name", "Bo"); code == 0 || !strings.Contains(errOut, "at least") {
		t.Errorf("short password: %d %q", code, errOut)
	}
	if code, _, _ := runCmd(t, vars, "", "user", "add", "--email", "not-an-email", "--name", "Bo"); code != 2 {
		t.Errorf("bad e-mail: exit %d, want 2", code)
	}

	code, out, _ = runCmd(t, vars, "", "token", "create", "--name", "reporting")
	secret := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(secret, "sbt_") {
		t.Fatalf("token create = %d %q", code, out)
	}

	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, err := db.UserByEmail(context.Background(), "ana@example.com")
	if err != nil || u.Role != inbox.RoleAdmin || u.PasswordHash == "" || strings.Contains(u.PasswordHash, "horse") {
		t.Errorf("stored user = %+v, %v", u, err)
	}
	if cost, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil || cost != bcrypt.DefaultCost+2 {
		t.Errorf("the password was hashed at bcrypt cost %d (%v), want %d", cost, err, bcrypt.DefaultCost+2)
	}
	tok, err := db.APITokenByHash(context.Background(), web.HashAPIToken(secret))
	if err != nil || tok.Name != "reporting" || tok.Hash == secret {
		t.Errorf("stored token = %+v, %v", tok, err)
	}
}

func TestHelpAndUnknownCommand(t *testing.T) {
	if code, out, _ := runCmd(t, nil, "", "-h"); code != 0 || !strings.Contains(out, "simulate") || !strings.Contains(out, "backup FILE") {
		t.Errorf("-h = %d %q", code, out)
	}
	// Every command DESIGN.md names, as it names them.
	_, out, _ := runCmd(t, nil, "", "-h")
	for _, want := range []string{"switchboard [serve]", "user add --email E --name N [--admin]", "read from stdin, or asked",
		"token create --name N [--scope read|write]", "token list", "token revoke ID", "simulate", "backup FILE", "restore FILE",
		"bench [--quick] [--json]", "switchboard version"} {
		if !strings.Contains(out, want) {
			t.Errorf("-h does not say %q", want)
		}
	}
	if code, _, errOut := runCmd(t, nil, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command = %d %q", code, errOut)
	}
	if code, out, _ := runCmd(t, nil, "", "version"); code != 0 || !strings.HasPrefix(out, "switchboard ") {
		t.Errorf("version = %d %q", code, out)
	}
}

// Asking a command for help is no mistake: every command, those without
// flags of their own too (version, and token and user before their
// subcommand), says what it takes and exits 0, touching nothing.
func TestEveryCommandAnswersHelpWithZero(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	vars := map[string]string{"SWITCHBOARD_DB": dbPath}
	for _, args := range [][]string{
		{"serve", "-h"}, {"user", "--help"}, {"user", "add", "--help"}, {"token", "-h"}, {"token", "--help"},
		{"token", "create", "-h"}, {"token", "list", "-h"}, {"token", "revoke", "-h"}, {"simulate", "-h"},
		{"backup", "-h"}, {"restore", "-h"}, {"doctor", "-h"}, {"bench", "-h"}, {"soak", "-h"},
		{"migrate-to-postgres", "-h"}, {"version", "-h"}, {"version", "--help"},
	} {
		code, _, errOut := runCmd(t, vars, "", args...)
		if code != 0 || strings.Contains(errOut, "takes no argument") || strings.Contains(errOut, "unknown") {
			t.Errorf("%q: exit %d, stderr %q; want 0 and what the command takes", args, code, errOut)
		}
		// What it takes as switchboard -h gives it: backup -h said
		// nothing of FILE, token revoke -h nothing of ID.
		cmd := strings.Join(args[:len(args)-1], " ")
		forms := 0
		for _, line := range strings.Split(usage, "\n") {
			form, ok := strings.CutPrefix(line, "  switchboard ")
			form, _, _ = strings.Cut(form, "   ")
			if !ok || !strings.HasPrefix(strings.Replace(form, "[serve]", "serve", 1)+" ", cmd+" ") {
				continue
			}
			forms++
			if !strings.Contains(errOut, "switchboard "+strings.TrimSpace(form)) {
				t.Errorf("%q: stderr %q does not show switchboard %s", args, errOut, form)
			}
		}
		if forms == 0 {
			t.Errorf("%q: -h shows no switchboard %s", args, cmd)
		}
	}
	if _, err := os.Stat(dbPath); err == nil {
		t.Errorf("asking for help created the database %s", dbPath)
	}
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	code, _, errOut := runCmd(t, map[string]string{"ZAVU_WEBHOOK_SECRET": "oops", "SWITCHBOARD_DB": filepath.Join(t.TempDir(), "x.db")}, "", "serve")
	if code != 1 || !strings.HasPrefix(errOut, "switchboard: ZAVU_WEBHOOK_SECRET") {
		t.Errorf("serve with a bad secret = %d %q", code, errOut)
	}
}

// buildBinary compiles switchboard once per test run.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "switchboard-test-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "switchboard")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func buildBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

const childSecret = "whsec_child_process_test"

// child is switchboard running as its own process.
type child struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
	mu   *sync.Mutex
	done chan struct{}
}

func startChild(t *testing.T, bin, dbPath string, env ...string) *child {
	t.Helper()
	env = append([]string{"SWITCHBOARD_ADDR=127.0.0.1:0", "SWITCHBOARD_DB=" + dbPath,
		"ZAVU_WEBHOOK_SECRET=" + childSecret, "SWITCHBOARD_LOG=info"}, env...)
	return startProcess(t, exec.Command(bin, "serve"), append(os.Environ(), env...))
}

// startProcess starts cmd, a server, with env as its whole environment,
// and waits until its log says where it listens.
func startProcess(t *testing.T, cmd *exec.Cmd, env []string) *child {
	t.Helper()
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, logs: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Bytes()
			c.mu.Lock()
			c.logs.Write(line)
			c.logs.WriteByte('\n')
			c.mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "switchboard started" {
				addr <- rec.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		c.url = "http://" + a
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("switchboard did not start:\n%s", c.logText())
	}
	return c
}

func (c *child) logText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logs.String()
}

// wait waits for the process to end and its log to be read.
func (c *child) wait() error {
	err := c.cmd.Wait()
	<-c.done
	return err
}

func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	c := startChild(t, bin, dbPath)
	resp, err := http.Get(c.url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	// SWITCHBOARD_ADDR=127.0.0.1:0 without a base URL: the start-up line
	// names the address the server really listens on.
	for _, want := range []string{`"base_url":"` + c.url + `"`, `"webhook_url":"` + c.url + `/webhooks/zavu"`} {
		if !strings.Contains(c.logText(), want) {
			t.Errorf("start-up log lacks %s:\n%s", want, c.logText())
		}
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	if err := c.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, c.logText())
	}
	if !strings.Contains(c.logText(), `"msg":"stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", c.logText())
	}
}

// TestCrashLosesNoAcknowledgedEvent kills the server with SIGKILL in the
// middle of a stream of deliveries, several times, and checks that every
// delivery that got a 200 is stored exactly once and applied.
func TestCrashLosesNoAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	sim := zavu.NewSimulator(11, "snd_crash", "+13125559876", time.Now)
	client := &http.Client{Timeout: 10 * time.Second}

	var mu sync.Mutex
	acked := map[string]zavu.SimEvent{}
	var retry []zavu.SimEvent // not acknowledged: Zavu sends them again
	const rounds = 5
	for round := range rounds {
		c := startChild(t, bin, dbPath)
		queue := make(chan zavu.SimEvent)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for ev := range queue {
					status, err := postSigned(context.Background(), client, c.url+"/webhooks/zavu", childSecret, ev.Body)
					mu.Lock()
					if err == nil && status == http.StatusOK {
						acked[ev.ID] = ev
					} else {
						retry = append(retry, ev)
					}
					mu.Unlock()
				}
			})
		}
		mu.Lock()
		pending := retry
		retry = nil
		mu.Unlock()
		kill := time.After(time.Duration(300+150*round) * time.Millisecond)
	feed:
		for {
			var ev zavu.SimEvent
			if len(pending) > 0 {
				ev, pending = pending[0], pending[1:]
			} else {
				batch := sim.Next()
				ev, pending = batch[0], batch[1:]
			}
			select {
			case queue <- ev:
			case <-kill:
				break feed
			}
		}
		c.cmd.Process.Kill() // SIGKILL: no shutdown, no flush
		close(queue)
		wg.Wait()
		c.wait()
		mu.Lock()
		retry = append(retry, pending...)
		mu.Unlock()
	}
	if len(acked) < 50 {
		t.Fatalf("only %d deliveries were acknowledged; the test proves nothing", len(acked))
	}
	// Events stored but not yet applied when the last kill came are
	// applied by the next start.
	c := startChild(t, bin, dbPath)
	applyCtx, cancelApply := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancelApply()
	if err := waitApplied(applyCtx, dbPath); err != nil {
		t.Fatal(err)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	if err := c.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, c.logText())
	}

	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	seen := map[string]int{}
	cursor := ""
	for {
		evs, next, err := db.Events(ctx, inbox.EventFilter{Limit: 200, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			seen[e.ID]++
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if n := db.Pending(); n != 0 {
		t.Errorf("%d stored events still pending after a clean start and stop", n)
	}
	lost, doubled, unapplied := 0, 0, 0
	for id, ev := range acked {
		switch seen[id] {
		case 0:
			lost++
			continue
		case 1:
		default:
			doubled++
		}
		// An acknowledged inbound message is in its thread.
		decoded, err := zavu.Decode(ev.Body)
		if err == nil && decoded.Inbound != nil {
			if _, err := db.MessageByZavuID(ctx, decoded.Inbound.MessageID); errors.Is(err, inbox.ErrNotFound) {
				unapplied++
			}
		}
	}
	t.Logf("%d rounds, %d deliveries acknowledged, %d events stored", rounds, len(acked), len(seen))
	if lost+doubled+unapplied > 0 {
		t.Errorf("after SIGKILLs: %d acknowledged events lost, %d stored twice, %d inbound messages missing", lost, doubled, unapplied)
	}
}

// A script that gets a command line wrong is told once, and the exit code
// is 2, whether the mistake is a flag or an argument too many; nothing is
// done meanwhile.
func TestBadFlagsAndArgumentsAreUsageErrors(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	vars := map[string]string{"SWITCHBOARD_DB": dbPath, "SWITCHBOARD_ADDR": "127.0.0.1:0"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a server that did start stops at once
	for _, args := range [][]string{
		{"serve", "--bogus"},
		{"serve", "extra"},
		{"user", "add", "--email", "ana@example.com", "--name", "Ana", "--bogus"},
		{"user", "add", "--email", "ana@example.com", "--name", "Ana", "extra"},
		// A name the admin page refuses: too long, or across lines.
		{"user", "add", "--email", "ana@example.com", "--name", strings.Repeat("N", 101)},
		{"user", "add", "--email", "ana@example.com", "--name", "Ana\nLima"},
		{"user", "add", "--email", "ana@example.com", "--name", "Ana\x01"},
		{"token", "create", "--name", "x", "--bogus"},
		{"token", "list", "--bogus"},
		{"token", "revoke", "--bogus", "1"},
		{"backup", "--bogus", "x.db"},
		{"restore", "--bogus", "x.db"},
		{"simulate", "--count", "abc"},
		{"simulate", "extra"},
		{"doctor", "--bogus"},
		{"doctor", "extra"},
		{"version", "extra"},
		{"migrate-to-postgres", "--bogus"},
		// bench runs one part, or all: two parts, or a part with --db,
		// ran one of them only.
		{"bench", "--ui", "--team"},
		{"bench", "--quick", "--search", "--ingest"},
		{"bench", "--team", "--ui", "--search", "--ingest"},
		{"bench", "--db", "postgres://sb@127.0.0.1:1/switchboard", "--team"},
	} {
		var out, errOut bytes.Buffer
		code := run(ctx, args, strings.NewReader("correct horse battery\n"), &out, &errOut, envFrom(vars))
		stderr := errOut.String()
		if code != 2 {
			t.Errorf("%q: exit %d, want 2 (stdout %q, stderr %q)", args, code, out.String(), stderr)
		}
		if n := strings.Count(stderr, "flag provided but not defined") + strings.Count(stderr, "invalid value"); n > 1 {
			t.Errorf("%q: the mistake is told %d times: %q", args, n, stderr)
		}
		if strings.HasSuffix(args[len(args)-1], "extra") && !strings.Contains(stderr, `"extra"`) {
			t.Errorf("%q: stderr %q does not name the argument too many", args, stderr)
		}
	}
	if _, err := os.Stat(dbPath); err == nil {
		t.Errorf("a refused command line created the database %s", dbPath)
	}
}

// A database that cannot be opened stops a command with one line naming
// SWITCHBOARD_DB, whatever the driver's error spreads over (PostgreSQL's
// tries each address on a line of its own).
func TestUnreachableDatabaseIsOneLine(t *testing.T) {
	vars := map[string]string{"SWITCHBOARD_DB": "postgres://sb:hunter2@127.0.0.1:1/switchboard?connect_timeout=2", "SWITCHBOARD_ADDR": "127.0.0.1:0"}
	for _, args := range [][]string{{"serve"}, {"token", "list"}, {"user", "add", "--email", "ana@example.com", "--name", "Ana"}} {
		code, _, errOut := runCmd(t, vars, "correct horse battery\n", args...)
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "switchboard: SWITCHBOARD_DB=postgres://sb@127.0.0.1:1/") ||
			!strings.Contains(lines[0], "connection refused") || strings.Contains(errOut, "hunter2") {
			t.Errorf("%q: exit %d, stderr %q; want 1 and one line naming SWITCHBOARD_DB, without the password", args, code, errOut)
		}
	}
}

// Values that would break later (a base URL that the webhook's address is
// glued onto, a folder for the database file, a key that is only its
// prefix) stop start-up at once, with one line naming the variable.
func TestLoadConfigRefusesWhatWouldBreakLater(t *testing.T) {
	dir := t.TempDir()
	for _, b := range []struct{ name, value, says string }{
		{"SWITCHBOARD_DB", dir, "is a folder"},
		{"SWITCHBOARD_BASE_URL", "https://inbox.example.com/?utm=1", "query"},
		{"SWITCHBOARD_BASE_URL", "https://inbox.example.com/#top", "fragment"},
		{"SWITCHBOARD_BASE_URL", "https://ana:secret@inbox.example.com", "user"},
		{"ZAVU_API_URL", "https://api.zavu.dev/?x=1", "query"},
		{"ZAVU_API_KEY", "zv_live_", "zv_live_"},
		{"ZAVU_API_KEY", "zv_test_ ", "zv_test_"},
		{"SWITCHBOARD_DB", "host=db.internal dbname=switchboard password=secret", "postgres://"},
		{"SWITCHBOARD_DB", "mysql://db.internal/switchboard", "postgres://"},
		{"SWITCHBOARD_ADDR", ":99999", "port"},
		{"SWITCHBOARD_ADDR", "127.0.0.1:eighty", "port"},
	} {
		_, err := LoadConfig(envFrom(map[string]string{b.name: b.value}))
		if err == nil || !strings.HasPrefix(err.Error(), b.name) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), b.says) ||
			strings.Contains(err.Error(), "secret") {
			t.Errorf("%s=%q: err = %v, want one line naming the variable and saying %q", b.name, b.value, err, b.says)
		}
	}
	if _, err := LoadConfig(envFrom(map[string]string{"SWITCHBOARD_BASE_URL": "https://inbox.example.com/support/"})); err != nil {
		t.Errorf("a base URL with a path: %v", err)
	}
}

// simulate, run with the server's environment and no --url, reaches that
// server: SWITCHBOARD_BASE_URL when set, else the listen address
// SWITCHBOARD_ADDR names, as serve derives its base URL (it went to
// localhost:8080 whatever SWITCHBOARD_ADDR said).
func TestSimulateFindsTheServerOnItsAddress(t *testing.T) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/webhooks/zavu" && r.Header.Get("X-Zavu-Signature") != "" {
			got.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	code, out, errOut := runCmd(t, map[string]string{"SWITCHBOARD_ADDR": addr}, "", "simulate", "--count", "3", "--rate", "0")
	if code != 0 || got.Load() != 3 {
		t.Errorf("simulate with SWITCHBOARD_ADDR=%s: exit %d, %d webhooks reached it (want 0 and 3); %s %s", addr, code, got.Load(), out, errOut)
	}
}

// switchboard -h names every variable of README's Configuration table
// (it left out SWITCHBOARD_LIVE_PPROF) and every form of bench the
// Commands section shows.
func TestHelpNamesWhatTheREADMEDocuments(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n## Configuration\n")
	section, _, _ = strings.Cut(section, "\n## ")
	_, out, _ := runCmd(t, nil, "", "-h")
	vars := 0
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
		if name == "GOMAXPROCS" { // Go's own
			continue
		}
		vars++
		if !strings.Contains(out, name) {
			t.Errorf("-h does not name %s", name)
		}
	}
	if vars < 10 {
		t.Fatalf("found %d variables in README's Configuration table", vars)
	}
	for _, want := range []string{"bench [--quick] [--json] [--team|--ui|--search|--ingest]", "bench --db URL [--processes N] [--quick]"} {
		if !strings.Contains(out, want) {
			t.Errorf("-h does not show %q", want)
		}
	}
	// And README's Commands show every command -h does (they left out
	// soak), with its flags as -h gives them.
	_, commands, _ := strings.Cut(string(readme), "\n## Commands\n")
	commands, _, _ = strings.Cut(commands, "\n## ")
	forms := 0
	for _, line := range strings.Split(out, "\n") {
		form, ok := strings.CutPrefix(line, "  switchboard ")
		if !ok {
			continue
		}
		form, _, _ = strings.Cut(form, "   ")
		forms++
		if !strings.Contains(commands, "switchboard "+strings.TrimSpace(form)) {
			t.Errorf("README's Commands do not show switchboard %s", form)
		}
	}
	if forms < 10 {
		t.Fatalf("found %d commands in -h", forms)
	}
}
