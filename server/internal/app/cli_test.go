package app_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"holler/server/internal/app"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// env builds a getenv from pairs, so a test never reads the real
// environment (a developer's HOLLER_* must not change the result).
func env(pairs ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

// run executes the CLI with nothing on stdin and returns stdout, stderr and
// the error.
func run(t *testing.T, getenv func(string) string, args ...string) (string, string, error) {
	t.Helper()
	return runStdin(t, getenv, "", args...)
}

// runStdin is run with stdin holding the given text.
func runStdin(t *testing.T, getenv func(string) string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := app.Run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// storeEnv points the CLI at a fresh database of dialect.
func storeEnv(t *testing.T, d string) func(string) string {
	o := storetest.Options(t, d)
	return env("HOLLER_DATA_DIR", o.DataDir, "HOLLER_DATABASE_URL", o.DatabaseURL)
}

// TestMigrateCLI: `migrate status` lists pending migrations on an empty
// database, `migrate up` applies them once, and status then shows them
// applied.
func TestMigrateCLI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		getenv := storeEnv(t, d)

		out, _, err := run(t, getenv, "migrate", "status")
		if err != nil {
			t.Fatalf("status: %v", err)
		}
		if l := lineOf(out, "0001_init.sql"); !strings.Contains(l, "pending") {
			t.Errorf("0001_init.sql on an empty database: %q, want pending\n%s", l, out)
		}

		out, _, err = run(t, getenv, "migrate", "up")
		if err != nil {
			t.Fatalf("up: %v", err)
		}
		if !strings.Contains(out, "applied") || !strings.Contains(out, "0001_init.sql") {
			t.Errorf("up output lacks the applied migration:\n%s", out)
		}

		out, _, err = run(t, getenv, "migrate", "up")
		if err != nil {
			t.Fatalf("second up: %v", err)
		}
		if !strings.Contains(out, "(0 applied now)") {
			t.Errorf("a second up applied something:\n%s", out)
		}

		out, _, err = run(t, getenv, "migrate", "status")
		if err != nil {
			t.Fatalf("status: %v", err)
		}
		if l := lineOf(out, "0001_init.sql"); !strings.Contains(l, "applied") {
			t.Errorf("0001_init.sql after up: %q\n%s", l, out)
		}
		if strings.Contains(out, "pending") {
			t.Errorf("pending migrations after up:\n%s", out)
		}
	})
}

// TestMigrateCLIUsage: a missing or unknown subcommand is an error, not a
// silent no-op.
func TestMigrateCLIUsage(t *testing.T) {
	getenv := storeEnv(t, store.DialectSQLite)
	for _, args := range [][]string{{"migrate"}, {"migrate", "down"}, {"user"}, {"frobnicate"}} {
		if _, _, err := run(t, getenv, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestUserCreateCLI: an operator can add staff from the shell; the new user
// can log in to a server on the same database; weak input is refused.
func TestUserCreateCLI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		opts := storetest.Options(t, d)
		getenv := env("HOLLER_DATA_DIR", opts.DataDir, "HOLLER_DATABASE_URL", opts.DatabaseURL)

		out, _, err := run(t, getenv, "user", "create", "--email", "a@b.co", "--password", "long enough pass", "--role", "agent")
		if err != nil {
			t.Fatalf("user create: %v", err)
		}
		if !strings.Contains(out, "created agent a@b.co") {
			t.Errorf("output %q", out)
		}

		cases := map[string][]string{
			"short password":  {"--email", "c@d.co", "--password", "short"},
			"duplicate email": {"--email", "a@b.co", "--password", "long enough pass"},
			"bad email":       {"--email", "nope", "--password", "long enough pass"},
			"bad role":        {"--email", "e@f.co", "--password", "long enough pass", "--role", "owner"},
		}
		for name, args := range cases {
			out, _, err := run(t, getenv, append([]string{"user", "create"}, args...)...)
			if err == nil {
				t.Errorf("%s: accepted (%q)", name, out)
			}
		}

		// The agent exists for real: it logs in on a server of that database.
		s := testserver.Start(t, testserver.Options{Store: &opts})
		if s.Login(t, "a@b.co", "long enough pass") == "" {
			t.Error("no access token for the CLI-created agent")
		}
	})
}

