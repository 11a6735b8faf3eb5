package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// listenIdle is how long Listen waits for a notification before it checks
// that its connection still answers. A connection to a server that went away
// without a reset (a partition, a half-open socket) would otherwise wait
// forever and this instance would stop hearing the others. A variable so a
// test can shorten it.
var listenIdle = 30 * time.Second

// Notify sends a PostgreSQL notification on channel (PostgreSQL only).
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	if err := s.q(ctx).Exec("SELECT pg_notify(?, ?)", channel, payload).Error; err != nil {
		return fmt.Errorf("notify: %w", translate(err))
	}
	return nil
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
