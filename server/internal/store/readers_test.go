package store_test

import (
	"context"
	"testing"
	"time"

	"holler/server/internal/store"
	"holler/server/internal/storetest"
)

// TestReadsPassAnOpenTransaction: a read outside a transaction does not
// wait for a transaction in progress (SQLite's readers; PostgreSQL's pool),
// and sees what committed before it, not what the open transaction wrote.
func TestReadsPassAnOpenTransaction(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Open(t, d)
			site := newSite(t, st)
			inTx, release := make(chan struct{}), make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- st.InTx(ctx, func(tx *store.Store) error {
					s, err := tx.SiteByID(ctx, site.ID)
					if err != nil {
						return err
					}
					s.Name = "Renamed in the open transaction"
					if err := tx.SaveSite(ctx, s); err != nil {
						return err
					}
					close(inTx)
					<-release
					return nil
				})
			}()
			select {
			case <-inTx:
			case err := <-done:
				t.Fatalf("transaction ended early: %v", err)
			}
			// Were reads queued behind the transaction, this would wait for
			// release, which only comes after it: the bound turns that
			// deadlock into a failure.
			rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			got, err := st.SiteByID(rctx, site.ID)
			cancel()
			close(release)
			if err != nil {
				t.Fatalf("read beside an open transaction: %v", err)
			}
			if got.Name != site.Name {
				t.Fatalf("read %q before the transaction committed, want %q", got.Name, site.Name)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			after, err := st.SiteByID(ctx, site.ID)
			if err != nil || after.Name != "Renamed in the open transaction" {
				t.Fatalf("after commit: %+v, %v", after, err)
			}
		})
	}
}
