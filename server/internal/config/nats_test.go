package config_test

import (
	"io"
	"strings"
	"testing"

	"holler/server/internal/config"
)

// TestNATSURL: HOLLER_NATS_URL loads on PostgreSQL, is refused with a clear
// error on the embedded store (one instance only), and must be nats:// or
// tls:// URLs.
func TestNATSURL(t *testing.T) {
	pg := "postgres://holler@db/holler"
	c, err := config.Load(nil, env(map[string]string{"HOLLER_DATABASE_URL": pg,
		"HOLLER_NATS_URL": "nats://127.0.0.1:4222,nats://10.0.0.2:4222"}), io.Discard)
	if err != nil {
		t.Fatalf("valid NATS settings refused: %v", err)
	}
	if c.NATSURL != "nats://127.0.0.1:4222,nats://10.0.0.2:4222" {
		t.Errorf("NATSURL %q", c.NATSURL)
	}
	_, err = config.Load(nil, env(map[string]string{"HOLLER_NATS_URL": "nats://127.0.0.1:4222"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "HOLLER_NATS_URL needs HOLLER_DATABASE_URL") ||
		!strings.Contains(err.Error(), "one instance") {
		t.Errorf("NATS on SQLite: %v, want a refusal naming both variables", err)
	}
	for _, bad := range []string{"http://127.0.0.1:4222", "nats://", "127.0.0.1:4222", "nats://a:4222,", "http://user:s3cret@nats:4222"} {
		c := config.Default()
		c.DatabaseURL, c.NATSURL = pg, bad
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "HOLLER_NATS_URL") {
			t.Errorf("%q: %v, want an error naming HOLLER_NATS_URL", bad, err)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error shows the URL's password: %v", err)
		}
	}
}
