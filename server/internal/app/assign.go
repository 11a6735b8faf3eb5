package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"holler/server/internal/service"
)

// assignPoll is how often the team queues are looked at: it bounds how long
// a queued conversation waits once a member of its team is online with room.
const assignPoll = time.Second

// assignMetrics count the assignment loop's passes and what they assigned.
type assignMetrics struct {
	passes, assigned prometheus.Counter
}

func newAssignMetrics(reg *prometheus.Registry) *assignMetrics {
	m := &assignMetrics{
		passes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "holler_assign_passes_total", Help: "Passes of the team-queue assignment loop over every queue.",
		}),
		assigned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "holler_assign_assigned_total", Help: "Queued conversations the assignment loop assigned.",
		}),
	}
	reg.MustRegister(m.passes, m.assigned)
	return m
}

// assignLoop assigns what waits in team queues until ctx ends. Every
// instance runs one; they share the queues safely (see AssignQueued).
func assignLoop(ctx context.Context, svc *service.Service, m *assignMetrics, logger *slog.Logger) {
	every(ctx, assignPoll, func() {
		n, err := svc.AssignQueued(ctx)
		m.assigned.Add(float64(n))
		if err != nil {
			if ctx.Err() == nil {
				logger.Warn("assign queued conversations", "err", err)
			}
			return
		}
		m.passes.Inc()
	})
}
