package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sync/errgroup"
)

// sendLog is when each submission of a run left the bench, in ns since
// base (0: not sent yet). Trackers on several servers share one.
type sendLog struct {
	base time.Time
	tag  string
	sent []atomic.Int64
}

func newSendLog(tag string, n int) *sendLog {
	return &sendLog{base: time.Now(), tag: tag, sent: make([]atomic.Int64, n)}
}

func (l *sendLog) mark(seq int) { l.sent[seq].Store(max(1, int64(time.Since(l.base)))) }

// tracker times the frames one group of dashboards receives for a run.
type tracker struct {
	log    *sendLog
	prefix []byte
	lat    histogram
	frames atomic.Int64 // every frame read while tracking
	marked atomic.Int64 // frames of this run's submissions
	last   atomic.Int64 // ns since log.base of the latest marked frame
}

func newTracker(log *sendLog) *tracker {
	return &tracker{log: log, prefix: []byte("bench:" + log.tag + ":")}
}

func (t *tracker) frame(b []byte) {
	t.frames.Add(1)
	seq, ok := markedSeq(b, t.prefix)
	if !ok || seq < 0 || seq >= len(t.log.sent) {
		return
	}
	sent := t.log.sent[seq].Load()
	if sent == 0 {
		return
	}
	now := int64(time.Since(t.log.base))
	t.lat.add(time.Duration(now - sent))
	t.marked.Add(1)
	for {
		l := t.last.Load()
		if now <= l || t.last.CompareAndSwap(l, now) {
			return
		}
	}
}

// wait polls until want marked frames arrived, or nothing new arrived for
// quiet (three times that while none has arrived at all: a loaded server
// may still be working through the submissions), or ctx ends.
func (t *tracker) wait(ctx context.Context, want int64, quiet time.Duration) {
	lastN, lastChange := int64(-1), time.Now()
	for {
		n := t.marked.Load()
		if n >= want || ctx.Err() != nil {
			return
		}
		limit := quiet
		if n == 0 {
			limit = 3 * quiet
		}
		if n != lastN {
			lastN, lastChange = n, time.Now()
		} else if time.Since(lastChange) > limit {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// caughtUp waits until a submission on c reaches a new dashboard on c: a
// figure must not measure the backlog the previous one left behind.
func caughtUp(ctx context.Context, c *client, limit time.Duration) error {
	d, err := openDashboards(ctx, c, 1, 1)
	if err != nil {
		return err
	}
	defer d.close()
	log := newSendLog("ready", 1)
	t := newTracker(log)
	d.track(t)
	if _, err := offer(ctx, c, log, 1, 0); err != nil {
		return err
	}
	deadline := time.Now().Add(limit)
	for t.marked.Load() == 0 {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("a submission did not reach a dashboard within %s of being sent: the server is still busy with an earlier figure, or its delivery is stuck", limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// dashboards is a group of open staff sockets, each read by its own
// goroutine like a browser tab would.
type dashboards struct {
	conns   []*websocket.Conn
	cur     atomic.Pointer[tracker]
	closing atomic.Bool
	dropped atomic.Int64 // sockets the server closed on us
	wg      sync.WaitGroup
}

// openDashboards dials n staff sockets, parallel at a time.
func openDashboards(ctx context.Context, c *client, n, parallel int) (*dashboards, error) {
	d := &dashboards{conns: make([]*websocket.Conn, n)}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for i := range n {
		g.Go(func() error {
			conn, err := c.dial(gctx)
			if err != nil {
				return err
			}
			d.conns[i] = conn
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		d.close()
		return nil, err
	}
	for _, conn := range d.conns {
		d.wg.Add(1)
		go d.read(conn)
	}
	return d, nil
}

func (d *dashboards) read(conn *websocket.Conn) {
	defer d.wg.Done()
	buf := make([]byte, 0, 4096)
	for {
		_, r, err := conn.NextReader()
		if err != nil {
			if !d.closing.Load() {
				d.dropped.Add(1)
			}
			return
		}
		if buf, err = readAll(buf[:0], r); err != nil {
			continue
		}
		if t := d.cur.Load(); t != nil {
			t.frame(buf)
		}
	}
}

// readAll is io.ReadAll into a reused buffer.
func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

func (d *dashboards) track(t *tracker) { d.cur.Store(t) }

func (d *dashboards) close() {
	d.closing.Store(true)
	for _, c := range d.conns {
		if c != nil {
			c.Close()
		}
	}
	d.wg.Wait()
}

// offer submits n submissions through c at rate per second, open loop:
// each goes on its own goroutine at its planned time, so a slow answer
// never delays the next one (rate 0: all at once). It returns how many
// failed and the first failure.
func offer(ctx context.Context, c *client, log *sendLog, n int, rate float64) (int64, error) {
	var (
		failed atomic.Int64
		first  atomic.Value
		wg     sync.WaitGroup
	)
	start := time.Now()
	for seq := range n {
		if rate > 0 {
			at := start.Add(time.Duration(float64(seq) / rate * float64(time.Second)))
			if wait := time.Until(at); wait > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(wait):
				}
			}
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			log.mark(seq)
			if err := c.submit(ctx, log.tag, seq); err != nil {
				failed.Add(1)
				first.CompareAndSwap(nil, err)
			}
		}()
	}
	wg.Wait()
	err, _ := first.Load().(error)
	return failed.Load(), err
}
