package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// serverConfig is what one child server is started with.
type serverConfig struct {
	exe         string // this binary
	databaseURL string // "" on SQLite
	dataDir     string
	natsURL     string
	adminEmail  string
	adminPass   string
}

// server is one `holler serve` child process measured from outside.
type server struct {
	cmd     *exec.Cmd
	url     string // http://127.0.0.1:PORT
	started time.Time
	// healthy and ready are the times from process start to the first
	// 200 of /healthz and of /readyz.
	healthy, ready time.Duration

	exited chan struct{}
	waited error

	mu      sync.Mutex
	tail    []string // the last warnings and errors the child logged
	natsOn  bool     // it said transport=nats at startup
	stderrB bytes.Buffer
}

// startServer starts a child with a free port and waits until /readyz
// answers 200.
func startServer(ctx context.Context, c serverConfig) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{url: "http://127.0.0.1:" + strconv.Itoa(port), exited: make(chan struct{})}
	env := []string{}
	for _, kv := range os.Environ() {
		// The bench's own HOLLER_* settings must not leak into a child
		// configured for another store.
		if !strings.HasPrefix(kv, "HOLLER_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"HOLLER_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"HOLLER_PUBLIC_URL="+s.url,
		"HOLLER_DATA_DIR="+c.dataDir,
		"HOLLER_RATE_LIMIT=off",
		"HOLLER_LOG_FORMAT=json",
		"HOLLER_ADMIN_EMAIL="+c.adminEmail,
		"HOLLER_ADMIN_PASSWORD="+c.adminPass,
	)
	if c.databaseURL != "" {
		env = append(env, "HOLLER_DATABASE_URL="+c.databaseURL)
	}
	if c.natsURL != "" {
		env = append(env, "HOLLER_NATS_URL="+c.natsURL)
	}
	s.cmd = exec.Command(c.exe, "serve")
	s.cmd.Env = env
	s.cmd.SysProcAttr = childAttr()
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.cmd.Stderr = &lockedWriter{mu: &s.mu, w: &s.stderrB}
	s.started = time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s serve: %w", c.exe, err)
	}
	logDone := make(chan struct{})
	go func() { defer close(logDone); s.readLog(stdout) }()
	go func() {
		<-logDone
		s.waited = s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx, 90*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// readLog drains the child's log (a full pipe would stall it), notes the
// transport it announces and keeps its last warnings and errors.
func (s *server) readLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		nats := bytes.Contains(line, []byte(`"transport":"nats"`)) || bytes.Contains(line, []byte("transport=nats"))
		bad := bytes.Contains(line, []byte(`"level":"ERROR"`)) || bytes.Contains(line, []byte(`"level":"WARN"`))
		if !nats && !bad {
			continue
		}
		s.mu.Lock()
		s.natsOn = s.natsOn || nats
		if bad {
			s.tail = append(s.tail, string(line))
			if len(s.tail) > 10 {
				s.tail = s.tail[1:]
			}
		}
		s.mu.Unlock()
	}
	// A line past the scanner's limit ends the scan; the pipe must still
	// be drained.
	_, _ = io.Copy(io.Discard, r)
}

func (s *server) usesNATS() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.natsOn
}

// problems is what the child complained about, for an error message.
func (s *server) problems() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := strings.Join(s.tail, "\n")
	if e := strings.TrimSpace(s.stderrB.String()); e != "" {
		out += "\n" + lastLines(e, 10)
	}
	return out
}

func lastLines(s string, n int) string {
	l := strings.Split(s, "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

func (s *server) waitReady(ctx context.Context, limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("the server exited before it was ready (%v):\n%s", s.waited, s.problems())
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server was not ready within %s:\n%s", limit, s.problems())
		}
		if s.healthy == 0 && get(client, s.url+"/healthz") == nil {
			s.healthy = time.Since(s.started)
		}
		if s.healthy != 0 && get(client, s.url+"/readyz") == nil {
			s.ready = time.Since(s.started)
			return nil
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func get(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return nil
}

// rssKB is the child's resident set size.
func (s *server) rssKB() (int64, error) {
	return procField("/proc/"+strconv.Itoa(s.cmd.Process.Pid)+"/status", "VmRSS")
}

// stop ends the child gracefully (SIGTERM), killing it if it lingers.
func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// procField reads a "Name:   123 kB" line of a /proc file, in kB.
func procField(path, name string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok || k != name {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			break
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, errors.New(path + ": no " + name)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w.Len() > 64<<10 {
		l.w.Reset() // keep the tail only
	}
	return l.w.Write(p)
}

// cpuSeconds is the user+system CPU time a process has used so far.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The fields after the command name, which may hold spaces, from
	// "state" (field 3) on; utime and stime are fields 14 and 15.
	_, rest, ok := bytes.Cut(b, []byte(") "))
	f := strings.Fields(string(rest))
	if !ok || len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / clockTicks
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuShare tells how busy the server and the bench itself were over a
// stretch of a figure: on a shared machine the bench's own load is part of
// what a reader must weigh.
type cpuShare struct {
	s           *server
	at          time.Time
	srv, client float64
}

func (s *server) cpuStart() cpuShare {
	return cpuShare{s: s, at: time.Now(), srv: cpuSeconds(s.cmd.Process.Pid), client: cpuSeconds(os.Getpid())}
}

func (c cpuShare) String() string {
	wall := time.Since(c.at).Seconds()
	srv := cpuSeconds(c.s.cmd.Process.Pid) - c.srv
	cl := cpuSeconds(os.Getpid()) - c.client
	return fmt.Sprintf("CPU over %.1f s: server %.0f%%, bench %.0f%% (of one core)", wall, 100*srv/wall, 100*cl/wall)
}
