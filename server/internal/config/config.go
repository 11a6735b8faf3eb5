// Package config builds Holler's one Config: defaults, then HOLLER_*
// environment variables, then command-line flags; Validate checks the result.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"holler/server/internal/mail"
)

// Config is everything the server needs to start.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string
	// RequireDatabaseURL refuses the embedded store: deployments with several
	// replicas set it so a missing database Secret fails loudly instead of
	// each replica starting on its own private SQLite file.
	RequireDatabaseURL bool
	// MetricsAddr, when set, serves /metrics on its own listener (and not on
	// Addr), so the public port never exposes it.
	MetricsAddr    string
	PublicURL      string
	AdminEmail     string
	AdminPassword  string
	RateLimit      bool
	TrustedProxies []netip.Prefix
	// Mail (issue 11). SMTPURL empty: mail is queued but not sent.
	SMTPURL       string // smtp://user:pass@host:port?tls=starttls|implicit|none
	MailFrom      string // "Shop Help <help@example.com>"; reply+TOKEN@ its domain
	SMTPListen    string // inbound SMTP listener for customer replies, e.g. ":2525"
	InboundSecret string // bearer secret of POST /api/v1/inbound/email
	// NATSURL carries the realtime notices between instances over NATS
	// instead of PostgreSQL LISTEN/NOTIFY (PostgreSQL only).
	NATSURL       string
	LogFormat     string // "auto", "text" or "json"
	LogLevel      string
	ShutdownGrace time.Duration

	// Clock, when set, is the server's clock instead of the system's. It is
	// for tests (SLA due times hours away), never read from the environment.
	Clock func() time.Time
}

// Default returns the configuration of a fresh clone with nothing set.
func Default() Config {
	return Config{
		Addr:          ":8080",
		DataDir:       "./data",
		PublicURL:     "http://localhost:8080",
		AdminEmail:    "admin@localhost",
		RateLimit:     true,
		LogFormat:     "auto",
		LogLevel:      "info",
		ShutdownGrace: 10 * time.Second,
	}
}

