package limiter

import (
	"fmt"
	"testing"
	"time"
)

// full returns a Keyed with cap keys whose buckets hold one token and
// refill once an hour, so nothing refills while a test runs.
func full(cap int) *Keyed {
	k := New(time.Hour, 1, true)
	k.max = cap
	return k
}

func mustAllow(t *testing.T, k *Keyed, key string, want bool) {
	t.Helper()
	ok, wait := k.Allow(key)
	if ok != want {
		t.Fatalf("Allow(%q) = %v, want %v", key, ok, want)
	}
	if !ok && wait <= 0 {
		t.Fatalf("Allow(%q) refused with wait %v, want a positive wait", key, wait)
	}
}

// TestThrottledKeyStaysThrottledAtTheCap: a spray of new keys that fills the
// limiter must not give a throttled key (an account under a password-guessing
// lockout) a fresh bucket, as long as that key keeps being used.
func TestThrottledKeyStaysThrottledAtTheCap(t *testing.T) {
	const keys = 3
	k := full(keys)
	mustAllow(t, k, "victim@example.com", true)
	mustAllow(t, k, "victim@example.com", false) // throttled from here on

	for i := range 5 * keys {
		mustAllow(t, k, fmt.Sprintf("spray-%d", i), true)
		// The guesser keeps knocking, so its key stays recently used.
		mustAllow(t, k, "victim@example.com", false)
		if n := k.recent.Len(); n > keys || len(k.byKey) != n {
			t.Fatalf("after %d new keys: %d buckets (%d indexed), want at most %d", i+1, n, len(k.byKey), keys)
		}
	}
}

// TestIdleKeyIsEvicted: at the cap the least recently used key is the one
// forgotten; when it comes back it starts with a full bucket again.
func TestIdleKeyIsEvicted(t *testing.T) {
	k := full(2)
	mustAllow(t, k, "idle", true)
	mustAllow(t, k, "idle", false)
	mustAllow(t, k, "busy", true)
	mustAllow(t, k, "idle", false) // now "busy" is the least recently used
	mustAllow(t, k, "new", true)   // evicts "busy", not "idle"
	mustAllow(t, k, "idle", false)
	mustAllow(t, k, "busy", true) // "busy" was forgotten: a fresh bucket; evicts "new"
	mustAllow(t, k, "idle", false)
	mustAllow(t, k, "other", true) // evicts "busy" again
	mustAllow(t, k, "busy", true)  // evicts "idle", which has now been idle longest
	mustAllow(t, k, "idle", true)  // so it comes back with a full bucket
}

func TestDisabledAllowsEverything(t *testing.T) {
	for _, k := range []*Keyed{nil, New(time.Hour, 1, false)} {
		for range 3 {
			if ok, _ := k.Allow("x"); !ok {
				t.Fatal("a disabled limiter refused")
			}
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2, 10 * time.Second: 10} {
		if got := RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}
