package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// The hot reads (the inbox list, event replay) run outside GORM: its
// reflection and callbacks cost more than the query itself on a page of
// rows (issue 13). They are hand-written SELECTs with explicit columns,
// read on PostgreSQL with pgx's own scanning (binary results, no
// database/sql conversion) and elsewhere with database/sql's plain driver
// values, converted by hand.

// sqlText builds one statement and its arguments in the store's dialect.
// Fragments are written with ? placeholders, as for GORM; a []string
// argument stands for a list (for IN), like GORM's.
type sqlText struct {
	pg   bool
	b    strings.Builder
	args []any
}

func (s *Store) newSQL(head string) *sqlText {
	q := &sqlText{pg: s.dialect == DialectPostgres}
	q.b.Grow(512)
	q.b.WriteString(head)
	return q
}

// add appends frag with each ? replaced by the next of args.
func (q *sqlText) add(frag string, args ...any) {
	for _, a := range args {
		i := strings.IndexByte(frag, '?')
		if i < 0 {
			panic("store: more arguments than placeholders in " + frag)
		}
		q.b.WriteString(frag[:i])
		frag = frag[i+1:]
		if list, ok := a.([]string); ok {
			// An empty list matches nothing, as GORM's IN (NULL) does.
			if len(list) == 0 {
				q.b.WriteString("NULL")
			}
			for j, v := range list {
				if j > 0 {
					q.b.WriteByte(',')
				}
				q.placeholder(v)
			}
			continue
		}
		q.placeholder(a)
	}
	if strings.IndexByte(frag, '?') >= 0 {
		panic("store: fewer arguments than placeholders in " + frag)
	}
	q.b.WriteString(frag)
}

func (q *sqlText) placeholder(v any) {
	q.args = append(q.args, v)
	if q.pg {
		q.b.WriteByte('$')
		q.b.WriteString(strconv.Itoa(len(q.args)))
	} else {
		q.b.WriteByte('?')
	}
}

func (q *sqlText) String() string { return q.b.String() }

// rowReader reads one row into the last element of a result list: from
// pgx's rows on PostgreSQL, or from database/sql's driver values.
type rowReader[T any] struct {
	cols int
	// pgx points dest (cols long, reused from row to row, so scanning a row
	// allocates nothing but its values) at out's fields or at sc, and
	// finish completes out after the scan.
	pgx    func(dest []any, sc *scratch, out *T)
	finish func(sc *scratch, out *T) error
	values func(v *valueReader, out *T)
}

// scratch holds what a pgx scan reads before it is converted: JSON text,
// and nullable columns, which pgx would otherwise read into pointer fields
// by reflection, value by value.
type scratch struct {
	text   string
	texts  [2]pgtype.Text
	ints   [1]pgtype.Int8
	floats [1]pgtype.Float8
	times  [10]pgtype.Timestamptz
}

func textPtr(v pgtype.Text) *string {
	if !v.Valid {
		return nil
	}
	s := v.String // not &v.String, which would allocate v for NULLs too
	return &s
}

func intPtr(v pgtype.Int8) *int {
	if !v.Valid {
		return nil
	}
	n := int(v.Int64)
	return &n
}

func floatPtr(v pgtype.Float8) *float64 {
	if !v.Valid {
		return nil
	}
	f := v.Float64
	return &f
}

// timePtr is v in UTC, or nil for NULL.
func timePtr(v pgtype.Timestamptz) *time.Time {
	if !v.Valid {
		return nil
	}
	t := v.Time.UTC()
	return &t
}

// readRows runs a SELECT built by q and reads its rows with rr. size is the
// capacity to start the list with (the page size). The statement is
// reported to the capture hook, like a GORM query. Errors are not
// translated or wrapped: the caller does both.
func readRows[T any](ctx context.Context, s *Store, q *sqlText, size int, rr rowReader[T]) ([]T, error) {
	out := make([]T, 0, size)
	query, args := q.String(), q.args
	var err error
	switch pool := s.db.Statement.ConnPool.(type) {
	case *sql.DB:
		ctx, cancel := s.bounded(ctx, statementTimeout)
		defer cancel()
		switch {
		case s.dialect == DialectPostgres:
			out, err = readPgx(ctx, pool, query, args, out, rr)
		case s.readers != nil:
			// Like GORM's reads outside a transaction (see useReaders).
			out, err = readSQL(ctx, s.readers, query, args, out, rr)
		default:
			out, err = readSQL(ctx, pool, query, args, out, rr)
		}
	case gorm.ConnPool:
		// A transaction (*sql.Tx): its connection is taken, so it is read
		// through database/sql. InTx bounds its context.
		out, err = readSQL(ctx, pool, query, args, out, rr)
	default:
		err = fmt.Errorf("store: no connection pool")
	}
	if err != nil {
		return nil, err
	}
	if fn := s.capture(); fn != nil {
		fn(query, append([]any(nil), args...), int64(len(out)))
	}
	return out, nil
}

