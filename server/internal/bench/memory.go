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

// memory measures the server's resident memory per idle staff socket: the
// growth of its VmRSS from a first fifth of sc.idleSockets sockets (15,000,
// the target's count) to all of them, each reading once the RSS settles,
// over the sockets in between. Measuring from zero sockets would not do:
// the fresh process still holds heap its start-up freed, which the first
// sockets' garbage collections hand back to the system (or the sockets
// reuse), so the growth from there says less than the sockets take, and
// was even negative on quick runs. By the first fifth those collections
// are behind it. The bench holds the other end of each socket, so the
// count is capped by its own open-file limit (the server raises its own).
func (b *bench) memory(ctx context.Context) error {
	sockets, capped := b.sc.idleSockets, false
	if limit, err := raiseFileLimit(); err == nil && limit > 0 && int(limit) < sockets+1000 {
		sockets, capped = max(int(limit)-1000, 2), true
	}
	// A fresh process: one that served a login still holds the password
	// hash's memory, which the sockets' collections would hand back and
	// hide. Sockets authenticate with the token only.
	b.main.stop()
	s, err := startServer(ctx, b.cfg)
	if err != nil {
		return err
	}
	b.main, b.client = s, b.client.forServer(s.url)
	first, err := openDashboards(ctx, b.client, sockets/5, b.sc.dialParallel)
	if err != nil {
		return err
	}
	defer first.close()
	before, err := b.settledRSS(ctx)
	if err != nil {
		return err
	}
	goBefore, goErr := b.client.goMemory(ctx)
	rest, err := openDashboards(ctx, b.client, sockets-len(first.conns), b.sc.dialParallel)
	if err != nil {
		return err
	}
	defer rest.close()
	after, err := b.settledRSS(ctx)
	if err != nil {
		return err
	}
	goAfter, err := b.client.goMemory(ctx)
	goErr = errors.Join(goErr, err)
	n := len(rest.conns)
	per := float64(after-before) / float64(n)
	f := Figure{ID: "memory", Name: fmt.Sprintf("memory per idle socket (%d open)", sockets), Value: per, Unit: "KB",
		Target: "<= 6 KB", Met: b.target(per <= 6),
		Note: fmt.Sprintf("server RSS %d MB at %d sockets -> %d MB at %d", before/1024, len(first.conns), after/1024, sockets)}
	// The runtime's own view of the same sockets: heap in use counts
	// garbage not collected yet, so it moves with the collector's timing.
	if goErr == nil {
		f.Note = joinNote(f.Note, fmt.Sprintf("Go heap in use %+.1f KB, stacks %+.1f KB, goroutines %+.2f per socket",
			(goAfter.heap-goBefore.heap)/1024/float64(n), (goAfter.stack-goBefore.stack)/1024/float64(n),
			(goAfter.goroutines-goBefore.goroutines)/float64(n)))
	}
	if capped {
		f.Note = joinNote(f.Note, fmt.Sprintf("%d sockets, not %d: the bench's open-file limit is too low", sockets, b.sc.idleSockets))
	}
	if n := first.dropped.Load() + rest.dropped.Load(); n > 0 {
		f.Note = joinNote(f.Note, fmt.Sprintf("the server dropped %d sockets", n))
	}
	b.add(f)
	return nil
}

// settledRSS reads the server's RSS once it has run two garbage
// collections and the RSS stopped moving. Left alone, an idle server can
// hold tens of MB of garbage or freed heap for minutes (its start-up's,
// the handshakes') and hand it back in the middle of a measurement: the
// figure came out negative. Scraping /metrics until two collections ran
// brings them on (each scrape makes garbage) without touching sockets.
func (b *bench) settledRSS(ctx context.Context) (int64, error) {
	m, err := b.client.goMemory(ctx)
	if err != nil {
		return 0, err
	}
	for start, deadline := m.gcs, time.Now().Add(30*time.Second); m.gcs < start+2 && time.Now().Before(deadline); {
		if m, err = b.client.goMemory(ctx); err != nil {
			return 0, err
		}
	}
	return b.main.stableRSS(ctx, 15*time.Second)
}

// goMem is what the server's Go runtime reports on /metrics.
type goMem struct{ heap, stack, goroutines, gcs float64 }

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
		case "go_gc_duration_seconds_count":
			into = &m.gcs
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
	if found != 4 {
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
