// Package limiter keeps one token bucket (golang.org/x/time/rate) per key,
// for per-IP, per-site and per-account limits.
package limiter

import (
	"container/list"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// defaultMaxKeys bounds the buckets one Keyed keeps: a few hundred bytes
// each, so some tens of MB at the cap whatever the spray of distinct keys.
const defaultMaxKeys = 100_000

// Keyed is a set of token buckets with at most max keys. At the cap the
// least recently used key is forgotten, never every key at once: clearing
// all of them would hand a throttled account (a password guesser) a fresh
// burst the moment someone sprayed enough new keys.
type Keyed struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	max   int
	off   bool
	// recent orders the buckets by last use, most recent at the front;
	// byKey finds a key's element in it.
	recent *list.List
	byKey  map[string]*list.Element
}

type entry struct {
	key string
	l   *rate.Limiter
}

// New allows burst events at once and then one every per.
// A disabled Keyed allows everything.
func New(per time.Duration, burst int, enabled bool) *Keyed {
	return &Keyed{
		every: rate.Every(per), burst: burst, max: defaultMaxKeys, off: !enabled,
		recent: list.New(), byKey: map[string]*list.Element{},
	}
}

// Allow takes one token for key. When none is left it returns false and
// how long until one is. Every call, allowed or not, counts as a use of
// key, so a client that keeps knocking stays remembered (and refused).
func (k *Keyed) Allow(key string) (bool, time.Duration) {
	if k == nil || k.off {
		return true, 0
	}
	now := time.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.bucket(key)
	r := l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// bucket returns key's bucket, marked most recently used, making one (and
// evicting the least recently used key at the cap) when there is none.
// The caller holds k.mu.
func (k *Keyed) bucket(key string) *rate.Limiter {
	if el, ok := k.byKey[key]; ok {
		k.recent.MoveToFront(el)
		return el.Value.(*entry).l
	}
	for k.recent.Len() >= k.max {
		oldest := k.recent.Back()
		k.recent.Remove(oldest)
		delete(k.byKey, oldest.Value.(*entry).key)
	}
	e := &entry{key: key, l: rate.NewLimiter(k.every, k.burst)}
	k.byKey[key] = k.recent.PushFront(e)
	return e.l
}

// RetryAfterSeconds rounds a wait up to whole seconds, at least 1.
func RetryAfterSeconds(d time.Duration) int {
	return int(math.Max(1, math.Ceil(d.Seconds())))
}
