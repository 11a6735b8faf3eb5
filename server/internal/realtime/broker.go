package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"holler/server/internal/model"
)

// Channel is the PostgreSQL NOTIFY channel instances share.
const Channel = "holler_events"

// Bus is how notices travel between instances (PostgreSQL LISTEN/NOTIFY);
// nil for a single instance on the embedded store.
type Bus interface {
	Notify(ctx context.Context, channel, payload string) error
	Listen(ctx context.Context, channel string, ready func(), fn func(payload string)) error
}

// Broker is the Publisher the service talks to. It dispatches to this
// instance's hub at once and, with a Bus, tells the other instances.
type Broker struct {
	hub    *Hub
	bus    Bus
	self   string
	logger *slog.Logger
}

// NewBroker builds a broker; instanceID tells this instance's own echoes apart.
func NewBroker(hub *Hub, bus Bus, instanceID string, logger *slog.Logger) *Broker {
	return &Broker{hub: hub, bus: bus, self: instanceID, logger: logger}
}

// Publish implements service.Publisher. Call it only after commit.
func (b *Broker) Publish(ctx context.Context, n model.Notice) {
	b.hub.Dispatch(n)
	if b.bus == nil {
		return
	}
	n.Origin = b.self
	raw, _ := json.Marshal(n)
	// A lost notification is repaired by the periodic resync in Run.
	if err := b.bus.Notify(context.WithoutCancel(ctx), Channel, string(raw)); err != nil {
		b.logger.Warn("notify other instances", "err", err)
	}
}

// Run listens for other instances' notices, announces staff presence and
// resyncs every feed regularly so a notice lost in transit delays an event
// by seconds but never loses it. It returns when ctx ends.
func (b *Broker) Run(ctx context.Context) {
	if b.bus != nil {
		go b.listen(ctx)
	}
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
			if b.bus != nil && (time.Since(lastPresence) >= presenceEvery || !subset(users, announced)) {
				lastPresence, announced = time.Now(), users
				if len(users) > 0 {
					raw, _ := json.Marshal(model.Notice{OnlineUsers: users, Origin: b.self})
					if err := b.bus.Notify(ctx, Channel, string(raw)); err != nil {
						b.logger.Warn("announce presence", "err", err)
					}
				}
			}
		}
	}
}

func (b *Broker) listen(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := b.bus.Listen(ctx, Channel, func() {
			backoff = 100 * time.Millisecond
			b.hub.Resync(ctx) // notices sent while we were not listening
		}, func(payload string) {
			var n model.Notice
			if json.Unmarshal([]byte(payload), &n) != nil || n.Origin == b.self {
				return
			}
			b.hub.Dispatch(n)
		})
		if ctx.Err() != nil {
			return
		}
		b.logger.Warn("listen for other instances; reconnecting", "err", err, "in", backoff)
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
