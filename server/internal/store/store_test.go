package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"holler/server/internal/model"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
)

// TestSchemasMatch proves the two dialects' migrations build the same
// tables with the same columns, so GORM queries work on both.
func TestSchemasMatch(t *testing.T) {
	ctx := context.Background()
	schemas := map[string]map[string][]string{}
	for _, d := range storetest.Dialects {
		tables, err := storetest.Open(t, d).Tables(ctx)
		if err != nil {
			t.Fatalf("%s tables: %v", d, err)
		}
		for name := range tables {
			sort.Strings(tables[name])
		}
		schemas[d] = tables
	}
	lite, pg := schemas[store.DialectSQLite], schemas[store.DialectPostgres]
	if len(lite) < 10 {
		t.Fatalf("sqlite has only %d tables: %v", len(lite), lite)
	}
	for name, cols := range lite {
		if fmt.Sprint(cols) != fmt.Sprint(pg[name]) {
			t.Errorf("table %s differs:\n sqlite   %v\n postgres %v", name, cols, pg[name])
		}
	}
	for name := range pg {
		if _, ok := lite[name]; !ok {
			t.Errorf("table %s exists only on postgres", name)
		}
	}
}

func newSite(t *testing.T, st *store.Store) *model.Site {
	t.Helper()
	s := &model.Site{Name: "Shop", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	if err := st.CreateSite(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEventSequenceUnderConcurrentWriters runs many writers at once and
// checks that every committed event has a unique seq, the seqs have no
// gaps, and a reader polling the log while they write never sees a seq
// appear behind one it already read (the property replay depends on).
func TestEventSequenceUnderConcurrentWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		ctx := context.Background()
		st := storetest.Open(t, d)
		site := newSite(t, st)
		const writers, each = 8, 25

		stop := make(chan struct{})
		var readerErr error
		var seen []int64
		var readerWG sync.WaitGroup
		readerWG.Add(1)
		go func() {
			defer readerWG.Done()
			var last int64
			for {
				// Whether the writers were done must be known before the
				// read starts: only a read that started after the last
				// commit is sure to see it, so only its empty answer means
				// the log is read to the end.
				final := false
				select {
				case <-stop:
					final = true
				default:
				}
				evs, err := st.Events(ctx, store.EventFilter{SiteID: site.ID, AfterSeq: last, Limit: 1000})
				if err != nil {
					readerErr = err
					return
				}
				for _, e := range evs {
					if e.Seq != last+1 {
						readerErr = fmt.Errorf("reader saw seq %d after %d: a gap that later filled would be missed", e.Seq, last)
						return
					}
					seen = append(seen, e.Seq)
					last = e.Seq
				}
				if final && len(evs) == 0 {
					return
				}
			}
		}()

		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					err := st.InTx(ctx, func(tx *store.Store) error {
						e := model.Event{SiteID: site.ID, Type: model.EventMessageCreated, ConversationID: fmt.Sprint(w)}
						return tx.AppendEvent(ctx, &e, map[string]int{"i": i}, map[string]int{"i": i})
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(stop) // every writer has committed
		readerWG.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("writer: %v", err)
		}
		if readerErr != nil {
			t.Fatal(readerErr)
		}
		if len(seen) != writers*each {
			t.Fatalf("reader saw %d events, want %d", len(seen), writers*each)
		}
		all, err := st.Events(ctx, store.EventFilter{SiteID: site.ID, Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range all {
			if e.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d", i, e.Seq)
			}
		}
		seqs, err := st.SiteSeqs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if seqs[site.ID] != writers*each {
			t.Fatalf("site seq %d, want %d", seqs[site.ID], writers*each)
		}
	})
}

// TestAppendEventNeedsTransaction: outside a transaction the seq could not
// be tied to the change it describes.
func TestAppendEventNeedsTransaction(t *testing.T) {
	st := storetest.Open(t, store.DialectSQLite)
	site := newSite(t, st)
	e := model.Event{SiteID: site.ID, Type: model.EventMessageCreated}
	if err := st.AppendEvent(context.Background(), &e, 1, 1); err == nil {
		t.Fatal("AppendEvent outside a transaction succeeded")
	}
}

// TestRolledBackEventLeavesNoGap: a failed transaction gives its seq back.
func TestRolledBackEventLeavesNoGap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		ctx := context.Background()
		st := storetest.Open(t, d)
		site := newSite(t, st)
		boom := errors.New("boom")
		err := st.InTx(ctx, func(tx *store.Store) error {
			e := model.Event{SiteID: site.ID, Type: model.EventMessageCreated}
			if err := tx.AppendEvent(ctx, &e, 1, 1); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		err = st.InTx(ctx, func(tx *store.Store) error {
			e := model.Event{SiteID: site.ID, Type: model.EventMessageCreated}
			return tx.AppendEvent(ctx, &e, 1, 1)
		})
		if err != nil {
			t.Fatal(err)
		}
		// Read after commit: on PostgreSQL events are numbered then.
		evs, err := st.Events(ctx, store.EventFilter{SiteID: site.ID})
		if err != nil || len(evs) != 1 || evs[0].Seq != 1 {
			t.Fatalf("events after rollback: %+v %v, want one with seq 1", evs, err)
		}
	})
}

// TestVisitorEventFilter: a visitor's replay holds only their own public events.
func TestVisitorEventFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		ctx := context.Background()
		st := storetest.Open(t, d)
		site := newSite(t, st)
		add := func(visitor string, internal bool) {
			err := st.InTx(ctx, func(tx *store.Store) error {
				e := model.Event{SiteID: site.ID, Type: model.EventMessageCreated, VisitorID: visitor, Internal: internal}
				return tx.AppendEvent(ctx, &e, map[string]string{"staff": "x"}, map[string]string{"public": "x"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		add("v1", false)
		add("v2", false)
		add("v1", true)
		add("v1", false)
		evs, err := st.Events(ctx, store.EventFilter{SiteID: site.ID, VisitorID: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Seq != 1 || evs[1].Seq != 4 {
			t.Fatalf("visitor v1 events: %+v", evs)
		}
		if evs[0].PublicData != `{"public":"x"}` {
			t.Fatalf("public data %q", evs[0].PublicData)
		}
	})
}
