package config_test

import (
	"flag"
	"io"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"holler/server/internal/config"
)

// env builds a getenv from a map, so the real environment never leaks in.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestDefaults: a fresh clone with nothing set runs on the embedded store
// on :8080, with rate limits on and no proxy trusted.
func TestDefaults(t *testing.T) {
	c, err := config.Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	want := config.Config{
		Addr: ":8080", DataDir: "./data", PublicURL: "http://localhost:8080",
		AdminEmail: "admin@localhost", RateLimit: true, LogFormat: "auto", LogLevel: "info",
		ShutdownGrace: 10 * time.Second,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults\n got %+v\nwant %+v", c, want)
	}
	if c.PublicOrigin() != "http://localhost:8080" {
		t.Errorf("PublicOrigin %q", c.PublicOrigin())
	}
}

// TestEnvOverrides: every documented HOLLER_* variable lands in its field,
// and a flag beats the environment.
func TestEnvOverrides(t *testing.T) {
	c, err := config.Load(nil, env(map[string]string{
		"HOLLER_ADDR":            "127.0.0.1:9000",
		"HOLLER_DATA_DIR":        "/var/lib/holler",
		"HOLLER_DATABASE_URL":    "postgres://u@db:5432/holler",
		"HOLLER_PUBLIC_URL":      "https://help.example.com/base/",
		"HOLLER_ADMIN_EMAIL":     "boss@example.com",
		"HOLLER_ADMIN_PASSWORD":  "a long admin password",
		"HOLLER_RATE_LIMIT":      "on",
		"HOLLER_TRUSTED_PROXIES": "10.0.0.0/8",
		"HOLLER_LOG_FORMAT":      "text",
		"HOLLER_LOG_LEVEL":       "debug",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"Addr":          {c.Addr, "127.0.0.1:9000"},
		"DataDir":       {c.DataDir, "/var/lib/holler"},
		"DatabaseURL":   {c.DatabaseURL, "postgres://u@db:5432/holler"},
		"PublicURL":     {c.PublicURL, "https://help.example.com/base/"},
		"PublicOrigin":  {c.PublicOrigin(), "https://help.example.com"},
		"AdminEmail":    {c.AdminEmail, "boss@example.com"},
		"AdminPassword": {c.AdminPassword, "a long admin password"},
		"LogFormat":     {c.LogFormat, "text"},
		"LogLevel":      {c.LogLevel, "debug"},
	}
	for field, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", field, v[0], v[1])
		}
	}
	if !c.RateLimit {
		t.Error("HOLLER_RATE_LIMIT=on turned the limits off")
	}
	if want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}; !reflect.DeepEqual(c.TrustedProxies, want) {
		t.Errorf("TrustedProxies %v, want %v", c.TrustedProxies, want)
	}

	c, err = config.Load([]string{"--addr", ":7000", "--trusted-proxies", "192.168.0.0/16"},
		env(map[string]string{"HOLLER_ADDR": ":9000", "HOLLER_TRUSTED_PROXIES": "10.0.0.0/8"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":7000" || len(c.TrustedProxies) != 1 || c.TrustedProxies[0].String() != "192.168.0.0/16" {
		t.Errorf("flags did not beat env: addr %q proxies %v", c.Addr, c.TrustedProxies)
	}
}

// TestRateLimitOff: load tests switch the anonymous limits off; the
// spellings an operator is likely to use all work, anything else keeps
// them on (failing safe).
func TestRateLimitOff(t *testing.T) {
	for v, want := range map[string]bool{"off": false, "OFF": false, "false": false, "0": false, "on": true, "": true, "yes": true} {
		c, err := config.Load(nil, env(map[string]string{"HOLLER_RATE_LIMIT": v}), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.RateLimit != want {
			t.Errorf("HOLLER_RATE_LIMIT=%q: RateLimit %v, want %v", v, c.RateLimit, want)
		}
	}
}

// TestTrustedProxies: CIDRs are normalised, bare addresses become single
// hosts (IPv4-mapped IPv6 unmapped, so they match IPv4 peers), blanks are
// skipped, and anything unparsable stops the server instead of silently
// trusting nothing (or everything).
func TestTrustedProxies(t *testing.T) {
	good := map[string][]string{
		"":                          nil,
		" , ":                       nil,
		"10.0.0.0/8":                {"10.0.0.0/8"},
		"10.1.2.3/8":                {"10.0.0.0/8"},
		"127.0.0.1":                 {"127.0.0.1/32"},
		"::1":                       {"::1/128"},
		"::ffff:192.0.2.1":          {"192.0.2.1/32"},
		" 10.0.0.0/8 , 172.16.0.1 ": {"10.0.0.0/8", "172.16.0.1/32"},
		"fd00::/8,192.168.0.0/16":   {"fd00::/8", "192.168.0.0/16"},
	}
	for in, want := range good {
		got, err := config.ParsePrefixes(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if !reflect.DeepEqual(s, want) {
			t.Errorf("%q: %v, want %v", in, s, want)
		}
	}
	for _, in := range []string{"nope", "10.0.0.0/33", "10.0.0.0/8,banana", "300.1.1.1", "10.0.0.0/", "example.com"} {
		if _, err := config.ParsePrefixes(in); err == nil {
			t.Errorf("%q: accepted", in)
		}
		if _, err := config.Load(nil, env(map[string]string{"HOLLER_TRUSTED_PROXIES": in}), io.Discard); err == nil {
			t.Errorf("Load with HOLLER_TRUSTED_PROXIES=%q: accepted", in)
		}
	}
}

// TestValidate: each problem that would stop the server working is
// reported, in words that name the setting.
func TestValidate(t *testing.T) {
	cases := map[string]struct {
		edit func(*config.Config)
		want string
	}{
		"relative public url":  {func(c *config.Config) { c.PublicURL = "/help" }, "public url"},
		"ftp public url":       {func(c *config.Config) { c.PublicURL = "ftp://example.com" }, "public url"},
		"public url sans host": {func(c *config.Config) { c.PublicURL = "https://" }, "public url"},
		"short admin password": {func(c *config.Config) { c.AdminPassword = "short" }, "admin password"},
		"mysql database url":   {func(c *config.Config) { c.DatabaseURL = "mysql://db/holler" }, "database url"},
		"no data dir":          {func(c *config.Config) { c.DataDir = "" }, "data dir"},
		"empty addr":           {func(c *config.Config) { c.Addr = "" }, "addr"},
		"bad log format":       {func(c *config.Config) { c.LogFormat = "xml" }, "log format"},
	}
	for name, tc := range cases {
		c := config.Default()
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, tc.want)
		}
	}

	// Fine as they are: PostgreSQL without a data dir, a 12-character password.
	c := config.Default()
	c.DataDir, c.DatabaseURL, c.AdminPassword = "", "postgresql://db/holler", "twelve chars"
	if err := c.Validate(); err != nil {
		t.Errorf("valid config refused: %v", err)
	}

	// Load surfaces Validate's errors.
	if _, err := config.Load(nil, env(map[string]string{"HOLLER_PUBLIC_URL": "not a url"}), io.Discard); err == nil {
		t.Error("Load accepted a bad public URL")
	}
	if _, err := config.Load([]string{"--no-such-flag"}, env(nil), io.Discard); err == nil {
		t.Error("Load accepted an unknown flag")
	}
}

// FuzzParsePrefixes: any operator input either parses to valid, masked
// prefixes or errors; it never panics.
func FuzzParsePrefixes(f *testing.F) {
	for _, s := range []string{"", "10.0.0.0/8", "::1", "1.2.3.4,5.6.7.8/24", "::ffff:1.2.3.4/104", "a,,b", "/", "1.2.3.4/", "[::1]", "fe80::1%eth0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := config.ParsePrefixes(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() {
				t.Errorf("%q gave %v (valid %v, masked %v)", s, p, p.IsValid(), p.Masked())
			}
		}
	})
}

