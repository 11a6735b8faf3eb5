package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"holler/server/internal/model"
)

// apiError is the contract's error body.
type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// errorBody wraps apiError as {"error": {...}}.
type errorBody struct {
	Error apiError `json:"error"`
}

// httpError is an error that already knows its status and code.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(code, msg string) error { return &httpError{http.StatusBadRequest, code, msg} }

// unavailableRetryAfter is the Retry-After (seconds) of a 503: long enough
// for a restarting database or a reconnecting pool, short enough that a
// customer's queued message goes out soon after.
const unavailableRetryAfter = 5

// statusClientClosedRequest is nginx's status for a request its client
// abandoned; no standard one exists.
const statusClientClosedRequest = 499

// toHTTP is the one place domain errors become statuses.
func toHTTP(err error) (int, apiError, int) {
	var (
		he  *httpError
		ve  *model.ValidationError
		rl  *model.RateLimitError
		ee  *echo.HTTPError
		mbe *http.MaxBytesError
		ce  *model.ConflictError
	)
	switch {
	case errors.As(err, &he):
		return he.status, apiError{Code: he.code, Message: he.msg}, 0
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity, apiError{Code: "validation_failed", Message: "Some fields are not valid.", Fields: ve.Fields}, 0
	case errors.As(err, &rl):
		return http.StatusTooManyRequests, apiError{Code: "rate_limited", Message: "Too many requests; try again in " + strconv.Itoa(rl.RetryAfterSeconds) + " s."}, rl.RetryAfterSeconds
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, apiError{Code: "body_too_large", Message: "The request body is too large."}, 0
	case errors.Is(err, model.ErrNotFound):
		return http.StatusNotFound, apiError{Code: "not_found", Message: "Not found."}, 0
	case errors.Is(err, model.ErrOriginNotAllowed):
		return http.StatusForbidden, apiError{Code: "origin_not_allowed", Message: "This site does not allow requests from this origin."}, 0
	case errors.Is(err, model.ErrIdempotencyReuse):
		return http.StatusUnprocessableEntity, apiError{Code: "idempotency_key_reused", Message: "This Idempotency-Key was used with a different request."}, 0
	case errors.Is(err, model.ErrIdempotencyBusy):
		return http.StatusConflict, apiError{Code: "idempotency_key_in_use", Message: "A request with this Idempotency-Key is in progress; retry shortly."}, 0
	case errors.As(err, &ce):
		return http.StatusConflict, apiError{Code: ce.Code, Message: ce.Message}, 0
	case errors.Is(err, model.ErrConflict):
		return http.StatusConflict, apiError{Code: "conflict", Message: "This conflicts with existing data."}, 0
	case errors.Is(err, model.ErrTokenExpired):
		return http.StatusUnauthorized, apiError{Code: "token_expired", Message: "This conversation link has expired; use the link in the newest email about it."}, 0
	case errors.Is(err, model.ErrLinkExpired):
		return http.StatusGone, apiError{Code: "link_expired", Message: "This conversation link has expired."}, 0
	case errors.Is(err, model.ErrUnauthorized):
		return http.StatusUnauthorized, apiError{Code: "unauthorized", Message: "Missing or invalid credentials."}, 0
	case errors.Is(err, model.ErrForbidden):
		return http.StatusForbidden, apiError{Code: "forbidden", Message: "You may not do this."}, 0
	case errors.Is(err, model.ErrReplyTokenInvalid):
		return http.StatusUnprocessableEntity, apiError{Code: "token_invalid", Message: "The reply address does not verify."}, 0
	case errors.Is(err, model.ErrReplyTokenExpired):
		return http.StatusUnprocessableEntity, apiError{Code: "token_expired", Message: "The reply address has expired."}, 0
	case errors.Is(err, model.ErrReplyAddressUnknown):
		return http.StatusUnprocessableEntity, apiError{Code: "recipient_unknown", Message: "No reply address of this server among the recipients."}, 0
	case errors.Is(err, model.ErrReplyEmpty):
		return http.StatusUnprocessableEntity, apiError{Code: "empty_reply", Message: "The mail has no text of its own above the quoted message."}, 0
	case errors.Is(err, model.ErrMailMalformed):
		return http.StatusUnprocessableEntity, apiError{Code: "malformed_mail", Message: "The body is not a readable RFC 5322 message."}, 0
	case errors.Is(err, model.ErrUnavailable):
		return http.StatusServiceUnavailable, apiError{Code: "unavailable", Message: "The service is briefly unavailable; nothing was saved. Please retry."}, unavailableRetryAfter
	case errors.Is(err, context.Canceled):
		// The client closed its request before the answer: it reads no
		// status, so this one only keeps logs and metrics honest.
		return statusClientClosedRequest, apiError{Code: "client_closed_request", Message: "The request was cancelled."}, 0
	case errors.As(err, &ee):
		return echoError(ee)
	}
	return http.StatusInternalServerError, apiError{Code: "internal_error", Message: "Something went wrong on our side."}, 0
}

