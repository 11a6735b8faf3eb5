package model

import (
	"errors"
	"fmt"
)

// Domain errors. The HTTP layer maps them to statuses in one place.
var (
	ErrNotFound         = errors.New("not found")
	ErrConflict         = errors.New("conflict")
	ErrUnauthorized     = errors.New("unauthorized")
	ErrForbidden        = errors.New("forbidden")
	ErrOriginNotAllowed = errors.New("origin not allowed")
	ErrRateLimited      = errors.New("rate limited")
	ErrIdempotencyReuse = errors.New("idempotency key reused with a different request")
	ErrIdempotencyBusy  = errors.New("a request with this idempotency key is in progress")
	// ErrUnavailable: the database is unreachable, too slow or restarting.
	// Nothing was acknowledged; the same request may be retried later.
	ErrUnavailable = errors.New("the database is unavailable")
	// ErrTokenExpired: a conversation token that verified but is past its
	// expiry, on an API route (401 token_expired: the page tells the customer
	// to use the newest mail's link instead of retrying).
	ErrTokenExpired = errors.New("token expired")
	// ErrLinkExpired: the same, for the conversation page itself (410 Gone:
	// the link was right once, and no retry will bring it back).
	ErrLinkExpired = errors.New("link expired")
)

// Refusals of a customer's email reply (webhook and SMTP listener alike).
// Nothing of a refused mail is stored.
var (
	ErrReplyAddressUnknown = errors.New("no reply address of ours among the recipients")
	ErrReplyTokenInvalid   = errors.New("the reply address does not verify")
	ErrReplyTokenExpired   = errors.New("the reply address has expired")
	ErrReplyEmpty          = errors.New("the mail has no text of its own above the quoted message")
	ErrMailMalformed       = errors.New("the mail cannot be read as an RFC 5322 message")
)

// ValidationError lists what is wrong with each field of a request.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid input: %v", e.Fields)
}

// Validator collects field errors; Err returns nil when there are none.
type Validator struct{ fields map[string]string }

// Add records a problem with a field; the first problem per field wins.
func (v *Validator) Add(field, problem string) {
	if v.fields == nil {
		v.fields = map[string]string{}
	}
	if _, ok := v.fields[field]; !ok {
		v.fields[field] = problem
	}
}

// Err returns a *ValidationError or nil.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: v.fields}
}

// RateLimitError tells the client when to retry.
type RateLimitError struct {
	RetryAfterSeconds int
}

func (e *RateLimitError) Error() string { return "rate limited" }
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// ConflictError is a conflict with a specific, client-facing reason.
type ConflictError struct {
	Code    string
	Message string
}

func (e *ConflictError) Error() string { return e.Message }
func (e *ConflictError) Unwrap() error { return ErrConflict }
