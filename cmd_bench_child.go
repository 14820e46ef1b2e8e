package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"switchboard/inbox/zavu"
)

// benchChild is a Switchboard server started from exec, as an operator
// starts it, with the bench as its only client: the load comes from
// another process, over loopback TCP, through the real server with its
// logging and middleware. Its Zavu is a fake the bench serves, so no
// sandbox customers add traffic of their own.
type benchChild struct {
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:port
	secret  string
	started time.Duration // from exec to the first 200 on /healthz
	logFile string
	exited  chan error
}

// benchZavu is the fake Zavu API the bench's servers talk to.
type benchZavu struct {
	fake *zavu.Fake
	hs   *http.Server
	url  string
}

func startBenchZavu() (*benchZavu, error) {
	fake := zavu.NewFake(zavu.FakeOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fake.Close()
		return nil, err
	}
	hs := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return &benchZavu{fake: fake, hs: hs, url: "http://" + ln.Addr().String()}, nil
}

func (z *benchZavu) close() {
	z.hs.Close()
	z.fake.Close()
}

// benchChildOptions say how to start a bench server.
type benchChildOptions struct {
	db, logFile string
	zavuURL     string
	secret      string
	cpuProfile  string
	dir         string   // the server's working folder (default: the bench's)
	env         []string // more of the server's environment
}

// startBenchChild execs "switchboard serve" on a free loopback port and
// waits until /healthz answers 200.
func startBenchChild(ctx context.Context, o benchChildOptions) (*benchChild, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(o.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"serve"}
	if o.cpuProfile != "" {
		args = append(args, "--cpuprofile", o.cpuProfile)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(benchChildEnv(os.Environ()),
		"SWITCHBOARD_ADDR="+addr,
		"SWITCHBOARD_DB="+o.db,
		"SWITCHBOARD_BASE_URL=http://"+addr,
		"SWITCHBOARD_LOG=info",
		"ZAVU_API_KEY=zv_test_bench",
		"ZAVU_API_URL="+o.zavuURL,
		"ZAVU_WEBHOOK_SECRET="+o.secret,
	)
	cmd.Env = append(cmd.Env, o.env...)
	cmd.Dir = o.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &benchChild{cmd: cmd, base: "http://" + addr, secret: o.secret, logFile: o.logFile, exited: make(chan error, 1)}
	go func() { c.exited <- cmd.Wait() }()
	if err := c.waitHealthy(ctx, 30*time.Second); err != nil {
		c.stop()
		return nil, fmt.Errorf("bench server did not start (its log: %s): %w", o.logFile, err)
	}
	c.started = time.Since(start)
	return c, nil
}

// benchChildEnv is the bench's environment without Switchboard's and
// Zavu's own settings, which the bench sets for its servers.
func benchChildEnv(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, "SWITCHBOARD_") || strings.HasPrefix(kv, "ZAVU_")
	})
}

// waitHealthy polls /healthz until it answers 200, the server exits, or
// limit passes.
func (c *benchChild) waitHealthy(ctx context.Context, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/healthz", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-c.exited:
			c.exited <- err
			return fmt.Errorf("the server exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("no 200 on /healthz in time")
		}
	}
}

// rss is the server's resident set size now, and its peak.
func (c *benchChild) rss() (now, peak float64) {
	path := filepath.Join("/proc", strconv.Itoa(c.cmd.Process.Pid), "status")
	return procStatusOf(path, "VmRSS:"), procStatusOf(path, "VmHWM:")
}

// stop ends the server as an operator does, with SIGTERM, and waits for it
// to finish shutting down.
func (c *benchChild) stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.exited:
		return err
	case <-time.After(30 * time.Second):
		// SIGQUIT makes the Go runtime write every goroutine's stack to
		// the server's log, to show what held the shutdown up.
		_ = c.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-c.exited:
		case <-time.After(5 * time.Second):
			_ = c.cmd.Process.Kill()
		}
		kept := filepath.Join(os.TempDir(), fmt.Sprintf("switchboard-bench-stuck-%d.log", time.Now().UnixNano()))
		if b, err := os.ReadFile(c.logFile); err == nil {
			_ = os.WriteFile(kept, b, 0o600)
		}
		return fmt.Errorf("the bench server did not stop within 30 s; its log, with its goroutines: %s", kept)
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startFigures are how long Switchboard takes to start, from exec.
type startFigures struct {
	Runs            int     `json:"runs"`
	HealthyMedianMs float64 `json:"healthyMedianMs"` // exec to the first 200 on /healthz, existing database
	VersionMedianMs float64 `json:"versionMedianMs"` // exec to exit of "switchboard version"
}

// benchStart starts the server n times on the existing database o.db, and
// runs "switchboard version" n times, from exec.
func benchStart(ctx context.Context, o benchChildOptions, n int) (startFigures, error) {
	f := startFigures{Runs: n}
	var healthy, version []time.Duration
	for range n {
		c, err := startBenchChild(ctx, o)
		if err != nil {
			return f, err
		}
		healthy = append(healthy, c.started)
		if err := c.stop(); err != nil {
			return f, err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return f, err
	}
	for range n {
		start := time.Now()
		if err := exec.CommandContext(ctx, self, "version").Run(); err != nil {
			return f, err
		}
		version = append(version, time.Since(start))
	}
	f.HealthyMedianMs = percentileMs(healthy, 50)
	f.VersionMedianMs = percentileMs(version, 50)
	return f, nil
}

func procStatusOf(path, field string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
