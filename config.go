package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"switchboard/store"
	"switchboard/web"
)

// Config is everything Switchboard reads from its environment, checked once
// at start-up.
type Config struct {
	Addr    string   // SWITCHBOARD_ADDR
	DBPath  string   // SWITCHBOARD_DB
	BaseURL *url.URL // SWITCHBOARD_BASE_URL
	// BaseURLFromAddr is true when SWITCHBOARD_BASE_URL is unset and the
	// base URL is the listen address's (see Listening).
	BaseURLFromAddr bool
	ZavuAPIKey      string     // ZAVU_API_KEY; empty means sandbox mode
	ZavuAPIURL      *url.URL   // ZAVU_API_URL
	WebhookSecrets  []string   // ZAVU_WEBHOOK_SECRET, comma-separated
	LogLevel        slog.Level // SWITCHBOARD_LOG
	// TrustedProxies are the reverse proxies whose forwarded headers
	// (X-Forwarded-For, X-Real-IP) are believed: SWITCHBOARD_TRUSTED_PROXIES,
	// comma-separated addresses or CIDR ranges, loopback when unset.
	TrustedProxies []netip.Prefix
	MetricsToken   string // SWITCHBOARD_METRICS_TOKEN; empty: no /metrics
	// ExternalCheckpoints leaves the WAL's checkpoints to Litestream:
	// SWITCHBOARD_CHECKPOINTS=external (default: switchboard).
	ExternalCheckpoints bool
}

// Sandbox reports whether Switchboard runs without a Zavu key, answering
// sends with its built-in fake Zavu.
func (c Config) Sandbox() bool { return c.ZavuAPIKey == "" }

// sandboxSecret signs the sandbox's own webhooks when no secret is
// configured. It is public, so it is never used with a real Zavu key.
const sandboxSecret = "whsec_sandbox_not_for_production"

