package bench

import (
	"context"
	"fmt"
	"time"
)

// memory measures the server's resident memory per idle staff socket: its
// VmRSS before and after sc.idleSockets sockets open and settle.
func (b *bench) memory(ctx context.Context) error {
	before, err := b.main.rssKB()
	if err != nil {
		return err
	}
	d, err := openDashboards(ctx, b.client, b.sc.idleSockets, b.sc.dialParallel)
	if err != nil {
		return err
	}
	defer d.close()
	// The handshakes' garbage and any per-socket start-up work settle
	// first; the reading is the lowest of a few, so a passing spike of the
	// runtime does not count against the sockets.
	time.Sleep(b.sc.settle)
	after := int64(-1)
	for range 5 {
		kb, err := b.main.rssKB()
		if err != nil {
			return err
		}
		if after < 0 || kb < after {
			after = kb
		}
		time.Sleep(200 * time.Millisecond)
	}
	n := len(d.conns)
	per := float64(after-before) / float64(n)
	f := Figure{Name: fmt.Sprintf("memory per idle socket (%d open)", n), Value: per, Unit: "KB",
		Target: "<= 6 KB", Met: b.target(per <= 6),
		Note: fmt.Sprintf("server RSS %d MB -> %d MB", before/1024, after/1024)}
	if n := d.dropped.Load(); n > 0 {
		f.Note = joinNote(f.Note, fmt.Sprintf("the server dropped %d sockets", n))
	}
	b.add(f)
	return nil
}
