package app

import (
	"context"
	"log/slog"
	"time"

	"holler/server/internal/service"
)

// sequencerPoll is how often the events that no writer saw numbered (it
// crashed after commit, or a pass failed) are looked for. Writers wait for
// their own events' numbering, so this is only the safety net.
const sequencerPoll = time.Second

// sequencerLoop numbers pending events until ctx ends (PostgreSQL; the
// store does nothing on SQLite). Passes of one site exclude each other on
// the site's row, so instances sharing a database run it side by side.
func sequencerLoop(ctx context.Context, svc *service.Service, logger *slog.Logger) {
	t := time.NewTicker(sequencerPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sites, oldest, err := svc.NumberPending(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("number pending events", "err", err)
		case sites > 0 && oldest > 5*time.Second:
			// Writers number their own events within milliseconds: rows this
			// old mean passes keep failing.
			logger.Warn("events wait to be numbered", "sites", sites, "oldest", oldest.Round(time.Millisecond))
		}
	}
}
