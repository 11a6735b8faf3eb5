// Package storetest gives tests a fresh database of each dialect: a new
// SQLite file, and a newly created PostgreSQL database that is dropped
// when the test ends.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for admin statements

	"holler/server/internal/store"
)

// DefaultPostgresURL is the local server every developer machine has.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Dialects lists the stores every store test runs against.
var Dialects = []string{store.DialectSQLite, store.DialectPostgres}

// Options returns store options for a fresh, empty database of dialect.
// PostgreSQL tests skip when no server answers, unless
// HOLLER_REQUIRE_POSTGRES=1 (CI), where they fail instead.
func Options(t testing.TB, dialect string) store.Options {
	t.Helper()
	if dialect == store.DialectSQLite {
		return store.Options{DataDir: t.TempDir()}
	}
	return store.Options{DatabaseURL: FreshPostgres(t)}
}

// FreshPostgres creates a database and returns its URL; it is dropped on cleanup.
func FreshPostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("HOLLER_TEST_POSTGRES_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		if os.Getenv("HOLLER_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL is required (HOLLER_REQUIRE_POSTGRES=1) but %s does not answer: %v", redact(base), err)
		}
		t.Skipf("skipping PostgreSQL test: %s does not answer (%v); set HOLLER_TEST_POSTGRES_URL", redact(base), err)
	}
	name := fmt.Sprintf("holler_t_%s", strings.ToLower(store.RandomToken(8)))
	name = strings.NewReplacer("-", "_").Replace(name)
	if _, err := admin.Exec("CREATE DATABASE " + pgx.Identifier{name}.Sanitize()); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

// DropPostgres drops a test database now (to simulate the store going away).
func DropPostgres(t testing.TB, dbURL string) {
	t.Helper()
	u, _ := url.Parse(dbURL)
	name := strings.TrimPrefix(u.Path, "/")
	base := os.Getenv("HOLLER_TEST_POSTGRES_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"); err != nil {
		t.Fatalf("drop database: %v", err)
	}
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "the PostgreSQL URL"
	}
	return p.Redacted()
}

// Open returns a migrated store of dialect, closed on cleanup.
func Open(t testing.TB, dialect string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, Options(t, dialect))
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", dialect, err)
	}
	return st
}

// Each runs fn once per dialect as a subtest.
func Each(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}
