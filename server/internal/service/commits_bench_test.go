package service_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/glebarez/sqlite" // the "sqlite" driver, the server's own
	_ "github.com/jackc/pgx/v5/stdlib"

	"holler/server/internal/config"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

const benchClients = 8

// BenchmarkSubmissions measures durable widget submissions per second, 8
// concurrent clients posting real requests to a real server, beside a plain
// single-row INSERT loop with 8 clients on the same database in the same
// run (the database's own limit on this machine). It reports both rates and
// their ratio ("x_insert"):
//
//	go test -run '^$' -bench Submissions -benchtime 4000x ./server/internal/service/
func BenchmarkSubmissions(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			s := testserver.Start(b, testserver.Options{Dialect: d, Configure: func(c *config.Config) { c.RateLimit = false }})
			db := openBenchDB(b, d, s.Config)
			inserts := rate(b.N, func(i int) error {
				_, err := db.Exec("INSERT INTO bench_insert (site_id, body, created_at) VALUES ($1, $2, $3)",
					s.DemoSite, fmt.Sprintf("row %d", i), time.Now().UTC())
				return err
			})
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
			url := s.URL + "/api/v1/widget/" + s.DemoKey + "/conversations"
			b.ResetTimer()
			posts := rate(b.N, func(i int) error {
				body := fmt.Sprintf(`{"kind":"complaint","message":"The parcel never arrived (%d) and nobody answers the phone."}`, i)
				resp, err := client.Post(url, "application/json", bytes.NewBufferString(body))
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					return fmt.Errorf("POST: %d", resp.StatusCode)
				}
				return nil
			})
			b.StopTimer()
			b.ReportMetric(posts, "submissions/s")
			b.ReportMetric(inserts, "inserts/s")
			b.ReportMetric(posts/inserts, "x_insert")
		})
	}
}

// rate runs n calls of fn spread over benchClients goroutines and returns
// calls per second.
func rate(n int, fn func(i int) error) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	start := time.Now()
	for c := 0; c < benchClients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		panic(firstErr)
	}
	return float64(n) / time.Since(start).Seconds()
}

// openBenchDB opens the server's own database with the same settings and
// creates the INSERT loop's table.
func openBenchDB(b *testing.B, d string, cfg config.Config) *sql.DB {
	driver, dsn, ddl := "pgx", cfg.DatabaseURL,
		"CREATE TABLE bench_insert (id BIGSERIAL PRIMARY KEY, site_id TEXT NOT NULL, body TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL)"
	if d == "sqlite" {
		driver, dsn = "sqlite", "file:"+filepath.Join(cfg.DataDir, "holler.db")+
			"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)"
		ddl = "CREATE TABLE bench_insert (id INTEGER PRIMARY KEY, site_id TEXT NOT NULL, body TEXT NOT NULL, created_at DATETIME NOT NULL)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(benchClients)
	db.SetMaxIdleConns(benchClients)
	if _, err := db.ExecContext(context.Background(), ddl); err != nil {
		b.Fatal(err)
	}
	return db
}