// readPgx runs the query on one pooled connection with pgx itself. A query
// that failed before anything reached the server (a pooled connection
// found dead) is tried again on another connection, as database/sql does
// for its own queries.
func readPgx[T any](ctx context.Context, pool *sql.DB, query string, args []any, out []T, rr rowReader[T]) ([]T, error) {
	for attempt := 0; ; attempt++ {
		res, err := readPgxOnce(ctx, pool, query, args, out, rr)
		if err == nil || attempt == 2 || !pgconn.SafeToRetry(err) || len(res) > 0 {
			return res, err
		}
	}
}

func readPgxOnce[T any](ctx context.Context, pool *sql.DB, query string, args []any, out []T, rr rowReader[T]) ([]T, error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: PostgreSQL connection is a %T, not pgx's", dc)
		}
		rows, err := sc.Conn().Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]any, rr.cols)
		var (
			tmp  scratch
			zero T
		)
		for rows.Next() {
			out = append(out, zero)
			row := &out[len(out)-1]
			rr.pgx(dest, &tmp, row)
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if err := rr.finish(&tmp, row); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return out, err
}

// queryer is a *sql.DB or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readSQL[T any](ctx context.Context, db queryer, query string, args []any, out []T, rr rowReader[T]) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Scanning into *any takes each value as the driver made it, with no
	// conversion by reflection; valueReader converts it to the field's type.
	vals := make([]any, rr.cols)
	dest := make([]any, rr.cols)
	for i := range vals {
		dest[i] = &vals[i]
	}
	vr := &valueReader{vals: vals}
	var zero T
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, zero)
		vr.i = 0
		rr.values(vr, &out[len(out)-1])
		if vr.err != nil {
			return nil, vr.err
		}
	}
	return out, rows.Err()
}

// valueReader converts one row of database/sql driver values, column by
// column in order, keeping the first error.
type valueReader struct {
	vals []any
	i    int
	err  error
}

func (r *valueReader) next() any {
	v := r.vals[r.i]
	r.i++
	return v
}

func (r *valueReader) fail(want string, v any) {
	if r.err == nil {
		r.err = fmt.Errorf("store: column %d: want %s, got %T", r.i-1, want, v)
	}
}

func (r *valueReader) text() string {
	switch v := r.next().(type) {
	case string:
		return v
	case []byte:
		return string(v)
	default:
		r.fail("text", v)
		return ""
	}
}

func (r *valueReader) nullText() *string {
	if r.vals[r.i] == nil {
		r.i++
		return nil
	}
	s := r.text()
	return &s
}

func (r *valueReader) int64() int64 {
	switch v := r.next().(type) {
	case int64:
		return v
	default:
		r.fail("integer", v)
		return 0
	}
}

func (r *valueReader) nullInt() *int {
	if r.vals[r.i] == nil {
		r.i++
		return nil
	}
	n := int(r.int64())
	return &n
}

func (r *valueReader) float() float64 {
	switch v := r.next().(type) {
	case float64:
		return v
	case int64: // SQLite may hand back a whole REAL as an integer
		return float64(v)
	default:
		r.fail("number", v)
		return 0
	}
}

func (r *valueReader) nullFloat() *float64 {
	if r.vals[r.i] == nil {
		r.i++
		return nil
	}
	f := r.float()
	return &f
}

func (r *valueReader) bool() bool {
	switch v := r.next().(type) {
	case bool:
		return v
	case int64: // SQLite's booleans are 0 and 1
		return v != 0
	default:
		r.fail("boolean", v)
		return false
	}
}

// time reads a timestamp in UTC. SQLite's driver parses the text of a
// DATETIME column itself; text it could not parse arrives as a string.
func (r *valueReader) time() time.Time {
	switch v := r.next().(type) {
	case time.Time:
		return v.UTC()
	default:
		r.fail("timestamp", v)
		return time.Time{}
	}
}

func (r *valueReader) nullTime() *time.Time {
	if r.vals[r.i] == nil {
		r.i++
		return nil
	}
	t := r.time()
	return &t
}
