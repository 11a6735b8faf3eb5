package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"holler/server/internal/service"
)

// registerCommitMetrics exports group commit's counters: writes per batch
// is how much concurrent writers to a site share each commit.
func registerCommitMetrics(reg *prometheus.Registry, svc *service.Service) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "holler_commit_batches_total",
			Help: "Group commits (transactions carrying widget submissions, replies and inbound mail)."},
			func() float64 { b, _ := svc.CommitStats(); return float64(b) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "holler_commit_writes_total",
			Help: "Writes carried by group commits; divided by holler_commit_batches_total, the mean batch."},
			func() float64 { _, w := svc.CommitStats(); return float64(w) }))
}
