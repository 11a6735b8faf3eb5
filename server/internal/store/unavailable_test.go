package store_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"holler/server/internal/dbproxy"
	"holler/server/internal/model"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
)

// openProxied opens a migrated PostgreSQL store whose connections go
// through a proxy the test can cut.
func openProxied(t *testing.T) (*store.Store, *dbproxy.Proxy) {
	t.Helper()
	proxy, url := dbproxy.For(t, storetest.FreshPostgres(t))
	st, err := store.Open(context.Background(), store.Options{DatabaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st, proxy
}

// TestStoreUnavailable: with the line to PostgreSQL refused or hanging,
// every kind of store call (a query, a transaction's begin, Ping, Notify)
// fails with model.ErrUnavailable, and within the store's own bounds; a
// transaction whose connection is reset before commit is unavailable too and
// leaves nothing behind. When the line returns the pool recovers by itself.
func TestStoreUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode dbproxy.Mode
	}{{"refuse", dbproxy.Refuse}, {"hang", dbproxy.Hang}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, proxy := openProxied(t)
			site := &model.Site{Name: "Shop"}
			if err := st.CreateSite(ctx, site); err != nil {
				t.Fatal(err)
			}

			notifier := st.Notifier()
			defer notifier.Close()
			proxy.Cut(tc.mode)
			calls := map[string]func() error{
				"query":  func() error { _, err := st.SiteByKey(ctx, site.Key); return err },
				"count":  func() error { _, err := st.CountSites(ctx); return err },
				"tx":     func() error { return st.InTx(ctx, func(tx *store.Store) error { return nil }) },
				"ping":   func() error { return st.Ping(ctx) },
				"notify": func() error { return notifier.Notify(ctx, "holler_test", "x") },
			}
			var wg sync.WaitGroup
			for name, call := range calls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := call(); !errors.Is(err, model.ErrUnavailable) {
						t.Errorf("%s with the database away: %v, want ErrUnavailable", name, err)
					}
				}()
			}
			wg.Wait()
			proxy.Restore()
			waitForStore(t, st)

			// Reset between the last statement and COMMIT: the commit fails
			// as unavailable, and the work was not committed.
			other := &model.Site{Name: "Cut before commit"}
			err := st.InTx(ctx, func(tx *store.Store) error {
				if err := tx.CreateSite(ctx, other); err != nil {
					return err
				}
				proxy.Cut(dbproxy.Refuse)
				return nil
			})
			if !errors.Is(err, model.ErrUnavailable) {
				t.Errorf("commit on a reset connection: %v, want ErrUnavailable", err)
			}
			proxy.Restore()
			waitForStore(t, st)
			if _, err := st.SiteByID(ctx, other.ID); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("the site of the failed commit: %v, want not found", err)
			}
		})
	}
}

