package service

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"holler/server/internal/store"
)

// maxBatch caps how many writes one group commit carries. Each write runs in
// its own savepoint, a PostgreSQL subtransaction, and a transaction with
// more than 64 of those overflows the per-backend subtransaction cache,
// which slows every snapshot of the cluster until it ends.
const maxBatch = 32

// committer groups concurrent writes to one site into shared transactions
// (group commit). A write to an idle site commits at once; writes arriving
// while one of the site's commits is in flight queue, and the next commit
// takes all of them (up to maxBatch), so a queued write waits for at most
// the commit in flight plus its own. Each write runs in its own savepoint:
// one that fails is undone and fails alone while its batch-mates commit.
// Every write learns its outcome only after its transaction committed.
type committer struct {
	store *store.Store
	// inFlight is how many commits of one site may run at once.
	inFlight int

	mu    sync.Mutex
	lanes map[string]*lane

	// batches and writes count commits and the writes they carried: their
	// ratio says how much group commit shares (holler_commit_* metrics).
	batches, writes atomic.Uint64
}

// lane is one site's queue.
type lane struct {
	queue   []*commitItem
	running int // commits of this site in flight
}

type commitItem struct {
	ctx  context.Context
	work func(ctx context.Context, tx *store.Store) error
	err  error
	done chan struct{}
	// panicked holds a panic of work (with its stack), raised again in the
	// request's own goroutine, where the HTTP layer recovers it: a panic
	// in a committer goroutine would end the process.
	panicked any
}

// run calls work, turning a panic into an error for the batch and a
// panic for the request.
func (it *commitItem) run(tx *store.Store) (err error) {
	defer func() {
		if r := recover(); r != nil {
			it.panicked = fmt.Sprintf("%v\n%s", r, debug.Stack())
			err = errWorkPanicked
		}
	}()
	return it.work(it.ctx, tx)
}

var errWorkPanicked = errors.New("group commit: work panicked")

// commitsInFlight is how many batches of one site commit at once. SQLite has
// one connection, so one. On PostgreSQL writers no longer meet on the site
// row (events are numbered after commit), so a site's batches overlap: while
// one waits for its flush, the next runs its statements.
func commitsInFlight(st *store.Store) int {
	if st.Dialect() == store.DialectPostgres {
		return 4
	}
	return 1
}

// NumberPending numbers the events left unnumbered by a writer that
// crashed after commit or a sequencer pass that failed (PostgreSQL), and
// returns how many sites had some and how long the oldest had waited.
func (s *Service) NumberPending(ctx context.Context) (int, time.Duration, error) {
	return s.store.NumberPending(ctx)
}

// CommitStats says how many group commits ran and how many writes they
// carried since the start.
func (s *Service) CommitStats() (batches, writes uint64) {
	return s.commits.batches.Load(), s.commits.writes.Load()
}

func newCommitter(st *store.Store, inFlight int) *committer {
	return &committer{store: st, inFlight: max(inFlight, 1), lanes: map[string]*lane{}}
}

// do runs work in a transaction shared with other writes to site and returns
// once that transaction has committed (nil) or work's part was undone (its
// error). work may run more than once (a deadlock victim is run again
// alone), so it must build everything it writes afresh each time. work's
// ctx carries the request's values but not its cancellation: a client that
// goes away must not abort its batch-mates' transaction.
func (c *committer) do(ctx context.Context, site string, work func(ctx context.Context, tx *store.Store) error) error {
	it := &commitItem{ctx: context.WithoutCancel(ctx), work: work, done: make(chan struct{})}
	c.mu.Lock()
	l := c.lanes[site]
	if l == nil {
		l = &lane{}
		c.lanes[site] = l
	}
	l.queue = append(l.queue, it)
	if l.running >= c.inFlight {
		c.mu.Unlock()
		return it.wait()
	}
	l.running++
	batch := c.takeLocked(l)
	c.mu.Unlock()

	// The caller commits the first batch itself (no hand-off when the site
	// is idle); what queued meanwhile is drained by a goroutine so that this
	// caller's answer does not wait for other requests' commits.
	c.commit(batch)
	if next := c.next(site, l); next != nil {
		go c.drain(site, l, next)
	}
	return it.wait()
}

func (it *commitItem) wait() error {
	<-it.done
	if it.panicked != nil {
		panic(it.panicked)
	}
	return it.err
}

func (c *committer) drain(site string, l *lane, batch []*commitItem) {
	for batch != nil {
		c.commit(batch)
		batch = c.next(site, l)
	}
}

// next takes the site's next batch, or ends this commit loop when nothing
// is queued.
func (c *committer) next(site string, l *lane) []*commitItem {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(l.queue) == 0 {
		l.running--
		if l.running == 0 {
			delete(c.lanes, site)
		}
		return nil
	}
	return c.takeLocked(l)
}

func (c *committer) takeLocked(l *lane) []*commitItem {
	n := min(len(l.queue), maxBatch)
	batch := l.queue[:n:n]
	l.queue = l.queue[n:]
	if len(l.queue) == 0 {
		l.queue = nil // let the backing array go
	}
	return batch
}

// commit runs a batch in one transaction, each item in its own savepoint,
// and answers every item once the transaction is over.
func (c *committer) commit(batch []*commitItem) {
	c.batches.Add(1)
	c.writes.Add(uint64(len(batch)))
	defer func() {
		for _, it := range batch {
			close(it.done)
		}
	}()
	if len(batch) == 1 {
		it := batch[0]
		it.err = c.store.InTx(it.ctx, it.run)
		return
	}
	var retry []*commitItem
	err := c.store.InTx(context.Background(), func(tx *store.Store) error {
		// The writes a batch holds never change site settings.
		tx.ShareReads()
		retry = retry[:0]
		for _, it := range batch {
			it.err = tx.Savepoint(it.ctx, it.run)
			if store.Retryable(it.err) {
				retry = append(retry, it)
			}
		}
		return nil
	})
	if err != nil {
		for _, it := range batch {
			if it.err == nil {
				it.err = err
			}
		}
		return
	}
	// A deadlock or serialization failure is a clash of timing, not a bad
	// request: run the item again on its own, as it would have run without
	// batching.
	for _, it := range retry {
		it.err = c.store.InTx(it.ctx, it.run)
	}
}
