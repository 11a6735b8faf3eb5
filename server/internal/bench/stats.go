package bench

import (
	"sync/atomic"
	"time"
)

// Latency histogram buckets: 10 µs wide below 10 ms, 1 ms wide up to 60 s.
// Recording is one atomic add, so a thousand socket readers can record
// every frame without a shared lock disturbing what they measure.
const (
	fineWidth   = 10 * time.Microsecond
	fineBuckets = int(10 * time.Millisecond / fineWidth)
	coarseWidth = time.Millisecond
	buckets     = fineBuckets + int(60*time.Second/coarseWidth)
)

type histogram struct {
	n      atomic.Int64
	counts [buckets]atomic.Int64
}

func (h *histogram) add(d time.Duration) {
	var i int
	if d < time.Duration(fineBuckets)*fineWidth {
		i = int(max(d, 0) / fineWidth)
	} else {
		i = min(fineBuckets+int((d-time.Duration(fineBuckets)*fineWidth)/coarseWidth), buckets-1)
	}
	h.counts[i].Add(1)
	h.n.Add(1)
}

func (h *histogram) count() int64 { return h.n.Load() }

// quantile returns the q-quantile (0..1) in milliseconds, at the upper
// edge of its bucket (so it never flatters).
func (h *histogram) quantile(q float64) float64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := int64(q*float64(n) + 0.5)
	rank = max(1, min(rank, n))
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return ms(upperEdge(i))
		}
	}
	return ms(upperEdge(buckets - 1))
}

func upperEdge(i int) time.Duration {
	if i < fineBuckets {
		return time.Duration(i+1) * fineWidth
	}
	return time.Duration(fineBuckets)*fineWidth + time.Duration(i-fineBuckets+1)*coarseWidth
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
