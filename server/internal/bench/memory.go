package bench

import (
	"context"
	"fmt"
	"slices"
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
	d, err := openDashboards(ctx, b.client, sockets, b.sc.dialParallel)
	if err != nil {
		return err
	}
	defer d.close()
	after, err := b.main.stableRSS(ctx, 15*time.Second)
	if err != nil {
		return err
	}
	n := len(d.conns)
	per := float64(after-before) / float64(n)
	f := Figure{ID: "memory", Name: fmt.Sprintf("memory per idle socket (%d open)", n), Value: per, Unit: "KB",
		Target: "<= 6 KB", Met: b.target(per <= 6),
		Note: fmt.Sprintf("server RSS %d MB -> %d MB", before/1024, after/1024)}
	if capped {
		f.Note = joinNote(f.Note, fmt.Sprintf("%d sockets, not %d: the bench's open-file limit is too low", sockets, b.sc.idleSockets))
	}
	if n := d.dropped.Load(); n > 0 {
		f.Note = joinNote(f.Note, fmt.Sprintf("the server dropped %d sockets", n))
	}
	b.add(f)
	return nil
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
