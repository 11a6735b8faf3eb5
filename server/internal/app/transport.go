package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"holler/server/internal/config"
	"holler/server/internal/realtime"
	"holler/server/internal/store"
)

// newTransport picks how realtime notices travel between instances: in
// process on the embedded store (one instance), NATS when HOLLER_NATS_URL
// is set, else PostgreSQL LISTEN/NOTIFY. self is this instance's broker ID;
// the transport counts on reg what it carries to and from other instances.
func newTransport(ctx context.Context, cfg config.Config, st *store.Store, self string, reg *prometheus.Registry,
	logger *slog.Logger) (realtime.Transport, error) {
	var tr realtime.Transport
	switch {
	case st.Dialect() != store.DialectPostgres:
		tr = realtime.NewInProcess()
	case cfg.NATSURL != "":
		// The subject is per database: a random ID stored in it on first
		// start, the same for every instance that shares the database and
		// different for every other database on the same NATS.
		cluster, err := st.EnsureSetting(ctx, "realtime_cluster_id", store.NewID)
		if err != nil {
			return nil, err
		}
		if tr, err = realtime.NewNATS(cfg.NATSURL, realtime.NATSSubject(cluster), logger); err != nil {
			return nil, fmt.Errorf("HOLLER_NATS_URL: %w", err)
		}
	default:
		tr = realtime.NewPostgres(st.Notifier(), st, func(err error) { logger.Warn("realtime notice", "err", err) })
	}
	logger.Info("realtime transport", "transport", tr.Name())
	return newCountingTransport(tr, self, reg), nil
}

// countingTransport shows an operator (and the multi-instance tests) that
// notices do cross between instances: with the periodic resync alone,
// delivery would still be correct, only seconds late.
type countingTransport struct {
	realtime.Transport
	self           string
	sent, received *prometheus.CounterVec
	failed         prometheus.Counter
}

func newCountingTransport(tr realtime.Transport, self string, reg *prometheus.Registry) *countingTransport {
	labels := prometheus.Labels{"transport": tr.Name()}
	t := &countingTransport{Transport: tr, self: self,
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "holler_realtime_notices_sent_total",
			Help: "Notices this instance sent to the others (events after coalescing per site), by kind.", ConstLabels: labels},
			[]string{"kind"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "holler_realtime_notices_received_total",
			Help: "Notices this instance received from other instances, by kind.", ConstLabels: labels}, []string{"kind"}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{Name: "holler_realtime_send_failures_total",
			Help: "Outbox flushes the transport refused (the others catch up at their next resync).", ConstLabels: labels}),
	}
	reg.MustRegister(t.sent, t.received, t.failed)
	return t
}

func (t *countingTransport) Send(ctx context.Context, b realtime.Batch) error {
	err := t.Transport.Send(ctx, b)
	if err != nil {
		t.failed.Inc()
		return err
	}
	count(t.sent, b)
	return nil
}

func (t *countingTransport) Listen(ctx context.Context, ready func(), fn func(realtime.Batch)) error {
	return t.Transport.Listen(ctx, ready, func(b realtime.Batch) {
		if b.Origin != t.self {
			count(t.received, b)
		}
		fn(b)
	})
}

func count(c *prometheus.CounterVec, b realtime.Batch) {
	for _, n := range b.Notices {
		kind := "rights"
		switch {
		case n.Ephemeral != nil:
			kind = "typing"
		case len(n.OnlineUsers) > 0:
			kind = "presence"
		case n.Seq > 0:
			kind = "event"
		}
		c.WithLabelValues(kind).Inc()
	}
}
