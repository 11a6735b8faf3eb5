package bench

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// latency measures widget POST -> staff dashboard: sc.latDashboards
// sockets, submissions offered at sc.latRate, the time from sending each
// POST to each dashboard reading its conversation.created frame. /healthz
// is timed on the same server at the same time: the baseline is what one
// round trip costs on this machine under this load.
func (b *bench) latency(ctx context.Context) error {
	d, err := openDashboards(ctx, b.client, b.sc.latDashboards, b.sc.dialParallel)
	if err != nil {
		return err
	}
	defer d.close()
	n := int(b.sc.latRate * b.sc.latFor.Seconds())
	log := newSendLog("lat", n)
	t := newTracker(log)
	d.track(t)

	cpu := b.main.cpuStart()
	var health histogram
	hctx, stopHealth := context.WithCancel(ctx)
	var hwg sync.WaitGroup
	hwg.Add(1)
	go func() {
		defer hwg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-tick.C:
			}
			if took, err := b.client.timeGet(hctx, "/healthz"); err == nil {
				health.add(took)
			}
		}
	}()
	failed, ferr := offer(ctx, b.client, log, n, b.sc.latRate)
	t.wait(ctx, int64(n-int(failed))*int64(len(d.conns)), 10*time.Second)
	stopHealth()
	hwg.Wait()
	if t.lat.count() == 0 {
		return fmt.Errorf("no dashboard received a submission (%d failed: %v)", failed, ferr)
	}
	name := fmt.Sprintf("POST -> dashboard %%s (%d dashboards, %.0f/s)", len(d.conns), b.sc.latRate)
	p50, p99 := t.lat.quantile(0.50), t.lat.quantile(0.99)
	h50, h99 := health.quantile(0.50), health.quantile(0.99)
	b.add(Figure{ID: "latency_p50", Name: fmt.Sprintf(name, "p50"), Value: p50, Unit: "ms", Baseline: h50, BaselineLabel: "/healthz p50", Ratio: ratio(p50, h50)})
	f := Figure{ID: "latency_p99", Name: fmt.Sprintf(name, "p99"), Value: p99, Unit: "ms", Baseline: h99, BaselineLabel: "/healthz p99", Ratio: ratio(p99, h99),
		Target: "<= 5 ms", Met: b.target(p99 <= 5)}
	f.Note = joinNote(cpu.String(), deliveryNote(failed, ferr, t, int64(n-int(failed))*int64(len(d.conns)), d))
	b.add(f)
	return nil
}

// deliveryNote says what did not go as planned: failed submissions, frames
// that never arrived, sockets the server dropped.
func deliveryNote(failed int64, ferr error, t *tracker, want int64, d *dashboards) string {
	note := ""
	if failed > 0 {
		note = joinNote(note, fmt.Sprintf("%d submissions failed (first: %v)", failed, ferr))
	}
	if got := t.marked.Load(); got < want {
		note = joinNote(note, fmt.Sprintf("%d of %d deliveries never arrived", want-got, want))
	}
	if n := d.dropped.Load(); n > 0 {
		note = joinNote(note, fmt.Sprintf("the server dropped %d sockets", n))
	}
	return note
}

// fanout measures delivered websocket messages per second to
// sc.fanDashboards dashboards of one site with submissions offered at
// sc.fanRate (offered messages/s = rate x dashboards, the baseline), the
// p99 of their delivery, and then the p99 of a burst of sc.burst
// submissions sent at once.
func (b *bench) fanout(ctx context.Context) error {
	d, err := openDashboards(ctx, b.client, b.sc.fanDashboards, b.sc.dialParallel)
	if err != nil {
		return err
	}
	defer d.close()
	socks := int64(len(d.conns))
	n := int(b.sc.fanRate * b.sc.fanFor.Seconds())
	log := newSendLog("fan", n)
	t := newTracker(log)
	d.track(t)
	cpu := b.main.cpuStart()
	failed, ferr := offer(ctx, b.client, log, n, b.sc.fanRate)
	want := int64(n-int(failed)) * socks
	t.wait(ctx, want, 10*time.Second)
	cpuNote := cpu.String()
	// Delivery cannot be faster than the offer: the last submission leaves
	// at (n-1)/rate, so the span is at least the offer's n/rate.
	span := max(time.Duration(t.last.Load()).Seconds(), float64(n)/b.sc.fanRate)
	if t.marked.Load() == 0 {
		return fmt.Errorf("no dashboard received a submission (%d failed: %v)", failed, ferr)
	}
	delivered := float64(t.marked.Load()) / span
	offered := b.sc.fanRate * float64(socks)
	p99 := t.lat.quantile(0.99)
	b.add(Figure{ID: "fanout_rate", Name: fmt.Sprintf("delivered messages/s (%d dashboards)", socks), Value: delivered, Unit: "/s",
		Baseline: offered, BaselineLabel: "offered", Ratio: ratio(delivered, offered),
		Target: ">= 100,000/s", Met: b.target(delivered >= 100000),
		Note: joinNote(cpuNote, deliveryNote(failed, ferr, t, want, d))})
	b.add(Figure{ID: "fanout_p99", Name: fmt.Sprintf("  their delivery p99 (p50 %.1f ms)", t.lat.quantile(0.5)), Value: p99, Unit: "ms",
		Target: "<= 50 ms", Met: b.target(p99 <= 50)})

	blog := newSendLog("burst", b.sc.burst)
	bt := newTracker(blog)
	d.track(bt)
	bfailed, berr := offer(ctx, b.client, blog, b.sc.burst, 0)
	bwant := int64(b.sc.burst-int(bfailed)) * socks
	bt.wait(ctx, bwant, 10*time.Second)
	if bt.marked.Load() == 0 {
		return fmt.Errorf("no dashboard received the burst (%d failed: %v)", bfailed, berr)
	}
	bp99 := bt.lat.quantile(0.99)
	b.add(Figure{ID: "burst_p99", Name: fmt.Sprintf("burst of %d submissions, delivery p99 (p50 %.1f ms)", b.sc.burst, bt.lat.quantile(0.5)),
		Value: bp99, Unit: "ms", Target: "<= 50 ms", Met: b.target(bp99 <= 50),
		Note: deliveryNote(bfailed, berr, bt, bwant, d)})
	return nil
}
