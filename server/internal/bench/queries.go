package bench

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/sync/errgroup"

	"holler/server/internal/store"
)

// captured is one statement as the store sent it to the driver.
type captured struct {
	sql  string
	args []any
	rows int64
}

// queries compares the store's hot reads with the very same statements
// (captured from the store as it runs them) sent with plain pgx
// (database/sql on SQLite, the store's own driver), scanning every column
// into a typed value. Both run in this process with the same number of
// workers. A figure under 0.9x is profiled. The figures keep the name
// "GORM" (issue 13 asks for GORM against plain): since that issue the store
// runs these reads outside GORM (store/scan.go), and the figure measures
// what the store's own read path costs over the bare driver.
func (b *bench) queries(ctx context.Context) error {
	st, err := store.Open(ctx, store.Options{DatabaseURL: b.cfg.databaseURL, DataDir: b.cfg.dataDir})
	if err != nil {
		return err
	}
	defer st.Close()
	site := b.client.siteID
	hot := []struct {
		id, name string
		run      func(context.Context) error
	}{
		{"gorm_inbox", "inbox list, 50 rows", func(ctx context.Context) error {
			_, _, err := st.ListConversations(ctx, store.ConversationFilter{SiteIDs: []string{site}, Limit: 50})
			return err
		}},
		{"gorm_replay", "event replay, 500 rows", func(ctx context.Context) error {
			_, err := st.Events(ctx, store.EventFilter{SiteID: site, Limit: 500})
			return err
		}},
	}
	if err := b.seed(ctx, st, site); err != nil {
		return err
	}
	plain, label, err := b.openPlain(ctx)
	if err != nil {
		return err
	}
	defer plain.close()
	workers := 2 * runtime.NumCPU()
	for _, q := range hot {
		// Capture one run's statements; the timed runs go uncaptured.
		var (
			mu    sync.Mutex
			stmts []captured
		)
		if err := st.CaptureQueries(func(sql string, args []any, rows int64) {
			mu.Lock()
			defer mu.Unlock()
			stmts = append(stmts, captured{sql, args, rows})
		}); err != nil {
			return err
		}
		err := q.run(ctx)
		_ = st.CaptureQueries(nil)
		if err != nil {
			return fmt.Errorf("%s: %w", q.name, err)
		}
		if len(stmts) == 0 {
			return fmt.Errorf("%s: the store ran no query", q.name)
		}
		runPlain := func(ctx context.Context) error {
			for _, s := range stmts {
				if _, err := plain.query(ctx, s.sql, s.args); err != nil {
					return err
				}
			}
			return nil
		}
		// The plain run must read what GORM read, or it measures less work.
		for _, s := range stmts {
			if n, err := plain.query(ctx, s.sql, s.args); err != nil || n != s.rows || n == 0 {
				return fmt.Errorf("%s: the plain statement read %d rows (%v), GORM %d", q.name, n, err, s.rows)
			}
		}
		warm := b.sc.queryFor / 5
		if _, err := rate(ctx, workers, warm, runPlain); err != nil {
			return fmt.Errorf("%s (%s): %w", q.name, label, err)
		}
		if _, err := rate(ctx, workers, warm, q.run); err != nil {
			return fmt.Errorf("%s (GORM): %w", q.name, err)
		}
		pr, err := rate(ctx, workers, b.sc.queryFor, runPlain)
		if err != nil {
			return fmt.Errorf("%s (%s): %w", q.name, label, err)
		}
		gr, err := rate(ctx, workers, b.sc.queryFor, q.run)
		if err != nil {
			return fmt.Errorf("%s (GORM): %w", q.name, err)
		}
		f := Figure{ID: q.id, Name: "GORM: " + q.name, Value: gr, Unit: "/s", Baseline: pr, BaselineLabel: label,
			Ratio: ratio(gr, pr), Target: ">= 0.9x", Met: b.target(ratio(gr, pr) >= 0.9)}
		if f.Ratio < 0.9 && !b.quick {
			f.Note = profileNote(ctx, workers, max(b.sc.queryFor, 2*time.Second), q.run, q.name)
		}
		b.add(f)
	}
	return nil
}

// rate runs fn on workers goroutines for d and returns calls per second.
func rate(ctx context.Context, workers int, d time.Duration, fn func(context.Context) error) (float64, error) {
	fns := make([]func(context.Context) error, workers)
	for i := range fns {
		fns[i] = fn
	}
	return rateEach(ctx, fns, d)
}

