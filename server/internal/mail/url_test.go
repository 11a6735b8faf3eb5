package mail_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"holler/server/internal/mail"
)

// TestParseURL: the contract's smtp://user:pass@host:port?tls=... form, the
// loopback default (none) and the network default (starttls), default ports
// and the timeout parameter; refusals name what is wrong.
func TestParseURL(t *testing.T) {
	good := map[string]mail.SMTPConfig{
		"smtp://u:p%40ss@mail.example.com:2525?tls=implicit": {Host: "mail.example.com", Port: "2525", Username: "u", Password: "p@ss", TLS: mail.TLSImplicit, Timeout: mail.DefaultTimeout},
		"smtp://mail.example.com":                            {Host: "mail.example.com", Port: "587", TLS: mail.TLSStartTLS, Timeout: mail.DefaultTimeout},
		"smtp://mail.example.com?tls=implicit":               {Host: "mail.example.com", Port: "465", TLS: mail.TLSImplicit, Timeout: mail.DefaultTimeout},
		"smtp://127.0.0.1:1025":                              {Host: "127.0.0.1", Port: "1025", TLS: mail.TLSNone, Timeout: mail.DefaultTimeout},
		"smtp://localhost:1025?timeout=2s":                   {Host: "localhost", Port: "1025", TLS: mail.TLSNone, Timeout: 2 * time.Second},
		"smtp://[::1]:25?tls=starttls":                       {Host: "::1", Port: "25", TLS: mail.TLSStartTLS, Timeout: mail.DefaultTimeout},
		"smtp://relay.internal:25?tls=NONE":                  {Host: "relay.internal", Port: "25", TLS: mail.TLSNone, Timeout: mail.DefaultTimeout},
	}
	for in, want := range good {
		got, err := mail.ParseURL(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", in, got, want)
		}
	}
	bad := map[string]string{
		"smtps://mail.example.com":            "scheme",
		"mail.example.com:25":                 "scheme",
		"smtp://":                             "host",
		"smtp://mail.example.com:0":           "port",
		"smtp://mail.example.com:x":           "URL",
		"smtp://mail.example.com?tls=ssl":     "tls",
		"smtp://mail.example.com?timeout=1ms": "timeout",
		"smtp://mail.example.com?verify=no":   "unknown parameter",
		"smtp://mail.example.com/path":        "path",
		"smtp://:secret@mail.example.com":     "user",
	}
	for in, want := range bad {
		if _, err := mail.ParseURL(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", in, err, want)
		}
	}
	cfg, _ := mail.ParseURL("smtp://user:hunter2@mail.example.com")
	if r := cfg.Redacted(); strings.Contains(r, "hunter2") || !strings.Contains(r, "user") {
		t.Errorf("Redacted() = %q", r)
	}
}

// FuzzParseURL: any input either parses to a usable configuration (a host,
// a numeric port, a known TLS mode, a sane timeout) that survives being
// written back out, or errors; it never panics.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"smtp://u:p@host:587?tls=starttls", "smtp://127.0.0.1:25", "smtp://[::1]:25?tls=none&timeout=1s",
		"smtp://host?tls=implicit", "smtp://%zz@host", "smtp://host:65536", "smtp://a b:25", "smtp:host", "smtp://h?tls=none&tls=implicit"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := mail.ParseURL(s)
		if err != nil {
			return
		}
		if c.Host == "" || c.Port == "" || c.Timeout < 100*time.Millisecond {
			t.Fatalf("%q parsed to an unusable %+v", s, c)
		}
		switch c.TLS {
		case mail.TLSStartTLS, mail.TLSImplicit, mail.TLSNone:
		default:
			t.Fatalf("%q: tls %q", s, c.TLS)
		}
		if c.Username == "" && c.Password != "" {
			t.Fatalf("%q: password without user", s)
		}
		if _, err := url.Parse(c.Redacted()); err != nil {
			t.Fatalf("%q: redacted form %q does not parse: %v", s, c.Redacted(), err)
		}
	})
}