// TestHealthcheckCLI: the container HEALTHCHECK succeeds against a running
// server and fails when nothing listens on HOLLER_ADDR's port.
func TestHealthcheckCLI(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: store.DialectSQLite})
	if _, _, err := run(t, env("HOLLER_ADDR", s.Config.Addr), "healthcheck"); err != nil {
		t.Errorf("healthcheck against a running server: %v", err)
	}

	// A port nobody listens on: take a free one and release it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	if _, _, err := run(t, env("HOLLER_ADDR", dead), "healthcheck"); err == nil {
		t.Error("healthcheck succeeded with nothing listening")
	}
	if _, _, err := run(t, env("HOLLER_ADDR", "no-port"), "healthcheck"); err == nil {
		t.Error("healthcheck accepted an address without a port")
	}
}

// lineOf returns the first line of out containing s.
func lineOf(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// TestUserSetPasswordCLI: an operator sets a forgotten password from the
// shell, typed on stdin (never a flag). Through HTTP afterwards: the new
// password logs in, the old one does not, and the sessions the user had
// (access and refresh token) have ended. The API's password rules apply.
func TestUserSetPasswordCLI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		opts := storetest.Options(t, d)
		getenv := env("HOLLER_DATA_DIR", opts.DataDir, "HOLLER_DATABASE_URL", opts.DatabaseURL)
		s := testserver.Start(t, testserver.Options{Store: &opts})
		r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": s.Admin, "password": testserver.Password})
		if r.Status != http.StatusOK {
			t.Fatalf("login: %d %s", r.Status, r.Body)
		}
		var old struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		r.JSON(t, &old)

		refused := map[string]struct{ stdin, email string }{
			"short password": {"eleven char\n", s.Admin},
			"empty stdin":    {"", s.Admin},
			"blank line":     {"\n", s.Admin},
			"unknown user":   {"a brand new password\n", "nobody@example.com"},
			"no email":       {"a brand new password\n", ""},
		}
		for name, c := range refused {
			if out, _, err := runStdin(t, getenv, c.stdin, "user", "set-password", "--email", c.email); err == nil {
				t.Errorf("%s: accepted (%q)", name, out)
			}
		}
		if s.Do(t, "GET", "/api/v1/me", old.AccessToken, nil).Status != http.StatusOK {
			t.Fatal("a refused set-password ended the session")
		}

		// Mixed case and surrounding space in the address, a CRLF line end
		// (a Windows clipboard): still the admin, still this password.
		out, _, err := runStdin(t, getenv, "a brand new password\r\n", "user", "set-password", "--email", " "+strings.ToUpper(s.Admin))
		if err != nil {
			t.Fatalf("set-password: %v", err)
		}
		if !strings.Contains(out, "password set for "+s.Admin) {
			t.Errorf("output %q", out)
		}
		if r := s.Do(t, "GET", "/api/v1/me", old.AccessToken, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("old access token after set-password: %d, want 401", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": old.RefreshToken}); r.Status != http.StatusUnauthorized {
			t.Errorf("old refresh token after set-password: %d, want 401", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": s.Admin, "password": testserver.Password}); r.Status != http.StatusUnauthorized {
			t.Errorf("login with the old password: %d, want 401", r.Status)
		}
		if s.Login(t, s.Admin, "a brand new password") == "" {
			t.Error("no access token with the new password")
		}
	})
}

// TestRequireDatabaseURLRefusesEmbeddedStore: with
// HOLLER_REQUIRE_DATABASE_URL=1 and no database URL (a Secret that did not
// arrive), neither the server nor the database commands touch the embedded
// store: each fails, naming the missing variable, and no SQLite file appears.
func TestRequireDatabaseURLRefusesEmbeddedStore(t *testing.T) {
	data := t.TempDir()
	getenv := env("HOLLER_REQUIRE_DATABASE_URL", "1", "HOLLER_DATA_DIR", data, "HOLLER_ADDR", "127.0.0.1:0")
	// Cancelled: a command that wrongly went ahead stops at once instead of
	// serving until the test times out.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{
		{"serve"}, {},
		{"migrate", "up"}, {"migrate", "status"},
		{"user", "create", "--email", "a@b.co", "--password", "long enough pass"},
		{"user", "set-password", "--email", "a@b.co"},
	} {
		err := app.Run(ctx, args, getenv, strings.NewReader("long enough pass\n"), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "HOLLER_DATABASE_URL") {
			t.Errorf("%v: error %v, want a refusal naming HOLLER_DATABASE_URL", args, err)
		}
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("the data dir was written to: %v", entries)
	}
}
