package scaleout

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"holler/server/internal/config"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// BenchmarkDelivery measures widget POST -> staff dashboard latency on the
// instance that took the POST (same) and on another instance of the same
// database (cross), over LISTEN/NOTIFY and over NATS, in one run: two
// in-process servers, one submission at a time. It reports p50/p99 of each,
// of the hop (cross arrival minus same arrival for one submission) and the
// cross/same ratios; ns/op is one submission and both deliveries.
//
//	go test -run '^$' -bench Delivery -benchtime 1000x ./server/internal/scaleout
func BenchmarkDelivery(b *testing.B) {
	for _, transport := range []string{"postgres", "nats"} {
		b.Run(transport, func(b *testing.B) {
			natsURL := ""
			if transport == "nats" {
				natsURL = testserver.NATSURL(b)
			}
			db := storetest.FreshPostgres(b)
			configure := func(c *config.Config) { c.RateLimit, c.NATSURL = false, natsURL }
			a := testserver.Start(b, testserver.Options{Store: &store.Options{DatabaseURL: db}, Configure: configure})
			other := testserver.Start(b, testserver.Options{Store: &store.Options{DatabaseURL: db}, Configure: configure})
			token := a.AdminToken(b)
			same, cross := newArrivals(b, a, token), newArrivals(b, other, token)
			client := &http.Client{Timeout: 30 * time.Second}
			post := func(i int) (string, time.Time) {
				start := time.Now()
				id, ok := submit(client, a, a.DemoKey, fmt.Sprintf("bench %d", i))
				if !ok {
					b.Fatal("submission not acknowledged")
				}
				return id, start
			}
			for i := range 20 { // warm both instances' connections and caches
				id, _ := post(-i)
				same.wait(b, id)
				cross.wait(b, id)
			}
			var sameLat, crossLat, extra []time.Duration
			b.ResetTimer()
			for i := range b.N {
				id, start := post(i)
				sameAt, crossAt := same.wait(b, id), cross.wait(b, id)
				sameLat = append(sameLat, sameAt.Sub(start))
				crossLat = append(crossLat, crossAt.Sub(start))
				extra = append(extra, crossAt.Sub(sameAt))
			}
			b.StopTimer()
			sp50, sp99 := percentiles(sameLat)
			cp50, cp99 := percentiles(crossLat)
			b.ReportMetric(ms(sp50), "same-p50-ms")
			b.ReportMetric(ms(sp99), "same-p99-ms")
			b.ReportMetric(ms(cp50), "cross-p50-ms")
			b.ReportMetric(ms(cp99), "cross-p99-ms")
			ep50, ep99 := percentiles(extra)
			b.ReportMetric(ms(ep50), "hop-p50-ms")
			b.ReportMetric(ms(ep99), "hop-p99-ms")
			b.ReportMetric(float64(cp50)/float64(sp50), "cross/same-p50")
			b.ReportMetric(float64(cp99)/float64(sp99), "cross/same-p99")
		})
	}
}

// arrivals records when each conversation.created frame reached one
// dashboard socket.
type arrivals struct {
	mu   sync.Mutex
	at   map[string]time.Time
	news chan struct{}
}

func newArrivals(b *testing.B, s *testserver.Server, token string) *arrivals {
	conn, _, err := s.DialSocket("/api/v1/ws", token, "", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	r := &arrivals{at: map[string]time.Time{}, news: make(chan struct{}, 1)}
	go func() {
		for {
			_, raw, err := conn.ReadMessage()
			now := time.Now()
			if err != nil {
				return
			}
			var f frame
			if json.Unmarshal(raw, &f) != nil || f.Type != "conversation.created" {
				continue
			}
			r.mu.Lock()
			r.at[f.ConversationID] = now
			r.mu.Unlock()
			select {
			case r.news <- struct{}{}:
			default:
			}
		}
	}()
	return r
}

func (r *arrivals) wait(b *testing.B, id string) time.Time {
	timeout := time.After(deliveryWait)
	for {
		r.mu.Lock()
		at, ok := r.at[id]
		r.mu.Unlock()
		if ok {
			return at
		}
		select {
		case <-r.news:
		case <-timeout:
			b.Fatalf("conversation %s not delivered within %v", id, deliveryWait)
		}
	}
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)*50/100], s[min(len(s)-1, len(s)*99/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
