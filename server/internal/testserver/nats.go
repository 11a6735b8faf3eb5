package testserver

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// DefaultNATSURL is the shared NATS server of developer machines and CI.
const DefaultNATSURL = "nats://127.0.0.1:4222"

// NATSURL returns the shared NATS server's URL (HOLLER_TEST_NATS_URL, by
// default DefaultNATSURL). The test skips when it does not answer, unless
// HOLLER_REQUIRE_NATS=1 (CI), where it fails instead. Tests on it stay
// apart because each runs on its own database, and the subject is per
// database.
func NATSURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("HOLLER_TEST_NATS_URL")
	if u == "" {
		u = DefaultNATSURL
	}
	parsed, err := url.Parse(u)
	if err == nil {
		var c net.Conn
		if c, err = net.DialTimeout("tcp", parsed.Host, 5*time.Second); err == nil {
			c.Close()
			return u
		}
	}
	missing(t, fmt.Sprintf("NATS at %s does not answer (%v); set HOLLER_TEST_NATS_URL", u, err))
	return ""
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("HOLLER_REQUIRE_NATS") == "1" {
		t.Fatalf("NATS is required (HOLLER_REQUIRE_NATS=1): %s", why)
	}
	t.Skipf("skipping NATS test: %s", why)
}

// NATSServer is a nats-server process of the test's own, on a free port,
// so the test can stop and restart it without touching the shared one.
type NATSServer struct {
	URL    string
	addr   string
	bin    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartNATS starts a nats-server (from PATH or /usr/sbin) for this test;
// it is killed when the test ends.
func StartNATS(t testing.TB) *NATSServer {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		bin = "/usr/sbin/nats-server"
		if _, err = os.Stat(bin); err != nil {
			missing(t, "no nats-server binary (apt-get install nats-server)")
		}
	}
	n := &NATSServer{addr: FreeAddr(t), bin: bin}
	n.URL = "nats://" + n.addr
	n.Start(t)
	t.Cleanup(func() { n.Kill(t) })
	return n
}

// Start starts the server (again) on its address and waits until it
// greets clients.
func (n *NATSServer) Start(t testing.TB) {
	t.Helper()
	host, port, _ := net.SplitHostPort(n.addr)
	n.cmd = exec.Command(n.bin, "-a", host, "-p", port)
	var out LogBuffer
	n.cmd.Stdout, n.cmd.Stderr = &out, &out
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start nats-server: %v", err)
	}
	exited := make(chan struct{})
	n.exited = exited
	go func(cmd *exec.Cmd) { _ = cmd.Wait(); close(exited) }(n.cmd)
	deadline := time.Now().Add(30 * time.Second)
	for !greets(n.addr) {
		select {
		case <-exited:
			t.Fatalf("nats-server exited during start:\n%s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server not answering within 30 s:\n%s", out.String())
		}
	}
}

// greets reports whether a NATS server at addr sends its INFO line.
func greets(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 4)
	_, err = c.Read(buf)
	return err == nil && strings.HasPrefix(string(buf), "INFO")
}

// Kill ends the server with SIGKILL and waits for it.
func (n *NATSServer) Kill(t testing.TB) {
	t.Helper()
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Kill()
	select {
	case <-n.exited:
	case <-time.After(30 * time.Second):
		t.Error("nats-server did not exit within 30 s of SIGKILL")
	}
	n.cmd = nil
}
