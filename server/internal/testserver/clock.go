package testserver

import (
	"sync"
	"time"

	"holler/server/internal/config"
)

// Clock is a server clock a test sets and moves (config.Config.Clock), so
// SLA due times hours ahead are reached at once and computed exactly.
// Servers that share one see the same time, across restarts too. It stands
// still between moves until Live lets it follow the system clock.
type Clock struct {
	mu   sync.Mutex
	at   time.Time
	live bool
}

// NewClock is a clock standing at at.
func NewClock(at time.Time) *Clock { return &Clock{at: at.UTC()} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live {
		return time.Now().UTC()
	}
	return c.at
}

// Set stops the clock at at.
func (c *Clock) Set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at, c.live = at.UTC(), false
}

// Advance moves a stopped clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// Live makes the clock follow the system clock from now on (a browser
// test counts down against the browser's own clock).
func (c *Clock) Live() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = true
}

// Configure makes a server use the clock (an Options.Configure step).
func (c *Clock) Configure(cfg *config.Config) { cfg.Clock = c.Now }
