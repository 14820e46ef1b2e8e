// Switchboard is a shared inbox for teams that serve customers on WhatsApp
// and SMS through Zavu. One binary, SQLite inside.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
	"switchboard/web"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

const usage = `Switchboard: a shared inbox for WhatsApp and SMS through Zavu.

Usage:
  switchboard [serve]                      run the server (the default)
  switchboard user add --email E --name N [--admin]
                                           add a user; the password is read from stdin, or asked
                                           for when stdin is a terminal
  switchboard token create --name N [--scope read|write]
                                           create an API token and print it once; a read
                                           token only reads, write (the default) may also
                                           send and change conversations
  switchboard token list                   list API tokens: id, name, scope, created,
                                           last used, revoked (never the token itself)
  switchboard token revoke ID              revoke an API token; refused from its next request
  switchboard simulate [--url U] [--secret S] [--count N] [--rate R]
                                           send realistic signed Zavu webhooks to a server
  switchboard backup FILE                  write a consistent copy of the database
  switchboard restore FILE                 put a backup in place of the stopped server's database
  switchboard migrate-to-postgres --from FILE --to URL
                                           copy a SQLite database into an empty PostgreSQL
                                           database, check it, and say how to switch
  switchboard doctor                       check the configuration, database, disk and
                                           senders' webhooks, and say what to fix
  switchboard bench [--quick] [--json] [--team|--ui|--search|--ingest]
                                           measure this machine (or one part of it)
  switchboard bench --db URL [--processes N] [--quick]
                                           webhook ingest on PostgreSQL, 1 and 2 processes
  switchboard soak [--duration D] [--rate R] [--every E] [--pages N] [--json]
                                           steady webhooks to a server of its own, with
                                           ack latency, live fan-out to N pages, WAL,
                                           memory and backlog over time
  switchboard version                      print the version and the schema version

Configuration comes from the environment: SWITCHBOARD_ADDR, SWITCHBOARD_DB,
SWITCHBOARD_BASE_URL, ZAVU_API_KEY, ZAVU_API_URL, ZAVU_WEBHOOK_SECRET,
SWITCHBOARD_TRUSTED_PROXIES, SWITCHBOARD_LOG, SWITCHBOARD_METRICS_TOKEN,
SWITCHBOARD_CHECKPOINTS, SWITCHBOARD_LIVE_PPROF.
See README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// env is where a command reads and writes; tests give their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = e.serve(ctx, args)
	case "user":
		err = e.user(ctx, args)
	case "token":
		err = e.token(ctx, args)
	case "simulate":
		err = e.simulate(ctx, args)
	case "backup":
		err = e.backup(ctx, args)
	case "restore":
		err = e.restore(ctx, args)
	case "migrate-to-postgres":
		err = e.migrateToPostgres(ctx, args)
	case "doctor":
		err = e.doctor(ctx, args)
	case "bench":
		err = e.bench(ctx, args)
	case "soak":
		err = e.soak(ctx, args)
	case "version":
		err = e.version(ctx, args)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "switchboard: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errBadFlag):
		return 2 // the flag package has said which, with the command's flags
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "switchboard %s: %v\n", cmd, err)
		return 2
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(stderr, "switchboard: %s\n", line)
	}
	return 1
}

var errUsage = errors.New("usage")

// isHelp reports whether arg asks for help, as the flag package takes it.
func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// help answers a command's -h that no flag set parses: what it takes, as
// switchboard -h says it, on stderr as the flag package prints a
// command's flags, and exit 0.
func (e env) help(cmd string) error {
	fmt.Fprintf(e.stderr, "Usage:\n%s(see switchboard -h)\n", synopsis(cmd))
	return flag.ErrHelp
}

// synopsis is what switchboard -h says of a command ("backup", "token",
// "token revoke"): each of its forms, with what it does.
func synopsis(cmd string) string {
	var b strings.Builder
	lines := strings.Split(usage, "\n")
	for i := 0; i < len(lines); i++ {
		form, ok := strings.CutPrefix(lines[i], "  switchboard ")
		if !ok || !strings.HasPrefix(strings.Replace(form, "[serve]", "serve", 1)+" ", cmd+" ") {
			continue
		}
		b.WriteString(lines[i] + "\n")
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "    ") {
			i++
			b.WriteString(lines[i] + "\n")
		}
	}
	return b.String()
}

// errBadFlag marks a flag the flag package refused and has reported.
var errBadFlag = errors.New("bad flag")

func usageError(format string, a ...any) error {
	return fmt.Errorf("%s (%w: see switchboard -h)", fmt.Sprintf(format, a...), errUsage)
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// flagSet is one command's flags. Parse reports a bad flag, which the
// flag package has printed with the command's flags, as a usage error.
type flagSet struct {
	*flag.FlagSet
	name string
}

// newFlags returns a flag set that prints its errors and usage to stderr:
// what the command takes, as switchboard -h says it, then its flags.
func (e env) newFlags(name string) flagSet {
	fs := flag.NewFlagSet("switchboard "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage:\n%s", synopsis(name))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(e.stderr, "Flags:")
			fs.PrintDefaults()
		}
	}
	return flagSet{FlagSet: fs, name: name}
}

func (f flagSet) Parse(args []string) error {
	err := f.FlagSet.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return fmt.Errorf("%w: %w", errBadFlag, err)
	}
	return err
}

// parseNoArgs parses flags for a command that takes no argument.
func (f flagSet) parseNoArgs(args []string) error {
	if err := f.Parse(args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return usageError("%s takes no argument %q", f.name, f.Arg(0))
	}
	return nil
}

func (e env) config() (Config, error) { return LoadConfig(e.getenv) }

func (e env) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level}))
}

// serve runs the server until ctx ends, then shuts down gracefully: stop
// accepting, finish in-flight requests, close the database.
func (e env) serve(ctx context.Context, args []string) error {
	fs := e.newFlags("serve")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until the server stops")
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	defer stopProfile()
	cfg, err := e.config()
	if err != nil {
		return err
	}
	// The port is taken before the database is opened: a port in use
	// (a server already running) stops here, the database untouched.
	// Connections wait in the kernel's queue until serving begins.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return listenError(cfg.Addr, err)
	}
	defer ln.Close()
	log := e.logger(cfg.LogLevel)
	defer exitOnSecondSignal(ctx, log)()
	stopPprof, err := startLivePprof(e.getenv, log)
	if err != nil {
		return err
	}
	defer stopPprof()
	// Held while serving: a second server, or a restore, is refused.
	release, err := store.LockServing(cfg.DBPath)
	if err != nil {
		return dbError(cfg.DBPath, err)
	}
	defer release()
	if err := refuseEmptied(cfg.DBPath); err != nil {
		return err
	}
	storeOpts := []store.Option{store.WithLogger(log.With("component", "store")), store.WithVersion(versionString())}
	if cfg.ExternalCheckpoints {
		storeOpts = append(storeOpts, store.WithExternalCheckpoints())
	}
	db, err := store.Open(cfg.DBPath, storeOpts...)
	if err != nil {
		return dbError(cfg.DBPath, err)
	}
	defer db.Close()
	if !store.IsPostgresURL(cfg.DBPath) {
		lendSyncerProc(e.getenv)
	}

	secrets := cfg.WebhookSecrets
	// In the sandbox without a secret of its own, webhooks (the simulated
	// customers' too) are signed with the public sandbox secret.
	sandboxSigned := cfg.Sandbox() && len(secrets) == 0
	if sandboxSigned {
		secrets = []string{sandboxSecret}
	}
	if len(secrets) == 0 {
		log.Warn("no webhook secret configured: every webhook will be refused until ZAVU_WEBHOOK_SECRET is set or an admin enters a secret on the Senders page")
	}
	cfg = cfg.Listening(ln.Addr()) // a default base URL names the port bound
	ownWebhook := "http://" + loopbackAddr(ln.Addr()) + "/webhooks/zavu"
	ownSecret := ""
	if len(secrets) > 0 {
		ownSecret = secrets[0]
	}
	link := newZavuLink(cfg, ownWebhook, ownSecret, log)

	messenger := zavu.Messenger{Client: link.client}
	metrics := newMetrics(db)
	outbox := inbox.NewOutbox(db, metrics.Messenger(messenger), nil, log.With("component", "outbox"))
	templates := newTemplateSyncer()
	directory := &zavu.Directory{Client: link.client, Store: db}
	dataDir, err := localDataDir(cfg.DBPath, e.getenv)
	if err != nil {
		return err
	}
	filesKey, err := loadOrCreateKey(filepath.Join(dataDir, "files.key"))
	if err != nil {
		return fmt.Errorf("attachments key: %w", err)
	}
	upkeep := newUpkeep(db, filepath.Join(dataDir, "media"), log.With("component", "upkeep"))
	// On PostgreSQL, other processes may serve the same database: live
	// updates go to and come from them.
	var live inbox.LiveBus
	if store.IsPostgresURL(cfg.DBPath) {
		bus, err := store.OpenLiveBus(cfg.DBPath, log.With("component", "live"))
		if err != nil {
			return dbError(cfg.DBPath, err)
		}
		defer bus.Close()
		live = bus
	}
	// Snoozed conversations come back when their time comes; the timer
	// tells the live pages through the server.
	var srv *web.Server
	snoozes := inbox.NewSnoozeTimer(db, func(ch inbox.Change) { srv.Publish(ch) }, nil, log.With("component", "snooze"))
	// Satisfaction surveys go through the outbox once a resolve can no
	// longer be undone.
	csat := inbox.NewCSATTimer(db, func(ch inbox.Change) { srv.Publish(ch); outbox.Wake() }, nil, log.With("component", "csat"))
	srv = web.New(web.Config{
		BaseURL: cfg.BaseURL, Sandbox: cfg.Sandbox(),
		MediaDir: filepath.Join(dataDir, "media"),
		FilesDir: filepath.Join(dataDir, "files"), FilesKey: filesKey,
		TrustedProxies: cfg.TrustedProxies,
		MetricsToken:   cfg.MetricsToken,
		Version:        versionString(),
		FormKey:        subKey(filesKey, "forms"),
	}, web.Deps{
		Store:       db,
		Sessions:    db.Sessions(),
		Webhooks:    zavu.Webhooks{Secrets: zavu.StaticSecrets(secrets...), SenderSecrets: db.SenderWebhookSecrets},
		Outbox:      outbox,
		Templates:   templates,
		Directory:   directory,
		Media:       messenger,
		Reactor:     messenger,
		Receipts:    messenger,
		MediaClient: link.mediaClient(),
		Logger:      log,
		Metrics:     metrics,
		Backlog:     db,
		Upkeep:      upkeep,
		Snoozes:     snoozes,
		Live:        live,
	})
	outbox.Publisher = srv.Hub()
	outbox.Messenger = srv.FreshFileLinks(outbox.Messenger)
	hs := srv.HTTPServer(slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	if link.fake != nil {
		hs.Handler = sandboxWebhooks(hs.Handler, link.fake)
	}
	// Connections are capped in all and per client address; a trusted
	// reverse proxy speaks for many clients and is capped only in all.
	limits := web.DefaultConnLimits()
	limits.Exempt = func(a netip.Addr) bool {
		return slices.ContainsFunc(cfg.TrustedProxies, func(p netip.Prefix) bool { return p.Contains(a) })
	}
	hs.RegisterOnShutdown(srv.Close)
	log.Info("switchboard started", "version", versionString(), "addr", ln.Addr().String(),
		"db", store.RedactDSN(cfg.DBPath), "base_url", cfg.BaseURL.String(), "sandbox", cfg.Sandbox(),
		"webhook_url", cfg.BaseURL.String()+"/webhooks/zavu",
		"max_connections", limits.Total, "max_connections_per_address", limits.PerAddr, "gomaxprocs", runtime.GOMAXPROCS(0))
	if sandboxSigned {
		log.Warn("sandbox mode: webhooks are checked with the public sandbox secret; set ZAVU_API_KEY and ZAVU_WEBHOOK_SECRET for production",
			"secret", sandboxSecret)
	}
	// No account yet: the first admin is created through this link, whose
	// code only whoever reads this log has.
	if link, err := srv.SetupLink(ctx); err != nil {
		log.Error("cannot make the setup link; add an admin with: switchboard user add --admin", "err", err)
	} else if link != "" {
		log.Warn("no account yet: open the setup link to create the first admin account", "setup_url", link)
	}

	workers, stopWorkers := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { outbox.Run(workers) })
	wg.Go(func() { snoozes.Run(workers) })
	wg.Go(func() { csat.Run(workers) })
	wg.Go(func() { templates.run(workers, directory, log.With("component", "templates")) })
	wg.Go(func() { syncSenders(workers, directory, log.With("component", "senders")) })
	wg.Go(func() { upkeep.run(workers) })
	var stopOnce sync.Once
	stopBackground := func() {
		stopOnce.Do(func() {
			stopWorkers()
			wg.Wait()
			link.close()
		})
	}
	defer stopBackground()

	served := make(chan error, 1)
	go func() { served <- hs.Serve(web.LimitListener(ln, limits, log)) }()
	wg.Go(func() { makeDataPrivate(workers, cfg.DBPath, dataDir, upkeep, log) })
	if sandboxSigned {
		go sandboxCustomers(ctx, ownWebhook, sandboxSecret, link.fake, newSandboxSimulator(uint64(time.Now().UnixNano()), time.Now), log)
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests and replies under way; a second Ctrl-C or SIGTERM stops at once")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		log.Warn("shutdown did not finish cleanly", "err", err)
	}
	// The shutdown hook closes the live pages without being waited for;
	// this waits for the hub and the notifier to stop before the
	// database closes under them.
	srv.Close()
	// The outbox starts no send, and gives those under way
	// inbox.StopGrace to be answered: whatever it did not send goes out
	// after the restart, with the same idempotency key.
	stopBackground()
	if err := db.Close(); err != nil {
		return fmt.Errorf("closing the database: %w", err)
	}
	log.Info("stopped")
	return nil
}

// exitOnSecondSignal makes a second interrupt or SIGTERM, once the first
// has ended ctx, end the process at once with one line saying so,
// instead of waiting out the graceful stop (the requests and sends under
// way) or a start still migrating the database. Nothing is lost:
// SQLite's WAL drops a transaction cut off (a migration is one), and a
// reply whose send was cut off is sent again at the next start with the
// same idempotency key. The returned func stops watching.
func exitOnSecondSignal(ctx context.Context, log *slog.Logger) (stop func()) {
	sig := make(chan os.Signal, 1)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sig)
		select {
		case s := <-sig:
			log.Warn("stopping at once on a second signal: requests under way are cut off; replies being sent are sent again at the next start",
				"signal", s.String())
			os.Exit(1)
		case <-done:
		}
	}()
	return func() { close(done) }
}

// loadOrCreateKey reads the secret key in path, creating it (32 random
// bytes, readable by this user only) on first start. It signs the links
// Zavu fetches attachments from, so they stay valid across restarts.
func loadOrCreateKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	return b, nil
}

// subKey derives a key for one purpose from key, so that one secret file
// serves several purposes and no purpose learns another's key.
func subKey(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("switchboard " + purpose))
	return m.Sum(nil)
}

// loopbackAddr is addr as this process can reach it: a wildcard listen
// address becomes 127.0.0.1.
func loopbackAddr(addr net.Addr) string {
	if ta, ok := addr.(*net.TCPAddr); ok && (ta.IP == nil || ta.IP.IsUnspecified()) {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
	}
	return addr.String()
}

// listenError is a failure to listen on SWITCHBOARD_ADDR as one line;
// a port in use says what to do.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		port := addr
		if _, p, perr := net.SplitHostPort(addr); perr == nil {
			port = p
		}
		return fmt.Errorf("port %s is in use: another program listens on it, perhaps a Switchboard already running "+
			"(ss -ltnp 'sport = :%[1]s' names it); stop it, or set SWITCHBOARD_ADDR to a free port (SWITCHBOARD_ADDR=%s now)", port, addr)
	}
	return fmt.Errorf("SWITCHBOARD_ADDR=%s: %w", addr, err)
}

// dbError is a failure of the database SWITCHBOARD_DB names, as one line
// naming it: a driver's error may spread over lines (PostgreSQL's gives
// each address it tried a line of its own), which become one, each said
// once.
func dbError(dsn string, err error) error {
	var parts []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(parts, l) {
			parts = append(parts, l)
		}
	}
	msg := ""
	for i, p := range parts {
		switch {
		case i == 0:
		case strings.HasSuffix(parts[i-1], ":"):
			msg += " "
		default:
			msg += "; "
		}
		msg += p
	}
	return fmt.Errorf("SWITCHBOARD_DB=%s: %s", store.RedactDSN(dsn), msg)
}

// openStore opens the configured database for a one-off command.
func (e env) openStore() (*store.DB, error) {
	cfg, err := e.config()
	if err != nil {
		return nil, err
	}
	if err := refuseEmptied(cfg.DBPath); err != nil {
		return nil, err
	}
	db, err := store.Open(cfg.DBPath, store.ForOneCommand())
	if err != nil {
		return nil, dbError(cfg.DBPath, err)
	}
	return db, nil
}

// refuseEmptied refuses a SQLite database file that is empty where a
// server has run, its files.key beside it: a file truncated or
// overwritten (a copy that failed, "> switchboard.db"). SQLite takes an
// empty file for a new database, and the server would start afresh, its
// sign-up page making the first visitor the admin. A first start that
// failed leaves an empty file but no files.key: that one is created.
func refuseEmptied(path string) error {
	if store.IsPostgresURL(path) {
		return nil
	}
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "files.key")); err != nil {
		return nil
	}
	return fmt.Errorf("SWITCHBOARD_DB=%s: the database file is empty, yet a server has run here (files.key is beside it): "+
		"it was truncated or overwritten; put the latest backup in its place with switchboard restore FILE, "+
		"or delete the empty file to start a new database", path)
}

// backup writes a consistent copy of the live database to FILE. It reads
// the database file directly: a running server goes on taking webhooks.
func (e env) backup(ctx context.Context, args []string) error {
	fs := e.newFlags("backup")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || strings.TrimSpace(fs.Arg(0)) == "" {
		return usageError("backup takes one argument, the file to write")
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	dest := fs.Arg(0)
	if store.IsPostgresURL(cfg.DBPath) {
		return postgresBackupError(cfg.DBPath, dest)
	}
	if _, err := os.Stat(cfg.DBPath); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("SWITCHBOARD_DB=%s: no database there to back up: set SWITCHBOARD_DB to the server's database "+
			"(the server's environment file has it), or start the server once to create it", cfg.DBPath)
	}
	// An operator names the folder: one mistyped is an error, not a new
	// folder holding the backup where no one looks for it.
	if dir := filepath.Dir(dest); dir != "" {
		if fi, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("backup to %s: there is no folder %s; create it first, or name a file in a folder that exists", dest, dir)
		} else if err == nil && !fi.IsDir() {
			return fmt.Errorf("backup to %s: %s is not a folder", dest, dir)
		}
	}
	if err := store.Backup(ctx, cfg.DBPath, dest); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backup written to %s\n", dest)
	return nil
}

// restore puts a backup in place of the database, which no server may be
// using; the replaced database is kept beside it.
func (e env) restore(ctx context.Context, args []string) error {
	fs := e.newFlags("restore")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || strings.TrimSpace(fs.Arg(0)) == "" {
		return usageError("restore takes one argument, the backup to restore")
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if store.IsPostgresURL(cfg.DBPath) {
		return postgresRestoreError(cfg.DBPath, fs.Arg(0))
	}
	// A server's lock: none may start while the file is replaced.
	release, err := store.LockServing(cfg.DBPath)
	if err != nil {
		// What is wrong with the backup is said first: the server is
		// not to be stopped for a restore that would fail.
		if cerr := store.CheckRestore(ctx, fs.Arg(0), cfg.DBPath); cerr != nil {
			return fmt.Errorf("restore %s: %w", fs.Arg(0), cerr)
		}
		return fmt.Errorf("restore refused: %w; stop it first (the backup %s passes the checks)", err, fs.Arg(0))
	}
	defer release()
	aside, err := store.Restore(ctx, fs.Arg(0), cfg.DBPath, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restored %s to %s\n", fs.Arg(0), cfg.DBPath)
	if aside != "" {
		fmt.Fprintf(e.stdout, "the database it replaced is kept at %s\n", aside)
	}
	return nil
}
