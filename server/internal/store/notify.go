package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// listenIdle is how long Listen waits for a notification before it checks
// that its connection still answers. A connection to a server that went away
// without a reset (a partition, a half-open socket) would otherwise wait
// forever and this instance would stop hearing the others. A variable so a
// test can shorten it.
var listenIdle = 30 * time.Second

// Notifier sends PostgreSQL notifications on one dedicated connection,
// opened on first use and again after a failure. A notice never takes a
// pooled connection from the requests, and never rides inside a write
// transaction (where it would wait for the commit and hold locks meanwhile).
// Safe for concurrent use; calls are serialised on the one connection.
type Notifier struct {
	s    *Store
	mu   sync.Mutex
	conn *pgx.Conn
}

// Notifier returns a notifier for this database (it sends nothing on SQLite).
func (s *Store) Notifier() *Notifier { return &Notifier{s: s} }

// Notify sends each payload as a notification on channel, all in one
// statement (one round trip, one implicit transaction).
func (n *Notifier) Notify(ctx context.Context, channel string, payloads ...string) error {
	if n.s.dialect != DialectPostgres || len(payloads) == 0 {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	ctx, cancel := n.s.bounded(ctx, statementTimeout)
	defer cancel()
	if n.conn == nil {
		conn, err := pgx.Connect(ctx, n.s.dsn) // the DSN carries connect_timeout
		if err != nil {
			return fmt.Errorf("notify connect: %w", translate(err))
		}
		n.conn = conn
	}
	_, err := n.conn.Exec(ctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", channel, payloads)
	if err != nil {
		// Start the next call on a fresh connection: after a timeout or a
		// reset this one is unusable, and a statement error is rare enough.
		n.closeLocked()
		return fmt.Errorf("notify: %w", translate(err))
	}
	return nil
}

// Close closes the notifier's connection.
func (n *Notifier) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closeLocked()
	return nil
}

func (n *Notifier) closeLocked() {
	if n.conn == nil {
		return
	}
	// Bounded: on a connection that stopped answering, saying goodbye
	// must not hang.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = n.conn.Close(ctx)
	cancel()
	n.conn = nil
}

// Listen holds a dedicated connection that LISTENs on channel and calls fn
// for each payload until ctx ends or the connection fails or stops
// answering (it then returns the error; the caller reconnects). ready is
// called once listening.
func (s *Store) Listen(ctx context.Context, channel string, ready func(), fn func(payload string)) error {
	if s.dialect != DialectPostgres {
		<-ctx.Done()
		return ctx.Err()
	}
	conn, err := pgx.Connect(ctx, s.dsn) // the DSN carries connect_timeout
	if err != nil {
		return fmt.Errorf("listen connect: %w", translate(err))
	}
	defer conn.Close(context.Background())
	lctx, cancel := s.bounded(ctx, statementTimeout)
	_, err = conn.Exec(lctx, "LISTEN "+pgx.Identifier{channel}.Sanitize())
	cancel()
	if err != nil {
		return fmt.Errorf("listen: %w", translate(err))
	}
	ready()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenIdle)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			fn(n.Payload)
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("wait for notification: %w", translate(err))
		}
		// Quiet for a while: a timed-out wait leaves the connection usable
		// (pgx closes it only on other errors), so ask it for an answer.
		pctx, cancel := context.WithTimeout(ctx, statementTimeout)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return fmt.Errorf("listen connection does not answer: %w", translate(err))
		}
	}
}
