package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
)

// Config is everything Switchboard reads from its environment, checked once
// at start-up.
type Config struct {
	Addr           string     // SWITCHBOARD_ADDR
	DBPath         string     // SWITCHBOARD_DB
	BaseURL        *url.URL   // SWITCHBOARD_BASE_URL
	ZavuAPIKey     string     // ZAVU_API_KEY; empty means sandbox mode
	ZavuAPIURL     *url.URL   // ZAVU_API_URL
	WebhookSecrets []string   // ZAVU_WEBHOOK_SECRET, comma-separated
	LogLevel       slog.Level // SWITCHBOARD_LOG
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
	if _, port, err := net.SplitHostPort(cfg.Addr); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_ADDR=%q: want host:port, such as :8080 or 127.0.0.1:8080", cfg.Addr))
	}
	var err error
	if cfg.BaseURL, err = parseHTTPURL(get("SWITCHBOARD_BASE_URL", "http://localhost:8080")); err != nil {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_BASE_URL: %w", err))
	}
	if cfg.ZavuAPIURL, err = parseHTTPURL(get("ZAVU_API_URL", "https://api.zavu.dev")); err != nil {
		errs = append(errs, fmt.Errorf("ZAVU_API_URL: %w", err))
	}
	if k := cfg.ZavuAPIKey; k != "" && !strings.HasPrefix(k, "zv_live_") && !strings.HasPrefix(k, "zv_test_") {
		errs = append(errs, errors.New("ZAVU_API_KEY: a Zavu key starts with zv_live_ or zv_test_"))
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
	if err := cfg.LogLevel.UnmarshalText([]byte(get("SWITCHBOARD_LOG", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("SWITCHBOARD_LOG=%q: want debug, info, warn or error", getenv("SWITCHBOARD_LOG")))
	}
	return cfg, errors.Join(errs...)
}

func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", s)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}
