package app

import (
	"context"
	"fmt"
	"log/slog"

	"holler/server/internal/config"
	"holler/server/internal/realtime"
	"holler/server/internal/store"
)

// newTransport picks how realtime notices travel between instances: in
// process on the embedded store (one instance), NATS when HOLLER_NATS_URL
// is set, else PostgreSQL LISTEN/NOTIFY.
func newTransport(ctx context.Context, cfg config.Config, st *store.Store, logger *slog.Logger) (realtime.Transport, error) {
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
	return tr, nil
}
