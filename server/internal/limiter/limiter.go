// Package limiter keeps one token bucket (golang.org/x/time/rate) per key,
// for per-IP, per-site and per-account limits.
package limiter

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed is a set of token buckets. Idle buckets are forgotten so memory
// stays bounded under a spray of distinct keys.
type Keyed struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*entry
	max     int
	off     bool
}

type entry struct {
	l    *rate.Limiter
	seen time.Time
}

// New allows burst events at once and then one every per.
// A disabled Keyed allows everything.
func New(per time.Duration, burst int, enabled bool) *Keyed {
	return &Keyed{every: rate.Every(per), burst: burst, buckets: map[string]*entry{}, max: 100_000, off: !enabled}
}

// Allow takes one token for key. When none is left it returns false and
// how long until one is.
func (k *Keyed) Allow(key string) (bool, time.Duration) {
	if k == nil || k.off {
		return true, 0
	}
	now := time.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.buckets[key]
	if !ok {
		if len(k.buckets) >= k.max {
			k.sweep(now)
		}
		e = &entry{l: rate.NewLimiter(k.every, k.burst)}
		k.buckets[key] = e
	}
	e.seen = now
	r := e.l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops buckets idle long enough to have refilled completely.
func (k *Keyed) sweep(now time.Time) {
	full := time.Duration(float64(k.burst) / float64(k.every) * float64(time.Second))
	for key, e := range k.buckets {
		if now.Sub(e.seen) > full {
			delete(k.buckets, key)
		}
	}
	if len(k.buckets) >= k.max { // still full: start over rather than grow
		k.buckets = map[string]*entry{}
	}
}

// RetryAfterSeconds rounds a wait up to whole seconds, at least 1.
func RetryAfterSeconds(d time.Duration) int {
	return int(math.Max(1, math.Ceil(d.Seconds())))
}
