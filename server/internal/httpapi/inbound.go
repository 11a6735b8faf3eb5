package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"holler/server/internal/inbound"
	"holler/server/internal/model"
)

// inboundBodyLimit is the inbound mail size limit, in Echo's notation.
var inboundBodyLimit = strconv.Itoa(inbound.MaxMessageBytes) + "B"

// inboundAuth lets in a mail provider's inbound-parse webhook that knows
// HOLLER_INBOUND_SECRET, as a Bearer token or, for providers that can only
// put credentials in the URL (https://holler:SECRET@host/...), as the
// password of Basic auth. Without a secret configured the route does not
// exist (404): an unauthenticated way to post into conversations is never
// on by default, and a 503 would make a misconfigured provider retry
// forever instead of reporting the mistake.
func (a *API) inboundAuth(next echo.HandlerFunc) echo.HandlerFunc {
	want := sha256.Sum256([]byte(a.InboundSecret))
	return func(c echo.Context) error {
		if a.InboundSecret == "" {
			return model.ErrNotFound
		}
		got := bearer(c.Request())
		if _, pass, ok := c.Request().BasicAuth(); ok {
			got = pass
		}
		// Hashing first makes the comparison constant-time in the length
		// of the secret as well.
		sum := sha256.Sum256([]byte(got))
		if got == "" || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			return model.ErrUnauthorized
		}
		return next(c)
	}
}

// inboundEmail takes a customer's reply as a raw RFC 5322 message. The
// recipient is read from the message's To, Cc, Delivered-To and
// X-Original-To headers, or from ?recipient= (repeatable) when the
// provider passes the envelope recipient separately (a forwarded or
// Bcc'd mail shows another address in its headers). An automatic mail
// (out-of-office, bounce) is accepted with "message": null and not stored.
func (a *API) inboundEmail(c echo.Context) error {
	msg, err := a.Service.InboundReply(c.Request().Context(), c.QueryParams()["recipient"], c.Request().Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"message": msg})
}