// TestRequireDatabaseURL: a deployment that sets HOLLER_REQUIRE_DATABASE_URL
// (several replicas) refuses to start without HOLLER_DATABASE_URL, with an
// error that names both variables, for the server and the database
// subcommands alike; an unreadable value is an error, not "off".
func TestRequireDatabaseURL(t *testing.T) {
	for _, v := range []string{"1", "true", "TRUE"} {
		vars := map[string]string{"HOLLER_REQUIRE_DATABASE_URL": v}
		_, err := config.Load(nil, env(vars), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "HOLLER_REQUIRE_DATABASE_URL") || !strings.Contains(err.Error(), "HOLLER_DATABASE_URL is empty") {
			t.Errorf("HOLLER_REQUIRE_DATABASE_URL=%s without a database URL: error %v", v, err)
		}
		fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if _, err := config.LoadStore(fs, nil, env(vars)); err == nil {
			t.Errorf("LoadStore with HOLLER_REQUIRE_DATABASE_URL=%s and no database URL: accepted", v)
		}

		vars["HOLLER_DATABASE_URL"] = "postgres://db/holler"
		c, err := config.Load(nil, env(vars), io.Discard)
		if err != nil || !c.RequireDatabaseURL {
			t.Errorf("HOLLER_REQUIRE_DATABASE_URL=%s with a database URL: %v (require %v)", v, err, c.RequireDatabaseURL)
		}
		// The flag satisfies it as well as the variable.
		delete(vars, "HOLLER_DATABASE_URL")
		if _, err := config.Load([]string{"--database-url", "postgres://db/holler"}, env(vars), io.Discard); err != nil {
			t.Errorf("--database-url with HOLLER_REQUIRE_DATABASE_URL=%s: %v", v, err)
		}
	}
	for _, v := range []string{"", "0", "false"} {
		c, err := config.Load(nil, env(map[string]string{"HOLLER_REQUIRE_DATABASE_URL": v}), io.Discard)
		if err != nil || c.RequireDatabaseURL {
			t.Errorf("HOLLER_REQUIRE_DATABASE_URL=%q: %v (require %v), want the embedded store allowed", v, err, c.RequireDatabaseURL)
		}
	}
	for _, v := range []string{"yes", "on", "required"} {
		vars := map[string]string{"HOLLER_REQUIRE_DATABASE_URL": v, "HOLLER_DATABASE_URL": "postgres://db/holler"}
		if _, err := config.Load(nil, env(vars), io.Discard); err == nil {
			t.Errorf("HOLLER_REQUIRE_DATABASE_URL=%q: accepted an unreadable value", v)
		}
	}
}

