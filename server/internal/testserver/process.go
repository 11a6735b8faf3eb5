package testserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// build is the server binary, compiled once per test binary: a test that
// starts processes (to kill them) pays for one build however many it starts.
var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Main runs a test package that starts server processes, then removes the
// binary it built: func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
	return code
}

// Binary returns the path of the server binary, building ./server on the
// first call.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "holler-testbin-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "holler")
		cmd := exec.Command("go", "build", "-o", build.path, "holler/server")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./server: %w\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// Process is a Holler server running as its own process, so a test can
// kill it (SIGKILL: no graceful stop) and start it again on the same
// address. Its embedded Server offers Do, Login and DialSocket.
type Process struct {
	*Server
	env    []string
	cmd    *exec.Cmd
	exited chan struct{}
}

// ProcessOptions configure a server process.
type ProcessOptions struct {
	DatabaseURL string // required: processes exist to share a database
	NATSURL     string // HOLLER_NATS_URL; empty: LISTEN/NOTIFY
	Env         []string
}

// StartProcess starts a server process on a free port with rate limits
// off and info logs (JSON), waits until it is ready and stops it
// gracefully when the test ends.
func StartProcess(t testing.TB, o ProcessOptions) *Process {
	t.Helper()
	addr := FreeAddr(t)
	p := &Process{Server: &Server{URL: "http://" + addr, Admin: "admin@example.com", Log: &LogBuffer{}}}
	// The test's own HOLLER_* settings (HOLLER_REQUIRE_POSTGRES and such)
	// must not configure the server.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOLLER_") {
			p.env = append(p.env, kv)
		}
	}
	p.env = append(p.env,
		"HOLLER_ADDR="+addr,
		"HOLLER_PUBLIC_URL=http://"+addr,
		"HOLLER_DATA_DIR="+t.TempDir(),
		"HOLLER_DATABASE_URL="+o.DatabaseURL,
		"HOLLER_ADMIN_EMAIL="+p.Admin,
		"HOLLER_ADMIN_PASSWORD="+Password,
		"HOLLER_RATE_LIMIT=off",
		"HOLLER_LOG_FORMAT=json",
		"HOLLER_LOG_LEVEL=info",
	)
	if o.NATSURL != "" {
		p.env = append(p.env, "HOLLER_NATS_URL="+o.NATSURL)
	}
	p.env = append(p.env, o.Env...)
	p.Start(t)
	t.Cleanup(func() {
		p.Stop(t)
		if t.Failed() {
			t.Logf("log of the server process at %s (last 8 KB):\n%s", p.URL, tail(p.Log.String(), 8<<10))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// Start starts the process (again, after Kill or Stop) and waits until
// /readyz answers 200.
func (p *Process) Start(t testing.TB) {
	t.Helper()
	p.cmd = exec.Command(Binary(t))
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = p.Log, p.Log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start server process: %v", err)
	}
	exited := make(chan struct{})
	p.exited = exited
	go func(cmd *exec.Cmd) { _ = cmd.Wait(); close(exited) }(p.cmd)
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get(p.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-exited:
			t.Fatalf("server process exited during start (%v):\n%s", p.cmd.ProcessState, p.Log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server process not ready within 60 s:\n%s", p.Log.String())
		}
	}
	if p.DemoKey == "" {
		p.findDemo(t)
	}
}

// findDemo learns the Demo site's key: only the first instance on a
// database creates it (and prints it), so ask the API.
func (p *Process) findDemo(t testing.TB) {
	t.Helper()
	r := p.Do(t, "GET", "/api/v1/sites", p.AdminToken(t), nil)
	var out struct {
		Sites []struct{ ID, Key, Name string } `json:"sites"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("list sites: %d %s", r.Status, r.Body)
	}
	for _, s := range out.Sites {
		if s.Name == "Demo" {
			p.DemoKey, p.DemoSite = s.Key, s.ID
			return
		}
	}
	t.Fatalf("no Demo site in %s", r.Body)
}

// Kill ends the process with SIGKILL (no graceful stop) and waits for it.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	p.signal(t, syscall.SIGKILL)
}

// Stop ends the process with SIGTERM, as an orchestrator does, and waits
// for its graceful stop (SIGKILL after 30 s).
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	p.signal(t, syscall.SIGTERM)
}

func (p *Process) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if p.cmd == nil {
		return
	}
	select {
	case <-p.exited:
		p.cmd = nil
		return
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("signal server process: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("server process did not stop within 30 s of %v; killing it", sig)
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
}
