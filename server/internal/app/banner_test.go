package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"holler/server/internal/app"
	"holler/server/internal/testserver"
)

// served is one `holler serve` run through the CLI entry point.
type served struct {
	stdout, stderr testserver.LogBuffer
	addr           string
}

// serveCLI runs `holler serve` with vars until it logs that it listens
// (the banner is printed before that line), calls check, then stops the
// server and waits for a clean exit.
func serveCLI(t *testing.T, vars []string, check func(*served)) {
	t.Helper()
	vars = append(vars, "HOLLER_ADDR", "127.0.0.1:0", "HOLLER_LOG_FORMAT", "json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &served{}
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, []string{"serve"}, env(vars...), strings.NewReader(""), &s.stdout, &s.stderr)
	}()
	listening := regexp.MustCompile(`"msg":"holler listening","addr":"([^"]+)"`)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m := listening.FindStringSubmatch(s.stdout.String()); m != nil {
			s.addr = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\nstdout:\n%s\nstderr:\n%s", err, s.stdout.String(), s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner within 60 s\nstdout:\n%s\nstderr:\n%s", s.stdout.String(), s.stderr.String())
		}
	}
	check(s)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("serve did not stop within 30 s")
	}
}

// TestBannerOnStderrNeverEchoesEnvPassword: the first-run banner goes to stderr,
// so stdout stays a clean JSON log stream, and a password the operator set
// in HOLLER_ADMIN_PASSWORD is never echoed anywhere: the banner says where
// it came from instead.
func TestBannerOnStderrNeverEchoesEnvPassword(t *testing.T) {
	const secret = "operator chosen secret 42"
	serveCLI(t, []string{"HOLLER_DATA_DIR", t.TempDir(), "HOLLER_ADMIN_PASSWORD", secret}, func(s *served) {
		out, errOut := s.stdout.String(), s.stderr.String()
		if !strings.Contains(errOut, "Holler is running.") || !strings.Contains(errOut, "Login:      admin@localhost (password from HOLLER_ADMIN_PASSWORD)") {
			t.Errorf("stderr lacks the banner:\n%s", errOut)
		}
		if strings.Contains(out, "Holler is running") || strings.Contains(out, "Login:") {
			t.Errorf("the banner went to stdout:\n%s", out)
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if !json.Valid([]byte(line)) {
				t.Errorf("stdout line is not JSON: %q", line)
			}
		}
		if strings.Contains(out, secret) || strings.Contains(errOut, secret) {
			t.Error("the password from HOLLER_ADMIN_PASSWORD was echoed")
		}
		login(t, s.addr, "admin@localhost", secret, http.StatusOK)
	})
}

// TestBannerShowsRandomPasswordOnce: with no HOLLER_ADMIN_PASSWORD the
// generated password is printed (on stderr) on the first start, and it
// works; a restart does not print it again.
func TestBannerShowsRandomPasswordOnce(t *testing.T) {
	data := t.TempDir()
	var password string
	serveCLI(t, []string{"HOLLER_DATA_DIR", data}, func(s *served) {
		m := regexp.MustCompile(`Login:      admin@localhost / (\S+)\n\s+\(a random password, shown only this once\)`).FindStringSubmatch(s.stderr.String())
		if m == nil {
			t.Fatalf("stderr shows no random password:\n%s", s.stderr.String())
		}
		password = m[1]
		if strings.Contains(s.stdout.String(), password) {
			t.Error("the random password went to stdout (the log stream)")
		}
		login(t, s.addr, "admin@localhost", password, http.StatusOK)
	})
	serveCLI(t, []string{"HOLLER_DATA_DIR", data}, func(s *served) {
		if !strings.Contains(s.stderr.String(), "Login:      admin@localhost (password set on first start)") {
			t.Errorf("restart banner:\n%s", s.stderr.String())
		}
		if strings.Contains(s.stderr.String()+s.stdout.String(), password) {
			t.Error("the random password was shown again on restart")
		}
	})
}

func login(t *testing.T, addr, email, password string, want int) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := http.Post("http://"+addr+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Errorf("login %s: %d, want %d", email, resp.StatusCode, want)
	}
}
