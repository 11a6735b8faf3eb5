package store

import (
	"context"
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
func useReaders(db *gorm.DB, dataDir string) (*sql.DB, error) {
	readers, err := sql.Open("sqlite", SQLiteReaderDSN(dataDir))
	if err != nil {
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	readers.SetMaxOpenConns(SQLiteReaders())
	readers.SetMaxIdleConns(SQLiteReaders())
	err = db.Use(dbresolver.Register(dbresolver.Config{
		Replicas: []gorm.Dialector{&sqlite.Dialector{Conn: readers}},
	}))
	if err != nil {
		_ = readers.Close()
		return nil, fmt.Errorf("sqlite readers: %w", err)
	}
	return readers, nil
}

// SQLiteReaderDSN is the read-only connections' connection string.
func SQLiteReaderDSN(dataDir string) string {
	return SQLiteDSN(dataDir) + "&_pragma=query_only(1)"
}

// SQLiteReaders is how many read-only connections the store keeps open.
func SQLiteReaders() int { return max(4, runtime.NumCPU()) }

// writerPragmas are the writer's own settings. The write-ahead log is
// copied into the database file by Checkpoint, called from a background
// loop on a reader connection, instead of by whichever commit crosses
// SQLite's default 1,000 pages: that commit, and every group commit
// queued behind it, waited for the copy and its fsync. The writer still
// checkpoints past 10,000 pages (40 MB), so a process that does not run
// the loop (a CLI command) keeps its log bounded.
const writerPragmas = "&_pragma=wal_autocheckpoint(10000)"

// Checkpoint copies the write-ahead log into the SQLite database file as
// far as no reader still needs it (PASSIVE: it never waits for or blocks
// the writer or readers), and returns the frames in the log and how many of
// them are now in the file. On PostgreSQL it does nothing.
func (s *Store) Checkpoint(ctx context.Context) (frames, copied int, err error) {
	if s.readers == nil {
		return 0, 0, nil
	}
	var busy int
	err = s.readers.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint: %w", translate(err))
	}
	return frames, copied, nil
}