// Load applies env (a HOLLER_* lookup) and then flags from args on top of
// the defaults. args excludes the program name and any subcommand.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := Default()
	if err := c.storeEnv(getenv); err != nil {
		return c, err
	}
	if v := getenv("HOLLER_ADDR"); v != "" {
		c.Addr = v
	}
	c.MetricsAddr = getenv("HOLLER_METRICS_ADDR")
	if v := getenv("HOLLER_PUBLIC_URL"); v != "" {
		c.PublicURL = v
	}
	if v := getenv("HOLLER_ADMIN_EMAIL"); v != "" {
		c.AdminEmail = v
	}
	c.AdminPassword = getenv("HOLLER_ADMIN_PASSWORD")
	if v := strings.ToLower(getenv("HOLLER_RATE_LIMIT")); v == "off" || v == "false" || v == "0" {
		c.RateLimit = false
	}
	c.SMTPURL = getenv("HOLLER_SMTP_URL")
	c.MailFrom = getenv("HOLLER_MAIL_FROM")
	c.SMTPListen = getenv("HOLLER_SMTP_LISTEN")
	c.InboundSecret = getenv("HOLLER_INBOUND_SECRET")
	c.NATSURL = getenv("HOLLER_NATS_URL")
	if v := getenv("HOLLER_LOG_FORMAT"); v != "" {
		c.LogFormat = v
	}
	if v := getenv("HOLLER_LOG_LEVEL"); v != "" {
		c.LogLevel = v
	}
	proxies := getenv("HOLLER_TRUSTED_PROXIES")

	fs := flag.NewFlagSet("holler", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (HOLLER_ADDR)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "serve /metrics on this address instead of addr (HOLLER_METRICS_ADDR)")
	c.storeFlags(fs)
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "URL people reach the server at (HOLLER_PUBLIC_URL)")
	fs.StringVar(&proxies, "trusted-proxies", proxies, "comma-separated CIDRs whose X-Forwarded-For is believed (HOLLER_TRUSTED_PROXIES)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "auto, text or json (HOLLER_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (HOLLER_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.TrustedProxies, err = ParsePrefixes(proxies); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// LoadStore is Load for the subcommands that only open the database
// (migrate, user): the store's variables, its flags registered on fs next to
// the subcommand's own, and the same store checks as Validate. The
// remaining arguments are fs.Args().
func LoadStore(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	c := Default()
	if err := c.storeEnv(getenv); err != nil {
		return c, err
	}
	c.storeFlags(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, c.validateStore()
}

func (c *Config) storeEnv(getenv func(string) string) error {
	if v := getenv("HOLLER_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	c.DatabaseURL = getenv("HOLLER_DATABASE_URL")
	if v := getenv("HOLLER_REQUIRE_DATABASE_URL"); v != "" {
		// A value we cannot read is an error, not "off": this switch exists
		// to stop a misconfigured deployment, so it must not fail open.
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("HOLLER_REQUIRE_DATABASE_URL=%q: want 1 or 0", v)
		}
		c.RequireDatabaseURL = b
	}
	return nil
}

func (c *Config) storeFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory of the embedded store (HOLLER_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "postgres:// URL; empty means embedded SQLite (HOLLER_DATABASE_URL)")
}

// ParsePrefixes reads a comma-separated list of CIDRs or bare addresses.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("trusted proxies: %q: %w", part, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("trusted proxies: %q: %w", part, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Validate reports the first problem that would stop the server working.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("addr must not be empty"))
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("public url %q must be an absolute http(s) URL", c.PublicURL))
	}
	if err := c.validateStore(); err != nil {
		errs = append(errs, err)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("metrics addr %q: %w", c.MetricsAddr, err))
		} else if c.MetricsAddr == c.Addr {
			errs = append(errs, fmt.Errorf("metrics addr %q must differ from addr", c.MetricsAddr))
		}
	}
	switch c.LogFormat {
	case "auto", "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log format %q: want auto, text or json", c.LogFormat))
	}
	if c.SMTPURL != "" {
		if _, err := mail.ParseURL(c.SMTPURL); err != nil {
			errs = append(errs, fmt.Errorf("HOLLER_SMTP_URL: %w", err))
		}
		if c.MailFrom == "" {
			errs = append(errs, errors.New("HOLLER_MAIL_FROM must be set with HOLLER_SMTP_URL (e.g. \"Shop Help <help@example.com>\")"))
		}
	}
	if c.MailFrom != "" {
		if _, _, err := mail.ParseFrom(c.MailFrom); err != nil {
			errs = append(errs, fmt.Errorf("HOLLER_MAIL_FROM: %w", err))
		}
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 12 {
		errs = append(errs, errors.New("admin password must be at least 12 characters"))
	}
	errs = append(errs, c.validateInbound()...)
	if err := c.validateNATS(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// minInboundSecret keeps the webhook's shared secret out of guessing range.
const minInboundSecret = 16

// validateInbound checks the ways customers' email replies come in: both
// need HOLLER_MAIL_FROM, whose domain the reply addresses are at.
func (c Config) validateInbound() []error {
	var errs []error
	if c.SMTPListen != "" {
		if _, _, err := net.SplitHostPort(c.SMTPListen); err != nil {
			errs = append(errs, fmt.Errorf("HOLLER_SMTP_LISTEN %q: %w", c.SMTPListen, err))
		} else if c.SMTPListen == c.Addr || c.SMTPListen == c.MetricsAddr {
			errs = append(errs, fmt.Errorf("HOLLER_SMTP_LISTEN %q must differ from the HTTP addresses", c.SMTPListen))
		}
		if c.MailFrom == "" {
			errs = append(errs, errors.New("HOLLER_SMTP_LISTEN needs HOLLER_MAIL_FROM: replies are accepted at reply+...@ its domain"))
		}
	}
	if c.InboundSecret != "" {
		if len(c.InboundSecret) < minInboundSecret {
			errs = append(errs, fmt.Errorf("HOLLER_INBOUND_SECRET must be at least %d characters", minInboundSecret))
		}
		if c.MailFrom == "" {
			errs = append(errs, errors.New("HOLLER_INBOUND_SECRET needs HOLLER_MAIL_FROM: replies are accepted at reply+...@ its domain"))
		}
	}
	return errs
}

// validateNATS: NATS only links instances that share a PostgreSQL
// database; the embedded store serves one instance, so NATS there is a
// mistake worth stopping for (a second instance would see its own data).
func (c Config) validateNATS() error {
	if c.NATSURL == "" {
		return nil
	}
	if c.DatabaseURL == "" {
		return errors.New("HOLLER_NATS_URL needs HOLLER_DATABASE_URL: the embedded SQLite store serves one instance only, " +
			"so there are no other instances to notify")
	}
	for i, part := range strings.Split(c.NATSURL, ",") {
		u, err := url.Parse(strings.TrimSpace(part))
		if err != nil || u.Host == "" || (u.Scheme != "nats" && u.Scheme != "tls") {
			// The URL may carry a password: name its position, not its text.
			return fmt.Errorf("HOLLER_NATS_URL (server %d): want nats://host:port (or tls://), comma-separated for several servers", i+1)
		}
	}
	return nil
}

// ReplyDomain is the lower-cased domain of MailFrom, where customers'
// reply addresses (reply+TOKEN@domain) live; "" when MailFrom is not an
// address.
func (c Config) ReplyDomain() string {
	_, domain, err := mail.ParseFrom(c.MailFrom)
	if err != nil {
		return ""
	}
	return domain
}

// validateStore checks the choice of database, for the server and the
// subcommands alike.
func (c Config) validateStore() error {
	var errs []error
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("database url must start with postgres://"))
	}
	if c.DatabaseURL == "" && c.RequireDatabaseURL {
		errs = append(errs, errors.New("HOLLER_REQUIRE_DATABASE_URL is set but HOLLER_DATABASE_URL is empty: "+
			"refusing to start on the embedded SQLite store (is the database Secret missing?)"))
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("data dir must not be empty with the embedded store"))
	}
	return errors.Join(errs...)
}

// PublicOrigin is the scheme://host[:port] of PublicURL, the only Origin a
// staff socket is accepted from.
func (c Config) PublicOrigin() string {
	u, err := url.Parse(c.PublicURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
