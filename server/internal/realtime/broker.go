package realtime

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"holler/server/internal/model"
)

// maxPendingOther bounds the outbox's notices that are not seq notices
// (typing, rights changes, presence) while the transport is slow or down:
// beyond it they are dropped, which only costs a typing indicator or
// delays a rights change to the next periodic recheck.
const maxPendingOther = 4096

// Broker is the Publisher the service talks to. It dispatches to this
// instance's hub at once and tells the other instances through its
// Transport, from an outbox so Publish never waits on the network.
type Broker struct {
	hub    *Hub
	tr     Transport
	self   string
	logger *slog.Logger

	mu      sync.Mutex
	seqs    map[string]int64 // per site, the highest seq not yet sent
	other   []model.Notice
	dropped int
	wake    chan struct{}
}

// NewBroker builds a broker; instanceID tells this instance's own echoes
// apart. A nil transport is an in-process one.
func NewBroker(hub *Hub, tr Transport, instanceID string, logger *slog.Logger) *Broker {
	if tr == nil {
		tr = NewInProcess()
	}
	return &Broker{hub: hub, tr: tr, self: instanceID, logger: logger,
		seqs: map[string]int64{}, wake: make(chan struct{}, 1)}
}

// Publish implements service.Publisher. Call it only after commit.
func (b *Broker) Publish(_ context.Context, n model.Notice) {
	b.hub.Dispatch(n)
	b.enqueue(n)
}

// enqueue adds n to the outbox and wakes the sender. Seq notices coalesce:
// a site that advanced several times since the last flush is sent once,
// with its highest seq.
func (b *Broker) enqueue(n model.Notice) {
	b.mu.Lock()
	switch {
	case n.SiteID != "" && n.Seq > 0 && n.Ephemeral == nil && n.UserID == "":
		if n.Seq > b.seqs[n.SiteID] {
			b.seqs[n.SiteID] = n.Seq
		}
	case len(b.other) < maxPendingOther:
		b.other = append(b.other, n)
	default:
		b.dropped++
	}
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// take empties the outbox into one batch.
func (b *Broker) take() (Batch, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := Batch{Origin: b.self, Notices: b.other}
	for site, seq := range b.seqs {
		out.Notices = append(out.Notices, model.Notice{SiteID: site, Seq: seq})
	}
	clear(b.seqs)
	b.other = nil
	dropped := b.dropped
	b.dropped = 0
	return out, dropped
}

// sendLoop flushes the outbox whenever something is in it. Whatever is
// published while a flush is on the wire waits for the next one, so under
// load notices coalesce by themselves and an idle outbox adds no delay.
func (b *Broker) sendLoop(ctx context.Context) {
	failing := false
	flush := func(ctx context.Context) {
		batch, dropped := b.take()
		if dropped > 0 {
			b.logger.Warn("realtime outbox full; notices dropped", "count", dropped)
		}
		if len(batch.Notices) == 0 {
			return
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := b.tr.Send(sctx, batch)
		cancel()
		// Logged when the transport starts and stops failing, not on every
		// flush: while it is down each commit would log. The other
		// instances resync when it is back, so nothing is lost meanwhile.
		switch {
		case err != nil && !failing:
			failing = true
			b.logger.Warn("notify other instances", "transport", b.tr.Name(), "err", err)
		case err == nil && failing:
			failing = false
			b.logger.Info("notifying other instances again", "transport", b.tr.Name())
		}
	}
	for {
		select {
		case <-ctx.Done():
			// The last commits' notices still go out on a graceful stop.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			flush(fctx)
			cancel()
			return
		case <-b.wake:
			flush(ctx)
		}
	}
}

// Run sends the outbox, listens for other instances' notices, announces
// staff presence and resyncs every feed regularly so a notice lost in
// transit delays an event by seconds but never loses it. It returns when
// ctx ends.
func (b *Broker) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); b.sendLoop(ctx) }()
	go func() { defer wg.Done(); b.listen(ctx) }()
	defer wg.Wait()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	lastPresence, lastRecheck := time.Time{}, time.Now()
	var announced []string
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			b.hub.Resync(ctx)
			if time.Since(lastRecheck) >= 30*time.Second {
				lastRecheck = time.Now()
				b.hub.recheckAllStaff()
			}
			// Presence is repeated every presenceEvery and also sent at the
			// next tick after someone new opens a dashboard here, so other
			// instances' widgets show them online within seconds.
			users := b.hub.localStaff()
			if time.Since(lastPresence) >= presenceEvery || !subset(users, announced) {
				lastPresence, announced = time.Now(), users
				if len(users) > 0 {
					b.enqueue(model.Notice{OnlineUsers: users})
				}
			}
		}
	}
}

func (b *Broker) listen(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := b.tr.Listen(ctx, func() {
			backoff = 100 * time.Millisecond
			b.hub.Resync(ctx) // notices sent while we were not listening
		}, func(batch Batch) {
			if batch.Origin == b.self {
				return
			}
			for _, n := range batch.Notices {
				b.hub.Dispatch(n)
			}
		})
		if ctx.Err() != nil {
			return
		}
		b.logger.Warn("listen for other instances; reconnecting", "transport", b.tr.Name(), "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// subset reports whether every element of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}