// LoadConfig reads the configuration through getenv (os.Getenv in
// production). Each mistake is reported as one line naming the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	cfg := Config{
		Addr:       get("SWITCHBOARD_ADDR", ":8080"),
		DBPath:     get("SWITCHBOARD_DB", "./data/switchboard.db"),
		ZavuAPIKey: get("ZAVU_API_KEY", ""),
	}
	switch db := cfg.DBPath; {
	case store.IsPostgresURL(db):
	case strings.Contains(db, "://"):
		errs = append(errs, errors.New("SWITCHBOARD_DB: a URL other than postgres://; give a SQLite file's path or a postgres:// URL"))
	case pgKeywords(db):
		errs = append(errs, errors.New("SWITCHBOARD_DB: PostgreSQL settings as key=value; give them as a postgres:// URL, such as postgres://switchboard@db.internal/switchboard?sslmode=require"))
	}
	if fi, err := os.Stat(cfg.DBPath); err == nil && fi.IsDir() {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_DB=%s is a folder: name the database file, such as %s", cfg.DBPath,
			filepath.Join(cfg.DBPath, "switchboard.db")))
	}
	if _, port, err := net.SplitHostPort(cfg.Addr); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_ADDR=%q: want host:port, such as :8080 or 127.0.0.1:8080", cfg.Addr))
	} else if _, err := net.LookupPort("tcp", port); err != nil {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_ADDR=%q: %q is not a port: want a number from 0 to 65535, such as :8080", cfg.Addr, port))
	}
	var err error
	if v := get("SWITCHBOARD_BASE_URL", ""); v != "" {
		if cfg.BaseURL, err = parseHTTPURL(v); err != nil {
			errs = append(errs, fmt.Errorf("SWITCHBOARD_BASE_URL: %w", err))
		} else if cfg.BaseURL.User != nil {
			errs = append(errs, errors.New("SWITCHBOARD_BASE_URL: has a user name or password: give the public URL browsers and Zavu use, without them"))
		}
	} else {
		cfg.BaseURL, cfg.BaseURLFromAddr = addrURL(cfg.Addr), true
	}
	if cfg.ZavuAPIURL, err = parseHTTPURL(get("ZAVU_API_URL", "https://api.zavu.dev")); err != nil {
		errs = append(errs, fmt.Errorf("ZAVU_API_URL: %w", err))
	}
	if k := cfg.ZavuAPIKey; k != "" {
		rest, live := strings.CutPrefix(k, "zv_live_")
		if !live {
			rest, _ = strings.CutPrefix(k, "zv_test_")
		}
		if rest == k || rest == "" || strings.ContainsAny(rest, " \t\r\n") {
			errs = append(errs, errors.New("ZAVU_API_KEY: a Zavu key is zv_live_ or zv_test_ followed by the key itself, without spaces"))
		}
	}
	for _, s := range strings.Split(getenv("ZAVU_WEBHOOK_SECRET"), ",") {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case !strings.HasPrefix(s, "whsec_") || len(s) < len("whsec_")+8:
			errs = append(errs, errors.New("ZAVU_WEBHOOK_SECRET: each secret is the whsec_... string Zavu showed when the webhook was created"))
		default:
			cfg.WebhookSecrets = append(cfg.WebhookSecrets, s)
		}
	}
	if v := get("SWITCHBOARD_TRUSTED_PROXIES", ""); v == "" {
		cfg.TrustedProxies = web.DefaultTrustedProxies
	} else if cfg.TrustedProxies, err = parsePrefixes(v); err != nil {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_TRUSTED_PROXIES: %w", err))
	}
	if cfg.MetricsToken, err = metricsToken(getenv("SWITCHBOARD_METRICS_TOKEN")); err != nil {
		errs = append(errs, err)
	}
	switch v := get("SWITCHBOARD_CHECKPOINTS", "switchboard"); v {
	case "switchboard":
	case "external":
		cfg.ExternalCheckpoints = true
	default:
		errs = append(errs, fmt.Errorf("SWITCHBOARD_CHECKPOINTS=%q: want switchboard (the default) or external (Litestream runs them)", v))
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(get("SWITCHBOARD_LOG", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_LOG=%q: want debug, info, warn or error", getenv("SWITCHBOARD_LOG")))
	}
	return cfg, errors.Join(errs...)
}

// pgKeywords reports whether s is PostgreSQL's key=value connection
// string (host=db dbname=sb ...), which would otherwise be taken for a
// SQLite file's name, password and all.
func pgKeywords(s string) bool {
	known := false
	for _, f := range strings.Fields(s) {
		k, _, ok := strings.Cut(f, "=")
		if !ok {
			return false
		}
		switch k {
		case "host", "hostaddr", "port", "dbname", "user", "password", "sslmode":
			known = true
		}
	}
	return known
}

// addrURL is the URL a browser on this machine reaches the listen address
// addr at: a wildcard or empty host is localhost. An addr that is not
// host:port gives http://localhost:8080 (LoadConfig reports it).
func addrURL(addr string) *url.URL {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return &url.URL{Scheme: "http", Host: "localhost:8080"}
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}
}

// Listening returns the configuration once the server listens on addr:
// a base URL that follows SWITCHBOARD_ADDR takes the port actually bound,
// so that SWITCHBOARD_ADDR=:0 names the port the system chose.
func (c Config) Listening(addr net.Addr) Config {
	ta, ok := addr.(*net.TCPAddr)
	if !c.BaseURLFromAddr || !ok {
		return c
	}
	u := *c.BaseURL
	u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(ta.Port))
	c.BaseURL = &u
	return c
}

// parsePrefixes reads comma-separated CIDR ranges or single addresses.
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(f); err == nil && a.Zone() == "" {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		} else {
			return nil, fmt.Errorf("%q is not an address or a CIDR range such as 10.0.0.0/8 or 172.18.0.2", f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no address", s)
	}
	return out, nil
}

// parseHTTPURL reads a URL that paths are appended to ("/webhooks/zavu",
// "/v1/messages"): http(s), a host, and no query or fragment, which would
// end up in front of them.
func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, fmt.Errorf("%q is not an http(s) URL", s)
	case u.RawQuery != "" || u.ForceQuery:
		return nil, fmt.Errorf("%q has a query (?...): give the URL without it", u.Redacted())
	case u.Fragment != "" || strings.HasSuffix(s, "#"):
		return nil, fmt.Errorf("%q has a fragment (#...): give the URL without it", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// metricsToken checks SWITCHBOARD_METRICS_TOKEN: empty, or a secret long
// enough not to be guessed, such as the output of openssl rand -hex 32.
func metricsToken(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v != "" && (len(v) < 16 || strings.ContainsAny(v, " \t\r\n")) {
		return "", errors.New("SWITCHBOARD_METRICS_TOKEN: want a random secret of at least 16 characters without spaces, such as the output of openssl rand -hex 32")
	}
	return v, nil
}