// TestMetricsAddr: HOLLER_METRICS_ADDR (or --metrics-addr) names the
// separate metrics listener; unset it is empty (metrics on the main
// listener); an address without a port, or the main address itself, is
// refused.
func TestMetricsAddr(t *testing.T) {
	c, err := config.Load(nil, env(nil), io.Discard)
	if err != nil || c.MetricsAddr != "" {
		t.Fatalf("default metrics addr %q (%v), want empty", c.MetricsAddr, err)
	}
	c, err = config.Load(nil, env(map[string]string{"HOLLER_METRICS_ADDR": "127.0.0.1:9090"}), io.Discard)
	if err != nil || c.MetricsAddr != "127.0.0.1:9090" {
		t.Errorf("HOLLER_METRICS_ADDR: %q (%v)", c.MetricsAddr, err)
	}
	c, err = config.Load([]string{"--metrics-addr", ":9100"}, env(map[string]string{"HOLLER_METRICS_ADDR": ":9090"}), io.Discard)
	if err != nil || c.MetricsAddr != ":9100" {
		t.Errorf("--metrics-addr did not beat the environment: %q (%v)", c.MetricsAddr, err)
	}
	for _, bad := range []map[string]string{
		{"HOLLER_METRICS_ADDR": "localhost"},
		{"HOLLER_METRICS_ADDR": ":8080"},
		{"HOLLER_METRICS_ADDR": ":9000", "HOLLER_ADDR": ":9000"},
	} {
		if _, err := config.Load(nil, env(bad), io.Discard); err == nil || !strings.Contains(err.Error(), "metrics addr") {
			t.Errorf("%v: error %v, want one about the metrics addr", bad, err)
		}
	}
}

