package bench

import (
	"context"
	"fmt"
	"time"
)

// instances measures cross-instance delivery on PostgreSQL: a second
// server on the same database, submissions on the first, dashboards on
// both, so the same submissions give the cross-instance figure and its
// same-instance baseline. Over LISTEN/NOTIFY (the default), then over NATS
// when a NATS URL is given and this build's servers say they use it.
func (b *bench) instances(ctx context.Context) error {
	if b.storeKind != "postgres" {
		b.add(Figure{ID: "instances", Name: "cross-instance delivery", Unavailable: true, Note: "SQLite runs one instance; use --store postgres"})
		return nil
	}
	other, err := startServer(ctx, b.cfg)
	if err != nil {
		return err
	}
	err = b.crossInstance(ctx, b.main, other, "LISTEN/NOTIFY", "instances")
	other.stop()
	if err != nil {
		return err
	}
	if b.natsURL == "" {
		b.add(Figure{ID: "instances_nats_p99", Name: "cross-instance p99 (NATS)", Unavailable: true, Note: "no --nats-url or HOLLER_NATS_URL given"})
		return nil
	}
	cfg := b.cfg
	cfg.natsURL = b.natsURL
	a, err := startServer(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.stop()
	c, err := startServer(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.stop()
	if !waitFor(2*time.Second, func() bool { return a.usesNATS() && c.usesNATS() }) {
		b.add(Figure{ID: "instances_nats_p99", Name: "cross-instance p99 (NATS)", Unavailable: true,
			Note: "not available in this build: the servers did not say transport=nats with HOLLER_NATS_URL set"})
		return nil
	}
	return b.crossInstance(ctx, a, c, "NATS", "instances_nats")
}

func waitFor(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// crossInstance submits on a while dashboards on a and on b listen.
func (b *bench) crossInstance(ctx context.Context, a, other *server, transport, id string) error {
	ca, cb := b.client.forServer(a.url), b.client.forServer(other.url)
	const perSide = 5
	da, err := openDashboards(ctx, ca, perSide, perSide)
	if err != nil {
		return err
	}
	defer da.close()
	db, err := openDashboards(ctx, cb, perSide, perSide)
	if err != nil {
		return err
	}
	defer db.close()
	n := int(b.sc.instRate * b.sc.instFor.Seconds())
	log := newSendLog("inst", n)
	same, cross := newTracker(log), newTracker(log)
	da.track(same)
	db.track(cross)
	failed, ferr := offer(ctx, ca, log, n, b.sc.instRate)
	want := int64(n-int(failed)) * perSide
	cross.wait(ctx, want, 10*time.Second)
	same.wait(ctx, want, time.Second)
	if same.lat.count() == 0 {
		return fmt.Errorf("no submission reached a dashboard on the instance it was made on (%d failed: %v)", failed, ferr)
	}
	if cross.lat.count() == 0 {
		return fmt.Errorf("no submission on one instance reached a dashboard on the other over %s (%d failed: %v)", transport, failed, ferr)
	}
	p50, p99 := cross.lat.quantile(0.5), cross.lat.quantile(0.99)
	s50, s99 := same.lat.quantile(0.5), same.lat.quantile(0.99)
	b.add(Figure{ID: id + "_p50", Name: "cross-instance p50 (" + transport + ")", Value: p50, Unit: "ms",
		Baseline: s50, BaselineLabel: "same instance", Ratio: ratio(p50, s50)})
	b.add(Figure{ID: id + "_p99", Name: "cross-instance p99 (" + transport + ")", Value: p99, Unit: "ms",
		Baseline: s99, BaselineLabel: "same instance", Ratio: ratio(p99, s99),
		Target: "< 20 ms", Met: b.target(p99 < 20), Note: deliveryNote(failed, ferr, cross, want, db)})
	return nil
}
