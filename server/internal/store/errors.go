package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"holler/server/internal/model"
)

// translate maps driver errors to model errors. Every error that leaves the
// store passes through it (query methods, InTx's begin and commit, Ping,
// Listen), so a database that is away surfaces as model.ErrUnavailable and
// never as an unexplained internal error. It is idempotent.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, model.ErrUnavailable), errors.Is(err, model.ErrConflict), errors.Is(err, model.ErrNotFound):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return model.ErrNotFound
	case unavailable(err):
		return fmt.Errorf("%w: %w", model.ErrUnavailable, err)
	case errors.Is(err, gorm.ErrDuplicatedKey), pgCode(err) == "23505",
		strings.Contains(err.Error(), "UNIQUE constraint failed"):
		return fmt.Errorf("%w: %w", model.ErrConflict, err)
	}
	return err
}

// unavailable reports whether err says the database could not be reached or
// could not answer in time, rather than that the request itself was wrong:
// the client should retry the same request later.
func unavailable(err error) bool {
	// The caller gave up (a client closed its request, the server stops):
	// nothing is wrong with the database.
	if errors.Is(err, context.Canceled) {
		return false
	}
	// Our own deadlines (statementTimeout, txTimeout, connect_timeout, the
	// readiness probe's) mean the database did not answer in time.
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return true
	}
	if code := pgCode(err); code != "" {
		switch {
		case strings.HasPrefix(code, "08"): // connection exception
			return true
		case strings.HasPrefix(code, "57P"): // admin/crash shutdown, cannot connect now, idle session timeout
			return true
		case code == "53300": // too many connections
			return true
		}
		return false
	}
	var (
		connectErr *pgconn.ConnectError
		netErr     net.Error
	)
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return true
	}
	// SQLite never goes away, but a writer that waited out busy_timeout
	// behind another process's lock may succeed when retried. Matched on the
	// message so the rule holds whichever pure-Go SQLite driver is in use.
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "database table is locked") ||
		strings.Contains(msg, "SQLITE_BUSY")
}

// pgCode returns the SQLSTATE of a PostgreSQL server error, or "".
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