// TestValidateMail: HOLLER_SMTP_URL must parse and needs HOLLER_MAIL_FROM;
// HOLLER_MAIL_FROM must be an address with a domain; both unset is fine
// (mail stays queued); both set from the environment load.
func TestValidateMail(t *testing.T) {
	cases := map[string]struct {
		url, from, want string
	}{
		"http scheme":        {"http://mail.example.com", "h@example.com", "HOLLER_SMTP_URL"},
		"unknown tls":        {"smtp://mail.example.com?tls=maybe", "h@example.com", "tls"},
		"bad port":           {"smtp://mail.example.com:99999", "h@example.com", "port"},
		"no host":            {"smtp://:25", "h@example.com", "host"},
		"url without from":   {"smtp://mail.example.com", "", "HOLLER_MAIL_FROM"},
		"from without at":    {"", "Shop Help <help>", "HOLLER_MAIL_FROM"},
		"from not a mailbox": {"", "not an address", "HOLLER_MAIL_FROM"},
	}
	for name, tc := range cases {
		c := config.Default()
		c.SMTPURL, c.MailFrom = tc.url, tc.from
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, tc.want)
		}
	}
	c, err := config.Load(nil, env(map[string]string{"HOLLER_SMTP_URL": "smtp://u:p@mail.example.com:587?tls=starttls",
		"HOLLER_MAIL_FROM": "Shop Help <help@example.com>"}), io.Discard)
	if err != nil {
		t.Fatalf("valid mail settings refused: %v", err)
	}
	if c.SMTPURL == "" || c.MailFrom != "Shop Help <help@example.com>" {
		t.Errorf("mail settings not loaded: %+v", c)
	}
	if _, err := config.Load(nil, env(map[string]string{"HOLLER_SMTP_URL": "smtp://mail.example.com"}), io.Discard); err == nil {
		t.Error("Load accepted HOLLER_SMTP_URL without HOLLER_MAIL_FROM")
	}
}

// TestValidateInbound: the inbound mail settings (issue 11) are checked
// when set, each error naming its variable; unset, nothing is required.
func TestValidateInbound(t *testing.T) {
	const from = "Shop Help <help@Example.COM>"
	cases := map[string]struct {
		vars map[string]string
		want string
	}{
		"mail from not an address": {map[string]string{"HOLLER_MAIL_FROM": "Shop Help"}, "HOLLER_MAIL_FROM"},
		"listen without port":      {map[string]string{"HOLLER_MAIL_FROM": from, "HOLLER_SMTP_LISTEN": "2525"}, "HOLLER_SMTP_LISTEN"},
		"listen on the http addr":  {map[string]string{"HOLLER_MAIL_FROM": from, "HOLLER_SMTP_LISTEN": ":8080"}, "HOLLER_SMTP_LISTEN"},
		"listen without mail from": {map[string]string{"HOLLER_SMTP_LISTEN": ":2525"}, "HOLLER_MAIL_FROM"},
		"short secret":             {map[string]string{"HOLLER_MAIL_FROM": from, "HOLLER_INBOUND_SECRET": "short"}, "HOLLER_INBOUND_SECRET"},
		"secret without mail from": {map[string]string{"HOLLER_INBOUND_SECRET": "a-long-enough-secret"}, "HOLLER_MAIL_FROM"},
	}
	for name, tc := range cases {
		_, err := config.Load(nil, env(tc.vars), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %s", name, err, tc.want)
		}
	}
	c, err := config.Load(nil, env(map[string]string{"HOLLER_MAIL_FROM": from, "HOLLER_SMTP_LISTEN": ":2525",
		"HOLLER_INBOUND_SECRET": "a-long-enough-secret"}), io.Discard)
	if err != nil {
		t.Fatalf("valid inbound settings refused: %v", err)
	}
	if c.SMTPListen != ":2525" || c.InboundSecret != "a-long-enough-secret" || c.ReplyDomain() != "example.com" {
		t.Errorf("got listen %q secret %q reply domain %q", c.SMTPListen, c.InboundSecret, c.ReplyDomain())
	}
	if d := (config.Config{MailFrom: "help@shop.example"}).ReplyDomain(); d != "shop.example" {
		t.Errorf("bare address: reply domain %q", d)
	}
}
