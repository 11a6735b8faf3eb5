package httpapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"holler/server/internal/config"
	"holler/server/internal/store"
	"holler/server/internal/testserver"
)

// The per-IP create limit lets a person file a burst of 5 conversations;
// the 6th from the same address is refused.
const createBurst = 5

// createWithXFF files one conversation per spoofed X-Forwarded-For value
// and returns the statuses and the last response.
func createWithXFF(t *testing.T, s *testserver.Server, n int) ([]int, *testserver.Response) {
	t.Helper()
	var statuses []int
	var last *testserver.Response
	for i := 0; i < n; i++ {
		last = s.Do(t, "POST", createPath(s.DemoKey), "",
			map[string]string{"kind": "question", "message": "hello " + strconv.Itoa(i)},
			"X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
		statuses = append(statuses, last.Status)
	}
	return statuses, last
}

// TestSpoofedForwardedForIsIgnored: without trusted proxies a client cannot
// dodge the per-IP limit by inventing X-Forwarded-For values; it is limited
// by its real address, with a Retry-After the widget can honour.
func TestSpoofedForwardedForIsIgnored(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: store.DialectSQLite})
	statuses, last := createWithXFF(t, s, createBurst+1)
	for i, st := range statuses[:createBurst] {
		if st != http.StatusCreated {
			t.Fatalf("request %d: %d, want 201 (statuses %v)", i+1, st, statuses)
		}
	}
	wantError(t, last, http.StatusTooManyRequests, "rate_limited")
	ra, err := strconv.Atoi(last.Header.Get("Retry-After"))
	if err != nil || ra < 1 {
		t.Errorf("Retry-After %q, want a positive number of seconds", last.Header.Get("Retry-After"))
	}
	// The refused request created nothing.
	if n := conversationCount(t, s, s.AdminToken(t)); n != createBurst {
		t.Errorf("%d conversations, want %d", n, createBurst)
	}
}

// TestTrustedProxyForwardedFor: behind a trusted proxy (here loopback) the
// client address comes from X-Forwarded-For, so different visitors behind
// one proxy each get their own bucket.
func TestTrustedProxyForwardedFor(t *testing.T) {
	trusted, err := config.ParsePrefixes("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	s := testserver.Start(t, testserver.Options{Dialect: store.DialectSQLite, Configure: func(c *config.Config) {
		c.TrustedProxies = trusted
	}})
	statuses, _ := createWithXFF(t, s, createBurst+1)
	for i, st := range statuses {
		if st != http.StatusCreated {
			t.Errorf("request %d: %d, want 201 (statuses %v)", i+1, st, statuses)
		}
	}

	// The same visitor address is still limited behind the proxy.
	var last *testserver.Response
	for i := 0; i < createBurst+1; i++ {
		last = s.Do(t, "POST", createPath(s.DemoKey), "",
			map[string]string{"kind": "question", "message": "again"}, "X-Forwarded-For", "198.51.100.7")
	}
	wantError(t, last, http.StatusTooManyRequests, "rate_limited")
}

// TestRateLimitOff: HOLLER_RATE_LIMIT=off (load tests) lifts the
// anonymous limits entirely.
func TestRateLimitOff(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: store.DialectSQLite, Configure: noLimits})
	for i := 0; i < 3*createBurst; i++ {
		r := s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "question", "message": "hi"})
		if r.Status != http.StatusCreated {
			t.Fatalf("request %d: %d %s", i+1, r.Status, r.Body)
		}
	}
}