// waitForStore polls until the store answers again; the deadline bounds a
// pool that never recovers, not how fast it does.
func waitForStore(t *testing.T, st *store.Store) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := st.CountSites(context.Background())
		if err == nil {
			return
		}
		if !errors.Is(err, model.ErrUnavailable) {
			t.Fatalf("while reconnecting: %v, want nil or ErrUnavailable", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store does not recover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestListenNoticesSilentConnection: a LISTEN connection to a database that
// stops answering without a reset (a partition) would wait forever, and this
// instance would stop hearing the others. Listen checks a quiet connection
// and returns ErrUnavailable so the broker reconnects; after the line returns
// a new Listen hears notifications again.
func TestListenNoticesSilentConnection(t *testing.T) {
	defer store.SetListenIdle(200 * time.Millisecond)()
	st, proxy := openProxied(t)
	ctx, cancel := context.WithCancel(context.Background())
	var listeners sync.WaitGroup
	defer listeners.Wait() // before listenIdle is restored
	defer cancel()
	listen := func() (<-chan error, <-chan string) {
		ready, heard, done := make(chan struct{}), make(chan string, 10), make(chan error, 1)
		listeners.Add(1)
		go func() {
			defer listeners.Done()
			done <- st.Listen(ctx, "holler_test", func() { close(ready) }, func(p string) { heard <- p })
		}()
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("listen: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("listen not ready within 30 s")
		}
		return done, heard
	}
	done, _ := listen()
	proxy.Cut(dbproxy.Hang)
	select {
	case err := <-done:
		if !errors.Is(err, model.ErrUnavailable) {
			t.Errorf("listen on a silent connection ended with %v, want ErrUnavailable", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("listen still waits on a connection that stopped answering")
	}
	proxy.Restore()
	waitForStore(t, st)
	done, heard := listen()
	notifier := st.Notifier()
	defer notifier.Close()
	if err := notifier.Notify(ctx, "holler_test", "back"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-heard:
		if p != "back" {
			t.Errorf("heard %q, want back", p)
		}
	case err := <-done:
		t.Fatalf("listen ended: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no notification after the line returned")
	}
}

// TestSQLiteLockedIsUnavailable: a second process on the same SQLite file
// (here a second store, as `holler user create` beside a running server)
// that waits out busy_timeout behind another's write gets ErrUnavailable, a
// retry-later answer, not an internal error.
func TestSQLiteLockedIsUnavailable(t *testing.T) {
	ctx := context.Background()
	opts := store.Options{DataDir: t.TempDir()}
	first, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := first.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	second, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()

	holding, release, held := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		held <- first.InTx(ctx, func(tx *store.Store) error {
			if err := tx.CreateSite(ctx, &model.Site{Name: "Holds the write lock"}); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	select {
	case <-holding:
	case err := <-held:
		t.Fatalf("first writer: %v", err)
	}
	err = second.CreateSite(ctx, &model.Site{Name: "Waits"})
	close(release)
	if !errors.Is(err, model.ErrUnavailable) {
		t.Errorf("a write behind another process's lock: %v, want ErrUnavailable", err)
	}
	if err := <-held; err != nil {
		t.Fatalf("first writer: %v", err)
	}
}

// TestTerminatedBackendIsUnavailable: PostgreSQL ends a session (an admin's
// pg_terminate_backend, a restart: SQLSTATE 57P01) in the middle of a
// transaction. The transaction fails with ErrUnavailable, and the store
// recovers by itself on fresh connections.
func TestTerminatedBackendIsUnavailable(t *testing.T) {
	ctx := context.Background()
	dbURL := storetest.FreshPostgres(t)
	st, err := store.Open(ctx, store.Options{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	u, _ := url.Parse(dbURL)
	err = st.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.CountSites(ctx); err != nil {
			return err
		}
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid()`, strings.TrimPrefix(u.Path, "/")).Scan(&n); err != nil || n == 0 {
			t.Fatalf("terminate backends: %d, %v", n, err)
		}
		_, err := tx.CountSites(ctx)
		return err
	})
	if !errors.Is(err, model.ErrUnavailable) {
		t.Errorf("a transaction whose session was terminated: %v, want ErrUnavailable", err)
	}
	// Other pooled connections of that database were ended too; each fails
	// at most once (unavailable) and is replaced.
	waitForStore(t, st)
	if err := st.InTx(ctx, func(tx *store.Store) error { return tx.CreateSite(ctx, &model.Site{Name: "After"}) }); err != nil {
		t.Errorf("a transaction once the store answers again: %v", err)
	}
}

// TestConnectTimeoutAdded: a PostgreSQL URL or keyword string without a
// connect timeout gets one, so a dial to a server that accepts and never
// answers ends; one the operator set is kept.
func TestConnectTimeoutAdded(t *testing.T) {
	t.Setenv("PGCONNECT_TIMEOUT", "")
	for in, want := range map[string]string{
		"postgres://u@db:5432/holler?sslmode=disable":                     "postgres://u@db:5432/holler?connect_timeout=5&sslmode=disable",
		"postgres://u@db:5432/holler?connect_timeout=2":                   "postgres://u@db:5432/holler?connect_timeout=2",
		"host=db user=u dbname=holler":                                    "host=db user=u dbname=holler connect_timeout=5",
		"host=db user=u dbname=holler connect_timeout=30 sslmode=disable": "host=db user=u dbname=holler connect_timeout=30 sslmode=disable",
	} {
		got, err := store.WithConnectTimeout(in)
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
}
