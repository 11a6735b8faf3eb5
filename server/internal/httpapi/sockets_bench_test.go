package httpapi_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"holler/server/internal/store"
	"holler/server/internal/testserver"
)

// BenchmarkIdleSockets opens idleSockets staff sockets that then say
// nothing and reports what each costs the server: heap (heap_B/socket),
// goroutine stacks (stack_B/socket) and resident memory (rss_B/socket). The clients run in a
// child process so their own memory and file descriptors are not counted.
// One iteration is the whole measurement:
//
//	go test -run '^$' -bench IdleSockets -benchtime 1x ./server/internal/httpapi/
func BenchmarkIdleSockets(b *testing.B) {
	const idleSockets = 10000
	s := testserver.Start(b, testserver.Options{Dialect: store.DialectSQLite, Configure: noRateLimit})
	token := s.AdminToken(b)
	for range b.N {
		heap0, stack0, rss0, g0 := memoryNow()
		child := exec.Command(os.Args[0], "-test.run=^TestIdleSocketClients$", "-test.bench=^$")
		child.Env = append(os.Environ(), "HOLLER_IDLE_URL="+s.URL, "HOLLER_IDLE_TOKEN="+token,
			"HOLLER_IDLE_N="+strconv.Itoa(idleSockets))
		child.Stderr = os.Stderr
		stdin, _ := child.StdinPipe()
		stdout, _ := child.StdoutPipe()
		if err := child.Start(); err != nil {
			b.Fatal(err)
		}
		out := bufio.NewReader(stdout)
		if line, err := out.ReadString('\n'); err != nil || line != "ready\n" {
			rest, _ := io.ReadAll(out)
			b.Fatalf("client process: %s%s %v", line, rest, err)
		}
		// Every socket's server side has settled once the goroutines (the
		// handshakes' and the replays') stop changing.
		for last, deadline := -1, time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
			g := runtime.NumGoroutine()
			if g == last || time.Now().After(deadline) {
				break
			}
			last = g
		}
		heap1, stack1, rss1, _ := memoryNow()
		b.ReportMetric(float64(heap1-heap0)/idleSockets, "heap_B/socket")
		b.ReportMetric(float64(stack1-stack0)/idleSockets, "stack_B/socket")
		b.ReportMetric(float64(rss1-rss0)/idleSockets, "rss_B/socket")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/idleSockets, "goroutines/socket")
		_ = stdin.Close()
		_ = child.Wait()
	}
}

// memoryNow returns, after a full collection, the bytes of heap and of
// goroutine stacks in use, the resident set size and the goroutine count.
func memoryNow() (heap, stack, rss int64, goroutines int) {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		if kb, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
			rss = n * 1024
		}
	}
	return int64(m.HeapInuse), int64(m.StackInuse), rss, runtime.NumGoroutine()
}

// TestIdleSocketClients is BenchmarkIdleSockets' client process: it opens
// the sockets with bare handshakes (no reader, no buffers), says "ready"
// and holds them until its stdin closes.
func TestIdleSocketClients(t *testing.T) {
	base, token := os.Getenv("HOLLER_IDLE_URL"), os.Getenv("HOLLER_IDLE_TOKEN")
	n, _ := strconv.Atoi(os.Getenv("HOLLER_IDLE_N"))
	if base == "" {
		t.Skip("the client half of BenchmarkIdleSockets")
	}
	addr := strings.TrimPrefix(base, "http://")
	conns := make([]net.Conn, 0, n)
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("socket %d: %v", i, err)
		}
		key := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("idle-sock-%06d", i)))
		fmt.Fprintf(c, "GET /api/v1/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Protocol: holler.v1, bearer.%s\r\n"+
			"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n", addr, key, token)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("socket %d: %v %v", i, resp, err)
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		_ = c.Close()
	}
}
