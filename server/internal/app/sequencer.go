package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"holler/server/internal/service"
)

// sequencerPoll is how often the events that no writer saw numbered (it
// crashed after commit, or a pass failed) are looked for. Writers wait for
// their own events' numbering, so this is only the safety net.
const sequencerPoll = time.Second

// sequencerLoop numbers pending events until ctx ends (PostgreSQL; the
// store does nothing on SQLite). Passes of one site exclude each other on
// the site's row, so instances sharing a database run it side by side.
func sequencerLoop(ctx context.Context, svc *service.Service, reg *prometheus.Registry, logger *slog.Logger) {
	waiting := prometheus.NewGauge(prometheus.GaugeOpts{Name: "holler_events_unnumbered_oldest_seconds",
		Help: "Age of the oldest committed event not yet numbered (PostgreSQL); near 0 unless sequencer passes fail."})
	reg.MustRegister(waiting)
	every(ctx, sequencerPoll, func() {
		sites, oldest, err := svc.NumberPending(ctx)
		waiting.Set(oldest.Seconds())
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("number pending events", "err", err)
		case sites > 0 && oldest > 20*time.Second:
			// Writers number their own events as they commit, and no
			// transaction outlives 15 s: rows this old mean passes fail.
			logger.Warn("events wait to be numbered", "sites", sites, "oldest", oldest.Round(time.Millisecond))
		}
	})
}
