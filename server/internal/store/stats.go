package store

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// RegisterPoolMetrics exposes the connection pool's figures (open, in use,
// idle, waits and wait time, closes) as the standard go_sql_* metrics,
// labelled db_name="sqlite" or "postgres". It lives here because the pool
// belongs to the store: the handle itself never leaves the package.
func (s *Store) RegisterPoolMetrics(reg prometheus.Registerer) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("pool metrics: %w", err)
	}
	if err := reg.Register(collectors.NewDBStatsCollector(sqlDB, s.dialect)); err != nil {
		return fmt.Errorf("pool metrics: %w", err)
	}
	return nil
}
