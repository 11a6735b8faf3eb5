package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"holler/server/internal/limiter"
	"holler/server/internal/model"
	"holler/server/internal/service"
)

const (
	siteKey    = "holler.site"
	visitorKey = "holler.visitor"
)

// widgetSite loads the site named in the path, enforces its allowed
// origins and answers CORS for the origins it allows.
func (a *API) widgetSite(next echo.HandlerFunc) echo.HandlerFunc { return a.loadSite(next, false) }

// credentialSite is widgetSite for the routes that take a visitor
// credential: there an origin the site does not list is refused by
// Service.Visitor, which knows whether the credential is a conversation
// token (the customer's page on Holler's own origin may use one).
func (a *API) credentialSite(next echo.HandlerFunc) echo.HandlerFunc { return a.loadSite(next, true) }

func (a *API) loadSite(next echo.HandlerFunc, credentialDecidesOrigin bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		origin := c.Request().Header.Get("Origin")
		h := c.Response().Header()
		h.Add("Vary", "Origin")
		site, err := a.Service.WidgetSite(c.Request().Context(), c.Param("site_key"), origin)
		if errors.Is(err, model.ErrUnavailable) && origin != "" {
			// The site's allowed origins are unknown while the database is
			// away. Let the browser read the 503 (it holds nothing of the
			// site) so the widget sees Retry-After and queues, rather than a
			// CORS failure that looks like being offline. The request itself
			// is checked when it is retried.
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "Retry-After")
			if c.Request().Method == http.MethodOptions {
				return answerPreflight(c, 0) // unchecked: not for the browser to cache
			}
		}
		if errors.Is(err, model.ErrOriginNotAllowed) && credentialDecidesOrigin {
			// No CORS headers: the one origin that may pass later is
			// Holler's own, which needs none.
			c.Set(siteKey, site)
			return next(c)
		}
		if err != nil {
			return err
		}
		if origin != "" {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "Retry-After")
		}
		c.Set(siteKey, site)
		return next(c)
	}
}

func site(c echo.Context) *model.Site         { return c.Get(siteKey).(*model.Site) }
func visitorOf(c echo.Context) *model.Visitor { return c.Get(visitorKey).(*model.Visitor) }

// preflight answers CORS preflights; browsers cache the answer for a day.
func (a *API) preflight(c echo.Context) error { return answerPreflight(c, 86400) }

func answerPreflight(c echo.Context, maxAge int) error {
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, Idempotency-Key")
	h.Set("Access-Control-Max-Age", strconv.Itoa(maxAge))
	return c.NoContent(http.StatusNoContent)
}

// visitor requires a visitor token of this site, or a conversation token
// of the conversation the route names.
func (a *API) visitor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		acc, err := a.Service.Visitor(r.Context(), site(c), bearer(r), r.Header.Get("Origin"))
		if err != nil {
			return err
		}
		if err := acc.Allow(c.Param("id")); err != nil {
			return err
		}
		c.Set(visitorKey, acc.Visitor)
		return next(c)
	}
}

// limit charges key's bucket in keyed before next runs.
func limit(keyed *limiter.Keyed, key func(echo.Context) string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := charge(keyed, key(c)); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// charge takes one token from key's bucket, or answers 429 with how long
// until one is there.
func charge(keyed *limiter.Keyed, key string) error {
	if ok, wait := keyed.Allow(key); !ok {
		return &model.RateLimitError{RetryAfterSeconds: limiter.RetryAfterSeconds(wait)}
	}
	return nil
}

func byIP(c echo.Context) string   { return site(c).ID + "|" + c.RealIP() }
func bySite(c echo.Context) string { return site(c).ID }

// limitCreate charges the per-IP bucket before the per-site one: a request
// its address is refused for must not take a token from the site's shared
// bucket, or one client hammering away would empty it and every other
// visitor of that site would get 429 too.
func (a *API) limitCreate(next echo.HandlerFunc) echo.HandlerFunc {
	return limit(a.limits.createPerIP, byIP)(limit(a.limits.writesPerSite, bySite)(next))
}

// limitMessage charges in the same order as limitCreate, for the same reason.
func (a *API) limitMessage(next echo.HandlerFunc) echo.HandlerFunc {
	return limit(a.limits.messagePerIP, byIP)(limit(a.limits.writesPerSite, bySite)(next))
}

func (a *API) limitReads(next echo.HandlerFunc) echo.HandlerFunc {
	return limit(a.limits.readsPerIP, byIP)(next)
}

func (a *API) widgetConfig(c echo.Context) error {
	cfg, err := a.Service.Config(c.Request().Context(), site(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cfg)
}

func (a *API) createConversation(c echo.Context) error {
	var in service.NewConversationInput
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := a.Service.CreateConversation(c.Request().Context(), site(c), service.VisitorRequest{
		Token:          bearer(c.Request()),
		UserAgent:      c.Request().UserAgent(),
		IdempotencyKey: c.Request().Header.Get("Idempotency-Key"),
	}, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (a *API) visitorConversations(c echo.Context) error {
	page, err := a.Service.VisitorConversations(c.Request().Context(), visitorOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (a *API) visitorThread(c echo.Context) error {
	t, err := a.Service.VisitorThread(c.Request().Context(), visitorOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (a *API) visitorReply(c echo.Context) error {
	var in service.MessageInput
	if err := bind(c, &in); err != nil {
		return err
	}
	m, err := a.Service.VisitorReply(c.Request().Context(), visitorOf(c), c.Param("id"), in, c.Request().Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"message": m})
}

func (a *API) rate(c echo.Context) error {
	var in service.RatingInput
	if err := bind(c, &in); err != nil {
		return err
	}
	res, err := a.Service.Rate(c.Request().Context(), site(c), visitorOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
