package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"holler/server/internal/model"
)

// Transport carries notices between the instances that share a database.
// Event rows stay the source of truth: a notice only says "site X reached
// seq N" (or carries presence, a rights change or a typing indicator), and
// a listener reads the rows itself, so a lost notice delays delivery until
// the next resync but never loses an event.
type Transport interface {
	// Name is what the startup log calls the transport: inprocess,
	// postgres or nats.
	Name() string
	// Send hands one batch to every listening instance (this one included;
	// the broker skips its own echo). It must not be called inside a write
	// transaction.
	Send(ctx context.Context, b Batch) error
	// Listen calls fn with every batch sent until ctx ends or the transport
	// fails; it then returns the error and the broker calls it again. ready
	// is called each time listening (re)starts, so the caller can look for
	// what was sent while it was not listening.
	Listen(ctx context.Context, ready func(), fn func(Batch)) error
	// Close releases the transport's connections.
	Close() error
}

// Batch is what one flush of a broker's outbox sends: the notices gathered
// since the previous flush, at most one seq notice per site.
type Batch struct {
	Origin  string         `json:"o"`
	Notices []model.Notice `json:"n"`
}

// encodeBatch splits b into JSON payloads of at most max bytes (max <= 0:
// one payload), for transports that limit a message's size (a PostgreSQL
// notification holds under 8000 bytes). A notice too large on its own is
// left out and reported.
func encodeBatch(b Batch, max int) (payloads [][]byte, dropped int) {
	head, _ := json.Marshal(b.Origin)
	prefix := append(append([]byte(`{"o":`), head...), `,"n":[`...)
	const suffix = `]}`
	var cur []byte
	for i := range b.Notices {
		raw, err := json.Marshal(&b.Notices[i])
		if err != nil || max > 0 && len(prefix)+len(raw)+len(suffix) > max {
			dropped++
			continue
		}
		if cur != nil && max > 0 && len(cur)+1+len(raw)+len(suffix) > max {
			payloads = append(payloads, append(cur, suffix...))
			cur = nil
		}
		if cur == nil {
			cur = append(make([]byte, 0, 256), prefix...)
		} else {
			cur = append(cur, ',')
		}
		cur = append(cur, raw...)
	}
	if cur != nil {
		payloads = append(payloads, append(cur, suffix...))
	}
	return payloads, dropped
}

func decodeBatch(payload []byte) (Batch, error) {
	var b Batch
	if err := json.Unmarshal(payload, &b); err != nil {
		return b, fmt.Errorf("decode notice batch: %w", err)
	}
	return b, nil
}

// InProcess is the transport of the embedded store: one instance, so
// nothing leaves the process. It still connects every broker built on the
// same value, which lets tests and benchmarks run several hubs in one
// process.
type InProcess struct {
	mu   sync.Mutex
	subs map[chan Batch]struct{}
}

// NewInProcess returns an in-process transport.
func NewInProcess() *InProcess { return &InProcess{subs: map[chan Batch]struct{}{}} }

// Name implements Transport.
func (*InProcess) Name() string { return "inprocess" }

// Send implements Transport. It never blocks: a listener whose queue is
// full misses the batch and catches up at its next resync.
func (p *InProcess) Send(_ context.Context, b Batch) error {
	b.Notices = append([]model.Notice(nil), b.Notices...)
	p.mu.Lock()
	defer p.mu.Unlock()
	for ch := range p.subs {
		select {
		case ch <- b:
		default:
		}
	}
	return nil
}

// Listen implements Transport.
func (p *InProcess) Listen(ctx context.Context, ready func(), fn func(Batch)) error {
	ch := make(chan Batch, 1024)
	p.mu.Lock()
	p.subs[ch] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.subs, ch)
		p.mu.Unlock()
	}()
	ready()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case b := <-ch:
			fn(b)
		}
	}
}

// Close implements Transport.
func (*InProcess) Close() error { return nil }
