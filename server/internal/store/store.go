// Package store is Holler's persistence: it opens SQLite or PostgreSQL with
// GORM, applies the goose migrations and answers queries. *gorm.DB never
// leaves this package; callers see domain types and model errors.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"holler/migrations"
	"holler/server/internal/model"
)

// Dialects.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Store wraps one database handle. Within InTx the same type is bound to the
// transaction, so every query method works inside and outside transactions.
type Store struct {
	db      *gorm.DB
	dialect string
	dsn     string
	root    *Store              // the non-transactional store; nil on the root itself
	seq     *sequencer          // numbers events after commit (PostgreSQL root only)
	readers *sql.DB             // SQLite's read-only connections (root only)
	pending map[string]struct{} // sites this transaction queued events for
	shared  map[sharedKey]any   // site settings read once per batch (ShareReads)

	hook        atomic.Pointer[captureFunc] // what CaptureQueries set (root only)
	captureOnce sync.Once                   // registers the GORM side of the hook
}

// Options selects the database: DatabaseURL (PostgreSQL) or DataDir (SQLite).
type Options struct {
	DatabaseURL string
	DataDir     string
	Logger      *slog.Logger
}

// Bounds on waiting for PostgreSQL. A database that stops answering (a
// network partition, a stalled server) would otherwise hold every request,
// and every pooled connection, forever; past these bounds a call fails with
// model.ErrUnavailable and the client retries. They are generous so that a
// loaded but healthy database never trips them. SQLite is local and has its
// own busy_timeout, so it is not bounded here.
const (
	connectTimeout   = 5 * time.Second  // dialling and authenticating one connection
	statementTimeout = 10 * time.Second // one statement outside a transaction, including the wait for a pooled connection
	txTimeout        = 15 * time.Second // one whole transaction, begin to commit
)

// Open connects to the configured database. It does not migrate.
func Open(ctx context.Context, o Options) (*Store, error) {
	gcfg := &gorm.Config{
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		SkipDefaultTransaction: true,
		TranslateError:         true,
	}
	var (
		db      *gorm.DB
		err     error
		dialect string
		dsn     string
	)
	if o.DatabaseURL != "" {
		dialect = DialectPostgres
		if dsn, err = withConnectTimeout(o.DatabaseURL); err != nil {
			return nil, fmt.Errorf("database URL: %w", err)
		}
		// Applies to statements whose context has no deadline yet; InTx
		// sets its own, which its statements inherit.
		gcfg.DefaultContextTimeout = statementTimeout
		db, err = gorm.Open(postgres.Open(dsn), gcfg)
	} else {
		dialect = DialectSQLite
		if err := os.MkdirAll(o.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		dsn = SQLiteDSN(o.DataDir)
		db, err = gorm.Open(sqlite.Open(dsn+writerPragmas), gcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dialect, err)
	}
	if dialect == DialectSQLite {
		// One connection serialises writers, which SQLite needs anyway, and
		// rules out SQLITE_BUSY on lock upgrades inside transactions.
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(10)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect %s: %w", dialect, translate(err))
	}
	st := &Store{db: db, dialect: dialect, dsn: dsn}
	if dialect == DialectSQLite {
		if st.readers, err = useReaders(db, o.DataDir); err != nil {
			_ = sqlDB.Close()
			return nil, err
		}
	}
	if dialect == DialectPostgres {
		st.seq = &sequencer{st: st, sites: map[string]*seqSite{}}
	}
	return st, nil
}

// withConnectTimeout adds connect_timeout to a PostgreSQL connection string
// that sets none (neither in the string nor in PGCONNECT_TIMEOUT): without
// it a dial to a server that accepts but never answers waits forever.
func withConnectTimeout(dsn string) (string, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "", err
	}
	if cfg.ConnectTimeout > 0 {
		return dsn, nil
	}
	secs := strconv.Itoa(int(connectTimeout / time.Second))
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return strings.TrimSpace(dsn) + " connect_timeout=" + secs, nil // keyword/value form
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("connect_timeout", secs)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// bounded gives ctx the deadline d on PostgreSQL unless it has one already.
func (s *Store) bounded(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || s.dialect != DialectPostgres {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Close releases the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if s.readers != nil {
		_ = s.readers.Close() // only ever read: nothing to lose
	}
	return sqlDB.Close()
}

// Ping answers whether the database responds; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	ctx, cancel := s.bounded(ctx, statementTimeout)
	defer cancel()
	return translate(sqlDB.PingContext(ctx))
}

func (s *Store) provider() (*goose.Provider, *sql.DB, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, nil, err
	}
	sub, err := fs.Sub(migrations.FS, s.dialect)
	if err != nil {
		return nil, nil, err
	}
	var opts []goose.ProviderOption
	dialect := goose.DialectSQLite3
	if s.dialect == DialectPostgres {
		dialect = goose.DialectPostgres
		// A session advisory lock keeps replicas starting together from
		// applying the same migration twice.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, sqlDB, sub, opts...)
	return p, sqlDB, err
}

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	p, _, err := s.provider()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate up: %w", translate(err))
	}
	var applied []string
	for _, r := range res {
		applied = append(applied, r.Source.Path)
	}
	return applied, nil
}

