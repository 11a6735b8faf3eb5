package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Notify sends a PostgreSQL notification on channel (PostgreSQL only).
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	if err := s.q(ctx).Exec("SELECT pg_notify(?, ?)", channel, payload).Error; err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// Listen holds a dedicated connection that LISTENs on channel and calls fn
// for each payload until ctx ends or the connection fails (it then returns
// the error; the caller reconnects). ready is called once listening.
func (s *Store) Listen(ctx context.Context, channel string, ready func(), fn func(payload string)) error {
	if s.dialect != DialectPostgres {
		<-ctx.Done()
		return ctx.Err()
	}
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return fmt.Errorf("listen connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		fn(n.Payload)
	}
}
