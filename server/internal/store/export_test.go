package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SetListenIdle shortens how long Listen waits before it checks a quiet
// connection; the returned func restores it.
func SetListenIdle(d time.Duration) func() {
	old := listenIdle
	listenIdle = d
	return func() { listenIdle = old }
}

// WithConnectTimeout exposes the DSN rule to the tests.
var WithConnectTimeout = withConnectTimeout

// MigrateBefore applies the migrations that come before the one whose file
// name contains name: the state of a database that upgrades to it.
func (s *Store) MigrateBefore(ctx context.Context, name string) error {
	p, _, err := s.provider()
	if err != nil {
		return err
	}
	for _, src := range p.ListSources() {
		if strings.Contains(src.Path, name) {
			_, err := p.UpTo(ctx, src.Version-1)
			return err
		}
	}
	return fmt.Errorf("no migration named %q", name)
}

// Exec runs raw SQL (rows as an older version of Holler wrote them).
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	return s.q(ctx).Exec(query, args...).Error
}

// SetNewRef makes conversation references come from refs, in order; the
// returned func restores random references.
func SetNewRef(refs ...string) func() {
	old := newRef
	newRef = func() string {
		r := refs[0]
		if len(refs) > 1 {
			refs = refs[1:]
		}
		return r
	}
	return func() { newRef = old }
}
