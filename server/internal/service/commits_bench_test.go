package service_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
			cpu := cpuMeter(b, d, db)
			inserts := rate(b.N, func(i int) error {
				_, err := db.Exec("INSERT INTO bench_insert (site_id, body, created_at) VALUES ($1, $2, $3)",
					s.DemoSite, fmt.Sprintf("row %d", i), time.Now().UTC())
				return err
			})
			insertGo, insertPG := cpu()
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
			postGo, postPG := cpu()
			b.ReportMetric(posts, "submissions/s")
			b.ReportMetric(inserts, "inserts/s")
			b.ReportMetric(posts/inserts, "x_insert")
			// CPU per operation, of this process (server and clients) and of
			// the database's backends: on a machine whose cores are the
			// bound, their ratio is the ceiling of x_insert.
			per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
			b.ReportMetric(per(insertGo), "insert_go_cpu_us")
			b.ReportMetric(per(insertPG), "insert_db_cpu_us")
			b.ReportMetric(per(postGo), "submit_go_cpu_us")
			b.ReportMetric(per(postPG), "submit_db_cpu_us")
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

// cpuMeter returns a function that reports the CPU time this process and
// the PostgreSQL backends of db's database used since the last call.
func cpuMeter(b *testing.B, d string, db *sql.DB) func() (self, backends time.Duration) {
	self := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	backends := func() time.Duration {
		if d != "postgres" {
			return 0 // SQLite runs inside this process
		}
		rows, err := db.Query("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		var total time.Duration
		for rows.Next() {
			var pid int
			if rows.Scan(&pid) != nil {
				continue
			}
			raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if err != nil {
				continue // the backend ended
			}
			// utime and stime are fields 14 and 15, after the ")" that ends
			// the command name.
			f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
			ut, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			total += time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
		}
		return total
	}
	lastSelf, lastDB := self(), backends()
	return func() (time.Duration, time.Duration) {
		s, db := self(), backends()
		ds, ddb := s-lastSelf, db-lastDB
		lastSelf, lastDB = s, db
		return ds, ddb
	}
}
