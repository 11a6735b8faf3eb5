package realtime

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"holler/server/internal/model"
)

// BenchmarkFanOut measures delivered messages/s from one site to 1,000
// staff sockets over real loopback websockets whose clients read every
// frame. latency_p99_ms is from an event's creation to a client reading
// its frame. burst50 publishes 50 events at once and the next 50 once
// every socket has them (as fast as it goes; latency is a burst's);
// paced100k publishes one event every 10 ms, 100,000 messages/s offered.
//
//	go test -run '^$' -bench FanOut -benchtime 1000x ./server/internal/realtime/
func BenchmarkFanOut(b *testing.B) {
	b.Run("burst50", func(b *testing.B) { fanOut(b, 50, 0) })
	b.Run("paced100k", func(b *testing.B) { fanOut(b, 1, 10*time.Millisecond) })
}

func fanOut(b *testing.B, burst int, every time.Duration) {
	const sockets = 1000
	l := newMemLog()
	h := NewHub(l, slog.New(slog.DiscardHandler), nil)
	if err := h.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	srv := hubServer(b, h)
	var got atomic.Int64
	hists := make([]*latencies, sockets)
	var wg sync.WaitGroup
	for i := range hists {
		hists[i] = &latencies{}
		conn := dialHub(b, srv)
		wg.Add(1)
		go func(lat *latencies) {
			defer wg.Done()
			var buf bytes.Buffer
			for {
				_, r, err := conn.NextReader()
				if err != nil {
					return
				}
				buf.Reset()
				_, _ = io.Copy(&buf, r)
				lat.add(frameAge(buf.Bytes()))
				got.Add(1)
			}
		}(hists[i])
	}
	for deadline := time.Now().Add(time.Minute); h.Count() < sockets; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d sockets attached", h.Count(), sockets)
		}
	}
	data := `{"id":"m1","conversation_id":"c1","author":"visitor","body":"` + strings.Repeat("The parcel never arrived. ", 8) + `","created_at":"2026-01-01T00:00:00Z"}`
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i += burst {
		n := min(burst, b.N-i)
		for range n {
			h.Dispatch(model.Notice{SiteID: "s1", Seq: l.add("s1", data)})
		}
		if every > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i+n) * every)))
			continue
		}
		waitDelivered(b, &got, int64(i+n)*sockets, start)
	}
	waitDelivered(b, &got, int64(b.N)*sockets, start)
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)*sockets/elapsed.Seconds(), "msgs/s")
	var all latencies
	for _, l := range hists {
		l.mu.Lock()
		for k, v := range l.buckets {
			all.buckets[k] += v
		}
		l.mu.Unlock()
	}
	b.ReportMetric(all.quantile(0.5), "latency_p50_ms")
	b.ReportMetric(all.quantile(0.99), "latency_p99_ms")
	srv.CloseClientConnections()
	h.Shutdown()
	wg.Wait()
}

func waitDelivered(b *testing.B, got *atomic.Int64, want int64, start time.Time) {
	for ; got.Load() < want; time.Sleep(50 * time.Microsecond) {
		if time.Since(start) > 10*time.Minute {
			b.Fatalf("delivered %d of %d", got.Load(), want)
		}
	}
}

// frameAge reads a frame's "at" and returns how long ago that was.
func frameAge(frame []byte) time.Duration {
	_, rest, ok := bytes.Cut(frame, []byte(`"at":"`))
	if !ok {
		return 0
	}
	at, _, _ := bytes.Cut(rest, []byte(`"`))
	t, err := time.Parse(time.RFC3339Nano, string(at))
	if err != nil {
		return 0
	}
	return time.Since(t)
}

// latencies is a histogram with buckets 5% apart, from 10 µs.
type latencies struct {
	mu      sync.Mutex
	buckets [400]int64
}

func (l *latencies) add(d time.Duration) {
	k := 0
	if us := float64(d.Microseconds()); us > 10 {
		k = min(int(math.Log(us/10)/math.Log(1.05)), len(l.buckets)-1)
	}
	l.mu.Lock()
	l.buckets[k]++
	l.mu.Unlock()
}

// quantile returns the upper edge of the bucket holding quantile q, in ms.
func (l *latencies) quantile(q float64) float64 {
	var total int64
	for _, v := range l.buckets {
		total += v
	}
	want := int64(math.Ceil(q * float64(total)))
	var seen int64
	k := sort.Search(len(l.buckets), func(k int) bool {
		seen = 0
		for _, v := range l.buckets[:k+1] {
			seen += v
		}
		return seen >= want
	})
	return 10 * math.Pow(1.05, float64(k+1)) / 1000
}
