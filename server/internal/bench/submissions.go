package bench

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"

	_ "github.com/glebarez/go-sqlite" // the "sqlite" driver the store uses
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"holler/server/internal/store"
)

// submissions measures durable widget submissions per second with
// sc.writes clients, each waiting for its 201 before sending the next,
// beside a plain single-row INSERT loop with as many clients on the same
// database.
func (b *bench) submissions(ctx context.Context) error {
	base, err := b.insertLoop(ctx)
	if err != nil {
		return fmt.Errorf("INSERT loop: %w", err)
	}
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	commitNames := []string{"holler_commit_batches_total", "holler_commit_writes_total"}
	commitsBefore, cerr := b.client.counters(ctx, commitNames...)
	deadline := time.Now().Add(b.sc.submitFor)
	start := time.Now()
	cpu := b.main.cpuStart()
	g, gctx := errgroup.WithContext(ctx)
	for w := range b.sc.writes {
		g.Go(func() error {
			for seq := w; time.Now().Before(deadline) && gctx.Err() == nil; seq += b.sc.writes {
				if err := b.client.submit(gctx, "submit", seq); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
			}
			return nil
		})
	}
	_ = g.Wait()
	rate := float64(ok.Load()) / time.Since(start).Seconds()
	cpuNote := cpu.String()
	if cerr == nil {
		if after, err := b.client.counters(ctx, commitNames...); err == nil {
			batches := after[commitNames[0]] - commitsBefore[commitNames[0]]
			writes := after[commitNames[1]] - commitsBefore[commitNames[1]]
			if batches > 0 {
				cpuNote = joinNote(cpuNote, fmt.Sprintf("%.1f writes per group commit", writes/batches))
			}
		}
	}
	f := Figure{ID: "submissions", Name: fmt.Sprintf("durable submissions/s, %d clients", b.sc.writes), Value: rate, Unit: "/s",
		Baseline: base, BaselineLabel: "INSERT loop", Ratio: ratio(rate, base)}
	if b.storeKind == "postgres" {
		f.Target, f.Met = ">= 0.8x", b.target(f.Ratio >= 0.8)
	} else {
		f.Target, f.Met = ">= 5,000/s", b.target(rate >= 5000)
		f.Note = "the INSERT loop shares one connection between its clients, as the server's pool does"
	}
	f.Note = joinNote(cpuNote, f.Note)
	if n := failed.Load(); n > 0 {
		f.Note = joinNote(f.Note, fmt.Sprintf("%d submissions failed (first: %v)", n, firstErr.Load()))
	}
	b.add(f)
	return nil
}

func joinNote(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// insertLoop is the baseline: sc.writes clients each inserting one row
// per statement (one durable commit each) into a table of its own, for
// sc.submitFor. PostgreSQL through pgx; SQLite the server's file through
// the server's driver.
func (b *bench) insertLoop(ctx context.Context) (float64, error) {
	if b.storeKind == "postgres" {
		return b.insertLoopPostgres(ctx)
	}
	db, err := sql.Open("sqlite", store.SQLiteDSN(b.cfg.dataDir))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE bench_inserts (id INTEGER PRIMARY KEY AUTOINCREMENT,
		site_id TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL)`); err != nil {
		return 0, err
	}
	defer db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE bench_inserts")
	return b.loop(ctx, func(context.Context) (func(context.Context) error, func(), error) {
		return func(ctx context.Context) error {
			_, err := db.ExecContext(ctx, "INSERT INTO bench_inserts (site_id, body, created_at) VALUES (?, ?, ?)",
				b.client.siteID, "Where is my parcel? It was due on Monday.", time.Now().UTC().Format(time.RFC3339Nano))
			return err
		}, func() {}, nil
	})
}

func (b *bench) insertLoopPostgres(ctx context.Context) (float64, error) {
	setup, err := pgx.Connect(ctx, b.cfg.databaseURL)
	if err != nil {
		return 0, err
	}
	defer setup.Close(context.WithoutCancel(ctx))
	if _, err := setup.Exec(ctx, `CREATE TABLE bench_inserts (id bigserial PRIMARY KEY,
		site_id text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL)`); err != nil {
		return 0, err
	}
	defer setup.Exec(context.WithoutCancel(ctx), "DROP TABLE bench_inserts")
	return b.loop(ctx, func(ctx context.Context) (func(context.Context) error, func(), error) {
		conn, err := pgx.Connect(ctx, b.cfg.databaseURL)
		if err != nil {
			return nil, nil, err
		}
		return func(ctx context.Context) error {
				_, err := conn.Exec(ctx, "INSERT INTO bench_inserts (site_id, body, created_at) VALUES ($1, $2, $3)",
					b.client.siteID, "Where is my parcel? It was due on Monday.", time.Now().UTC())
				return err
			}, func() {
				conn.Close(context.WithoutCancel(ctx))
			}, nil
	})
}

// loop runs sc.writes workers, each made by open, calling its op for
// sc.submitFor, and returns the rate of successful calls.
func (b *bench) loop(ctx context.Context, open func(context.Context) (op func(context.Context) error, done func(), err error)) (float64, error) {
	ops := make([]func(context.Context) error, b.sc.writes)
	for i := range ops {
		op, done, err := open(ctx)
		if err != nil {
			return 0, err
		}
		defer done()
		ops[i] = op
	}
	return rateEach(ctx, ops, b.sc.submitFor)
}
