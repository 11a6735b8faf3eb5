package realtime_test

import "holler/server/internal/config"

func noLimits(c *config.Config) { c.RateLimit = false }
