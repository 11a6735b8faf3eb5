package store

import (
	"context"
	"fmt"
)

// Savepoint runs fn inside a savepoint of the caller's transaction: when fn
// fails, only what fn wrote is undone and the transaction goes on (on
// PostgreSQL a failed statement would otherwise doom the whole transaction).
// Group commit runs each request of a batch this way, so one bad request
// fails alone. fn's error is returned as it is.
//
// The savepoint is not released: it ends with the transaction, and a
// rollback to "item" goes to the newest savepoint of that name, fn's own.
// That saves a round trip per request; a batch is small enough (maxBatch)
// for the savepoints it stacks.
func (s *Store) Savepoint(ctx context.Context, fn func(tx *Store) error) error {
	if s.root == nil {
		return fmt.Errorf("savepoint: must run inside a transaction")
	}
	if err := s.q(ctx).Exec("SAVEPOINT item").Error; err != nil {
		return fmt.Errorf("savepoint: %w", translate(err))
	}
	ferr := fn(s)
	if ferr != nil {
		if err := s.q(ctx).Exec("ROLLBACK TO SAVEPOINT item").Error; err != nil {
			return fmt.Errorf("rollback to savepoint: %w (after %w)", translate(err), ferr)
		}
	}
	return ferr
}

// Retryable reports whether err is a transient clash with another
// transaction (a deadlock victim, a serialization failure, a lock not
// granted in time): the same work run again alone will likely succeed.
func Retryable(err error) bool {
	switch pgCode(err) {
	case "40P01", "40001", "55P03":
		return true
	}
	return false
}