func echoError(ee *echo.HTTPError) (int, apiError, int) {
	code := map[int]string{
		http.StatusNotFound:              "not_found",
		http.StatusMethodNotAllowed:      "method_not_allowed",
		http.StatusRequestEntityTooLarge: "body_too_large",
		http.StatusUnauthorized:          "unauthorized",
		http.StatusForbidden:             "forbidden",
		http.StatusBadRequest:            "bad_request",
		http.StatusUnsupportedMediaType:  "unsupported_media_type",
		http.StatusTooManyRequests:       "rate_limited",
	}[ee.Code]
	if code == "" {
		if ee.Code >= 500 {
			return http.StatusInternalServerError, apiError{Code: "internal_error", Message: "Something went wrong on our side."}, 0
		}
		code = "error"
	}
	msg := http.StatusText(ee.Code)
	if s, ok := ee.Message.(string); ok && ee.Code < 500 {
		msg = s
	}
	return ee.Code, apiError{Code: code, Message: msg}, 0
}

// errorHandler renders every error, including 404/405 and recovered
// panics, in the contract's shape. Server errors are logged by logFailure,
// here (and for the customer's page, which answers in HTML, by pageError).
func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, body, retry := toHTTP(err)
		logFailure(logger, c, err, status)
		if retry > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(retry))
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		_ = c.JSON(status, errorBody{Error: body})
	}
}

// logFailure logs a server-side failure (5xx); a client's error is the
// client's to see, not the log's.
func logFailure(logger *slog.Logger, c echo.Context, err error, status int) {
	switch {
	case status == http.StatusServiceUnavailable:
		// Not a bug here: the database is away and the client retries.
		logger.WarnContext(c.Request().Context(), "request failed: database unavailable", "err", err,
			"method", c.Request().Method, "path", logPath(c.Request()))
	case status >= 500:
		logger.ErrorContext(c.Request().Context(), "request failed", "err", err,
			"method", c.Request().Method, "path", logPath(c.Request()))
	}
}

// bind decodes a JSON body into v with clear 4xx errors.
func bind(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var he *echo.HTTPError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.As(err, &he):
			// Echo's BodyLimit reader fails a body without Content-Length
			// with 413 once it reads past the limit: keep that status.
			return err
		case errors.Is(err, io.EOF):
			return badRequest("bad_json", "The request body must be a JSON object.")
		case errors.As(err, &se):
			return badRequest("bad_json", "The request body is not valid JSON.")
		case errors.As(err, &te):
			return &model.ValidationError{Fields: map[string]string{te.Field: "has the wrong type (want " + te.Type.String() + ")"}}
		default:
			return badRequest("bad_json", "The request body is not valid JSON.")
		}
	}
	if dec.More() {
		return badRequest("bad_json", "The request body must hold one JSON object.")
	}
	return nil
}
