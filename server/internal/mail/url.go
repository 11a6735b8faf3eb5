// Package mail is Holler's adapter to e-mail: it parses HOLLER_SMTP_URL,
// composes multipart messages from html/template and text templates, and
// sends them over SMTP. It holds no business rules: what to mail, to whom
// and when is the service's decision.
package mail

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TLS modes of an SMTP URL.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 587)
	TLSImplicit = "implicit" // TLS from the first byte (port 465)
	TLSNone     = "none"     // no TLS: only for a relay on the same host or network
)

// DefaultTimeout bounds dialling and each SMTP command, so a mail server
// that accepts connections but never answers holds a worker for seconds,
// not for the five minutes RFC 5321 suggests.
const DefaultTimeout = 20 * time.Second

// SMTPConfig is a parsed HOLLER_SMTP_URL.
type SMTPConfig struct {
	Host     string
	Port     string
	Username string
	Password string
	TLS      string
	Timeout  time.Duration
}

// Addr is host:port.
func (c SMTPConfig) Addr() string { return net.JoinHostPort(c.Host, c.Port) }

// ParseURL reads smtp://user:pass@host:port?tls=starttls|implicit|none&timeout=20s.
// Without tls= a loopback host gets none (a local relay or test server) and
// any other host starttls: credentials never cross a network in clear text
// unless the operator says so. Without a port: 465 for implicit TLS, else 587.
func ParseURL(s string) (SMTPConfig, error) {
	var c SMTPConfig
	u, err := url.Parse(s)
	if err != nil {
		return c, errors.New("not a URL like smtp://user:pass@host:587")
	}
	if u.Scheme != "smtp" {
		return c, fmt.Errorf("scheme %q: want smtp://", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return c, errors.New("no host: want smtp://user:pass@host:port")
	}
	if u.Path != "" && u.Path != "/" || u.Fragment != "" {
		return c, errors.New("a path or fragment means nothing here: want smtp://user:pass@host:port?tls=starttls")
	}
	c.Host, c.Port = u.Hostname(), u.Port()
	if !validHost(c.Host) {
		return c, fmt.Errorf("host %q is neither a host name nor an IP address", c.Host)
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" {
			return c, errors.New("a password without a user name")
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, fmt.Errorf("query: %w", err)
	}
	for k := range q {
		if k != "tls" && k != "timeout" {
			return c, fmt.Errorf("unknown parameter %q (known: tls, timeout)", k)
		}
	}
	c.TLS = strings.ToLower(q.Get("tls"))
	switch c.TLS {
	case "":
		c.TLS = TLSStartTLS
		if isLoopback(c.Host) {
			c.TLS = TLSNone
		}
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return c, fmt.Errorf("tls=%q: want starttls, implicit or none", c.TLS)
	}
	if c.Port == "" {
		c.Port = "587"
		if c.TLS == TLSImplicit {
			c.Port = "465"
		}
	}
	if n, err := strconv.Atoi(c.Port); err != nil || n < 1 || n > 65535 {
		return c, fmt.Errorf("port %q: want 1 to 65535", c.Port)
	}
	c.Timeout = DefaultTimeout
	if t := q.Get("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d < 100*time.Millisecond || d > 10*time.Minute {
			return c, fmt.Errorf("timeout=%q: want a duration between 100ms and 10m", t)
		}
		c.Timeout = d
	}
	return c, nil
}

// Redacted is the URL without its password, for logs.
func (c SMTPConfig) Redacted() string {
	u := url.URL{Scheme: "smtp", Host: c.Addr(), RawQuery: "tls=" + c.TLS}
	if c.Username != "" {
		u.User = url.UserPassword(c.Username, "xxxxx")
	}
	return u.String()
}

func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseFrom reads HOLLER_MAIL_FROM ("Shop Help <help@example.com>" or a bare
// address) and returns the address and its domain, where reply addresses
// (reply+TOKEN@domain) and Message-IDs live.
func ParseFrom(s string) (*mail.Address, string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, "", fmt.Errorf("%q is not an address like \"Shop Help <help@example.com>\"", s)
	}
	at := strings.LastIndexByte(a.Address, '@')
	domain := strings.ToLower(a.Address[at+1:])
	if at <= 0 || domain == "" || strings.ContainsAny(domain, "[]") {
		return nil, "", fmt.Errorf("%q has no domain", s)
	}
	return a, domain, nil
}
