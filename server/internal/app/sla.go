package app

import (
	"context"
	"log/slog"
	"time"

	"holler/server/internal/service"
)

// slaPoll is how often due SLA notices are looked for: it bounds how late
// a warning or an escalation goes out, and how long the API may still say
// "ok" after a warning time passed.
const slaPoll = time.Second

// slaLoop sends the SLA warnings and escalations that fall due until ctx
// ends. Due times are rows in the database, so a restarted instance picks
// up what fell due while it was down, and several instances share the
// work without doing any of it twice (see service.SLANotices).
func slaLoop(ctx context.Context, svc *service.Service, logger *slog.Logger) {
	every(ctx, slaPoll, func() {
		if _, err := svc.SLANotices(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("sla notices", "err", err)
		}
	})
}
