package app

import (
	"context"
	"time"
)

// every calls pass each interval until ctx ends. The background loops
// (assignment, SLA notices, event numbering, pruning) share it and keep
// their own error handling, since a failed pass means something different
// to each. A pass that overruns the interval delays the next one instead
// of stacking them up.
func every(ctx context.Context, interval time.Duration, pass func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pass()
		}
	}
}
