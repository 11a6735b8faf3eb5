package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// memory measures the server's resident memory per idle staff socket: its
// VmRSS before and after sc.idleSockets sockets (15,000, the target's
// count) open and settle. The bench holds the other end of each, so the
// count is capped by its own open-file limit (the server raises its own).
func (b *bench) memory(ctx context.Context) error {
	sockets, capped := b.sc.idleSockets, false
	if limit, err := raiseFileLimit(); err == nil && limit > 0 && int(limit) < sockets+1000 {
		sockets, capped = max(int(limit)-1000, 1), true
	}
	// A fresh process: one that served a login still holds the password
	// hash's memory, which the sockets' first GC would hand back and
	// hide. Sockets authenticate with the token only.
	b.main.stop()
	s, err := startServer(ctx, b.cfg)
	if err != nil {
		return err
	}
	b.main, b.client = s, b.client.forServer(s.url)
	// The start-up garbage goes back to the system in the first seconds;
	// the reading before waits for that to end.
	before, err := b.main.stableRSS(ctx, 15*time.Second)
	if err != nil {
		return err
	}
	goBefore, goErr := b.client.goMemory(ctx)
	d, err := openDashboards(ctx, b.client, sockets, b.sc.dialParallel)
	if err != nil {
		return err
	}
	defer d.close()
	after, err := b.main.stableRSS(ctx, 15*time.Second)
	if err != nil {
		return err
	}
	goAfter, err := b.client.goMemory(ctx)
	goErr = errors.Join(goErr, err)
	n := len(d.conns)
	per := float64(after-before) / float64(n)
	f := Figure{ID: "memory", Name: fmt.Sprintf("memory per idle socket (%d open)", n), Value: per, Unit: "KB",
		Target: "<= 6 KB", Met: b.target(per <= 6),
		Note: fmt.Sprintf("server RSS %d MB -> %d MB", before/1024, after/1024)}
	// The RSS before counts heap the start-up freed but the runtime kept;
	// sockets reuse it first, so once they cost little the RSS delta says
	// less than they take. The runtime's own counts do not have that blind
	// spot (they do count garbage not yet collected).
	if goErr == nil {
		f.Note = joinNote(f.Note, fmt.Sprintf("Go heap in use %+.1f KB, stacks %+.1f KB, goroutines %+.2f per socket",
			(goAfter.heap-goBefore.heap)/1024/float64(n), (goAfter.stack-goBefore.stack)/1024/float64(n),
			(goAfter.goroutines-goBefore.goroutines)/float64(n)))
	}
	if capped {
		f.Note = joinNote(f.Note, fmt.Sprintf("%d sockets, not %d: the bench's open-file limit is too low", sockets, b.sc.idleSockets))
	}
	if n := d.dropped.Load(); n > 0 {
		f.Note = joinNote(f.Note, fmt.Sprintf("the server dropped %d sockets", n))
	}
	b.add(f)
	return nil
}

// goMem is what the server's Go runtime reports on /metrics.
type goMem struct{ heap, stack, goroutines float64 }

func (c *client) goMemory(ctx context.Context) (goMem, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/metrics", nil)
	if err != nil {
		return goMem{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return goMem{}, err
	}
	defer resp.Body.Close()
	var m goMem
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		var into *float64
		switch name {
		case "go_memstats_heap_inuse_bytes":
			into = &m.heap
		case "go_memstats_stack_inuse_bytes":
			into = &m.stack
		case "go_goroutines":
			into = &m.goroutines
		}
		if !ok || into == nil {
			continue
		}
		if *into, err = strconv.ParseFloat(value, 64); err != nil {
			return goMem{}, fmt.Errorf("/metrics: %s: %w", name, err)
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return goMem{}, err
	}
	if found != 3 {
		return goMem{}, errors.New("/metrics: no Go memory figures")
	}
	return m, nil
}

// stableRSS reads the server's RSS every 100 ms until 3 s of readings in a
// row agree within 256 KB (or limit passes) and returns the last one. The
// runtime hands memory back in steps that can be a second or more apart.
func (s *server) stableRSS(ctx context.Context, limit time.Duration) (int64, error) {
	var window []int64
	deadline := time.Now().Add(limit)
	for {
		kb, err := s.rssKB()
		if err != nil {
			return 0, err
		}
		window = append(window, kb)
		if len(window) > 30 {
			window = window[1:]
		}
		if len(window) == 30 && slices.Max(window)-slices.Min(window) <= 256 || time.Now().After(deadline) || ctx.Err() != nil {
			return kb, ctx.Err()
		}
		time.Sleep(100 * time.Millisecond)
	}
}
