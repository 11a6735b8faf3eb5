package app

import (
	"context"
	"log/slog"
	"time"

	"holler/server/internal/service"
)

// angerBackfill scores the customer messages stored before anger scoring
// existed, one conversation at a time, and ends when none is left: every
// newer message is scored as it is stored, so after an upgrade's first
// start there is nothing more to do. Several instances share the work;
// one stopped half-way goes on at its next start.
func angerBackfill(ctx context.Context, svc *service.Service, logger *slog.Logger) {
	done := 0
	for ctx.Err() == nil {
		found, err := svc.BackfillAnger(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				logger.Warn("anger backfill", "err", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(30 * time.Second):
			}
		case !found:
			if done > 0 {
				logger.Info("anger backfill done", "conversations", done)
			}
			return
		default:
			done++
		}
	}
}