// MigrationStatus lists each migration and whether it is applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]string, error) {
	p, _, err := s.provider()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", translate(err))
	}
	var out []string
	for _, m := range st {
		when := "pending"
		if m.State == goose.StateApplied {
			when = "applied " + m.AppliedAt.UTC().Format(time.RFC3339)
		}
		out = append(out, fmt.Sprintf("%-28s %s", filepath.Base(m.Source.Path), when))
	}
	return out, nil
}

// InTx runs fn in one transaction: committed if fn returns nil, rolled back
// otherwise. The *Store given to fn is bound to the transaction. On
// PostgreSQL, the events fn appended are numbered when InTx returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.root != nil { // already in a transaction: join it
		return fn(s)
	}
	txCtx, cancel := s.bounded(ctx, txTimeout)
	defer cancel()
	// Begin and commit errors come straight from the driver, and fn's own
	// may too: translate them here so none leaves the store unclassified.
	// A commit whose answer was lost is unavailable as well: the work may or
	// may not be committed, which an Idempotency-Key retry resolves.
	var txs *Store
	err := s.db.WithContext(txCtx).Transaction(func(gtx *gorm.DB) error {
		txs = &Store{db: gtx, dialect: s.dialect, dsn: s.dsn, root: s}
		return fn(txs)
	})
	if err != nil && errors.Is(txCtx.Err(), context.DeadlineExceeded) {
		// database/sql rolled the transaction back at the deadline; what fn
		// saw then may only be "transaction has already been rolled back".
		return fmt.Errorf("%w: transaction not done in time: %w", model.ErrUnavailable, err)
	}
	if err == nil && len(txs.pending) > 0 && s.seq != nil {
		s.seq.await(ctx, slices.Collect(maps.Keys(txs.pending)))
	}
	return translate(err)
}

func (s *Store) q(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// Tables lists the user tables and their columns, for the schema test and
// `holler migrate status`.
func (s *Store) Tables(ctx context.Context) (map[string][]string, error) {
	tables, err := s.db.WithContext(ctx).Migrator().GetTables()
	if err != nil {
		return nil, translate(err)
	}
	out := map[string][]string{}
	for _, t := range tables {
		if t == "goose_db_version" || strings.HasPrefix(t, "sqlite_") {
			continue
		}
		cols, err := s.db.WithContext(ctx).Migrator().ColumnTypes(t)
		if err != nil {
			return nil, translate(err)
		}
		for _, c := range cols {
			out[t] = append(out[t], c.Name())
		}
	}
	return out, nil
}

// Exclusive runs fn in a transaction that holds a database-wide lock named
// name (a PostgreSQL advisory lock; SQLite serialises writers anyway), so
// replicas starting together do the first-run setup once.
func (s *Store) Exclusive(ctx context.Context, name string, fn func(tx *Store) error) error {
	return s.InTx(ctx, func(tx *Store) error {
		if tx.dialect == DialectPostgres {
			if err := tx.q(ctx).Exec("SELECT pg_advisory_xact_lock(hashtext(?))", name).Error; err != nil {
				return fmt.Errorf("advisory lock %s: %w", name, translate(err))
			}
		}
		return fn(tx)
	})
}
