package store

import (
	"database/sql"
	"fmt"
	"runtime"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"
)

// useReaders gives SQLite a pool of read-only connections beside its one
// writer. Every statement outside a transaction that only reads (GORM's
// queries, raw SELECTs) goes to the readers; writes and transactions stay
// on the writer. Without them a read waits for the one connection while a
// transaction holds it: a widget POST's site lookup queued behind the
// group commit it was about to join, so batches stayed small and the
// dashboards' reads stalled behind every write. In WAL mode readers never
// block the writer nor it them, and each read sees every transaction that
// committed before it began, so nothing written and acknowledged is
// missed.
func useReaders(db *gorm.DB, dsn string) (*sql.DB, error) {
	readers, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	readers.SetMaxOpenConns(max(4, runtime.NumCPU()))
	readers.SetMaxIdleConns(max(4, runtime.NumCPU()))
	err = db.Use(dbresolver.Register(dbresolver.Config{
		Replicas: []gorm.Dialector{&sqlite.Dialector{Conn: readers}},
	}))
	if err != nil {
		_ = readers.Close()
		return nil, fmt.Errorf("sqlite readers: %w", err)
	}
	return readers, nil
}
