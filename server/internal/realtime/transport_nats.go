package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
)

// NATS is the transport over core NATS publish/subscribe
// (HOLLER_NATS_URL). Delivery is at most once, which is enough: the event
// rows are the source of truth and every (re)connect triggers a resync.
type NATS struct {
	nc      *nats.Conn
	subject string
	logger  *slog.Logger
	// (re)connected is signalled each time the connection is up again, so a
	// listener resyncs what it may have missed while it was down.
	connected chan struct{}
	closed    chan struct{}
}

// NATSSubject is the subject of one cluster: the instances that share a
// database. clusterID comes from that database, so instances of another
// database on the same NATS never see these notices.
func NATSSubject(clusterID string) string { return "holler." + clusterID + ".notices" }

// NewNATS connects to url (one or more comma-separated nats:// URLs). An
// unreachable server does not stop the start: the client keeps retrying,
// and events still arrive through the regular resync meanwhile.
func NewNATS(url, subject string, logger *slog.Logger) (*NATS, error) {
	t := &NATS{subject: subject, logger: logger,
		connected: make(chan struct{}, 1), closed: make(chan struct{})}
	up := func(nc *nats.Conn) {
		logger.Info("nats connected", "server", nc.ConnectedUrlRedacted())
		select {
		case t.connected <- struct{}{}:
		default:
		}
	}
	nc, err := nats.Connect(url,
		nats.Name("holler"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.PingInterval(10*time.Second),
		nats.ConnectHandler(up),
		nats.ReconnectHandler(up),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				logger.Warn("nats disconnected; reconnecting", "err", err)
			}
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(t.closed) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			logger.Warn("nats", "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("nats connect: %w", err)
	}
	t.nc = nc
	return t, nil
}

// Name implements Transport.
func (*NATS) Name() string { return "nats" }

// Send implements Transport. Publish only queues the message: the client
// flushes it at once in the background, or after a reconnect.
func (t *NATS) Send(_ context.Context, b Batch) error {
	max := int(t.nc.MaxPayload())
	if max <= 0 {
		max = 1 << 20
	}
	payloads, dropped := encodeBatch(b, max)
	for _, raw := range payloads {
		if err := t.nc.Publish(t.subject, raw); err != nil {
			return fmt.Errorf("nats publish: %w", err)
		}
	}
	if dropped > 0 {
		return fmt.Errorf("%d notices over the %d-byte message limit were left out", dropped, max)
	}
	return nil
}

// Listen implements Transport. The client resubscribes by itself after a
// reconnect; Listen returns only when ctx ends or the connection is closed.
func (t *NATS) Listen(ctx context.Context, ready func(), fn func(Batch)) error {
	sub, err := t.nc.Subscribe(t.subject, func(m *nats.Msg) {
		b, err := decodeBatch(m.Data)
		if err != nil {
			t.logger.Warn("nats notice", "err", err)
			return
		}
		fn(b)
	})
	if err != nil {
		return fmt.Errorf("nats subscribe %s: %w", t.subject, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	ready()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.closed:
			return errors.New("nats connection closed")
		case <-t.connected:
			ready()
		}
	}
}

// Close implements Transport.
func (t *NATS) Close() error {
	t.nc.Close()
	return nil
}
