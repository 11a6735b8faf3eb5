package store

import (
	"path/filepath"

	"gorm.io/gorm"
)

// SQLiteDSN is the connection string of the embedded store in dataDir, for
// the glebarez "sqlite" database/sql driver. `holler bench` opens the same
// file with it to measure a plain INSERT loop beside the server.
func SQLiteDSN(dataDir string) string {
	// WAL with synchronous=FULL: a committed transaction survives a power
	// cut, which is what "acknowledged means durable" asks for. Temporary
	// storage in memory: group commit runs each write in a savepoint, whose
	// statement journal would otherwise be a temporary file written page by
	// page (two thirds of all writes to disk in the submissions bench); it
	// only ever undoes the savepoint, so it needs no durability.
	return "file:" + filepath.Join(dataDir, "holler.db") +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)" +
		"&_pragma=temp_store(MEMORY)"
}

// captureFunc receives one query as it was sent to the driver.
type captureFunc = func(sql string, args []any, rows int64)

// CaptureQueries calls fn with the SQL text and arguments of every query
// (SELECT) this store runs from now on, as sent to the driver, and the
// number of rows it read: those GORM runs and the hot reads that bypass it
// (readRows), until CaptureQueries(nil). `holler bench` uses it to run
// exactly the store's hot queries again without the store and compare the
// two, and stops capturing before it times them, so that the hook's cost
// (a copy of the arguments) is not counted against the store.
func (s *Store) CaptureQueries(fn func(sql string, args []any, rows int64)) error {
	if fn == nil {
		s.hook.Store(nil)
		return nil
	}
	s.hook.Store(&fn)
	var err error
	s.captureOnce.Do(func() {
		err = s.db.Callback().Query().After("gorm:query").Register("holler:capture", func(db *gorm.DB) {
			if fn := s.capture(); fn != nil {
				fn(db.Statement.SQL.String(), append([]any(nil), db.Statement.Vars...), db.RowsAffected)
			}
		})
	})
	return err
}

// capture is the hook CaptureQueries set, or nil.
func (s *Store) capture() captureFunc {
	if s.root != nil {
		s = s.root
	}
	if p := s.hook.Load(); p != nil {
		return *p
	}
	return nil
}