// rateEach runs each of fns on a goroutine of its own, over and over, for
// d and returns the calls per second of them all.
func rateEach(ctx context.Context, fns []func(context.Context) error, d time.Duration) (float64, error) {
	var n atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for _, fn := range fns {
		g.Go(func() error {
			for time.Now().Before(deadline) {
				if err := fn(gctx); err != nil {
					return err
				}
				n.Add(1)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// plainDB runs a captured statement without GORM and reads every row.
type plainDB struct {
	query func(ctx context.Context, sql string, args []any) (rows int64, err error)
	close func()
}

func (b *bench) openPlain(ctx context.Context) (*plainDB, string, error) {
	if b.storeKind == "postgres" {
		return openPgx(ctx, b.cfg.databaseURL)
	}
	db, err := sql.Open("sqlite", store.SQLiteReaderDSN(b.cfg.dataDir))
	if err != nil {
		return nil, "", err
	}
	// As many read-only connections as the store reads with on SQLite.
	db.SetMaxOpenConns(store.SQLiteReaders())
	return &plainDB{
		query: func(ctx context.Context, q string, args []any) (int64, error) {
			rows, err := db.QueryContext(ctx, q, args...)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			cols, err := rows.Columns()
			if err != nil {
				return 0, err
			}
			vals := make([]any, len(cols))
			dest := make([]any, len(cols))
			for i := range vals {
				dest[i] = &vals[i]
			}
			return scanAll(rows, dest)
		},
		close: func() { db.Close() },
	}, "database/sql", nil
}

// openPgx gives each worker goroutine its connection from a small set;
// statements are prepared and cached per connection, as GORM's pgx does.
func openPgx(ctx context.Context, url string) (*plainDB, string, error) {
	conns := make(chan *pgx.Conn, 2*runtime.NumCPU())
	var all []*pgx.Conn
	closeAll := func() {
		for _, c := range all {
			c.Close(context.WithoutCancel(ctx))
		}
	}
	for range cap(conns) {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			closeAll()
			return nil, "", err
		}
		all = append(all, c)
		conns <- c
	}
	return &plainDB{
		query: func(ctx context.Context, q string, args []any) (int64, error) {
			c := <-conns
			defer func() { conns <- c }()
			rows, err := c.Query(ctx, q, args...)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			return scanAll(rows, typedDest(rows.FieldDescriptions()))
		},
		close: closeAll,
	}, "pgx", nil
}

// rows is what database/sql's and pgx's result sets have in common.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// scanAll reads every row into dest and counts them.
func scanAll(r rows, dest []any) (int64, error) {
	var n int64
	for r.Next() {
		if err := r.Scan(dest...); err != nil {
			return n, err
		}
		n++
	}
	return n, r.Err()
}

// typedDest is one typed destination per column, as hand-written code
// scanning into a struct would use.
func typedDest(fields []pgconn.FieldDescription) []any {
	dest := make([]any, len(fields))
	for i, f := range fields {
		switch f.DataTypeOID {
		case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.UUIDOID:
			dest[i] = new(pgtype.Text)
		case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
			dest[i] = new(pgtype.Int8)
		case pgtype.Float4OID, pgtype.Float8OID:
			dest[i] = new(pgtype.Float8)
		case pgtype.BoolOID:
			dest[i] = new(pgtype.Bool)
		case pgtype.TimestamptzOID:
			dest[i] = new(pgtype.Timestamptz)
		case pgtype.TimestampOID:
			dest[i] = new(pgtype.Timestamp)
		case pgtype.JSONOID, pgtype.JSONBOID, pgtype.ByteaOID:
			dest[i] = new([]byte)
		default:
			dest[i] = new(any)
		}
	}
	return dest
}

// seed files submissions until the hot queries read full pages (a run
// with --only queries starts on an almost empty database). A quick run
// reads what there is.
func (b *bench) seed(ctx context.Context, st *store.Store, site string) error {
	if b.quick {
		return nil
	}
	events, err := st.Events(ctx, store.EventFilter{SiteID: site, Limit: 500})
	if err != nil || len(events) >= 500 {
		return err
	}
	log := newSendLog("seed", 500)
	for i := 0; i < 500; i += 50 {
		if _, err := offer(ctx, b.client, log, 50, 0); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return nil
}
